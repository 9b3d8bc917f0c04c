// CRC-32C throughput: every candidate in bench/crc32c-candidates.ts, the shipped
// src/encoding/crc32c.ts, and the pure-JS / WebAssembly npm packages when they can be
// loaded (none is a dependency of this project; native addons are left out on purpose).
//
//   node --import=tsx bench/crc32c.ts [--rounds=3] [--repeats=5] [--ms=20] [--warmup=100]
//                     [--only=REGEX] [--sizes=41,4096,...] [--aligned] [--same-process]
//
// To include the npm packages without touching package.json, install them elsewhere and
// point CRC32C_BENCH_DEPS at that folder:
//   mkdir /tmp/crcdeps && cd /tmp/crcdeps && npm init -y &&
//   npm install crc-32 fast-crc32c @aws-crypto/crc32c hash-wasm polycrc wabt
//   CRC32C_BENCH_DEPS=/tmp/crcdeps node --import=tsx bench/crc32c.ts
// (with wabt there too, the embedded WebAssembly bytes are checked against crcWat()).
//
// Every candidate is first checked against the test vectors and a bit-at-a-time reference;
// a wrong one gets no number. Each candidate then runs in a child process of its own
// (--same-process to skip that), so JIT feedback, deopts and garbage from one do not land
// on the next. Input buffers start at an odd byteOffset (as Buffers cut out of a socket
// read do) unless --aligned. In each of `rounds` rounds over all candidates, each
// (candidate, size) gets a warm-up, then `repeats` samples of about `ms` milliseconds; the
// median of all its samples is reported, in GB/s (10^9 bytes per second).

import { createRequire } from 'node:module';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { allocCrcBuffer, crc32c as shipped } from '../src/encoding/crc32c.js';
import {
  candidates,
  crc32cBitwiseRef,
  crcWat,
  chorbaWat,
  WASM,
  WASM_CHORBA,
  CHORBA_VARIANTS,
  type WasmShape,
  type Candidate,
  type Crc32cFn,
} from './crc32c-candidates.js';

const args = new Map<string, string>();
for (const a of process.argv.slice(2)) {
  const m = /^--([^=]+)(?:=(.*))?$/.exec(a);
  if (m) args.set(m[1]!, m[2] ?? '');
}
const SAMPLE_MS = Number(args.get('ms') ?? 20);
const REPEATS = Number(args.get('repeats') ?? 5);
const ROUNDS = Number(args.get('rounds') ?? 3);
const ONLY = args.has('only') ? new RegExp(args.get('only')!, 'i') : null;
const ALIGNED = args.has('aligned');
const WARMUP_MS = Number(args.get('warmup') ?? 100);
/** in a child process: measure only the candidate of this name and print one JSON line */
const CHILD = args.get('candidate');
const SAME_PROCESS = args.has('same-process');
/** what src/encoding/crc32c.ts does; kept in step with it by hand (and by the check below) */
const SHIPPED =
  'hybrid: JS slicing-by-8 up to 96 B, WebAssembly slicing-by-16 "linear" up to 8 KiB, ' +
  'sparse multiple of P in y = x^128 (WebAssembly SIMD, 256K chunks) from 8 KiB';

const SIZES = (args.get('sizes') ?? '41,4096,65536,4194304').split(',').map(Number);

// ---------------------------------------------------------------------------------------
// optional npm packages

const requireHere = createRequire(import.meta.url);
const requireDeps = process.env['CRC32C_BENCH_DEPS'] ? createRequire(join(process.env['CRC32C_BENCH_DEPS'], 'noop.js')) : null;

function optional(name: string): any {
  for (const req of [requireHere, requireDeps]) {
    if (!req) continue;
    try {
      return req(name);
    } catch {
      // try the next place
    }
  }
  return null;
}

/** the standard CRC-32C (init and final inversion) in Ceph's convention */
const fromStandard =
  (std: (d: Uint8Array, seed: number) => number): Crc32cFn =>
  (seed, d, start, end) =>
    ~std(start === 0 && end === d.length ? d : d.subarray(start, end), ~seed) >>> 0;

