// An open format-2 image: its header state (read with compound cls calls, as librbd's
// refresh does), snapshots, protection, parent and children, resize; every metadata
// change ends with the header-update notify that makes librbd clients refresh.

import { CephError, DecodeError, errnoNumber, ignoring } from '../encoding/errno.js';
import { utimeToDate, type UTime } from '../encoding/types.js';
import { recycleReadBuffer, type CallOptions, type IoCtx } from '../rados/ioctx.js';
import { ReadOp, WriteOp } from '../rados/op-builder.js';
import { Throttle } from '../rados/throttle.js';
import { CEPH_NOSNAP } from '../rados/osd-ops.js';
import * as R from './cls/rbd.js';
import { call } from './cls/exec.js';
import { Feature, HeaderFlag, OpFeature, featureNames, flagNames, opFeatureNames } from './features.js';
import { makeLayout, objectCount, type Layout } from './layout.js';
import { mapExtent, objectImageExtents, type ObjectExtent } from './striper.js';
import { RBD_CHILDREN, RBD_DIRECTORY, dataObject, headerObject, idObject, objectMapObject } from './names.js';
import { ImageReadStream, ImageWriteStream, type ImageReadStreamOptions, type ImageWriteStreamOptions } from './stream.js';
import { ioOptions } from './options.js';
import { OBJECT_EXISTS, OBJECT_EXISTS_CLEAN, OBJECT_NONEXISTENT, OBJECT_PENDING, ObjectMap } from './object-map.js';
import type { ChildInfo, ImageStat, ParentInfo, RbdInfoJson, SnapInfo } from './types.js';
import { ExclusiveLock } from './exclusive-lock.js';
import { guardedMapOp, lockObjectMap, unlockObjectMap } from './object-map-lock.js';
import type { ClsCall } from './cls/rbd.js';
import { HEADER_UPDATE_NOTIFY } from './watch-notify.js';

/** NotifyMessage{HEADER_UPDATE}: ENC(7,1) { u32 op 3 } */
const HEADER_UPDATE = HEADER_UPDATE_NOTIFY;

interface SnapState {
  id: bigint;
  name: string;
  size: number;
  protection: number;
  timestamp: UTime;
  namespace: R.SnapNamespace;
  childCount: number;
  flags: number;
  parentOverlap: number | undefined;
}

export interface OpenOptions extends CallOptions {
  /** open at this snapshot (read-only) */
  snapshot?: string;
  /** open at this snapshot id (read-only; how a clone opens its parent) */
  snapId?: bigint;
  readOnly?: boolean;
}

function rbdError(errno: string, message: string, image: string, op: string): CephError {
  return new CephError(errnoNumber(errno), message, { op, image });
}

/** Read calls that may fail without failing the op (FAILOK), with their default. */
async function readHeader(io: IoCtx, oid: string, opts: CallOptions) {
  const calls = [
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
    R.parentGet(),
    R.parentOverlapGet(),
    R.getStripeUnitCount(),
  ] as const;
  const optional = new Set([10, 11, 12]); // parent (none: ENOENT on some paths), overlap, striping (ENOEXEC)
  const op = new ReadOp();
  calls.forEach((c, i) => {
    op.call(c.cls, c.method, c.input);
    if (optional.has(i)) op.failOk();
  });
  const r = await io.operate(oid, op, opts);
  const out = <T>(i: number, c: R.ClsCall<T>): T | undefined => {
    const o = r.ops[i]!;
    return o.rval < 0 ? undefined : c.decode(o.outdata);
  };
  return {
    size: out(0, calls[0])!,
    features: out(1, calls[1])!,
    flags: out(2, calls[2])!,
    snapc: out(3, calls[3])!,
    objectPrefix: out(4, calls[4])!,
    dataPool: out(5, calls[5])!,
    created: out(6, calls[6])!,
    accessed: out(7, calls[7])!,
    modified: out(8, calls[8])!,
    opFeatures: out(9, calls[9])!,
    parent: out(10, calls[10]),
    overlap: out(11, calls[11]),
    stripe: out(12, calls[12]),
  };
}

export class Image {
  size = 0;
  features = 0;
  flags = 0;
  opFeatures = 0;
  objectPrefix = '';
  dataPoolId = -1;
  layout: Layout = makeLayout(22);
  snapc: { seq: bigint; snaps: bigint[] } = { seq: 0n, snaps: [] };
  snaps: SnapState[] = [];
  parent: R.ParentImageSpec | undefined;
  parentOverlap: number | undefined;
  created: UTime = { sec: 0, nsec: 0 };
  accessed: UTime = { sec: 0, nsec: 0 };
  modified: UTime = { sec: 0, nsec: 0 };
  /** the snapshot this image is open at, if any */
  snapId: bigint = CEPH_NOSNAP;
  private closed = false;

  private constructor(
    readonly io: IoCtx,
    public name: string,
    readonly id: string,
    readonly readOnly: boolean,
  ) {}

  get headerOid(): string {
    return headerObject(this.id);
  }

  /** Open an image by name (python-rbd Image(ioctx, name, snapshot, read_only)). */
  static async open(io: IoCtx, name: string, opts: OpenOptions = {}): Promise<Image> {
    let id: string;
    try {
      id = await call(io, idObject(name), R.getId(), opts);
    } catch (e) {
      if (e instanceof CephError && e.code === 'ENOENT') throw rbdError('ENOENT', `image ${name} does not exist`, name, 'open');
      throw e;
    }
    return Image.openById(io, id, name, opts);
  }

  /** Open an image whose id is known (its name is looked up if not given). */
  static async openById(io: IoCtx, id: string, name?: string, opts: OpenOptions = {}): Promise<Image> {
    const nm = name ?? (await call(io, RBD_DIRECTORY, R.dirGetName(id), opts).catch(() => id));
    const img = new Image(io, nm, id, !!(opts.readOnly || opts.snapshot || opts.snapId !== undefined));
    await img.refresh(opts);
    if (opts.snapshot !== undefined) {
      const s = img.snaps.find((x) => x.name === opts.snapshot && x.namespace.type === R.SnapNamespaceType.USER);
      if (!s) throw rbdError('ENOENT', `snapshot ${opts.snapshot} does not exist`, nm, 'open');
      img.snapId = s.id;
    } else if (opts.snapId !== undefined) {
      if (!img.snaps.some((x) => x.id === opts.snapId)) throw rbdError('ENOENT', `snapshot id ${opts.snapId} does not exist`, nm, 'open');
      img.snapId = opts.snapId;
    }
    if (img.snapId !== CEPH_NOSNAP) await img.loadObjectMap(opts);
    return img;
  }

