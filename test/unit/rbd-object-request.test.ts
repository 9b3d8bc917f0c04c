// The per-object decisions of src/rbd/object-request.ts (decideWrite / decideRead) as an
// explicit table checked against what librbd and the kernel client do, and the
// ObjectWriteRequest / CopyupRequest state machines run against an in-memory stand-in for the
// data pool (its ops applied the way the OSD applies them) and a recording object map.
//
// References (ceph/ceph, torvalds/linux):
//   librbd io/ObjectRequest.{h,cc}  AbstractObjectWriteRequest::send / pre_write_object_map_update /
//                                   write_object / handle_write_object, ObjectDiscardRequest
//   librbd io/CopyupRequest.cc      handle_read_from_parent / update_object_maps / copyup
//   librbd operation/FlattenRequest.cc C_FlattenObject::send, io/Utils.cc trigger_copyup
//   librbd ObjectMap.cc             object_may_exist / object_may_not_exist
//   drivers/block/rbd.c             rbd_obj_init_write / _discard / _zeroout, rbd_obj_write_is_noop,
//                                   rbd_obj_advance_write / rbd_obj_advance_copyup

import test from 'ava';
import { CephError, cephError } from '../../src/encoding/errno.js';
import type { CallOptions, IoCtx } from '../../src/rados/ioctx.js';
import { WriteOp } from '../../src/rados/op-builder.js';
import { OsdOpCode, OsdOpFlag } from '../../src/rados/osd-ops.js';
import type { SnapContext } from '../../src/rados/messages/osd-op.js';
import type { ImageCtx } from '../../src/rbd/image-ctx.js';
import { makeLayout } from '../../src/rbd/layout.js';
import type { ObjectMap } from '../../src/rbd/object-map.js';
import { OBJECT_EXISTS, OBJECT_EXISTS_CLEAN, OBJECT_NONEXISTENT, OBJECT_PENDING } from '../../src/rbd/object-map-state.js';
import {
  decideRead,
  decideWrite,
  ObjFlag,
  ObjectWriteRequest,
  type ImageOpKind,
  type ObjectAction,
  type ObjectRequestEnv,
} from '../../src/rbd/object-request.js';

// ---- decideWrite: the table ---------------------------------------------------------------------

const D = ObjFlag.DELETION;
const C = ObjFlag.COPYUP_ENABLED;
const M = ObjFlag.MAY_EXIST;
const N = ObjFlag.NOOP_FOR_NONEXISTENT;
const P = ObjFlag.PRE_MAP_EXISTS;

const OS = 4 * 1024 * 1024;
type ExtentName = 'whole' | 'head' | 'tail' | 'interior';
const EXTENTS: Record<ExtentName, { offset: number; length: number; objectSize: number }> = {
  whole: { offset: 0, length: OS, objectSize: OS },
  head: { offset: 0, length: 65536, objectSize: OS }, // starts the object, ends inside it
  tail: { offset: OS - 65536, length: 65536, objectSize: OS }, // ends at the object's end
  interior: { offset: 65536, length: 65536, objectSize: OS },
};

/** undefined: no object map to trust (feature off, or not the lock owner) */
type MapState = number | undefined;
const STATE_NAME = new Map<MapState, string>([
  [undefined, 'no map'],
  [OBJECT_NONEXISTENT, 'NONEXISTENT'],
  [OBJECT_EXISTS, 'EXISTS'],
  [OBJECT_PENDING, 'PENDING'],
  [OBJECT_EXISTS_CLEAN, 'EXISTS_CLEAN'],
]);
const NONE = undefined;
const NX = OBJECT_NONEXISTENT;
const EX = OBJECT_EXISTS;
const PD = OBJECT_PENDING;
const CL = OBJECT_EXISTS_CLEAN;

type Row = [kind: ImageOpKind, extent: ExtentName, state: MapState, parentData: boolean, action: ObjectAction, flags: number];

