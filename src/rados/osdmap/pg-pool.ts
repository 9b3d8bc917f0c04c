// pg_pool_t (src/osd/osd_types.{h,cc}; docs/osdmap-crush.md §4): a pool as the OSDMap carries it.
//
// Decoded from struct_v 5 (the first with compat + length) up to 32 (Tentacle); every field
// the given struct_v has is read, and whatever a newer encoder appended is skipped through
// the envelope length. Pacific and Reef send 29 (30 for stretch pools); Tentacle sends 32 to
// a peer with SERVER_TENTACLE, where the stretch fields follow a u8 that says whether the pool
// is stretched (seen on a 20.2.4 cluster: `00` for a plain pool, `01` and the four fields after
// `ceph osd pool stretch set`), then two more bytes rbd-ts does not interpret. v31 (not sent by
// any release of the matrix) is read up to v29 and skipped beyond.

import type { Decoder } from '../../encoding/decoder.js';
import { decodeUTime, type UTime } from '../../encoding/types.js';
import { StrHash, strHash } from './hash.js';

export const PoolType = {
  REPLICATED: 1,
  ERASURE: 3,
} as const;

/** pg_pool_t::FLAG_* */
export const PoolFlag = {
  HASHPSPOOL: 1 << 0,
  FULL: 1 << 1,
  EC_OVERWRITES: 1 << 2,
  INCOMPLETE_CLONES: 1 << 3,
  NODELETE: 1 << 4,
  NOPGCHANGE: 1 << 5,
  NOSIZECHANGE: 1 << 6,
  WRITE_FADVISE_DONTNEED: 1 << 7,
  NOSCRUB: 1 << 8,
  NODEEP_SCRUB: 1 << 9,
  FULL_QUOTA: 1 << 10,
  NEARFULL: 1 << 11,
  BACKFILLFULL: 1 << 12,
  SELFMANAGED_SNAPS: 1 << 13,
  POOL_SNAPS: 1 << 14,
  CREATING: 1 << 15,
  EIO: 1 << 16,
  BULK: 1 << 17,
} as const;

const FLAG_NAMES: Array<[number, string]> = [
  [PoolFlag.HASHPSPOOL, 'hashpspool'],
  [PoolFlag.FULL, 'full'],
  [PoolFlag.EC_OVERWRITES, 'ec_overwrites'],
  [PoolFlag.INCOMPLETE_CLONES, 'incomplete_clones'],
  [PoolFlag.NODELETE, 'nodelete'],
  [PoolFlag.NOPGCHANGE, 'nopgchange'],
  [PoolFlag.NOSIZECHANGE, 'nosizechange'],
  [PoolFlag.WRITE_FADVISE_DONTNEED, 'write_fadvise_dontneed'],
  [PoolFlag.NOSCRUB, 'noscrub'],
  [PoolFlag.NODEEP_SCRUB, 'nodeep-scrub'],
  [PoolFlag.FULL_QUOTA, 'full_quota'],
  [PoolFlag.NEARFULL, 'nearfull'],
  [PoolFlag.BACKFILLFULL, 'backfillfull'],
  [PoolFlag.SELFMANAGED_SNAPS, 'selfmanaged_snaps'],
  [PoolFlag.POOL_SNAPS, 'pool_snaps'],
  [PoolFlag.CREATING, 'creating'],
  [PoolFlag.EIO, 'eio'],
  [PoolFlag.BULK, 'bulk'],
];

/** pg_pool_t::cache_mode_t */
export const CacheMode = {
  NONE: 0,
  WRITEBACK: 1,
  FORWARD: 2,
  READONLY: 3,
  READFORWARD: 4,
  READPROXY: 5,
  PROXY: 6,
} as const;

/** pool_snap_info_t */
export interface PoolSnapInfo {
  snapid: bigint;
  stamp: UTime;
  name: string;
}

/** one run of an interval_set<snapid_t>: [start, start + len) */
export interface SnapInterval {
  start: bigint;
  len: bigint;
}

export function decodeIntervalSet(d: Decoder): SnapInterval[] {
  return d.list((x) => ({ start: x.u64(), len: x.u64() }), 16);
}

function decodeStringMap(d: Decoder): Map<string, string> {
  return d.map(
    (x) => x.string(),
    (x) => x.string(),
    8,
  );
}

/** calc_bits_of(t): number of significant bits of t (0 for 0) */
function bitsOf(t: number): number {
  let n = 0;
  while (t > 0) {
    n++;
    t = Math.floor(t / 2);
  }
  return n;
}

/** pg_num_mask / pgp_num_mask: 2^bits(n − 1) − 1 */
export function pgMask(n: number): number {
  return n <= 1 ? 0 : 2 ** bitsOf(n - 1) - 1;
}

