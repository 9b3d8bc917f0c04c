// crush_do_rule (src/crush/mapper.c, the non-MSR path Squid calls crush_do_rule_no_retry;
// docs/osdmap-crush.md §8): rule steps, crush_choose_firstn, crush_choose_indep, is_out, the
// five bucket choose functions and choose_args; plus Pacific's CrushWrapper::find_rule. Squid's
// MSR rules go to crush_msr_do_rule (msr.ts), which uses the bucket functions here.
//
// Arithmetic follows C's types: r and ids are s32 (`| 0`), hashes and weights u32, tries
// and retry counters unsigned. 64-bit products are split so every step is exact in a
// double; straw2's s64 division is a double division, exact here because |ln| ≤ 2^48
// (see straw2Choose).
//
// The mapper keeps its working vectors (C's scratch a/b/c) in one module-level Int32Array
// and the per-call inputs in module variables, so a mapping allocates nothing but its
// result. JavaScript runs a call to completion, so this state is never shared.
//
// Where Ceph would crash or loop on a malformed map (a missing bucket, a bucket cycle, a
// tree bucket without nodes), the mapper treats the item as invalid instead; for
// well-formed maps the result is Ceph's.

import { cephError } from '../../encoding/errno.js';
import { crushHash32_2s, crushHash32_3s, crushHash32_4s } from './hash.js';
import { straw2Ln } from './ln.js';
import { crushMsrDoRule, type MsrEnv } from './msr.js';
import {
  CRUSH_HASH_RJENKINS1,
  CRUSH_ITEM_NONE,
  CRUSH_ITEM_UNDEF,
  CrushBucketAlg,
  CrushRuleOp,
  DEFAULT_CHOOSE_ARGS,
  ruleTypeIsMsr,
  type ChooseArg,
  type ChooseArgMap,
  type CrushBucket,
  type CrushMap,
} from './types.js';

/** largest result_max accepted (pool sizes are u8; C puts result_max ints on the stack) */
export const CRUSH_MAX_RESULT = 1 << 16;

// ---------------------------------------------------------------- per-call state ---

const NO_BUCKETS: readonly (CrushBucket | undefined)[] = [];
const NO_WEIGHTS: ArrayLike<number> = [];

let gBuckets = NO_BUCKETS;
let gMaxBuckets = 0;
let gMaxDevices = 0;
let gWeights = NO_WEIGHTS;
let gWeightMax = 0;
let gX = 0;
let gArgs: ChooseArgMap | undefined;
/** C's scratch: w, o and c vectors, result_max ints each */
let S = new Int32Array(3 * 16);
let gResult = new Int32Array(16);
/** crush_do_rule invocation counter: invalidates the permutation caches (crush_work) */
let gGen = 0;

/**
 * Work one crush_do_rule may do: bucket choices, and MSR choose calls (which may choose
 * nothing). C has no bound: a rule step's numrep (any s32), choose_total_tries and the MSR
 * tunables (any u32) multiply into the retries of a choice that keeps failing, so a
 * nonsensical map (`chooseleaf firstn 4194304`, msr_descents 2^28 with msr_collision_tries
 * 0) spins for minutes. The 415,808 crushtool mappings of fixtures/crush need 34 on average
 * and 10,038 at most; past this bound the map is refused (EINVAL) rather than mapped, so
 * every mapping that completes is Ceph's.
 */
export const CRUSH_MAX_CHOICES = 1 << 18;
let gChoices = 0;
let gRuleno = 0;

/** The work (bucket choices, MSR choose calls) the last crush_do_rule did. */
export function lastRuleWork(): number {
  return gChoices;
}

function spendChoice(): void {
  if (++gChoices > CRUSH_MAX_CHOICES) {
    throw cephError('EINVAL', `rule ${gRuleno} makes more than ${CRUSH_MAX_CHOICES} bucket choices for x ${gX >>> 0}: unusable CRUSH map`, {
      op: 'crush_do_rule',
    });
  }
}

// ---------------------------------------------------------------- buckets ---

