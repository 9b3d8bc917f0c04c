// The harness's statistics: nearest-rank percentiles and min / median / max spreads, so every
// figure in the report shows its noise. Pure functions, unit-tested (test/unit/bench-stats).

/** p in [0, 1]; nearest rank (the ceil(p*n)-th smallest), so p99 of 30 samples is the largest. */
export function percentile(xs: readonly number[], p: number): number {
  if (!xs.length) return NaN;
  if (!(p >= 0 && p <= 1)) throw new RangeError(`percentile ${p} outside [0, 1]`);
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

/** The middle value; the mean of the two middle values for an even count. */
export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export interface Spread {
  n: number;
  min: number;
  median: number;
  max: number;
}

/** min / median / max over repeats */
export function spread(xs: readonly number[]): Spread {
  if (!xs.length) return { n: 0, min: NaN, median: NaN, max: NaN };
  return { n: xs.length, min: Math.min(...xs), median: median(xs), max: Math.max(...xs) };
}

export interface LatencySummary extends Spread {
  p50: number;
  p95: number;
  p99: number;
  mean: number;
}

export function latencySummary(xs: readonly number[]): LatencySummary {
  const mean = xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN;
  return { ...spread(xs), p50: percentile(xs, 0.5), p95: percentile(xs, 0.95), p99: percentile(xs, 0.99), mean };
}

/** a / b, NaN when either side is missing or b is 0 */
export function ratio(a: number | undefined, b: number | undefined): number {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || b === 0) return NaN;
  return a / b;
}

/** (max - min) / min: how far a series strays from flat (0.1 = within 10%) */
export function relativeRange(xs: readonly number[]): number {
  const v = xs.filter(Number.isFinite);
  if (!v.length) return NaN;
  const lo = Math.min(...v);
  return lo > 0 ? (Math.max(...v) - lo) / lo : NaN;
}

/** Parse sizes like "64M,256M,1G,4G" (binary units; a bare number is bytes). */
export function parseSizeList(s: string): number[] {
  return s.split(',').map((t) => {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:i?B)?\s*$/i.exec(t);
    if (!m) throw new RangeError(`bad size '${t}' (e.g. 64M, 1G)`);
    const mult = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30, T: 2 ** 40 }[m[2]!.toUpperCase() as '' | 'K' | 'M' | 'G' | 'T'];
    const v = Math.round(Number(m[1]) * mult);
    if (!(v > 0)) throw new RangeError(`bad size '${t}'`);
    return v;
  });
}

/** 67108864 -> "64 MiB", 4294967296 -> "4 GiB" */
export function sizeLabel(bytes: number): string {
  for (const [u, m] of [
    ['TiB', 2 ** 40],
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes >= m) return `${+(bytes / m).toFixed(2)} ${u}`;
  }
  return `${bytes} B`;
}
