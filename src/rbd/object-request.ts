// Object requests as named state machines, the way drivers/block/rbd.c keeps them
// (rbd_obj_advance_read / rbd_obj_advance_write / rbd_obj_advance_copyup) and librbd's
// io/ObjectRequest.cc and io/CopyupRequest.cc run them:
//
//   read:   OBJECT → PARENT (the object is missing: read the parent within the overlap)
//   write:  PRE_OBJECT_MAP → OBJECT → COPYUP → POST_OBJECT_MAP
//   copyup: READ_PARENT → [deep: COPYUP_OBJECT → SNAPSHOT_MAPS] → WRITE
//
// Write, write-zeroes (discard) and flatten are one write request that differs by flags,
// decided once per object by decideWrite(), a pure function of the object-map state, the
// parent overlap, the extent and whether snapshots exist (the table is unit tested).

import { isErrno, ignoring } from '../encoding/errno.js';
import type { CallOptions, IoCtx } from '../rados/ioctx.js';
import { WriteOp } from '../rados/op-builder.js';
import type { ImageCtx } from './image-ctx.js';
import { dataObject } from './names.js';
import type { ObjectMap } from './object-map.js';
import { objectExists, objectMayExist } from './object-map-state.js';
import { objectImageExtents } from './striper.js';

/** Per-object flags (rbd.c RBD_OBJ_FLAG_*). */
export const ObjFlag = {
  /** the object goes away: PENDING in the map before, NONEXISTENT after */
  DELETION: 1,
  /** the parent has data for the object: copy it up if the object is missing */
  COPYUP_ENABLED: 2,
  /** the object may exist (the object map does not say NONEXISTENT) */
  MAY_EXIST: 4,
  /** nothing to do if the object is missing (no parent data to copy or hide) */
  NOOP_FOR_NONEXISTENT: 8,
  /** mark the object EXISTS in the object map before its data (pre object map update) */
  PRE_MAP_EXISTS: 16,
} as const;

/** What the object op does: write the data, zero / truncate a range, an empty object that hides the parent, remove, copy up only. */
export type ObjectAction = 'write' | 'zero' | 'truncate' | 'hide' | 'remove' | 'copyup' | 'none';

export interface WriteDecision {
  action: ObjectAction;
  flags: number;
}

/** The image operation an object request serves. */
export type ImageOpKind = 'write' | 'zero' | 'flatten';

/** An object extent: where in the object, and the object's size. */
export interface ObjectRange {
  offset: number;
  length: number;
  objectSize: number;
}

/**
 * The per-object decision (rbd.c rbd_obj_init_write / _discard / _zeroout, librbd
 * AbstractObjectWriteRequest): `mapState` is the trusted object-map state (undefined: no map
 * to trust), `parentData` whether the parent overlap reaches into the object, `hasSnaps`
 * whether the image has snapshots (they must keep the parent's bytes of a zeroed object).
 */
