import test from 'ava';
import { renderCharts } from '../../bench/charts.js';
import { goals, renderReport, summaryLines } from '../../bench/report.js';
import type { CloneCopyResults, CloneSeries, CopySeries, Impl, RadosSeries } from '../../bench/schema.js';
import { latencySummary, spread } from '../../bench/stats.js';
import { checkXml } from '../../bench/xml-check.js';

const MiB = 2 ** 20;
const SIZES = [64 * MiB, 256 * MiB, 1024 * MiB, 4096 * MiB];

/** A results file shaped as the harness writes it, with chosen figures. */
function results(
  cloneMs: (impl: Impl, format: 1 | 2, size: number) => number,
  copyMBs: (impl: Impl, size: number) => number,
  benchMBs = 400,
): CloneCopyResults {
  const clone: CloneSeries[] = [];
  const copy: CopySeries[] = [];
  for (const size of SIZES) {
    for (const impl of ['rbd-ts', 'librbd'] as const) {
      for (const format of [1, 2] as const) {
        const base = cloneMs(impl, format, size);
        const samples = Array.from({ length: 30 }, (_, i) => base * (0.9 + (i % 5) * 0.05));
        clone.push({
          impl,
          format,
          size,
          samplesMs: samples,
          latency: latencySummary(samples),
          cpuMsPerClone: spread([2, 3, 4]),
          peakRssMiB: 100,
          osdOpsPerClone: impl === 'rbd-ts' ? 13 : 40,
          ...(impl === 'rbd-ts' && { roundTripsPerClone: spread([6, 6, 6]), trace: ['round 1: rbd_id.x [rbd.get_id]'] }),
        });
      }
      const mbs = copyMBs(impl, size);
      const ms = (size / 1e6 / mbs) * 1000;
      const s = [0.95, 1, 1.05].map((k) => ({ ms: ms * k, MBs: mbs / k, cpuSeconds: 1, peakRssMiB: 120 }));
      copy.push({
        impl,
        size,
        samples: s,
        ms: spread(s.map((x) => x.ms)),
        MBs: spread(s.map((x) => x.MBs)),
        cpuSeconds: spread([1, 1, 1]),
        peakRssMiB: spread([120, 120, 120]),
      });
    }
  }
  const rados: RadosSeries[] = (['rbd-ts', 'rados bench'] as const).map((impl) => ({
    impl,
    objectBytes: 4 * MiB,
    depth: 16,
    samples: [{ MBs: benchMBs, seconds: 10, ops: 1000, cpuSeconds: 2, peakRssMiB: 90 }],
    MBs: spread([benchMBs]),
    cpuSeconds: spread([2]),
    peakRssMiB: spread([90]),
  }));
  return {
    bench: 'clone-copy',
    schema: 1,
    env: {
      date: '2026-11-24T00:00:00.000Z',
      node: 'v20',
      ceph: 'ceph version 16.2.15',
      kernel: '6',
      arch: 'x64',
      cpu: 'cpu',
      cores: 2,
      memGiB: 23,
      cluster: 'test',
    },
    options: {
      preset: 'full',
      pool: 'rbd',
      sizes: SIZES,
      clones: 30,
      warmup: 3,
      repeats: 3,
      depth: 16,
      objectBytes: 4 * MiB,
      radosSeconds: 10,
      radosRepeats: 3,
    },
    elapsedSeconds: 600,
    fills: SIZES.map((size) => ({ size, ms: 1000, MBs: size / 1e6 })),
    clone,
    copy,
    rados,
    notes: ['how it was measured'],
  };
}

const good = results(
  (impl, f) => (impl === 'rbd-ts' ? 5 + f : 20 + f),
  (impl) => (impl === 'rbd-ts' ? 400 : 350),
  450,
);

test('goals: all met', (t) => {
  const g = goals(good);
  t.is(g.length, 6);
  t.deepEqual(
    g.map((x) => x.met),
    [true, true, true, true, true, true],
  );
  t.regex(g[0]!.measured, /64 MiB 0\.29×/); // 6 / 21
  t.regex(g[3]!.measured, /spread 0\.0%/);
});

