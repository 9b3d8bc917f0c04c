// The CRUSH map as a Pacific (16.2.x) client holds it: src/crush/crush.h (struct
// crush_map, crush_bucket*, crush_rule, crush_choose_arg) and src/crush/CrushWrapper.h
// (name maps, device classes, choose_args); docs/osdmap-crush.md §6. Plus what Squid/Tentacle
// maps add: MSR rule types and ops, and the msr_descents / msr_collision_tries tunables.
//
// Field names are the C names in camelCase (item_weights → itemWeights). Per-item data is
// kept in typed arrays and every bucket has every field (empty arrays where its algorithm
// has none), so the mapper's hot loops see one object shape.

/** CRUSH_MAGIC: first u32 of an encoded map */
export const CRUSH_MAGIC = 0x00010000;

/** CRUSH_ITEM_NONE: an empty slot in an indep (erasure) result */
export const CRUSH_ITEM_NONE = 0x7fffffff;
/** CRUSH_ITEM_UNDEF: a slot crush_choose_indep has not filled yet (never returned) */
export const CRUSH_ITEM_UNDEF = 0x7ffffffe;

/** CRUSH_HASH_RJENKINS1: the only bucket hash; any other makes the hashes return 0 */
export const CRUSH_HASH_RJENKINS1 = 0;

/** DEFAULT_CHOOSE_ARGS: the choose_args key of the default ("compat") weight set */
export const DEFAULT_CHOOSE_ARGS = -1n;

/** crush_algorithm */
export const CrushBucketAlg = {
  UNIFORM: 1,
  LIST: 2,
  TREE: 3,
  STRAW: 4,
  STRAW2: 5,
} as const;
export type CrushBucketAlg = (typeof CrushBucketAlg)[keyof typeof CrushBucketAlg];

/** crush_opcodes (the MSR ops 14..16 are Squid+) */
export const CrushRuleOp = {
  NOOP: 0,
  TAKE: 1,
  CHOOSE_FIRSTN: 2,
  CHOOSE_INDEP: 3,
  EMIT: 4,
  CHOOSELEAF_FIRSTN: 6,
  CHOOSELEAF_INDEP: 7,
  SET_CHOOSE_TRIES: 8,
  SET_CHOOSELEAF_TRIES: 9,
  SET_CHOOSE_LOCAL_TRIES: 10,
  SET_CHOOSE_LOCAL_FALLBACK_TRIES: 11,
  SET_CHOOSELEAF_VARY_R: 12,
  SET_CHOOSELEAF_STABLE: 13,
  /** MSR rules only: override msr_descents for the rule (a config step before the first TAKE) */
  SET_MSR_DESCENTS: 14,
  /** MSR rules only: override msr_collision_tries for the rule */
  SET_MSR_COLLISION_TRIES: 15,
  /** MSR rules only: choosemsr N type T (no firstn/indep: the rule type decides) */
  CHOOSE_MSR: 16,
} as const;

/**
 * crush_rule_type: 1 and 3 as pools use them (pg_pool_t::TYPE_*); 4 and 5 are Squid's
 * MSR rules, which crush_do_rule hands to crush_msr_do_rule (msr.ts).
 */
export const CrushRuleType = {
  REPLICATED: 1,
  ERASURE: 3,
  MSR_FIRSTN: 4,
  MSR_INDEP: 5,
} as const;

/** rule_type_is_msr */
export function ruleTypeIsMsr(type: number): boolean {
  return type === CrushRuleType.MSR_FIRSTN || type === CrushRuleType.MSR_INDEP;
}

/** set_default_msr_tunables(): what a map without the msr tunables (pre-Squid encoding) gets */
export const DEFAULT_MSR_DESCENTS = 100;
export const DEFAULT_MSR_COLLISION_TRIES = 100;

/**
 * One bucket (struct crush_bucket + the per-algorithm tail). `id` is negative and the
 * bucket sits at index -1-id of CrushMap.buckets.
 */
export interface CrushBucket {
  /** s32, < 0 */
  readonly id: number;
  /** u16 bucket type (0 is the device type) */
  readonly type: number;
  /** u8 crush_algorithm */
  readonly alg: CrushBucketAlg;
  /** u8 hash (0 = rjenkins1) */
  readonly hash: number;
  /** u32 16.16 total weight */
  readonly weight: number;
  /** u32 number of items */
  readonly size: number;
  /** s32 children: devices (>= 0) or buckets (< 0) */
  readonly items: Int32Array;
  /** uniform: the one u32 weight every item has (0 otherwise) */
  readonly itemWeight: number;
  /** list, straw, straw2: u32 per item (empty otherwise) */
  readonly itemWeights: Uint32Array;
  /** list: running sums of itemWeights (empty otherwise) */
  readonly sumWeights: Uint32Array;
  /** tree: u8 node count (0 otherwise) */
  readonly numNodes: number;
  /** tree: u32 per node, numNodes entries (empty otherwise) */
  readonly nodeWeights: Uint32Array;
  /** straw: u32 straw length per item (empty otherwise) */
  readonly straws: Uint32Array;
}

