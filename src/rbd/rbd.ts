// Pool-level RBD operations (python-rbd `RBD`): create, list, remove, rename, clone.
// Independent objects are written in parallel; each step that fails rolls back what the
// earlier steps made, so no half-made image is left behind.

import { randomInt } from 'node:crypto';
import { CephError, errnoNumber, ignoring } from '../encoding/errno.js';
import type { CallOptions, IoCtx } from '../rados/ioctx.js';
import { WriteOp } from '../rados/op-builder.js';
import { batch, call, writeOp } from './cls/exec.js';
import * as R from './cls/rbd.js';
import { FEATURES_DEFAULT, FEATURES_IMPLICIT, Feature, OpFeature, parseFeatures, validateCreateFeatures } from './features.js';
import { Image, detachChild } from './image.js';
import { exportImage, importImage } from './import-export.js';
import { makeLayout, objectCount } from './layout.js';
import {
  DEFAULT_ORDER,
  MAX_OBJECT_MAP_OBJECTS,
  MAX_ORDER,
  MIN_ORDER,
  RBD_CHILDREN,
  RBD_DIRECTORY,
  RBD_INFO,
  generateImageId,
  headerObject,
  idObject,
  objectMapObject,
  objectPrefix,
  v1HeaderObject,
} from './names.js';
import type { CloneOptions, CreateOptions } from './types.js';

/** CephRelease numbers (OSDMap require_min_compat_client) */
const MIMIC = 13;

function rbdError(errno: string, message: string, image: string, op: string): CephError {
  return new CephError(errnoNumber(errno), message, { op, image });
}

function validName(name: string, op: string): void {
  if (!name || name.length > 4096 || /[/@]/.test(name)) throw rbdError('EINVAL', `invalid image name '${name}'`, name, op);
}

interface Plan {
  order: number;
  features: number;
  stripeUnit: number;
  stripeCount: number;
  dataPoolId: number;
}

async function plan(io: IoCtx, name: string, size: number, o: CreateOptions, op: string): Promise<Plan> {
  validName(name, op);
  if (!Number.isSafeInteger(size) || size < 0) throw rbdError('EINVAL', `bad size ${size}`, name, op);
  let order = o.order ?? DEFAULT_ORDER;
  if (o.objectSize !== undefined) {
    const l = Math.log2(o.objectSize);
    if (!Number.isInteger(l)) throw rbdError('EINVAL', `object size ${o.objectSize} is not a power of two`, name, op);
    order = l;
  }
  if (!Number.isInteger(order) || order < MIN_ORDER || order > MAX_ORDER) throw rbdError('EDOM', `order ${order} is outside ${MIN_ORDER}..${MAX_ORDER}`, name, op);
  // bits librbd sets by itself (striping, data-pool, fast-diff, operations, migrating, non-primary,
  // dirty-cache) are dropped from the caller's mask, as librbd does
  let features = validateCreateFeatures(parseFeatures(o.features ?? FEATURES_DEFAULT) & ~FEATURES_IMPLICIT, op);
  const objectSize = 2 ** order;
  const su = o.stripeUnit ?? 0;
  const sc = o.stripeCount ?? 0;
  if ((su === 0) !== (sc === 0) && !(su === objectSize && sc === 0) && !(su === 0 && sc === 1)) {
    throw rbdError('EINVAL', 'stripe unit and stripe count must be given together', name, op);
  }
  if (su && (su > objectSize || objectSize % su !== 0)) throw rbdError('EINVAL', `stripe unit ${su} must divide the object size ${objectSize}`, name, op);
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
    throw rbdError('EINVAL', 'image too large for an object map', name, op);
  }
  return { order, features, stripeUnit: striping ? su : 0, stripeCount: striping ? sc : 0, dataPoolId };
}

/** rbd_info: make sure the pool uses self-managed snaps and supports overwrites (ValidatePoolRequest). */
async function validatePool(io: IoCtx, opts: CallOptions): Promise<void> {
  const base = io.namespace ? io.withNamespace('') : io;
  const info = await base.read(RBD_INFO, 64, 0, opts).catch((e: CephError) => {
    if (e.code === 'ENOENT') return Buffer.alloc(0);
    throw e;
  });
  const text = info.toString();
  if (text === 'overwrite validated') return;
  if (text !== 'validate') {
    let snap: bigint;
    try {
      snap = await base.createSelfManagedSnap(opts);
    } catch (e) {
      if (e instanceof CephError && e.code === 'EINVAL') throw new CephError(e.errno, 'pool not configured for self-managed RBD snapshot support', { op: 'create' });
      throw e;
    }
    await base.operate(RBD_INFO, new WriteOp().create(true).write(Buffer.from('validate'), 0), opts).catch(ignoring('EEXIST'));
    await base.removeSelfManagedSnap(snap, opts).catch(() => undefined);
  }
  await base.write(RBD_INFO, Buffer.from('overwrite validated'), 0, opts);
}

