// rbd-ts public API.
export { Rados, type ConnectOptions, type ClusterStatus } from './rados/rados.js';
export { CephError, DecodeError, TimeoutError, AbortError, errnoName, errnoNumber, strerror } from './encoding/errno.js';
export type { MonCommandResult } from './mon/mon-client.js';
export { IoCtx, Watch, recycleReadBuffer } from './rados/ioctx.js';
export { ReadOp, WriteOp } from './rados/op-builder.js';
export * from './rbd/index.js';
export * from './glance/index.js';
