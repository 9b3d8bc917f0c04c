// The object map and everything that changes it, with one owner per open image (librbd's
// ObjectMap<I> and object_map/*Request): loading the map it may trust, the pre-write EXISTS
// marks (in runs of adjacent objects), the PENDING → NONEXISTENT steps of a removal, resize,
// the snapshot add / remove / rollback steps, and the map's own lock.
//
// The head map's lock: once it owns the image's exclusive lock, a client takes cls lock
// `rbd_lock` EXCLUSIVE with an empty cookie and tag on rbd_object_map.<id>, breaking whoever
// held it (a previous owner), and gives it up before it releases the image lock. Every change
// to the head map carries lock.assert_locked in the same op (object_map/LockRequest.cc,
// UpdateRequest.cc): a client that lost the image lock to someone who has since taken the map's
// lock cannot change the map any more (EBUSY). Snapshot maps are not guarded.

import { bestEffort, DecodeError, ignoring, isErrno } from '../encoding/errno.js';
import type { CallOptions } from '../rados/ioctx.js';
import { WriteOp } from '../rados/op-builder.js';
import { BitVector } from './bit-vector.js';
import { call } from './cls/exec.js';
import * as L from './cls/lock.js';
import * as R from './cls/rbd.js';
import { Feature, HeaderFlag } from './features.js';
import type { ImageCtx, SnapState } from './image-ctx.js';
import { objectMapObject, RBD_LOCK_NAME } from './names.js';
import { OBJECT_EXISTS, OBJECT_EXISTS_CLEAN, OBJECT_NONEXISTENT, OBJECT_PENDING } from './object-map-state.js';

const MAP_LOCK_COOKIE = '';
const MAP_LOCK_TAG = '';

const mapLockCall = (): R.ClsCall<void> => L.lock({ name: RBD_LOCK_NAME, type: L.LockType.EXCLUSIVE, cookie: MAP_LOCK_COOKIE, tag: MAP_LOCK_TAG });

/** A write op on the head map: assert_locked first, then `calls`. */
export function guardedMapOp(calls: readonly R.ClsCall<unknown>[]): WriteOp {
  const assert = L.assertLocked(RBD_LOCK_NAME, L.LockType.EXCLUSIVE, MAP_LOCK_COOKIE, MAP_LOCK_TAG);
  const op = new WriteOp().call(assert.cls, assert.method, assert.input);
  for (const c of calls) op.call(c.cls, c.method, c.input);
  return op;
}

export class ObjectMap {
  /**
   * The map this handle trusts: a snapshot's (immutable) when open at a snapshot, the head's
   * only while this handle owns the exclusive lock (nobody else writes).
   */
  private bits: BitVector | undefined;
  /** whether this handle holds the head map's own lock */
  private locked = false;
  /** objects this handle already marked EXISTS */
  private readonly mapped = new Set<number>();
  /** marks in flight, by object number: a write to the object waits for it */
  private readonly marking = new Map<number, Promise<void>>();

  constructor(private readonly ctx: ImageCtx) {}

  get enabled(): boolean {
    return (this.ctx.features & Feature.OBJECT_MAP) !== 0;
  }

  private get fastDiff(): boolean {
    return (this.ctx.features & Feature.FAST_DIFF) !== 0;
  }

  /** The trusted state of an object, undefined when there is no map to trust. */
  state(objno: number): number | undefined {
    return this.bits?.get(objno);
  }

  /** Load the map of the open snapshot (or head); an invalid or unreadable map is not trusted. */
  async load(opts: CallOptions): Promise<void> {
    this.bits = undefined;
    if (!this.enabled) return;
    const snap = this.ctx.openSnap;
    if (this.ctx.currentFlags & HeaderFlag.OBJECT_MAP_INVALID) return;
    try {
      const raw = await call(this.ctx.io, objectMapObject(this.ctx.id, snap?.id), R.objectMapLoad(), opts);
      const map = BitVector.decode(raw);
      if (map.count >= this.ctx.objectCount) this.bits = map;
    } catch (e) {
      if (!isErrno(e) && !(e instanceof DecodeError)) throw e;
    }
  }

  /** A change to the head map: guarded by its lock while this handle holds it. */
  private async update(c: R.ClsCall<unknown>, opts: CallOptions): Promise<void> {
    const oid = objectMapObject(this.ctx.id);
    if (this.locked) await this.ctx.io.operate(oid, guardedMapOp([c]), opts);
    else await call(this.ctx.io, oid, c, opts);
  }

