// CrushWrapper::decode as Pacific runs it (src/crush/CrushWrapper.cc; docs/osdmap-crush.md §6):
// an unversioned blob. magic, max_buckets, max_rules, max_devices, the bucket slots, the
// rule slots, three name maps, then groups that are each present only if bytes remain
// (tunables, device classes, choose_args, and Squid's msr tunables); a missing group
// keeps the legacy value.
//
// Every count is checked against the bytes left (times the smallest encoding of one
// element) before anything is allocated, so hostile input costs at most its own size.
// The only error thrown is DecodeError.

import { Decoder, decodeWith } from '../../encoding/decoder.js';
import {
  CRUSH_MAGIC,
  CrushBucketAlg,
  DEFAULT_MSR_COLLISION_TRIES,
  DEFAULT_MSR_DESCENTS,
  type CrushBucketAlg as CrushBucketAlgT,
  LEGACY_TUNABLES,
  type ChooseArg,
  type ChooseArgMap,
  type CrushBucket,
  type CrushMap,
  type CrushRule,
  type CrushRuleStep,
  type CrushTunables,
} from './types.js';

const NO_U32: Uint32Array = new Uint32Array(0);

/**
 * Bound on choose_args maps × max_buckets. Each map is max_buckets long (C callocs as many
 * crush_choose_args), so a few hundred KB of empty bucket slots and 12-byte empty maps would
 * ask for gigabytes. Real maps have one map per pool with a weight set (usually just the
 * compat one, -1) over at most thousands of buckets.
 */
export const MAX_CHOOSE_ARG_SLOTS = 1 << 22;

/** n u32s, n already known to fit */
function u32s(d: Decoder, n: number): Uint32Array {
  const a = new Uint32Array(n);
  for (let i = 0; i < n; i++) a[i] = d.u32();
  return a;
}

/** `count` elements of at least `minSize` bytes each must fit in what is left */
function fits(d: Decoder, count: number, minSize: number, what: string, at: number): void {
  if (count * minSize > d.remaining) d.fail(`${what} count ${count} exceeds ${d.remaining} remaining bytes`, at);
}

/** CrushWrapper::decode_crush_bucket: u32 alg (0 = empty slot), then the bucket. */
function decodeBucket(d: Decoder): CrushBucket | undefined {
  const at = d.pos;
  const outerAlg = d.u32();
  if (outerAlg === 0) return undefined;
  if (outerAlg < CrushBucketAlg.UNIFORM || outerAlg > CrushBucketAlg.STRAW2) d.fail(`unsupported bucket algorithm: ${outerAlg}`, at);
  const id = d.s32();
  const type = d.u16();
  const alg = d.u8() as CrushBucketAlgT;
  const hash = d.u8();
  const weight = d.u32();
  const sizeAt = d.pos;
  const size = d.u32();
  // C++ sizes the struct by the outer alg and decodes the tail by the inner one; a
  // mismatch is memory corruption there, so refuse it
  if (alg !== outerAlg) d.fail(`bucket ${id}: alg ${alg} differs from slot alg ${outerAlg}`, at);
  fits(d, size, 4, `bucket ${id} item`, sizeAt);
  const items = new Int32Array(size);
  for (let j = 0; j < size; j++) items[j] = d.s32();

  let itemWeight = 0;
  let itemWeights = NO_U32;
  let sumWeights = NO_U32;
  let numNodes = 0;
  let nodeWeights = NO_U32;
  let straws = NO_U32;
  switch (alg) {
    case CrushBucketAlg.UNIFORM:
      itemWeight = d.u32();
      break;
    case CrushBucketAlg.LIST:
      // size × (item_weight, sum_weight)
      fits(d, size, 8, `bucket ${id} list weight`, d.pos);
      itemWeights = new Uint32Array(size);
      sumWeights = new Uint32Array(size);
      for (let j = 0; j < size; j++) {
        itemWeights[j] = d.u32();
        sumWeights[j] = d.u32();
      }
      break;
    case CrushBucketAlg.TREE:
      numNodes = d.u8();
      fits(d, numNodes, 4, `bucket ${id} tree node`, d.pos);
      nodeWeights = u32s(d, numNodes);
      break;
    case CrushBucketAlg.STRAW:
      // size × (item_weight, straw)
      fits(d, size, 8, `bucket ${id} straw`, d.pos);
      itemWeights = new Uint32Array(size);
      straws = new Uint32Array(size);
      for (let j = 0; j < size; j++) {
        itemWeights[j] = d.u32();
        straws[j] = d.u32();
      }
      break;
    case CrushBucketAlg.STRAW2:
      fits(d, size, 4, `bucket ${id} straw2 weight`, d.pos);
      itemWeights = u32s(d, size);
      break;
  }
  return { id, type, alg, hash, weight, size, items, itemWeight, itemWeights, sumWeights, numNodes, nodeWeights, straws };
}

