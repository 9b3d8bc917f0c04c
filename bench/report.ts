// The Markdown report of a clone-vs-copy run: one table per measure (rbd-ts, librbd, rbd-ts /
// librbd), the copy / clone ratio per size, and the run read against issue 7's goals.
// Every figure that has repeats is shown as median (min–max).

import type { CloneCopyResults, CloneSeries, CopySeries, Impl } from './schema.js';
import { ratio, relativeRange, sizeLabel, type Spread } from './stats.js';

export interface Goal {
  goal: string;
  measured: string;
  met: boolean | undefined;
}

const f = (x: number | undefined, d = 2): string => (x === undefined || !Number.isFinite(x) ? '–' : x.toFixed(d));
const fr = (x: number): string => (Number.isFinite(x) ? `${x.toFixed(2)}×` : '–');
/** "median (min–max)" */
const fs = (s: Spread | undefined, d = 2): string =>
  !s || !s.n ? '–' : s.n === 1 || s.min === s.max ? f(s.median, d) : `${f(s.median, d)} (${f(s.min, d)}–${f(s.max, d)})`;

function table(header: string[], rows: string[][], right = header.map((_, i) => i > 0)): string {
  const sep = right.map((r) => (r ? '---:' : '---'));
  return [header, sep, ...rows].map((r) => `| ${r.join(' | ')} |`).join('\n') + '\n';
}

export function cloneOf(r: CloneCopyResults, impl: Impl, format: 1 | 2, size: number): CloneSeries | undefined {
  return r.clone.find((c) => c.impl === impl && c.format === format && c.size === size);
}

export function copyOf(r: CloneCopyResults, impl: Impl, size: number): CopySeries | undefined {
  return r.copy.find((c) => c.impl === impl && c.size === size);
}

function sizes(r: CloneCopyResults): number[] {
  return [...new Set([...r.clone.map((c) => c.size), ...r.copy.map((c) => c.size)])].sort((a, b) => a - b);
}

/** The run against issue 7 §5's goals. `met` is undefined when a side is missing. */
export function goals(r: CloneCopyResults): Goal[] {
  const out: Goal[] = [];
  const ss = sizes(r);
  for (const fmt of [1, 2] as const) {
    const rs = ss.map((s) => ratio(cloneOf(r, 'rbd-ts', fmt, s)?.latency.p50, cloneOf(r, 'librbd', fmt, s)?.latency.p50));
    const worst = Math.max(...rs.filter(Number.isFinite));
    out.push({
      goal: `rbd-ts clone (format ${fmt}) p50 ≤ 0.5× librbd's, every size`,
      measured: rs.map((x, i) => `${sizeLabel(ss[i]!)} ${fr(x)}`).join(', '),
      met: rs.some(Number.isFinite) ? worst <= 0.5 : undefined,
    });
  }
  for (const fmt of [1, 2] as const) {
    const p50s = ss.map((s) => cloneOf(r, 'rbd-ts', fmt, s)?.latency.p50 ?? NaN);
    const rr = relativeRange(p50s);
    out.push({
      goal: `rbd-ts clone (format ${fmt}) p50 flat from ${sizeLabel(ss[0] ?? 0)} to ${sizeLabel(ss[ss.length - 1] ?? 0)} (within 10%)`,
      measured: `p50 ${p50s.map((x) => f(x)).join(' / ')} ms: spread ${f(rr * 100, 1)}%`,
      met: ss.length > 1 && Number.isFinite(rr) ? rr <= 0.1 : undefined,
    });
  }
  const bulk = ss.map((s) => ratio(copyOf(r, 'rbd-ts', s)?.MBs.median, copyOf(r, 'librbd', s)?.MBs.median));
  out.push({
    goal: "rbd-ts bulk writes ≥ librbd's MB/s, every size",
    measured: bulk.map((x, i) => `${sizeLabel(ss[i]!)} ${fr(x)}`).join(', '),
    met: bulk.some(Number.isFinite) ? Math.min(...bulk.filter(Number.isFinite)) >= 1 : undefined,
  });
  const bench = r.rados.find((x) => x.impl === 'rados bench')?.MBs.median;
  const vsBench = ss.map((s) => ratio(copyOf(r, 'rbd-ts', s)?.MBs.median, bench));
  out.push({
    goal: 'rbd-ts bulk writes ≥ 0.8× `rados bench` MB/s, every size',
    measured: vsBench.map((x, i) => `${sizeLabel(ss[i]!)} ${fr(x)}`).join(', ') + ` (rados bench ${f(bench, 0)} MB/s)`,
    met: vsBench.some(Number.isFinite) ? Math.min(...vsBench.filter(Number.isFinite)) >= 0.8 : undefined,
  });
  return out;
}

