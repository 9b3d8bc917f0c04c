// The clone-vs-copy results file (bench/results/clone-copy-*.json, or --out DIR/results.json):
// every sample, with the machine, Ceph and Node versions. report.ts and charts.ts read only this.

import type { LatencySummary, Spread } from './stats.js';

export type Impl = 'rbd-ts' | 'librbd';

export interface Environment {
  date: string;
  node: string;
  /** `ceph --version` of the client tools (python3-rbd is the same build) */
  ceph: string;
  /** daemons' versions as the cluster reports them (`ceph versions`) */
  cephDaemons?: Record<string, unknown>;
  kernel: string;
  arch: string;
  cpu: string;
  cores: number;
  memGiB: number;
  /** how the cluster was set up, e.g. "1 mon, 1 memstore OSD, loopback" */
  cluster: string;
}

export interface BenchOptions {
  preset: 'full' | 'quick' | 'custom';
  pool: string;
  /** parent image sizes, bytes */
  sizes: number[];
  /** timed clones per size, format and implementation */
  clones: number;
  /** untimed clones (and one small copy) per implementation before counting */
  warmup: number;
  /** bulk copies per size and implementation */
  repeats: number;
  /** object writes in flight */
  depth: number;
  /** object size of every bulk write */
  objectBytes: number;
  radosSeconds: number;
  radosRepeats: number;
}

export interface CloneSeries {
  impl: Impl;
  format: 1 | 2;
  /** parent size, bytes */
  size: number;
  samplesMs: number[];
  latency: LatencySummary;
  /** CPU seconds per clone, over the timed clones */
  cpuMsPerClone: Spread;
  /** peak RSS of the process during this size's clones (both formats), MiB */
  peakRssMiB: number;
  /** OSD ops sent per clone (rbd-ts: objecter count; librbd: objecter.op_send perf counter) */
  osdOpsPerClone: number;
  /** dependent round trips per clone (rbd-ts only: librbd's ops are not observable one by one) */
  roundTripsPerClone?: Spread;
  /** rbd-ts: what one clone sends, round by round (first timed clone) */
  trace?: string[];
}

export interface CopySample {
  ms: number;
  MBs: number;
  cpuSeconds: number;
  peakRssMiB: number;
}

export interface CopySeries {
  impl: Impl;
  size: number;
  samples: CopySample[];
  ms: Spread;
  MBs: Spread;
  cpuSeconds: Spread;
  peakRssMiB: Spread;
}

export interface RadosSample {
  MBs: number;
  seconds: number;
  ops: number;
  cpuSeconds: number;
  peakRssMiB: number;
}

export interface RadosSeries {
  impl: 'rbd-ts' | 'rados bench';
  objectBytes: number;
  depth: number;
  samples: RadosSample[];
  MBs: Spread;
  cpuSeconds: Spread;
  peakRssMiB: Spread;
}

export interface FillRecord {
  size: number;
  ms: number;
  MBs: number;
}

export interface CloneCopyResults {
  bench: 'clone-copy';
  schema: 1;
  env: Environment;
  options: BenchOptions;
  /** wall-clock seconds of the whole run */
  elapsedSeconds: number;
  /** rbd-ts filling each parent (not a measure; for the record) */
  fills: FillRecord[];
  clone: CloneSeries[];
  copy: CopySeries[];
  rados: RadosSeries[];
  notes: string[];
}