/** per-bucket permutation state (crush_work_bucket: perm_x, perm_n, perm) */
interface PermWork {
  gen: number;
  x: number;
  n: number;
  perm: Uint32Array;
}
const permWork = new WeakMap<CrushBucket, PermWork>();

/**
 * bucket_perm_choose: item perm[r mod size] of a pseudo-random permutation of the
 * bucket, built by Fisher-Yates swaps as far as needed (perm[p] swapped with perm[p + i],
 * i = hash3(x, id, p) mod (size - p)). The state is cached per bucket for one x within
 * one crush_do_rule, as C does; r = 0 first only computes perm[0].
 */
function permChoose(b: CrushBucket, x: number, r: number): number {
  const size = b.size;
  const pr = (r >>> 0) % size;
  let w = permWork.get(b);
  if (!w) {
    w = { gen: -1, x: 0, n: 0, perm: new Uint32Array(size) };
    permWork.set(b, w);
  }
  const perm = w.perm;
  const rj = b.hash === CRUSH_HASH_RJENKINS1;
  if (w.gen !== gGen || w.x !== x || w.n === 0) {
    w.gen = gGen;
    w.x = x;
    if (pr === 0) {
      // common r = 0 case: only the first swap is needed; 0xffff marks "perm[0] only"
      perm[0] = (rj ? crushHash32_3s(x, b.id, 0) >>> 0 : 0) % size;
      w.n = 0xffff;
      return b.items[perm[0]!]!;
    }
    for (let i = 0; i < size; i++) perm[i] = i;
    w.n = 0;
  } else if (w.n === 0xffff) {
    // expand the r = 0 shortcut into the permutation it stands for
    for (let i = 1; i < size; i++) perm[i] = i;
    perm[perm[0]!] = 0;
    w.n = 1;
  }
  while (w.n <= pr) {
    const p = w.n;
    if (p < size - 1) {
      const i = (rj ? crushHash32_3s(x, b.id, p) >>> 0 : 0) % (size - p);
      if (i !== 0) {
        const t = perm[p + i]!;
        perm[p + i] = perm[p]!;
        perm[p] = t;
      }
    }
    w.n++;
  }
  return b.items[perm[pr]!]!;
}

/**
 * bucket_list_choose: from the tail, item i wins if
 * ((hash4(x, item, r, id) & 0xffff) · sum_weights[i]) >> 16 < item_weights[i];
 * items[0] if none does. The product is < 2^48, exact.
 */
function listChoose(b: CrushBucket, x: number, r: number): number {
  const items = b.items;
  const rj = b.hash === CRUSH_HASH_RJENKINS1;
  for (let i = b.size - 1; i >= 0; i--) {
    const h = rj ? crushHash32_4s(x, items[i]!, r, b.id) & 0xffff : 0;
    const w = Math.floor((h * b.sumWeights[i]!) / 0x10000);
    if (w < b.itemWeights[i]!) return items[i]!;
  }
  return items[0]!;
}

/**
 * bucket_tree_choose: from the root node num_nodes >> 1, while the node is even (inner),
 * t = (hash4(x, n, r, id) · node_weights[n]) >> 32 (u64) picks the left child
 * (n - 2^(h-1), h = trailing zeros of n) if t < its weight, else the right one; the leaf
 * n holds items[n >> 1].
 */
function treeChoose(b: CrushBucket, x: number, r: number): number {
  const nw = b.nodeWeights;
  const rj = b.hash === CRUSH_HASH_RJENKINS1;
  let n = b.numNodes >> 1;
  while ((n & 1) === 0) {
    // C's height() never ends for node 0 (a tree with fewer than 2 nodes)
    if (n === 0) return CRUSH_ITEM_NONE;
    const w = nw[n] ?? 0;
    const h = rj ? crushHash32_4s(x, n, r, b.id) >>> 0 : 0;
    // (h · w) >> 32 from two exact 48-bit partial products
    const t = Math.floor((Math.floor(h / 0x10000) * w + Math.floor(((h & 0xffff) * w) / 0x10000)) / 0x10000);
    const half = (n & -n) >>> 1;
    const l = n - half;
    n = t < (nw[l] ?? 0) ? l : n + half;
  }
  const item = b.items[n >> 1];
  return item === undefined ? CRUSH_ITEM_NONE : item;
}

