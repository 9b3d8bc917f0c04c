// Clone latency, rbd-ts (in this process) against librbd (python3-rbd `RBD().clone`, one
// long-lived python process timing each clone with time.perf_counter), formats 1 and 2,
// interleaved so machine noise hits both, on a 256 MiB parent with default features.
// Also counts what rbd-ts sends per clone: OSD ops (MOSDOps), the cls calls in them, and the
// dependent round trips (the longest chain of ops each sent after the previous one's reply);
// and librbd's OSD ops per clone from its objecter perf counters (admin socket).
//
//   node --import=tsx bench/clone.ts -c ceph.conf [--n 50] [--warmup 5] [--pool rbd] [--no-fill]
//
// Prints a table and writes bench/results/clone-<time>.json.

import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rados } from '../src/rados/rados.js';
import { Image, RBD } from '../src/rbd/index.js';
import { librbd, librbdProcess } from '../test/helpers/librbd.js';
import { instrument, roundOf, roundTrips, type Sent } from './meter.js';

/** each op with its round number, in start order */
function rounds(ops: Sent[]): string[] {
  const r = roundOf(ops);
  return ops
    .map((op, i) => ({ op, r: r[i]! }))
    .sort((a, b) => a.op.start - b.op.start)
    .map(({ op, r }) => `round ${r}: ${op.oid.replace(/\.[0-9a-f]{10,}$/, '.<id>')} [${op.ops.join(' + ')}]`);
}

function arg(name: string, dflt?: string): string {
  const i = process.argv.indexOf(name);
  const v = i > 0 ? process.argv[i + 1] : undefined;
  if (v === undefined && dflt === undefined) throw new Error(`missing ${name}`);
  return v ?? dflt!;
}

const conf = arg('-c', process.env['CEPH_CONF'] ?? '');
if (!conf) throw new Error('usage: node --import=tsx bench/clone.ts -c ceph.conf [--n 50] [--warmup 5] [--pool rbd] [--no-fill]');
const N = Number(arg('--n', '50'));
const WARMUP = Number(arg('--warmup', '5'));
const POOL = arg('--pool', 'rbd');
const FILL = !process.argv.includes('--no-fill');
const PARENT_SIZE = 256 << 20;
const tag = `bc${process.pid.toString(36)}`;
const parent = `${tag}-parent`;

// ---- statistics ----------------------------------------------------------------------------------

/** nearest-rank percentile */
function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]!;
}

interface Row {
  who: 'rbd-ts' | 'librbd';
  format: 1 | 2;
  n: number;
  p50: number;
  p90: number;
  p99: number;
  mean: number;
  min: number;
  max: number;
  osdOpsPerClone: number;
  clsCallsPerClone?: number;
  roundTripsPerClone?: number;
  samplesMs: number[];
}

function row(who: Row['who'], format: 1 | 2, ms: number[], extra: Partial<Row>): Row {
  return {
    who,
    format,
    n: ms.length,
    p50: pct(ms, 0.5),
    p90: pct(ms, 0.9),
    p99: pct(ms, 0.99),
    mean: ms.reduce((a, b) => a + b, 0) / ms.length,
    min: Math.min(...ms),
    max: Math.max(...ms),
    osdOpsPerClone: NaN,
    ...extra,
    samplesMs: ms.map((x) => Math.round(x * 1000) / 1000),
  };
}

// ---- the run -------------------------------------------------------------------------------------

const c = { conf };
const rados = await Rados.connect({ conf, timeoutMs: 20_000 });
const io = await rados.openIoctx(POOL);
const objecter = await rados.objecter();
const log = instrument(objecter);
const asokDir = mkdtempSync(join(tmpdir(), 'rbd-ts-bench-clone-'));
const asok = join(asokDir, 'librbd.asok');
const clones: string[] = [];
let py: ReturnType<typeof librbdProcess> | undefined;