  /** Re-read the header: size, features, snapshots, parent (librbd's refresh). */
  async refresh(opts: CallOptions = {}): Promise<void> {
    let h: Awaited<ReturnType<typeof readHeader>>;
    try {
      h = await readHeader(this.io, this.headerOid, opts);
    } catch (e) {
      if (e instanceof CephError && e.code === 'ENOENT') throw rbdError('ENOENT', `image ${this.name} (id ${this.id}) has no header`, this.name, 'open');
      throw e;
    }
    if (h.features.incompatible & ~2047) throw rbdError('ENOSYS', `image uses unsupported features 0x${h.features.incompatible.toString(16)}`, this.name, 'open');
    this.size = h.size.size;
    this.features = h.features.features;
    this.flags = h.flags;
    this.opFeatures = h.opFeatures;
    this.objectPrefix = h.objectPrefix;
    this.dataPoolId = h.dataPool;
    this.layout = makeLayout(h.size.order, h.stripe?.stripeUnit ?? 0, h.stripe?.stripeCount ?? 0);
    this.snapc = h.snapc;
    this.created = h.created;
    this.accessed = h.accessed;
    this.modified = h.modified;
    this.parent = h.parent && R.parentExists(h.parent) ? h.parent : undefined;
    this.parentOverlap = this.parent ? h.overlap : undefined;
    // snapshots: one op with the per-snapshot reads
    this.snaps = [];
    if (h.snapc.snaps.length) {
      const op = new ReadOp();
      const per = (id: bigint) => [R.snapshotGet(id), R.getProtectionStatus(id), R.getFlags(id), R.parentOverlapGet(id)] as const;
      for (const id of h.snapc.snaps) {
        const cs = per(id);
        cs.forEach((c, i) => {
          op.call(c.cls, c.method, c.input);
          if (i === 3) op.failOk();
        });
      }
      const r = await this.io.operate(this.headerOid, op, opts);
      h.snapc.snaps.forEach((id, k) => {
        const cs = per(id);
        const o = (i: number) => r.ops[k * 4 + i]!;
        const info = cs[0].decode(o(0).outdata);
        this.snaps.push({
          id,
          name: info.name,
          size: info.imageSize,
          protection: cs[1].decode(o(1).outdata),
          timestamp: info.timestamp,
          namespace: info.namespace,
          childCount: info.childCount,
          flags: cs[2].decode(o(2).outdata),
          parentOverlap: o(3).rval < 0 ? undefined : cs[3].decode(o(3).outdata),
        });
      });
      this.snaps.sort((a, b) => (a.id < b.id ? -1 : 1));
    }
  }

  private checkOpen(op: string): void {
    if (this.closed) throw rbdError('ESHUTDOWN', 'image is closed', this.name, op);
  }

  private checkWritable(op: string): void {
    this.checkOpen(op);
    if (this.readOnly) throw rbdError('EROFS', 'image is open read-only', this.name, op);
  }

  /** Tell watchers (librbd clients holding the image open) to refresh. */
  async notifyUpdate(): Promise<void> {
    try {
      await this.io.notify(this.headerOid, HEADER_UPDATE, { timeoutMs: 5000 });
    } catch (e) {
      if (!(e instanceof CephError) || !['ETIMEDOUT', 'ENOENT'].includes(e.code)) throw e;
    }
  }

  // ---- info ------------------------------------------------------------------------------------

  private snap(name: string, op: string): SnapState {
    const s = this.snaps.find((x) => x.name === name && x.namespace.type === R.SnapNamespaceType.USER);
    if (!s) throw rbdError('ENOENT', `snapshot ${name} does not exist`, this.name, op);
    return s;
  }

  /** Size at the open snapshot (or head). */
  get currentSize(): number {
    if (this.snapId === CEPH_NOSNAP) return this.size;
    return this.snaps.find((s) => s.id === this.snapId)?.size ?? this.size;
  }

  stat(): ImageStat {
    const size = this.currentSize;
    return {
      size,
      objSize: this.layout.objectSize,
      numObjs: objectCount(this.layout, size),
      order: this.layout.order,
      blockNamePrefix: this.objectPrefix,
      parentPool: this.parent?.poolId ?? -1,
      parentName: '',
    };
  }

  /** Every field `rbd info --format json` prints, same keys and values. */
  async info(opts: CallOptions = {}): Promise<RbdInfoJson> {
    const fmt = (t: UTime) => ctime(utimeToDate(t));
    const size = this.currentSize;
    const j: RbdInfoJson = {
      name: this.name,
      id: this.id,
      size,
      objects: objectCount(this.layout, size),
      order: this.layout.order,
      object_size: this.layout.objectSize,
      snapshot_count: this.snaps.filter((s) => s.namespace.type === R.SnapNamespaceType.USER).length,
      block_name_prefix: this.objectPrefix,
      format: 2,
      features: featureNames(this.features),
      op_features: opFeatureNames(this.opFeatures),
      flags: flagNames(this.snapId === CEPH_NOSNAP ? this.flags : (this.snaps.find((s) => s.id === this.snapId)?.flags ?? 0)),
      create_timestamp: fmt(this.created),
      access_timestamp: fmt(this.accessed),
      modify_timestamp: fmt(this.modified),
    };
    if (this.dataPoolId >= 0) j.data_pool = this.io.cluster.poolName(this.dataPoolId) ?? String(this.dataPoolId);
    if (this.features & Feature.STRIPINGV2) {
      j.stripe_unit = this.layout.stripeUnit;
      j.stripe_count = this.layout.stripeCount;
    }
    const p = await this.parentInfo(opts);
    if (p) {
      j.parent = { pool: p.pool, pool_namespace: p.poolNamespace, image: p.image, id: p.imageId, snapshot: p.snapshot, trash: p.trash, overlap: p.overlap };
    }
    if (this.snapId !== CEPH_NOSNAP) {
      const s = this.snaps.find((x) => x.id === this.snapId);
      j.protected = s?.protection === R.Protection.PROTECTED ? 'true' : 'false';
    }
    return j;
  }

  /** The parent of the head (or of the open snapshot): pool, image, snapshot, overlap. */
  async parentInfo(opts: CallOptions = {}): Promise<ParentInfo | undefined> {
    const spec = this.parent;
    if (!spec) return undefined;
    const overlap = this.snapId === CEPH_NOSNAP ? this.parentOverlap : this.snaps.find((s) => s.id === this.snapId)?.parentOverlap;
    if (overlap === undefined) return undefined;
    const pio = await this.io.cluster.openIoctx(spec.poolId, { namespace: spec.poolNamespace });
    let image = '';
    let trash = false;
    try {
      image = await call(pio, RBD_DIRECTORY, R.dirGetName(spec.imageId), opts);
    } catch (e) {
      if (!(e instanceof CephError && e.code === 'ENOENT')) throw e;
      trash = true;
    }
    let snapshot = '';
    try {
      const si = await call(pio, headerObject(spec.imageId), R.snapshotGet(spec.snapId), opts);
      // a snapshot in the trash namespace goes by its trash name (a uuid), as rbd prints it
      snapshot = si.name;
    } catch (e) {
      if (!(e instanceof CephError && e.code === 'ENOENT')) throw e;
    }
    return {
      poolId: spec.poolId,
      pool: this.io.cluster.poolName(spec.poolId) ?? String(spec.poolId),
      poolNamespace: spec.poolNamespace,
      image,
      imageId: spec.imageId,
      snapshot,
      snapId: spec.snapId,
      overlap,
      trash,
    };
  }

