// Creating an image (librbd image/CreateRequest): validate the name, size, layout and
// features against librbd's rules and the client's rbd_default_* options; make sure the data
// pool is set up for RBD (rbd_info, self-managed snaps); then write the image's objects in
// rounds, the name first (directory entry and rbd_id.<name>), then the header and the object
// map. Each step that fails rolls back what the earlier ones made: no half-made image is left
// behind, and an interrupted creation leaves what `rm NAME` removes.

import { randomInt } from 'node:crypto';
import { bestEffort, cephError, isErrno, ignoring } from '../encoding/errno.js';
import type { CallOptions, IoCtx } from '../rados/ioctx.js';
import { WriteOp } from '../rados/op-builder.js';
import { call, writeOp } from './cls/exec.js';
import * as R from './cls/rbd.js';
import { FEATURES_IMPLICIT, Feature, parseFeatures, validateCreateFeatures } from './features.js';
import { makeLayout, objectCount } from './layout.js';
import {
  MAX_OBJECT_MAP_OBJECTS,
  MAX_ORDER,
  MIN_ORDER,
  RBD_DIRECTORY,
  RBD_INFO,
  generateImageId,
  headerObject,
  idObject,
  objectMapObject,
  objectPrefix,
} from './names.js';
import { ioOptions, RBD_DEFAULT_FEATURES } from './options.js';
import type { CreateOptions } from './types.js';

/** librbd's image name rule: not empty, no '/' or '@', at most 4096 bytes. */
export function validName(name: string, op: string): void {
  if (!name || name.length > 4096 || /[/@]/.test(name)) throw cephError('EINVAL', `invalid image name '${name}'`, { op: op, image: name });
}

/**
 * The caller's options over the client's rbd_default_* options, as librbd's CreateRequest
 * takes them: features, striping and data pool that are not given come from there (the order
 * falls back to rbd_default_order in plan()).
 */
export function withDefaults(io: IoCtx, o: CreateOptions): CreateOptions {
  const d = ioOptions(io);
  const stripingGiven = o.stripeUnit !== undefined || o.stripeCount !== undefined;
  return {
    ...o,
    features: o.features ?? d.defaultFeatures ?? RBD_DEFAULT_FEATURES,
    ...(stripingGiven || !(d.defaultStripeUnit || d.defaultStripeCount) ? {} : { stripeUnit: d.defaultStripeUnit, stripeCount: d.defaultStripeCount }),
    ...(o.dataPool === undefined && d.defaultDataPool ? { dataPool: d.defaultDataPool } : {}),
  };
}

export interface Plan {
  order: number;
  features: number;
  stripeUnit: number;
  stripeCount: number;
  dataPoolId: number;
}

export async function plan(io: IoCtx, name: string, size: number, o: CreateOptions, op: string): Promise<Plan> {
  validName(name, op);
  if (!Number.isSafeInteger(size) || size < 0) throw cephError('EINVAL', `bad size ${size}`, { op: op, image: name });
  let order = o.order ?? ioOptions(io).defaultOrder;
  if (o.objectSize !== undefined) {
    const l = Math.log2(o.objectSize);
    if (!Number.isInteger(l)) throw cephError('EINVAL', `object size ${o.objectSize} is not a power of two`, { op: op, image: name });
    order = l;
  }
  if (!Number.isInteger(order) || order < MIN_ORDER || order > MAX_ORDER)
    throw cephError('EDOM', `order ${order} is outside ${MIN_ORDER}..${MAX_ORDER}`, { op: op, image: name });
  // bits librbd sets by itself (striping, data-pool, fast-diff, operations, migrating, non-primary,
  // dirty-cache) are dropped from the caller's mask, as librbd does
  let features = validateCreateFeatures(parseFeatures(o.features ?? RBD_DEFAULT_FEATURES) & ~FEATURES_IMPLICIT, op);
  const objectSize = 2 ** order;
  const su = o.stripeUnit ?? 0;
  const sc = o.stripeCount ?? 0;
  if ((su === 0) !== (sc === 0) && !(su === objectSize && sc === 0) && !(su === 0 && sc === 1)) {
    throw cephError('EINVAL', 'stripe unit and stripe count must be given together', { op: op, image: name });
  }
  if (su && (su > objectSize || objectSize % su !== 0))
    throw cephError('EINVAL', `stripe unit ${su} must divide the object size ${objectSize}`, { op: op, image: name });
  const striping = (su !== 0 && su !== objectSize) || (sc !== 0 && sc !== 1);
  if (striping) features |= Feature.STRIPINGV2;
  let dataPoolId = -1;
  if (o.dataPool) {
    const dio = await io.cluster.openIoctx(o.dataPool);
    if (dio.poolId !== io.poolId) {
      dataPoolId = dio.poolId;
      features |= Feature.DATA_POOL;
    }
  }
  if (features & Feature.OBJECT_MAP && objectCount(makeLayout(order, su, sc), size) > MAX_OBJECT_MAP_OBJECTS) {
    throw cephError('EINVAL', 'image too large for an object map', { op: op, image: name });
  }
  return { order, features, stripeUnit: striping ? su : 0, stripeCount: striping ? sc : 0, dataPoolId };
}

