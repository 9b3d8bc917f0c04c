// Public types of the RBD layer (python-rbd names in camelCase).

export interface CreateOptions {
  /** log2 of the object size (12..25); default 22 (rbd_default_order) */
  order?: number;
  /** object size in bytes (a power of two); alternative to order */
  objectSize?: number;
  /** feature bits, or names ('layering', 'exclusive-lock', ...); default rbd_default_features (61) */
  features?: number | readonly string[];
  stripeUnit?: number;
  stripeCount?: number;
  /** a pool for the data objects (name), other than the image's pool */
  dataPool?: string;
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface CloneOptions extends CreateOptions {
  /** 1, 2, or 'auto' (rbd_default_clone_format): 2 only when require_min_compat_client ≥ mimic */
  cloneFormat?: 1 | 2 | 'auto';
}

export interface SnapInfo {
  id: bigint;
  name: string;
  size: number;
  protected: boolean;
  timestamp: Date;
  /** 'user', 'group', 'trash' or 'mirror' */
  namespace: string;
  /** clone-v2 children attached to the snapshot */
  childCount: number;
}

export interface ParentInfo {
  poolId: number;
  pool: string;
  poolNamespace: string;
  image: string;
  imageId: string;
  snapshot: string;
  snapId: bigint;
  overlap: number;
  /** the parent image is in the trash */
  trash: boolean;
}

export interface ChildInfo {
  poolId: number;
  pool: string;
  poolNamespace: string;
  image: string;
  imageId: string;
  trash: boolean;
}

/** python-rbd Image.stat() */
export interface ImageStat {
  size: number;
  objSize: number;
  numObjs: number;
  order: number;
  blockNamePrefix: string;
  parentPool: number;
  parentName: string;
}

/** Every field `rbd info --format json` prints, with the same keys. */
export interface RbdInfoJson {
  name: string;
  id: string;
  size: number;
  objects: number;
  order: number;
  object_size: number;
  snapshot_count: number;
  block_name_prefix: string;
  format: 2;
  features: string[];
  op_features: string[];
  flags: string[];
  create_timestamp: string;
  access_timestamp: string;
  modify_timestamp: string;
  data_pool?: string;
  stripe_unit?: number;
  stripe_count?: number;
  parent?: {
    pool: string;
    pool_namespace: string;
    image: string;
    id: string;
    snapshot: string;
    trash: boolean;
    overlap: number;
  };
  protected?: string;
}