  // ---- snapshots -----------------------------------------------------------------------------

  listSnaps(): SnapInfo[] {
    return this.snaps
      .filter((s) => s.namespace.type === R.SnapNamespaceType.USER)
      .map((s) => ({
        id: s.id,
        name: s.name,
        size: s.size,
        protected: s.protection === R.Protection.PROTECTED,
        timestamp: utimeToDate(s.timestamp),
        namespace: R.snapNamespaceName(s.namespace.type),
        childCount: s.childCount,
      }));
  }

  private async dataIoctx(): Promise<IoCtx> {
    // a fresh IoCtx: rollback and trim set the image's snap context on it, which must not stick to
    // the caller's IoCtx (its metadata writes would then clone rbd_directory, headers, object maps)
    if (this.dataPoolId < 0 || this.dataPoolId === this.io.poolId) return this.io.withNamespace(this.io.namespace);
    return this.io.cluster.openIoctx(this.dataPoolId, { namespace: this.io.namespace });
  }

  /** Create a snapshot: a self-managed snap id in the data pool, then snapshot_add. */
  async createSnap(name: string, opts: CallOptions = {}): Promise<bigint> {
    return this.change('snap_create', opts, async () => {
      if (!name) throw rbdError('EINVAL', 'snapshot name is empty', this.name, 'snap_create');
      await this.refresh(opts);
      if (this.snaps.some((s) => s.name === name && s.namespace.type === R.SnapNamespaceType.USER)) {
        throw rbdError('EEXIST', `snapshot ${name} already exists`, this.name, 'snap_create');
      }
      const dio = await this.dataIoctx();
      for (let attempt = 0; ; attempt++) {
        const snapId = await dio.createSelfManagedSnap(opts);
        try {
          await call(this.io, this.headerOid, R.snapshotAdd(name, snapId), opts);
        } catch (e) {
          await dio.removeSelfManagedSnap(snapId).catch(() => undefined);
          if (e instanceof CephError && e.code === 'ESTALE' && attempt < 5) continue; // a newer id landed meanwhile
          throw e;
        }
        if (this.features & Feature.OBJECT_MAP) {
          // the snapshot's object map is a copy of the head map; the head's EXISTS become EXISTS_CLEAN
          const head = await this.io.read(objectMapObject(this.id), 0).catch(() => undefined);
          if (head) await this.io.writeFull(objectMapObject(this.id, snapId), head, opts);
          if (this.features & Feature.FAST_DIFF) await this.headMap(R.objectMapSnapAdd(), opts).catch(() => undefined);
        }
        await this.refresh(opts);
        await this.notifyUpdate();
        return snapId;
      }
    });
  }

  async removeSnap(name: string, opts: CallOptions = {}): Promise<void> {
    return this.change('snap_remove', opts, async () => {
      await this.refresh(opts);
      const s = this.snap(name, 'snap_remove');
      if (s.protection !== R.Protection.UNPROTECTED) throw rbdError('EBUSY', `snapshot ${name} is protected`, this.name, 'snap_remove');
      if (s.childCount > 0) {
        // clone-v2 children still need it: the snapshot moves to the trash namespace and goes
        // away when its last child detaches (SnapshotRemoveRequest / DetachChildRequest)
        await call(this.io, this.headerOid, R.snapshotTrashAdd(s.id), opts).catch((e: CephError) => {
          if (e.code !== 'EEXIST') throw e;
        });
        await this.refresh(opts);
        await this.notifyUpdate();
        return;
      }
      await this.removeSnapById(s, opts);
    });
  }

  /** Remove a trash-namespace snapshot whose last clone-v2 child went away. */
  async removeTrashSnap(snapId: bigint, opts: CallOptions = {}): Promise<void> {
    await this.refresh(opts);
    const s = this.snaps.find((x) => x.id === snapId);
    if (!s || s.namespace.type !== R.SnapNamespaceType.TRASH || s.childCount > 0) return;
    await this.removeSnapById(s, opts);
  }

  private async removeSnapById(s: SnapState, opts: CallOptions): Promise<void> {
    if (this.features & Feature.FAST_DIFF) {
      // fold the snapshot's map into the next newer one (or the head's), as librbd does: objects
      // that changed before this snapshot stay marked changed (EXISTS) for diffs from older snapshots
      const map = await call(this.io, objectMapObject(this.id, s.id), R.objectMapLoad(), opts).catch(ignoring('ENOENT'));
      const next = this.snaps.find((x) => x.id > s.id); // snaps are sorted by id
      if (map && next) await call(this.io, objectMapObject(this.id, next.id), R.objectMapSnapRemove(map), opts);
      else if (map) await this.headMap(R.objectMapSnapRemove(map), opts);
    }
    await call(this.io, this.headerOid, R.snapshotRemove(s.id), opts);
    if (this.features & Feature.OBJECT_MAP) await this.io.remove(objectMapObject(this.id, s.id), opts).catch(() => undefined);
    const dio = await this.dataIoctx();
    await dio.removeSelfManagedSnap(s.id, opts).catch(ignoring('ENOENT'));
    await this.refresh(opts);
    await this.notifyUpdate();
  }

  async renameSnap(src: string, dst: string, opts: CallOptions = {}): Promise<void> {
    return this.change('snap_rename', opts, async () => {
      await this.refresh(opts);
      const s = this.snap(src, 'snap_rename');
      if (this.snaps.some((x) => x.name === dst && x.namespace.type === R.SnapNamespaceType.USER)) {
        throw rbdError('EEXIST', `snapshot ${dst} already exists`, this.name, 'snap_rename');
      }
      await call(this.io, this.headerOid, R.snapshotRename(s.id, dst), opts);
      await this.refresh(opts);
      await this.notifyUpdate();
    });
  }

  async protectSnap(name: string, opts: CallOptions = {}): Promise<void> {
    return this.change('snap_protect', opts, async () => {
      if (!(this.features & Feature.LAYERING)) throw rbdError('ENOSYS', 'image lacks the layering feature', this.name, 'snap_protect');
      await this.refresh(opts);
      const s = this.snap(name, 'snap_protect');
      if (s.protection === R.Protection.PROTECTED) throw rbdError('EBUSY', `snapshot ${name} is already protected`, this.name, 'snap_protect');
      await call(this.io, this.headerOid, R.setProtectionStatus(s.id, R.Protection.PROTECTED), opts);
      await this.refresh(opts);
      await this.notifyUpdate();
    });
  }

