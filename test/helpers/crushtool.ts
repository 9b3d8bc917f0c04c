// The crushtool oracle shared by the CRUSH tests: the mappings `crushtool --test
// --show-mappings` recorded (scripts/make-crush-fixtures.sh, make-crush-msr-fixtures.sh), and
// the weight vector CrushTester hands crush_do_rule.

import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import type { CrushMap } from '../../src/rados/crush/types.js';

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