/** rbd_info: make sure the pool uses self-managed snaps and supports overwrites (ValidatePoolRequest). */
export async function validatePool(io: IoCtx, opts: CallOptions): Promise<void> {
  const base = io.namespace ? io.withNamespace('') : io;
  const info = await base.read(RBD_INFO, 64, 0, opts).catch((e: unknown) => {
    if (isErrno(e, 'ENOENT')) return Buffer.alloc(0);
    throw e;
  });
  const text = info.toString();
  if (text === 'overwrite validated') return;
  if (text !== 'validate') {
    let snap: bigint;
    try {
      snap = await base.createSelfManagedSnap(opts);
    } catch (e) {
      if (isErrno(e, 'EINVAL')) throw cephError('EINVAL', 'pool not configured for self-managed RBD snapshot support', { op: 'create' });
      throw e;
    }
    await base.operate(RBD_INFO, new WriteOp().create(true).write(Buffer.from('validate'), 0), opts).catch(ignoring('EEXIST'));
    await base.removeSelfManagedSnap(snap, opts).catch(bestEffort);
  }
  await base.write(RBD_INFO, Buffer.from('overwrite validated'), 0, opts);
}

/** Undo list: run in reverse, ignoring what is already gone. */
export class Rollback {
  private readonly steps: Array<() => Promise<unknown>> = [];
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const s of this.steps.reverse()) await s().catch(bestEffort);
  }
}

/**
 * Create a new image's objects in rounds: the name (directory entry and rbd_id.<name>, both
 * refusing duplicates), then the header (exclusive create + rbd.create) and the object map,
 * then the header's stripe unit and `headerCalls` (a clone's parent_attach, op features,
 * metadata) in one op. Rolls back on failure.
 */
export async function createObjects(
  io: IoCtx,
  name: string,
  size: number,
  p: Plan,
  opts: CallOptions,
  op: string,
  headerCalls: Promise<ReadonlyArray<R.ClsCall<unknown>>> | ReadonlyArray<R.ClsCall<unknown>> = [],
): Promise<{ id: string }> {
  // Why this order (librbd's CreateRequest and CloneRequest have it too, one step at a time):
  // a header never exists without a name, and a parent never records a child whose header
  // does not name it. An interruption at any moment leaves one of:
  //  - nothing, or rbd_id.<name> and/or the directory entry: `rm NAME` finds the id in either
  //    (as RemoveRequest does) and removes both, tolerating the missing header;
  //  - the name and the header and/or object map, or a header without its stripe unit or (a
  //    clone) its parent link: `rm NAME` removes every piece;
  //  - a clone whose parent has no record of it yet (the caller writes child_attach /
  //    add_child last): `rm NAME` detaches what the header names, tolerating the missing record.
  // Debris of older clients, which wrote all of these at once, is what `orphans ls` finds.
  const id = generateImageId(io.cluster.globalId, randomInt(0, 2 ** 32));
  const prefix = objectPrefix(id, io.poolId, p.dataPoolId >= 0);
  const extra = Promise.resolve(headerCalls);
  extra.catch(bestEffort); // awaited in round 3
  const rb = new Rollback();
  type Step = [work: () => Promise<unknown>, undo: () => Promise<unknown>];
  /** One round: its steps in parallel, each one's undo kept once it succeeded; the first failure is thrown. */
  const round = async (steps: Step[]) => {
    const results = await Promise.allSettled(steps.map(([work, undo]) => work().then(() => rb.add(undo))));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  };
  const name1: Step[] = [
    [() => call(io, RBD_DIRECTORY, R.dirAddImage(name, id), opts), () => call(io, RBD_DIRECTORY, R.dirRemoveImage(name, id))],
    [() => io.operate(idObject(name), writeOp([R.setId(id)], { createExclusive: true }), opts), () => io.remove(idObject(name))],
  ];
  const header2: Step[] = [
    [
      () =>
        io
          .operate(headerObject(id), writeOp([R.create(size, p.order, p.features, prefix, p.dataPoolId)], { createExclusive: true }), opts)
          .catch((e: unknown) => {
            // an id collision: the header exists already
            throw isErrno(e, 'EEXIST') ? cephError('EBADF', `image id ${id} is in use`, { op: op, image: name }) : e;
          }),
      () => io.remove(headerObject(id)),
    ],
  ];
  if (p.features & Feature.OBJECT_MAP) {
    const objects = objectCount(makeLayout(p.order, p.stripeUnit, p.stripeCount), size);
    header2.push([() => call(io, objectMapObject(id), R.objectMapResize(objects, 0), opts), () => io.remove(objectMapObject(id))]);
  }
  try {
    await round(name1).catch((e: unknown) => {
      // the directory or rbd_id refused the name: it exists
      throw isErrno(e, 'EEXIST') ? cephError('EEXIST', `image ${name} already exists`, { op: op, image: name }) : e;
    });
    await round(header2);
    // round 3: the header's other calls, in one op (they read what rbd.create wrote)
    const calls = [...(p.features & Feature.STRIPINGV2 ? [R.setStripeUnitCount(p.stripeUnit, p.stripeCount)] : []), ...(await extra)];
    if (calls.length) await io.operate(headerObject(id), writeOp(calls), opts);
  } catch (e) {
    await rb.run();
    throw e;
  }
  return { id };
}

/** Create a format-2 image (librbd's defaults and validation). */
export async function createImage(io: IoCtx, name: string, size: number, opts: CreateOptions = {}): Promise<void> {
  const p = await plan(io, name, size, withDefaults(io, opts), 'create');
  const dio = p.dataPoolId >= 0 ? await io.cluster.openIoctx(p.dataPoolId) : io;
  await validatePool(dio, opts);
  await createObjects(io, name, size, p, opts, 'create');
}
