// Fuzz every decoder (test/helpers/fuzz-targets.ts) with many mutated inputs: a long run
// outside CI (the unit tests run 100,000 cases).
//
//   npm run fuzz                                  1,000,000 cases over every target, seed 1
//   npm run fuzz -- --cases 200000 --seed 7       another run
//   npm run fuzz -- --target osdmap --target crush.map    some groups / targets only
//   npm run fuzz -- --list                        the targets
//   npm run fuzz -- --target crush.map --repro 0a1b...    one input, with the error's stack
//
// The cases run in a child process that records each input before running it, so that a
// case that hangs (no progress for --timeout seconds) or kills the process (a fatal V8
// out-of-memory) is still reported with its input. Prints per-target counts; exits 1 with
// the reproducer hex of every case that raised anything but a CephError, took more than a
// second, allocated absurdly, hung or crashed.

import { fork } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatFailures, fuzzAll, fuzzTargets, groupOf, type FuzzFailure, type FuzzReport, type TargetStats } from '../test/helpers/fuzz-targets.js';

interface Args {
  cases: number;
  seed: number;
  targets: string[];
  timeoutS: number;
  list: boolean;
  repro: string | undefined;
  child: string | undefined;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { cases: 1_000_000, seed: 1, targets: [], timeoutS: 10, list: false, repro: undefined, child: undefined };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const v = (): string => {
      const x = argv[++i];
      if (x === undefined) throw new Error(`${k} needs a value`);
      return x;
    };
    if (k === '--cases') a.cases = Number(v());
    else if (k === '--seed') a.seed = Number(v());
    else if (k === '--target') a.targets.push(...v().split(','));
    else if (k === '--timeout') a.timeoutS = Number(v());
    else if (k === '--list') a.list = true;
    else if (k === '--repro') a.repro = v();
    else if (k === '--child') a.child = v();
    else throw new Error(`unknown argument ${k} (see the top of scripts/fuzz.ts)`);
  }
  if (!Number.isSafeInteger(a.cases) || a.cases < 0) throw new Error(`bad --cases ${a.cases}`);
  if (!Number.isSafeInteger(a.seed)) throw new Error(`bad --seed ${a.seed}`);
  return a;
}

/** what the child sends back: the report, with its Map as entries */
interface WireReport extends Omit<FuzzReport, 'targets'> {
  targets: Array<[string, TargetStats]>;
}

// ---- child: run the cases, recording each input first -------------------------------------

async function child(args: Args, scratch: string): Promise<void> {
  const fd = openSync(scratch, 'w');
  let seq = 0;
  const head = Buffer.alloc(12);
  const report = await fuzzAll(args.cases, args.seed, {
    ...(args.targets.length ? { only: args.targets } : {}),
    // [u32 case number][u32 name length][u32 input length] name input, rewritten in place
    onCase: (target, input) => {
      const name = Buffer.from(target);
      head.writeUInt32LE(++seq >>> 0, 0);
      head.writeUInt32LE(name.length, 4);
      head.writeUInt32LE(input.length, 8);
      const rec = Buffer.concat([head, name, input]);
      writeSync(fd, rec, 0, rec.length, 0);
    },
  });
  closeSync(fd);
  const wire: WireReport = { ...report, targets: [...report.targets] };
  process.send!(wire, () => process.exit(0));
}

function readScratch(scratch: string): { seq: number; target: string; hex: string } | undefined {
  try {
    const b = readFileSync(scratch);
    if (b.length < 12) return undefined;
    const nameLen = b.readUInt32LE(4);
    const len = b.readUInt32LE(8);
    return { seq: b.readUInt32LE(0), target: b.subarray(12, 12 + nameLen).toString(), hex: b.subarray(12 + nameLen, 12 + nameLen + len).toString('hex') };
  } catch {
    return undefined;
  }
}

// ---- parent: watch the child, print the report ----------------------------------------------