/** crush_rule_step */
export interface CrushRuleStep {
  /** u32 crush_opcodes value */
  readonly op: number;
  readonly arg1: number;
  readonly arg2: number;
}

/**
 * crush_rule_mask as Pacific still encodes and uses it (PR #42041 removed it in Quincy):
 * four u8, matched by CrushWrapper::find_rule (crush_find_rule, src/crush/mapper.c).
 */
export interface CrushRuleMask {
  readonly ruleset: number;
  /** crush_rule_type: 1 replicated, 3 erasure, 4 msr_firstn, 5 msr_indep */
  readonly type: number;
  readonly minSize: number;
  readonly maxSize: number;
}

export interface CrushRule {
  readonly mask: CrushRuleMask;
  readonly steps: readonly CrushRuleStep[];
}

/** Map-wide tunables (crush_map fields; legacy values when the encoding ends early). */
export interface CrushTunables {
  /** u32 */
  readonly chooseLocalTries: number;
  /** u32 */
  readonly chooseLocalFallbackTries: number;
  /** u32, counts retries: crush_do_rule uses it + 1 */
  readonly chooseTotalTries: number;
  /** u32 */
  readonly chooseleafDescendOnce: number;
  /** u8 */
  readonly chooseleafVaryR: number;
  /** u8, only used when building straw buckets */
  readonly strawCalcVersion: number;
  /** u32 bitmask of 1 << alg, only used when building */
  readonly allowedBucketAlgs: number;
  /** u8 */
  readonly chooseleafStable: number;
}

/** set_tunables_legacy(): what a map that ends before its tunables means (argonaut). */
export const LEGACY_TUNABLES: CrushTunables = Object.freeze({
  chooseLocalTries: 2,
  chooseLocalFallbackTries: 5,
  chooseTotalTries: 19,
  chooseleafDescendOnce: 0,
  chooseleafVaryR: 0,
  strawCalcVersion: 0,
  // CRUSH_LEGACY_ALLOWED_BUCKET_ALGS: uniform | list | straw
  allowedBucketAlgs: (1 << CrushBucketAlg.UNIFORM) | (1 << CrushBucketAlg.LIST) | (1 << CrushBucketAlg.STRAW),
  chooseleafStable: 0,
});

/**
 * crush_choose_arg: per-bucket overrides used by straw2 buckets only.
 * `weightSet[p]` holds the item weights for result position p (positions past the last
 * use the last one); `ids` replaces the item ids fed to the hash (the chosen value is
 * still the real item).
 */
export interface ChooseArg {
  /** s32 per item, or undefined (use the bucket's items) */
  readonly ids: Int32Array | undefined;
  /** weight_set_positions entries, each with one u32 per item (may be empty) */
  readonly weightSet: readonly Uint32Array[];
}

/** crush_choose_arg_map: indexed by bucket index (-1 - bucket id), maxBuckets long. */
export type ChooseArgMap = readonly (ChooseArg | undefined)[];

export interface CrushMap {
  /** s32: length of `buckets` */
  readonly maxBuckets: number;
  /** u32: length of `rules` */
  readonly maxRules: number;
  /**
   * The max_devices crush_do_rule sees. CrushWrapper::decode ends with finalize(), which
   * discards the encoded value and recomputes it: the highest device id in any bucket
   * + 1, raised to the highest name_map key + 1 (CrushWrapper.h finalize(), builder.c
   * crush_finalize; checked with crushtool 16.2.15 on patched blobs).
   */
  readonly maxDevices: number;
  /** the max_devices field as encoded (not used for mapping) */
  readonly encodedMaxDevices: number;
  /** bucket id b lives at index -1-b; holes are undefined */
  readonly buckets: readonly (CrushBucket | undefined)[];
  /** rule id → rule; holes are undefined */
  readonly rules: readonly (CrushRule | undefined)[];
  /** type id → name (type_map) */
  readonly typeMap: ReadonlyMap<number, string>;
  /** item id (device or bucket) → name (name_map) */
  readonly nameMap: ReadonlyMap<number, string>;
  /** rule id → name (rule_name_map) */
  readonly ruleNameMap: ReadonlyMap<number, string>;
  readonly tunables: CrushTunables;
  /**
   * u32 msr_descents (Squid+, after choose_args): how many times crush_msr_do_rule
   * descends from the root; DEFAULT_MSR_DESCENTS when the encoding ends before it.
   */
  readonly msrDescents: number;
  /** u32 msr_collision_tries: retries of one choosemsr pick that collides; default 100 */
  readonly msrCollisionTries: number;
  /** device or bucket id → class id (class_map) */
  readonly classMap: ReadonlyMap<number, number>;
  /** class id → name (class_name) */
  readonly className: ReadonlyMap<number, string>;
  /** bucket id → (class id → shadow bucket id) (class_bucket) */
  readonly classBucket: ReadonlyMap<number, ReadonlyMap<number, number>>;
  /** s64 index (a pool id, or -1 = default) → per-bucket args (choose_args) */
  readonly chooseArgs: ReadonlyMap<bigint, ChooseArgMap>;
}
