// Issue 7's measurement: how much faster a copy-on-write clone makes a new disk than bulk
// object writes, from rbd-ts (this process) and librbd (one long-running python3-rbd process),
// on the same cluster in the same run, plus the RADOS ceiling (rbd-ts vs `rados bench`).
//
// Per parent size (ascending), one image of that size in the pool at a time (a memstore OSD
// holds about twice the bytes written in RAM: a 4 GiB parent and a 4 GiB copy together do not fit):
//   parent: rbd-ts writes non-zero bytes (4 MiB objects, `depth` in flight), snapshot, protect;
//   clone:  `clones` per format and implementation, interleaved (the order alternates), each
//           removed right after it is timed (removal untimed); then the parent is removed;
//   copy:   `repeats` bulk copies per implementation, interleaved: create + every object
//           written (the same 4 MiB chunk the parent held, `depth` in flight) + flush + close,
//           each removed right after it is timed.
// Warm-up (untimed) before the first size: a small copy from each side, then clones of both formats.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { bestEffort } from '../src/encoding/errno.js';
import { Rados } from '../src/rados/rados.js';
import { RBD } from '../src/rbd/rbd.js';
import { bulkCopy, dataChunk, makeParent, OBJECT_BYTES, removeIfExists, removeParent, timedClone } from '../src/cli/commands/bench.js';
import { LibrbdDriver } from './librbd-driver.js';
import { instrument, metered, roundOf, roundTrips, type Sent } from './meter.js';
import { benchRadosWrites, type WriteFigure } from './rados-write.js';
import type { BenchOptions, CloneCopyResults, CloneSeries, CopySample, CopySeries, Environment, FillRecord, Impl, RadosSeries } from './schema.js';
import { latencySummary, sizeLabel, spread } from './stats.js';

const MiB = 2 ** 20;
const GiB = 2 ** 30;

export const PRESETS: Record<'full' | 'quick', Omit<BenchOptions, 'pool' | 'preset'>> = {
  full: {
    sizes: [64 * MiB, 256 * MiB, GiB, 4 * GiB],
    clones: 100,
    warmup: 10,
    repeats: 5,
    depth: 16,
    objectBytes: OBJECT_BYTES,
    radosSeconds: 10,
    radosRepeats: 3,
  },
  quick: { sizes: [64 * MiB, 256 * MiB], clones: 10, warmup: 2, repeats: 2, depth: 16, objectBytes: OBJECT_BYTES, radosSeconds: 3, radosRepeats: 2 },
};

export interface RunContext {
  conf: string;
  /** how the cluster was set up, for the report */
  cluster: string;
  log: (line: string) => void;
}

function versions(conf: string): Pick<Environment, 'ceph' | 'cephDaemons'> {
  const ceph = execFileSync('ceph', ['--version'], { encoding: 'utf8' }).trim();
  try {
    const out = execFileSync('ceph', ['-c', conf, 'versions', '--format', 'json', '--connect-timeout', '20'], { encoding: 'utf8', timeout: 30_000 });
    return { ceph, cephDaemons: JSON.parse(out) as Record<string, unknown> };
  } catch {
    return { ceph };
  }
}