const TABLE: Row[] = [
  // ---- write ----------------------------------------------------------------------------------
  // librbd AbstractObjectWriteRequest: pre-write object-map state EXISTS; copy-up enabled when
  // the parent overlap reaches into the object (compute_parent_info); m_object_may_exist from
  // object_may_exist() (anything but NONEXISTENT; true without a map). rbd.c rbd_obj_init_write
  // sets RBD_OBJ_FLAG_COPYUP_ENABLED the same way; rbd_obj_write_is_noop sets
  // RBD_OBJ_FLAG_MAY_EXIST from rbd_object_map_may_exist(). A write is never a no-op.
  // Whole-object rows with parent data: librbd/rbd.c skip the copy-up when the snap context is
  // empty (m_full_object && snapc.seq == 0 / rbd_obj_is_entire && !num_snaps); decideWrite is
  // not told about snapshots and keeps it enabled, which writes the same bytes (the copy-up
  // data is overwritten whole) and is what both do once the image has snapshots.
  ['write', 'whole', NONE, false, 'write', P | M],
  ['write', 'whole', NX, false, 'write', P],
  ['write', 'whole', EX, false, 'write', P | M],
  ['write', 'whole', PD, false, 'write', P | M],
  ['write', 'whole', CL, false, 'write', P | M],
  ['write', 'whole', NONE, true, 'write', P | C | M],
  ['write', 'whole', NX, true, 'write', P | C],
  ['write', 'whole', EX, true, 'write', P | C | M],
  ['write', 'whole', PD, true, 'write', P | C | M],
  ['write', 'whole', CL, true, 'write', P | C | M],
  ['write', 'head', NONE, false, 'write', P | M],
  ['write', 'head', NX, false, 'write', P],
  ['write', 'head', EX, false, 'write', P | M],
  ['write', 'head', PD, false, 'write', P | M],
  ['write', 'head', CL, false, 'write', P | M],
  ['write', 'head', NONE, true, 'write', P | C | M],
  ['write', 'head', NX, true, 'write', P | C],
  ['write', 'head', EX, true, 'write', P | C | M],
  ['write', 'head', PD, true, 'write', P | C | M],
  ['write', 'head', CL, true, 'write', P | C | M],
  ['write', 'tail', NONE, false, 'write', P | M],
  ['write', 'tail', NX, false, 'write', P],
  ['write', 'tail', EX, false, 'write', P | M],
  ['write', 'tail', PD, false, 'write', P | M],
  ['write', 'tail', CL, false, 'write', P | M],
  ['write', 'tail', NONE, true, 'write', P | C | M],
  ['write', 'tail', NX, true, 'write', P | C],
  ['write', 'tail', EX, true, 'write', P | C | M],
  ['write', 'tail', PD, true, 'write', P | C | M],
  ['write', 'tail', CL, true, 'write', P | C | M],
  ['write', 'interior', NONE, false, 'write', P | M],
  ['write', 'interior', NX, false, 'write', P],
  ['write', 'interior', EX, false, 'write', P | M],
  ['write', 'interior', PD, false, 'write', P | M],
  ['write', 'interior', CL, false, 'write', P | M],
  ['write', 'interior', NONE, true, 'write', P | C | M],
  ['write', 'interior', NX, true, 'write', P | C],
  ['write', 'interior', EX, true, 'write', P | C | M],
  ['write', 'interior', PD, true, 'write', P | C | M],
  ['write', 'interior', CL, true, 'write', P | C | M],

  // ---- zero (write-zeroes / discard that must not reveal the parent) -----------------------------
  // Whole object, no parent data: librbd ObjectDiscardRequest DISCARD_ACTION_REMOVE, pre-write
  // state OBJECT_PENDING, post-write NONEXISTENT (is_non_existent_post_write_object_map_state);
  // is_no_op_for_nonexistent_object() = !has_parent(), so a map NONEXISTENT object is skipped
  // (AbstractObjectWriteRequest::send "skipping no-op on nonexistent object"). rbd.c
  // rbd_obj_init_zeroout: no img extents → NOOP_FOR_NONEXISTENT, entire → DELETION (CEPH_OSD_OP_DELETE).
  ['zero', 'whole', NONE, false, 'remove', D | N | M],
  ['zero', 'whole', NX, false, 'none', 0],
  ['zero', 'whole', EX, false, 'remove', D | N | M],
  ['zero', 'whole', PD, false, 'remove', D | N | M],
  ['zero', 'whole', CL, false, 'remove', D | N | M],
  // Whole object with parent data: an empty object hides the parent's bytes — librbd
  // DISCARD_ACTION_REMOVE_TRUNCATE ("remove (create+truncate)", image discards pass
  // OBJECT_DISCARD_FLAG_DISABLE_CLONE_REMOVE) when copy-up is disabled; rbd.c
  // __rbd_osd_setup_zeroout_ops CEPH_OSD_OP_CREATE + CEPH_OSD_OP_TRUNCATE when
  // !COPYUP_ENABLED. Pre-write state EXISTS; not a no-op on a missing object (has_parent()).
  // These are the rows for a clone WITHOUT snapshots: with snapshots both enable copy-up and
  // send a guarded TRUNCATE(0) instead (deep copy-up keeps the parent's bytes in the snapshots);
  // decideWrite has no snapshot input (see the report / the test near the end of the table).
  ['zero', 'whole', NONE, true, 'hide', P | M],
  ['zero', 'whole', NX, true, 'hide', P],
  ['zero', 'whole', EX, true, 'hide', P | M],
  ['zero', 'whole', PD, true, 'hide', P | M],
  ['zero', 'whole', CL, true, 'hide', P | M],
  // Part of an object: TRUNCATE when the range reaches the object's end, ZERO otherwise
  // (ObjectDiscardRequest DISCARD_ACTION_TRUNCATE / _ZERO; rbd.c truncate_or_zero_opcode).
  // Without parent data: a no-op where the map says NONEXISTENT, guarded by the object's
  // existence elsewhere (NOOP_FOR_NONEXISTENT). With parent data: copy-up first if the object
  // is missing (COPYUP_ENABLED: librbd m_copyup_enabled, rbd.c rbd_obj_copyup_enabled for a
  // partial object), never a no-op.
  ['zero', 'head', NONE, false, 'zero', P | N | M],
  ['zero', 'head', NX, false, 'none', 0],
  ['zero', 'head', EX, false, 'zero', P | N | M],
  ['zero', 'head', PD, false, 'zero', P | N | M],
  ['zero', 'head', CL, false, 'zero', P | N | M],
  ['zero', 'head', NONE, true, 'zero', P | C | M],
  ['zero', 'head', NX, true, 'zero', P | C],
  ['zero', 'head', EX, true, 'zero', P | C | M],
  ['zero', 'head', PD, true, 'zero', P | C | M],
  ['zero', 'head', CL, true, 'zero', P | C | M],
  ['zero', 'tail', NONE, false, 'truncate', P | N | M],
  ['zero', 'tail', NX, false, 'none', 0],
  ['zero', 'tail', EX, false, 'truncate', P | N | M],
  ['zero', 'tail', PD, false, 'truncate', P | N | M],
  ['zero', 'tail', CL, false, 'truncate', P | N | M],
  ['zero', 'tail', NONE, true, 'truncate', P | C | M],
  ['zero', 'tail', NX, true, 'truncate', P | C],
  ['zero', 'tail', EX, true, 'truncate', P | C | M],
  ['zero', 'tail', PD, true, 'truncate', P | C | M],
  ['zero', 'tail', CL, true, 'truncate', P | C | M],
  ['zero', 'interior', NONE, false, 'zero', P | N | M],
  ['zero', 'interior', NX, false, 'none', 0],
  ['zero', 'interior', EX, false, 'zero', P | N | M],
  ['zero', 'interior', PD, false, 'zero', P | N | M],
  ['zero', 'interior', CL, false, 'zero', P | N | M],
  ['zero', 'interior', NONE, true, 'zero', P | C | M],
  ['zero', 'interior', NX, true, 'zero', P | C],
  ['zero', 'interior', EX, true, 'zero', P | C | M],
  ['zero', 'interior', PD, true, 'zero', P | C | M],
  ['zero', 'interior', CL, true, 'zero', P | C | M],

  // ---- flatten --------------------------------------------------------------------------------
  // librbd operation/FlattenRequest.cc C_FlattenObject::send: skip an object the map says
  // exists (!object_may_not_exist: EXISTS or EXISTS_CLEAN; PENDING may not exist); otherwise
  // io::util::trigger_copyup, which does nothing without parent data (!req->has_parent()) and
  // else sends an empty ObjectWriteRequest: guarded by assert_exists where the object may exist,
  // straight to CopyupRequest where the map says NONEXISTENT (pre_write_object_map_update
  // "optimization: copyup required"). The request covers the whole object whatever the extent
  // (librbd issues a 0-byte write at offset 0; image-io passes the whole object), so the
  // extent does not change the answer.
  ['flatten', 'whole', NONE, false, 'none', 0],
  ['flatten', 'whole', NX, false, 'none', 0],
  ['flatten', 'whole', EX, false, 'none', 0],
  ['flatten', 'whole', PD, false, 'none', 0],
  ['flatten', 'whole', CL, false, 'none', 0],
  ['flatten', 'whole', NONE, true, 'copyup', C | M],
  ['flatten', 'whole', NX, true, 'copyup', C],
  ['flatten', 'whole', EX, true, 'none', 0],
  ['flatten', 'whole', PD, true, 'copyup', C | M],
  ['flatten', 'whole', CL, true, 'none', 0],
  ['flatten', 'head', NONE, false, 'none', 0],
  ['flatten', 'head', NX, false, 'none', 0],
  ['flatten', 'head', EX, false, 'none', 0],
  ['flatten', 'head', PD, false, 'none', 0],
  ['flatten', 'head', CL, false, 'none', 0],
  ['flatten', 'head', NONE, true, 'copyup', C | M],
  ['flatten', 'head', NX, true, 'copyup', C],
  ['flatten', 'head', EX, true, 'none', 0],
  ['flatten', 'head', PD, true, 'copyup', C | M],
  ['flatten', 'head', CL, true, 'none', 0],
  ['flatten', 'tail', NONE, false, 'none', 0],
  ['flatten', 'tail', NX, false, 'none', 0],
  ['flatten', 'tail', EX, false, 'none', 0],
  ['flatten', 'tail', PD, false, 'none', 0],
  ['flatten', 'tail', CL, false, 'none', 0],
  ['flatten', 'tail', NONE, true, 'copyup', C | M],
  ['flatten', 'tail', NX, true, 'copyup', C],
  ['flatten', 'tail', EX, true, 'none', 0],
  ['flatten', 'tail', PD, true, 'copyup', C | M],
  ['flatten', 'tail', CL, true, 'none', 0],
  ['flatten', 'interior', NONE, false, 'none', 0],
  ['flatten', 'interior', NX, false, 'none', 0],
  ['flatten', 'interior', EX, false, 'none', 0],
  ['flatten', 'interior', PD, false, 'none', 0],
  ['flatten', 'interior', CL, false, 'none', 0],
  ['flatten', 'interior', NONE, true, 'copyup', C | M],
  ['flatten', 'interior', NX, true, 'copyup', C],
  ['flatten', 'interior', EX, true, 'none', 0],
  ['flatten', 'interior', PD, true, 'copyup', C | M],
  ['flatten', 'interior', CL, true, 'none', 0],
];

