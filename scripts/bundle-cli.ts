// The `rbd-ts` command as one file plus V8's code cache for it (run by `npm run build` after
// tsc). Writes, in OUTDIR (default dist/):
//   rbd-ts.cjs            the command (package.json "bin"): a small launcher, below
//   rbd-ts-cli.cjs        src/cli/main.ts and everything it imports, bundled (CommonJS)
//   rbd-ts-cli.cjs.cache  V8's code cache of that bundle, every function compiled
//
// Why: start-up is a fixed cost of every command, and at 256 MiB to 1 GiB a visible part of
// the gap to `rbd import` / `rbd export` (bench/import-export.ts). Loaded as ~90 ES modules,
// the CLI spent ~60 ms resolving, reading and linking them; one bundle loads in ~20 ms, most
// of it parsing and compiling, which the code cache removes: `rbd-ts info` 0.16-0.18 s as
// modules, 0.12-0.14 s bundled, 0.10-0.11 s with the cache (`node -e 0` alone: 0.06 s).
// The library (dist/src, package.json "exports") stays module per module.
//
// The cache is only used by the V8 that made it, with the same flags (V8 checks both, and the
// source); otherwise the launcher compiles the bundle as usual. It is made in a child
// process with --no-lazy switched on for the compile and off again before the cache is
// written, so that it holds every function and still matches the default flags.
//
// esbuild is the bundler tsx already runs on (a dev dependency; nothing of it ships).
// Usage: tsx scripts/bundle-cli.ts [OUTDIR]

import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const outdir = resolve(process.argv[2] ?? join(ROOT, 'dist'));

// The launcher. RBD_TS_CODE_CACHE: unset = use the cache when V8 accepts it, `off` = never,
// `require` = fail when it is missing or rejected (tests), `make` = write it and exit (build).
const LAUNCHER = `#!/usr/bin/env node
'use strict';
// rbd-ts: loads rbd-ts-cli.cjs with V8's code cache (scripts/bundle-cli.ts).
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');
const Module = require('node:module');
const vm = require('node:vm');
const file = join(__dirname, 'rbd-ts-cli.cjs');
const mode = process.env.RBD_TS_CODE_CACHE;
let cachedData;
if (mode !== 'off' && mode !== 'make') {
  try {
    cachedData = readFileSync(file + '.cache');
  } catch {}
}
if (mode === 'make') require('node:v8').setFlagsFromString('--no-lazy');
const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8').replace(/^#!.*/, '')), { filename: file, cachedData });
if (mode === 'make') {
  require('node:v8').setFlagsFromString('--lazy');
  writeFileSync(file + '.cache', script.createCachedData());
  process.exit(0);
}
if (mode === 'require' && (cachedData === undefined || script.cachedDataRejected)) {
  process.stderr.write('rbd-ts: code cache ' + (cachedData === undefined ? 'missing' : 'rejected') + '\\n');
  process.exit(70);
}
// the bundle needs nothing but node: built-ins, which this module's require loads
script.runInThisContext().call(module.exports, module.exports, require, module, file, __dirname);
`;

mkdirSync(outdir, { recursive: true });
await build({
  entryPoints: [join(ROOT, 'src/cli/main.ts')],
  outfile: join(outdir, 'rbd-ts-cli.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // nothing outside src/ at run time but node: built-ins; keep any package import external
  packages: 'external',
  legalComments: 'none',
  logLevel: 'warning',
});
const launcher = join(outdir, 'rbd-ts.cjs');
writeFileSync(launcher, LAUNCHER);
chmodSync(launcher, 0o755);
// the cache, made by the node that runs this build, with its default flags
execFileSync(process.execPath, [launcher], { env: { ...process.env, NODE_OPTIONS: '', RBD_TS_CODE_CACHE: 'make' }, stdio: 'inherit' });