/** bucket_straw_choose: the first item with the largest (hash3(x, item, r) & 0xffff) · straw. */
function strawChoose(b: CrushBucket, x: number, r: number): number {
  const items = b.items;
  const straws = b.straws;
  const rj = b.hash === CRUSH_HASH_RJENKINS1;
  let high = 0;
  let highDraw = 0;
  for (let i = 0; i < b.size; i++) {
    const draw = (rj ? crushHash32_3s(x, items[i]!, r) & 0xffff : 0) * straws[i]!;
    if (i === 0 || draw > highDraw) {
      high = i;
      highDraw = draw;
    }
  }
  return items[high]!;
}

/**
 * bucket_straw2_choose: for each item with a non-zero weight,
 * draw = (crush_ln(hash3(x, id, r) & 0xffff) - 2^48) / weight (s64 division truncating
 * toward zero; C passes the u32 weight as an int, so weights ≥ 2^31 divide as negatives);
 * zero weights draw S64_MIN. The first largest draw wins. A choose_arg substitutes the
 * weights (weight_set[min(position, positions - 1)]) and the hashed ids.
 *
 * The quotient of |a| ≤ 2^48 by an integer 1 ≤ |b| < 2^32 is computed as a double with
 * relative error ≤ 2^-53, i.e. absolute error < |a| / (|b| · 2^53) < 1/|b|, while a
 * non-integer quotient a/b is at least 1/|b| from any integer: truncating the double
 * gives exactly the C result.
 */
function straw2Choose(b: CrushBucket, x: number, r: number, position: number): number {
  let weights = b.itemWeights;
  let ids = b.items;
  if (gArgs !== undefined) {
    const idx = -1 - b.id;
    const arg: ChooseArg | undefined = idx >= 0 && idx < gArgs.length ? gArgs[idx] : undefined;
    if (arg !== undefined) {
      const ws = arg.weightSet;
      if (ws.length !== 0) weights = ws[position < ws.length ? position : ws.length - 1]!;
      if (arg.ids !== undefined) ids = arg.ids;
    }
  }
  const rj = b.hash === CRUSH_HASH_RJENKINS1;
  let high = 0;
  let highDraw = 0;
  for (let i = 0; i < b.size; i++) {
    const w = weights[i]!;
    let draw: number;
    if (w !== 0) {
      const u = rj ? crushHash32_3s(x, ids[i]!, r) & 0xffff : 0;
      draw = Math.trunc(straw2Ln(u) / (w | 0));
    } else {
      draw = -Infinity; // S64_MIN: below every real draw
    }
    if (i === 0 || draw > highDraw) {
      high = i;
      highDraw = draw;
    }
  }
  return b.items[high]!;
}

/** crush_bucket_choose (the bucket is not empty) */
function bucketChoose(b: CrushBucket, x: number, r: number, position: number): number {
  spendChoice();
  switch (b.alg) {
    case CrushBucketAlg.STRAW2:
      return straw2Choose(b, x, r, position);
    case CrushBucketAlg.UNIFORM:
      return permChoose(b, x, r);
    case CrushBucketAlg.LIST:
      return listChoose(b, x, r);
    case CrushBucketAlg.TREE:
      return treeChoose(b, x, r);
    case CrushBucketAlg.STRAW:
      return strawChoose(b, x, r);
    default:
      return b.items[0]!;
  }
}

/** the bucket for a negative item, if it exists */
function bucketOf(item: number): CrushBucket | undefined {
  const idx = -1 - item;
  return idx < gMaxBuckets ? gBuckets[idx] : undefined;
}

/**
 * is_out: devices past the weight vector are out; weight ≥ 0x10000 is in, 0 is out, a
 * partial weight w keeps the device for x iff (hash2(x, item) & 0xffff) < w.
 */