/** Undo list: run in reverse, ignoring what is already gone. */
class Rollback {
  private readonly steps: Array<() => Promise<unknown>> = [];
  add(step: () => Promise<unknown>): void {
    this.steps.push(step);
  }
  async run(): Promise<void> {
    for (const s of this.steps.reverse()) await s().catch(() => undefined);
  }
}

interface Created {
  id: string;
}

/**
 * The objects of a new image, written in parallel: the directory entry, rbd_id.<name>,
 * the header (exclusive create + rbd.create), the object map. Rolls back on failure.
 */
async function createObjects(io: IoCtx, name: string, size: number, p: Plan, opts: CallOptions, op: string): Promise<Created> {
  const id = generateImageId(io.cluster.globalId, randomInt(0, 2 ** 32));
  const prefix = objectPrefix(id, io.poolId, p.dataPoolId >= 0);
  const rb = new Rollback();
  const steps: Array<Promise<unknown>> = [];
  const step = (work: () => Promise<unknown>, undo: () => Promise<unknown>) => {
    steps.push(
      work().then((v) => {
        rb.add(undo);
        return v;
      }),
    );
  };
  step(
    () => call(io, RBD_DIRECTORY, R.dirAddImage(name, id), opts),
    () => call(io, RBD_DIRECTORY, R.dirRemoveImage(name, id)),
  );
  step(
    () => io.operate(idObject(name), writeOp([R.setId(id)], { createExclusive: true }), opts),
    () => io.remove(idObject(name)),
  );
  step(
    () =>
      io.operate(headerObject(id), writeOp([R.create(size, p.order, p.features, prefix, p.dataPoolId)], { createExclusive: true }), opts).catch((e: unknown) => {
        // an id collision: the header exists already
        if (e instanceof CephError && e.code === 'EEXIST') throw rbdError('EBADF', `image id ${id} is in use`, name, op);
        throw e;
      }),
    () => io.remove(headerObject(id)),
  );
  if (p.features & Feature.OBJECT_MAP) {
    step(
      () => call(io, objectMapObject(id), R.objectMapResize(objectCount(makeLayout(p.order, p.stripeUnit, p.stripeCount), size), 0), opts),
      () => io.remove(objectMapObject(id)),
    );
  }
  const results = await Promise.allSettled(steps);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  try {
    if (failed) {
      const e = failed.reason;
      // the directory or rbd_id refused the name: it exists
      if (e instanceof CephError && e.code === 'EEXIST') throw rbdError('EEXIST', `image ${name} already exists`, name, op);
      throw e;
    }
    if (p.features & Feature.STRIPINGV2) await call(io, headerObject(id), R.setStripeUnitCount(p.stripeUnit, p.stripeCount), opts);
  } catch (e) {
    await rb.run();
    throw e;
  }
  return { id };
}

async function headerUpdate(io: IoCtx, id: string): Promise<void> {
  await io.notify(headerObject(id), Buffer.from('07010400000003000000', 'hex'), { timeoutMs: 5000 }).catch(() => undefined);
}

