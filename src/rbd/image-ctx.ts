// The state of an open image, as librbd's ImageCtx keeps it: the header (size, features,
// flags, object prefix, data pool, layout), the snap context and snapshots, the parent and
// its overlap, the snapshot the handle is open at, and the client's librbd options. refresh()
// re-reads it all with two compound ops on rbd_header.<id> (librbd image/RefreshRequest):
// one for the header fields, one with the per-snapshot reads.

import { cephError, CephError, isErrno } from '../encoding/errno.js';
import type { UTime } from '../encoding/types.js';
import type { CallOptions, IoCtx } from '../rados/ioctx.js';
import type { SnapContext } from '../rados/messages/osd-op.js';
import { ReadOp } from '../rados/op-builder.js';
import { CEPH_NOSNAP } from '../rados/osd-ops.js';
import * as R from './cls/rbd.js';
import { FEATURES_ALL } from './features.js';
import { makeLayout, objectCount, type Layout } from './layout.js';
import { headerObject } from './names.js';
import { ioOptions, type RbdOptions } from './options.js';
import { objectImageExtents } from './striper.js';

/** One snapshot as the header records it (cls_rbd snapshot_get and friends). */
export interface SnapState {
  readonly id: bigint;
  readonly name: string;
  readonly size: number;
  readonly protection: number;
  readonly timestamp: UTime;
  readonly namespace: R.SnapNamespace;
  readonly childCount: number;
  readonly flags: number;
  readonly parentOverlap: number | undefined;
}

const EPOCH: UTime = { sec: 0, nsec: 0 };

/** The header reads of a refresh, in one op; the optional ones (FAILOK) may fail alone. */
function headerCalls() {
  return [
    R.getSize(),
    R.getFeatures(CEPH_NOSNAP, false),
    R.getFlags(),
    R.getSnapContext(),
    R.getObjectPrefix(),
    R.getDataPool(),
    R.getCreateTimestamp(),
    R.getAccessTimestamp(),
    R.getModifyTimestamp(),
    R.opFeaturesGet(),
    R.parentGet(), // optional: ENOENT without a parent on some releases
    R.parentOverlapGet(), // optional
    R.getStripeUnitCount(), // optional: ENOEXEC without STRIPINGV2
  ] as const;
}
const FIRST_OPTIONAL_CALL = 10;

/** The per-snapshot reads of a refresh: info, protection, flags, overlap (optional). */
function snapCalls(id: bigint) {
  return [R.snapshotGet(id), R.getProtectionStatus(id), R.getFlags(id), R.parentOverlapGet(id)] as const;
}

export class ImageCtx {
  size = 0;
  features = 0;
  flags = 0;
  opFeatures = 0;
  objectPrefix = '';
  /** the data pool's id, -1 when the data objects live in the image's own pool */
  dataPoolId = -1;
  layout: Layout = makeLayout(22);
  snapc: SnapContext = { seq: 0n, snaps: [] };
  /** every snapshot (user, trash, mirror, group namespaces), by id */
  snaps: SnapState[] = [];
  parent: R.ParentImageSpec | undefined;
  /** the head's parent overlap */
  parentOverlap: number | undefined;
  created: UTime = EPOCH;
  accessed: UTime = EPOCH;
  modified: UTime = EPOCH;
  /** the snapshot the handle is open at (CEPH_NOSNAP: the head) */
  snapId: bigint = CEPH_NOSNAP;
  readonly options: RbdOptions;

  constructor(
    readonly io: IoCtx,
    public name: string,
    readonly id: string,
    readonly readOnly: boolean,
  ) {
    this.options = ioOptions(io);
  }

  get headerOid(): string {
    return headerObject(this.id);
  }

  /** An error about this image: errno name, message, the op. */
  error(code: string, message: string, op: string): CephError {
    return cephError(code, message, { op, image: this.name });
  }

  /** Re-read the header and the snapshots (librbd's refresh). */
  async refresh(opts: CallOptions = {}): Promise<void> {
    const calls = headerCalls();
    const op = new ReadOp();
    calls.forEach((c, i) => {
      op.call(c.cls, c.method, c.input);
      if (i >= FIRST_OPTIONAL_CALL) op.failOk();
    });
    let r;
    try {
      r = await this.io.operate(this.headerOid, op, opts);
    } catch (e) {
      if (isErrno(e, 'ENOENT')) throw this.error('ENOENT', `image ${this.name} (id ${this.id}) has no header`, 'open');
      throw e;
    }
    const out = <T>(i: number, c: R.ClsCall<T>): T | undefined => {
      const o = r.ops[i]!;
      return o.rval < 0 ? undefined : c.decode(o.outdata);
    };
    const size = out(0, calls[0])!;
    const features = out(1, calls[1])!;
    if (features.incompatible & ~FEATURES_ALL) {
      throw this.error('ENOSYS', `image uses unsupported features 0x${features.incompatible.toString(16)}`, 'open');
    }
    const parent = out(10, calls[10]);
    const stripe = out(12, calls[12]);
    this.size = size.size;
    this.features = features.features;
    this.flags = out(2, calls[2])!;
    this.snapc = out(3, calls[3])!;
    this.objectPrefix = out(4, calls[4])!;
    this.dataPoolId = out(5, calls[5])!;
    this.created = out(6, calls[6])!;
    this.accessed = out(7, calls[7])!;
    this.modified = out(8, calls[8])!;
    this.opFeatures = out(9, calls[9])!;
    this.layout = makeLayout(size.order, stripe?.stripeUnit ?? 0, stripe?.stripeCount ?? 0);
    this.parent = parent && R.parentExists(parent) ? parent : undefined;
    this.parentOverlap = this.parent ? out(11, calls[11]) : undefined;
    this.snaps = await this.readSnaps(this.snapc.snaps, opts);
  }