function isOut(item: number, x: number): boolean {
  if (item >= gWeightMax) return true;
  if (item < 0) return true; // a bucket of type 0 (malformed): C would index before the vector
  const w = gWeights[item]! >>> 0;
  if (w >= 0x10000) return false;
  if (w === 0) return true;
  return (crushHash32_2s(x, item) & 0xffff) >= w;
}

/** what crush_msr_do_rule uses of this module (with the per-call state set here) */
const MSR_ENV: MsrEnv = { bucketChoose, isOut, spend: spendChoice };

// ---------------------------------------------------------------- choose ---

/**
 * crush_choose_firstn: choose up to numrep distinct items of `type` below `bucket`, into
 * S[outBase + outpos ...], at most outSize of them; with recurseToLeaf also one device
 * under each into S[out2Base + ...]. Returns the new outpos.
 */
function chooseFirstn(
  bucket: CrushBucket,
  numrep: number,
  type: number,
  outBase: number,
  outpos: number,
  outSize: number,
  tries: number,
  recurseTries: number,
  localRetries: number,
  localFallbackRetries: number,
  recurseToLeaf: boolean,
  varyR: number,
  stable: number,
  out2Base: number,
  parentR: number,
): number {
  const x = gX;
  let count = outSize;
  for (let rep = stable !== 0 ? 0 : outpos; rep < numrep && count > 0; rep++) {
    let ftotal = 0;
    let skipRep = false;
    let item = 0;
    let retryDescent: boolean;
    do {
      retryDescent = false;
      let inb = bucket;
      let flocal = 0;
      let depth = 0;
      let retryBucket: boolean;
      do {
        retryBucket = false;
        let collide = false;
        let reject = false;
        const r = (rep + parentR + ftotal) | 0;
        if (inb.size === 0) {
          reject = true;
        } else {
          if (localFallbackRetries > 0 && flocal >= inb.size >>> 1 && flocal > localFallbackRetries) {
            spendChoice();
            item = permChoose(inb, x, r);
          } else {
            item = bucketChoose(inb, x, r, outpos);
          }
          if (item >= gMaxDevices) {
            skipRep = true;
            break;
          }
          let sub: CrushBucket | undefined;
          let itemtype = 0;
          if (item < 0) {
            sub = bucketOf(item);
            if (sub === undefined) {
              skipRep = true;
              break;
            }
            itemtype = sub.type;
          }
          if (itemtype !== type) {
            // descend; `depth` only bounds a cycle in a malformed map
            if (sub === undefined || ++depth > gMaxBuckets) {
              skipRep = true;
              break;
            }
            inb = sub;
            retryBucket = true;
            continue;
          }
          for (let i = 0; i < outpos; i++) {
            if (S[outBase + i] === item) {
              collide = true;
              break;
            }
          }
          if (!collide && recurseToLeaf) {
            if (sub !== undefined) {
              const subR = varyR !== 0 ? r >> ((varyR - 1) & 31) : 0;
              const got = chooseFirstn(
                sub,
                stable !== 0 ? 1 : outpos + 1,
                0,
                out2Base,
                outpos,
                count,
                recurseTries,
                0,
                localRetries,
                localFallbackRetries,
                false,
                varyR,
                stable,
                -1,
                subR,
              );
              if (got <= outpos) reject = true; // no leaf under it
            } else {
              S[out2Base + outpos] = item; // already a leaf
            }
          }
          if (!reject && !collide && itemtype === 0) reject = isOut(item, x);
        }
        if (reject || collide) {
          ftotal++;
          flocal++;
          if (collide && flocal <= localRetries) retryBucket = true;
          else if (localFallbackRetries > 0 && flocal <= (inb.size + localFallbackRetries) >>> 0) retryBucket = true;
          else if (ftotal < tries) retryDescent = true;
          else skipRep = true;
        }
      } while (retryBucket);
    } while (retryDescent);
    if (skipRep) continue;
    S[outBase + outpos] = item;
    outpos++;
    count--;
  }
  return outpos;
}

/**
 * crush_choose_indep: fill exactly `left` slots S[outBase + outpos ...] with distinct
 * items of `type` (CRUSH_ITEM_NONE where none was found), positionally stable; with
 * recurseToLeaf also a device under each into S[out2Base + ...].
 */
