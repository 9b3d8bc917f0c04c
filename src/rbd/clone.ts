// Cloning a snapshot (librbd image/CloneRequest): the child is a new image whose header
// names the parent snapshot and the overlap. Format 1 needs a protected snapshot and registers
// the child in rbd_children; format 2 attaches the child to the parent's header (child_attach)
// and marks it clone-child. As in CloneRequest the child's header names the parent before the
// parent records the child (see createObjects for what an interruption leaves); reads run in
// parallel where they can; any failure removes the partial child.

import { bestEffort, cephError, ignoring, isErrno } from '../encoding/errno.js';
import type { IoCtx } from '../rados/ioctx.js';
import { batch, call } from './cls/exec.js';
import * as R from './cls/rbd.js';
import { createObjects, plan, validName, validatePool } from './create.js';
import { FEATURES_IMPLICIT, Feature, OpFeature, parseFeatures } from './features.js';
import { ImageCtx } from './image-ctx.js';
import { notifyHeaderUpdate } from './image-watcher.js';
import { RBD_CHILDREN, idObject, v1HeaderObject } from './names.js';
import { ioOptions } from './options.js';
import { purgeById } from './remove.js';
import type { CloneOptions } from './types.js';

/** CephRelease numbers (OSDMap require_min_compat_client) */
const MIMIC = 13;

/**
 * Clone a snapshot of `parentName` into `childName` (copy-on-write). Format 1 needs a
 * protected snapshot and registers the child in rbd_children; format 2 attaches the
 * child to the parent's header. Any failure removes the partial child.
 */
export async function cloneImage(
  parentIo: IoCtx,
  parentName: string,
  snapName: string,
  childIo: IoCtx,
  childName: string,
  opts: CloneOptions = {},
): Promise<void> {
  const op = 'clone';
  validName(childName, op);
  const format0 = opts.cloneFormat ?? ioOptions(childIo).defaultCloneFormat;
  const format = format0 === 'auto' ? (childIo.cluster.requireMinCompatClient() >= MIMIC ? 2 : 1) : format0;
  if (format !== 1 && format !== 2) throw cephError('EINVAL', `bad clone format ${String(format0)}`, { op: op, image: childName });
  if (format === 1 && parentIo.namespace !== childIo.namespace)
    throw cephError('EXDEV', 'format 1 clones cannot cross namespaces', { op: op, image: childName });

  // round 1: the parent's id; is the child name free of a format-1 image
  const [parentId] = await Promise.all([
    call(parentIo, idObject(parentName), R.getId(), opts).catch((e: unknown) => {
      if (isErrno(e, 'ENOENT')) throw cephError('ENOENT', `parent image ${parentName} does not exist`, { op: op, image: parentName });
      throw e;
    }),
    childIo.stat(v1HeaderObject(childName), opts).then(() => {
      throw cephError('EEXIST', `image ${childName} already exists (format 1)`, { op: op, image: childName });
    }, ignoring('ENOENT')),
  ]);
  // the child's data pool must be set up for RBD (rbd_info, self-managed snaps) as for create;
  // checked alongside rounds 2-3, finished before anything is made
  const validated = (opts.dataPool ? childIo.cluster.openIoctx(opts.dataPool) : Promise.resolve(childIo)).then((dio) => validatePool(dio, opts));
  validated.catch(bestEffort); // awaited below
  // rounds 2-3: the parent header and its snapshots
  const parent = new ImageCtx(parentIo, parentName, parentId, true);
  await parent.refresh(opts);
  if (!(parent.features & Feature.LAYERING)) throw cephError('ENOSYS', 'parent image lacks the layering feature', { op: op, image: parentName });
  const snap = parent.findUserSnap(snapName);
  if (!snap) throw cephError('ENOENT', `snapshot ${snapName} of ${parentName} does not exist`, { op: op, image: parentName });
  if (format === 1 && snap.protection !== R.Protection.PROTECTED)
    throw cephError('EINVAL', `parent snapshot ${parentName}@${snapName} must be protected`, { op: op, image: parentName });

  const requested = opts.features !== undefined ? parseFeatures(opts.features) : parent.features & ~FEATURES_IMPLICIT;
  if (!(requested & Feature.LAYERING)) throw cephError('ENOSYS', 'the clone needs the layering feature', { op: op, image: childName });
  const p = await plan(
    childIo,
    childName,
    snap.size,
    {
      ...opts,
      features: requested,
      order: opts.order ?? (opts.objectSize === undefined ? parent.layout.order : undefined),
      ...(opts.stripeUnit === undefined && parent.features & Feature.STRIPINGV2
        ? { stripeUnit: parent.layout.stripeUnit, stripeCount: parent.layout.stripeCount }
        : {}),
    },
    op,
  );
  await validated;
  const spec: R.ParentImageSpec = { poolId: parentIo.poolId, poolNamespace: parentIo.namespace, imageId: parentId, snapId: snap.id };
  // the child header's link to the parent, in one op: parent_attach, clone-child, the parent's
  // image metadata (read while the child's name and header are made)
  const headerCalls = call(parentIo, parent.headerOid, R.metadataList('', 0), opts)
    .catch(() => new Map<string, Buffer>()) // none, or a release without metadata
    .then((metadata) => [
      R.parentAttach(spec, snap.size),
      ...(format === 2 ? [R.opFeaturesSet(OpFeature.CLONE_CHILD, OpFeature.CLONE_CHILD)] : []),
      ...(metadata.size ? [R.metadataSet(metadata)] : []),
    ]);
  // rounds 4-6: the child's name, header and object map, then its parent link (createObjects)
  const { id: childId } = await createObjects(childIo, childName, snap.size, p, opts, op, headerCalls);
  const child: R.ChildImageSpec = { poolId: childIo.poolId, poolNamespace: childIo.namespace, imageId: childId };
  try {
    // round 7: the parent's record of the child, only now that the child's header names the parent
    // (v1: in the rbd_children of the child's pool and namespace, where AttachChildRequest writes it)
    if (format === 2) await call(parentIo, parent.headerOid, R.childAttach(snap.id, child), opts);
    else await call(childIo, RBD_CHILDREN, R.addChild({ ...spec, poolNamespace: '' }, childId), opts);
    if (format === 1) {
      // close the race with a concurrent unprotect
      const [status] = await batch(parentIo, parent.headerOid, [R.getProtectionStatus(snap.id)], opts);
      if (status !== R.Protection.PROTECTED)
        throw cephError('EINVAL', `parent snapshot ${parentName}@${snapName} was unprotected meanwhile`, { op: op, image: parentName });
    }
  } catch (e) {
    await purgeById(childIo, childName, childId, { spec, format });
    throw e;
  }
  if (format === 2) await notifyHeaderUpdate(parentIo, parent.headerOid).catch(bestEffort);
}
