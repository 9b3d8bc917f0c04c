// The RBD layer's public face: what src/index.ts re-exports, by name.
export { RBD } from './rbd.js';
export {
  ORPHAN_MIN_AGE_MS,
  type Orphan,
  type OrphanKind,
  type OrphanScanOptions,
  type RemoveOrphansOptions,
  type OrphanRemoval,
  type SkippedOrphan,
} from './orphans.js';
export { Image, Snapshot, ctime, type OpenOptions, type FlattenOptions, type ResizeOptions } from './image.js';
export type { SnapState } from './image-ctx.js';
export type { ParentImageSpec, SnapNamespace } from './cls/rbd.js';
export type { Layout } from './layout.js';
export type { CreateOptions, CloneOptions, SnapInfo, ParentInfo, ChildInfo, ImageStat, RbdInfoJson } from './types.js';
export { Feature, OpFeature, HeaderFlag, featureNames, parseFeatures } from './features.js';
export { rbdOptions, RBD_DEFAULT_FEATURES, type RbdOptions, type OptionSource } from './options.js';
export type { ImportSource, ImportOptions, ImportResult, ExportOptions } from './import-export.js';
export {
  ImageReadStream,
  ImageWriteStream,
  type ImageReadStreamOptions,
  type ImageWriteStreamOptions,
  type ImageStreamTarget,
  type StreamStats,
} from './stream.js';
