// Import and export throughput: rbd-ts (`rbd-ts import` / `rbd-ts export`, compiled) against python3-rbd
// (one process, image.aio_write / aio_read with 16 in flight, 4 MiB each) and `rbd import` /
// `rbd export`, in the same run, on files of non-zero data; exports both to a file and to
// stdout = /dev/null (op `export -`: what the client itself costs, without the file system,
// whose page allocation on this kind of VM swings by several times between runs). Each tool runs as its own process
// under /usr/bin/time: wall seconds, MB/s, CPU seconds (user+sys of the process and its
// children) and peak RSS; the median of 3 rounds that interleave the tools, each round
// starting with the next tool. Then each library in a process that is already connected and
// warmed up (rbd-ts: bench/xfer-in-process.ts; python3-rbd: PY_IN_PROCESS), the transfer alone
// timed: what a long-lived user (Glance store, Nova handler) gets. Standalone: `npx tsx bench/import-export.ts [256M,1G]` starts (and
// stops) a one-OSD cluster with a 6 GiB memstore unless CEPH_CONF is set. Never asserted.

import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { python } from '../test/helpers/librbd.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const MiB = 1 << 20;

export interface TransferRow {
  tool: 'rbd-ts' | 'python3-rbd aio' | 'rbd';
  /**
   * export: to a file in the temp directory; export -: to stdout, which is /dev/null (the
   * client's own cost). "(in process)": the library in a process that is already connected
   * and warmed up (bench/xfer-in-process.ts, PY_IN_PROCESS), the transfer alone timed.
   */
  op: 'import' | 'export' | 'export -' | 'import (in process)' | 'export - (in process)';
  bytes: number;
  seconds: number;
  MBs: number;
  cpuSeconds: number;
  peakRssMiB: number;
}

// python3-rbd's side: import a file with image.aio_write, export with image.aio_read (pwrite as
// each read lands; a regular file is truncated to the size), `inflight` at once, 4 MiB each.
const PY_TRANSFER = String.raw`
import sys, os, threading, rados, rbd
CH = 4 << 20
def import_file(io, name, path, inflight):
    rbd.RBD().create(io, name, os.path.getsize(path))
    img = rbd.Image(io, name); sem = threading.Semaphore(inflight); err = []
    def done(comp):
        if comp.get_return_value() < 0: err.append(comp.get_return_value())
        sem.release()
    with open(path, 'rb') as f:
        off = 0
        while True:
            b = f.read(CH)
            if not b: break
            sem.acquire(); img.aio_write(b, off, done); off += len(b)
    for _ in range(inflight): sem.acquire()
    img.flush(); img.close()
    if err: raise SystemExit(1)
def export_to(io, name, path, inflight):
    img = rbd.Image(io, name, read_only=True); size = img.size()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644); sem = threading.Semaphore(inflight); err = []
    def done(comp, buf, at):
        if comp.get_return_value() < 0: err.append(comp.get_return_value())
        else: os.pwrite(fd, buf, at)
        sem.release()
    off = 0
    while off < size:
        n = min(CH, size - off); sem.acquire()
        img.aio_read(off, n, lambda comp, buf, at=off: done(comp, buf, at)); off += n
    for _ in range(inflight): sem.acquire()
    if os.path.isfile(path): os.ftruncate(fd, size)
    os.close(fd); img.close()
    if err: raise SystemExit(1)
    return size
`;

// one process per transfer: argv conf pool image path inflight
const PY_ONE = (call: string) => String.raw`${PY_TRANSFER}
conf, pool, name, path, inflight = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5])
c = rados.Rados(conffile=conf); c.connect(); io = c.open_ioctx(pool)
${call}(io, name, path, inflight)
io.close(); c.shutdown()
`;
const PY_IMPORT = PY_ONE('import_file');
const PY_EXPORT = PY_ONE('export_to');

// The library in a long-lived process: one connection, a warm-up round, then timed rounds of
// import and export to /dev/null, 16 in flight; JSON lines to OUT. CPU is
// getrusage(RUSAGE_SELF) over the transfer: every thread of the process.
const PY_IN_PROCESS = String.raw`${PY_TRANSFER}
import json, time, resource
conf, pool, src, prefix, rounds, out = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), sys.argv[6]
def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF); return r.ru_utime + r.ru_stime
c = rados.Rados(conffile=conf); c.connect(); io = c.open_ioctx(pool)
try:
    for r in range(rounds + 1):
        name = '%s-%d' % (prefix, r)
        c0, t0 = cpu(), time.perf_counter(); import_file(io, name, src, 16); ti, ci = time.perf_counter() - t0, cpu() - c0
        c0, t0 = cpu(), time.perf_counter(); n = export_to(io, name, '/dev/null', 16); te, ce = time.perf_counter() - t0, cpu() - c0
        rbd.RBD().remove(io, name)
        if r == 0: continue
        rss = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
        with open(out, 'a') as f:
            f.write(json.dumps({'op': 'import', 'bytes': n, 'seconds': ti, 'cpuSeconds': ci, 'peakRssMiB': rss}) + '\n')
            f.write(json.dumps({'op': 'export -', 'bytes': n, 'seconds': te, 'cpuSeconds': ce, 'peakRssMiB': rss}) + '\n')
finally:
    io.close(); c.shutdown()
`;