/**
 * u32 present (0 = empty slot); u32 len; 4 × u8 mask; len × (u32 op, s32 arg1, s32 arg2).
 * The mask's type byte is the rule type (4 and 5: MSR, Squid+); Quincy+ writes ruleset =
 * rule id, min 1, max 100.
 */
function decodeRule(d: Decoder): CrushRule | undefined {
  if (d.u32() === 0) return undefined;
  const lenAt = d.pos;
  const len = d.u32();
  // Pacific keeps the mask (Quincy+ requires ruleset == rule id and drops min/max)
  const ruleset = d.u8();
  const type = d.u8();
  const minSize = d.u8();
  const maxSize = d.u8();
  fits(d, len, 12, 'rule step', lenAt);
  const steps: CrushRuleStep[] = [];
  for (let j = 0; j < len; j++) steps.push({ op: d.u32(), arg1: d.s32(), arg2: d.s32() });
  return { mask: { ruleset, type, minSize, maxSize }, steps };
}

/**
 * decode_32_or_64_string_map: s32 key, u32 length; a zero length means the key was
 * written as 64 bits (an old encoder bug), and the real length follows.
 */
function decode32Or64StringMap(d: Decoder, what: string): Map<number, string> {
  const at = d.pos;
  const n = d.u32();
  fits(d, n, 8, what, at);
  const m = new Map<number, string>();
  for (let i = 0; i < n; i++) {
    const key = d.s32();
    const lenAt = d.pos;
    let len = d.u32();
    if (len === 0) len = d.u32();
    if (len > d.remaining) d.fail(`${what} string length ${len} exceeds ${d.remaining} remaining`, lenAt);
    m.set(key, d.bytes(len).toString('utf8'));
  }
  return m;
}

function decodeS32Map(d: Decoder, what: string): Map<number, number> {
  const at = d.pos;
  const n = d.u32();
  fits(d, n, 8, what, at);
  const m = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    const k = d.s32();
    m.set(k, d.s32());
  }
  return m;
}

interface ArgBuilder {
  ids: Int32Array | undefined;
  weightSet: Uint32Array[];
}

/**
 * One choose_args entry: s64 index; u32 n; n × { u32 bucket_index; u32 positions;
 * positions × (u32 size, size × u32); u32 ids_size; ids_size × s32 }. Returns the args by
 * bucket index (a later entry for the same bucket replaces the earlier, as in C).
 */
