// `rbd-ts` against Debian's `rbd` (16.2.15) on the shared cluster:
//
//  * twins: the same command line run by rbd on one image and by rbd-ts on its twin; both
//    images must look the same to `rbd info/snap ls --format json` (ids, names and
//    timestamps aside);
//  * reads: rbd-ts ls, ls -l, info, snap ls and children print exactly what rbd prints for
//    the same images (JSON byte for byte, plain text too);
//  * state: what rbd-ts does, rbd sees, and the reverse;
//  * errors: the exit status rbd gives for the same mistake, one line on stderr.
//
// Everything lives in two pools made for the run (removed afterwards) and, for the default
// pool, images named with the run's random tag.

import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ceph, rbd, sharedCluster, type CommandResult, type TestCluster } from '../helpers/cluster.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TAG = randomBytes(3).toString('hex');
const P1 = `cli1-${TAG}`;
const P2 = `cli2-${TAG}`;
const n = (s: string): string => `cli${TAG}-${s}`;
const MiB = 1 << 20;

let c: TestCluster;

/**
 * rbd-ts from the sources (tsx), or `cli` (the built launcher) when given, which must then
 * run from its code cache unless `codeCache` says otherwise; stdout as bytes too. `-c conf`
 * goes before `args`, after them with `confAt` 'last', or right after the first word ('after-verb').
 */