async function parent(args: Args, argv: string[]): Promise<number> {
  const scratch = join(tmpdir(), `rbd-ts-fuzz-${process.pid}.case`);
  const t0 = Date.now();
  const proc = fork(fileURLToPath(import.meta.url), [...argv, '--child', scratch], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let report: WireReport | undefined;
  proc.on('message', (m) => (report = m as WireReport));
  let hung: ReturnType<typeof readScratch>;
  let lastSeq = -1;
  let still = 0;
  const watch = setInterval(() => {
    const s = readScratch(scratch);
    if (!s || s.seq !== lastSeq) {
      lastSeq = s?.seq ?? -1;
      still = 0;
      return;
    }
    if (++still >= args.timeoutS) {
      hung = s;
      proc.kill('SIGKILL');
    }
  }, 1000);
  const [code, signal] = (await new Promise((res) => proc.on('exit', (c, sig) => res([c, sig])))) as [number | null, NodeJS.Signals | null];
  clearInterval(watch);
  const last = readScratch(scratch);
  rmSync(scratch, { force: true });
  const failures: FuzzFailure[] = [];
  if (hung) {
    failures.push({ target: hung.target, kind: 'slow', error: `no progress for ${args.timeoutS} s (hang)`, stack: '', hex: hung.hex, count: 1 });
  } else if (!report) {
    const why = signal ? `killed by ${signal}` : `exited with code ${code}`;
    failures.push({
      target: last?.target ?? '?',
      kind: 'crash',
      error: `the fuzzing process ${why} (a fatal error: see above)`,
      stack: '',
      hex: last?.hex ?? '',
      count: 1,
    });
  }
  if (report) {
    const rows = report.targets.map(([name, s]) => ({ name, ...s }));
    const w = Math.max(...rows.map((r) => r.name.length), 6);
    console.log(
      `${'target'.padEnd(w)}  ${'cases'.padStart(8)}  ${'ok'.padStart(8)}  ${'typed'.padStart(8)}  ${'ms'.padStart(7)}  ${'slowest'.padStart(8)}  max alloc`,
    );
    for (const r of rows) {
      console.log(
        `${r.name.padEnd(w)}  ${String(r.cases).padStart(8)}  ${String(r.ok).padStart(8)}  ${String(r.typed).padStart(8)}  ${r.ms.toFixed(0).padStart(7)}  ${r.slowestMs.toFixed(1).padStart(6)}ms  ${(r.maxAlloc / 2 ** 20).toFixed(1)} MiB`,
      );
    }
    failures.push(...report.failures);
    for (const e of report.seedErrors) console.log(`SEED ERROR ${e.target} #${e.index}: ${e.error}`);
  }
  const total = report?.cases ?? lastSeqOf(last);
  console.log(
    `\n${total} cases over ${report?.targets.length ?? '?'} targets in ${((Date.now() - t0) / 1000).toFixed(1)} s (seed ${args.seed}); ${failures.length} failures`,
  );
  if (failures.length) console.log(`\n${formatFailures(failures)}`);
  return failures.length || report?.seedErrors.length ? 1 : 0;
}

const lastSeqOf = (s: ReturnType<typeof readScratch>): number => s?.seq ?? 0;

// ---- one input ------------------------------------------------------------------------------------

async function repro(args: Args): Promise<number> {
  const t = fuzzTargets().find((x) => x.name === args.targets[0]);
  if (!t || args.targets.length !== 1) throw new Error('--repro needs exactly one --target NAME');
  try {
    await t.run(Buffer.from(args.repro!, 'hex'));
    console.log('no error');
  } catch (e) {
    console.log(e);
  }
  return 0;
}

const argv = process.argv.slice(2);
const args = parseArgs(argv);
if (args.child) {
  await child(args, args.child);
} else if (args.list) {
  for (const t of fuzzTargets()) console.log(`${groupOf(t).padEnd(8)} ${t.name}  (${t.seeds.length} seeds${t.text ? ', text' : ''})`);
} else if (args.repro) {
  process.exitCode = await repro(args);
} else {
  process.exitCode = await parent(args, argv);
}