/** ceph_stable_mod(x, b, bmask): stable as b grows (never `x mod b`). */
export function stableMod(x: number, b: number, bmask: number): number {
  const m = (x & bmask) >>> 0;
  return m < b ? m : (x & (bmask >>> 1)) >>> 0;
}

export interface PgPoolFields {
  /** struct_v of the encoding this came from */
  structV: number;
  type: number;
  size: number;
  /** crush ruleset (Pacific's OSDMap::_pg_to_raw_osds matches it with CrushWrapper::find_rule) */
  crushRule: number;
  objectHash: number;
  pgNum: number;
  pgpNum: number;
  lastChange: number;
  snapSeq: bigint;
  snapEpoch: number;
  /** pool snapshots (mksnap), by snapid */
  snaps: Map<bigint, PoolSnapInfo>;
  /** legacy removed_snaps interval set (empty on Octopus+ clusters) */
  removedSnaps: SnapInterval[];
  auid: bigint;
  flags: number;
  minSize: number;
  quotaMaxBytes: bigint;
  quotaMaxObjects: bigint;
  tiers: bigint[];
  tierOf: number;
  cacheMode: number;
  readTier: number;
  writeTier: number;
  properties: Map<string, string>;
  /** HitSet::Params type byte (0 = none) */
  hitSetType: number;
  hitSetPeriod: number;
  hitSetCount: number;
  stripeWidth: number;
  targetMaxBytes: bigint;
  targetMaxObjects: bigint;
  cacheTargetDirtyRatioMicro: number;
  cacheTargetFullRatioMicro: number;
  cacheMinFlushAge: number;
  cacheMinEvictAge: number;
  erasureCodeProfile: string;
  lastForceOpResendPreluminous: number;
  minReadRecencyForPromote: number;
  expectedNumObjects: bigint;
  cacheTargetDirtyHighRatioMicro: number;
  minWriteRecencyForPromote: number;
  useGmtHitset: boolean;
  fastRead: boolean;
  hitSetGradeDecayRate: number;
  hitSetSearchLastN: number;
  /** pool_opts_t, kept undecoded (compression and scrub settings) */
  optsRaw: Buffer;
  lastForceOpResendPrenautilus: number;
  applicationMetadata: Map<string, Map<string, string>>;
  createTime: UTime;
  pgNumTarget: number;
  pgpNumTarget: number;
  pgNumPending: number;
  /** what Nautilus+ clients (Objecter) use to force a resend */
  lastForceOpResend: number;
  pgAutoscaleMode: number;
  /** pg_merge_meta_t, kept undecoded */
  lastPgMergeMetaRaw: Buffer;
  /** struct_v 30 (stretch pools) */
  peeringCrushBucketCount: number;
  peeringCrushBucketTarget: number;
  peeringCrushBucketBarrier: number;
  peeringCrushMandatoryMember: number;
}

const EMPTY = Buffer.alloc(0);

export class PgPool implements PgPoolFields {
  structV = 0;
  type = PoolType.REPLICATED as number;
  size = 0;
  crushRule = 0;
  objectHash = StrHash.RJENKINS as number;
  pgNum = 0;
  pgpNum = 0;
  lastChange = 0;
  snapSeq = 0n;
  snapEpoch = 0;
  snaps = new Map<bigint, PoolSnapInfo>();
  removedSnaps: SnapInterval[] = [];
  auid = 0n;
  flags = 0;
  minSize = 0;
  quotaMaxBytes = 0n;
  quotaMaxObjects = 0n;
  tiers: bigint[] = [];
  tierOf = -1;
  cacheMode = 0;
  readTier = -1;
  writeTier = -1;
  properties = new Map<string, string>();
  hitSetType = 0;
  hitSetPeriod = 0;
  hitSetCount = 0;
  stripeWidth = 0;
  targetMaxBytes = 0n;
  targetMaxObjects = 0n;
  cacheTargetDirtyRatioMicro = 0;
  cacheTargetFullRatioMicro = 0;
  cacheMinFlushAge = 0;
  cacheMinEvictAge = 0;
  erasureCodeProfile = '';
  lastForceOpResendPreluminous = 0;
  minReadRecencyForPromote = 1;
  expectedNumObjects = 0n;
  cacheTargetDirtyHighRatioMicro = 0;
  minWriteRecencyForPromote = 1;
  useGmtHitset = false;
  fastRead = false;
  hitSetGradeDecayRate = 0;
  hitSetSearchLastN = 1;
  optsRaw: Buffer = EMPTY;
  lastForceOpResendPrenautilus = 0;
  applicationMetadata = new Map<string, Map<string, string>>();
  createTime: UTime = { sec: 0, nsec: 0 };
  pgNumTarget = 0;
  pgpNumTarget = 0;
  pgNumPending = 0;
  lastForceOpResend = 0;
  pgAutoscaleMode = 1;
  lastPgMergeMetaRaw: Buffer = EMPTY;
  peeringCrushBucketCount = 0;
  peeringCrushBucketTarget = 0;
  peeringCrushBucketBarrier = 0;
  peeringCrushMandatoryMember = 0x7fffffff;

