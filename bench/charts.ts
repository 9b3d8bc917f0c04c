// The report's charts, from a results file: latency against image size for clone (both
// formats) and for copy, both implementations. Sizes on a log axis (they grow 4× a step); clone
// latency on a linear axis from 0 (so flat reads as flat), copy and the clone-vs-copy overview
// on log axes (copy grows with size, clone does not: the gap is the point).

import type { CloneCopyResults, Impl } from './schema.js';
import { lineChart, type Series } from './svg.js';
import { sizeLabel } from './stats.js';

const COLOR: Record<Impl, string> = { 'rbd-ts': '#1f77b4', librbd: '#d62728' };
const GREEN: Record<Impl, string> = { 'rbd-ts': '#2ca02c', librbd: '#ff7f0e' };

function sizes(r: CloneCopyResults): number[] {
  return [...new Set([...r.clone.map((c) => c.size), ...r.copy.map((c) => c.size)])].sort((a, b) => a - b);
}

function cloneSeries(r: CloneCopyResults, impl: Impl, format: 1 | 2, whiskers: boolean): Series {
  return {
    name: `clone v${format}, ${impl}`,
    color: format === 2 ? COLOR[impl] : GREEN[impl],
    dash: format === 1 ? '6 4' : undefined,
    marker: impl === 'rbd-ts' ? 'circle' : 'square',
    points: r.clone
      .filter((c) => c.impl === impl && c.format === format)
      .map((c) => ({ x: c.size, y: c.latency.p50, ...(whiskers && { lo: c.latency.min, hi: c.latency.p95 }) })),
  };
}

function copySeries(r: CloneCopyResults, impl: Impl): Series {
  return {
    name: `copy, ${impl}`,
    color: impl === 'rbd-ts' ? '#6a3d9a' : '#8c564b',
    marker: 'triangle',
    points: r.copy.filter((c) => c.impl === impl).map((c) => ({ x: c.size, y: c.ms.median, lo: c.ms.min, hi: c.ms.max })),
  };
}

/** file name -> SVG text */
export function renderCharts(r: CloneCopyResults): Record<string, string> {
  const ss = sizes(r);
  const common = { xLabel: 'image size', xLog: true, xTicks: ss, xFormat: sizeLabel };
  const impls: Impl[] = ['rbd-ts', 'librbd'];
  return {
    'clone-latency.svg': lineChart({
      ...common,
      title: 'Clone latency against parent size',
      subtitle: `p50 of ${r.options.clones} clones per point; whiskers min to p95`,
      yLabel: 'ms per clone',
      yZero: true,
      dodge: 6,
      series: [2, 1].flatMap((f) => impls.map((i) => cloneSeries(r, i, f as 1 | 2, true))),
    }),
    'copy-latency.svg': lineChart({
      ...common,
      title: 'Making the disk by bulk object writes',
      subtitle: `median of ${r.options.repeats} copies; whiskers min to max; 4 MiB objects, ${r.options.depth} in flight`,
      yLabel: 'ms per copy',
      yLog: true,
      series: impls.map((i) => copySeries(r, i)),
    }),
    'clone-vs-copy.svg': lineChart({
      ...common,
      title: 'A new disk: clone against copy',
      subtitle: 'clone p50; copy median, whiskers min to max',
      yLabel: 'ms to make the disk',
      yLog: true,
      series: [...impls.map((i) => copySeries(r, i)), ...[2, 1].flatMap((f) => impls.map((i) => cloneSeries(r, i, f as 1 | 2, false)))],
    }),
  };
}