  // ---- writes ----------------------------------------------------------------------------------

  /** Pre-write: the object is EXISTS in the head map before its data lands. */
  markExists(objno: number, opts: CallOptions): Promise<void> {
    if (!this.enabled || this.mapped.has(objno)) return Promise.resolve();
    return this.marking.get(objno) ?? this.markRun([objno], opts);
  }

  /**
   * Mark the objects `objnos` EXISTS ahead of their writes, one update per run of adjacent
   * objects not yet marked (object_map::UpdateRequest over a range). Returns one promise per run.
   */
  markRuns(objnos: Iterable<number>, opts: CallOptions): Promise<void>[] {
    if (!this.enabled) return [];
    const todo = [...new Set(objnos)].filter((n) => !this.mapped.has(n) && !this.marking.has(n)).sort((a, b) => a - b);
    const runs: number[][] = [];
    for (const n of todo) {
      const run = runs[runs.length - 1];
      if (run && run[run.length - 1] === n - 1) run.push(n);
      else runs.push([n]);
    }
    return runs.map((run) => this.markRun(run, opts));
  }

  /**
   * One update for a run (skipped when the map already says EXISTS): a crash leaves the map
   * saying "may exist", never the reverse. A write to one of them meanwhile waits for it.
   */
  private markRun(run: number[], opts: CallOptions): Promise<void> {
    const p = (async () => {
      if (run.some((n) => this.bits?.get(n) !== OBJECT_EXISTS)) {
        await this.update(R.objectMapUpdate(run[0]!, run[run.length - 1]! + 1, OBJECT_EXISTS), opts);
        for (const n of run) this.bits?.set(n, OBJECT_EXISTS);
      }
      for (const n of run) this.mapped.add(n);
    })().finally(() => {
      for (const n of run) if (this.marking.get(n) === p) this.marking.delete(n);
    });
    for (const n of run) this.marking.set(n, p);
    return p;
  }

  /** Pre-removal of objects [first, end): EXISTS → PENDING. */
  async beginRemove(first: number, end: number, opts: CallOptions, bestEffortUpdate = false): Promise<void> {
    if (!this.enabled || end <= first) return;
    const p = this.update(R.objectMapUpdate(first, end, OBJECT_PENDING, OBJECT_EXISTS), opts);
    await (bestEffortUpdate ? p.catch(bestEffort) : p);
  }

  /** Post-removal of objects [first, end): PENDING → NONEXISTENT. */
  async endRemove(first: number, end: number, opts: CallOptions, bestEffortUpdate = false): Promise<void> {
    if (!this.enabled || end <= first) return;
    const p = this.update(R.objectMapUpdate(first, end, OBJECT_NONEXISTENT, OBJECT_PENDING), opts);
    await (bestEffortUpdate ? p.catch(bestEffort) : p);
    for (let n = first; n < end; n++) {
      this.bits?.set(n, OBJECT_NONEXISTENT);
      this.mapped.delete(n);
    }
  }

  /** An object truncated in place (a shrink's new last object): EXISTS_CLEAN → EXISTS, for fast-diff. */
  async markDirty(objno: number, opts: CallOptions): Promise<void> {
    if (this.enabled) await this.update(R.objectMapUpdate(objno, objno + 1, OBJECT_EXISTS, OBJECT_EXISTS), opts);
  }

  /** object_map_resize to `count` entries (new ones NONEXISTENT). */
  async resize(count: number, opts: CallOptions): Promise<void> {
    if (this.enabled) await this.update(R.objectMapResize(count, OBJECT_NONEXISTENT), opts);
  }

  // ---- snapshots -------------------------------------------------------------------------------

  /** snap_create: the snapshot's map is a copy of the head's; the head's EXISTS become EXISTS_CLEAN. */
  async snapshotAdd(snapId: bigint, opts: CallOptions): Promise<void> {
    if (!this.enabled) return;
    const io = this.ctx.io;
    const head = await io.read(objectMapObject(this.ctx.id), 0).catch(bestEffort);
    if (head) await io.writeFull(objectMapObject(this.ctx.id, snapId), head, opts);
    if (this.fastDiff) await this.update(R.objectMapSnapAdd(), opts).catch(bestEffort);
    // what this handle knew as EXISTS is EXISTS_CLEAN now: the next write to each object marks
    // it EXISTS again (object_map::SnapshotCreateRequest updates the in-memory map the same way)
    this.mapped.clear();
    if (this.fastDiff && this.bits) for (let n = 0; n < this.bits.count; n++) if (this.bits.get(n) === OBJECT_EXISTS) this.bits.set(n, OBJECT_EXISTS_CLEAN);
  }