try {
  console.error(`parent ${POOL}/${parent}: 256 MiB, default features${FILL ? ', filled by librbd' : ''}; snapshot s, protected`);
  await RBD.create(io, parent, PARENT_SIZE);
  if (FILL) {
    await librbd(
      c,
      `img = rbd.Image(ioctx(A['pool']), A['name'])
chunk = os.urandom(4 << 20)
for off in range(0, A['size'], 4 << 20):
    img.write(chunk, off)
img.close()`,
      { pool: POOL, name: parent, size: PARENT_SIZE },
      { timeoutMs: 300_000 },
    );
  }
  const pimg = await Image.open(io, parent);
  await pimg.createSnap('s');
  await pimg.protectSnap('s');
  const parentFeatures = pimg.features;
  await pimg.close(); // an open handle watches the header: librbd could not remove the parent

  py = librbdProcess(
    c,
    `io = ioctx(A['pool'])
emit({'ready': True})
while True:
    req = recv()
    if req is None:
        break
    cluster.conf_set('rbd_default_clone_format', str(req['format']))
    t0 = time.perf_counter()
    rbd.RBD().clone(io, A['parent'], 's', io, req['name'])
    emit({'ms': (time.perf_counter() - t0) * 1000})
`,
    { pool: POOL, parent, _conf: { admin_socket: asok } },
  );
  await py.next();
  const pyClone = async (format: 1 | 2, name: string): Promise<number> => {
    py!.send({ format, name });
    clones.push(name);
    return (await py!.next<{ ms: number }>(60_000)).ms;
  };
  const tsClone = async (format: 1 | 2, name: string): Promise<{ ms: number; ops: Sent[]; sent: number }> => {
    const from = log.length;
    const sent0 = objecter.stats.sent;
    clones.push(name);
    const t0 = performance.now();
    await RBD.clone(io, parent, 's', io, name, { cloneFormat: format });
    const ms = performance.now() - t0;
    return { ms, ops: log.slice(from), sent: objecter.stats.sent - sent0 };
  };
  const librbdOps = (): number => {
    const out = execFileSync('ceph', ['--admin-daemon', asok, 'perf', 'dump'], { encoding: 'utf8' });
    return (JSON.parse(out) as { objecter: { op_send: number } }).objecter.op_send;
  };

  // warm-up: sessions to every OSD, caches, JIT
  for (let i = 0; i < WARMUP; i++) {
    for (const f of [1, 2] as const) {
      await tsClone(f, `${tag}-w-ts${f}-${i}`);
      await pyClone(f, `${tag}-w-py${f}-${i}`);
    }
  }

  const ms: Record<string, number[]> = { 'rbd-ts 1': [], 'rbd-ts 2': [], 'librbd 1': [], 'librbd 2': [] };
  const tsOps: Record<1 | 2, { sent: number[]; calls: number[]; rt: number[]; trace: string[] }> = {
    1: { sent: [], calls: [], rt: [], trace: [] },
    2: { sent: [], calls: [], rt: [], trace: [] },
  };
  console.error(`${N} clones per format and client, interleaved`);
  for (let i = 0; i < N; i++) {
    for (const f of [1, 2] as const) {
      const ts = async () => {
        const r = await tsClone(f, `${tag}-ts${f}-${i}`);
        ms[`rbd-ts ${f}`]!.push(r.ms);
        tsOps[f].sent.push(r.sent);
        tsOps[f].calls.push(r.ops.reduce((a, o) => a + o.ops.length, 0));
        tsOps[f].rt.push(roundTrips(r.ops));
        if (!tsOps[f].trace.length) tsOps[f].trace = rounds(r.ops);
      };
      const lib = async () => ms[`librbd ${f}`]!.push(await pyClone(f, `${tag}-py${f}-${i}`));
      if ((i + f) % 2) {
        await ts();
        await lib();
      } else {
        await lib();
        await ts();
      }
    }
  }

  // librbd's OSD ops per clone, counted apart from the timed run (the perf dump is a CLI call)
  const libOps: Record<1 | 2, number> = { 1: NaN, 2: NaN };
  const K = 10;
  for (const f of [1, 2] as const) {
    const before = librbdOps();
    for (let i = 0; i < K; i++) await pyClone(f, `${tag}-pc${f}-${i}`);
    libOps[f] = (librbdOps() - before) / K;
  }

  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const rows: Row[] = [];
  for (const f of [1, 2] as const) {
    rows.push(
      row('rbd-ts', f, ms[`rbd-ts ${f}`]!, { osdOpsPerClone: avg(tsOps[f].sent), clsCallsPerClone: avg(tsOps[f].calls), roundTripsPerClone: avg(tsOps[f].rt) }),
    );
    rows.push(row('librbd', f, ms[`librbd ${f}`]!, { osdOpsPerClone: libOps[f] }));
  }

  const fmt = (x: number | undefined, d = 2) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(d));
  console.log(
    `clone latency (ms), ${N} clones each, parent 256 MiB default features, interleaved; p99 of ${N} samples is the ${Math.ceil(0.99 * N)}th smallest`,
  );
  console.log('client   format     p50     p90     p99    mean     min     max   OSD ops/clone  cls calls  round trips');
  for (const r of rows) {
    console.log(
      `${r.who.padEnd(8)} ${String(r.format).padStart(6)} ${fmt(r.p50).padStart(7)} ${fmt(r.p90).padStart(7)} ${fmt(r.p99).padStart(7)} ${fmt(r.mean).padStart(7)} ${fmt(r.min).padStart(7)} ${fmt(r.max).padStart(7)} ${fmt(r.osdOpsPerClone, 1).padStart(15)} ${fmt(r.clsCallsPerClone, 1).padStart(10)} ${fmt(r.roundTripsPerClone, 1).padStart(12)}`,
    );
  }
  for (const f of [1, 2] as const) {
    console.log(`\nrbd-ts format ${f} clone, what it sends (first timed clone):`);
    for (const l of tsOps[f].trace) console.log(`  ${l}`);
  }
  const result = {
    bench: 'clone',
    date: new Date().toISOString(),
    node: process.version,
    ceph: execFileSync('ceph', ['--version'], { encoding: 'utf8' }).trim(),
    pool: POOL,
    parentSize: PARENT_SIZE,
    parentFilled: FILL,
    parentFeatures,
    clonesPerFormat: N,
    warmup: WARMUP,
    librbdOpsCountedOver: K,
    rows,
    rbdTsTrace: { 1: tsOps[1].trace, 2: tsOps[2].trace },
    rbdTsResent: objecter.stats.resent,
  };
  const dir = join(dirname(fileURLToPath(import.meta.url)), 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `clone-${result.date.replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`\nwritten ${file}`);
} finally {
  await py?.stop();
  // clean up: every clone, then the parent
  await librbd(
    c,
    `io = ioctx(A['pool'])
for name in A['clones']:
    try:
        rbd.RBD().remove(io, name)
    except rbd.ImageNotFound:
        pass
img = rbd.Image(io, A['parent'])
for s in img.list_snaps():
    if img.is_protected_snap(s['name']):
        img.unprotect_snap(s['name'])
    img.remove_snap(s['name'])
img.close()
rbd.RBD().remove(io, A['parent'])`,
    { pool: POOL, clones, parent },
    { timeoutMs: 600_000 },
  ).catch((e: unknown) => console.error('cleanup failed:', e));
  rados.shutdown();
  rmSync(asokDir, { recursive: true, force: true });
}
