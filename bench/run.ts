// `npm run bench [-- options]`: issue 7's clone-vs-copy measurement (rbd-ts against librbd and
// `rados bench`) and any other suite listed below, on the cluster CEPH_CONF (or -c) names or
// on a throwaway one started here (1 mon, 1 memstore OSD sized for the largest parent) and
// stopped at the end. Writes DIR/results.json, DIR/report.md and DIR/*.svg, DIR being --out
// or bench/results/<suite>-<time>/.
//
//   npm run bench                       full preset: 64M,256M,1G,4G parents, 100 clones, 5 copies (5-10 min on 2 cores)
//   npm run bench -- --quick            64M,256M parents, 10 clones, 2 copies (< 2 min)
//   options: -c ceph.conf  --pool rbd  --sizes 64M,1G  --clones N  --warmup N  --repeats N  --depth 16
//            --rados-seconds S  --rados-repeats N  --out DIR  --suites clone-copy,foundation  --memstore-bytes B
//            --release pacific|reef|tentacle   (the throwaway cluster and the librbd compared: that release's)
//   npm run bench -- --suites releases [--releases pacific,reef,tentacle] [--n 20]   connect and clone p50 per release
//   npm run bench -- --render DIR       redo DIR/report.md and DIR/*.svg from DIR/results.json

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PRESETS, runCloneCopy } from './clone-copy.js';
import { renderCharts } from './charts.js';
import { benchFoundation } from './foundation.js';
import { renderReport, summaryLines } from './report.js';
import type { BenchOptions, CloneCopyResults } from './schema.js';
import { parseSizeList } from './stats.js';
import { checkXml } from './xml-check.js';
import { benchImportExport, formatRows, parseTransferSizes } from './import-export.js';
import { useRelease } from '../test/helpers/cluster.js';
import { benchReleases, releasesTable } from './releases.js';

export interface SuiteContext {
  conf: string;
  /** how the cluster was set up, for the report */
  cluster: string;
  argv: readonly string[];
  /** where this suite writes its files (created) */
  outDir: (suite: string) => string;
  log: (line: string) => void;
}

export interface Suite {
  name: string;
  /** run without --suites */
  byDefault: boolean;
  run(ctx: SuiteContext): Promise<void>;
}

export function arg(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
}

const num = (argv: readonly string[], name: string, dflt: number): number => {
  const v = arg(argv, name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) throw new Error(`bad ${name} '${v}'`);
  return n;
};

export function cloneCopyOptions(argv: readonly string[]): BenchOptions {
  const quick = argv.includes('--quick');
  const base = PRESETS[quick ? 'quick' : 'full'];
  const custom = ['--sizes', '--clones', '--warmup', '--repeats', '--depth', '--rados-seconds', '--rados-repeats'].some((o) => argv.includes(o));
  const sizes = arg(argv, '--sizes');
  return {
    preset: custom ? 'custom' : quick ? 'quick' : 'full',
    pool: arg(argv, '--pool') ?? 'rbd',
    sizes: sizes ? parseSizeList(sizes) : base.sizes,
    clones: Math.max(1, num(argv, '--clones', base.clones)),
    warmup: num(argv, '--warmup', base.warmup),
    repeats: Math.max(1, num(argv, '--repeats', base.repeats)),
    depth: Math.max(1, num(argv, '--depth', base.depth)),
    objectBytes: base.objectBytes,
    radosSeconds: Math.max(1, num(argv, '--rados-seconds', base.radosSeconds)),
    radosRepeats: Math.max(1, num(argv, '--rados-repeats', base.radosRepeats)),
  };
}

/** report.md and the charts beside results.json (also `--render DIR` to redo them from DIR/results.json) */
export function writeCloneCopyReport(r: CloneCopyResults, dir: string, log: (l: string) => void): void {
  const charts = renderCharts(r);
  for (const [name, svg] of Object.entries(charts)) {
    const bad = checkXml(svg).errors;
    if (bad.length) throw new Error(`chart ${name} is not well-formed XML: ${bad.join('; ')}`);
    writeFileSync(join(dir, name), svg);
  }
  writeFileSync(join(dir, 'report.md'), renderReport(r, Object.keys(charts)));
  for (const l of summaryLines(r)) log(l);
  log(`wrote ${dir}/{results.json,report.md,${Object.keys(charts).join(',')}}`);
}

