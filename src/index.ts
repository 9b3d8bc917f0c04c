// rbd-ts public API: everything a user imports, by name. The OpenStack layer (Glance store,
// Nova handler, Glance client) is the subpath export `rbd-ts/openstack` (src/glance/index.ts).

// errors
export { CephError, DecodeError, TimeoutError, AbortError, errnoName, errnoNumber, strerror, type CephErrorContext } from './encoding/errno.js';
export type { UTime } from './encoding/types.js';
export type { WaitOptions } from './common/wait.js';

// cluster and pools (RADOS)
export type { ClientOptions, ResolvedConfig } from './config/client-config.js';
export type { EntityName } from './config/entity-name.js';
export type { MonAddr, MonAddrVec } from './config/mon-host.js';
export type { CryptoKeyInfo } from './config/crypto-key.js';
export type { CephConf } from './config/ceph-conf.js';
export type { MetaContext } from './config/metavars.js';
export { Rados, type ConnectOptions, type ClusterStatus, type MonStatus } from './rados/rados.js';
export type { MonCommandResult } from './mon/mon-client.js';
export { IoCtx, Watch, recycleReadBuffer, type CallOptions, type StatResult, type OmapPage, type WatcherInfo, type ClusterView } from './rados/ioctx.js';
export type { ObjectLocation, PgId } from './rados/osdmap/placement.js';
export type { ObjectLocator } from './rados/messages/osd-op.js';
export type { OSDOp } from './rados/osd-ops.js';
export type { OpReplyOp } from './rados/messages/osd-op-reply.js';
export type { SnapContext } from './rados/messages/osd-op.js';
export type { NotifyResult, OpResult, WatchCallbacks } from './rados/objecter.js';
export type { NotifyAck } from './rados/messages/watch-notify.js';
export { ObjectOperation, ReadOp, WriteOp } from './rados/op-builder.js';

// images (RBD)
export {
  RBD,
  ORPHAN_MIN_AGE_MS,
  type Orphan,
  type OrphanKind,
  type OrphanScanOptions,
  type RemoveOrphansOptions,
  type OrphanRemoval,
  type SkippedOrphan,
  Image,
  Snapshot,
  ctime,
  type OpenOptions,
  type FlattenOptions,
  type ResizeOptions,
  type SnapState,
  type ParentImageSpec,
  type SnapNamespace,
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
  type OptionSource,
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
