// The librbd options rbd-ts honours, read once from the client's configuration (ceph.conf,
// connect's `options`, `--<option> value` on the command line), with librbd's defaults
// (src/common/options/rbd.yaml.in). Create, clone, import, export, flatten, the exclusive
// lock, the Glance store, Nova and the CLI all take them from here.

import type { ResolvedConfig } from '../config/client-config.js';
import { cephError, isErrno } from '../encoding/errno.js';
import type { IoCtx } from '../rados/ioctx.js';
import { parseFeatures } from './features.js';

export interface RbdOptions {
  /** rbd_default_pool ('rbd') */
  readonly defaultPool: string;
  /** rbd_default_features as bits; undefined when the client does not set it (librbd: 61) */
  readonly defaultFeatures: number | undefined;
  /** rbd_default_order (22); 0 or unset means 22 */
  readonly defaultOrder: number;
  /** rbd_default_stripe_unit / rbd_default_stripe_count (0: the object size, one object) */
  readonly defaultStripeUnit: number;
  readonly defaultStripeCount: number;
  /** rbd_default_data_pool ('' = the image's own pool) */
  readonly defaultDataPool: string | undefined;
  /** rbd_default_clone_format: 1, 2 or 'auto' (2 when require_min_compat_client >= mimic) */
  readonly defaultCloneFormat: 1 | 2 | 'auto';
  /** rbd_concurrent_management_ops (10): objects in flight for import, export, flatten, trim */
  readonly concurrentManagementOps: number;
  /** rbd_blocklist_on_break_lock (true): blocklist a dead lock owner before breaking its lock */
  readonly blocklistOnBreakLock: boolean;
  /** rbd_blocklist_expire_seconds (0: the monitor's default) */
  readonly blocklistExpireSeconds: number;
}

/** librbd's default feature mask: layering, exclusive-lock, object-map, fast-diff, deep-flatten */
export const RBD_DEFAULT_FEATURES = 61;

/** The configuration accessors RbdOptions needs (a ResolvedConfig, or a test's stand-in). */
export type OptionSource = Pick<ResolvedConfig, 'get' | 'getBool' | 'getInteger'> & Partial<Pick<ResolvedConfig, 'getSize'>>;

const cache = new WeakMap<object, RbdOptions>();

function featureBits(value: string): number {
  try {
    return parseFeatures(value.replace(/\s+/g, ''));
  } catch (e) {
    if (!isErrno(e, 'EINVAL')) throw e;
    return invalid('rbd_default_features', value, 'feature names or a number');
  }
}

function invalid(option: string, value: string, expected: string): never {
  throw cephError('EINVAL', `invalid ${option} '${value}' (${expected})`, { op: 'rbd options', target: option });
}

/** Read the options from a configuration (once per configuration object). */
export function rbdOptions(config: OptionSource): RbdOptions {
  const hit = cache.get(config);
  if (hit) return hit;
  const int = (name: string, dflt: number, min = 0): number => {
    const n = config.getInteger(name);
    return n !== undefined && n >= min ? n : dflt;
  };
  const features = config.get('rbd_default_features')?.trim();
  const clone = config.get('rbd_default_clone_format')?.trim();
  let cloneFormat: 1 | 2 | 'auto' = 'auto';
  if (clone === '1') cloneFormat = 1;
  else if (clone === '2') cloneFormat = 2;
  else if (clone !== undefined && clone !== '' && clone !== 'auto') invalid('rbd_default_clone_format', clone, '1, 2 or auto');
  const o: RbdOptions = {
    defaultPool: config.get('rbd_default_pool') || 'rbd',
    // "61" or "layering,exclusive-lock,...", as librbd accepts both
    defaultFeatures: features ? featureBits(features) : undefined,
    defaultOrder: int('rbd_default_order', 22, 1),
    defaultStripeUnit: config.getSize?.('rbd_default_stripe_unit') ?? 0,
    defaultStripeCount: int('rbd_default_stripe_count', 0),
    defaultDataPool: config.get('rbd_default_data_pool') || undefined,
    defaultCloneFormat: cloneFormat,
    concurrentManagementOps: int('rbd_concurrent_management_ops', 10, 1),
    blocklistOnBreakLock: config.getBool('rbd_blocklist_on_break_lock') ?? true,
    blocklistExpireSeconds: int('rbd_blocklist_expire_seconds', 0),
  };
  cache.set(config, o);
  return o;
}

/** The options of the client an IoCtx belongs to. */
export function ioOptions(io: IoCtx): RbdOptions {
  return rbdOptions(io.cluster.config);
}
