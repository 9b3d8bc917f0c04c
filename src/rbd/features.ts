// RBD feature bits, op-features and flags (src/include/rbd/features.h; docs/rbd-format.md §2).

import { cephError } from '../encoding/errno.js';

export const Feature = {
  LAYERING: 1,
  STRIPINGV2: 2,
  EXCLUSIVE_LOCK: 4,
  OBJECT_MAP: 8,
  FAST_DIFF: 16,
  DEEP_FLATTEN: 32,
  JOURNALING: 64,
  DATA_POOL: 128,
  OPERATIONS: 256,
  MIGRATING: 512,
  NON_PRIMARY: 1024,
} as const;

/** names as `rbd` prints them, in bit order */
const FEATURE_NAMES: Array<[number, string]> = [
  [Feature.LAYERING, 'layering'],
  [Feature.STRIPINGV2, 'striping'],
  [Feature.EXCLUSIVE_LOCK, 'exclusive-lock'],
  [Feature.OBJECT_MAP, 'object-map'],
  [Feature.FAST_DIFF, 'fast-diff'],
  [Feature.DEEP_FLATTEN, 'deep-flatten'],
  [Feature.JOURNALING, 'journaling'],
  [Feature.DATA_POOL, 'data-pool'],
  [Feature.OPERATIONS, 'operations'],
  [Feature.MIGRATING, 'migrating'],
  [Feature.NON_PRIMARY, 'non-primary'],
];

export const FEATURES_ALL = 2047;
export const FEATURES_DEFAULT = 61;
/** set by the library from the layout, never from the user's mask */
export const FEATURES_IMPLICIT =
  Feature.STRIPINGV2 | Feature.DATA_POOL | Feature.FAST_DIFF | Feature.OPERATIONS | Feature.MIGRATING | Feature.NON_PRIMARY | 2048; // + dirty-cache (Pacific RBD_FEATURES_IMPLICIT_ENABLE)
export const FEATURES_INTERNAL = Feature.OPERATIONS | Feature.MIGRATING;

export const OpFeature = {
  CLONE_PARENT: 1,
  CLONE_CHILD: 2,
  GROUP: 4,
  SNAP_TRASH: 8,
} as const;

const OP_FEATURE_NAMES: Array<[number, string]> = [
  [OpFeature.CLONE_PARENT, 'clone-parent'],
  [OpFeature.CLONE_CHILD, 'clone-child'],
  [OpFeature.GROUP, 'group'],
  [OpFeature.SNAP_TRASH, 'snap-trash'],
];

export const HeaderFlag = {
  OBJECT_MAP_INVALID: 1,
  FAST_DIFF_INVALID: 2,
} as const;

export function featureNames(bits: number): string[] {
  return FEATURE_NAMES.filter(([b]) => bits & b).map(([, n]) => n);
}

export function opFeatureNames(bits: number): string[] {
  return OP_FEATURE_NAMES.filter(([b]) => bits & b).map(([, n]) => n);
}

export function flagNames(bits: number): string[] {
  const out: string[] = [];
  if (bits & HeaderFlag.OBJECT_MAP_INVALID) out.push('object map invalid');
  if (bits & HeaderFlag.FAST_DIFF_INVALID) out.push('fast diff invalid');
  return out;
}

/** Feature names (or a number as text) to bits; unknown name → EINVAL. */
export function parseFeatures(spec: number | readonly string[] | string): number {
  if (typeof spec === 'number') return spec;
  const words = typeof spec === 'string' ? spec.split(/[,\s]+/).filter(Boolean) : spec;
  let bits = 0;
  for (const w of words) {
    if (/^\d+$/.test(w)) {
      bits |= Number(w);
      continue;
    }
    const hit = FEATURE_NAMES.find(([, n]) => n === w);
    if (!hit) throw cephError('EINVAL', `unknown image feature '${w}'`, { op: 'parse features' });
    bits |= hit[0];
  }
  return bits;
}

/**
 * The creation-time checks librbd makes (image/CreateRequest.cc): unknown bits → ENOSYS;
 * internal bits → EINVAL; dependencies (object-map and
 * journaling need exclusive-lock) → EINVAL; fast-diff is on exactly when object-map is.
 */
export function validateCreateFeatures(features: number, op = 'create'): number {
  if (features & ~FEATURES_ALL) throw cephError('ENOSYS', `unsupported features 0x${(features & ~FEATURES_ALL).toString(16)}`, { op });
  if (features & FEATURES_INTERNAL) throw cephError('EINVAL', 'internal features (operations, migrating) cannot be requested', { op });
  // fast-diff follows object-map: added with it, dropped without it (as librbd does)
  let f = features & ~Feature.FAST_DIFF;
  if (f & Feature.OBJECT_MAP) f |= Feature.FAST_DIFF;
  if (f & Feature.OBJECT_MAP && !(f & Feature.EXCLUSIVE_LOCK)) throw cephError('EINVAL', 'object-map requires exclusive-lock', { op });
  if (f & Feature.JOURNALING && !(f & Feature.EXCLUSIVE_LOCK)) throw cephError('EINVAL', 'journaling requires exclusive-lock', { op });
  return f;
}