  /** Unprotect: EBUSY while clones (format 1 in any pool, or format 2) exist. */
  async unprotectSnap(name: string, opts: CallOptions = {}): Promise<void> {
    return this.change('snap_unprotect', opts, async () => {
      if (!(this.features & Feature.LAYERING)) throw rbdError('ENOSYS', 'image lacks the layering feature', this.name, 'snap_unprotect');
      await this.refresh(opts);
      const s = this.snap(name, 'snap_unprotect');
      if (s.protection === R.Protection.UNPROTECTED) throw rbdError('EINVAL', `snapshot ${name} is not protected`, this.name, 'snap_unprotect');
      await call(this.io, this.headerOid, R.setProtectionStatus(s.id, R.Protection.UNPROTECTING), opts);
      try {
        const children = await this.listChildren(name, opts);
        if (children.length || s.childCount > 0) {
          throw rbdError('EBUSY', `cannot unprotect: snapshot ${name} has ${Math.max(children.length, s.childCount)} child(ren)`, this.name, 'snap_unprotect');
        }
        await call(this.io, this.headerOid, R.setProtectionStatus(s.id, R.Protection.UNPROTECTED), opts);
      } catch (e) {
        await call(this.io, this.headerOid, R.setProtectionStatus(s.id, R.Protection.PROTECTED), opts).catch(() => undefined);
        throw e;
      }
      await this.refresh(opts);
      await this.notifyUpdate();
    });
  }

  isProtectedSnap(name: string): boolean {
    return this.snap(name, 'snap_is_protected').protection === R.Protection.PROTECTED;
  }

  /** Roll every data object back to the snapshot, then the size. */
  async rollbackToSnap(name: string, opts: CallOptions = {}): Promise<void> {
    return this.change('snap_rollback', opts, async () => {
      await this.refresh(opts);
      const s = this.snap(name, 'snap_rollback');
      const dio = await this.dataIoctx();
      dio.setSnapContext(this.snapc.seq, this.snapc.snaps);
      const n = objectCount(this.layout, Math.max(this.size, s.size));
      for (let i = 0; i < n; i += 16) {
        await Promise.all(
          Array.from({ length: Math.min(16, n - i) }, (_, k) =>
            dio.operate(dataObject(this.objectPrefix, i + k), new WriteOp().rollback(s.id), opts).catch(ignoring('ENOENT')),
          ),
        );
      }
      if (s.size !== this.size) await call(this.io, this.headerOid, R.setSize(s.size), opts);
      if (this.features & Feature.OBJECT_MAP) {
        // the head's object map becomes the snapshot's (librbd object_map::SnapshotRollbackRequest)
        const map = await this.io.read(objectMapObject(this.id, s.id), 0, 0, opts).catch(() => undefined);
        if (map) await this.io.operate(objectMapObject(this.id), this.objectMapLocked ? guardedMapOp([]).writeFull(map) : new WriteOp().writeFull(map), opts);
      }
      await this.refresh(opts);
      await this.notifyUpdate();
    });
  }

  // ---- children --------------------------------------------------------------------------------

  /** Clones of a snapshot (format 1 from every pool's rbd_children, format 2 from the header). */
  async listChildren(snapName?: string, opts: CallOptions = {}): Promise<ChildInfo[]> {
    const snapId = snapName !== undefined ? this.snap(snapName, 'list_children').id : this.snapId;
    if (snapId === CEPH_NOSNAP) throw rbdError('EINVAL', 'list_children needs a snapshot', this.name, 'list_children');
    const out: ChildInfo[] = [];
    const spec: R.ParentImageSpec = { poolId: this.io.poolId, poolNamespace: this.io.namespace, imageId: this.id, snapId };
    const resolve = async (poolId: number, ns: string, id: string): Promise<ChildInfo> => {
      const cio = await this.io.cluster.openIoctx(poolId, { namespace: ns });
      let image = '';
      let trash = false;
      try {
        image = await call(cio, RBD_DIRECTORY, R.dirGetName(id), opts);
      } catch (e) {
        if (!(e instanceof CephError && e.code === 'ENOENT')) throw e;
        trash = true;
      }
      return { poolId, pool: this.io.cluster.poolName(poolId) ?? String(poolId), poolNamespace: ns, image, imageId: id, trash };
    };
    // format 1: rbd_children in every pool's default namespace
    await Promise.all(
      this.io.cluster.poolIds().map(async (poolId) => {
        const cio = await this.io.cluster.openIoctx(poolId);
        let ids: string[] = [];
        try {
          ids = await call(cio, RBD_CHILDREN, R.getChildren({ ...spec, poolNamespace: '' }), opts);
        } catch (e) {
          if (!(e instanceof CephError && ['ENOENT', 'EOPNOTSUPP'].includes(e.code))) throw e;
        }
        for (const id of ids) out.push(await resolve(poolId, '', id));
      }),
    );
    // format 2: children attached to the snapshot
    try {
      const v2 = await call(this.io, this.headerOid, R.childrenList(snapId), opts);
      for (const c of v2) out.push(await resolve(c.poolId, c.poolNamespace, c.imageId));
    } catch (e) {
      if (!(e instanceof CephError && ['ENOENT', 'EOPNOTSUPP'].includes(e.code))) throw e;
    }
    out.sort((a, b) => a.pool.localeCompare(b.pool) || a.poolNamespace.localeCompare(b.poolNamespace) || a.image.localeCompare(b.image));
    return out;
  }

  // ---- resize ----------------------------------------------------------------------------------

  async resize(size: number, opts: CallOptions & { allowShrink?: boolean } = {}): Promise<void> {
    return this.change('resize', opts, async () => {
      if (!Number.isSafeInteger(size) || size < 0) throw rbdError('EINVAL', `bad size ${size}`, this.name, 'resize');
      await this.refresh(opts);
      if (size === this.size) return;
      const newCount = objectCount(this.layout, size);
      if (size > this.size) {
        if (this.features & Feature.OBJECT_MAP) await this.headMap(R.objectMapResize(newCount, 0), opts);
        await call(this.io, this.headerOid, R.setSize(size), opts);
      } else {
        if (opts.allowShrink === false) throw rbdError('EINVAL', 'shrinking is not allowed', this.name, 'resize');
        // object map entries of the objects trimmed away: EXISTS → PENDING before, → NONEXISTENT after
        // (librbd TrimRequest); object_map_resize refuses (ESTALE) to drop entries that are not NONEXISTENT
        const oldCount = objectCount(this.layout, this.size);
        const om = !!(this.features & Feature.OBJECT_MAP) && newCount < oldCount;
        if (om) await this.headMap(R.objectMapUpdate(newCount, oldCount, 2, 1), opts);
        // the object truncated at the new end is written: EXISTS_CLEAN → EXISTS (fast-diff sees the change)
        if (this.features & Feature.OBJECT_MAP && this.layout.stripeCount === 1 && size % this.layout.objectSize !== 0) {
          await this.headMap(R.objectMapUpdate(newCount - 1, newCount, 1, 1), opts);
        }
        await this.trim(size, opts);
        if (om) await this.headMap(R.objectMapUpdate(newCount, oldCount, 0, 2), opts);
        await call(this.io, this.headerOid, R.setSize(size), opts);
        if (this.features & Feature.OBJECT_MAP) await this.headMap(R.objectMapResize(newCount, 0), opts);
      }
      await this.refresh(opts);
      await this.notifyUpdate();
    });
  }