const rowName = ([kind, extent, state, parent]: Row): string => `${kind} ${extent} map=${STATE_NAME.get(state)} parent=${parent}`;

test('the decision table covers every (op, extent, map state, parent) once', (t) => {
  const seen = new Set(TABLE.map(rowName));
  t.is(seen.size, TABLE.length, 'no duplicate rows');
  t.is(TABLE.length, 3 * 4 * 5 * 2);
  for (const kind of ['write', 'zero', 'flatten'] as const)
    for (const extent of Object.keys(EXTENTS) as ExtentName[])
      for (const state of STATE_NAME.keys())
        for (const parent of [false, true])
          t.true(seen.has(rowName([kind, extent, state, parent, 'none', 0])), rowName([kind, extent, state, parent, 'none', 0]));
});

for (const kind of ['write', 'zero', 'flatten'] as const) {
  test(`decideWrite: ${kind}`, (t) => {
    for (const row of TABLE.filter((r) => r[0] === kind)) {
      const [, extent, state, parent, action, flags] = row;
      t.deepEqual(decideWrite(kind, EXTENTS[extent], state, parent), { action, flags }, rowName(row));
    }
  });
}

test('decideWrite: a whole-object zero in a clone never removes the object (that would reveal the parent)', (t) => {
  for (const state of STATE_NAME.keys()) {
    const d = decideWrite('zero', EXTENTS.whole, state, true);
    t.not(d.action, 'remove', STATE_NAME.get(state));
    t.is(d.flags & D, 0, STATE_NAME.get(state));
  }
});

