// Inputs and outputs of the cls `rbd` methods a format-2 client needs (src/cls/rbd/cls_rbd.cc; docs/rbd-format.md §3-4).
// Each function returns a ClsCall: the class, the method, the encoded input, and the
// decoder of its output. Calls run alone (`call`) or several in one compound op (`batch`).

import { Decoder } from '../../encoding/decoder.js';
import { Encoder } from '../../encoding/encoder.js';
import { decodeUTime, encodeUTime, type UTime } from '../../encoding/types.js';
import { CEPH_NOSNAP } from '../../rados/osd-ops.js';

export interface ClsCall<T> {
  cls: string;
  method: string;
  input: Buffer;
  decode: (out: Buffer) => T;
  /** true for methods that change the object (sent as a write op) */
  write: boolean;
}

const none = (): void => undefined;
const enc = (fn: (e: Encoder) => void): Buffer => {
  const e = new Encoder(64);
  fn(e);
  return e.toBuffer();
};
const dec =
  <T>(what: string, fn: (d: Decoder) => T) =>
  (out: Buffer): T =>
    fn(new Decoder(out, 0, out.length, `rbd.${what}`));

function rd<T>(method: string, input: Buffer, decode: (out: Buffer) => T): ClsCall<T> {
  return { cls: 'rbd', method, input, decode, write: false };
}
function wr(method: string, input: Buffer = Buffer.alloc(0)): ClsCall<void> {
  return { cls: 'rbd', method, input, decode: none, write: true };
}

// ---- encoded types ------------------------------------------------------------------------

export const SnapNamespaceType = { USER: 0, GROUP: 1, TRASH: 2, MIRROR: 3 } as const;
const NS_NAMES = ['user', 'group', 'trash', 'mirror'];

export interface SnapNamespace {
  type: number;
  /** raw payload after the type (kept so it re-encodes unchanged) */
  payload: Buffer;
  /** TRASH: the name before the snapshot moved to the trash */
  originalName?: string;
}

export function encodeSnapNamespace(e: Encoder, ns: SnapNamespace = { type: 0, payload: Buffer.alloc(0) }): void {
  e.versioned(1, 1, (x) => x.u32(ns.type).bytes(ns.payload));
}

export function decodeSnapNamespace(d: Decoder): SnapNamespace {
  return d.versioned(1, 'SnapshotNamespace', (x) => {
    const type = x.u32();
    const payload = Buffer.from(x.bytes(x.remaining));
    const ns: SnapNamespace = { type, payload };
    if (type === SnapNamespaceType.TRASH && payload.length >= 4) {
      try {
        ns.originalName = new Decoder(payload, 0, payload.length, 'trash ns').string();
      } catch {
        /* keep raw */
      }
    }
    return ns;
  });
}

export function snapNamespaceName(t: number): string {
  return NS_NAMES[t] ?? `unknown(${t})`;
}

export interface ParentImageSpec {
  poolId: number;
  poolNamespace: string;
  imageId: string;
  snapId: bigint;
}

export function encodeParentSpec(e: Encoder, p: ParentImageSpec): void {
  e.versioned(1, 1, (x) => x.s64(p.poolId).string(p.poolNamespace).string(p.imageId).u64(p.snapId));
}

export function decodeParentSpec(d: Decoder): ParentImageSpec {
  return d.versioned(1, 'ParentImageSpec', (x) => ({ poolId: x.s64n(), poolNamespace: x.string(), imageId: x.string(), snapId: x.u64() }));
}

export function parentExists(p: ParentImageSpec): boolean {
  return p.poolId >= 0 && p.imageId !== '' && p.snapId !== CEPH_NOSNAP;
}

export interface ChildImageSpec {
  poolId: number;
  poolNamespace: string;
  imageId: string;
}

/** ChildImageSpec ENC(2,1): pool, image id, namespace (note: not the parent spec's order) */
export function encodeChildSpec(e: Encoder, c: ChildImageSpec): void {
  e.versioned(2, 1, (x) => x.s64(c.poolId).string(c.imageId).string(c.poolNamespace));
}

export function decodeChildSpec(d: Decoder): ChildImageSpec {
  return d.versioned(2, 'ChildImageSpec', (x, v) => {
    const poolId = x.s64n();
    const imageId = x.string();
    const poolNamespace = v >= 2 ? x.string() : '';
    return { poolId, poolNamespace, imageId };
  });
}

export interface SnapshotInfo {
  id: bigint;
  namespace: SnapNamespace;
  name: string;
  imageSize: number;
  timestamp: UTime;
  childCount: number;
}

// ---- directory and id -----------------------------------------------------------------------

export const getId = () =>
  rd(
    'get_id',
    Buffer.alloc(0),
    dec('get_id', (d) => d.string()),
  );
export const setId = (id: string) =>
  wr(
    'set_id',
    enc((e) => e.string(id)),
  );