export const RBD = {
  /** Create a format-2 image (librbd's defaults and validation). */
  async create(io: IoCtx, name: string, size: number, opts: CreateOptions = {}): Promise<void> {
    const p = await plan(io, name, size, opts, 'create');
    const dio = p.dataPoolId >= 0 ? await io.cluster.openIoctx(p.dataPoolId) : io;
    await validatePool(dio, opts);
    await createObjects(io, name, size, p, opts, 'create');
  },

  /** Image names in this pool/namespace, sorted. */
  async list(io: IoCtx, opts: CallOptions = {}): Promise<string[]> {
    const names: string[] = [];
    let after = '';
    for (;;) {
      let page: Map<string, string>;
      try {
        page = await call(io, RBD_DIRECTORY, R.dirList(after, 1024), opts);
      } catch (e) {
        if (e instanceof CephError && e.code === 'ENOENT') return names;
        throw e;
      }
      names.push(...page.keys());
      if (page.size < 1024) break;
      after = names[names.length - 1]!;
    }
    return names.sort();
  },

  /**
   * Remove an image: ENOTEMPTY while it has snapshots, EBUSY while another client watches
   * its header; then data objects, child link, header, object map, id, directory entry.
   */
  async remove(io: IoCtx, name: string, opts: CallOptions = {}): Promise<void> {
    let id: string;
    try {
      id = await call(io, RBD_DIRECTORY, R.dirGetId(name), opts);
    } catch (e) {
      if (e instanceof CephError && e.code === 'ENOENT') throw rbdError('ENOENT', `image ${name} does not exist`, name, 'remove');
      throw e;
    }
    const img = await Image.openById(io, id, name, opts).catch((e: unknown) => {
      if (e instanceof CephError && e.code === 'ENOENT') return undefined; // a header-less leftover
      throw e;
    });
    if (img) {
      if (img.snaps.length) throw rbdError('ENOTEMPTY', `image ${name} has snapshots; remove them first`, name, 'remove');
      // our own client's watches (handles of this process that wrote, hence hold the exclusive-lock
      // watch) are not "open elsewhere", as librbd's PreRemoveRequest skips its own image's watch
      const me = io.cluster.globalId;
      const watchers = (await io.listWatchers(img.headerOid, opts).catch(() => [])).filter((w) => w.gid !== me);
      if (watchers.length) throw rbdError('EBUSY', `image ${name} has watchers (open elsewhere: ${watchers.map((w) => w.name).join(', ')})`, name, 'remove');
    }
    await removeImage(io, name, id, img, opts);
  },

  async rename(io: IoCtx, src: string, dst: string, opts: CallOptions = {}): Promise<void> {
    validName(dst, 'rename');
    const id = await call(io, idObject(src), R.getId(), opts).catch((e: unknown) => {
      if (e instanceof CephError && e.code === 'ENOENT') throw rbdError('ENOENT', `image ${src} does not exist`, src, 'rename');
      throw e;
    });
    try {
      await io.operate(idObject(dst), writeOp([R.setId(id)], { createExclusive: true }), opts);
    } catch (e) {
      if (e instanceof CephError && e.code === 'EEXIST') throw rbdError('EEXIST', `image ${dst} already exists`, dst, 'rename');
      throw e;
    }
    try {
      await call(io, RBD_DIRECTORY, R.dirRenameImage(src, dst, id), opts);
    } catch (e) {
      await io.remove(idObject(dst)).catch(() => undefined);
      if (e instanceof CephError && e.code === 'EEXIST') throw rbdError('EEXIST', `image ${dst} already exists`, dst, 'rename');
      throw e;
    }
    await io.remove(idObject(src), opts).catch(ignoring('ENOENT'));
    await headerUpdate(io, id);
  },

  /**
   * Clone a snapshot of `parentName` into `childName` (copy-on-write). Format 1 needs a
   * protected snapshot and registers the child in rbd_children; format 2 attaches the
   * child to the parent's header. Any failure removes the partial child.
   */
  async clone(parentIo: IoCtx, parentName: string, snapName: string, childIo: IoCtx, childName: string, opts: CloneOptions = {}): Promise<void> {
    const op = 'clone';
    validName(childName, op);
    const format = opts.cloneFormat === undefined || opts.cloneFormat === 'auto' ? (childIo.cluster.requireMinCompatClient() >= MIMIC ? 2 : 1) : opts.cloneFormat;
    if (format !== 1 && format !== 2) throw rbdError('EINVAL', `bad clone format ${String(opts.cloneFormat)}`, childName, op);
    if (format === 1 && parentIo.namespace !== childIo.namespace) throw rbdError('EXDEV', 'format 1 clones cannot cross namespaces', childName, op);

    // round 1: the parent's id; is the child name free of a format-1 image
    const [parentId] = await Promise.all([
      call(parentIo, idObject(parentName), R.getId(), opts).catch((e: unknown) => {
        if (e instanceof CephError && e.code === 'ENOENT') throw rbdError('ENOENT', `parent image ${parentName} does not exist`, parentName, op);
        throw e;
      }),
      childIo.stat(v1HeaderObject(childName), opts).then(
        () => {
          throw rbdError('EEXIST', `image ${childName} already exists (format 1)`, childName, op);
        },
        ignoring('ENOENT'),
      ),
    ]);
    // the child's data pool must be set up for RBD (rbd_info, self-managed snaps) as for create;
    // checked alongside rounds 2-3, finished before anything is made
    const validated = (opts.dataPool ? childIo.cluster.openIoctx(opts.dataPool) : Promise.resolve(childIo)).then((dio) => validatePool(dio, opts));
    validated.catch(() => undefined); // awaited below
    // rounds 2-3: the parent header and its snapshots
    const parent = await Image.openById(parentIo, parentId, parentName, { ...opts, readOnly: true });
    if (!(parent.features & Feature.LAYERING)) throw rbdError('ENOSYS', 'parent image lacks the layering feature', parentName, op);
    const snap = parent.listSnaps().find((s) => s.name === snapName);
    if (!snap) throw rbdError('ENOENT', `snapshot ${snapName} of ${parentName} does not exist`, parentName, op);
    if (format === 1 && !snap.protected) throw rbdError('EINVAL', `parent snapshot ${parentName}@${snapName} must be protected`, parentName, op);

    const requested = opts.features !== undefined ? parseFeatures(opts.features) : parent.features & ~FEATURES_IMPLICIT;
    if (!(requested & Feature.LAYERING)) throw rbdError('ENOSYS', 'the clone needs the layering feature', childName, op);
    const p = await plan(
      childIo,
      childName,
      snap.size,
      {
        ...opts,
        features: requested,
        order: opts.order ?? (opts.objectSize === undefined ? parent.layout.order : undefined),
        ...(opts.stripeUnit === undefined && parent.features & Feature.STRIPINGV2 ? { stripeUnit: parent.layout.stripeUnit, stripeCount: parent.layout.stripeCount } : {}),
      },
      op,
    );
    await validated;
    // round 4: the child's objects (and the parent's image metadata to copy)
    const [created, metadata] = await Promise.all([
      createObjects(childIo, childName, snap.size, p, opts, op),
      call(parentIo, parent.headerOid, R.metadataList('', 0), opts).catch(() => new Map<string, Buffer>()),
    ]);
    const childId = created.id;
    const spec: R.ParentImageSpec = { poolId: parentIo.poolId, poolNamespace: parentIo.namespace, imageId: parentId, snapId: snap.id };
    const child: R.ChildImageSpec = { poolId: childIo.poolId, poolNamespace: childIo.namespace, imageId: childId };
    try {
      // round 5: attach (child header in one op; the parent side in parallel)
      const headerCalls: Array<R.ClsCall<unknown>> = [R.parentAttach(spec, snap.size)];
      if (format === 2) headerCalls.push(R.opFeaturesSet(OpFeature.CLONE_CHILD, OpFeature.CLONE_CHILD));
      if (metadata.size) headerCalls.push(R.metadataSet(metadata));
      await Promise.all([
        childIo.operate(headerObject(childId), writeOp(headerCalls), opts),
        format === 2
          ? call(parentIo, parent.headerOid, R.childAttach(snap.id, child), opts)
          : call(childIo.namespace ? childIo.withNamespace('') : childIo, RBD_CHILDREN, R.addChild({ ...spec, poolNamespace: '' }, childId), opts),
      ]);
      if (format === 1) {
        // close the race with a concurrent unprotect
        const [status] = await batch(parentIo, parent.headerOid, [R.getProtectionStatus(snap.id)], opts);
        if (status !== R.Protection.PROTECTED) throw rbdError('EINVAL', `parent snapshot ${parentName}@${snapName} was unprotected meanwhile`, parentName, op);
      }
    } catch (e) {
      const img = await Image.openById(childIo, childId, childName).catch(() => undefined);
      await removeImage(childIo, childName, childId, img, {}, { spec, format });
      throw e;
    }
    if (format === 2) await headerUpdate(parentIo, parentId);
  },

  /** Import a file, Buffer, stream or file descriptor ({ fd: 0 }: stdin) into a new image (src/rbd/import-export.ts). */
  import: importImage,
  /** Export an open image (or snapshot) to a file, '-' or a Writable (src/rbd/import-export.ts). */
  export: exportImage,
};