test('decideWrite: with snapshots, a whole-object zero in a clone copies the parent up and truncates (the snapshots keep the parent bytes)', (t) => {
  // librbd ObjectDiscardRequest: copy-up stays enabled unless the object is whole and the
  // write snap context is empty (compute_parent_info); rbd.c rbd_obj_set_copyup_enabled skips
  // it only for rbd_obj_is_entire && !snapc->num_snaps. Without snapshots an empty object hides them.
  for (const state of STATE_NAME.keys()) {
    const d = decideWrite('zero', EXTENTS.whole, state, true, true);
    t.is(d.action, 'truncate', STATE_NAME.get(state));
    t.true((d.flags & ObjFlag.COPYUP_ENABLED) !== 0, STATE_NAME.get(state));
    t.true((d.flags & ObjFlag.PRE_MAP_EXISTS) !== 0, STATE_NAME.get(state));
    t.is(decideWrite('zero', EXTENTS.whole, state, true, false).action, 'hide', STATE_NAME.get(state));
  }
  // without parent data, snapshots change nothing: the object goes (or nothing, where the map says none)
  t.is(decideWrite('zero', EXTENTS.whole, undefined, false, true).action, 'remove');
});

test('decideRead: only a trusted NONEXISTENT skips the object', (t) => {
  // librbd ObjectReadRequest::read_object: !object_map->object_may_exist() → read_parent();
  // object_may_exist is state != OBJECT_NONEXISTENT (PENDING and EXISTS_CLEAN may exist).
  // rbd.c rbd_obj_advance_read: !rbd_obj_may_exist() → -ENOENT without sending the read.
  const rows: Array<[MapState, 'object' | 'parent']> = [
    [undefined, 'object'],
    [OBJECT_NONEXISTENT, 'parent'],
    [OBJECT_EXISTS, 'object'],
    [OBJECT_PENDING, 'object'],
    [OBJECT_EXISTS_CLEAN, 'object'],
  ];
  for (const [state, where] of rows) t.is(decideRead(state), where, STATE_NAME.get(state));
});

// ---- the state machines against stand-ins ------------------------------------------------------

const OBJ_ORDER = 12; // 4 KiB objects keep the buffers small
const OBJ_SIZE = 2 ** OBJ_ORDER;
const PREFIX = 'rbd_data.10d24b6b8b4567';
const OBJNO = 3;
const OID = 'rbd_data.10d24b6b8b4567.0000000000000003';
const OBJ_START = OBJNO * OBJ_SIZE; // image offset of object 3 (simple layout)

/** The data pool: object bytes by name, and every call made to it or the map, in order. */
class World {
  readonly objects = new Map<string, Buffer>();
  readonly log: string[] = [];
  /** each operate, for a closer look at its ops */
  readonly sent: Array<{ io: string; oid: string; op: WriteOp; snapc: SnapContext | undefined }> = [];
  /** fail the next operate on this io with this errno */
  failNext = new Map<string, string>();
}

/** What the IoCtx does for object requests: operate / stat / remove, applied as the OSD does. */
class FakeIo {
  constructor(
    readonly name: string,
    private readonly w: World,
    readonly snapc: SnapContext | undefined,
  ) {}

  async operate(oid: string, op: WriteOp, _opts: CallOptions = {}): Promise<{ ops: never[]; version: bigint }> {
    const what = `${this.name}.operate(${op.ops.map((_, i) => op.describe(i)).join(',')})`;
    this.w.sent.push({ io: this.name, oid, op, snapc: this.snapc });
    const fail = this.w.failNext.get(this.name);
    if (fail) {
      this.w.failNext.delete(this.name);
      this.w.log.push(`${what} → ${fail}`);
      throw cephError(fail, 'injected', { op: 'operate', object: oid });
    }
    try {
      const after = applyOps(this.w.objects.get(oid), op, oid);
      if (after === undefined) this.w.objects.delete(oid);
      else this.w.objects.set(oid, after);
    } catch (e) {
      this.w.log.push(`${what} → ${(e as CephError).code}`);
      throw e;
    }
    this.w.log.push(what);
    return { ops: [], version: 1n };
  }

  async stat(oid: string, _opts: CallOptions = {}): Promise<{ size: number }> {
    const o = this.w.objects.get(oid);
    this.w.log.push(`${this.name}.stat${o ? '' : ' → ENOENT'}`);
    if (!o) throw cephError('ENOENT', 'no such object', { op: 'stat', object: oid });
    return { size: o.length };
  }

  async remove(oid: string, _opts: CallOptions = {}): Promise<void> {
    const fail = this.w.failNext.get(this.name);
    if (fail) {
      this.w.failNext.delete(this.name);
      this.w.log.push(`${this.name}.remove → ${fail}`);
      throw cephError(fail, 'injected', { op: 'remove', object: oid });
    }
    const had = this.w.objects.delete(oid);
    this.w.log.push(`${this.name}.remove${had ? '' : ' → ENOENT'}`);
    if (!had) throw cephError('ENOENT', 'no such object', { op: 'remove', object: oid });
  }
}