function decodeChooseArgMap(d: Decoder, buckets: readonly (CrushBucket | undefined)[]): Map<number, ArgBuilder> {
  const args = new Map<number, ArgBuilder>();
  const at = d.pos;
  const n = d.u32();
  fits(d, n, 12, 'choose_args bucket', at);
  for (let j = 0; j < n; j++) {
    const idxAt = d.pos;
    const bucketIndex = d.u32();
    // C++ asserts bucket_index < max_buckets
    if (bucketIndex >= buckets.length) d.fail(`choose_args bucket index ${bucketIndex} >= max_buckets ${buckets.length}`, idxAt);
    const posAt = d.pos;
    const positions = d.u32();
    fits(d, positions, 4, 'weight_set position', posAt);
    const weightSet: Uint32Array[] = [];
    for (let k = 0; k < positions; k++) {
      const sizeAt = d.pos;
      const size = d.u32();
      fits(d, size, 4, 'weight_set weight', sizeAt);
      weightSet.push(u32s(d, size));
    }
    const idsAt = d.pos;
    const idsSize = d.u32();
    let ids: Int32Array | undefined;
    if (idsSize !== 0) {
      // C++ asserts ids_size == the bucket's size (and dereferences the bucket)
      const b = buckets[bucketIndex];
      if (!b || b.size !== idsSize) d.fail(`choose_args ids_size ${idsSize} does not match bucket ${-1 - bucketIndex}`, idsAt);
      fits(d, idsSize, 4, 'choose_args id', idsAt);
      ids = new Int32Array(idsSize);
      for (let k = 0; k < idsSize; k++) ids[k] = d.s32();
    }
    args.set(bucketIndex, { ids, weightSet });
  }
  return args;
}

/**
 * CrushWrapper::update_choose_args, run at the end of decode: drop args of missing or
 * non-straw2 buckets; weight sets of the common position count are resized to the
 * bucket (zero-padded). Sets of another position count are kept as they are in C++;
 * we zero-pad those too, which only defines what C would read out of bounds.
 */
function finishChooseArgs(raw: ReadonlyMap<number, ArgBuilder>, buckets: readonly (CrushBucket | undefined)[]): ChooseArgMap {
  const out: (ChooseArg | undefined)[] = new Array(buckets.length).fill(undefined);
  for (const [j, a] of raw) {
    const b = buckets[j];
    if (!b || b.alg !== CrushBucketAlg.STRAW2) continue;
    if (a.weightSet.length === 0 && !a.ids) continue;
    const weightSet = a.weightSet.map((ws) => {
      if (ws.length === b.size) return ws;
      const fixed = new Uint32Array(b.size);
      fixed.set(ws.subarray(0, Math.min(ws.length, b.size)));
      return fixed;
    });
    out[j] = { ids: a.ids, weightSet };
  }
  return out;
}

/** crush_finalize + CrushWrapper::finalize: the max_devices the mapper uses. */
function finalizedMaxDevices(buckets: readonly (CrushBucket | undefined)[], nameMap: ReadonlyMap<number, string>): number {
  let max = 0;
  for (const b of buckets) {
    if (!b) continue;
    for (let i = 0; i < b.size; i++) if (b.items[i]! >= max) max = b.items[i]! + 1;
  }
  let top: number | undefined;
  for (const k of nameMap.keys()) if (top === undefined || k > top) top = k;
  if (top !== undefined && top >= max) max = top + 1;
  return max;
}

