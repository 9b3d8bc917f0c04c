// CRUSH mappings per second (the objecter maps every op):
//   node --import=tsx bench/crush.ts [--ms=1000] [--repeats=5]
//
// Maps: fixtures/crush/hier-straw2.bin (straw2 root → 3 racks → 8 hosts → 24 OSDs, as
// crushtool compiled it) and a larger straw2 map built here (4 racks × 8 hosts × 12 OSDs
// = 384 OSDs). Rules: 3-replica "chooseleaf firstn 0 type host" and a 6-wide
// "chooseleaf indep 0 type host" (erasure). Each figure is the median of `repeats`
// samples of about `ms` milliseconds, after a warm-up; x runs over consecutive values
// (as pps values of consecutive PGs would not, but the hash makes that irrelevant).

import { readFileSync } from 'node:fs';
import { decodeCrushMapBuffer } from '../src/rados/crush/decode.js';
import { crushDoRule, crushDoRuleInto } from '../src/rados/crush/mapper.js';
import { CrushBucketAlg, CrushRuleOp, type CrushBucket, type CrushMap, type CrushRule } from '../src/rados/crush/types.js';

const args = new Map<string, string>();
for (const a of process.argv.slice(2)) {
  const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
  if (m) args.set(m[1]!, m[2] ?? '');
}
const SAMPLE_MS = Number(args.get('ms') ?? 1000);
const REPEATS = Number(args.get('repeats') ?? 5);

function straw2(id: number, type: number, items: number[], weights: number[]): CrushBucket {
  return {
    id,
    type,
    alg: CrushBucketAlg.STRAW2,
    hash: 0,
    weight: weights.reduce((a, b) => a + b, 0),
    size: items.length,
    items: Int32Array.from(items),
    itemWeight: 0,
    itemWeights: Uint32Array.from(weights),
    sumWeights: new Uint32Array(0),
    numNodes: 0,
    nodeWeights: new Uint32Array(0),
    straws: new Uint32Array(0),
  };
}

/** root (type 3) → racks (2) → hosts (1) → OSDs, straw2, OSD weights 1..4 TiB-ish */
function buildMap(racks: number, hosts: number, osds: number, base: CrushMap): CrushMap {
  const buckets: CrushBucket[] = [];
  let nextId = -2;
  let osd = 0;
  const rackIds: number[] = [];
  const rackW: number[] = [];
  for (let r = 0; r < racks; r++) {
    const hostIds: number[] = [];
    const hostW: number[] = [];
    for (let h = 0; h < hosts; h++) {
      const items: number[] = [];
      const ws: number[] = [];
      for (let o = 0; o < osds; o++) {
        items.push(osd);
        ws.push(0x10000 * (1 + (osd % 4)));
        osd++;
      }
      const b = straw2(nextId--, 1, items, ws);
      buckets[-1 - b.id] = b;
      hostIds.push(b.id);
      hostW.push(b.weight);
    }
    const rb = straw2(nextId--, 2, hostIds, hostW);
    buckets[-1 - rb.id] = rb;
    rackIds.push(rb.id);
    rackW.push(rb.weight);
  }
  buckets[0] = straw2(-1, 3, rackIds, rackW);
  const rule = (op: number, type: number): CrushRule => ({
    mask: { ruleset: 0, type, minSize: 1, maxSize: 10 },
    steps: [
      { op: CrushRuleOp.TAKE, arg1: -1, arg2: 0 },
      { op, arg1: 0, arg2: 1 },
      { op: CrushRuleOp.EMIT, arg1: 0, arg2: 0 },
    ],
  });
  const all = Array.from({ length: buckets.length }, (_, i) => buckets[i]);
  return {
    ...base,
    maxBuckets: all.length,
    buckets: all,
    maxDevices: osd,
    rules: [rule(CrushRuleOp.CHOOSELEAF_FIRSTN, 1), rule(CrushRuleOp.CHOOSELEAF_INDEP, 3)],
    maxRules: 2,
    chooseArgs: new Map(),
  };
}

function measure(fn: (x: number) => void): number {
  let x = 0;
  const warm = performance.now();
  while (performance.now() - warm < 200) fn(x++);
  const rates: number[] = [];
  for (let rep = 0; rep < REPEATS; rep++) {
    let n = 0;
    const t0 = performance.now();
    let t1 = t0;
    while (t1 - t0 < SAMPLE_MS) {
      for (let i = 0; i < 1000; i++) fn(x++);
      n += 1000;
      t1 = performance.now();
    }
    rates.push(n / ((t1 - t0) / 1000));
  }
  rates.sort((a, b) => a - b);
  return rates[REPEATS >> 1]!;
}

const small = decodeCrushMapBuffer(readFileSync(new URL('../fixtures/crush/hier-straw2.bin', import.meta.url)));
const large = buildMap(4, 8, 12, small);
const out = new Int32Array(16);
const rows: Array<{ map: string; rule: string; api: string; mappingsPerSec: number }> = [];
for (const [name, map, rep, ec] of [
  ['hier-straw2 (24 OSDs)', small, 0, 1],
  ['built (384 OSDs)', large, 0, 1],
] as const) {
  const w = new Array<number>(map.maxDevices).fill(0x10000);
  rows.push({ map: name, rule: 'replicated, 3', api: 'crushDoRule', mappingsPerSec: measure((x) => crushDoRule(map, rep, x, 3, w)) });
  rows.push({ map: name, rule: 'replicated, 3', api: 'crushDoRuleInto', mappingsPerSec: measure((x) => crushDoRuleInto(out, map, rep, x, 3, w)) });
  rows.push({ map: name, rule: 'erasure indep, 6', api: 'crushDoRuleInto', mappingsPerSec: measure((x) => crushDoRuleInto(out, map, ec, x, 6, w)) });
}
for (const r of rows)
  console.log(`${r.map.padEnd(24)} ${r.rule.padEnd(18)} ${r.api.padEnd(16)} ${Math.round(r.mappingsPerSec).toLocaleString('en-US').padStart(12)} mappings/s`);