interface Timed {
  seconds: number;
  cpuSeconds: number;
  peakRssMiB: number;
}

/** Run a command under /usr/bin/time (rusage of the process and the children it waited for). */
function timed(cmd: string, args: string[]): Promise<Timed> {
  const dir = mkdtempSync(join(tmpdir(), 'rbd-ts-bench-time-'));
  const out = join(dir, 'time');
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/time', ['-f', '%e %U %S %M', '-o', out, cmd, ...args], { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
    const err: Buffer[] = [];
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('close', (code) => {
      try {
        if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${code}: ${Buffer.concat(err).toString().slice(-2000)}`);
        const [e, u, s, m] = readFileSync(out, 'utf8').trim().split('\n').pop()!.split(/\s+/).map(Number);
        resolve({ seconds: e!, cpuSeconds: Math.round((u! + s!) * 100) / 100, peakRssMiB: Math.round(m! / 1024) });
      } catch (x) {
        reject(x);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/** A file of `bytes` of non-zero data (a random 16 MiB pattern repeated, no all-zero chunk). */
function makeSource(path: string, bytes: number): void {
  const pattern = randomBytes(16 * MiB);
  for (let i = 0; i < pattern.length; i += 4096) pattern[i] = pattern[i]! | 1;
  const fd = openSync(path, 'w');
  try {
    for (let at = 0; at < bytes; at += pattern.length) writeSync(fd, pattern, 0, Math.min(pattern.length, bytes - at), at);
  } finally {
    closeSync(fd);
  }
}

export async function benchImportExport(conf: string, sizes: number[], pool = 'rbd', repeats = 3): Promise<TransferRow[]> {
  const rows: TransferRow[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'rbd-ts-bench-xfer-'));
  const tag = randomBytes(3).toString('hex');
  // the shipped CLI as `npm run build` makes it (one bundle and its code cache,
  // scripts/bundle-cli.ts), built into a scratch directory from the current sources
  execFileSync(process.execPath, ['--import=tsx', join(ROOT, 'scripts/bundle-cli.ts'), dir], { cwd: ROOT, stdio: 'inherit' });
  const cliFile = join(dir, 'rbd-ts.cjs');
  const tsCli = [process.execPath, cliFile, '-c', conf];
  const rm = (image: string) => execFileSync('rbd', ['-c', conf, 'rm', '--no-progress', `${pool}/${image}`], { stdio: 'ignore' });
  try {
    for (const bytes of sizes) {
      const src = join(dir, 'src.bin');
      makeSource(src, bytes);
      const out = join(dir, 'out.bin');
      // exp(img, dest): dest a file, or '-' for stdout (/dev/null under timed())
      const tools: Array<{ tool: TransferRow['tool']; imp: (img: string) => [string, string[]]; exp: (img: string, dest: string) => [string, string[]] }> = [
        {
          tool: 'rbd-ts',
          imp: (img) => [tsCli[0]!, [...tsCli.slice(1), 'import', '--no-progress', src, `${pool}/${img}`]],
          exp: (img, dest) => [tsCli[0]!, [...tsCli.slice(1), 'export', '--no-progress', `${pool}/${img}`, dest]],
        },
        {
          tool: 'python3-rbd aio',
          imp: (img) => [python(), ['-c', PY_IMPORT, conf, pool, img, src, '16']],
          exp: (img, dest) => [python(), ['-c', PY_EXPORT, conf, pool, img, dest === '-' ? '/dev/stdout' : dest, '16']],
        },
        {
          tool: 'rbd',
          imp: (img) => ['rbd', ['-c', conf, 'import', '--no-progress', src, `${pool}/${img}`]],
          exp: (img, dest) => ['rbd', ['-c', conf, 'export', '--no-progress', `${pool}/${img}`, dest]],
        },
      ];
      // rounds interleave the tools (a loaded machine slows them alike); each figure is the median round's
      const runs = new Map<string, TransferRow[]>();
      const keep = (r: TransferRow) => {
        const k = `${r.tool}|${r.op}`;
        runs.set(k, [...(runs.get(k) ?? []), r]);
      };
      for (let round = 0; round < repeats; round++) {
        // each round starts with another tool (the first import after a removal can be slower)
        for (const t of tools.map((_, i) => tools[(i + round) % tools.length]!)) {
          const img = `bench-xfer-${tag}-${bytes}-${round}-${t.tool.replace(/\W+/g, '')}`;
          const [ic, ia] = t.imp(img);
          const i = await timed(ic, ia);
          keep({ tool: t.tool, op: 'import', bytes, ...i, MBs: Math.round(bytes / 1e6 / i.seconds) });
          rmSync(out, { force: true });
          const [ec, ea] = t.exp(img, out);
          const e = await timed(ec, ea);
          keep({ tool: t.tool, op: 'export', bytes, ...e, MBs: Math.round(bytes / 1e6 / e.seconds) });
          // the export must be the source's bytes (cmp exits non-zero otherwise)
          execFileSync('cmp', [src, out]);
          rmSync(out, { force: true });
          // the same to /dev/null: no file system in the figure
          const [nc, na] = t.exp(img, '-');
          const n = await timed(nc, na);
          keep({ tool: t.tool, op: 'export -', bytes, ...n, MBs: Math.round(bytes / 1e6 / n.seconds) });
          rm(img);
        }
      }
      // the libraries in a connected, warmed-up process (what a Glance store or Nova handler sees)
      const children: Array<[TransferRow['tool'], string, string[]]> = [
        ['rbd-ts', process.execPath, ['--import=tsx', join(ROOT, 'bench/xfer-in-process.ts')]],
        ['python3-rbd aio', python(), ['-c', PY_IN_PROCESS]],
      ];
      for (const [tool, cmd, pre] of children) {
        const out = join(dir, 'in-process.jsonl');
        rmSync(out, { force: true });
        await timed(cmd, [...pre, conf, pool, src, `bench-xfer-${tag}-${bytes}-inproc`, String(repeats), out]);
        for (const line of readFileSync(out, 'utf8').trim().split('\n')) {
          const x = JSON.parse(line) as { op: 'import' | 'export -'; seconds: number; cpuSeconds: number; peakRssMiB: number };
          keep({
            tool,
            op: `${x.op} (in process)`,
            bytes,
            seconds: x.seconds,
            MBs: Math.round(bytes / 1e6 / x.seconds),
            cpuSeconds: Math.round(x.cpuSeconds * 100) / 100,
            peakRssMiB: x.peakRssMiB,
          });
        }
      }
      for (const rs of runs.values()) rows.push([...rs].sort((a, b) => a.seconds - b.seconds)[Math.floor(rs.length / 2)]!);
      rmSync(src, { force: true });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

export function formatRows(rows: TransferRow[]): string {
  const head = 'tool             op                     size      seconds    MB/s   CPU s  peak RSS MiB';
  return [
    head,
    ...rows.map(
      (r) =>
        `${r.tool.padEnd(16)} ${r.op.padEnd(22)} ${`${r.bytes / MiB} MiB`.padEnd(9)} ${r.seconds.toFixed(2).padStart(7)} ${String(r.MBs).padStart(7)} ${r.cpuSeconds.toFixed(2).padStart(7)} ${String(r.peakRssMiB).padStart(13)}`,
    ),
  ].join('\n');
}

export function parseTransferSizes(s: string): number[] {
  return s.split(',').map((x) => {
    const m = /^(\d+)([MG])$/i.exec(x.trim());
    if (!m) throw new Error(`bad size ${x} (e.g. 256M,1G)`);
    return Number(m[1]) * (m[2]!.toUpperCase() === 'G' ? 1024 : 1) * MiB;
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const sizes = parseTransferSizes(process.argv[2] ?? '256M,1G');
  let dir: string | undefined;
  let conf = process.env.CEPH_CONF;
  if (!conf) {
    const out = execFileSync(
      'bash',
      ['scripts/cluster.sh', 'start', '--osds', '1', '--memstore-bytes', String(6 * 1024 * MiB), '--owner-pid', String(process.pid)],
      {
        cwd: ROOT,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    dir = out.trim().split('\n').pop()!;
    conf = `${dir}/ceph.conf`;
  }
  try {
    const rows = await benchImportExport(conf, sizes);
    console.log(formatRows(rows));
    mkdirSync(join(ROOT, 'bench/results'), { recursive: true });
    const file = join(ROOT, `bench/results/import-export-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ node: process.version, rows }, null, 2));
    console.log(`wrote ${file}`);
  } finally {
    if (dir) execFileSync('bash', ['scripts/cluster.sh', 'stop', dir], { cwd: ROOT, stdio: 'inherit' });
  }
}