export function renderReport(r: CloneCopyResults, charts: string[] = []): string {
  const ss = sizes(r);
  const o = r.options;
  const md: string[] = [];
  md.push(`# Clone vs bulk object writes: rbd-ts and librbd\n`);
  md.push(
    `${r.env.date} · ${r.env.cluster} · ${r.env.cpu} (${r.env.cores} cores, ${r.env.memGiB} GiB) · Linux ${r.env.kernel} · Node ${r.env.node} · ${r.env.ceph}\n`,
  );
  md.push(
    `Preset ${o.preset}: pool \`${o.pool}\`, parents ${o.sizes.map(sizeLabel).join(', ')}; ${o.clones} timed clones per size, format and implementation (after ${o.warmup} warm-up clones each), interleaved; ${o.repeats} bulk copies per size and implementation, ${sizeLabel(o.objectBytes)} objects, ${o.depth} in flight; RADOS ceiling ${o.radosRepeats} × ${o.radosSeconds} s or 4 GiB of new objects, whichever ends first. Run took ${f(r.elapsedSeconds, 0)} s. Figures with repeats read median (min–max).\n`,
  );

  md.push(`## Goals\n`);
  md.push(
    table(
      ['goal', 'measured', 'met'],
      goals(r).map((g) => [g.goal, g.measured, g.met === undefined ? '–' : g.met ? 'yes' : 'no']),
      [false, false, false],
    ),
  );

  for (const fmt of [1, 2] as const) {
    md.push(`## Clone latency, format ${fmt} (ms)\n`);
    const rows: string[][] = [];
    for (const s of ss) {
      const t = cloneOf(r, 'rbd-ts', fmt, s);
      const l = cloneOf(r, 'librbd', fmt, s);
      if (!t && !l) continue;
      rows.push([
        sizeLabel(s),
        `${f(t?.latency.p50)} / ${f(t?.latency.p95)} / ${f(t?.latency.p99)}`,
        `${f(l?.latency.p50)} / ${f(l?.latency.p95)} / ${f(l?.latency.p99)}`,
        fr(ratio(t?.latency.p50, l?.latency.p50)),
        `${f(t?.latency.min)}–${f(t?.latency.max)}`,
        `${f(l?.latency.min)}–${f(l?.latency.max)}`,
      ]);
    }
    md.push(table(['parent', 'rbd-ts p50 / p95 / p99', 'librbd p50 / p95 / p99', 'rbd-ts / librbd (p50)', 'rbd-ts min–max', 'librbd min–max'], rows));
  }

  md.push(`## Clone cost (per clone)\n`);
  {
    const rows: string[][] = [];
    for (const fmt of [1, 2] as const) {
      for (const s of ss) {
        const t = cloneOf(r, 'rbd-ts', fmt, s);
        const l = cloneOf(r, 'librbd', fmt, s);
        if (!t && !l) continue;
        rows.push([
          `${fmt}`,
          sizeLabel(s),
          fs(t?.cpuMsPerClone),
          fs(l?.cpuMsPerClone),
          fr(ratio(t?.cpuMsPerClone.median, l?.cpuMsPerClone.median)),
          f(t?.osdOpsPerClone, 1),
          f(l?.osdOpsPerClone, 1),
          fs(t?.roundTripsPerClone, 0),
          `${f(t?.peakRssMiB, 0)} / ${f(l?.peakRssMiB, 0)}`,
        ]);
      }
    }
    md.push(
      table(
        [
          'format',
          'parent',
          'rbd-ts CPU ms',
          'librbd CPU ms',
          'rbd-ts / librbd (CPU)',
          'rbd-ts OSD ops',
          'librbd OSD ops',
          'rbd-ts round trips',
          'peak RSS MiB rbd-ts / librbd',
        ],
        rows,
      ),
    );
  }

  md.push(`## Bulk object writes (the same disk by copy)\n`);
  {
    const rows: string[][] = [];
    for (const s of ss) {
      const t = copyOf(r, 'rbd-ts', s);
      const l = copyOf(r, 'librbd', s);
      if (!t && !l) continue;
      rows.push([
        sizeLabel(s),
        fs(t?.ms, 0),
        fs(l?.ms, 0),
        fs(t?.MBs, 0),
        fs(l?.MBs, 0),
        fr(ratio(t?.MBs.median, l?.MBs.median)),
        `${fs(t?.cpuSeconds)} / ${fs(l?.cpuSeconds)}`,
        `${fs(t?.peakRssMiB, 0)} / ${fs(l?.peakRssMiB, 0)}`,
      ]);
    }
    md.push(
      table(
        ['image', 'rbd-ts ms', 'librbd ms', 'rbd-ts MB/s', 'librbd MB/s', 'rbd-ts / librbd (MB/s)', 'CPU s rbd-ts / librbd', 'peak RSS MiB rbd-ts / librbd'],
        rows,
      ),
    );
  }

  md.push(`## Copy / clone: how much faster a clone makes the disk\n`);
  {
    const rows: string[][] = [];
    for (const s of ss) {
      const cells = [sizeLabel(s)];
      for (const impl of ['rbd-ts', 'librbd'] as const) {
        const cp = copyOf(r, impl, s)?.ms.median;
        cells.push(f(cp, 0));
        for (const fmt of [1, 2] as const) {
          const cl = cloneOf(r, impl, fmt, s)?.latency.p50;
          cells.push(`${f(ratio(cp, cl), 0)}×`);
        }
      }
      rows.push(cells);
    }
    md.push(
      table(
        ['image', 'rbd-ts copy ms', 'rbd-ts copy / clone v1', 'rbd-ts copy / clone v2', 'librbd copy ms', 'librbd copy / clone v1', 'librbd copy / clone v2'],
        rows,
      ),
    );
    md.push(`(copy: median of the bulk copies; clone: p50.)\n`);
  }

  md.push(`## RADOS ceiling: ${sizeLabel(o.objectBytes)} object writes, ${o.depth} in flight\n`);
  {
    const t = r.rados.find((x) => x.impl === 'rbd-ts');
    const b = r.rados.find((x) => x.impl === 'rados bench');
    md.push(
      table(
        ['', 'rbd-ts', 'rados bench', 'rbd-ts / rados bench'],
        [
          ['MB/s', fs(t?.MBs, 0), fs(b?.MBs, 0), fr(ratio(t?.MBs.median, b?.MBs.median))],
          ['CPU s', fs(t?.cpuSeconds), fs(b?.cpuSeconds), fr(ratio(t?.cpuSeconds.median, b?.cpuSeconds.median))],
          ['peak RSS MiB', fs(t?.peakRssMiB, 0), fs(b?.peakRssMiB, 0), fr(ratio(t?.peakRssMiB.median, b?.peakRssMiB.median))],
        ],
      ),
    );
    const bulk = ss.map((s) => `${sizeLabel(s)} ${f(copyOf(r, 'rbd-ts', s)?.MBs.median, 0)}`).join(', ');
    md.push(`rbd-ts bulk image writes for comparison (MB/s): ${bulk}.\n`);
  }

  if (r.fills.length) {
    md.push(`## Parent fills (rbd-ts, for the record)\n`);
    md.push(
      table(
        ['parent', 'ms', 'MB/s'],
        r.fills.map((x) => [sizeLabel(x.size), f(x.ms, 0), f(x.MBs, 0)]),
      ),
    );
  }

  const traced = r.clone.filter((c) => c.impl === 'rbd-ts' && c.trace?.length && c.size === ss[0]);
  if (traced.length) {
    md.push(`## What one rbd-ts clone sends\n`);
    for (const c of traced) {
      md.push(`Format ${c.format} (${f(c.osdOpsPerClone, 1)} OSD ops, ${fs(c.roundTripsPerClone, 0)} dependent round trips):\n`);
      md.push('```\n' + c.trace!.join('\n') + '\n```\n');
    }
  }

  if (charts.length) {
    md.push(`## Charts\n`);
    for (const c of charts) md.push(`![${c.replace(/\.svg$/, '')}](${c})\n`);
  }
  if (r.notes.length) {
    md.push(`## How it was measured\n`);
    md.push(r.notes.map((n) => `- ${n}`).join('\n') + '\n');
  }
  return md.join('\n');
}

/** The figures a console summary prints (one line per size). */
export function summaryLines(r: CloneCopyResults): string[] {
  return sizes(r).map((s) => {
    const c = (impl: Impl) => cloneOf(r, impl, 2, s)?.latency.p50;
    const m = (impl: Impl) => copyOf(r, impl, s)?.MBs.median;
    return `${sizeLabel(s).padEnd(8)} clone v2 p50 rbd-ts ${f(c('rbd-ts'))} ms, librbd ${f(c('librbd'))} ms (${fr(ratio(c('rbd-ts'), c('librbd')))}); copy rbd-ts ${f(m('rbd-ts'), 0)} MB/s, librbd ${f(m('librbd'), 0)} MB/s`;
  });
}