/** "1 mon, 3 osd" from `ceph versions` */
function daemonCounts(d: Record<string, unknown> | undefined): string {
  if (!d) return '';
  const count = (k: string) => Object.values((d[k] ?? {}) as Record<string, number>).reduce((a, b) => a + b, 0);
  return ['mon', 'mgr', 'osd']
    .map((k) => [k, count(k)] as const)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

function environment(ctx: RunContext): Environment {
  const v = versions(ctx.conf);
  const counts = daemonCounts(v.cephDaemons);
  return {
    date: new Date().toISOString(),
    node: process.version,
    ...v,
    kernel: release(),
    arch: arch(),
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memGiB: Math.round((totalmem() / GiB) * 10) / 10,
    cluster: counts && !ctx.cluster.includes('OSD') ? `${ctx.cluster} (${counts})` : ctx.cluster,
  };
}

function radosSeries(figs: WriteFigure[], objectBytes: number): RadosSeries[] {
  return (['rbd-ts', 'rados bench'] as const).map((impl) => {
    const mine = figs.filter((f) => f.who === impl && f.size === objectBytes);
    const samples = mine.map((f) => ({ MBs: f.MBs, seconds: f.seconds, ops: f.ops, cpuSeconds: f.cpuSeconds, peakRssMiB: f.peakRssMiB }));
    return {
      impl,
      objectBytes,
      depth: mine[0]?.depth ?? 16,
      samples,
      MBs: spread(samples.map((s) => s.MBs)),
      cpuSeconds: spread(samples.map((s) => s.cpuSeconds)),
      peakRssMiB: spread(samples.map((s) => s.peakRssMiB)),
    };
  });
}

/** Run the measurement; returns every sample. Leaves nothing behind in the pool. */
export async function runCloneCopy(ctx: RunContext, o: BenchOptions): Promise<CloneCopyResults> {
  const started = performance.now();
  const env = environment(ctx);
  const tag = `bcc${process.pid.toString(36)}${Date.now().toString(36).slice(-4)}`;
  const work = mkdtempSync(join(tmpdir(), 'rbd-ts-bench-'));
  const chunk = dataChunk(o.objectBytes);
  const chunkFile = join(work, 'chunk');
  writeFileSync(chunkFile, chunk);
  const rados = await Rados.connect({ conf: ctx.conf, timeoutMs: 30_000 });
  const io = await rados.openIoctx(o.pool);
  const objecter = await rados.objecter();
  const log = instrument(objecter);
  const call = { timeoutMs: 300_000 };
  let py: LibrbdDriver | undefined;
  const leftovers = new Set<string>();
  const parents = new Set<string>();
  const fills: FillRecord[] = [];
  const clone: CloneSeries[] = [];
  const copy: CopySeries[] = [];
  const notes: string[] = [];
  try {
    py = await LibrbdDriver.start({ conf: ctx.conf, pool: o.pool, chunkFile, asok: join(work, 'librbd.asok') });
    const lib = py;

    const tsClone = async (parent: string, name: string, f: 1 | 2) => {
      const from = log.length;
      const sent0 = objecter.stats.sent;
      const cpu0 = process.cpuUsage();
      leftovers.add(name);
      const ms = await timedClone(io, parent, 's', name, f, call);
      const cpu = process.cpuUsage(cpu0);
      const ops = log.slice(from);
      const sent = objecter.stats.sent - sent0;
      await RBD.remove(io, name, call);
      leftovers.delete(name);
      return { ms, cpuMs: (cpu.user + cpu.system) / 1000, sent, ops };
    };
    const pyClone = async (parent: string, name: string, f: 1 | 2) => {
      leftovers.add(name);
      const r = await lib.clone(parent, 's', name, f);
      await lib.remove(name);
      leftovers.delete(name);
      return { ms: r.ms, cpuMs: r.cpuSeconds * 1000 };
    };
    const tsCopy = async (name: string, size: number): Promise<CopySample> => {
      leftovers.add(name);
      const { value: ms, cost } = await metered(() => bulkCopy(io, name, size, chunk, o.depth, call));
      await RBD.remove(io, name, call);
      leftovers.delete(name);
      return { ms, MBs: size / 1e6 / (ms / 1000), cpuSeconds: cost.cpuSeconds, peakRssMiB: cost.peakRssMiB };
    };
    const pyCopy = async (name: string, size: number): Promise<CopySample> => {
      leftovers.add(name);
      const r = await lib.copy(name, size, o.depth);
      await lib.remove(name);
      leftovers.delete(name);
      return { ms: r.ms, MBs: size / 1e6 / (r.ms / 1000), cpuSeconds: r.cpuSeconds, peakRssMiB: r.peakRssMiB };
    };

    const sizes = [...o.sizes].sort((a, b) => a - b);
    for (const [si, size] of sizes.entries()) {
      const parent = `${tag}-p${si}`;
      parents.add(parent);
      ctx.log(`${sizeLabel(size)}: parent ${o.pool}/${parent}, filling`);
      const t0 = performance.now();
      await makeParent(io, parent, size, 's', chunk, o.depth, call);
      const fillMs = performance.now() - t0;
      fills.push({ size, ms: fillMs, MBs: size / 1e6 / (fillMs / 1000) });

      if (si === 0) {
        ctx.log(`warm-up: one ${sizeLabel(Math.min(size, 64 * MiB))} copy each, ${o.warmup} clones per format and implementation`);
        await tsCopy(`${tag}-wct`, Math.min(size, 64 * MiB));
        await pyCopy(`${tag}-wcl`, Math.min(size, 64 * MiB));
        for (let i = 0; i < o.warmup; i++) {
          for (const f of [1, 2] as const) {
            await tsClone(parent, `${tag}-w${i}t${f}`, f);
            await pyClone(parent, `${tag}-w${i}l${f}`, f);
          }
        }
      }

      // clones, interleaved: the order alternates with i and the format
      ctx.log(`${sizeLabel(size)}: ${o.clones} clones per format and implementation`);
      const ms: Record<string, number[]> = {};
      const cpuMs: Record<string, number[]> = {};
      const sent: Record<number, number[]> = { 1: [], 2: [] };
      const rts: Record<number, number[]> = { 1: [], 2: [] };
      const trace: Record<number, string[]> = { 1: [], 2: [] };
      const push = (k: string, m: number, c: number) => {
        (ms[k] ??= []).push(m);
        (cpuMs[k] ??= []).push(c);
      };
      const tsMem = await metered(async () => {
        await lib.resetPeak();
        for (let i = 0; i < o.clones; i++) {
          for (const f of [1, 2] as const) {
            const ts = async () => {
              const r = await tsClone(parent, `${tag}-c${i}t${f}`, f);
              push(`rbd-ts ${f}`, r.ms, r.cpuMs);
              sent[f]!.push(r.sent);
              rts[f]!.push(roundTrips(r.ops));
              if (!trace[f]!.length) trace[f] = describeRounds(r.ops);
            };
            const lb = async () => {
              const r = await pyClone(parent, `${tag}-c${i}l${f}`, f);
              push(`librbd ${f}`, r.ms, r.cpuMs);
            };
            if ((i + f) % 2) {
              await ts();
              await lb();
            } else {
              await lb();
              await ts();
            }
          }
        }
      });
      const pyPeak = (await lib.usage()).peakRssMiB;
      // librbd's OSD ops per clone: perf counters around a batch (removals after the second dump)
      const libOps: Record<number, number> = {};
      const K = Math.min(5, o.clones);
      for (const f of [1, 2] as const) {
        const before = lib.osdOpsSent();
        const names = Array.from({ length: K }, (_, i) => `${tag}-k${i}l${f}`);
        for (const n of names) {
          leftovers.add(n);
          await lib.clone(parent, 's', n, f);
        }
        libOps[f] = (lib.osdOpsSent() - before) / K;
        for (const n of names) {
          await lib.remove(n);
          leftovers.delete(n);
        }
      }
      for (const f of [1, 2] as const) {
        for (const impl of ['rbd-ts', 'librbd'] as const) {
          const k = `${impl} ${f}`;
          const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
          clone.push({
            impl,
            format: f,
            size,
            samplesMs: ms[k]!.map(round3),
            latency: latencySummary(ms[k]!),
            cpuMsPerClone: spread(cpuMs[k]!),
            peakRssMiB: impl === 'rbd-ts' ? tsMem.cost.peakRssMiB : pyPeak,
            osdOpsPerClone: impl === 'rbd-ts' ? avg(sent[f]!) : libOps[f]!,
            ...(impl === 'rbd-ts' && { roundTripsPerClone: spread(rts[f]!), trace: trace[f] }),
          });
        }
      }

      // the copies need no parent (they write the chunk the parent was filled with): remove it
      // first, so the memstore never holds a parent and a copy of the largest size at once
      await removeParent(io, parent, call);
      parents.delete(parent);

      // bulk copies, interleaved
      ctx.log(`${sizeLabel(size)}: ${o.repeats} bulk copies per implementation`);
      const samples: Record<Impl, CopySample[]> = { 'rbd-ts': [], librbd: [] };
      for (let r = 0; r < o.repeats; r++) {
        const ts = async () => samples['rbd-ts'].push(await tsCopy(`${tag}-x${r}t`, size));
        const lb = async () => samples.librbd.push(await pyCopy(`${tag}-x${r}l`, size));
        if (r % 2) {
          await lb();
          await ts();
        } else {
          await ts();
          await lb();
        }
      }
      for (const impl of ['rbd-ts', 'librbd'] as const) {
        const s = samples[impl];
        copy.push({
          impl,
          size,
          samples: s.map((x) => ({ ms: round3(x.ms), MBs: round3(x.MBs), cpuSeconds: round3(x.cpuSeconds), peakRssMiB: round3(x.peakRssMiB) })),
          ms: spread(s.map((x) => x.ms)),
          MBs: spread(s.map((x) => x.MBs)),
          cpuSeconds: spread(s.map((x) => x.cpuSeconds)),
          peakRssMiB: spread(s.map((x) => x.peakRssMiB)),
        });
      }
    }
    await py.stop();
    py = undefined;

    ctx.log(`RADOS ceiling: ${sizeLabel(o.objectBytes)} writes, ${o.depth} in flight, ${o.radosSeconds} s x ${o.radosRepeats}, rbd-ts vs rados bench`);
    const figs = await benchRadosWrites(ctx.conf, o.pool, o.radosSeconds, o.radosRepeats, [o.objectBytes], o.depth);
    const rados_ = radosSeries(figs, o.objectBytes);

    notes.push(
      'Clone: RBD clone of parent@s (protected), timed from the call to its completion in the calling process; each clone is removed right after (untimed).',
      'Copy: create + every 4 MiB object written with the same non-zero bytes the parent held, ' +
        `${o.depth} in flight, + flush + close, with the parent already removed; default features (layering, exclusive-lock, object-map, fast-diff, deep-flatten). ` +
        'Both take the exclusive lock on their first write and keep the object map.',
      'CPU: rbd-ts process.cpuUsage deltas in this process; librbd resource.getrusage in the python process (all its threads); rados bench: getrusage of the child (GNU time), whole process including connect.',
      'Peak memory: VmHWM after a reset (/proc/self/clear_refs) for the Node and python processes; maxRSS of the rbd-ts child and of rados bench for the RADOS ceiling.',
      'librbd OSD ops per clone: objecter.op_send perf counter over a batch of clones (admin socket).',
    );
    if (objecter.stats.resent) notes.push(`rbd-ts resent ${objecter.stats.resent} ops (map changes during the run).`);
    return { bench: 'clone-copy', schema: 1, env, options: o, elapsedSeconds: (performance.now() - started) / 1000, fills, clone, copy, rados: rados_, notes };
  } finally {
    await py?.stop().catch(bestEffort);
    for (const n of leftovers) await removeIfExists(io, n, call).catch((e: unknown) => ctx.log(`cleanup of ${n} failed: ${String(e)}`));
    for (const p of parents) await removeParent(io, p, call).catch((e: unknown) => ctx.log(`cleanup of ${p} failed: ${String(e)}`));
    rados.shutdown();
    rmSync(work, { recursive: true, force: true });
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function describeRounds(ops: Sent[]): string[] {
  const r = roundOf(ops);
  return ops
    .map((op, i) => ({ op, r: r[i]! }))
    .sort((a, b) => a.r - b.r || a.op.start - b.op.start)
    .map(({ op, r }) => `round ${r}: ${op.oid.replace(/\.[0-9a-f]{10,}$/, '.<id>')} [${op.ops.join(' + ')}]`);
}