  /**
   * snap_remove: fold the snapshot's map into the next newer one (or the head's), as librbd
   * does: objects that changed before this snapshot stay marked changed (EXISTS) for diffs from
   * older snapshots; then the snapshot's map goes.
   */
  async snapshotRemove(snap: SnapState, next: SnapState | undefined, opts: CallOptions): Promise<void> {
    if (!this.enabled) return;
    const io = this.ctx.io;
    if (this.fastDiff) {
      const map = await call(io, objectMapObject(this.ctx.id, snap.id), R.objectMapLoad(), opts).catch(ignoring('ENOENT'));
      if (map && next) await call(io, objectMapObject(this.ctx.id, next.id), R.objectMapSnapRemove(map), opts);
      else if (map) await this.update(R.objectMapSnapRemove(map), opts);
    }
  }

  /** The snapshot's map object goes (after snapshot_remove on the header). */
  async removeSnapshotMap(snapId: bigint, opts: CallOptions): Promise<void> {
    if (this.enabled) await this.ctx.io.remove(objectMapObject(this.ctx.id, snapId), opts).catch(bestEffort);
  }

  /** snap_rollback: the head's map becomes the snapshot's (object_map::SnapshotRollbackRequest). */
  async rollback(snapId: bigint, opts: CallOptions): Promise<void> {
    if (!this.enabled) return;
    const io = this.ctx.io;
    const map = await io.read(objectMapObject(this.ctx.id, snapId), 0, 0, opts).catch(bestEffort);
    if (map) await io.operate(objectMapObject(this.ctx.id), this.locked ? guardedMapOp([]).writeFull(map) : new WriteOp().writeFull(map), opts);
  }

  /** After a deep copy-up the snapshots own the object: oldest map EXISTS, newer ones EXISTS_CLEAN (fast-diff). */
  async markSnapshotsExist(objno: number, opts: CallOptions): Promise<void> {
    if (!this.enabled) return;
    const later = this.fastDiff ? OBJECT_EXISTS_CLEAN : OBJECT_EXISTS;
    await Promise.all(
      this.ctx.snaps.map((snap, i) =>
        call(this.ctx.io, objectMapObject(this.ctx.id, snap.id), R.objectMapUpdate(objno, objno + 1, i === 0 ? OBJECT_EXISTS : later), opts).catch(
          ignoring('ENOENT', 'ERANGE'), // no map for that snapshot, or it was smaller than this object
        ),
      ),
    );
  }

  // ---- the exclusive lock's hooks --------------------------------------------------------------

  /** The image lock is ours: take the map's lock, load the head map (now ours to trust). */
  async acquired(opts: CallOptions): Promise<void> {
    this.mapped.clear();
    if (this.enabled) this.locked = await this.lock(opts);
    await this.load(opts);
  }

  /** Before the image lock goes: the map's lock goes first (a failure is not fatal). */
  async beforeRelease(opts: CallOptions): Promise<void> {
    if (!this.locked) return;
    this.locked = false;
    await call(this.ctx.io, objectMapObject(this.ctx.id), L.unlock(RBD_LOCK_NAME, MAP_LOCK_COOKIE), opts).catch(ignoring('ENOENT'));
  }

  /** The image lock is gone: others may change the head map now. */
  released(): void {
    this.mapped.clear();
    this.locked = false;
    if (!this.ctx.openSnap) this.bits = undefined;
  }

  /**
   * Take the map's lock, breaking other holders once if need be. Failing to take it is not
   * fatal (as in librbd): the map is then changed unguarded.
   */
  private async lock(opts: CallOptions): Promise<boolean> {
    const io = this.ctx.io;
    const oid = objectMapObject(this.ctx.id);
    try {
      await call(io, oid, mapLockCall(), opts);
      return true;
    } catch (e) {
      if (!isErrno(e, 'EBUSY', 'EEXIST')) return false;
    }
    try {
      const info = await call(io, oid, L.getInfo(RBD_LOCK_NAME), opts);
      for (const l of info.lockers) await call(io, oid, L.breakLock(RBD_LOCK_NAME, l.entity, l.cookie), opts).catch(bestEffort);
      await call(io, oid, mapLockCall(), opts);
      return true;
    } catch {
      return false;
    }
  }
}