/** One compound op, all or nothing (PrimaryLogPG::do_osd_ops); undefined: no object. */
function applyOps(start: Buffer | undefined, op: WriteOp, oid: string): Buffer | undefined {
  let cur = start ? Buffer.from(start) : undefined;
  for (const o of op.ops) {
    switch (o.op) {
      case OsdOpCode.STAT: // assert_exists
        if (!cur) throw cephError('ENOENT', 'no such object', { op: 'stat', object: oid });
        break;
      case OsdOpCode.CALL: {
        const c = o.cls!;
        const cls = o.indata!.subarray(0, c.classLen).toString();
        const method = o.indata!.subarray(c.classLen, c.classLen + c.methodLen).toString();
        if (cls !== 'rbd' || method !== 'copyup') throw cephError('EOPNOTSUPP', `${cls}.${method}`);
        // cls_rbd copyup: nothing to copy, or the object exists already → no-op
        const input = o.indata!.subarray(c.classLen + c.methodLen);
        if (!cur && input.length > 0) cur = Buffer.from(input);
        break;
      }
      case OsdOpCode.WRITE: {
        const off = Number(o.extent!.offset);
        const data = o.indata ?? Buffer.alloc(0);
        const base = cur ?? Buffer.alloc(0);
        const out = Buffer.alloc(Math.max(base.length, off + data.length));
        base.copy(out);
        data.copy(out, off);
        cur = out;
        break;
      }
      case OsdOpCode.CREATE:
        if (cur && ((o.flags ?? 0) & OsdOpFlag.EXCL) !== 0) throw cephError('EEXIST', 'exists');
        cur ??= Buffer.alloc(0);
        break;
      case OsdOpCode.TRUNCATE: {
        if (!cur) break; // "object dne, truncate is a no-op"
        const size = Number(o.extent!.offset);
        cur = size <= cur.length ? cur.subarray(0, size) : Buffer.concat([cur, Buffer.alloc(size - cur.length)]);
        break;
      }
      case OsdOpCode.ZERO: {
        if (!cur) break; // zero on a missing object: no-op
        const off = Number(o.extent!.offset);
        cur.fill(0, Math.min(off, cur.length), Math.min(off + Number(o.extent!.length), cur.length));
        break;
      }
      case OsdOpCode.DELETE:
        if (!cur) throw cephError('ENOENT', 'no such object', { op: 'delete', object: oid });
        cur = undefined;
        break;
      default:
        throw new Error(`stand-in does not apply op 0x${o.op.toString(16)}`);
    }
  }
  return cur;
}

/** The object map calls object requests make, recorded. */
class FakeMap {
  constructor(private readonly w: World) {}
  async markExists(objno: number, _opts: CallOptions): Promise<void> {
    this.w.log.push(`map.markExists(${objno})`);
  }
  async beginRemove(first: number, end: number, _opts: CallOptions, _bestEffort = false): Promise<void> {
    this.w.log.push(`map.beginRemove(${first},${end})`);
  }
  async endRemove(first: number, end: number, _opts: CallOptions, _bestEffort = false): Promise<void> {
    this.w.log.push(`map.endRemove(${first},${end})`);
  }
  async markSnapshotsExist(objno: number, _opts: CallOptions): Promise<void> {
    this.w.log.push(`map.markSnapshotsExist(${objno})`);
  }
}

/** A parent image whose byte i is (i % 251) + 1: never zero. */
const patterned = (len: number): Buffer => Buffer.from(Array.from({ length: len }, (_, i) => (i % 251) + 1));

interface Setup {
  w: World;
  env: ObjectRequestEnv;
  dio: IoCtx;
  /** how many bare data IoCtxs ctx.dataIoctx() handed out */
  bareIoctxs: () => number;
}

function setup(o: { parent?: Buffer; overlap?: number; snapc?: SnapContext } = {}): Setup {
  const w = new World();
  const snapc = o.snapc ?? { seq: 0n, snaps: [] };
  const parent = o.parent ?? patterned(8 * OBJ_SIZE);
  let bare = 0;
  const ctx = {
    objectPrefix: PREFIX,
    layout: makeLayout(OBJ_ORDER),
    snapc,
    // a fresh IoCtx on the data pool: no snap context of its own
    dataIoctx: async () => {
      bare++;
      return new FakeIo('bare', w, undefined) as unknown as IoCtx;
    },
  };
  const env: ObjectRequestEnv = {
    ctx: ctx as unknown as ImageCtx,
    map: new FakeMap(w) as unknown as ObjectMap,
    overlap: o.overlap ?? parent.length,
    readParent: async (offset, length) => {
      w.log.push(`parent.read(${offset},${length})`);
      return Buffer.from(parent.subarray(offset, offset + length));
    },
  };
  return { w, env, dio: new FakeIo('dio', w, snapc) as unknown as IoCtx, bareIoctxs: () => bare };
}

const copyupInput = (op: WriteOp): Buffer => {
  const c = op.ops[0]!;
  t_assert(c.op === OsdOpCode.CALL && c.cls !== undefined, 'first sub-op is a cls call');
  return c.indata!.subarray(c.cls!.classLen + c.cls!.methodLen);
};
function t_assert(cond: boolean, what: string): asserts cond {
  if (!cond) throw new Error(what);
}