/** Decodes a CRUSH map blob (the contents of OSDMap's crush bufferlist). */
export function decodeCrushMap(d: Decoder): CrushMap {
  const at = d.pos;
  const magic = d.u32();
  if (magic !== CRUSH_MAGIC) d.fail(`bad magic number 0x${magic.toString(16)}`, at);
  const maxBucketsAt = d.pos;
  const maxBuckets = d.s32();
  const maxRulesAt = d.pos;
  const maxRules = d.u32();
  const encodedMaxDevices = d.s32();

  // every bucket slot is at least its u32 alg, every rule slot its u32 "present"
  if (maxBuckets < 0) d.fail(`negative max_buckets ${maxBuckets}`, maxBucketsAt);
  fits(d, maxBuckets, 4, 'bucket slot', maxBucketsAt);
  const buckets: (CrushBucket | undefined)[] = [];
  for (let i = 0; i < maxBuckets; i++) buckets.push(decodeBucket(d));

  fits(d, maxRules, 4, 'rule slot', maxRulesAt);
  const rules: (CrushRule | undefined)[] = [];
  for (let i = 0; i < maxRules; i++) rules.push(decodeRule(d));

  const typeMap = decode32Or64StringMap(d, 'type_map');
  const nameMap = decode32Or64StringMap(d, 'name_map');
  const ruleNameMap = decode32Or64StringMap(d, 'rule_name_map');

  // tunables: set_tunables_legacy() first, then each group if bytes remain
  const t: { -readonly [K in keyof CrushTunables]: number } = { ...LEGACY_TUNABLES };
  if (!d.done) {
    t.chooseLocalTries = d.u32();
    t.chooseLocalFallbackTries = d.u32();
    t.chooseTotalTries = d.u32();
  }
  if (!d.done) t.chooseleafDescendOnce = d.u32();
  if (!d.done) t.chooseleafVaryR = d.u8();
  if (!d.done) t.strawCalcVersion = d.u8();
  if (!d.done) t.allowedBucketAlgs = d.u32();
  if (!d.done) t.chooseleafStable = d.u8(); // CRUSH_TUNABLES5

  // device classes (SERVER_LUMINOUS)
  let classMap = new Map<number, number>();
  let className = new Map<number, string>();
  const classBucket = new Map<number, Map<number, number>>();
  if (!d.done) {
    classMap = decodeS32Map(d, 'class_map');
    const cnAt = d.pos;
    const cn = d.u32();
    fits(d, cn, 8, 'class_name', cnAt);
    className = new Map();
    for (let i = 0; i < cn; i++) {
      const k = d.s32();
      className.set(k, d.string());
    }
    const cbAt = d.pos;
    const cb = d.u32();
    fits(d, cb, 8, 'class_bucket', cbAt);
    for (let i = 0; i < cb; i++) {
      const k = d.s32();
      classBucket.set(k, decodeS32Map(d, 'class_bucket entry'));
    }
  }

  // choose_args (SERVER_LUMINOUS): map<s64, crush_choose_arg_map>
  const chooseArgs = new Map<bigint, ChooseArgMap>();
  if (!d.done) {
    const caAt = d.pos;
    const n = d.u32();
    fits(d, n, 12, 'choose_args', caAt);
    if (n * maxBuckets > MAX_CHOOSE_ARG_SLOTS) {
      d.fail(`${n} choose_args maps × ${maxBuckets} buckets exceed ${MAX_CHOOSE_ARG_SLOTS} bucket slots`, caAt);
    }
    for (let i = 0; i < n; i++) {
      const index = d.s64();
      chooseArgs.set(index, finishChooseArgs(decodeChooseArgMap(d, buckets), buckets));
    }
  }
  // msr tunables (CRUSH_MSR, Squid+): both u32 or neither (set_default_msr_tunables);
  // Pacific stops before them. Anything after is ignored, as in C++.
  let msrDescents = DEFAULT_MSR_DESCENTS;
  let msrCollisionTries = DEFAULT_MSR_COLLISION_TRIES;
  if (!d.done) {
    msrDescents = d.u32();
    msrCollisionTries = d.u32();
  }

  return {
    maxBuckets,
    maxRules,
    maxDevices: finalizedMaxDevices(buckets, nameMap),
    encodedMaxDevices,
    buckets,
    rules,
    typeMap,
    nameMap,
    ruleNameMap,
    tunables: Object.freeze(t),
    msrDescents,
    msrCollisionTries,
    classMap,
    className,
    classBucket,
    chooseArgs,
  };
}

/** Decodes a whole buffer as one CRUSH map (e.g. `ceph osd getcrushmap` output). */
export function decodeCrushMapBuffer(buf: Uint8Array): CrushMap {
  return decodeWith(buf, 'crush_map', decodeCrushMap);
}
