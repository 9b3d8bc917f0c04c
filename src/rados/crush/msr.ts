// crush_msr_do_rule (src/crush/mapper.c, Squid+): the mapper for MSR rules (rule types
// msr_firstn / msr_indep), which crush_do_rule dispatches to by rule type.
//
// An MSR rule is a prefix of config steps (SET_MSR_DESCENTS, SET_MSR_COLLISION_TRIES)
// then blocks "TAKE, CHOOSE_MSR*, EMIT". Each block fills result slots
// [start_index, end_index) depth-first: the first choosemsr step splits the range into
// strides (one per chosen bucket), the next one splits each stride, down to one device per
// slot. An out device leaves its slot empty for this descent; the whole block is descended
// again (up to msr_descents times, each with another r) until every slot is filled, while
// buckets already chosen for other strides count as collisions (retried up to
// msr_collision_tries times with another r).
//
// Like mapper.ts, the working vectors live in module-level typed arrays (grown, never
// shrunk) and a mapping allocates nothing. Where Ceph asserts or crashes on a malformed
// rule or map (a take of a device, a block without choose steps, a missing or empty
// bucket, a device where a bucket is wanted), this code skips the slot or block instead;
// for rules crushtool accepts and maps the result is Ceph's.

import { CRUSH_ITEM_NONE, CRUSH_ITEM_UNDEF, CrushRuleOp, CrushRuleType, type CrushBucket, type CrushMap, type CrushRule, type CrushRuleStep } from './types.js';

/** What the MSR mapper borrows from mapper.ts (its bucket choose and is_out, per-call state set). */
export interface MsrEnv {
  /** crush_bucket_choose with the call's choose_args and permutation cache (bucket not empty) */
  bucketChoose(b: CrushBucket, x: number, r: number, position: number): number;
  /** counts one step of work against the mapper's bound (throws past it) */
  spend(): void;
  /** is_out against the call's weight vector */
  isOut(item: number, x: number): boolean;
}

// ---------------------------------------------------------------- per-call state ---

const NO_STEPS: readonly CrushRuleStep[] = [];
const NO_BUCKETS: readonly (CrushBucket | undefined)[] = [];

// crush_msr_input
let gEnv: MsrEnv | undefined;
let gSteps = NO_STEPS;
let gBuckets = NO_BUCKETS;
let gRm = 0;
let gX = 0;
let gDescents = 0;
let gCollisionTries = 0;
let gFirstn = true;
// crush_msr_output
let gOut: Int32Array | number[] = [];
let gReturned = 0;
// crush_msr_workspace: one result_max row per choose step of the block, from gWsStart
let gWsStart = 0;
let gWsEnd = 0;
let V = new Int32Array(16);
/** C's per-call `int undo[num_strides]`, as a stack */
let U = new Int32Array(16);
let gSp = 0;
/** the fan-out scanNext found */
let gTotal = 0;

/**
 * crush_msr_scan_next: steps[at] must be TAKE and an EMIT must follow with only
 * CHOOSE_MSR steps between. Returns the EMIT's index (-1 if malformed) and leaves the
 * block's fan-out (product of the arg1s, 0 meaning result_max; u32 like C) in gTotal.
 */
function scanNext(at: number): number {
  const steps = gSteps;
  if (at + 1 >= steps.length || steps[at]!.op !== CrushRuleOp.TAKE) return -1;
  let total = 1;
  for (let s = at + 1; s < steps.length; s++) {
    const step = steps[s]!;
    if (step.op === CrushRuleOp.EMIT) {
      gTotal = total;
      return s;
    }
    if (step.op !== CrushRuleOp.CHOOSE_MSR) return -1;
    total = Math.imul(total, step.arg1 !== 0 ? step.arg1 : gRm) >>> 0;
  }
  return -1; // no EMIT
}

/** crush_msr_emit_result: firstn appends, indep writes its position */
function emitResult(position: number, item: number): void {
  if (position >= gRm || gReturned >= gRm) return; // C: BUG_ON
  if (gFirstn) gOut[gReturned++] = item;
  else {
    gOut[position] = item;
    gReturned++;
  }
}

/** crush_msr_leaf_vec_populated: slots [start, end) of the last step's row are all set */
function leafVecPopulated(start: number, end: number): boolean {
  const row = (gWsEnd - gWsStart - 1) * gRm;
  for (let i = start; i < end; i++) if (V[row + i] === CRUSH_ITEM_UNDEF) return false;
  return true;
}

/**
 * crush_msr_valid_candidate: a candidate already in step `stepno`'s row within
 * [exStart, exEnd) is valid only if it sits in this stride [inStart, inEnd).
 */