test('write to a missing object in a clone: guarded write, then copyup + write in one op', async (t) => {
  const { w, env, dio } = setup();
  const data = Buffer.from('hello, clone');
  const d = decideWrite('write', { offset: 100, length: data.length, objectSize: OBJ_SIZE }, undefined, true);
  const req = new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp().write(data, 100));
  await req.run({});
  t.is(req.state, 'done');
  t.deepEqual(w.log, [
    'map.markExists(3)',
    // AbstractObjectWriteRequest::write_object: m_copyup_enabled → write_op.assert_exists()
    'dio.operate(stat,write) → ENOENT',
    // handle_write_object -ENOENT → copyup(): CopyupRequest reads the whole object's parent extent
    'parent.read(12288,4096)',
    'map.markExists(3)',
    // CopyupRequest::copyup, no snapshots: rbd.copyup + the write's ops in one op, image snapc
    'dio.operate(call(rbd.copyup),write)',
  ]);
  t.deepEqual(
    w.sent.map((s) => [s.io, s.oid, s.op.ops.map((x) => x.op)]),
    [
      ['dio', OID, [OsdOpCode.STAT, OsdOpCode.WRITE]],
      ['dio', OID, [OsdOpCode.CALL, OsdOpCode.WRITE]],
    ],
  );
  const parentObj = patterned(8 * OBJ_SIZE).subarray(OBJ_START, OBJ_START + OBJ_SIZE);
  t.true(copyupInput(w.sent[1]!.op).equals(parentObj), 'copyup carries the parent object bytes');
  const expected = Buffer.from(parentObj);
  data.copy(expected, 100);
  t.true(w.objects.get(OID)!.equals(expected), 'the object is the parent bytes with the write on top');
});

test('write to an object the map says NONEXISTENT in a clone: straight to copyup (no guarded attempt)', async (t) => {
  // librbd pre_write_object_map_update: "!m_object_may_exist && m_copyup_enabled → optimization: copyup required"
  const { w, env, dio } = setup();
  const data = Buffer.from('x');
  const d = decideWrite('write', { offset: 0, length: 1, objectSize: OBJ_SIZE }, OBJECT_NONEXISTENT, true);
  await new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp().write(data, 0)).run({});
  t.deepEqual(
    w.log.filter((l) => !l.startsWith('map.')),
    ['parent.read(12288,4096)', 'dio.operate(call(rbd.copyup),write)'],
  );
  t.false(
    w.sent.some((s) => s.op.ops.some((x) => x.op === OsdOpCode.STAT)),
    'no assert_exists',
  );
  t.is(w.objects.get(OID)![0], 'x'.charCodeAt(0));
  t.is(w.objects.get(OID)![1], patterned(OBJ_START + 2)[OBJ_START + 1]);
});

test('write to an existing object in a clone: the guarded write lands, the parent is not read', async (t) => {
  const { w, env, dio } = setup();
  w.objects.set(OID, Buffer.alloc(OBJ_SIZE, 7));
  const d = decideWrite('write', { offset: 10, length: 2, objectSize: OBJ_SIZE }, OBJECT_EXISTS, true);
  await new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp().write(Buffer.from([1, 2]), 10)).run({});
  t.deepEqual(w.log, ['map.markExists(3)', 'dio.operate(stat,write)']);
  t.deepEqual([...w.objects.get(OID)!.subarray(9, 13)], [7, 1, 2, 7]);
});

test('write without parent data: one plain write, no guard', async (t) => {
  const { w, env, dio } = setup({ overlap: 0 });
  const d = decideWrite('write', { offset: 0, length: 3, objectSize: OBJ_SIZE }, undefined, false);
  await new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp().write(Buffer.from('abc'), 0)).run({});
  t.deepEqual(w.log, ['map.markExists(3)', 'dio.operate(write)']);
  t.is(w.objects.get(OID)!.toString(), 'abc');
});

test('a failed guarded write other than ENOENT fails the request without a copy-up', async (t) => {
  const { w, env, dio } = setup();
  w.failNext.set('dio', 'EIO');
  const d = decideWrite('write', { offset: 0, length: 1, objectSize: OBJ_SIZE }, undefined, true);
  const req = new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp().write(Buffer.from('x'), 0));
  await t.throwsAsync(req.run({}), { instanceOf: CephError, code: 'EIO' });
  t.deepEqual(w.log, ['map.markExists(3)', 'dio.operate(stat,write) → EIO']);
  t.false(w.objects.has(OID));
});

test('deletion: beginRemove → remove → endRemove, in that order', async (t) => {
  // librbd: pre-write OBJECT_PENDING, DISCARD_ACTION_REMOVE, post-write NONEXISTENT;
  // rbd.c: rbd_obj_write_pre_object_map PENDING (DELETION), CEPH_OSD_OP_DELETE,
  // rbd_obj_write_post_object_map NONEXISTENT (current PENDING).
  const { w, env, dio } = setup({ overlap: 0 });
  w.objects.set(OID, Buffer.alloc(OBJ_SIZE, 1));
  const d = decideWrite('zero', { offset: 0, length: OBJ_SIZE, objectSize: OBJ_SIZE }, OBJECT_EXISTS, false);
  await new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp()).run({});
  t.deepEqual(w.log, ['map.beginRemove(3,4)', 'dio.remove', 'map.endRemove(3,4)']);
  t.false(w.objects.has(OID));
});

test('deletion of an already missing object still completes the map update', async (t) => {
  // rbd.c rbd_obj_advance_write: "On a non-existent object: delete - -ENOENT" → result 0, then the post map update
  const { w, env, dio } = setup({ overlap: 0 });
  const d = decideWrite('zero', { offset: 0, length: OBJ_SIZE, objectSize: OBJ_SIZE }, OBJECT_PENDING, false);
  await new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp()).run({});
  t.deepEqual(w.log, ['map.beginRemove(3,4)', 'dio.remove → ENOENT', 'map.endRemove(3,4)']);
});