test('goals: each one can fail', (t) => {
  const slow = results(
    (impl, f, size) => (impl === 'rbd-ts' ? (size > 1024 * MiB ? 15 : 10) : 20 + f),
    (impl) => (impl === 'rbd-ts' ? 300 : 350),
    450,
  );
  t.deepEqual(
    goals(slow).map((x) => x.met),
    [false, false, false, false, false, false],
  );
});

test('the report has one table per measure, the ratios and the goals', (t) => {
  const md = renderReport(good, ['clone-latency.svg']);
  for (const h of [
    '## Goals',
    '## Clone latency, format 1 (ms)',
    '## Clone latency, format 2 (ms)',
    '## Clone cost (per clone)',
    '## Bulk object writes',
    '## Copy / clone',
    '## RADOS ceiling',
    '## What one rbd-ts clone sends',
    '## Charts',
    '## How it was measured',
  ]) {
    t.true(md.includes(h), h);
  }
  // every table row has as many cells as its header
  const tables = md.split('\n\n').filter((b) => b.startsWith('|'));
  t.true(tables.length >= 8);
  for (const tb of tables) {
    const rows = tb.trim().split('\n');
    const cells = (r: string) => r.split(' | ').length;
    t.true(
      rows.every((r) => cells(r) === cells(rows[0]!)),
      rows[0],
    );
    t.regex(rows[1]!, /^\| (---:?|:?---) \|/);
  }
  // clone format 2 row at 64 MiB: rbd-ts p50 / p95 / p99, librbd's, and the ratio
  const c2 = md.slice(md.indexOf('## Clone latency, format 2'));
  t.regex(c2, /\| 64 MiB \| 7\.00 \/ 7\.70 \/ 7\.70 \| 22\.00 \/ 24\.20 \/ 24\.20 \| 0\.32× \|/);
  // bulk writes: MB/s both sides and rbd-ts / librbd
  t.regex(md, /\| 4 GiB \| [\d.]+ \([\d.]+–[\d.]+\) \| [\d.]+ \([\d.]+–[\d.]+\) \| 400 \(381–421\) \| 350 \(333–368\) \| 1\.14× \|/);
  // copy / clone per size: 4 GiB at 400 MB/s = 10737 ms over a 6 ms (v1) and 7 ms (v2) p50 clone
  t.regex(md, /\| 4 GiB \| 10737 \| 1790× \| 1534× \|/);
  t.regex(md, /\| MB\/s \| 450 \| 450 \| 1\.00× \|/);
  t.true(md.includes('![clone-latency](clone-latency.svg)'));
  t.false(/NaN|undefined/.test(md));
});

test('a report with one implementation missing shows dashes, not NaN', (t) => {
  const r = good;
  const partial: CloneCopyResults = { ...r, clone: r.clone.filter((c) => c.impl === 'rbd-ts'), copy: r.copy.filter((c) => c.impl === 'rbd-ts'), rados: [] };
  const md = renderReport(partial);
  t.false(/NaN|undefined|Infinity/.test(md));
  t.true(
    goals(partial)
      .slice(0, 2)
      .every((g) => g.met === undefined),
  );
  t.is(summaryLines(partial).length, 4);
});

test('charts: three well-formed SVGs with both implementations and every size', (t) => {
  const charts = renderCharts(good);
  t.deepEqual(Object.keys(charts).sort(), ['clone-latency.svg', 'clone-vs-copy.svg', 'copy-latency.svg']);
  for (const [name, svg] of Object.entries(charts)) {
    t.deepEqual(checkXml(svg).errors, [], name);
    t.false(/NaN|Infinity|undefined/.test(svg), name);
    for (const s of ['64 MiB', '256 MiB', '1 GiB', '4 GiB']) t.true(svg.includes(`>${s}<`), `${name} ${s}`);
    t.true(svg.includes('rbd-ts'), name);
    t.true(svg.includes('librbd'), name);
  }
  t.is((charts['clone-latency.svg']!.match(/<polyline /g) ?? []).length, 4);
  t.is((charts['copy-latency.svg']!.match(/<polyline /g) ?? []).length, 2);
  t.is((charts['clone-vs-copy.svg']!.match(/<polyline /g) ?? []).length, 6);
  t.true(charts['copy-latency.svg']!.includes('ms per copy (log scale)'));
  t.false(charts['clone-latency.svg']!.includes('ms per clone (log scale)'));
});