function chooseIndep(
  bucket: CrushBucket,
  left: number,
  numrep: number,
  type: number,
  outBase: number,
  outpos: number,
  tries: number,
  recurseTries: number,
  recurseToLeaf: boolean,
  out2Base: number,
  parentR: number,
): void {
  const x = gX;
  const endpos = outpos + left;
  const has2 = out2Base >= 0;
  for (let rep = outpos; rep < endpos; rep++) {
    S[outBase + rep] = CRUSH_ITEM_UNDEF;
    if (has2) S[out2Base + rep] = CRUSH_ITEM_UNDEF;
  }
  for (let ftotal = 0; left > 0 && ftotal < tries; ftotal++) {
    for (let rep = outpos; rep < endpos; rep++) {
      if (S[outBase + rep] !== CRUSH_ITEM_UNDEF) continue;
      let inb = bucket;
      let depth = 0;
      for (;;) {
        // r' = r + n·f_total, or (n+1)·f_total for a uniform bucket whose size n divides
        const step = inb.alg === CrushBucketAlg.UNIFORM && inb.size % numrep === 0 ? numrep + 1 : numrep;
        const r = (rep + parentR + Math.imul(step, ftotal)) | 0;
        if (inb.size === 0) break;
        const item = bucketChoose(inb, x, r, outpos);
        let sub: CrushBucket | undefined;
        let itemtype = 0;
        let bad = item >= gMaxDevices;
        if (!bad && item < 0) {
          sub = bucketOf(item);
          if (sub === undefined) bad = true;
          else itemtype = sub.type;
        }
        if (!bad && itemtype !== type && (sub === undefined || ++depth > gMaxBuckets)) bad = true;
        if (bad) {
          S[outBase + rep] = CRUSH_ITEM_NONE;
          if (has2) S[out2Base + rep] = CRUSH_ITEM_NONE;
          left--;
          break;
        }
        if (itemtype !== type) {
          inb = sub!;
          continue;
        }
        let collide = false;
        for (let i = outpos; i < endpos; i++) {
          if (S[outBase + i] === item) {
            collide = true;
            break;
          }
        }
        if (collide) break;
        if (recurseToLeaf) {
          if (sub !== undefined) {
            chooseIndep(sub, 1, numrep, 0, out2Base, rep, recurseTries, 0, false, -1, r);
            if (S[out2Base + rep] === CRUSH_ITEM_NONE) break; // no leaf under it
          } else {
            S[out2Base + rep] = item;
          }
        }
        if (itemtype === 0 && isOut(item, x)) break;
        S[outBase + rep] = item;
        left--;
        break;
      }
    }
  }
  for (let rep = outpos; rep < endpos; rep++) {
    if (S[outBase + rep] === CRUSH_ITEM_UNDEF) S[outBase + rep] = CRUSH_ITEM_NONE;
    if (has2 && S[out2Base + rep] === CRUSH_ITEM_UNDEF) S[out2Base + rep] = CRUSH_ITEM_NONE;
  }
}

// ---------------------------------------------------------------- rules ---

/**
 * crush_do_rule into `out` (at least resultMax long): returns how many entries it wrote.
 * `weights` is the 16.16 reweight per device (OSDMap osd_weight, 0x10000 = in);
 * `chooseArgs` the weight set to use (see chooseArgsFor).
 */
