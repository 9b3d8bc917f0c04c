// Snapshot operations on an open image (librbd operation/Snapshot*Request): create, remove
// (to the trash namespace while clone-v2 children need it), rename, protect, unprotect,
// rollback, and the children of a snapshot. Each runs under the image's exclusive lock (the
// caller's `change`), re-reads the header first and ends with a refresh and a HEADER_UPDATE.

import { bestEffort, isErrno, ignoring } from '../encoding/errno.js';
import { utimeToDate } from '../encoding/types.js';
import type { CallOptions, IoCtx } from '../rados/ioctx.js';
import { CEPH_NOSNAP } from '../rados/osd-ops.js';
import { call } from './cls/exec.js';
import * as R from './cls/rbd.js';
import { Feature } from './features.js';
import type { ImageCtx, SnapState } from './image-ctx.js';
import type { ImageIo } from './image-io.js';
import { RBD_CHILDREN, RBD_DIRECTORY } from './names.js';
import type { ObjectMap } from './object-map.js';
import type { ChildInfo, SnapInfo } from './types.js';

/** What snapshot operations need of their image. */
export interface SnapshotHost {
  readonly ctx: ImageCtx;
  readonly map: ObjectMap;
  readonly io: ImageIo;
  /** refresh the header, then HEADER_UPDATE to the other watchers */
  refreshAndNotify(opts: CallOptions): Promise<void>;
}

/** python-rbd's snapshot entry for a user-namespace snapshot. */
export function snapInfo(s: SnapState): SnapInfo {
  return {
    id: s.id,
    name: s.name,
    size: s.size,
    protected: s.protection === R.Protection.PROTECTED,
    timestamp: utimeToDate(s.timestamp),
    namespace: R.snapNamespaceName(s.namespace.type),
    childCount: s.childCount,
  };
}

/** Create a snapshot: a self-managed snap id in the data pool, then snapshot_add on the header. */
export async function createSnap(h: SnapshotHost, name: string, opts: CallOptions): Promise<bigint> {
  const { ctx } = h;
  if (!name) throw ctx.error('EINVAL', 'snapshot name is empty', 'snap_create');
  await ctx.refresh(opts);
  if (ctx.findUserSnap(name)) throw ctx.error('EEXIST', `snapshot ${name} already exists`, 'snap_create');
  const dio = await ctx.dataIoctx();
  for (let attempt = 0; ; attempt++) {
    const snapId = await dio.createSelfManagedSnap(opts);
    try {
      await call(ctx.io, ctx.headerOid, R.snapshotAdd(name, snapId), opts);
    } catch (e) {
      await dio.removeSelfManagedSnap(snapId).catch(bestEffort);
      if (isErrno(e, 'ESTALE') && attempt < 5) continue; // a newer id landed meanwhile
      throw e;
    }
    await h.map.snapshotAdd(snapId, opts);
    await h.refreshAndNotify(opts);
    return snapId;
  }
}

export async function removeSnap(h: SnapshotHost, name: string, opts: CallOptions): Promise<void> {
  const { ctx } = h;
  await ctx.refresh(opts);
  const s = ctx.userSnap(name, 'snap_remove');
  if (s.protection !== R.Protection.UNPROTECTED) throw ctx.error('EBUSY', `snapshot ${name} is protected`, 'snap_remove');
  if (s.childCount > 0) {
    // clone-v2 children still need it: the snapshot moves to the trash namespace and goes
    // away when its last child detaches (SnapshotRemoveRequest / DetachChildRequest)
    await call(ctx.io, ctx.headerOid, R.snapshotTrashAdd(s.id), opts).catch(ignoring('EEXIST'));
    await h.refreshAndNotify(opts);
    return;
  }
  await removeSnapById(h, s, opts);
}

/** Remove a trash-namespace snapshot whose last clone-v2 child went away. */
export async function removeTrashSnap(h: SnapshotHost, snapId: bigint, opts: CallOptions): Promise<void> {
  await h.ctx.refresh(opts);
  const s = h.ctx.snaps.find((x) => x.id === snapId);
  if (!s || s.namespace.type !== R.SnapNamespaceType.TRASH || s.childCount > 0) return;
  await removeSnapById(h, s, opts);
}

async function removeSnapById(h: SnapshotHost, s: SnapState, opts: CallOptions): Promise<void> {
  const { ctx } = h;
  await h.map.snapshotRemove(
    s,
    ctx.snaps.find((x) => x.id > s.id),
    opts,
  ); // snaps are sorted by id
  await call(ctx.io, ctx.headerOid, R.snapshotRemove(s.id), opts);
  await h.map.removeSnapshotMap(s.id, opts);
  const dio = await ctx.dataIoctx();
  await dio.removeSelfManagedSnap(s.id, opts).catch(ignoring('ENOENT'));
  await h.refreshAndNotify(opts);
}

export async function renameSnap(h: SnapshotHost, src: string, dst: string, opts: CallOptions): Promise<void> {
  const { ctx } = h;
  await ctx.refresh(opts);
  const s = ctx.userSnap(src, 'snap_rename');
  if (ctx.findUserSnap(dst)) throw ctx.error('EEXIST', `snapshot ${dst} already exists`, 'snap_rename');
  await call(ctx.io, ctx.headerOid, R.snapshotRename(s.id, dst), opts);
  await h.refreshAndNotify(opts);
}