  /** Remove (or truncate) the data objects beyond `size` (simple layouts: one stripe). */
  async trim(size: number, opts: CallOptions = {}): Promise<void> {
    const dio = await this.dataIoctx();
    dio.setSnapContext(this.snapc.seq, this.snapc.snaps);
    const oldCount = objectCount(this.layout, this.size);
    const keep = objectCount(this.layout, size);
    const partial = this.layout.stripeCount === 1 && size % this.layout.objectSize !== 0;
    const ignoreMissing = ignoring('ENOENT');
    for (let i = keep; i < oldCount; i += 32) {
      await Promise.all(
        Array.from({ length: Math.min(32, oldCount - i) }, (_, k) => dio.remove(dataObject(this.objectPrefix, i + k), opts).catch(ignoreMissing)),
      );
    }
    if (partial && keep > 0) {
      await dio.truncate(dataObject(this.objectPrefix, keep - 1), size % this.layout.objectSize, opts).catch(ignoreMissing);
    }
  }

  // ---- reads ---------------------------------------------------------------------------------

  private parentImage: Promise<Image> | undefined;

  /** The parent, opened read-only at the parent snapshot (cached). */
  private openParent(): Promise<Image> | undefined {
    const spec = this.parent;
    if (!spec) return undefined;
    this.parentImage ??= this.io.cluster
      .openIoctx(spec.poolId, { namespace: spec.poolNamespace })
      .then((pio) => Image.openById(pio, spec.imageId, undefined, { snapId: spec.snapId }));
    return this.parentImage;
  }

  /** The parent overlap that applies to the open snapshot (or head). */
  private get overlap(): number {
    if (!this.parent) return 0;
    const o = this.snapId === CEPH_NOSNAP ? this.parentOverlap : this.snaps.find((s) => s.id === this.snapId)?.parentOverlap;
    return Math.min(o ?? 0, this.currentSize);
  }