export function crushDoRuleInto(
  out: Int32Array | number[],
  map: CrushMap,
  ruleno: number,
  x: number,
  resultMax: number,
  weights: ArrayLike<number>,
  chooseArgs?: ChooseArgMap,
): number {
  // (__u32)ruleno >= max_rules: nothing (a missing rule would crash C)
  if (!(ruleno >= 0 && ruleno < map.rules.length)) return 0;
  const rule = map.rules[ruleno];
  if (rule === undefined) return 0;
  const rm = resultMax | 0;
  if (rm <= 0) return 0;
  if (rm > CRUSH_MAX_RESULT) {
    throw cephError('EINVAL', `result_max ${resultMax} exceeds ${CRUSH_MAX_RESULT}`, { op: 'crush_do_rule' });
  }
  if (S.length < 3 * rm) S = new Int32Array(3 * rm);

  gBuckets = map.buckets;
  gMaxBuckets = map.buckets.length;
  gMaxDevices = map.maxDevices;
  gWeights = weights;
  gWeightMax = weights.length;
  gX = x | 0;
  gArgs = chooseArgs;
  gGen = (gGen + 1) | 0;
  gChoices = 0;
  gRuleno = ruleno;

  // crush_do_rule: MSR rule types have their own mapper
  if (ruleTypeIsMsr(rule.mask.type)) {
    try {
      return crushMsrDoRule(out, map, rule, rm, gX, MSR_ENV);
    } finally {
      gWeights = NO_WEIGHTS;
      gArgs = undefined;
      gBuckets = NO_BUCKETS;
    }
  }

  const t = map.tunables;
  // choose_total_tries counted retries, not tries: + 1
  let chooseTries = (t.chooseTotalTries + 1) >>> 0;
  let chooseLeafTries = 0;
  let localRetries = t.chooseLocalTries;
  let localFallbackRetries = t.chooseLocalFallbackTries;
  let varyR = t.chooseleafVaryR;
  let stable = t.chooseleafStable;

  let wBase = 0;
  let oBase = rm;
  const cBase = 2 * rm;
  let wsize = 0;
  let resultLen = 0;

  try {
    for (const step of rule.steps) {
      const op = step.op;
      switch (op) {
        case CrushRuleOp.TAKE: {
          const a = step.arg1;
          if ((a >= 0 && a < gMaxDevices) || (a < 0 && -1 - a < gMaxBuckets && gBuckets[-1 - a] !== undefined)) {
            S[wBase] = a;
            wsize = 1;
          }
          break;
        }
        case CrushRuleOp.SET_CHOOSE_TRIES:
          if (step.arg1 > 0) chooseTries = step.arg1;
          break;
        case CrushRuleOp.SET_CHOOSELEAF_TRIES:
          if (step.arg1 > 0) chooseLeafTries = step.arg1;
          break;
        case CrushRuleOp.SET_CHOOSE_LOCAL_TRIES:
          if (step.arg1 >= 0) localRetries = step.arg1;
          break;
        case CrushRuleOp.SET_CHOOSE_LOCAL_FALLBACK_TRIES:
          if (step.arg1 >= 0) localFallbackRetries = step.arg1;
          break;
        case CrushRuleOp.SET_CHOOSELEAF_VARY_R:
          if (step.arg1 >= 0) varyR = step.arg1;
          break;
        case CrushRuleOp.SET_CHOOSELEAF_STABLE:
          if (step.arg1 >= 0) stable = step.arg1;
          break;
        case CrushRuleOp.CHOOSE_FIRSTN:
        case CrushRuleOp.CHOOSELEAF_FIRSTN:
        case CrushRuleOp.CHOOSE_INDEP:
        case CrushRuleOp.CHOOSELEAF_INDEP: {
          if (wsize === 0) break;
          const firstn = op === CrushRuleOp.CHOOSE_FIRSTN || op === CrushRuleOp.CHOOSELEAF_FIRSTN;
          const leaf = op === CrushRuleOp.CHOOSELEAF_FIRSTN || op === CrushRuleOp.CHOOSELEAF_INDEP;
          let osize = 0;
          for (let i = 0; i < wsize; i++) {
            let numrep = step.arg1;
            if (numrep <= 0) {
              numrep += rm; // 0 = result_max, -n = result_max - n
              if (numrep <= 0) continue;
            }
            const bno = -1 - S[wBase + i]!;
            if (bno < 0 || bno >= gMaxBuckets) continue; // a device or CRUSH_ITEM_NONE
            const b = gBuckets[bno];
            if (b === undefined) continue;
            if (firstn) {
              const recurseTries = chooseLeafTries !== 0 ? chooseLeafTries : t.chooseleafDescendOnce !== 0 ? 1 : chooseTries;
              osize += chooseFirstn(
                b,
                numrep,
                step.arg2,
                oBase + osize,
                0,
                rm - osize,
                chooseTries,
                recurseTries,
                localRetries,
                localFallbackRetries,
                leaf,
                varyR,
                stable,
                cBase + osize,
                0,
              );
            } else {
              const outSize = numrep < rm - osize ? numrep : rm - osize;
              chooseIndep(b, outSize, numrep, step.arg2, oBase + osize, 0, chooseTries, chooseLeafTries !== 0 ? chooseLeafTries : 1, leaf, cBase + osize, 0);
              osize += outSize;
            }
          }
          // chooseleaf: the leaves become the working vector
          if (leaf) S.copyWithin(oBase, cBase, cBase + osize);
          const tmp = oBase;
          oBase = wBase;
          wBase = tmp;
          wsize = osize;
          break;
        }
        case CrushRuleOp.EMIT:
          for (let i = 0; i < wsize && resultLen < rm; i++) out[resultLen++] = S[wBase + i]!;
          wsize = 0;
          break;
        default:
          break; // NOOP and unknown ops do nothing
      }
    }
  } finally {
    gWeights = NO_WEIGHTS;
    gArgs = undefined;
    gBuckets = NO_BUCKETS;
  }
  return resultLen;
}