function validCandidate(stepno: number, exStart: number, exEnd: number, inStart: number, inEnd: number, cand: number): boolean {
  const row = (stepno - gWsStart) * gRm;
  for (let i = exStart; i < exEnd; i++) {
    if (V[row + i] === cand) return i >= inStart && i < inEnd;
  }
  return true;
}

/** crush_msr_push_used: add cand to the stride's collision set; false if already there */
function pushUsed(stepno: number, start: number, end: number, cand: number): boolean {
  const row = (stepno - gWsStart) * gRm;
  for (let i = start; i < end; i++) {
    const v = V[row + i];
    if (v === cand) return false;
    if (v === CRUSH_ITEM_UNDEF) {
      V[row + i] = cand;
      return true;
    }
  }
  return false; // C: BUG_ON("impossible")
}

/** crush_msr_pop_used: drop the stride's last entry (the one just pushed) */
function popUsed(stepno: number, start: number, end: number): void {
  const row = (stepno - gWsStart) * gRm;
  for (let i = end; i > start; ) {
    --i;
    if (V[row + i] !== CRUSH_ITEM_UNDEF) {
      V[row + i] = CRUSH_ITEM_UNDEF;
      return;
    }
  }
}

/**
 * crush_msr_descend: from `bucket`, choose down until a device or a bucket of `type`,
 * every level with r = ((tryno · result_max + index) << 16) + local_tryno
 * (crush_msr_get_retry_value) and choose_args position `index`. CRUSH_ITEM_NONE where C
 * would crash (empty or missing bucket) or loop (a cycle).
 */
function descend(bucket: CrushBucket, type: number, tryno: number, localTryno: number, index: number): number {
  const r = (((Math.imul(tryno, gRm) + index) << 16) + localTryno) | 0;
  const env = gEnv!;
  let b = bucket;
  for (let depth = 0; ; depth++) {
    if (b.size === 0) return CRUSH_ITEM_NONE;
    const item = env.bucketChoose(b, gX, r, index);
    if (item >= 0) return item;
    const idx = -1 - item;
    const sub = idx < gBuckets.length ? gBuckets[idx] : undefined;
    if (sub === undefined || depth > gBuckets.length) return CRUSH_ITEM_NONE;
    if (sub.type === type) return item;
    b = sub;
  }
}

/**
 * crush_msr_choose: map slots [startIndex, endIndex) with choose steps
 * [stepno, gWsEnd) below `bucket`. The step's arg1 (0 = result_max) strides split
 * totalDescendants slots; each stride takes a bucket not used by another stride of this
 * range (or the one it already has) and recurses, or at the leaf step emits a device that
 * is not out. Buckets that mapped nothing are forgotten on return (undo), so the next
 * descent may pick them again but this one treats them as taken. Returns slots mapped.
 */
function choose(bucket: CrushBucket, totalDescendants: number, startIndex: number, endIndex: number, stepno: number, tryno: number): number {
  // a call may choose nothing (msr_collision_tries 0) while msr_descents asks for 2^32 of them
  gEnv!.spend();
  const step = gSteps[stepno]!;
  const numStrides = step.arg1 !== 0 ? step.arg1 >>> 0 : gRm;
  // C: BUG_ON(total % num_strides); a zero stride would never end
  if (totalDescendants % numStrides !== 0) return 0;
  const strideLength = Math.floor(totalDescendants / numStrides);
  if (strideLength === 0) return 0;
  const type = step.arg2;
  const leafRow = stepno + 1 === gWsEnd;

  // undo[stride]: one per stride this range has (≤ result_max)
  const undoBase = gSp;
  const nUndo = Math.ceil((endIndex - startIndex) / strideLength);
  if (undoBase + nUndo > U.length) {
    const grown = new Int32Array(Math.max(2 * U.length, undoBase + nUndo));
    grown.set(U.subarray(0, undoBase));
    U = grown;
  }
  U.fill(CRUSH_ITEM_UNDEF, undoBase, undoBase + nUndo);
  gSp = undoBase + nUndo;

  let mapped = 0;
  let strideIndex = 0;
  for (let strideStart = startIndex; strideStart < endIndex; strideStart += strideLength, strideIndex++) {
    const strideEnd = Math.min(strideStart + strideLength, endIndex);
    if (leafVecPopulated(strideStart, strideEnd)) continue; // all mapped already

    let cand = 0;
    let found = false;
    for (let local = 0; local < gCollisionTries; local++) {
      cand = descend(bucket, type, tryno, local, strideIndex);
      // valid if chosen before for this stride, or for no stride of the range
      if (validCandidate(stepno, startIndex, endIndex, strideStart, strideEnd, cand)) {
        found = true;
        break;
      }
    }
    if (!found) continue; // collided msr_collision_tries times

    if (type === 0) {
      // leaf: only valid as the block's last step with one slot per stride
      if (strideLength !== 1 || !leafRow) continue;
      if (gEnv!.isOut(cand, gX)) continue; // crush_msr_do_rule descends again
      pushUsed(stepno, strideStart, strideEnd, cand);
      emitResult(strideStart, cand);
      mapped++;
    } else {
      if (leafRow) continue; // a non-leaf type with no step after it
      const idx = -1 - cand;
      const child = cand < 0 && idx < gBuckets.length ? gBuckets[idx] : undefined;
      if (child === undefined) continue; // C would index buckets[] with a device
      const childMapped = choose(child, strideLength, strideStart, strideEnd, stepno + 1, tryno);
      // not pushed: already this stride's bucket, which mapped something earlier
      const pushed = pushUsed(stepno, strideStart, strideEnd, cand);
      if (pushed && childMapped === 0) U[undoBase + strideIndex] = cand;
      else mapped += childMapped;
    }
  }

  // pop the buckets that mapped nothing
  strideIndex = 0;
  for (let strideStart = startIndex; strideStart < endIndex; strideStart += strideLength, strideIndex++) {
    if (U[undoBase + strideIndex] !== CRUSH_ITEM_UNDEF) popUsed(stepno, strideStart, Math.min(strideStart + strideLength, endIndex));
  }
  gSp = undoBase;
  return mapped;
}