test('a failed removal leaves the map PENDING (no endRemove)', async (t) => {
  const { w, env, dio } = setup({ overlap: 0 });
  w.objects.set(OID, Buffer.alloc(1));
  w.failNext.set('dio', 'EIO');
  const d = decideWrite('zero', { offset: 0, length: OBJ_SIZE, objectSize: OBJ_SIZE }, OBJECT_EXISTS, false);
  await t.throwsAsync(new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp()).run({}), { code: 'EIO' });
  t.deepEqual(w.log, ['map.beginRemove(3,4)', 'dio.remove → EIO']);
  t.true(w.objects.has(OID));
});

test('zero of part of a missing object without parent data: guarded, and nothing is created', async (t) => {
  const { w, env, dio } = setup({ overlap: 0 });
  const d = decideWrite('zero', { offset: 0, length: 100, objectSize: OBJ_SIZE }, undefined, false);
  await new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp().zero(0, 100)).run({});
  t.deepEqual(w.log, ['map.markExists(3)', 'dio.operate(stat,zero) → ENOENT']);
  t.false(w.objects.has(OID));
});

test('zero where the map says NONEXISTENT and there is no parent: nothing at all', async (t) => {
  const { w, env, dio } = setup({ overlap: 0 });
  for (const ex of [
    { offset: 0, length: OBJ_SIZE },
    { offset: 10, length: 10 },
  ]) {
    const d = decideWrite('zero', { ...ex, objectSize: OBJ_SIZE }, OBJECT_NONEXISTENT, false);
    const req = new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp());
    await req.run({});
    t.is(req.state, 'done');
  }
  t.deepEqual(w.log, []);
});

test('zero of a whole object in a clone: an empty object (create + truncate 0) hides the parent', async (t) => {
  const { w, env, dio } = setup();
  const d = decideWrite('zero', { offset: 0, length: OBJ_SIZE, objectSize: OBJ_SIZE }, undefined, true);
  t.is(d.action, 'hide');
  // the op image-io builds for 'hide' (librbd DISCARD_ACTION_REMOVE_TRUNCATE: create(false) + truncate(0))
  await new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp().create(false).truncate(0)).run({});
  t.deepEqual(w.log, ['map.markExists(3)', 'dio.operate(create,truncate)']);
  t.is(w.objects.get(OID)?.length, 0);
});

test('zero of part of a missing object in a clone: copy-up, then the zero in the same op', async (t) => {
  const { w, env, dio } = setup();
  const d = decideWrite('zero', { offset: 16, length: 16, objectSize: OBJ_SIZE }, undefined, true);
  await new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp().zero(16, 16)).run({});
  t.deepEqual(
    w.log.filter((l) => !l.startsWith('map.')),
    ['dio.operate(stat,zero) → ENOENT', 'parent.read(12288,4096)', 'dio.operate(call(rbd.copyup),zero)'],
  );
  const obj = w.objects.get(OID)!;
  t.is(obj.length, OBJ_SIZE);
  t.true(obj.subarray(16, 32).equals(Buffer.alloc(16)));
  t.true(obj.subarray(0, 16).equals(patterned(OBJ_START + 16).subarray(OBJ_START)));
});

test('deep copy-up (snapshots, non-zero parent data): bare copyup, snapshot maps, then the write with the snapc', async (t) => {
  const snapc = { seq: 7n, snaps: [7n, 4n] };
  const { w, env, dio, bareIoctxs } = setup({ snapc });
  const data = Buffer.from('after the snapshots');
  const d = decideWrite('write', { offset: 0, length: data.length, objectSize: OBJ_SIZE }, undefined, true);
  await new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp().write(data, 0)).run({});
  const at = (s: string) => w.log.indexOf(s);
  t.deepEqual(
    w.log.filter((l) => !l.startsWith('map.')),
    ['dio.operate(stat,write) → ENOENT', 'parent.read(12288,4096)', 'bare.operate(call(rbd.copyup))', 'dio.operate(write)'],
  );
  t.is(bareIoctxs(), 1);
  // the copy-up goes out with an empty snap context (CopyupRequest::copyup
  // copyup_io_context.write_snap_context({}); rbd.c rbd_obj_copyup_empty_snapc), so the OSD
  // treats the parent bytes as older than every snapshot
  const copyup = w.sent.find((s) => s.io === 'bare')!;
  t.is(copyup.snapc, undefined);
  t.is(copyup.oid, OID);
  t.true(copyupInput(copyup.op).equals(patterned(8 * OBJ_SIZE).subarray(OBJ_START, OBJ_START + OBJ_SIZE)));
  // the modification follows with the image's snap context and no copyup of its own
  const last = w.sent[w.sent.length - 1]!;
  t.is(last.io, 'dio');
  t.deepEqual(last.snapc, snapc);
  t.deepEqual(
    last.op.ops.map((x) => x.op),
    [OsdOpCode.WRITE],
  );
  t.true(at('map.markSnapshotsExist(3)') >= 0, 'snapshot object maps updated');
  t.true(at('map.markSnapshotsExist(3)') < at('dio.operate(write)'), 'snapshot maps before the write with the snapc');
  t.true(at('bare.operate(call(rbd.copyup))') < at('dio.operate(write)'), 'copyup before the write');
  t.true(at('map.markExists(3)') < at('bare.operate(call(rbd.copyup))'), 'head map EXISTS before any data');
});

