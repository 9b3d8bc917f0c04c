// Removing an image (librbd image/RemoveRequest, PreRemoveRequest) and detaching a clone from
// its parent (image/DetachChildRequest). The id comes from rbd_id.<name>, else the directory,
// so a name left with either alone (an interrupted create) is removable. The checks come first
// (ENOTEMPTY with snapshots, EBUSY while another client watches the header); then the data
// objects, the child record, header, object maps, rbd_id and directory entry go, each
// tolerating pieces already gone.

import { bestEffort, cephError, ignoring } from '../encoding/errno.js';
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
 * An image's id from its name as RemoveRequest finds it: rbd_id.<name> (the image open's
 * get_id), else the directory (dir_get_id); ENOENT when neither has the name.
 */
export async function imageIdByName(io: IoCtx, name: string, opts: CallOptions = {}): Promise<string> {
  const id = (await call(io, idObject(name), R.getId(), opts).catch(gone)) ?? (await call(io, RBD_DIRECTORY, R.dirGetId(name), opts).catch(gone));
  if (id === undefined) throw cephError('ENOENT', `image ${name} does not exist`, { op: 'remove', image: name });
  return id;
}

/**
 * Remove an image: ENOTEMPTY while it has snapshots, EBUSY while another client watches
 * its header; then data objects, child link, header, object map, id, directory entry. A
 * name whose header is missing (only rbd_id.<name> and/or the directory entry) goes too.
 */
export async function removeImage(io: IoCtx, name: string, opts: CallOptions = {}): Promise<void> {
  const id = await imageIdByName(io, name, opts);
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
 * The removal itself (no checks): the image's objects (purgeObjects), then rbd_id and the
 * directory entry. Tolerates pieces already gone. `ctx`: the image's state, if its header
 * could be read.
 */
export async function purgeImage(io: IoCtx, name: string, id: string, ctx: ImageCtx | undefined, opts: CallOptions, attach?: PendingAttach): Promise<void> {
  await purgeObjects(io, id, ctx, opts, attach);
  await io.remove(idObject(name), opts).catch(gone);
  await call(io, RBD_DIRECTORY, R.dirRemoveImage(name, id), opts).catch(gone);
}

/**
 * An image's objects without its name: data objects, the child record on the parent the
 * header names (or `attach`'s, when the header cannot be read), header, object maps. The
 * header goes after the data and the record, so an interrupted purge can be run again.
 */
export async function purgeObjects(io: IoCtx, id: string, ctx: ImageCtx | undefined, opts: CallOptions, attach?: PendingAttach): Promise<void> {
  if (ctx) await new ImageIo(ctx, new ObjectMap(ctx)).trim(0, opts);
  const spec = ctx?.parent ?? attach?.spec;
  if (spec) {
    // clone v2 if the header says clone-child (set with parent_attach), else rbd_children
    const v2 = ctx?.parent ? (ctx.opFeatures & OpFeature.CLONE_CHILD) !== 0 : attach?.format === 2;
    await detachChild(io, id, spec, v2, opts);
  }
  await io.remove(headerObject(id), opts).catch(gone);
  await io.remove(objectMapObject(id), opts).catch(gone);
  for (const s of ctx?.snaps ?? []) await io.remove(objectMapObject(id, s.id), opts).catch(gone);
}

/** Purge a half-made clone by id (its header may or may not be there). */
export async function purgeById(io: IoCtx, name: string, id: string, attach: PendingAttach): Promise<void> {
  const ctx = await loadForRemoval(io, id, name, {}).catch(bestEffort);
  await purgeImage(io, name, id, ctx, {}, attach);
}

/**
 * Remove a clone's record from its parent: clone v2 `child_detach` on the parent snapshot (and
 * the parent snapshot itself if it waits in the trash namespace for its last child), v1
 * `remove_child` in the rbd_children of the child's pool and namespace. Records already gone are fine.
 */
export async function detachChild(io: IoCtx, childId: string, spec: R.ParentImageSpec, v2: boolean, opts: CallOptions): Promise<void> {
  if (!v2) {
    await call(io, RBD_CHILDREN, R.removeChild({ ...spec, poolNamespace: '' }, childId), opts).catch(gone);
    return;
  }
  const pio = await io.cluster.openIoctx(spec.poolId, { namespace: spec.poolNamespace }).catch(gone);
  if (!pio) return; // the parent's pool is gone, and the record with it
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