/**
 * crush_msr_do_rule into `out` (resultMax long, already checked by the caller): firstn
 * rules return how many devices they emitted, in emit order; indep rules return
 * resultMax, CRUSH_ITEM_NONE in the slots left empty. A malformed rule returns 0.
 */
export function crushMsrDoRule(out: Int32Array | number[], map: CrushMap, rule: CrushRule, resultMax: number, x: number, env: MsrEnv): number {
  const steps = rule.steps;
  const rm = resultMax;
  gEnv = env;
  gSteps = steps;
  gBuckets = map.buckets;
  gRm = rm;
  gX = x;
  gFirstn = rule.mask.type === CrushRuleType.MSR_FIRSTN;
  gOut = out;
  gReturned = 0;
  gSp = 0;
  try {
    // crush_msr_scan_config_steps: the last of each config step wins (u32)
    let descents = map.msrDescents >>> 0;
    let collisionTries = map.msrCollisionTries >>> 0;
    let stepno = 0;
    for (; stepno < steps.length; stepno++) {
      const s = steps[stepno]!;
      if (s.op === CrushRuleOp.SET_MSR_DESCENTS) descents = s.arg1 >>> 0;
      else if (s.op === CrushRuleOp.SET_MSR_COLLISION_TRIES) collisionTries = s.arg1 >>> 0;
      else break;
    }
    gDescents = descents;
    gCollisionTries = collisionTries;

    for (let i = 0; i < rm; i++) out[i] = CRUSH_ITEM_NONE;

    let startIndex = 0;
    while (stepno < steps.length) {
      const emitStep = scanNext(stepno);
      if (emitStep < 0) return 0; // invalid rule: C returns 0 too
      const total = gTotal;
      const take = steps[stepno]!.arg1;
      const endIndex = Math.min((startIndex + total) >>> 0, rm);
      if (take >= 0) {
        // a device: C requires "take osd.N, emit" and then emits it forever (assert); once here
        if (stepno + 1 !== emitStep) return 0;
        emitResult(startIndex, take);
      } else {
        const root = -1 - take < gBuckets.length ? gBuckets[-1 - take] : undefined;
        // C asserts on a block without choose steps and crashes on a missing root
        if (root !== undefined && stepno + 1 < emitStep) {
          gWsStart = stepno + 1;
          gWsEnd = emitStep;
          // crush_msr_clear_workspace
          const need = (emitStep - gWsStart) * rm;
          if (V.length < need) V = new Int32Array(Math.max(need, 2 * V.length));
          V.fill(CRUSH_ITEM_UNDEF, 0, need);
          const limit = gReturned + (endIndex - startIndex);
          for (let tryno = 0; tryno < gDescents && gReturned < limit; tryno++) {
            choose(root, total, startIndex, endIndex, gWsStart, tryno);
          }
        }
      }
      startIndex = endIndex;
      stepno = emitStep + 1;
    }
    return gFirstn ? gReturned : rm;
  } finally {
    gEnv = undefined;
    gSteps = NO_STEPS;
    gBuckets = NO_BUCKETS;
    gOut = [];
  }
}
