// The head object map's own lock (rbd-layering.md §7.5). Once it owns the image's exclusive
// lock, a client takes cls lock `rbd_lock` EXCLUSIVE with an empty cookie and tag on
// rbd_object_map.<id>, breaking whoever held it (a previous owner), and gives it up before it
// releases the image lock. Every change to the head map carries lock.assert_locked in the same
// op: a client that lost the image lock to someone who has since taken the map's lock cannot
// change the map any more (EBUSY). Snapshot maps are not guarded.

import { CephError, ignoring } from '../encoding/errno.js';
import type { CallOptions, IoCtx } from '../rados/ioctx.js';
import { WriteOp } from '../rados/op-builder.js';
import { call } from './cls/exec.js';
import * as L from './cls/lock.js';
import type { ClsCall } from './cls/rbd.js';
import { RBD_LOCK_NAME as NAME } from './exclusive-lock.js';
import { objectMapObject } from './names.js';

const COOKIE = '';
const TAG = '';

const lockCall = (): ClsCall<void> => L.lock({ name: NAME, type: L.LockType.EXCLUSIVE, cookie: COOKIE, tag: TAG });

/**
 * Take the map's lock, breaking other holders once if need be. Returns whether it is held;
 * failing to take it is not fatal (as in librbd): the map is then changed unguarded.
 */
export async function lockObjectMap(io: IoCtx, imageId: string, opts: CallOptions = {}): Promise<boolean> {
  const oid = objectMapObject(imageId);
  try {
    await call(io, oid, lockCall(), opts);
    return true;
  } catch (e) {
    if (!(e instanceof CephError) || (e.code !== 'EBUSY' && e.code !== 'EEXIST')) return false;
  }
  try {
    const info = await call(io, oid, L.getInfo(NAME), opts);
    for (const l of info.lockers) await call(io, oid, L.breakLock(NAME, l.entity, l.cookie), opts).catch(() => undefined);
    await call(io, oid, lockCall(), opts);
    return true;
  } catch {
    return false;
  }
}

/** Give the map's lock up (not held any more: fine). */
export async function unlockObjectMap(io: IoCtx, imageId: string, opts: CallOptions = {}): Promise<void> {
  await call(io, objectMapObject(imageId), L.unlock(NAME, COOKIE), opts).catch(ignoring('ENOENT'));
}

/** A write op on the head map: assert_locked first, then `calls`. */
export function guardedMapOp(calls: readonly ClsCall<unknown>[]): WriteOp {
  const assert = L.assertLocked(NAME, L.LockType.EXCLUSIVE, COOKIE, TAG);
  const op = new WriteOp().call(assert.cls, assert.method, assert.input);
  for (const c of calls) op.call(c.cls, c.method, c.input);
  return op;
}