  /**
   * Read image bytes (clipped at the image size). Objects the image lacks read from the
   * parent within the overlap (recursively through clone chains) and as zeros elsewhere.
   */
  async read(offset: number, length: number, opts: CallOptions = {}): Promise<Buffer> {
    this.checkOpen('read');
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw rbdError('EINVAL', `bad extent ${offset}~${length}`, this.name, 'read');
    }
    if (this.exclusiveLock?.headerUpdated) {
      // a librbd client changed the header (resize, snapshot): read with the new state
      this.exclusiveLock.headerUpdated = false;
      await this.refresh(opts);
    }
    const size = this.currentSize;
    const len = Math.max(0, Math.min(length, size - offset));
    if (len === 0) return Buffer.alloc(0);
    let buf: Buffer | undefined; // allocated only when the answer is assembled from pieces
    const out = (): Buffer => (buf ??= Buffer.alloc(len));
    const dio = await this.dataIoctx();
    dio.setReadSnap(this.snapId);
    const overlap = this.overlap;
    const extents = mapExtent(this.layout, offset, len);
    let whole: Buffer | undefined;
    const readOne = async (ex: ObjectExtent): Promise<void> => {
      let data: Buffer | undefined;
      const known = this.objectMap?.get(ex.objno) === OBJECT_NONEXISTENT;
      if (!known) try {
        data = await dio.read(dataObject(this.objectPrefix, ex.objno), ex.length, ex.offset, opts);
      } catch (e) {
        if (!(e instanceof CephError && e.code === 'ENOENT')) throw e;
      }
      if (data) {
        // the whole range in one object, read in full: its bytes are the answer (no copy)
        if (extents.length === 1 && ex.imageExtents.length === 1 && data.length === len) return void (whole = data);
        // object bytes are contiguous; scatter them to their image positions (short = zeros)
        let at = 0;
        for (const [imgOff, l] of ex.imageExtents) {
          if (at < data.length) data.copy(out(), imgOff - offset, at, Math.min(data.length, at + l));
          at += l;
        }
        recycleReadBuffer(data); // copied out: its memory can take another read
        return;
      }
      const parent = overlap > 0 ? this.openParent() : undefined;
      if (!parent) return;
      const p = await parent;
      for (const [imgOff, l] of ex.imageExtents) {
        const n = Math.min(l, overlap - imgOff);
        if (n <= 0) continue;
        const from = await p.read(imgOff, n, opts);
        from.copy(out(), imgOff - offset);
        recycleReadBuffer(from);
      }
    };
    await this.eachObject(extents, readOne, opts);
    return whole ?? out();
  }

  // ---- writes --------------------------------------------------------------------------------

  /** objects this handle already marked EXISTS in the object map */
  private readonly mapped = new Set<number>();
  /** marks in flight, by object number: a write to the object waits for it */
  private readonly marking = new Map<number, Promise<void>>();

  private async markExists(objno: number, opts: CallOptions): Promise<void> {
    if (!(this.features & Feature.OBJECT_MAP) || this.mapped.has(objno)) return;
    return this.marking.get(objno) ?? this.markRun([objno], opts);
  }

  /**
   * Mark adjacent objects `run` EXISTS in the head object map in one update (skipped when the
   * map already says so), before their data: a crash leaves the map saying "may exist", never
   * the reverse. A write to one of them meanwhile waits for this mark (`marking`).
   */
  private markRun(run: number[], opts: CallOptions): Promise<void> {
    const p = (async () => {
      if (run.some((n) => this.objectMap?.get(n) !== OBJECT_EXISTS)) {
        await this.headMap(R.objectMapUpdate(run[0]!, run[run.length - 1]! + 1, OBJECT_EXISTS), opts);
        for (const n of run) this.objectMap?.set(n, OBJECT_EXISTS);
      }
      for (const n of run) this.mapped.add(n);
    })().finally(() => {
      for (const n of run) if (this.marking.get(n) === p) this.marking.delete(n);
    });
    for (const n of run) this.marking.set(n, p);
    return p;
  }

  /**
   * Do now what a write of [offset, offset + length) does before its data: take the exclusive
   * lock and mark its objects EXISTS in the object map, one update per run of adjacent
   * objects. A bulk writer (import) calls it for chunks it has read ahead, so the update's
   * round trip, which queues on the OSD session behind the data already sent, overlaps
   * the writes in flight instead of delaying each chunk's write. Only for extents that will
   * be written: the map would otherwise say "exists" where no object is.
   */
  async prepareWrite(offset: number, length: number, opts: CallOptions = {}): Promise<void> {
    this.checkWritable('write');
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw rbdError('EINVAL', `bad extent ${offset}~${length}`, this.name, 'write');
    }
    await this.beforeWrite('write', opts);
    if (!(this.features & Feature.OBJECT_MAP) || length === 0) return;
    const todo = [...new Set(mapExtent(this.layout, offset, length).map((ex) => ex.objno))]
      .filter((n) => !this.mapped.has(n) && !this.marking.has(n))
      .sort((a, b) => a - b);
    const runs: number[][] = [];
    for (const n of todo) {
      const run = runs[runs.length - 1];
      if (run && run[run.length - 1] === n - 1) run.push(n);
      else runs.push([n]);
    }
    await Promise.all(
      runs.map((run) => {
        const p = this.markRun(run, opts);
        // not inside a write: tracked here, so flush() and the lock's release wait for it
        const tracked: Promise<void> = p.catch(() => undefined).then(() => void this.inFlight.delete(tracked));
        this.inFlight.add(tracked);
        return p;
      }),
    );
  }

  // ---- object map ----------------------------------------------------------------------------

  /**
   * The object map this handle trusts for reads: a snapshot's (immutable) when open at a
   * snapshot, the head's only while this handle owns the exclusive lock (nobody else writes).
   */
  private objectMap: ObjectMap | undefined;

  /** Load the object map of the open snapshot (or head); an invalid or unreadable map is not used. */
  private async loadObjectMap(opts: CallOptions): Promise<void> {
    this.objectMap = undefined;
    if (!(this.features & Feature.OBJECT_MAP)) return;
    const snap = this.snapId === CEPH_NOSNAP ? undefined : this.snaps.find((x) => x.id === this.snapId);
    if ((snap ? snap.flags : this.flags) & HeaderFlag.OBJECT_MAP_INVALID) return;
    try {
      const raw = await call(this.io, objectMapObject(this.id, snap?.id), R.objectMapLoad(), opts);
      const map = ObjectMap.decode(raw);
      if (map.count >= objectCount(this.layout, snap ? snap.size : this.size)) this.objectMap = map;
    } catch (e) {
      if (!(e instanceof CephError) && !(e instanceof DecodeError)) throw e;
    }
  }

  /** whether this handle holds the head object map's own lock (object-map-lock.ts) */
  private objectMapLocked = false;

  /** A change to the head object map: guarded by its lock while this handle holds it. */
  private async headMap(c: ClsCall<unknown>, opts: CallOptions): Promise<void> {
    const oid = objectMapObject(this.id);
    if (this.objectMapLocked) await this.io.operate(oid, guardedMapOp([c]), opts);
    else await call(this.io, oid, c, opts);
  }

  /** Called by the exclusive lock once this handle owns it: the head map is now ours to trust. */
  async onLockAcquired(opts: CallOptions = {}): Promise<void> {
    this.mapped.clear();
    await this.refresh(opts);
    if (this.features & Feature.OBJECT_MAP) this.objectMapLocked = await lockObjectMap(this.io, this.id, opts);
    await this.loadObjectMap(opts);
  }

  /** Called by the exclusive lock before it unlocks the header: the map's lock goes first. */
  async beforeLockRelease(opts: CallOptions = {}): Promise<void> {
    if (!this.objectMapLocked) return;
    this.objectMapLocked = false;
    await unlockObjectMap(this.io, this.id, opts); // a failure is not fatal (the lock release goes on)
  }

  /** Called when the exclusive lock is given up (or lost): others may now change the head map. */
  onLockReleased(): void {
    this.mapped.clear();
    this.objectMapLocked = false;
    if (this.snapId === CEPH_NOSNAP) this.objectMap = undefined;
  }

  /**
   * Write `data` at `offset` (within the image size), striped over the data objects, with
   * the image's snap context. In a clone, the first write to an object the child lacks
   * copies the parent's bytes up together with the write (rbd.copyup + write in one op).
   * On exclusive-lock images the lock is taken first (asked of its librbd owner if need be).
   */
  async write(data: Buffer, offset: number, opts: CallOptions = {}): Promise<void> {
    this.checkWritable('write');
    if (!Number.isSafeInteger(offset) || offset < 0) throw rbdError('EINVAL', `bad offset ${offset}`, this.name, 'write');
    if (data.length === 0) return;
    await this.beforeWrite('write', opts); // may refresh: the size checked next is current
    if (offset + data.length > this.size) {
      throw rbdError('EINVAL', `write ${offset}~${data.length} beyond the image size ${this.size}`, this.name, 'write');
    }
    const dio = await this.dataIoctx();
    dio.setSnapContext(this.snapc.seq, this.snapc.snaps);
    const overlap = this.overlap;
    const extents = mapExtent(this.layout, offset, data.length);
    const writeOne = async (ex: ObjectExtent): Promise<void> => {
      const parts = ex.imageExtents.map(([o, l]) => data.subarray(o - offset, o - offset + l));
      const bytes = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
      await this.markExists(ex.objno, opts);
      await this.applyToObject(dio, ex.objno, new WriteOp().write(bytes, ex.offset), overlap, opts);
    };
    await this.eachObject(extents, writeOne, opts);
  }

  /**
   * Make image bytes read as zeros without revealing a parent's data: whole objects are
   * deleted (or, where the parent has data, replaced by an empty object that hides it),
   * tails truncated, interiors zeroed; a clone's object gets the parent's bytes copied up
   * first, so the rest of the object keeps them.
   */
  async writeZeroes(offset: number, length: number, opts: CallOptions = {}): Promise<void> {
    this.checkWritable('write_zeroes');
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw rbdError('EINVAL', `bad extent ${offset}~${length}`, this.name, 'write_zeroes');
    }
    if (length === 0) return;
    await this.beforeWrite('write_zeroes', opts);
    if (offset + length > this.size) {
      throw rbdError('EINVAL', `extent ${offset}~${length} beyond the image size ${this.size}`, this.name, 'write_zeroes');
    }
    const dio = await this.dataIoctx();
    dio.setSnapContext(this.snapc.seq, this.snapc.snaps);
    const overlap = this.overlap;
    const os = this.layout.objectSize;
    const one = async (ex: ObjectExtent): Promise<void> => {
      const parentData = this.hasParentData(ex.objno, overlap);
      const whole = ex.offset === 0 && ex.length === os;
      if (whole && !parentData) {
        // PENDING before, NONEXISTENT after (object map)
        const om = this.features & Feature.OBJECT_MAP;
        if (om) await this.headMap(R.objectMapUpdate(ex.objno, ex.objno + 1, OBJECT_PENDING, OBJECT_EXISTS), opts).catch(() => undefined);
        await dio.remove(dataObject(this.objectPrefix, ex.objno), opts).catch(ignoring('ENOENT'));
        if (om) await this.headMap(R.objectMapUpdate(ex.objno, ex.objno + 1, 0, OBJECT_PENDING), opts).catch(() => undefined);
        this.objectMap?.set(ex.objno, OBJECT_NONEXISTENT);
        this.mapped.delete(ex.objno);
        return;
      }
      await this.markExists(ex.objno, opts);
      if (whole) {
        // an empty object hides the parent's bytes
        await dio.operate(dataObject(this.objectPrefix, ex.objno), new WriteOp().create(false).truncate(0), opts);
        return;
      }
      const op = ex.offset + ex.length === os ? new WriteOp().truncate(ex.offset) : new WriteOp().zero(ex.offset, ex.length);
      await this.applyToObject(dio, ex.objno, op, overlap, opts, true);
    };
    const extents = mapExtent(this.layout, offset, length);
    await this.eachObject(extents, one, opts);
  }

  /**
   * Discard, as librbd does with its defaults (rbd_discard_granularity_bytes 64 KiB,
   * rbd_skip_partial_discard true): only the 64 KiB-aligned part of the range is zeroed.
   */
  async discard(offset: number, length: number, opts: CallOptions = {}): Promise<void> {
    const g = 64 * 1024;
    const start = Math.ceil(offset / g) * g;
    const end = Math.min(Math.floor((offset + length) / g) * g, this.size);
    const tail = offset + length >= this.size ? this.size : end; // the image's last bytes count as aligned
    if (tail > start) await this.writeZeroes(start, tail - start, opts);
  }

  /** Whether some of an object's image bytes lie inside the parent overlap. */
  private hasParentData(objno: number, overlap: number): boolean {
    return overlap > 0 && objectImageExtents(this.layout, objno).some(([o]) => o < overlap);
  }

  /**
   * Apply `ops` to a data object. Outside a parent's reach they go out as they are. In a
   * clone they go out guarded by STAT (the object exists: done); if the child lacks the
   * object, the parent's bytes are copied up with them in one op (rbd.copyup is a no-op
   * for an object a racing writer created first). `skipIfMissing`: an absent object with
   * no parent data needs nothing done (zeroing).
   */
  private async applyToObject(dio: IoCtx, objno: number, ops: WriteOp, overlap: number, opts: CallOptions, skipIfMissing = false): Promise<void> {
    const oid = dataObject(this.objectPrefix, objno);
    const parentData = this.hasParentData(objno, overlap);
    if (!parentData && !skipIfMissing) {
      await dio.operate(oid, ops, opts);
      return;
    }
    try {
      const guarded = new WriteOp().assertExists();
      guarded.ops.push(...ops.ops);
      await dio.operate(oid, guarded, opts);
      return;
    } catch (e) {
      if (!(e instanceof CephError && e.code === 'ENOENT')) throw e;
    }
    if (!parentData) return;
    await this.copyup(dio, objno, await this.parentObjectData(objno, overlap, opts), ops, opts);
  }

  /** Copy `data` (the parent's bytes) up into a data object, followed by `ops`. */
  private async copyup(dio: IoCtx, objno: number, data: Buffer, ops: WriteOp, opts: CallOptions): Promise<void> {
    const oid = dataObject(this.objectPrefix, objno);
    if (data.length > 0 && this.snapc.snaps.length > 0) {
      // deep copy-up: the parent's bytes land in a head written with an empty snap context,
      // so the OSD treats them as older than every snapshot (the snapshots read them too);
      // the write that follows, with the image snapc, clones that head into the snapshots
      const bare = await this.dataIoctx();
      await bare.operate(oid, new WriteOp().call('rbd', 'copyup', data), opts);
      await this.markSnapshotsExist(objno, opts);
      // flatten has no write of its own: a zero-length write still carries the snapc
      await dio.operate(oid, ops.ops.length ? ops : new WriteOp().write(Buffer.alloc(0), 0), opts);
      return;
    }
    const withCopyup = new WriteOp().call('rbd', 'copyup', data);
    withCopyup.ops.push(...ops.ops);
    await dio.operate(oid, withCopyup, opts);
  }

  /** After a deep copy-up the snapshots own the object: oldest map EXISTS, newer ones EXISTS_CLEAN (fast-diff). */
  private async markSnapshotsExist(objno: number, opts: CallOptions): Promise<void> {
    if (!(this.features & Feature.OBJECT_MAP)) return;
    const later = this.features & Feature.FAST_DIFF ? OBJECT_EXISTS_CLEAN : OBJECT_EXISTS;
    await Promise.all(
      this.snaps.map((snap, i) =>
        call(this.io, objectMapObject(this.id, snap.id), R.objectMapUpdate(objno, objno + 1, i === 0 ? OBJECT_EXISTS : later), opts).catch(
          ignoring('ENOENT', 'ERANGE'), // no map for that snapshot, or it was smaller than this object
        ),
      ),
    );
  }

  // ---- flatten -------------------------------------------------------------------------------

  /**
   * Copy the parent's data into this clone and detach it (librbd's flatten): every object
   * within the parent overlap that the child lacks gets the parent's bytes copied up (at most
   * 10 at once, rbd_concurrent_management_ops), then the child record goes (clone v2:
   * child_detach on the parent snapshot; v1: rbd_children), then parent_detach on the header.
   */
  async flatten(opts: CallOptions & { onProgress?: (done: number, total: number) => void } = {}): Promise<void> {
    this.checkWritable('flatten');
    if (this.snapId !== CEPH_NOSNAP) throw rbdError('EROFS', 'cannot flatten a snapshot', this.name, 'flatten');
    return this.change('flatten', opts, async () => {
      const spec = this.parent;
      if (!spec) throw rbdError('EINVAL', 'image has no parent', this.name, 'flatten');
      const overlap = this.overlap;
      const total = objectCount(this.layout, overlap);
      const dio = await this.dataIoctx();
      dio.setSnapContext(this.snapc.seq, this.snapc.snaps);
      let done = 0;
      const objnos = Array.from({ length: total }, (_, i) => i);
      const one = async (objno: number): Promise<void> => {
        // copyup is a no-op on an object the child has; an all-zero parent object needs none
        if (this.hasParentData(objno, overlap) && this.objectMap?.get(objno) !== OBJECT_EXISTS) {
          // without a trusted map, a STAT is cheaper than reading the parent's object for nothing
          const has = this.objectMap ? false : await dio.stat(dataObject(this.objectPrefix, objno), opts).then(() => true, ignoring('ENOENT'));
          const data = has ? Buffer.alloc(0) : await this.parentObjectData(objno, overlap, opts);
          if (data.length > 0) {
            await this.markExists(objno, opts);
            await this.copyup(dio, objno, data, new WriteOp(), opts);
          }
        }
        done++;
        opts.onProgress?.(done, total);
      };
      await this.fanOut(objnos, new Throttle(ioOptions(this.io).concurrentManagementOps, Number.MAX_SAFE_INTEGER), () => 0, one, opts);
      // snapshots without deep-flatten still read through the parent: keep the child record
      if (this.features & Feature.DEEP_FLATTEN || this.snaps.length === 0) {
        await detachChild(this.io, this.id, spec, (this.opFeatures & OpFeature.CLONE_CHILD) !== 0, opts);
      }
      await call(this.io, this.headerOid, R.parentDetach(), opts).catch(ignoring('ENOENT'));
      this.parentImage = undefined;
      await this.refresh(opts);
      await this.notifyUpdate();
    });
  }


  /** The parent's bytes for one of our objects (object order), clipped to the overlap; trailing zeros dropped. */
  private async parentObjectData(objno: number, overlap: number, opts: CallOptions): Promise<Buffer> {
    const parent = await this.openParent()!;
    const pieces: Buffer[] = [];
    for (const [o, l] of objectImageExtents(this.layout, objno)) {
      const n = Math.max(0, Math.min(l, overlap - o));
      pieces.push(n > 0 ? await parent.read(o, n, opts) : Buffer.alloc(0));
      if (n < l) break; // beyond the overlap: nothing more to copy
    }
    let buf = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    let end = buf.length;
    while (end > 0 && buf[end - 1] === 0) end--;
    buf = buf.subarray(0, end);
    return buf;
  }

  // ---- streams (src/rbd/stream.ts) -------------------------------------------------------------

  /** A Readable of the image's bytes (at the open snapshot), with backpressure. */
  createReadStream(opts: ImageReadStreamOptions = {}): ImageReadStream {
    return new ImageReadStream(this, opts);
  }

  /** A Writable into the image; writes go out striped, with a bound on bytes in flight. */
  createWriteStream(opts: ImageWriteStreamOptions = {}): ImageWriteStream {
    return new ImageWriteStream(this, opts);
  }

  // ---- in-flight bound, flush, lock hook, close ------------------------------------------------

  private throttle: Throttle | undefined;
  /**
   * Image I/O budget: objects and bytes in flight per handle, 16 objects and 64 MiB, or more
   * when rbd_concurrent_management_ops asks import / export / flatten for more.
   */
  get ioThrottle(): Throttle {
    if (!this.throttle) {
      const ops = Math.max(16, ioOptions(this.io).concurrentManagementOps);
      this.throttle = new Throttle(ops, Math.max(64 << 20, ops * (4 << 20)));
    }
    return this.throttle;
  }
  private readonly inFlight = new Set<Promise<unknown>>();

  /** Run `fn` for every object extent, at most the throttle's budget at once; fails on the first error after all settle. */
  private eachObject(extents: ObjectExtent[], fn: (ex: ObjectExtent) => Promise<void>, opts: CallOptions): Promise<void> {
    return this.fanOut(extents, this.ioThrottle, (ex) => ex.length, fn, opts);
  }

  /**
   * Run `fn` for every item within `budget` (ops and bytes in flight), each tracked for
   * flush(); stops starting new ones after the first error and throws it once all settle.
   */
  private async fanOut<T>(items: T[], budget: Throttle, bytes: (item: T) => number, fn: (item: T) => Promise<void>, opts: CallOptions): Promise<void> {
    const runs: Promise<void>[] = [];
    let failed: unknown;
    for (const item of items) {
      if (failed !== undefined) break;
      const n = bytes(item);
      await budget.acquire(n, { timeoutMs: opts.timeoutMs, signal: opts.signal });
      const p = fn(item)
        .catch((e: unknown) => {
          failed ??= e;
        })
        .finally(() => {
          budget.release(n);
          this.inFlight.delete(p);
        });
      this.inFlight.add(p);
      runs.push(p);
    }
    await Promise.all(runs);
    if (failed !== undefined) throw failed;
  }

  /** Wait for every object op this handle has in flight (writes are acknowledged only once stable). */
  async flush(): Promise<void> {
    this.checkOpen('flush');
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  /**
   * Called before any change to the image (data or metadata): on exclusive-lock images
   * this is where the lock is taken.
   */
  private async beforeWrite(_op: string, opts: CallOptions, held = false): Promise<() => void> {
    const none = () => undefined;
    if (this.readOnly || !(this.features & Feature.EXCLUSIVE_LOCK)) return none;
    const self = this;
    this.exclusiveLock ??= new ExclusiveLock({
      io: this.io,
      headerOid: this.headerOid,
      get name() {
        return self.name;
      },
      flush: () => this.flush(),
      idle: () => this.inFlight.size === 0,
      onAcquired: async (o) => {
        this.exclusiveLock!.headerUpdated = false;
        await this.onLockAcquired(o); // refresh + object map; clears this.mapped
      },
      beforeRelease: (o) => this.beforeLockRelease(o),
      onReleased: () => this.onLockReleased(),
    }, {
      // librbd's options for a dead owner's lock (the client's configuration, else their defaults)
      blocklistOnBreakLock: this.io.cluster.config.getBool('rbd_blocklist_on_break_lock') ?? true,
      blocklistExpireSeconds: this.io.cluster.config.getInteger('rbd_blocklist_expire_seconds') ?? 0,
    });
    const lock = this.exclusiveLock;
    await lock.ensureWatch(opts);
    if (lock.headerUpdated) {
      lock.headerUpdated = false;
      await this.refresh(opts);
      if (!(this.features & Feature.EXCLUSIVE_LOCK)) return none; // the feature was turned off
    }
    if (held) return lock.acquireHeld(opts);
    await lock.acquire(opts);
    return none;
  }

  /**
   * A metadata change (snapshots, resize, flatten) run as one unit under the exclusive lock:
   * a release another client asks for meanwhile waits until it is done (data writes are
   * covered by flush() instead).
   */
  private async change<T>(op: string, opts: CallOptions, fn: () => Promise<T>): Promise<T> {
    this.checkWritable(op);
    const done = await this.beforeWrite(op, opts, true);
    try {
      return await fn();
    } finally {
      done();
    }
  }

  /** the exclusive lock and header watch, created on the first change of an exclusive-lock image */
  private exclusiveLock: ExclusiveLock | undefined;

  /** Flush, give up the exclusive lock if held, stop watching; the handle is unusable after. */
  async close(opts: CallOptions = {}): Promise<void> {
    if (this.closed) return;
    await this.flush().catch(() => undefined);
    // release (RELEASED_LOCK notify) and unwatch
    await this.exclusiveLock?.shutdown({ timeoutMs: opts.timeoutMs ?? 10_000, ...(opts.signal ? { signal: opts.signal } : {}) });
    this.closed = true;
  }
}


