// The `rbd-ts` command as one ES module, dist/rbd-ts.js (run by `npm run build` after tsc).
//
// Why: the compiled CLI is ~90 modules, and Node 20 spends ~60 ms resolving, reading and
// linking them before the first byte goes to a mon: a fixed cost on every command, half of
// the gap to `rbd import` at 1 GiB (bench/import-export.ts). One file loads in a fraction of
// that. The library (dist/src, package.json "exports") stays module per module.
//
// esbuild is the bundler tsx already runs on (a dev dependency; nothing of it ships).
// Usage: tsx scripts/bundle-cli.ts [OUTFILE]   (default dist/rbd-ts.js)

import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = process.argv[2] ?? join(ROOT, 'dist/rbd-ts.js');

await build({
  entryPoints: [join(ROOT, 'src/cli/main.ts')],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // nothing outside src/ at run time but node: built-ins; keep any package import external
  packages: 'external',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