// librbd CopyupRequest::handle_read_from_parent → update_object_maps (HEAD and every snapshot,
// C_UpdateObjectMap) → handle_update_object_maps → copyup(); rbd.c rbd_obj_advance_copyup:
// RBD_OBJ_COPYUP_READ_PARENT → rbd_obj_copyup_object_maps → RBD_OBJ_COPYUP_OBJECT_MAPS →
// rbd_obj_copyup_write_object. Both update the snapshots' maps before any copy-up data lands
// (a crash leaves a map saying "may exist", never a snapshot holding data its map calls
// NONEXISTENT). CopyupRequest here copies up first: a known disagreement (see report).
test('deep copy-up updates the snapshot maps before the bare copyup (librbd / rbd.c order)', async (t) => {
  const { w, env, dio } = setup({ snapc: { seq: 7n, snaps: [7n, 4n] } });
  const d = decideWrite('write', { offset: 0, length: 1, objectSize: OBJ_SIZE }, undefined, true);
  await new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp().write(Buffer.from('x'), 0)).run({});
  t.true(w.log.indexOf('map.markSnapshotsExist(3)') < w.log.indexOf('bare.operate(call(rbd.copyup))'));
});

test('copy-up of all-zero parent data with snapshots is not deep: no snapshot maps, copyup + write in one op', async (t) => {
  // CopyupRequest::copyup: deep_copyup = !snapc.snaps.empty() && !m_copyup_is_zero; rbd.c
  // rbd_obj_copyup_write_object: snapc->num_snaps && bytes > 0; RBD_OBJ_FLAG_COPYUP_ZEROS skips the snapshot maps
  const { w, env, dio, bareIoctxs } = setup({ parent: Buffer.alloc(8 * OBJ_SIZE), snapc: { seq: 7n, snaps: [7n] } });
  const d = decideWrite('write', { offset: 0, length: 2, objectSize: OBJ_SIZE }, undefined, true);
  await new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp().write(Buffer.from('hi'), 0)).run({});
  t.deepEqual(w.log, [
    'map.markExists(3)',
    'dio.operate(stat,write) → ENOENT',
    'parent.read(12288,4096)',
    'map.markExists(3)',
    'dio.operate(call(rbd.copyup),write)',
  ]);
  t.is(bareIoctxs(), 0);
  t.is(copyupInput(w.sent[1]!.op).length, 0, 'zero data is sent as an empty copyup');
  t.is(w.objects.get(OID)!.toString(), 'hi');
});

test('flatten of an all-zero parent object writes nothing', async (t) => {
  // CopyupRequest::is_copyup_required: m_copyup_is_zero and only empty write ops (flatten's) → "no-op, skipping"
  for (const state of [undefined, OBJECT_NONEXISTENT, OBJECT_PENDING]) {
    const { w, env, dio, bareIoctxs } = setup({ parent: Buffer.alloc(8 * OBJ_SIZE), snapc: { seq: 2n, snaps: [2n] } });
    const d = decideWrite('flatten', { offset: 0, length: OBJ_SIZE, objectSize: OBJ_SIZE }, state, true);
    const req = new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp());
    await req.run({});
    t.is(req.state, 'done');
    const probe = state === OBJECT_NONEXISTENT ? [] : ['dio.stat → ENOENT'];
    t.deepEqual(w.log, [...probe, 'parent.read(12288,4096)'], STATE_NAME.get(state));
    t.deepEqual(w.sent, [], 'no op sent');
    t.is(bareIoctxs(), 0);
    t.false(w.objects.has(OID));
  }
});

test('flatten of an object the child has: a stat, no parent read, nothing written', async (t) => {
  const { w, env, dio } = setup();
  w.objects.set(OID, Buffer.from('mine'));
  const d = decideWrite('flatten', { offset: 0, length: OBJ_SIZE, objectSize: OBJ_SIZE }, undefined, true);
  await new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp()).run({});
  t.deepEqual(w.log, ['dio.stat']);
  t.is(w.objects.get(OID)!.toString(), 'mine');
});

test('flatten copies the parent bytes up to the overlap (clipped, trailing zeros dropped)', async (t) => {
  const parent = patterned(8 * OBJ_SIZE);
  parent.fill(0, OBJ_START + 900, OBJ_START + 1000); // zeros at the end of the overlapped part
  const { w, env, dio } = setup({ parent, overlap: OBJ_START + 1000 });
  const d = decideWrite('flatten', { offset: 0, length: OBJ_SIZE, objectSize: OBJ_SIZE }, OBJECT_NONEXISTENT, true);
  await new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp()).run({});
  t.deepEqual(w.log, ['parent.read(12288,1000)', 'map.markExists(3)', 'dio.operate(call(rbd.copyup))']);
  t.true(w.objects.get(OID)!.equals(parent.subarray(OBJ_START, OBJ_START + 900)));
});

test('flatten with snapshots: bare copyup, then a zero-length write that carries the snapc', async (t) => {
  // librbd: the flatten request's add_copyup_ops is an empty write (ObjectWriteRequest with no data)
  const snapc = { seq: 5n, snaps: [5n] };
  const { w, env, dio } = setup({ snapc });
  const d = decideWrite('flatten', { offset: 0, length: OBJ_SIZE, objectSize: OBJ_SIZE }, OBJECT_NONEXISTENT, true);
  await new ObjectWriteRequest(env, dio, OBJNO, d, new WriteOp()).run({});
  t.deepEqual(
    w.log.filter((l) => !l.startsWith('map.')),
    ['parent.read(12288,4096)', 'bare.operate(call(rbd.copyup))', 'dio.operate(write)'],
  );
  const last = w.sent[w.sent.length - 1]!;
  t.deepEqual(last.snapc, snapc);
  t.is(Number(last.op.ops[0]!.extent!.length), 0);
  t.true(w.objects.get(OID)!.equals(patterned(8 * OBJ_SIZE).subarray(OBJ_START, OBJ_START + OBJ_SIZE)));
});
