// RADOS write throughput, rbd-ts against `rados bench` on the same cluster in the same run:
// 4 MiB and 4 KiB writes with 16 in flight. Each side runs as its own process so CPU
// seconds and peak memory are its own. Both stop after `seconds` or MAX_BYTES of new
// objects, whichever comes first (`rados bench --max-objects`): a memstore OSD holds every
// byte in RAM, and at ~1 GB/s ten seconds of new objects outgrow it.
//
//   node --import=tsx bench/rados-write.ts -c ceph.conf [--seconds 10] [--pool rbd]
//   (child mode) node --import=tsx bench/rados-write.ts --child -c ceph.conf --size N --depth 16 --seconds S --pool P

import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import { bestEffort } from '../src/encoding/errno.js';
import { Rados } from '../src/rados/rados.js';

const run = promisify(execFile);

/** new-object bytes one run may write */
const MAX_BYTES = 4 * 1024 ** 3;
const maxObjects = (size: number): number => Math.floor(MAX_BYTES / size);

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(name);
  const v = i > 0 ? process.argv[i + 1] : undefined;
  if (v === undefined && dflt === undefined) throw new Error(`missing ${name}`);
  return v ?? dflt!;
}

export interface WriteFigure {
  who: 'rbd-ts' | 'rados bench';
  size: number;
  depth: number;
  seconds: number;
  ops: number;
  MBs: number;
  iops: number;
  meanLatencyMs: number;
  cpuSeconds: number;
  peakRssMiB: number;
}

async function child(): Promise<void> {
  const conf = arg('-c');
  const size = Number(arg('--size'));
  const depth = Number(arg('--depth', '16'));
  const seconds = Number(arg('--seconds', '10'));
  const pool = arg('--pool', 'rbd');
  const r = await Rados.connect({ conf });
  const io = await r.openIoctx(pool);
  const data = randomBytes(size);
  const prefix = `rbdts_bench_${process.pid}_`;
  // warm-up: open the OSD sessions
  await Promise.all(Array.from({ length: depth }, (_, i) => io.writeFull(`${prefix}warm${i}`, data.subarray(0, Math.min(size, 4096)))));
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let ops = 0;
  let latSum = 0;
  let n = 0;
  await Promise.all(
    Array.from({ length: depth }, async () => {
      while (performance.now() < end && n < maxObjects(size)) {
        const s = performance.now();
        // a WRITE at offset 0 of a new object, as `rados bench write` does
        await io.write(`${prefix}${n++}`, data);
        latSum += performance.now() - s;
        ops++;
      }
    }),
  );
  const dt = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const fig: WriteFigure = {
    who: 'rbd-ts',
    size,
    depth,
    seconds: dt,
    ops,
    MBs: (ops * size) / dt / 1e6,
    iops: ops / dt,
    meanLatencyMs: latSum / ops,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
    peakRssMiB: process.resourceUsage().maxRSS / 1024,
  };
  // clean up what we wrote
  const names: string[] = [];
  for await (const o of io.listObjects()) if (o.oid.startsWith(prefix)) names.push(o.oid);
  for (let i = 0; i < names.length; i += 64) await Promise.all(names.slice(i, i + 64).map((x) => io.remove(x)));
  r.shutdown();
  process.stdout.write(JSON.stringify(fig) + '\n');
}

