// rbd-ts public API: everything a user imports, by name. The OpenStack layer (Glance store,
// Nova handler, Glance client) is the subpath export `rbd-ts/openstack` (src/glance/index.ts).

// errors
export { CephError, DecodeError, TimeoutError, AbortError, errnoName, errnoNumber, strerror, type CephErrorContext } from './encoding/errno.js';
export type { UTime } from './encoding/types.js';
export type { WaitOptions } from './common/wait.js';

// cluster and pools (RADOS)
export type { ClientOptions } from './config/client-config.js';
export { Rados, type ConnectOptions, type ClusterStatus, type MonStatus } from './rados/rados.js';
export type { MonCommandResult } from './mon/mon-client.js';
export { IoCtx, Watch, recycleReadBuffer, type CallOptions, type StatResult, type OmapPage, type WatcherInfo } from './rados/ioctx.js';
export type { NotifyResult, OpResult, WatchCallbacks } from './rados/objecter.js';
export type { NotifyAck } from './rados/messages/watch-notify.js';
export { ReadOp, WriteOp } from './rados/op-builder.js';

// images (RBD)
export {
  RBD,
  Image,
  Snapshot,
  ctime,
  type OpenOptions,
  type FlattenOptions,
  type ResizeOptions,
  type SnapState,
  type SnapContext,
  type ParentImageSpec,
  type Layout,
  type CreateOptions,
  type CloneOptions,
  type SnapInfo,
  type ParentInfo,
  type ChildInfo,
  type ImageStat,
  type RbdInfoJson,
  Feature,
  OpFeature,
  HeaderFlag,
  featureNames,
  parseFeatures,
  rbdOptions,
  RBD_DEFAULT_FEATURES,
  type RbdOptions,
  type ImportSource,
  type ImportOptions,
  type ImportResult,
  type ExportOptions,
  ImageReadStream,
  ImageWriteStream,
  type ImageReadStreamOptions,
  type ImageWriteStreamOptions,
  type ImageStreamTarget,
  type StreamStats,
} from './rbd/index.js';