export function decideWrite(kind: ImageOpKind, r: ObjectRange, mapState: number | undefined, parentData: boolean, hasSnaps = false): WriteDecision {
  const mayExist = objectMayExist(mapState) ? ObjFlag.MAY_EXIST : 0;
  const copyup = parentData ? ObjFlag.COPYUP_ENABLED : 0;
  switch (kind) {
    case 'write':
      return { action: 'write', flags: ObjFlag.PRE_MAP_EXISTS | copyup | mayExist };
    case 'zero': {
      const whole = r.offset === 0 && r.length === r.objectSize;
      if (whole && !parentData) {
        // the object goes; nothing to remove where the map says there is none
        return mayExist ? { action: 'remove', flags: ObjFlag.DELETION | ObjFlag.NOOP_FOR_NONEXISTENT | mayExist } : { action: 'none', flags: 0 };
      }
      // an empty object hides the parent's bytes (no copy-up needed for a whole object)
      // with snapshots: copy the parent's bytes up (deep) so the snapshots keep them, then truncate to 0
      // (librbd ObjectDiscardRequest DISCARD_ACTION_TRUNCATE when m_copyup_enabled; rbd.c zeroout: no CREATE with COPYUP_ENABLED)
      if (whole && hasSnaps) return { action: 'truncate', flags: ObjFlag.PRE_MAP_EXISTS | copyup | mayExist };
      if (whole) return { action: 'hide', flags: ObjFlag.PRE_MAP_EXISTS | mayExist };
      const action = r.offset + r.length === r.objectSize ? 'truncate' : 'zero';
      if (!parentData && !mayExist) return { action: 'none', flags: 0 };
      return { action, flags: ObjFlag.PRE_MAP_EXISTS | (parentData ? copyup : ObjFlag.NOOP_FOR_NONEXISTENT) | mayExist };
    }
    case 'flatten':
      // an object the child has keeps its bytes (copyup would not touch it anyway)
      if (!parentData || objectExists(mapState)) return { action: 'none', flags: 0 };
      return { action: 'copyup', flags: copyup | mayExist };
  }
}

/** Where a read of an object goes first (rbd.c rbd_obj_advance_read): a trusted NONEXISTENT skips the object. */
export function decideRead(mapState: number | undefined): 'object' | 'parent' {
  return objectMayExist(mapState) ? 'object' : 'parent';
}

/** What object requests need of their image. */
export interface ObjectRequestEnv {
  readonly ctx: ImageCtx;
  readonly map: ObjectMap;
  /** the parent overlap for this image request */
  readonly overlap: number;
  /** read the parent's bytes [offset, offset + length) at the parent snapshot */
  readParent(offset: number, length: number, opts: CallOptions): Promise<Buffer>;
}

type WriteState = 'pre-object-map' | 'object' | 'copyup' | 'post-object-map' | 'done';

/** One object's write: the states run in order; `state` names where it is. */
export class ObjectWriteRequest {
  state: WriteState = 'pre-object-map';
  private readonly oid: string;

  constructor(
    private readonly env: ObjectRequestEnv,
    /** the data IoCtx with the image's snap context */
    private readonly dio: IoCtx,
    private readonly objno: number,
    private readonly decision: WriteDecision,
    /** the object op for the action (empty for remove, copyup, none) */
    private readonly ops: WriteOp,
  ) {
    this.oid = dataObject(env.ctx.objectPrefix, objno);
  }

  private has(flag: number): boolean {
    return (this.decision.flags & flag) !== 0;
  }

  async run(opts: CallOptions): Promise<void> {
    if (this.decision.action === 'none') this.state = 'done';
    const map = this.env.map;
    for (;;) {
      switch (this.state) {
        case 'pre-object-map':
          if (this.has(ObjFlag.DELETION)) await map.beginRemove(this.objno, this.objno + 1, opts, true);
          else if (this.has(ObjFlag.PRE_MAP_EXISTS)) await map.markExists(this.objno, opts);
          this.state = 'object';
          break;
        case 'object':
          this.state = await this.sendObject(opts);
          break;
        case 'copyup':
          await new CopyupRequest(this.env, this.dio, this.objno, this.ops).run(opts);
          this.state = 'post-object-map';
          break;
        case 'post-object-map':
          if (this.has(ObjFlag.DELETION)) await map.endRemove(this.objno, this.objno + 1, opts, true);
          this.state = 'done';
          break;
        case 'done':
          return;
      }
    }
  }