/** Run a command, returning its stdout and its CPU seconds / peak RSS (GNU time). */
async function timed(cmd: string, args: string[]): Promise<{ stdout: string; cpuSeconds: number; peakRssMiB: number }> {
  const p = spawn('/usr/bin/time', ['-f', '__TIME__ %U %S %M', cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  p.stdout.on('data', (d) => (stdout += d));
  p.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number>((res) => p.on('exit', (c) => res(c ?? 1)));
  if (code !== 0) throw new Error(`${cmd} failed: ${stderr}`);
  const m = /__TIME__ ([\d.]+) ([\d.]+) (\d+)/.exec(stderr);
  return { stdout, cpuSeconds: m ? Number(m[1]) + Number(m[2]) : NaN, peakRssMiB: m ? Number(m[3]) / 1024 : NaN };
}

/** Interleaved repeats (rbd-ts, rados bench, rbd-ts, ...) so machine noise hits both. */
export async function benchRadosWrites(
  conf: string,
  pool = 'rbd',
  seconds = 10,
  repeats = 3,
  sizes: readonly number[] = [4 << 20, 4096],
  depth = 16,
): Promise<WriteFigure[]> {
  const out: WriteFigure[] = [];
  for (const size of sizes) for (let i = 0; i < repeats; i++) out.push(...(await onePair(conf, pool, seconds, size, depth, i % 2 === 1)));
  return out;
}

/** One rbd-ts child run and one `rados bench` run; `radosFirst` alternates the order across repeats. */
async function onePair(conf: string, pool: string, seconds: number, size: number, depth: number, radosFirst: boolean): Promise<WriteFigure[]> {
  const out: WriteFigure[] = [];
  const mineRun = async () => {
    const mine = await timed(process.execPath, [
      '--import=tsx',
      new URL(import.meta.url).pathname,
      '--child',
      '-c',
      conf,
      '--size',
      String(size),
      '--depth',
      String(depth),
      '--seconds',
      String(seconds),
      '--pool',
      pool,
    ]);
    out.push(JSON.parse(mine.stdout.trim().split('\n').pop()!) as WriteFigure);
  };
  if (!radosFirst) await mineRun();
  {
    const rb = await timed('rados', [
      '-c',
      conf,
      '-p',
      pool,
      'bench',
      String(seconds),
      'write',
      '-t',
      String(depth),
      '-b',
      String(size),
      '--no-hints',
      '--max-objects',
      String(maxObjects(size)),
    ]);
    const get = (re: RegExp) => Number(re.exec(rb.stdout)?.[1] ?? NaN);
    const ops = get(/Total writes made:\s+(\d+)/);
    const dt = get(/Total time run:\s+([\d.]+)/);
    out.push({
      who: 'rados bench',
      size,
      depth,
      seconds: dt,
      ops,
      MBs: (ops * size) / dt / 1e6,
      iops: get(/Average IOPS:\s+(\d+)/),
      meanLatencyMs: get(/Average Latency\(s\):\s+([\d.]+)/) * 1000,
      cpuSeconds: rb.cpuSeconds,
      peakRssMiB: rb.peakRssMiB,
    });
    await run('rados', ['-c', conf, '-p', pool, 'cleanup']).catch(bestEffort);
  }
  if (radosFirst) await mineRun();
  return out;
}

export function medians(figs: WriteFigure[]): WriteFigure[] {
  const groups = new Map<string, WriteFigure[]>();
  for (const f of figs) {
    const k = `${f.who}|${f.size}`;
    groups.set(k, [...(groups.get(k) ?? []), f]);
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  return [...groups.values()].map((g) => ({
    ...g[0]!,
    MBs: med(g.map((f) => f.MBs)),
    iops: med(g.map((f) => f.iops)),
    meanLatencyMs: med(g.map((f) => f.meanLatencyMs)),
    cpuSeconds: med(g.map((f) => f.cpuSeconds)),
    peakRssMiB: Math.max(...g.map((f) => f.peakRssMiB)),
    ops: med(g.map((f) => f.ops)),
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv.includes('--child')) {
    await child();
  } else {
    const all = await benchRadosWrites(
      arg('-c', process.env.CEPH_CONF ?? ''),
      arg('--pool', 'rbd'),
      Number(arg('--seconds', '10')),
      Number(arg('--repeats', '3')),
    );
    for (const f of all) console.log(`  sample ${f.who} ${f.size}: ${f.MBs.toFixed(1)} MB/s ${f.iops.toFixed(0)} IOPS`);
    console.log('median of repeats:');
    console.log('who          size      ops/s     MB/s   mean lat ms   cpu s   peak RSS MiB');
    for (const f of medians(all)) {
      console.log(
        `${f.who.padEnd(12)} ${String(f.size).padEnd(9)} ${f.iops.toFixed(0).padStart(6)} ${f.MBs.toFixed(1).padStart(8)} ${f.meanLatencyMs.toFixed(2).padStart(12)} ${f.cpuSeconds.toFixed(2).padStart(7)} ${f.peakRssMiB.toFixed(0).padStart(13)}`,
      );
    }
  }
}
