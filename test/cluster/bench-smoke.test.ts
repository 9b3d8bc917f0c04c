// The benchmark harness end to end on the suite's cluster: `npm run bench -- --quick` into a
// temp dir writes results.json (every sample, versions), report.md (the tables and goals) and
// well-formed SVG charts, and leaves no image behind; `rbd-ts bench-clone --format json`
// prints its rows. Structure only: no figure is asserted (issue 7 §4).

import test from 'ava';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { CloneCopyResults } from '../../bench/schema.js';
import { checkXml } from '../../bench/xml-check.js';
import { rbd, sharedCluster } from '../helpers/cluster.js';

const run = promisify(execFile);
// No t.timeout() here: ava 6 then ignores its global inactivity timeout until that period
// ends and never re-arms it, so a later hang in another file would run until CI's limit.
// The child processes' own timeouts stay under the global 120 s.
const MiB = 2 ** 20;

test.serial('npm run bench -- --quick: results.json, report.md and SVG charts', async (t) => {
  const cluster = await sharedCluster();
  const out = mkdtempSync(join(tmpdir(), 'rbd-ts-bench-smoke-'));
  try {
    const { stdout } = await run(process.execPath, ['--import=tsx', 'bench/run.ts', '-c', cluster.conf, '--quick', '--out', out], {
      timeout: 110_000,
      maxBuffer: 16 * MiB,
    });
    t.regex(stdout, /clone v2 p50 rbd-ts [\d.]+ ms, librbd [\d.]+ ms/);
    t.deepEqual(readdirSync(out).sort(), ['clone-latency.svg', 'clone-vs-copy.svg', 'copy-latency.svg', 'report.md', 'results.json']);

    const r = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as CloneCopyResults;
    t.is(r.bench, 'clone-copy');
    t.is(r.options.preset, 'quick');
    t.deepEqual(r.options.sizes, [64 * MiB, 256 * MiB]);
    t.regex(r.env.ceph, /^ceph version \d+\.\d+\.\d+/);
    t.is(r.env.node, process.version);
    t.true(r.env.cores > 0);
    t.is(r.clone.length, 2 * 2 * 2, 'sizes × formats × implementations');
    for (const c of r.clone) {
      t.is(c.samplesMs.length, r.options.clones);
      t.true(c.samplesMs.every((x) => x > 0));
      t.true(c.latency.p50 <= c.latency.p95 && c.latency.p95 <= c.latency.p99 && c.latency.min <= c.latency.p50);
      t.true(c.osdOpsPerClone > 0 && c.peakRssMiB > 0);
      if (c.impl === 'rbd-ts') t.true((c.roundTripsPerClone?.median ?? 0) >= 1 && (c.trace?.length ?? 0) > 0);
    }
    t.is(r.copy.length, 2 * 2);
    for (const c of r.copy) {
      t.is(c.samples.length, r.options.repeats);
      t.true(c.samples.every((s) => s.ms > 0 && s.MBs > 0 && s.cpuSeconds > 0 && s.peakRssMiB > 0));
    }
    t.deepEqual(
      r.rados.map((x) => x.impl),
      ['rbd-ts', 'rados bench'],
    );
    for (const x of r.rados) t.true(x.samples.length === r.options.radosRepeats && x.MBs.median > 0);

    const md = readFileSync(join(out, 'report.md'), 'utf8');
    for (const h of [
      '## Goals',
      '## Clone latency, format 1 (ms)',
      '## Clone latency, format 2 (ms)',
      '## Clone cost (per clone)',
      '## Bulk object writes',
      '## Copy / clone',
      '## RADOS ceiling',
    ])
      t.true(md.includes(h), h);
    t.regex(md, /\| 256 MiB \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \| [\d.]+× \|/);
    t.false(/NaN|undefined/.test(md));

    for (const f of ['clone-latency.svg', 'clone-vs-copy.svg', 'copy-latency.svg']) {
      const svg = readFileSync(join(out, f), 'utf8');
      t.deepEqual(checkXml(svg).errors, [], f);
      t.true(svg.includes('>64 MiB<') && svg.includes('>256 MiB<') && svg.includes('librbd') && svg.includes('rbd-ts'), f);
    }

    const left = (await rbd(cluster, ['ls', 'rbd'])).stdout.split('\n').filter((n) => n.startsWith('bcc'));
    t.deepEqual(left, [], 'no image left behind');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test.serial('rbd-ts bench-clone --format json', async (t) => {
  const cluster = await sharedCluster();
  const { stdout } = await run(
    process.execPath,
    ['--import=tsx', 'src/cli/main.ts', 'bench-clone', '-c', cluster.conf, '--sizes', '8M,16M', '--count', '3', '--format', 'json'],
    { timeout: 55_000 },
  );
  const j = JSON.parse(stdout) as {
    pool: string;
    count: number;
    rows: Array<{ size: number; clone: Record<string, { n: number; p50: number }>; copyMs: number; copyMBs: number; copyOverClone: number }>;
  };
  t.is(j.pool, 'rbd');
  t.deepEqual(
    j.rows.map((r) => r.size),
    [8 * MiB, 16 * MiB],
  );
  for (const r of j.rows) {
    t.is(r.clone['1']!.n, 3);
    t.is(r.clone['2']!.n, 3);
    t.true(r.clone['2']!.p50 > 0 && r.copyMs > 0 && r.copyMBs > 0 && r.copyOverClone > 0);
  }
  const left = (await rbd(cluster, ['ls', 'rbd'])).stdout.split('\n').filter((n) => n.startsWith('bench-clone-'));
  t.deepEqual(left, []);
  const bad = await run(process.execPath, ['--import=tsx', 'src/cli/main.ts', 'bench-clone', '-c', cluster.conf, '--count', '0']).catch(
    (e: { code: number; stderr: string }) => e,
  );
  t.is((bad as { code: number }).code, 22);
});