  /** The object op: plain, or guarded by assert_exists where a missing object means copy-up or nothing. */
  private async sendObject(opts: CallOptions): Promise<WriteState> {
    const { action } = this.decision;
    if (action === 'remove') {
      await this.dio.remove(this.oid, opts).catch(ignoring('ENOENT'));
      return 'post-object-map';
    }
    const copyup = this.has(ObjFlag.COPYUP_ENABLED);
    const guarded = copyup || this.has(ObjFlag.NOOP_FOR_NONEXISTENT);
    if (!guarded) {
      await this.dio.operate(this.oid, this.ops, opts);
      return 'post-object-map';
    }
    if (this.has(ObjFlag.MAY_EXIST)) {
      try {
        if (this.ops.ops.length === 0)
          await this.dio.stat(this.oid, opts); // flatten: is the object there
        else await this.dio.operate(this.oid, new WriteOp().assertExists().extend(this.ops), opts);
        return 'post-object-map';
      } catch (e) {
        if (!isErrno(e, 'ENOENT')) throw e;
      }
    }
    return copyup ? 'copyup' : 'post-object-map';
  }
}

type CopyupState = 'read-parent' | 'copyup-object' | 'snapshot-maps' | 'write' | 'done';

/**
 * Copy the parent's bytes for one object up into the child, with the write that needed them
 * (librbd io/CopyupRequest). rbd.copyup is a no-op on an object that exists, so a racing
 * writer that created it first wins. With snapshots and parent data it is a deep copy-up: the
 * parent's bytes land in a head written with an empty snap context, so the OSD treats them as
 * older than every snapshot (the snapshots read them too); the write that follows, with the
 * image snapc, clones that head into the snapshots.
 */
export class CopyupRequest {
  state: CopyupState = 'read-parent';
  private data: Buffer = Buffer.alloc(0);
  private readonly oid: string;

  constructor(
    private readonly env: ObjectRequestEnv,
    private readonly dio: IoCtx,
    private readonly objno: number,
    private readonly ops: WriteOp,
  ) {
    this.oid = dataObject(env.ctx.objectPrefix, objno);
  }

  async run(opts: CallOptions): Promise<void> {
    const { ctx, map } = this.env;
    for (;;) {
      switch (this.state) {
        case 'read-parent':
          this.data = await this.parentObjectData(opts);
          // flatten of an all-zero parent object: nothing to copy, nothing to write
          if (this.data.length === 0 && this.ops.ops.length === 0) {
            this.state = 'done';
            break;
          }
          await map.markExists(this.objno, opts);
          this.state = this.data.length > 0 && ctx.snapc.snaps.length > 0 ? 'snapshot-maps' : 'write';
          break;
        case 'snapshot-maps':
          // before any data lands (librbd CopyupRequest::update_object_maps, rbd.c rbd_obj_copyup_object_maps)
          await map.markSnapshotsExist(this.objno, opts);
          this.state = 'copyup-object';
          break;
        case 'copyup-object': {
          const bare = await ctx.dataIoctx();
          await bare.operate(this.oid, new WriteOp().call('rbd', 'copyup', this.data), opts);
          // flatten has no write of its own: a zero-length write still carries the snapc
          await this.dio.operate(this.oid, this.ops.ops.length ? this.ops : new WriteOp().write(Buffer.alloc(0), 0), opts);
          this.state = 'done';
          break;
        }
        case 'write':
          await this.dio.operate(this.oid, new WriteOp().call('rbd', 'copyup', this.data).extend(this.ops), opts);
          this.state = 'done';
          break;
        case 'done':
          return;
      }
    }
  }

  /** The parent's bytes for this object (object order), clipped to the overlap; trailing zeros dropped. */
  private async parentObjectData(opts: CallOptions): Promise<Buffer> {
    const { ctx, overlap } = this.env;
    const pieces: Buffer[] = [];
    for (const [o, l] of objectImageExtents(ctx.layout, this.objno)) {
      const n = Math.max(0, Math.min(l, overlap - o));
      pieces.push(n > 0 ? await this.env.readParent(o, n, opts) : Buffer.alloc(0));
      if (n < l) break; // beyond the overlap: nothing more to copy
    }
    const buf = pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces);
    let end = buf.length;
    while (end > 0 && buf[end - 1] === 0) end--;
    return buf.subarray(0, end);
  }
}