const SUITES: Suite[] = [
  {
    name: 'clone-copy',
    byDefault: true,
    async run(ctx) {
      const o = cloneCopyOptions(ctx.argv);
      const r = await runCloneCopy({ conf: ctx.conf, cluster: ctx.cluster, log: ctx.log }, o);
      const dir = ctx.outDir('clone-copy');
      writeFileSync(join(dir, 'results.json'), JSON.stringify(r, null, 2) + '\n');
      writeCloneCopyReport(r, dir, ctx.log);
    },
  },
  {
    name: 'foundation',
    byDefault: false,
    async run(ctx) {
      const r = await benchFoundation(ctx.conf, ctx.log);
      writeFileSync(join(ctx.outDir('foundation'), 'results.json'), JSON.stringify({ node: process.version, ...r }, null, 2) + '\n');
    },
  },
  {
    // rbd-ts import/export vs python3-rbd aio and rbd import/export (--transfer-sizes 256M,1G, --repeats 3)
    name: 'import-export',
    byDefault: false,
    async run(ctx) {
      const rows = await benchImportExport(
        ctx.conf,
        parseTransferSizes(arg(ctx.argv, '--transfer-sizes') ?? '256M,1G'),
        arg(ctx.argv, '--pool') ?? 'rbd',
        Number(arg(ctx.argv, '--repeats') ?? 3),
      );
      for (const l of formatRows(rows).split('\n')) ctx.log(l);
      writeFileSync(join(ctx.outDir('import-export'), 'results.json'), JSON.stringify({ node: process.version, cluster: ctx.cluster, rows }, null, 2) + '\n');
    },
  },
  {
    // issue 13 §5: connect time and clone p50 on each release, rbd-ts beside that release's
    // python3-rados / python3-rbd (starts a throwaway cluster per release; -c is not used)
    name: 'releases',
    byDefault: false,
    async run(ctx) {
      const releases = (arg(ctx.argv, '--releases') ?? process.env['RBD_TS_RELEASES'] ?? 'pacific,reef,tentacle').split(',');
      const rows = await benchReleases(releases, num(ctx.argv, '--n', 20), ctx.log);
      for (const l of releasesTable(rows).split('\n')) ctx.log(l);
      writeFileSync(join(ctx.outDir('releases'), 'results.json'), JSON.stringify({ node: process.version, rows }, null, 2) + '\n');
    },
  },
];

async function main(argv: readonly string[]): Promise<void> {
  const render = arg(argv, '--render');
  if (render) {
    writeCloneCopyReport(JSON.parse(readFileSync(join(render, 'results.json'), 'utf8')) as CloneCopyResults, render, console.log);
    return;
  }
  const wanted = arg(argv, '--suites')?.split(',');
  const suites = wanted ? SUITES.filter((s) => wanted.includes(s.name)) : SUITES.filter((s) => s.byDefault);
  const unknown = wanted?.filter((w) => !SUITES.some((s) => s.name === w)) ?? [];
  if (unknown.length) throw new Error(`unknown suite(s) ${unknown.join(', ')}; known: ${SUITES.map((s) => s.name).join(', ')}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const out = arg(argv, '--out');
  const outDir = (suite: string) => {
    const d = out ? (suites.length > 1 ? join(out, suite) : out) : join('bench', 'results', `${suite}-${stamp}`);
    mkdirSync(d, { recursive: true });
    return d;
  };
  const log = (l: string) => console.log(l);

  // --release pacific|reef|tentacle: that release's throwaway cluster, and its rbd / rados /
  // python3-rbd as the programs compared (scripts/release.sh)
  const release = arg(argv, '--release');
  if (release) useRelease(release);

  let dir: string | undefined;
  let conf = arg(argv, '-c') ?? process.env['CEPH_CONF'];
  let cluster = `the cluster ${conf ?? ''} names`;
  if (!conf && suites.some((s) => s.name !== 'releases')) {
    // memstore_device_bytes is the OSD's capacity (fullness), not an allocation: room for two
    // images of the largest size, and at least 4 GiB (the RADOS ceiling's 6 s of 4 MiB writes
    // filled 2 GiB: ENOSPC on Tentacle). (RAM: the OSD's RSS grows by about twice the bytes stored.)
    const largest = Math.max(...cloneCopyOptions(argv).sizes);
    const mem = num(argv, '--memstore-bytes', Math.max(4 * 2 ** 30, 2 * largest + 2 ** 30));
    const started = execFileSync(
      'bash',
      ['scripts/cluster.sh', 'start', '--mons', '1', '--osds', '1', '--memstore-bytes', String(mem), '--owner-pid', String(process.pid)],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    dir = started.trim().split('\n').pop()!;
    conf = `${dir}/ceph.conf`;
    cluster = `throwaway ${process.env['RBD_TS_RELEASE'] ?? 'pacific'} cluster: 1 mon, 1 memstore OSD (${(mem / 2 ** 30).toFixed(1)} GiB), loopback`;
  }
  try {
    for (const s of suites) {
      log(`== ${s.name}`);
      await s.run({ conf: conf ?? '', cluster, argv, outDir, log });
    }
  } finally {
    if (dir) execFileSync('bash', ['scripts/cluster.sh', 'stop', dir], { stdio: 'inherit' });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await main(process.argv.slice(2));
}