function runTs(
  args: string[],
  cli?: string,
  codeCache = 'require',
  confAt: 'first' | 'last' | 'after-verb' = 'first',
): Promise<CommandResult & { bytes: Buffer }> {
  return new Promise((resolve) => {
    const argv = cli ? [cli] : ['--import=tsx', join(ROOT, 'src/cli/main.ts')];
    const env = cli ? { ...process.env, NODE_OPTIONS: '', RBD_TS_CODE_CACHE: codeCache } : process.env;
    const line = confAt === 'first' ? ['-c', c.conf, ...args] : confAt === 'last' ? [...args, '-c', c.conf] : [args[0]!, '-c', c.conf, ...args.slice(1)];
    const child = spawn(process.execPath, [...argv, ...line], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('close', (code) => {
      const bytes = Buffer.concat(out);
      resolve({ stdout: bytes.toString(), bytes, stderr: Buffer.concat(err).toString(), code: code ?? 128 });
    });
  });
}

/** rbd-ts; the command must succeed. */
async function ts(t: ExecutionContext, args: string[]): Promise<string> {
  const r = await runTs(args);
  t.is(r.code, 0, `rbd-ts ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** the real rbd; the command must succeed. */
async function ok(t: ExecutionContext, args: string[]): Promise<string> {
  const r = await rbd(c, args);
  t.is(r.code, 0, `rbd ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function rbdJson(t: ExecutionContext, args: string[]): Promise<any> {
  return JSON.parse(await ok(t, [...args, '--format', 'json']));
}

/** `rbd info` JSON without what differs between twins. */
function twinInfo(j: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, name: _n, block_name_prefix: _b, create_timestamp: _c, access_timestamp: _a, modify_timestamp: _m, ...rest } = j;
  return rest;
}

function twinSnaps(list: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  return list.map(({ id: _id, timestamp: _ts, ...rest }) => rest);
}

async function mustSucceed(args: string[]): Promise<void> {
  const r = await ceph(c, args);
  if (r.code !== 0) throw new Error(`ceph ${args.join(' ')}: ${r.stderr}`);
}

test.before(async () => {
  c = await sharedCluster();
  for (const p of [P1, P2]) {
    await mustSucceed(['osd', 'pool', 'create', p, '8', '8']);
    await mustSucceed(['osd', 'pool', 'application', 'enable', p, 'rbd']);
  }
});

test.after.always(async () => {
  if (!c) return;
  // images of the run in the default pool (children before parents)
  const names = (await rbd(c, ['ls'])).stdout.split('\n').filter((x) => x.startsWith(`cli${TAG}-`));
  for (const img of names.sort().reverse()) {
    const snaps = JSON.parse((await rbd(c, ['snap', 'ls', img, '--format', 'json'])).stdout || '[]') as Array<{ name: string; protected: string }>;
    for (const s of snaps) if (s.protected === 'true') await rbd(c, ['snap', 'unprotect', `${img}@${s.name}`]);
    await rbd(c, ['snap', 'purge', img, '--no-progress']);
    await rbd(c, ['rm', img, '--no-progress']);
  }
  for (const p of [P1, P2]) await ceph(c, ['osd', 'pool', 'rm', p, p, '--yes-i-really-really-mean-it']);
});

// ---- create ---------------------------------------------------------------------------------

const CREATE_CASES: Array<[string, string[]]> = [
  ['defaults', ['--size', '10']],
  ['-s with units', ['-s', '1536K']],
  ['object size', ['--size', '8M', '--object-size', '1M']],
  ['object size rounded', ['--size', '8M', '--object-size', '3000']],
  ['order (deprecated)', ['--size', '8M', '--order', '20']],
  ['features repeated and listed', ['--size', '1G', '--image-feature', 'layering', '--image-feature', 'exclusive-lock,object-map']],
  ['features: fast-diff alone', ['--size', '4', '--image-feature', 'fast-diff']],
  ['striping', ['--size', '16', '--stripe-unit', '64K', '--stripe-count', '2']],
  ['striping that is no striping', ['--size', '16', '--stripe-unit', '4M', '--stripe-count', '1']],
  ['data pool', ['--size', '16', '--data-pool', P2, '--image-feature', 'layering,exclusive-lock']],
  ['data pool, same pool', ['--size', '16', '--data-pool', P1]],
  ['no-progress', ['--size', '2T', '--no-progress', '--image-feature', 'layering']],
];

for (const [title, args] of CREATE_CASES) {
  test.serial(`create (${title}): rbd-ts makes the image rbd makes`, async (t) => {
    const theirs = n(`cr-${CREATE_CASES.findIndex(([x]) => x === title)}-a`);
    const ours = theirs.replace(/-a$/, '-b');
    await ok(t, ['create', `${P1}/${theirs}`, ...args]);
    await ts(t, ['create', `${P1}/${ours}`, ...args]);
    const a = await rbdJson(t, ['info', `${P1}/${theirs}`]);
    const b = await rbdJson(t, ['info', `${P1}/${ours}`]);
    t.deepEqual(twinInfo(b), twinInfo(a));
    // and rbd-ts reads both exactly as rbd does, JSON and plain
    for (const img of [theirs, ours]) {
      t.is(await ts(t, ['info', `${P1}/${img}`, '--format', 'json']), await ok(t, ['info', `${P1}/${img}`, '--format', 'json']));
      t.is(await ts(t, ['info', '-p', P1, img]), await ok(t, ['info', '-p', P1, img]));
    }
  });
}

test.serial('the bundled command (npm run build: scripts/bundle-cli.ts) imports, exports and reads as rbd does, with its code cache', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rbd-ts-bundle-'));
  try {
    execFileSync(process.execPath, ['--import=tsx', join(ROOT, 'scripts/bundle-cli.ts'), dir], { cwd: ROOT });
    const cli = join(dir, 'rbd-ts.cjs');
    const img = `${P1}/${n('bundled')}`;
    const data = randomBytes(5 * MiB + 12345);
    const file = join(dir, 'data.bin');
    writeFileSync(file, data);
    const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
    const imp = await runTs(['import', '--no-progress', file, img], cli);
    t.is(imp.code, 0, imp.stderr);
    await ok(t, ['export', '--no-progress', img, join(dir, 'theirs.bin')]);
    t.is(md5(readFileSync(join(dir, 'theirs.bin'))), md5(data), 'rbd reads what the bundled rbd-ts imported');
    const exp = await runTs(['export', '--no-progress', img, '-'], cli);
    t.is(exp.code, 0, exp.stderr);
    t.is(md5(exp.bytes), md5(data));
    const info = await runTs(['info', img, '--format', 'json'], cli);
    t.is(info.stdout, await ok(t, ['info', img, '--format', 'json']));
    const bad = await runTs(['info', `${P1}/${n('no-such-image')}`], cli);
    t.is(bad.code, 2); // ENOENT, as rbd
    // a cache V8 does not accept (another node, a damaged file) only costs the compile
    writeFileSync(join(dir, 'rbd-ts-cli.cjs.cache'), randomBytes(4096));
    t.is((await runTs(['info', img, '--format', 'json'], cli, '')).stdout, info.stdout);
    const strict = await runTs(['info', img], cli);
    t.is(strict.code, 70);
    t.regex(strict.stderr, /code cache rejected/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('create in the default pool and in a namespace; --pool, --namespace, --image', async (t) => {
  const img = n('dflt');
  await ts(t, ['create', img, '-s', '4']);
  t.true((await ok(t, ['ls'])).split('\n').includes(img));
  t.is(await ts(t, ['info', img, '--format', 'json', '--pretty-format']), await ok(t, ['info', img, '--format', 'json', '--pretty-format']));
  await ts(t, ['rm', img]);
  t.false((await ok(t, ['ls'])).split('\n').includes(img));

  await ok(t, ['namespace', 'create', `${P1}/ns1`]);
  await ts(t, ['create', `${P1}/ns1/img`, '--size', '2']);
  await ts(t, ['create', '--pool', P1, '--namespace', 'ns1', '--image', 'img2', '--size', '3']);
  t.deepEqual(await rbdJson(t, ['ls', `${P1}/ns1`]), ['img', 'img2']);
  t.is(await ts(t, ['ls', `${P1}/ns1`, '--format', 'json']), await ok(t, ['ls', `${P1}/ns1`, '--format', 'json']));
  t.is(await ts(t, ['ls', '-l', '-p', P1, '--namespace', 'ns1']), await ok(t, ['ls', '-l', '-p', P1, '--namespace', 'ns1']));
  t.is((await rbdJson(t, ['info', `${P1}/ns1/img2`])).size, 3 * MiB);
  await ts(t, ['rm', `${P1}/ns1/img`]);
  await ts(t, ['remove', '--pool', P1, '--namespace', 'ns1', 'img2']);
  t.deepEqual(await rbdJson(t, ['ls', `${P1}/ns1`]), []);
  await ok(t, ['namespace', 'rm', `${P1}/ns1`]);
});

// ---- snapshots, clones, ls -l, children -------------------------------------------------------

test.serial('snapshots: rbd-ts acts, rbd sees; rbd acts, rbd-ts sees', async (t) => {
  const img = `${P1}/${n('snap')}`;
  await ok(t, ['create', img, '--size', '8']);
  await ts(t, ['snap', 'create', `${img}@one`]);
  await ts(t, ['snap', 'add', '--snap', 'two', img]);
  await ok(t, ['snap', 'create', `${img}@three`]);
  await ts(t, ['snap', 'protect', `${img}@one`]);
  await ts(t, ['snap', 'rename', `${img}@two`, `${img}@deux`]);
  let snaps = await rbdJson(t, ['snap', 'ls', img]);
  t.deepEqual(
    snaps.map((s: { name: string; protected: string }) => [s.name, s.protected]),
    [
      ['one', 'true'],
      ['deux', 'false'],
      ['three', 'false'],
    ],
  );
  for (const args of [
    ['snap', 'ls', img, '--format', 'json'],
    ['snap', 'list', img, '--format', 'json', '--pretty-format'],
    ['snap', 'ls', img],
  ]) {
    t.is(await ts(t, args), await ok(t, args), args.join(' '));
  }
  for (const s of ['one', 'deux']) t.is(await ts(t, ['info', `${img}@${s}`]), await ok(t, ['info', `${img}@${s}`]));
  t.is(await ts(t, ['info', img, '--snap', 'one', '--format', 'json']), await ok(t, ['info', img, '--snap', 'one', '--format', 'json']));

  // rollback: a resize undone
  await ts(t, ['resize', img, '--size', '16']);
  t.is((await rbdJson(t, ['info', img])).size, 16 * MiB);
  await ts(t, ['snap', 'rollback', `${img}@three`, '--no-progress']);
  t.is((await rbdJson(t, ['info', img])).size, 8 * MiB);
  await ts(t, ['resize', img, '--size', '12']);
  await ts(t, ['snap', 'revert', `${img}@deux`]);
  t.is((await rbdJson(t, ['info', img])).size, 8 * MiB);

  await ts(t, ['snap', 'unprotect', `${img}@one`]);
  await ts(t, ['snap', 'rm', `${img}@one`]);
  await ok(t, ['snap', 'protect', `${img}@deux`]);
  t.is(await ts(t, ['snap', 'ls', img, '--format', 'json']), await ok(t, ['snap', 'ls', img, '--format', 'json']));
  await ok(t, ['snap', 'unprotect', `${img}@deux`]);
  await ts(t, ['snap', 'remove', `${img}@deux`, '--no-progress']);
  await ok(t, ['snap', 'rm', `${img}@three`]);
  snaps = await rbdJson(t, ['snap', 'ls', img]);
  t.deepEqual(snaps, []);
  t.is(await ts(t, ['snap', 'ls', img]), '');
  t.is(await ts(t, ['snap', 'ls', img, '--format', 'json']), '[]\n');
  await ts(t, ['rm', img]);
});

test.serial('snapshot twins: snap ls of images snapshotted by rbd and by rbd-ts', async (t) => {
  const a = `${P1}/${n('st-a')}`;
  const b = `${P1}/${n('st-b')}`;
  for (const img of [a, b]) await ok(t, ['create', img, '--size', '4']);
  const steps: string[][] = [
    ['snap', 'create', '{}@s1'],
    ['resize', '{}', '--size', '6'],
    ['snap', 'create', '{}@s2'],
    ['snap', 'protect', '{}@s2'],
    ['snap', 'rename', '{}@s1', '{}@s1b'],
    ['resize', '{}', '--size', '1', '--allow-shrink'],
  ];
  for (const step of steps) {
    await ok(
      t,
      step.map((x) => x.replaceAll('{}', a)),
    );
    await ts(
      t,
      step.map((x) => x.replaceAll('{}', b)),
    );
  }
  t.deepEqual(twinSnaps(await rbdJson(t, ['snap', 'ls', b])), twinSnaps(await rbdJson(t, ['snap', 'ls', a])));
  t.deepEqual(twinInfo(await rbdJson(t, ['info', b])), twinInfo(await rbdJson(t, ['info', a])));
  t.deepEqual(twinInfo(await rbdJson(t, ['info', `${b}@s2`])), twinInfo(await rbdJson(t, ['info', `${a}@s2`])));
});

test.serial('clones (formats 1 and 2, across pools), children, ls -l', async (t) => {
  const parent = n('par');
  const pp = `${P1}/${parent}`;
  await ok(t, ['create', pp, '--size', '12', '--stripe-unit', '1M', '--stripe-count', '2']);
  await ts(t, ['snap', 'create', `${pp}@base`]);
  await ts(t, ['snap', 'protect', `${pp}@base`]);
  await ok(t, ['snap', 'create', `${pp}@v2`]);

  // twins: format 1 by default here (require_min_compat_client below mimic) or whatever
  // 'auto' picks; format 2 asked for by both spellings of the option
  const pairs: Array<[string, string, string[]]> = [
    [n('c1a'), n('c1b'), [`${pp}@base`]],
    [n('c2a'), n('c2b'), ['--rbd-default-clone-format', '2', `${pp}@v2`]],
    [n('c3a'), n('c3b'), ['--rbd_default_clone_format', '2', '--image', parent, '--snap', 'v2', '-p', P1, '--image-feature', 'layering']],
    [n('c4a'), n('c4b'), ['--rbd-default-clone-format', '1', `${pp}@base`, '--object-size', '1M']],
  ];
  for (const [a, b, args] of pairs) {
    await ok(t, ['clone', ...args, `${P2}/${a}`]);
    await ts(t, ['clone', ...args, `${P2}/${b}`]);
    t.deepEqual(twinInfo(await rbdJson(t, ['info', `${P2}/${b}`])), twinInfo(await rbdJson(t, ['info', `${P2}/${a}`])), a);
  }
  // --dest-pool / --dest, into the default pool when no destination pool is given
  await ts(t, ['clone', pp + '@base', '--dest-pool', P1, '--dest', n('c5')]);
  await ts(t, ['clone', pp + '@v2', n('c6'), '--rbd-default-clone-format', '2']);
  t.is((await rbdJson(t, ['info', `${P1}/${n('c5')}`])).parent.snapshot, 'base');
  t.is((await rbdJson(t, ['info', n('c6')])).parent.pool, P1);

  for (const args of [
    ['children', `${pp}@base`],
    ['children', `${pp}@v2`, '--format', 'json'],
    ['children', pp, '--format', 'json', '--pretty-format'],
    ['children', pp, '-a', '--format', 'json'],
    ['children', '--image', parent, '-p', P1],
    ['ls', P1],
    ['ls', P2, '--format', 'json'],
    ['list', '-l', P2],
    ['ls', '-l', '--format', 'json', P2],
    ['ls', '-l', '--pool', P1, '--format', 'json', '--pretty-format'],
    ['info', `${P2}/${n('c2b')}`],
    ['info', `${P2}/${n('c1a')}`, '--format', 'json'],
  ]) {
    t.is(await ts(t, args), await ok(t, args), args.join(' '));
  }
  // the clones' own snapshots carry the parent in ls -l
  await ts(t, ['snap', 'create', `${P2}/${n('c2b')}@x`]);
  t.is(await ts(t, ['ls', '-l', P2]), await ok(t, ['ls', '-l', P2]));
  t.is(await ts(t, ['ls', '-l', P2, '--format', 'json']), await ok(t, ['ls', '-l', P2, '--format', 'json']));

  // errors on a parent with children
  const e1 = await runTs(['snap', 'unprotect', `${pp}@base`]);
  t.is(e1.code, (await rbd(c, ['snap', 'unprotect', `${pp}@base`])).code);
  t.is(e1.code, 16);
  await ok(t, ['snap', 'rm', `${P2}/${n('c2b')}@x`]);
  // tidy up the clones with rbd-ts, parents last
  for (const [a, b] of pairs) for (const img of [a, b]) await ts(t, ['rm', `${P2}/${img}`]);
  await ts(t, ['rm', `${P1}/${n('c5')}`]);
  await ts(t, ['rm', n('c6')]);
  t.deepEqual(await rbdJson(t, ['children', pp]), []);
  await ts(t, ['snap', 'unprotect', `${pp}@base`]);
  for (const s of ['base', 'v2']) await ts(t, ['snap', 'rm', `${pp}@${s}`]);
  await ts(t, ['rm', pp]);
  t.deepEqual(await rbdJson(t, ['ls', P2]), []);
});

test.serial('snap rm of a snapshot with clone-v2 children moves it to the trash, as rbd does', async (t) => {
  const parent = `${P2}/${n('tp')}`;
  const child = `${P2}/${n('tc')}`;
  await ok(t, ['create', parent, '--size', '4']);
  await ok(t, ['snap', 'create', `${parent}@s`]);
  await ts(t, ['clone', '--rbd-default-clone-format', '2', `${parent}@s`, child]);
  await ts(t, ['snap', 'rm', `${parent}@s`]);
  t.deepEqual(await rbdJson(t, ['snap', 'ls', parent]), []);
  const all = await rbdJson(t, ['snap', 'ls', parent, '--all']);
  // TrashSnapshotNamespace carries the original namespace type; Tentacle's rbd prints it
  const trashNs = { type: 'trash', original_name: 's', ...(process.env['RBD_TS_RELEASE'] === 'tentacle' ? { original_namespace_type: 'user' } : {}) };
  t.deepEqual(
    all.map((x: { namespace: unknown }) => x.namespace),
    [trashNs],
  );
  // the trashed snapshot's children are still the image's children
  for (const args of [
    ['children', parent, '--format', 'json'],
    ['children', parent, '-a'],
  ]) {
    t.is(await ts(t, args), await ok(t, args), args.join(' '));
  }
  await ts(t, ['rm', child]);
  t.deepEqual(await rbdJson(t, ['snap', 'ls', parent, '--all']), []);
  await ts(t, ['rm', parent]);
});

// A parent snapshot in the trash namespace is named by its trash name (a uuid), as rbd does.
test.serial('info and ls -l of a clone whose parent snapshot is in the trash name it as rbd does', async (t) => {
  const parent = `${P2}/${n('tq')}`;
  const child = `${P2}/${n('td')}`;
  await ok(t, ['create', parent, '--size', '4']);
  await ok(t, ['snap', 'create', `${parent}@s`]);
  await ok(t, ['clone', '--rbd-default-clone-format', '2', `${parent}@s`, child]);
  await ok(t, ['snap', 'rm', `${parent}@s`]);
  try {
    t.is(await ts(t, ['info', child, '--format', 'json']), await ok(t, ['info', child, '--format', 'json']));
    t.is(await ts(t, ['ls', '-l', P2]), await ok(t, ['ls', '-l', P2]));
  } finally {
    await rbd(c, ['rm', child]);
    await rbd(c, ['rm', parent]);
  }
});

// ---- resize, rename -------------------------------------------------------------------------

test.serial('resize and rename: rbd-ts acts, rbd sees', async (t) => {
  const img = n('rs');
  await ok(t, ['create', `${P1}/${img}`, '--size', '10']);
  await ts(t, ['resize', `${P1}/${img}`, '--size', '1G']);
  t.is((await rbdJson(t, ['info', `${P1}/${img}`])).size, 1024 * MiB);
  await ts(t, ['resize', '-p', P1, '--image', img, '-s', '512M', '--allow-shrink', '--no-progress']);
  t.is((await rbdJson(t, ['info', `${P1}/${img}`])).size, 512 * MiB);
  await ts(t, ['resize', `${P1}/${img}`, '-s', '1536K', '--allow-shrink']);
  t.is((await rbdJson(t, ['info', `${P1}/${img}`])).objects, 1);
  t.is(await ts(t, ['info', `${P1}/${img}`]), await ok(t, ['info', `${P1}/${img}`]));

  await ts(t, ['rename', `${P1}/${img}`, `${P1}/${img}-2`]);
  await ts(t, ['mv', '-p', P1, `${img}-2`, `${img}-3`]);
  await ts(t, ['mv', '--pool', P1, '--image', `${img}-3`, '--dest', `${img}-4`]);
  t.deepEqual(
    (await rbdJson(t, ['ls', P1])).filter((x: string) => x.startsWith(img)),
    [`${img}-4`],
  );
  await ok(t, ['rename', `${P1}/${img}-4`, `${P1}/${img}`]);
  t.is((await rbdJson(t, ['info', `${P1}/${img}`])).size, 1536 * 1024);
  await ts(t, ['rm', `${P1}/${img}`, '--no-progress']);
});

test.serial('ls -l shows header locks as rbd does (excl, shr)', async (t) => {
  const a = `${P2}/${n('lk-a')}`;
  const b = `${P2}/${n('lk-b')}`;
  for (const img of [a, b]) await ok(t, ['create', img, '--size', '1']);
  await ok(t, ['lock', 'add', a, 'cookie']);
  await ok(t, ['lock', 'add', '--shared', 'tag', b, 'c1']);
  await ok(t, ['lock', 'add', '--shared', 'tag', b, 'c2']);
  for (const args of [
    ['ls', '-l', P2],
    ['ls', '-l', P2, '--format', 'json'],
  ]) {
    t.is(await ts(t, args), await ok(t, args), args.join(' '));
  }
  t.regex(await ts(t, ['ls', '-l', P2]), /excl/);
  // rbd rm waits for a lock held by a client that is gone: break them first
  for (const img of [a, b]) {
    for (const l of (await rbdJson(t, ['lock', 'ls', img])) as Array<{ id: string; locker: string }>) await ok(t, ['lock', 'rm', img, l.id, l.locker]);
    await ok(t, ['rm', img]);
  }
});

// ---- glance: the same command line as every verb ------------------------------------------------

test.serial('glance add with -c before the verb and after it, the image id as --image-id: rbd sees the image (sources and bundle)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rbd-ts-glance-cli-'));
  try {
    execFileSync(process.execPath, ['--import=tsx', join(ROOT, 'scripts/bundle-cli.ts'), dir], { cwd: ROOT });
    const bundled = join(dir, 'rbd-ts.cjs');
    const data = randomBytes(3 * MiB + 4321);
    const file = join(dir, 'disk.raw');
    writeFileSync(file, data);
    const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
    const runs: Array<[string, string | undefined, 'first' | 'last']> = [
      [n('gl-src-first'), undefined, 'first'], // rbd-ts -c conf glance add ... (was "unknown command 'glance'")
      [n('gl-src-last'), undefined, 'last'], // rbd-ts glance add ... -c conf
      [n('gl-bundle-first'), bundled, 'first'],
      [n('gl-bundle-last'), bundled, 'last'],
    ];
    for (const [id, cli, confAt] of runs) {
      const what = `${cli ? 'bundle' : 'sources'}, -c ${confAt}`;
      // --id is the cephx user here as everywhere: client.admin, the cluster's keyring
      const r = await runTs(['glance', 'add', file, '--pool', P1, '--image-id', id, '--id', 'admin', '--format', 'json'], cli, 'require', confAt);
      t.is(r.code, 0, `${what}: ${r.stderr}`);
      const out = JSON.parse(r.stdout) as { id: string; location: string; size: number; checksum: string };
      t.is(out.id, id, what);
      t.is(out.size, data.length, what);
      t.is(out.checksum, md5(data), what);
      t.regex(out.location, new RegExp(`^rbd://[0-9a-f-]{36}/${P1}/${id}/snap$`), what);
      // what rbd sees: the image named by --image-id, its protected snapshot, the file's bytes
      const info = await rbdJson(t, ['info', `${P1}/${id}`]);
      t.is(info.name, id, what);
      t.is(info.size, data.length, what);
      t.deepEqual(
        (await rbdJson(t, ['snap', 'ls', `${P1}/${id}`])).map((s: { name: string }) => s.name),
        ['snap'],
        what,
      );
      t.is((await rbdJson(t, ['info', `${P1}/${id}@snap`])).protected, 'true', what);
      const back = join(dir, `${id}.out`);
      await ok(t, ['export', '--no-progress', `${P1}/${id}@snap`, back]);
      t.is(md5(readFileSync(back)), md5(data), what);
      // rbd-ts reads it as rbd does
      t.is(
        (await runTs(['info', `${P1}/${id}`, '--format', 'json'], cli, 'require', confAt)).stdout,
        await ok(t, ['info', `${P1}/${id}`, '--format', 'json']),
        what,
      );
      // and glance rm takes the location, -c on the same side
      const rm = await runTs(['glance', 'rm', out.location], cli, 'require', confAt);
      t.is(rm.code, 0, `${what}: ${rm.stderr}`);
      t.not((await rbd(c, ['info', `${P1}/${id}`])).code, 0, `${what}: removed`);
    }
    // --id no longer names the image: an unknown cephx user fails to connect and creates nothing
    const stray = n('gl-not-an-image');
    const bad = await runTs(['glance', 'add', file, '--pool', P1, '--id', stray]);
    t.not(bad.code, 0, bad.stdout);
    t.regex(bad.stderr.trim(), /^rbd-ts: /);
    t.deepEqual(
      (await rbdJson(t, ['ls', P1])).filter((x: string) => x.startsWith(`cli${TAG}-gl`)),
      [],
    );
    // help as every verb's, with the options before the verb
    const help = await runTs(['glance', '--help']);
    t.is(help.code, 0, help.stderr);
    t.regex(help.stdout, /rbd-ts glance add FILE .*--image-id/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// ---- errors ---------------------------------------------------------------------------------

test.serial('global options after the verb and at the end, for every rbd verb: rbd sees what each did', async (t) => {
  const [img, dst, kid] = [n('anywhere'), n('anywhere2'), n('anywhere-kid')];
  const file = join(tmpdir(), `${img}.raw`);
  const back = join(tmpdir(), `${img}.back`);
  writeFileSync(file, randomBytes(3 * MiB));
  // each verb once with -c right after its first word, once with -c last; a run must succeed
  const steps: string[][] = [
    ['import', '--no-progress', file, `${P1}/${img}`],
    ['info', `${P1}/${img}`, '--format', 'json'],
    ['ls', P1],
    ['snap', 'create', `${P1}/${img}@s`],
    ['snap', 'protect', `${P1}/${img}@s`],
    ['snap', 'ls', `${P1}/${img}`],
    ['clone', `${P1}/${img}@s`, `${P1}/${kid}`],
    ['children', `${P1}/${img}@s`],
    ['flatten', '--no-progress', `${P1}/${kid}`],
    ['resize', '--size', '4M', `${P1}/${kid}`],
    ['rename', `${P1}/${kid}`, `${P1}/${dst}`],
    ['export', '--no-progress', `${P1}/${img}@s`, back],
    ['status'],
    ['snap', 'unprotect', `${P1}/${img}@s`],
    ['snap', 'rm', `${P1}/${img}@s`],
    ['rm', '--no-progress', `${P1}/${dst}`],
  ];
  try {
    for (const [i, args] of steps.entries()) {
      const at = i % 2 === 0 ? 'after-verb' : 'last';
      if (args[0] === 'export') rmSync(back, { force: true });
      const r = await runTs(args, undefined, 'require', at);
      t.is(r.code, 0, `rbd-ts ${args.join(' ')} (-c ${at}): ${r.stderr}`);
      if (args[0] === 'info') t.is((JSON.parse(r.stdout) as { size: number }).size, 3 * MiB);
    }
    // what rbd sees after the whole run
    const info = JSON.parse((await rbd(c, ['info', `${P1}/${img}`, '--format', 'json'])).stdout) as { size: number; snapshot_count: number };
    t.deepEqual([info.size, info.snapshot_count], [3 * MiB, 0]);
    t.is((await rbd(c, ['info', `${P1}/${dst}`])).code !== 0, true, 'the renamed clone was removed');
    t.deepEqual(readFileSync(back), readFileSync(file), 'export of the snapshot gives the imported bytes');
  } finally {
    await rbd(c, ['rm', `${P1}/${dst}`]).catch(() => undefined);
    await rbd(c, ['rm', `${P1}/${kid}`]).catch(() => undefined);
    await rbd(c, ['snap', 'unprotect', `${P1}/${img}@s`]).catch(() => undefined);
    await rbd(c, ['snap', 'purge', `${P1}/${img}`]).catch(() => undefined);
    await rbd(c, ['rm', `${P1}/${img}`]).catch(() => undefined);
    rmSync(file, { force: true });
    rmSync(back, { force: true });
  }
});

test.serial('errors: the exit status rbd gives, one line on stderr', async (t) => {
  const img = `${P1}/${n('err')}`;
  const other = `${P1}/${n('err2')}`;
  await ok(t, ['create', img, '--size', '4']);
  await ok(t, ['create', other, '--size', '4']);
  await ok(t, ['snap', 'create', `${img}@p`]);
  await ok(t, ['snap', 'protect', `${img}@p`]);
  await ok(t, ['snap', 'create', `${img}@u`]);
  const cases: string[][] = [
    // missing things
    ['info', `${P1}/nope-${TAG}`],
    ['info', `${img}@nope`],
    ['rm', `${P1}/nope-${TAG}`],
    ['resize', `${P1}/nope-${TAG}`, '--size', '5'],
    ['snap', 'ls', `${P1}/nope-${TAG}`],
    ['snap', 'rm', `${img}@nope`],
    ['snap', 'rollback', `${img}@nope`],
    ['snap', 'protect', `${img}@nope`],
    ['rename', `${P1}/nope-${TAG}`, `${P1}/zz-${TAG}`],
    ['clone', `${img}@nope`, `${P1}/cl-${TAG}`],
    ['children', `${P1}/nope-${TAG}`],
    ['ls', `nopool-${TAG}`],
    ['ls', `${P1}/nons`],
    ['create', `nopool-${TAG}/x`, '--size', '1'],
    ['create', `${P1}/x-${TAG}`, '--size', '1', '--data-pool', `nopool-${TAG}`],
    // existing names
    ['create', img, '--size', '1'],
    ['rename', img, other],
    ['snap', 'create', `${img}@p`],
    ['snap', 'rename', `${img}@u`, `${img}@p`],
    ['clone', `${img}@p`, other],
    // bad sizes and options
    ['create', `${P1}/x-${TAG}`, '--size', '1x'],
    ['create', `${P1}/x-${TAG}`, '--size', '-1'],
    ['create', `${P1}/x-${TAG}`, '--size', '1.5G'],
    ['create', `${P1}/x-${TAG}`, '-s', '1', '-s', '2'],
    ['create', `${P1}/x-${TAG}`],
    ['create', '--size', '1'],
    ['create', `${P1}/x-${TAG}`, '--size', '1', '--image-feature', 'foo'],
    ['create', `${P1}/x-${TAG}`, '--size', '1', '--image-feature', 'journaling'],
    ['create', `${P1}/x-${TAG}`, '--size', '1', '--image-feature', 'object-map'],
    ['create', `${P1}/x-${TAG}`, '--size', '1', '--order', '30'],
    ['create', `${P1}/x-${TAG}`, '--size', '1', '--object-size', '64M'],
    ['create', `${P1}/x-${TAG}`, '--size', '1', '--object-size', '2K'],
    ['create', `${P1}/x-${TAG}`, '--size', '1', '--stripe-unit', '64K'],
    ['create', `${P1}/x-${TAG}`, '--size', '1', '--stripe-unit', '3K', '--stripe-count', '2'],
    ['create', `${P1}/x-${TAG}`, '--size', '1', '--stripe-count', 'x'],
    ['resize', img, '--size', '1'],
    ['resize', img],
    ['ls', '--format', 'yaml'],
    ['ls', '--size', '1'],
    ['ls', 'a', 'b'],
    // bad specs
    ['info'],
    ['info', `${img}@`],
    ['rm', `${img}@p`],
    ['snap', 'ls', `${img}@p`],
    ['snap', 'create', img],
    ['snap', 'create', `${img}@x@y`],
    ['create', `${P1}/a/b/c`, '--size', '1'],
    ['create', `${P1}/x@y`, '--size', '1'],
    ['mv', img, `${P2}/zz`],
    ['mv', img, `${img}@s`],
    ['mv', img],
    ['snap', 'rename', `${img}@u`, 'v'],
    ['snap', 'rename', `${img}@u`, `${other}@v`],
    ['clone', img, `${P1}/cl-${TAG}`],
    // protection, snapshots in the way
    ['rm', img],
    ['snap', 'rm', `${img}@p`],
    ['snap', 'protect', `${img}@p`],
    ['snap', 'unprotect', `${img}@u`],
    ['clone', '--rbd-default-clone-format', '1', `${img}@u`, `${P1}/cl-${TAG}`],
  ];
  for (const args of cases) {
    const theirs = await rbd(c, args);
    const ours = await runTs(args);
    t.is(
      ours.code,
      theirs.code,
      `${args.join(' ')}: rbd ${theirs.code} (${theirs.stderr.trim().split('\n').pop()}), rbd-ts ${ours.code} (${ours.stderr.trim()})`,
    );
    t.not(ours.code, 0, args.join(' '));
    const lines = ours.stderr.trim().split('\n');
    // --order's deprecation warning comes first, as with rbd
    t.is(lines.filter((l) => !l.includes('deprecated')).length, 1, `${args.join(' ')}: ${ours.stderr}`);
    t.regex(lines[lines.length - 1]!, /^rbd-ts: /);
  }
  // nothing was left behind by the failed creates and clones
  t.deepEqual(
    (await rbdJson(t, ['ls', P1])).filter((x: string) => x.endsWith(`-${TAG}`)),
    [],
  );
  await ok(t, ['snap', 'unprotect', `${img}@p`]);
  await ok(t, ['snap', 'purge', img]);
  for (const i of [img, other]) await ok(t, ['rm', i]);
});