export const dirAddImage = (name: string, id: string) =>
  wr(
    'dir_add_image',
    enc((e) => e.string(name).string(id)),
  );
export const dirRemoveImage = (name: string, id: string) =>
  wr(
    'dir_remove_image',
    enc((e) => e.string(name).string(id)),
  );
export const dirRenameImage = (src: string, dst: string, id: string) =>
  wr(
    'dir_rename_image',
    enc((e) => e.string(src).string(dst).string(id)),
  );
export const dirGetId = (name: string) =>
  rd(
    'dir_get_id',
    enc((e) => e.string(name)),
    dec('dir_get_id', (d) => d.string()),
  );
export const dirGetName = (id: string) =>
  rd(
    'dir_get_name',
    enc((e) => e.string(id)),
    dec('dir_get_name', (d) => d.string()),
  );
export const dirList = (startAfter: string, max: number) =>
  rd(
    'dir_list',
    enc((e) => e.string(startAfter).u64(max)),
    dec('dir_list', (d) =>
      d.map(
        (x) => x.string(),
        (x) => x.string(),
        8,
      ),
    ),
  );

// ---- header -----------------------------------------------------------------------------------

export const create = (size: number, order: number, features: number, objectPrefix: string, dataPoolId: number) =>
  wr(
    'create',
    enc((e) => e.u64(size).u8(order).u64(features).string(objectPrefix).s64(dataPoolId)),
  );

/** output: u8 order, then u64 size */
export const getSize = (snapId: bigint = CEPH_NOSNAP) =>
  rd(
    'get_size',
    enc((e) => e.u64(snapId)),
    dec('get_size', (d) => ({ order: d.u8(), size: d.u64n() })),
  );
export const setSize = (size: number) =>
  wr(
    'set_size',
    enc((e) => e.u64(size)),
  );
export const getFeatures = (snapId: bigint = CEPH_NOSNAP, readOnly = false) =>
  rd(
    'get_features',
    enc((e) => e.u64(snapId).bool(readOnly)),
    dec('get_features', (d) => ({ features: Number(d.u64()), incompatible: Number(d.u64()) })),
  );
export const getObjectPrefix = () =>
  rd(
    'get_object_prefix',
    Buffer.alloc(0),
    dec('get_object_prefix', (d) => d.string()),
  );
export const getDataPool = () =>
  rd(
    'get_data_pool',
    Buffer.alloc(0),
    dec('get_data_pool', (d) => d.s64n()),
  );
export const getStripeUnitCount = () =>
  rd(
    'get_stripe_unit_count',
    Buffer.alloc(0),
    dec('get_stripe_unit_count', (d) => ({ stripeUnit: d.u64n(), stripeCount: d.u64n() })),
  );
export const setStripeUnitCount = (unit: number, count: number) =>
  wr(
    'set_stripe_unit_count',
    enc((e) => e.u64(unit).u64(count)),
  );
export const getFlags = (snapId: bigint = CEPH_NOSNAP) =>
  rd(
    'get_flags',
    enc((e) => e.u64(snapId)),
    dec('get_flags', (d) => Number(d.u64())),
  );
export const opFeaturesGet = () =>
  rd(
    'op_features_get',
    Buffer.alloc(0),
    dec('op_features_get', (d) => Number(d.u64())),
  );
export const opFeaturesSet = (opFeatures: number, mask: number) =>
  wr(
    'op_features_set',
    enc((e) => e.u64(opFeatures).u64(mask)),
  );
export const getCreateTimestamp = () => rd('get_create_timestamp', Buffer.alloc(0), dec('get_create_timestamp', decodeUTime));
export const getAccessTimestamp = () => rd('get_access_timestamp', Buffer.alloc(0), dec('get_access_timestamp', decodeUTime));
export const getModifyTimestamp = () => rd('get_modify_timestamp', Buffer.alloc(0), dec('get_modify_timestamp', decodeUTime));
export const getSnapContext = () =>
  rd(
    'get_snapcontext',
    Buffer.alloc(0),
    dec('get_snapcontext', (d) => ({ seq: d.u64(), snaps: d.list((x) => x.u64(), 8) })),
  );
export const metadataList = (startAfter: string, max: number) =>
  rd(
    'metadata_list',
    enc((e) => e.string(startAfter).u64(max)),
    dec('metadata_list', (d) =>
      d.map(
        (x) => x.string(),
        (x) => Buffer.from(x.bufferlist()),
        8,
      ),
    ),
  );