async function packageCandidates(): Promise<Array<Candidate & { seedless?: boolean }>> {
  const list: Array<Candidate & { seedless?: boolean }> = [];
  const crc32 = optional('crc-32/crc32c');
  if (crc32) list.push({ name: 'npm crc-32 (crc32c.buf)', fn: fromStandard((d, s) => crc32.buf(d, s)) });
  const fast = optional('fast-crc32c/impls/js_crc32c');
  if (fast) list.push({ name: 'npm fast-crc32c (js path)', fn: fromStandard((d, s) => fast.calculate(d, s)) });
  const aws = optional('@aws-crypto/crc32c');
  if (aws) {
    list.push({
      name: 'npm @aws-crypto/crc32c',
      fn: (seed, d, start, end) => {
        const h = new aws.Crc32c();
        h.checksum = seed >>> 0; // its register, kept without inversion until digest()
        h.update(d.subarray(start, end));
        return h.checksum >>> 0;
      },
    });
  }
  const hw = optional('hash-wasm');
  if (hw) {
    const h = await hw.createCRC32(0x82f63b78);
    list.push({
      name: 'npm hash-wasm createCRC32',
      seedless: true,
      fn: (_seed, d, start, end) => {
        h.init();
        h.update(start === 0 && end === d.length ? d : d.subarray(start, end));
        const b: Uint8Array = h.digest('binary');
        return ~((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
      },
    });
  }
  const poly = optional('polycrc');
  if (poly) {
    list.push({
      name: 'npm polycrc crc32c',
      seedless: true,
      fn: (_seed, d, start, end) => ~poly.crc32c(Buffer.from(d.buffer, d.byteOffset + start, end - start)) >>> 0,
    });
  }
  return list;
}

async function checkWasmBytes(): Promise<void> {
  const factory = optional('wabt');
  if (!factory) return;
  const wabt = await factory();
  for (const key of Object.keys(WASM) as Array<keyof typeof WASM>) {
    const [slices, shape] = key.split('-') as [string, WasmShape];
    const mod = wabt.parseWat(`${key}.wat`, crcWat(Number(slices) as 8 | 16, shape));
    const bin = Buffer.from(mod.toBinary({}).buffer as Uint8Array).toString('base64');
    mod.destroy();
    console.log(`wabt: embedded ${key} wasm ${bin === WASM[key] ? 'matches' : 'DIFFERS FROM'} crcWat()`);
  }
  for (const [terms, word, minLen] of CHORBA_VARIANTS) {
    const key = `${terms}-${word}-${minLen}`;
    const mod = wabt.parseWat(`${key}.wat`, chorbaWat(terms, word, minLen));
    const bin = Buffer.from(mod.toBinary({}).buffer as Uint8Array).toString('base64');
    mod.destroy();
    console.log(`wabt: embedded chorba ${key} wasm ${bin === WASM_CHORBA[key] ? 'matches' : 'DIFFERS FROM'} chorbaWat()`);
  }
}

// ---------------------------------------------------------------------------------------
// correctness first: a wrong candidate gets no number

const enc = (s: string) => new TextEncoder().encode(s);
const VECTORS: Array<[number, Uint8Array, number]> = [
  [0, enc('foo bar baz'), 4119623852],
  [1234, enc('foo bar baz'), 881700046],
  [0, enc('whiz bang boom'), 2360230088],
  [5678, enc('whiz bang boom'), 3743019208],
  [0, new Uint8Array(5).fill(1), 2715569182],
  [0, new Uint8Array(35).fill(1), 440531800],
  [0xffffffff, enc('123456789'), 0x1cf96d7c],
  [0, enc('123456789'), 0x58e3fa20],
  [0xffffffff, new Uint8Array(0), 0xffffffff],
  [0xffffffff, new Uint8Array(18).fill(1), 0x61bb8987],
];

function correct(c: Candidate & { seedless?: boolean }): string | null {
  for (const [seed, d, want] of VECTORS) {
    if (c.seedless && seed !== 0xffffffff) continue;
    const got = c.fn(seed, d, 0, d.length);
    if (got !== want) return `seed ${seed} len ${d.length}: got ${got}, want ${want}`;
  }
  const big = randomBytes(300_000);
  const randomSeed = () => (c.seedless ? 0xffffffff : Math.floor(Math.random() * 2 ** 32));
  // every length 0..300 and lengths around the size thresholds and chunk sizes, from random
  // starts (so unaligned) with random seeds
  const lengths = Array.from({ length: 301 }, (_, i) => i);
  for (const t of [512, 1024, 2048, 4096, 16384, 65536, 262144]) lengths.push(t - 17, t - 1, t, t + 1, t + 7, t + 437);
  for (const len of lengths) {
    for (let r = 0; r < 3; r++) {
      const a = Math.floor(Math.random() * (big.length - len + 1));
      const seed = randomSeed();
      const got = c.fn(seed, big, a, a + len);
      const want = crc32cBitwiseRef(seed, big, a, a + len);
      if (got !== want) return `random [${a}, ${a + len}) seed ${seed}: got ${got}, want ${want}`;
    }
  }
  for (const [a, b] of [
    [0, big.length],
    [1, 70_001],
    [3, 200_003],
    [7, 7 + 65_536 * 2 + 5],
  ] as const) {
    const seed = randomSeed();
    const got = c.fn(seed, big, a, b);
    const want = crc32cBitwiseRef(seed, big, a, b);
    if (got !== want) return `random [${a}, ${b}): got ${got}, want ${want}`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------
// timing

type Loop = (fn: Crc32cFn, d: Uint8Array, iters: number) => number;

// A fresh function per candidate (new Function compiles a new one each time), so the
// call site in each loop stays monomorphic and can inline the candidate.
function makeLoop(): Loop {
  return new Function('fn', 'd', 'iters', 'let x = 0; const n = d.length; for (let i = 0; i < iters; i++) x = fn(x, d, 0, n); return x;') as Loop;
}

function sample(loop: Loop, fn: Crc32cFn, d: Uint8Array, iters: number): number {
  const t0 = process.hrtime.bigint();
  sink ^= loop(fn, d, iters);
  return Number(process.hrtime.bigint() - t0);
}
let sink = 0;

/** `REPEATS` throughput samples of fn over d, in bytes per ns (= GB/s) */
function measure(fn: Crc32cFn, d: Uint8Array): number[] {
  const loop = makeLoop();
  // warm-up and calibration: grow the count until one run takes ~SAMPLE_MS
  let iters = 1;
  for (;;) {
    const ns = sample(loop, fn, d, iters);
    if (ns >= SAMPLE_MS * 1e6 * 0.5 || iters > 1e8) {
      iters = Math.max(1, Math.round((iters * SAMPLE_MS * 1e6) / Math.max(ns, 1)));
      break;
    }
    iters *= ns < SAMPLE_MS * 1e4 ? 10 : 2;
  }
  // warm-up at the final count, at least WARMUP_MS in all: lets V8 finish tiering up
  // (TurboFan for JS, Liftoff to TurboFan for wasm) before anything is counted
  const warmUntil = process.hrtime.bigint() + BigInt(WARMUP_MS * 1e6);
  do sample(loop, fn, d, iters);
  while (process.hrtime.bigint() < warmUntil);
  const rates: number[] = [];
  for (let r = 0; r < REPEATS; r++) rates.push((d.length * iters) / sample(loop, fn, d, iters));
  return rates;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function input(size: number): Uint8Array {
  const raw = randomBytes(size + 8);
  return ALIGNED ? raw.subarray(0, size) : raw.subarray(1, size + 1);
}

const fmtSize = (n: number) => (n >= 1 << 20 ? `${n / (1 << 20)} MiB` : n >= 1024 ? `${n / 1024} KiB` : `${n} B`);

/** The module src/encoding/crc32c.ts embeds must be what wat2wasm makes of crc32c.wat (with wabt). */
async function checkShippedBytes(): Promise<void> {
  const src = readFileSync(new URL('../src/encoding/crc32c.ts', import.meta.url), 'utf8');
  const embedded = /const WASM_KERNEL =\s*'([A-Za-z0-9+/=]+)'/.exec(src)?.[1];
  const factory = optional('wabt');
  if (!factory || !embedded) {
    console.log(`src/encoding/crc32c.ts: ${embedded ? 'embedded module not checked (no wabt)' : 'no WASM_KERNEL found'}`);
    return;
  }
  const wabt = await factory();
  const mod = wabt.parseWat('crc32c.wat', readFileSync(new URL('../src/encoding/crc32c.wat', import.meta.url), 'utf8'), { simd: true });
  const bin = Buffer.from(mod.toBinary({}).buffer as Uint8Array).toString('base64');
  mod.destroy();
  console.log(`src/encoding/crc32c.ts: embedded module ${bin === embedded ? 'matches' : 'DIFFERS FROM'} crc32c.wat`);
}

/** per size, the samples (GB/s) */
type Row = { wrong: string } | { rates: number[][] };

/** a candidate may take its input in a buffer of its own making */
type Entry = Candidate & { seedless?: boolean; input?: (size: number) => Uint8Array };

function allCandidates(): Promise<Entry[]> {
  return packageCandidates().then((pkgs) => [
    { name: 'shipped src/encoding/crc32c.ts', fn: shipped },
    {
      // received frames and import's chunks: read where they lie, no copy into the kernel's memory
      name: 'shipped, input from allocCrcBuffer',
      fn: shipped,
      input: (size: number) => {
        const b = allocCrcBuffer(size + 8);
        b.set(input(size + 8));
        return ALIGNED ? b.subarray(0, size) : b.subarray(1, size + 1);
      },
    },
    ...candidates(),
    ...pkgs,
  ]);
}

function run(c: Entry): Row {
  const bad = correct(c);
  if (bad) return { wrong: bad };
  const inputs = SIZES.map(c.input ?? input);
  return { rates: inputs.map((d) => measure(c.fn, d)) };
}

/** one candidate per child process, so that no candidate's JIT state or garbage affects another */
function runIsolated(name: string): Row {
  const script = fileURLToPath(import.meta.url);
  const child = spawnSync(
    process.execPath,
    [...process.execArgv, script, ...process.argv.slice(2).filter((a) => !a.startsWith('--only')), `--candidate=${name}`],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const line = child.stdout.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Row;
  } catch {
    return { wrong: `child process failed (status ${child.status}): ${line}` };
  }
}

async function main(): Promise<void> {
  const all = await allCandidates();
  if (CHILD !== undefined) {
    const c = all.find((x) => x.name === CHILD);
    console.log(JSON.stringify(c ? run(c) : { wrong: 'no such candidate' }));
    return;
  }
  await checkWasmBytes();
  await checkShippedBytes();
  if (!all.some((c) => c.name.startsWith('npm '))) {
    console.log('npm packages crc-32, fast-crc32c, @aws-crypto/crc32c, hash-wasm, polycrc not found: see CRC32C_BENCH_DEPS above');
  }
  const chosen = all.filter((c) => !ONLY || ONLY.test(c.name));
  const nameW = Math.max(...chosen.map((c) => c.name.length));
  console.log(
    `node ${process.version}, ${ALIGNED ? 'aligned' : 'unaligned (byteOffset odd)'} inputs, ` +
      `${SAME_PROCESS ? 'all in one process' : 'one process per candidate and round'}, ` +
      `${ROUNDS} rounds x (warm-up >= ${WARMUP_MS} ms, ${REPEATS} samples of ~${SAMPLE_MS} ms); ` +
      `median of the ${ROUNDS * REPEATS} samples in GB/s`,
  );
  // Rounds go over all candidates in turn, so that a slow spell of a shared machine is
  // spread over all of them rather than landing on one.
  const results = new Map<string, Row>();
  for (let round = 1; round <= ROUNDS; round++) {
    process.stderr.write(`round ${round}/${ROUNDS}...\r`);
    for (const c of chosen) {
      const prev = results.get(c.name);
      if (prev && 'wrong' in prev) continue;
      const row = SAME_PROCESS ? run(c) : runIsolated(c.name);
      if ('wrong' in row || !prev || 'wrong' in prev) results.set(c.name, row);
      else results.set(c.name, { rates: prev.rates.map((xs, i) => [...xs, ...row.rates[i]!]) });
    }
  }
  console.log(['candidate'.padEnd(nameW), ...SIZES.map((s) => fmtSize(s).padStart(9))].join(' | '));
  for (const c of chosen) {
    const row = results.get(c.name)!;
    const cells = 'wrong' in row ? [`WRONG: ${row.wrong}`] : row.rates.map((xs) => median(xs).toFixed(3).padStart(9));
    console.log([c.name.padEnd(nameW), ...cells].join(' | '));
  }
  console.log(`\nsrc/encoding/crc32c.ts uses: ${SHIPPED}`);
  if (sink === 0.5) console.log(sink); // keep the results alive
}

await main();