/**
 * The removal itself (no checks): data objects, the child link to a parent, header,
 * object maps, rbd_id, directory entry. Tolerates pieces already gone.
 */
async function removeImage(
  io: IoCtx,
  name: string,
  id: string,
  img: Image | undefined,
  opts: CallOptions,
  attach?: { spec: R.ParentImageSpec; format: 1 | 2 },
): Promise<void> {
  const gone = ignoring('ENOENT');
  if (img) {
    await img.trim(0, opts);
    const spec = img.parent ?? attach?.spec;
    if (spec) {
      const v2 = (img.opFeatures & OpFeature.CLONE_CHILD) !== 0 || attach?.format === 2;
      if (v2) await detachChild(io, id, spec, true, opts);
      if (!v2 || attach) await detachChild(io, id, spec, false, opts);
    }
  } else if (attach) {
    const base = io.namespace ? io.withNamespace('') : io;
    await call(base, RBD_CHILDREN, R.removeChild({ ...attach.spec, poolNamespace: '' }, id), opts).catch(gone);
  }
  await io.remove(headerObject(id), opts).catch(gone);
  await io.remove(objectMapObject(id), opts).catch(gone);
  for (const s of img?.snaps ?? []) await io.remove(objectMapObject(id, s.id), opts).catch(gone);
  await io.remove(idObject(name), opts).catch(gone);
  await call(io, RBD_DIRECTORY, R.dirRemoveImage(name, id), opts).catch(gone);
}