export const metadataSet = (kv: ReadonlyMap<string, Buffer>) =>
  wr(
    'metadata_set',
    enc((e) =>
      e.map(
        [...kv.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        (x, k) => x.string(k),
        (x, v) => x.bufferlist(v),
      ),
    ),
  );

// ---- parent / children ---------------------------------------------------------------------------

export const parentGet = () => rd('parent_get', Buffer.alloc(0), dec('parent_get', decodeParentSpec));
/** optional<u64>: undefined when the image (at that snap) has no overlap */
export const parentOverlapGet = (snapId: bigint = CEPH_NOSNAP) =>
  rd(
    'parent_overlap_get',
    enc((e) => e.u64(snapId)),
    dec('parent_overlap_get', (d) => (d.bool() ? d.u64n() : undefined)),
  );
export const parentAttach = (p: ParentImageSpec, overlap: number, reattach = false) =>
  wr(
    'parent_attach',
    enc((e) => {
      encodeParentSpec(e, p);
      e.u64(overlap).bool(reattach);
    }),
  );
export const parentDetach = () => wr('parent_detach');
export const addChild = (p: ParentImageSpec, childId: string) =>
  wr(
    'add_child',
    enc((e) => e.s64(p.poolId).string(p.imageId).u64(p.snapId).string(childId)),
  );
export const removeChild = (p: ParentImageSpec, childId: string) =>
  wr(
    'remove_child',
    enc((e) => e.s64(p.poolId).string(p.imageId).u64(p.snapId).string(childId)),
  );
export const getChildren = (p: ParentImageSpec) =>
  rd(
    'get_children',
    enc((e) => e.s64(p.poolId).string(p.imageId).u64(p.snapId)),
    dec('get_children', (d) => d.list((x) => x.string(), 4)),
  );
export const childAttach = (snapId: bigint, c: ChildImageSpec) =>
  wr(
    'child_attach',
    enc((e) => {
      e.u64(snapId);
      encodeChildSpec(e, c);
    }),
  );
export const childDetach = (snapId: bigint, c: ChildImageSpec) =>
  wr(
    'child_detach',
    enc((e) => {
      e.u64(snapId);
      encodeChildSpec(e, c);
    }),
  );
export const childrenList = (snapId: bigint) =>
  rd(
    'children_list',
    enc((e) => e.u64(snapId)),
    dec('children_list', (d) => d.list(decodeChildSpec, 7)),
  );

// ---- snapshots ----------------------------------------------------------------------------------

export const snapshotAdd = (name: string, snapId: bigint, ns?: SnapNamespace) =>
  wr(
    'snapshot_add',
    enc((e) => {
      e.string(name).u64(snapId);
      encodeSnapNamespace(e, ns);
    }),
  );
export const snapshotGet = (snapId: bigint) =>
  rd(
    'snapshot_get',
    enc((e) => e.u64(snapId)),
    dec('snapshot_get', (d) =>
      d.versioned(
        1,
        'SnapshotInfo',
        (x): SnapshotInfo => ({
          id: x.u64(),
          namespace: decodeSnapNamespace(x),
          name: x.string(),
          imageSize: x.u64n(),
          timestamp: decodeUTime(x),
          childCount: x.u32(),
        }),
      ),
    ),
  );
export const snapshotRename = (snapId: bigint, newName: string) =>
  wr(
    'snapshot_rename',
    enc((e) => e.u64(snapId).string(newName)),
  );
export const snapshotRemove = (snapId: bigint) =>
  wr(
    'snapshot_remove',
    enc((e) => e.u64(snapId)),
  );
export const snapshotTrashAdd = (snapId: bigint) =>
  wr(
    'snapshot_trash_add',
    enc((e) => e.u64(snapId)),
  );
export const getProtectionStatus = (snapId: bigint) =>
  rd(
    'get_protection_status',
    enc((e) => e.u64(snapId)),
    dec('get_protection_status', (d) => d.u8()),
  );
export const setProtectionStatus = (snapId: bigint, status: number) =>
  wr(
    'set_protection_status',
    enc((e) => e.u64(snapId).u8(status)),
  );

export const Protection = { UNPROTECTED: 0, UNPROTECTING: 1, PROTECTED: 2 } as const;

// ---- object map -------------------------------------------------------------------------------------

export const objectMapResize = (objectCount: number, defaultState: number) =>
  wr(
    'object_map_resize',
    enc((e) => e.u64(objectCount).u8(defaultState)),
  );
export const objectMapSnapAdd = () => wr('object_map_snap_add');
/** the map as stored, re-encoded by the OSD (passed back as is to object_map_snap_remove) */
export const objectMapLoad = () => rd('object_map_load', Buffer.alloc(0), (out) => Buffer.from(out));
/** entries [start, end) become newState, only those in currentState if given (EXISTS also matches EXISTS_CLEAN) */
export const objectMapUpdate = (start: number, end: number, newState: number, currentState?: number) =>
  wr(
    'object_map_update',
    enc((e) => (currentState === undefined ? e.u64(start).u64(end).u8(newState).u8(0) : e.u64(start).u64(end).u8(newState).u8(1).u8(currentState))),
  );
/** merge a removed snapshot's map (from object_map_load) into the next newer map: EXISTS_CLEAN → EXISTS where it had EXISTS */
export const objectMapSnapRemove = (removedMap: Buffer) =>
  wr(
    'object_map_snap_remove',
    enc((e) => e.bytes(removedMap)),
  );

export { encodeUTime };