  private async readSnaps(ids: bigint[], opts: CallOptions): Promise<SnapState[]> {
    if (ids.length === 0) return [];
    const op = new ReadOp();
    for (const id of ids) {
      snapCalls(id).forEach((c, i) => {
        op.call(c.cls, c.method, c.input);
        if (i === 3) op.failOk();
      });
    }
    const r = await this.io.operate(this.headerOid, op, opts);
    const snaps = ids.map((id, k): SnapState => {
      const cs = snapCalls(id);
      const o = (i: number) => r.ops[k * cs.length + i]!;
      const info = cs[0].decode(o(0).outdata);
      return {
        id,
        name: info.name,
        size: info.imageSize,
        protection: cs[1].decode(o(1).outdata),
        timestamp: info.timestamp,
        namespace: info.namespace,
        childCount: info.childCount,
        flags: cs[2].decode(o(2).outdata),
        parentOverlap: o(3).rval < 0 ? undefined : cs[3].decode(o(3).outdata),
      };
    });
    return snaps.sort((a, b) => (a.id < b.id ? -1 : 1));
  }

  /** The snapshot the handle is open at, if any. */
  get openSnap(): SnapState | undefined {
    return this.snapId === CEPH_NOSNAP ? undefined : this.snaps.find((s) => s.id === this.snapId);
  }

  /** A user-namespace snapshot by name; ENOENT otherwise. */
  userSnap(name: string, op: string): SnapState {
    const s = this.findUserSnap(name);
    if (!s) throw this.error('ENOENT', `snapshot ${name} does not exist`, op);
    return s;
  }

  findUserSnap(name: string): SnapState | undefined {
    return this.snaps.find((x) => x.name === name && x.namespace.type === R.SnapNamespaceType.USER);
  }

  /** Size at the open snapshot (or the head). */
  get currentSize(): number {
    return this.openSnap?.size ?? this.size;
  }

  /** Header flags at the open snapshot (or the head). */
  get currentFlags(): number {
    return this.snapId === CEPH_NOSNAP ? this.flags : (this.openSnap?.flags ?? 0);
  }

  /** The parent overlap that applies at the open snapshot (or head), undefined without a parent. */
  get rawOverlap(): number | undefined {
    if (!this.parent) return undefined;
    return this.snapId === CEPH_NOSNAP ? this.parentOverlap : this.openSnap?.parentOverlap;
  }

  /** The parent overlap clipped to the current size: bytes below it read through to the parent. */
  get overlap(): number {
    return Math.min(this.rawOverlap ?? 0, this.currentSize);
  }

  /** Number of data objects at the current size. */
  get objectCount(): number {
    return objectCount(this.layout, this.currentSize);
  }

  /** Whether some of an object's image bytes lie below `overlap` (the parent has data for it). */
  hasParentData(objno: number, overlap: number): boolean {
    return overlap > 0 && objectImageExtents(this.layout, objno).some(([o]) => o < overlap);
  }

  /**
   * A fresh IoCtx on the data pool: I/O sets the image's snap context (or read snap) on it,
   * which must not stick to the caller's IoCtx (its metadata writes would then clone
   * rbd_directory, headers and object maps).
   */
  async dataIoctx(): Promise<IoCtx> {
    if (this.dataPoolId < 0 || this.dataPoolId === this.io.poolId) return this.io.withNamespace(this.io.namespace);
    return this.io.cluster.openIoctx(this.dataPoolId, { namespace: this.io.namespace });
  }

  /** The data IoCtx for writes: the image's snap context set. */
  async writeIoctx(): Promise<IoCtx> {
    const dio = await this.dataIoctx();
    dio.setSnapContext(this.snapc.seq, this.snapc.snaps);
    return dio;
  }

  /** The data IoCtx for reads: reading at the open snapshot. */
  async readIoctx(): Promise<IoCtx> {
    const dio = await this.dataIoctx();
    dio.setReadSnap(this.snapId);
    return dio;
  }
}
