// Removing an image (librbd image/RemoveRequest, PreRemoveRequest) and detaching a clone from
// its parent (image/DetachChildRequest). The checks come first (ENOTEMPTY with snapshots,
// EBUSY while another client watches the header); then the data objects, the child record,
// header, object maps, rbd_id and directory entry go, each tolerating pieces already gone.

import { bestEffort, cephError, ignoring, isErrno } from '../encoding/errno.js';
import type { CallOptions, IoCtx } from '../rados/ioctx.js';
import { call } from './cls/exec.js';
import * as R from './cls/rbd.js';
import { OpFeature } from './features.js';
import { ImageCtx } from './image-ctx.js';
import { ImageIo } from './image-io.js';
import { notifyHeaderUpdate } from './image-watcher.js';
import { RBD_CHILDREN, RBD_DIRECTORY, headerObject, idObject, objectMapObject } from './names.js';
import { ObjectMap } from './object-map.js';
import { removeTrashSnap } from './snapshots.js';

const gone = ignoring('ENOENT');

/** An image's state for removal; undefined for a header-less leftover. */
async function loadForRemoval(io: IoCtx, id: string, name: string, opts: CallOptions): Promise<ImageCtx | undefined> {
  const ctx = new ImageCtx(io, name, id, false);
  try {
    await ctx.refresh(opts);
    return ctx;
  } catch (e) {
    return gone(e);
  }
}

/**
 * Remove an image: ENOTEMPTY while it has snapshots, EBUSY while another client watches
 * its header; then data objects, child link, header, object map, id, directory entry.
 */
export async function removeImage(io: IoCtx, name: string, opts: CallOptions = {}): Promise<void> {
  const id = await call(io, RBD_DIRECTORY, R.dirGetId(name), opts).catch((e: unknown) => {
    if (isErrno(e, 'ENOENT')) throw cephError('ENOENT', `image ${name} does not exist`, { op: 'remove', image: name });
    throw e;
  });
  const ctx = await loadForRemoval(io, id, name, opts);
  if (ctx) {
    if (ctx.snaps.length) throw cephError('ENOTEMPTY', `image ${name} has snapshots; remove them first`, { op: 'remove', image: name });
    // our own client's watches (handles of this process that wrote, hence hold the exclusive-lock
    // watch) are not "open elsewhere", as librbd's PreRemoveRequest skips its own image's watch
    const me = io.cluster.globalId;
    const watchers = (await io.listWatchers(ctx.headerOid, opts).catch(() => [])).filter((w) => w.gid !== me);
    if (watchers.length) {
      throw cephError('EBUSY', `image ${name} has watchers (open elsewhere: ${watchers.map((w) => w.name).join(', ')})`, { op: 'remove', image: name });
    }
  }
  await purgeImage(io, name, id, ctx, opts);
}

/** A clone being made: its parent link, to undo when the clone fails midway. */
export interface PendingAttach {
  spec: R.ParentImageSpec;
  format: 1 | 2;
}

/**
 * The removal itself (no checks): data objects, the child link to a parent, header, object
 * maps, rbd_id, directory entry. Tolerates pieces already gone. `ctx`: the image's state, if
 * its header could be read.
 */
export async function purgeImage(io: IoCtx, name: string, id: string, ctx: ImageCtx | undefined, opts: CallOptions, attach?: PendingAttach): Promise<void> {
  if (ctx) {
    await new ImageIo(ctx, new ObjectMap(ctx)).trim(0, opts);
    const spec = ctx.parent ?? attach?.spec;
    if (spec) {
      const v2 = (ctx.opFeatures & OpFeature.CLONE_CHILD) !== 0 || attach?.format === 2;
      if (v2) await detachChild(io, id, spec, true, opts);
      if (!v2 || attach) await detachChild(io, id, spec, false, opts);
    }
  } else if (attach) {
    await detachChild(io, id, attach.spec, false, opts);
  }
  await io.remove(headerObject(id), opts).catch(gone);
  await io.remove(objectMapObject(id), opts).catch(gone);
  for (const s of ctx?.snaps ?? []) await io.remove(objectMapObject(id, s.id), opts).catch(gone);
  await io.remove(idObject(name), opts).catch(gone);
  await call(io, RBD_DIRECTORY, R.dirRemoveImage(name, id), opts).catch(gone);
}

/** Purge a half-made clone by id (its header may or may not be there). */
export async function purgeById(io: IoCtx, name: string, id: string, attach: PendingAttach): Promise<void> {
  const ctx = await loadForRemoval(io, id, name, {}).catch(bestEffort);
  await purgeImage(io, name, id, ctx, {}, attach);
}

/**
 * Remove a clone's record from its parent: clone v2 `child_detach` on the parent snapshot (and
 * the parent snapshot itself if it waits in the trash namespace for its last child), v1
 * `remove_child` in the child pool's rbd_children. Records already gone are fine.
 */
export async function detachChild(io: IoCtx, childId: string, spec: R.ParentImageSpec, v2: boolean, opts: CallOptions): Promise<void> {
  if (!v2) {
    const base = io.namespace ? io.withNamespace('') : io;
    await call(base, RBD_CHILDREN, R.removeChild({ ...spec, poolNamespace: '' }, childId), opts).catch(gone);
    return;
  }
  const pio = await io.cluster.openIoctx(spec.poolId, { namespace: spec.poolNamespace });
  const child: R.ChildImageSpec = { poolId: io.poolId, poolNamespace: io.namespace, imageId: childId };
  await call(pio, headerObject(spec.imageId), R.childDetach(spec.snapId, child), opts).catch(gone);
  const parent = await loadForRemoval(pio, spec.imageId, spec.imageId, opts).catch(bestEffort);
  if (!parent) return;
  const map = new ObjectMap(parent);
  const host = {
    ctx: parent,
    map,
    io: new ImageIo(parent, map),
    refreshAndNotify: async (o: CallOptions) => {
      await parent.refresh(o);
      await notifyHeaderUpdate(pio, parent.headerOid);
    },
  };
  await removeTrashSnap(host, spec.snapId, opts).catch(bestEffort);
  await notifyHeaderUpdate(pio, parent.headerOid).catch(bestEffort);
}