/**
 * Remove a clone's record from its parent: clone v2 `child_detach` on the parent snapshot (and
 * the parent snapshot itself if it waits in the trash namespace for its last child), v1
 * `remove_child` in the child pool's rbd_children. Records already gone are fine.
 */
export async function detachChild(io: IoCtx, childId: string, spec: R.ParentImageSpec, v2: boolean, opts: CallOptions): Promise<void> {
  const gone = ignoring('ENOENT');
  if (v2) {
    const pio = await io.cluster.openIoctx(spec.poolId, { namespace: spec.poolNamespace });
    const child: R.ChildImageSpec = { poolId: io.poolId, poolNamespace: io.namespace, imageId: childId };
    await call(pio, headerObject(spec.imageId), R.childDetach(spec.snapId, child), opts).catch(gone);
    const parent = await Image.openById(pio, spec.imageId).catch(() => undefined);
    if (parent) {
      await parent.removeTrashSnap(spec.snapId, opts).catch(() => undefined);
      await parent.notifyUpdate();
    }
  } else {
    const base = io.namespace ? io.withNamespace('') : io;
    await call(base, RBD_CHILDREN, R.removeChild({ ...spec, poolNamespace: '' }, childId), opts).catch(gone);
  }
}

/** ctime(3) as `rbd` prints timestamps: "Tue Nov 24 11:41:19 2026" (local time). */
export function ctime(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}

export { HeaderFlag, OpFeature };
