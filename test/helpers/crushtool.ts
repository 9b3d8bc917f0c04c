// The crushtool oracle shared by the CRUSH tests: the mappings `crushtool --test
// --show-mappings` recorded (scripts/make-crush-fixtures.sh, make-crush-msr-fixtures.sh), and
// the weight vector CrushTester hands crush_do_rule.

import { readdirSync, readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { crushHash32_2 } from '../../src/rados/crush/hash.js';
import { chooseArgsFor, crushDoRule } from '../../src/rados/crush/mapper.js';
import { CRUSH_ITEM_NONE, type CrushMap } from '../../src/rados/crush/types.js';

export interface Section {
  args: string;
  rule: number;
  numRep: number;
  minX: number;
  poolId: number | undefined;
  weights: Map<number, number>;
  expected: string[];
}

/** The sections of `<dir>/<name>.mappings.txt.gz`: a `## <crushtool args>` line, then its mappings. */
export function parseMappings(dir: URL, name: string): Section[] {
  const text = gunzipSync(readFileSync(new URL(`${name}.mappings.txt.gz`, dir))).toString('utf8');
  const out: Section[] = [];
  let cur: Section | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('## ')) {
      const a = line.slice(3).split(/\s+/);
      const val = (k: string) => {
        const i = a.indexOf(k);
        return i >= 0 ? Number(a[i + 1]) : undefined;
      };
      const weights = new Map<number, number>();
      for (let i = 0; i < a.length; i++) {
        // crushtool: (int)(weight * 0x10000) clamped to [0, 0x10000], from a float
        if (a[i] === '--weight') weights.set(Number(a[i + 1]), Math.min(0x10000, Math.max(0, Math.floor(Math.fround(Number(a[i + 2])) * 0x10000))));
      }
      cur = { args: line.slice(3), rule: val('--rule')!, numRep: val('--num-rep')!, minX: val('--min-x')!, poolId: val('--pool-id'), weights, expected: [] };
      out.push(cur);
    } else if (line !== '') {
      cur!.expected.push(line);
    }
  }
  return out;
}

/** CrushTester's weight vector: 0x10000 for devices in some bucket, else 0; then --weight. */
export function testerWeights(map: CrushMap, overrides: Map<number, number>): number[] {
  const present = new Set<number>();
  for (const b of map.buckets) if (b) for (const it of b.items) if (it >= 0) present.add(it);
  const w: number[] = [];
  for (let o = 0; o < map.maxDevices; o++) w.push(overrides.get(o) ?? (present.has(o) ? 0x10000 : 0));
  return w;
}

export const fmt = (v: readonly number[]) => `[${v.join(',')}]`;

/** The fixture names with recorded mappings in `dir`, sorted. */
export function mappingFixtures(dir: URL): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.mappings.txt.gz'))
    .map((f) => f.slice(0, -'.mappings.txt.gz'.length))
    .sort();
}

export interface MappingCheck {
  /** mappings compared */
  total: number;
  /** of those, mappings short of num-rep (or with CRUSH_ITEM_NONE holes) */
  short: number;
  /** per section with mismatches: its crushtool arguments, their number, the first five */
  mismatches: Array<{ args: string; count: number; first: string[] }>;
}

/** Map every recorded x of `name` as crushtool did (choose_args 0, else -1) and compare. */
export function checkMappings(map: CrushMap, dir: URL, name: string): MappingCheck {
  const args = chooseArgsFor(map, 0);
  const r: MappingCheck = { total: 0, short: 0, mismatches: [] };
  for (const s of parseMappings(dir, name)) {
    const weights = testerWeights(map, s.weights);
    const bad: string[] = [];
    for (let i = 0; i < s.expected.length; i++) {
      const x = s.minX + i;
      const realX = s.poolId !== undefined ? crushHash32_2(x, s.poolId) : x;
      const got = crushDoRule(map, s.rule, realX, s.numRep, weights, args);
      if (got.length < s.numRep || got.includes(CRUSH_ITEM_NONE)) r.short++;
      if (fmt(got) !== s.expected[i]) bad.push(`x ${x}: got ${fmt(got)}, crushtool ${s.expected[i]}`);
    }
    if (bad.length) r.mismatches.push({ args: s.args, count: bad.length, first: bad.slice(0, 5) });
    r.total += s.expected.length;
  }
  return r;
}