export async function protectSnap(h: SnapshotHost, name: string, opts: CallOptions): Promise<void> {
  const { ctx } = h;
  if (!(ctx.features & Feature.LAYERING)) throw ctx.error('ENOSYS', 'image lacks the layering feature', 'snap_protect');
  await ctx.refresh(opts);
  const s = ctx.userSnap(name, 'snap_protect');
  if (s.protection === R.Protection.PROTECTED) throw ctx.error('EBUSY', `snapshot ${name} is already protected`, 'snap_protect');
  await call(ctx.io, ctx.headerOid, R.setProtectionStatus(s.id, R.Protection.PROTECTED), opts);
  await h.refreshAndNotify(opts);
}

/** Unprotect: EBUSY while clones (format 1 in any pool, or format 2) exist. */
export async function unprotectSnap(h: SnapshotHost, name: string, opts: CallOptions): Promise<void> {
  const { ctx } = h;
  if (!(ctx.features & Feature.LAYERING)) throw ctx.error('ENOSYS', 'image lacks the layering feature', 'snap_unprotect');
  await ctx.refresh(opts);
  const s = ctx.userSnap(name, 'snap_unprotect');
  if (s.protection === R.Protection.UNPROTECTED) throw ctx.error('EINVAL', `snapshot ${name} is not protected`, 'snap_unprotect');
  await call(ctx.io, ctx.headerOid, R.setProtectionStatus(s.id, R.Protection.UNPROTECTING), opts);
  try {
    const children = await listChildren(ctx, s.id, opts);
    if (children.length || s.childCount > 0) {
      throw ctx.error('EBUSY', `cannot unprotect: snapshot ${name} has ${Math.max(children.length, s.childCount)} child(ren)`, 'snap_unprotect');
    }
    await call(ctx.io, ctx.headerOid, R.setProtectionStatus(s.id, R.Protection.UNPROTECTED), opts);
  } catch (e) {
    await call(ctx.io, ctx.headerOid, R.setProtectionStatus(s.id, R.Protection.PROTECTED), opts).catch(bestEffort);
    throw e;
  }
  await h.refreshAndNotify(opts);
}

/** Roll every data object back to the snapshot, then the size, then the object map. */
export async function rollbackToSnap(h: SnapshotHost, name: string, opts: CallOptions): Promise<void> {
  const { ctx } = h;
  await ctx.refresh(opts);
  const s = ctx.userSnap(name, 'snap_rollback');
  await h.io.rollback(s.id, s.size, opts);
  if (s.size !== ctx.size) await call(ctx.io, ctx.headerOid, R.setSize(s.size), opts);
  await h.map.rollback(s.id, opts);
  await h.refreshAndNotify(opts);
}

/** Clones of a snapshot: format 1 from every pool's rbd_children, format 2 from the header. */
export async function listChildren(ctx: ImageCtx, snapId: bigint, opts: CallOptions): Promise<ChildInfo[]> {
  if (snapId === CEPH_NOSNAP) throw ctx.error('EINVAL', 'list_children needs a snapshot', 'list_children');
  const cluster = ctx.io.cluster;
  const out: ChildInfo[] = [];
  const spec: R.ParentImageSpec = { poolId: ctx.io.poolId, poolNamespace: ctx.io.namespace, imageId: ctx.id, snapId };
  const missing = (e: unknown) => {
    if (!isErrno(e, 'ENOENT', 'EOPNOTSUPP')) throw e;
  };
  const resolve = async (poolId: number, ns: string, id: string): Promise<ChildInfo> => {
    const cio = await cluster.openIoctx(poolId, { namespace: ns });
    const image = await imageName(cio, id, opts);
    return { poolId, pool: cluster.poolName(poolId) ?? String(poolId), poolNamespace: ns, image: image ?? '', imageId: id, trash: image === undefined };
  };
  // format 1: rbd_children in every pool, in the parent's namespace (a format 1 clone lives in
  // it; librbd's SnapshotUnprotectRequest scans there)
  const ns = ctx.io.namespace;
  await Promise.all(
    cluster.poolIds().map(async (poolId) => {
      const cio = await cluster.openIoctx(poolId, { namespace: ns });
      const ids = (await call(cio, RBD_CHILDREN, R.getChildren({ ...spec, poolNamespace: '' }), opts).catch(missing)) ?? [];
      for (const id of ids) out.push(await resolve(poolId, ns, id));
    }),
  );
  // format 2: children attached to the snapshot
  const v2 = (await call(ctx.io, ctx.headerOid, R.childrenList(snapId), opts).catch(missing)) ?? [];
  for (const c of v2) out.push(await resolve(c.poolId, c.poolNamespace, c.imageId));
  out.sort((a, b) => a.pool.localeCompare(b.pool) || a.poolNamespace.localeCompare(b.poolNamespace) || a.image.localeCompare(b.image));
  return out;
}

/** An image's name from the pool's rbd_directory; undefined when it is not there (in the trash). */
export async function imageName(io: IoCtx, id: string, opts: CallOptions): Promise<string | undefined> {
  return call(io, RBD_DIRECTORY, R.dirGetName(id), opts).catch((e: unknown) => {
    if (!isErrno(e, 'ENOENT')) throw e;
    return undefined;
  });
}