  /** bytes of the envelope left unread (fields of a newer struct_v); 0 up to v30, 2 for Tentacle's v32 */
  unknownTailBytes = 0;

  /** derived: 2^bits(pg_num − 1) − 1 */
  pgNumMask = 0;
  /** derived: 2^bits(pgp_num − 1) − 1 */
  pgpNumMask = 0;

  constructor(fields: Partial<PgPoolFields> = {}) {
    Object.assign(this, fields);
    this.calcPgMasks();
  }

  calcPgMasks(): void {
    this.pgNumMask = pgMask(this.pgNum);
    this.pgpNumMask = pgMask(this.pgpNum);
  }

  /** a copy with some fields replaced (the masks follow pg_num/pgp_num) */
  with(fields: Partial<PgPoolFields>): PgPool {
    const p = Object.assign(Object.create(PgPool.prototype) as PgPool, this, fields);
    p.calcPgMasks();
    return p;
  }

  hasFlag(f: number): boolean {
    return (this.flags & f) !== 0;
  }

  flagNames(): string[] {
    return FLAG_NAMES.filter(([f]) => this.flags & f).map(([, n]) => n);
  }

  isReplicated(): boolean {
    return this.type === PoolType.REPLICATED;
  }

  isErasure(): boolean {
    return this.type === PoolType.ERASURE;
  }

  /** replicated pools drop failed OSDs (later ones shift left); EC pools keep positions */
  canShiftOsds(): boolean {
    return this.type === PoolType.REPLICATED;
  }

  /** FLAG_FULL (set by the mon for a full cluster or, with FULL_QUOTA, an exhausted quota) */
  isFull(): boolean {
    return this.hasFlag(PoolFlag.FULL);
  }

  isFullQuota(): boolean {
    return this.hasFlag(PoolFlag.FULL_QUOTA);
  }

  isNearFull(): boolean {
    return this.hasFlag(PoolFlag.NEARFULL);
  }

  isTier(): boolean {
    return this.tierOf >= 0;
  }

  hasReadTier(): boolean {
    return this.readTier >= 0;
  }

  hasWriteTier(): boolean {
    return this.writeTier >= 0;
  }

  /** pool snapshots in use (mksnap) rather than self-managed (RBD) ones */
  isPoolSnapsMode(): boolean {
    return this.hasFlag(PoolFlag.POOL_SNAPS);
  }

  isUnmanagedSnapsMode(): boolean {
    return this.hasFlag(PoolFlag.SELFMANAGED_SNAPS);
  }

  /** raw ps (full 32-bit hash) → the pool's PG seed */
  rawPgToPg(ps: number): number {
    return stableMod(ps, this.pgNum, this.pgNumMask);
  }

  /**
   * hash_key: the raw 32-bit placement seed of an object: hash of `nspace 0x1F key` (or
   * just `key` without a namespace). `key` is the locator key if any, else the name.
   */
  hashKey(key: Uint8Array, nspace?: Uint8Array): number {
    if (!nspace || nspace.length === 0) return strHash(this.objectHash, key);
    const b = Buffer.allocUnsafe(nspace.length + 1 + key.length);
    b.set(nspace, 0);
    b[nspace.length] = 0x1f;
    b.set(key, nspace.length + 1);
    return strHash(this.objectHash, b);
  }
}

