// librbd options rbd-ts honours, from the client's configuration (ceph.conf, connect's
// `options`, `--<option> value` on the command line) with librbd's defaults.

import type { IoCtx } from '../rados/ioctx.js';

/**
 * rbd_concurrent_management_ops (librbd default 10): objects in flight for import, export
 * and flatten, as `rbd import` / `rbd export` / `rbd flatten` use it.
 */
export function managementOps(io: IoCtx): number {
  const n = io.cluster.config.getInteger('rbd_concurrent_management_ops');
  return n !== undefined && n >= 1 ? n : 10;
}