/**
 * crush_do_rule: the devices rule `ruleno` maps x to (at most resultMax; indep and
 * msr_indep rules leave CRUSH_ITEM_NONE in empty positions). An unknown rule maps to [].
 */
export function crushDoRule(map: CrushMap, ruleno: number, x: number, resultMax: number, weights: ArrayLike<number>, chooseArgs?: ChooseArgMap): number[] {
  const rm = resultMax | 0;
  if (gResult.length < rm && rm <= CRUSH_MAX_RESULT) gResult = new Int32Array(rm);
  const n = crushDoRuleInto(gResult, map, ruleno, x, resultMax, weights, chooseArgs);
  const res: number[] = [];
  for (let i = 0; i < n; i++) res.push(gResult[i]!);
  return res;
}

/**
 * find_rule(ruleset, type, size) as Pacific's OSDMap::_pg_to_raw_osds calls it (CrushWrapper.h,
 * crush_find_rule in src/crush/mapper.c): the first rule whose
 * mask has this ruleset and type and min_size ≤ size ≤ max_size; -1 if none.
 *
 * An MSR rule (Squid+) is returned by id: only Quincy+ maps have them, and there
 * OSDMap::_pg_to_raw_osds runs pool.crush_rule as the rule id, checking neither type nor
 * size (the mon pairs replicated pools with msr_firstn and erasure pools with msr_indep,
 * CrushWrapper::rule_valid_for_pool_type). Pacific's match on the mask's type would never
 * pick one (4/5 ≠ pool type 1/3). Quincy+ encodes ruleset = rule id and sizes 1..100, so
 * for the classic rules of those maps the match below is the id too.
 */
export function findRule(map: CrushMap, ruleset: number, type: number, size: number): number {
  const rules = map.rules;
  if (ruleset >= 0 && ruleset < rules.length) {
    const r = rules[ruleset];
    if (r !== undefined && ruleTypeIsMsr(r.mask.type)) return ruleset;
  }
  for (let i = 0; i < rules.length; i++) {
    const m = rules[i]?.mask;
    if (m && m.ruleset === ruleset && m.type === type && m.minSize <= size && m.maxSize >= size) return i;
  }
  return -1;
}

/**
 * choose_args_get_with_fallback: the weight set stored under `index` (OSDMap passes the
 * pool id; crushtool passes 0), else the default one (-1), else none.
 */
export function chooseArgsFor(map: CrushMap, index: number | bigint): ChooseArgMap | undefined {
  if (map.chooseArgs.size === 0) return undefined;
  const key = typeof index === 'bigint' ? index : Number.isSafeInteger(index) ? BigInt(index) : undefined;
  return (key !== undefined ? map.chooseArgs.get(key) : undefined) ?? map.chooseArgs.get(DEFAULT_CHOOSE_ARGS);
}