/** pg_pool_t::decode; the decoder must sit on the envelope's first byte. */
export function decodePgPool(d: Decoder): PgPool {
  const at = d.pos;
  d.need(1, 'pg_pool_t struct_v');
  if (d.buf[d.pos]! < 5) d.fail(`pg_pool_t struct_v ${d.buf[d.pos]} predates the compat/length envelope (not supported)`, at);
  return d.versioned(30, 'pg_pool_t', (b, v) => {
    const p = new PgPool();
    p.structV = v;
    p.type = b.u8();
    p.size = b.u8();
    p.crushRule = b.u8();
    p.objectHash = b.u8();
    p.pgNum = b.u32();
    p.pgpNum = b.u32();
    b.u32(); // lpg_num (always 0)
    b.u32(); // lpgp_num
    p.lastChange = b.u32();
    p.snapSeq = b.u64();
    p.snapEpoch = b.u32();
    // v >= 3 (always here)
    p.snaps = b.map(
      (x) => x.u64(),
      (x) =>
        x.versioned(2, 'pool_snap_info_t', (y) => ({
          snapid: y.u64(),
          stamp: decodeUTime(y),
          name: y.string(),
        })),
      14,
    );
    p.removedSnaps = decodeIntervalSet(b);
    p.auid = b.u64();
    // v >= 4
    p.flags = b.u64n();
    b.u32(); // crash_replay_interval
    // the C++ upgrade path: old pools with snaps but neither snap-mode flag
    if (p.snapSeq > 0n && (p.flags & (PoolFlag.SELFMANAGED_SNAPS | PoolFlag.POOL_SNAPS)) === 0) {
      p.flags |= p.removedSnaps.length > 0 ? PoolFlag.SELFMANAGED_SNAPS : PoolFlag.POOL_SNAPS;
    }
    p.minSize = v >= 7 ? b.u8() : p.size - Math.floor(p.size / 2);
    if (v >= 8) {
      p.quotaMaxBytes = b.u64();
      p.quotaMaxObjects = b.u64();
    }
    if (v >= 9) {
      p.tiers = b.list((x) => x.u64(), 8);
      p.tierOf = b.s64n();
      p.cacheMode = b.u8();
      p.readTier = b.s64n();
      p.writeTier = b.s64n();
    }
    if (v >= 10) p.properties = decodeStringMap(b);
    if (v >= 11) {
      p.hitSetType = b.versioned(255, 'HitSet::Params', (x) => (x.remaining > 0 ? x.u8() : 0));
      p.hitSetPeriod = b.u32();
      p.hitSetCount = b.u32();
    }
    if (v >= 12) p.stripeWidth = b.u32();
    if (v >= 13) {
      p.targetMaxBytes = b.u64();
      p.targetMaxObjects = b.u64();
      p.cacheTargetDirtyRatioMicro = b.u32();
      p.cacheTargetFullRatioMicro = b.u32();
      p.cacheMinFlushAge = b.u32();
      p.cacheMinEvictAge = b.u32();
    }
    if (v >= 14) p.erasureCodeProfile = b.string();
    if (v >= 15) p.lastForceOpResendPreluminous = b.u32();
    if (v >= 16) p.minReadRecencyForPromote = b.s32();
    if (v >= 17) p.expectedNumObjects = b.u64();
    p.cacheTargetDirtyHighRatioMicro = v >= 19 ? b.u32() : p.cacheTargetDirtyRatioMicro;
    if (v >= 20) p.minWriteRecencyForPromote = b.s32();
    if (v >= 21) p.useGmtHitset = b.bool();
    if (v >= 22) p.fastRead = b.bool();
    if (v >= 23) {
      p.hitSetGradeDecayRate = b.u32();
      p.hitSetSearchLastN = b.u32();
    }
    if (v >= 24) p.optsRaw = rawEnvelope(b, 'pool_opts_t');
    p.lastForceOpResendPrenautilus = v >= 25 ? b.u32() : p.lastForceOpResendPreluminous;
    if (v >= 26) {
      p.applicationMetadata = b.map(
        (x) => x.string(),
        (x) => decodeStringMap(x),
        8,
      );
    }
    if (v >= 27) p.createTime = decodeUTime(b);
    if (v >= 28) {
      p.pgNumTarget = b.u32();
      p.pgpNumTarget = b.u32();
      p.pgNumPending = b.u32();
      b.u32(); // old merge last_epoch_started
      b.u32(); // old merge last_epoch_clean
      p.lastForceOpResend = b.u32();
      p.pgAutoscaleMode = b.u8();
      if (v >= 29) p.lastPgMergeMetaRaw = rawEnvelope(b, 'pg_merge_meta_t');
    } else {
      p.pgNumTarget = p.pgNum;
      p.pgpNumTarget = p.pgpNum;
      p.pgNumPending = p.pgNum;
      p.lastForceOpResend = p.lastForceOpResendPrenautilus;
    }
    if (v === 30 || (v >= 32 && b.bool())) {
      p.peeringCrushBucketCount = b.u32();
      p.peeringCrushBucketTarget = b.u32();
      p.peeringCrushBucketBarrier = b.u32();
      p.peeringCrushMandatoryMember = b.s32();
    }
    p.unknownTailBytes = b.remaining;
    p.calcPgMasks();
    return p;
  });
}

/** A whole ENCODE_START envelope (header included), returned as bytes and skipped. */
function rawEnvelope(d: Decoder, what: string): Buffer {
  const start = d.pos;
  d.versioned(255, what, () => undefined);
  return Buffer.from(d.buf.subarray(start, d.pos));
}
