// Interrupted creates and what is left of them (the issue "Faults", point 3), on the shared
// cluster, with the bundled command (scripts/bundle-cli.ts, as `npm run build` makes it):
//
//  * every state an interrupted create or clone can leave, built by hand with cls calls, is
//    removed completely by `rbd-ts rm NAME` (exit 0): `rados ls` shows none of its objects
//    and the directory no entry;
//  * what no name leads to is listed by `rbd-ts orphans ls` (only what is old enough), and
//    removed by `orphans rm`, clone records included: the parent snapshot can then be
//    unprotected and removed by `rbd`; valid images (clones, renamed, in the trash) are never
//    reported;
//  * clones SIGKILLed at random moments leave only what `rm NAME` removes;
//  * create and clone still make what `rbd info --format json` shows for librbd's twins.
//
// Everything lives in a pool made for the run, one namespace per test.

import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { IoCtx } from '../../src/rados/ioctx.js';
import { Rados } from '../../src/rados/rados.js';
import { call, writeOp } from '../../src/rbd/cls/exec.js';
import * as R from '../../src/rbd/cls/rbd.js';
import { Image, RBD } from '../../src/rbd/index.js';
import { RBD_CHILDREN, RBD_DIRECTORY, headerObject, idObject, objectMapObject } from '../../src/rbd/names.js';
import { ceph, rados, rbd, sharedCluster, type CommandResult, type TestCluster } from '../helpers/cluster.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const TAG = randomBytes(3).toString('hex');
const POOL = `orph-${TAG}`;
const MiB = 1 << 20;

let c: TestCluster;
let cl: Rados;
let io: IoCtx;
let bundleDir: string;
let CLI: string;

test.before(async () => {
  c = await sharedCluster();
  for (const args of [
    ['osd', 'pool', 'create', POOL, '8', '8'],
    ['osd', 'pool', 'application', 'enable', POOL, 'rbd'],
  ]) {
    const r = await ceph(c, args);
    if (r.code !== 0) throw new Error(`ceph ${args.join(' ')}: ${r.stderr}`);
  }
  cl = await Rados.connect({ conf: c.conf, timeoutMs: 20_000 });
  io = await cl.openIoctx(POOL);
  // the command as `npm run build` makes it (one bundle and its code cache)
  bundleDir = mkdtempSync(join(tmpdir(), 'rbd-ts-orphans-'));
  execFileSync(process.execPath, ['--import=tsx', join(ROOT, 'scripts/bundle-cli.ts'), bundleDir], { cwd: ROOT });
  CLI = join(bundleDir, 'rbd-ts.cjs');
});

test.after.always(async () => {
  cl?.shutdown();
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
  if (c) await ceph(c, ['osd', 'pool', 'rm', POOL, POOL, '--yes-i-really-really-mean-it']);
});

// ---- helpers ----------------------------------------------------------------------------------

/** The bundled rbd-ts with -c conf first; `kill` (ms) SIGKILLs it then. */
function runTs(args: string[], killAfterMs?: number): Promise<CommandResult & { ms: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [CLI, '-c', c.conf, ...args], {
      cwd: ROOT,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = killAfterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), killAfterMs) : undefined;
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        code: code ?? (signal === 'SIGKILL' ? 137 : 128),
        ms: performance.now() - t0,
      });
    });
  });
}

/** rbd-ts; the command must succeed. */
async function ts(t: ExecutionContext, args: string[]): Promise<string> {
  const r = await runTs(args);
  t.is(r.code, 0, `rbd-ts ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function ok(t: ExecutionContext, args: string[]): Promise<string> {
  const r = await rbd(c, args);
  t.is(r.code, 0, `rbd ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A namespace of the run's pool, with the IoCtx on it. */
async function namespace(name: string): Promise<{ ns: string; nio: IoCtx; spec: (image: string) => string }> {
  const ns = `${name}-${TAG}`;
  const r = await rbd(c, ['namespace', 'create', '--pool', POOL, '--namespace', ns]);
  if (r.code !== 0) throw new Error(`rbd namespace create ${ns}: ${r.stderr}`);
  return { ns, nio: io.withNamespace(ns), spec: (image: string) => `${POOL}/${ns}/${image}` };
}

/** `rados ls` of a namespace, sorted */
async function radosLs(ns: string): Promise<string[]> {
  const r = await rados(c, ['-p', POOL, '-N', ns, 'ls']);
  if (r.code !== 0) throw new Error(`rados ls: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).sort();
}

async function omapKeys(ns: string, oid: string): Promise<string[]> {
  const r = await rados(c, ['-p', POOL, '-N', ns, 'listomapkeys', oid]);
  return r.code === 0 ? r.stdout.split('\n').filter(Boolean).sort() : [];
}

const dirKeys = (ns: string) => omapKeys(ns, RBD_DIRECTORY);

/** An image's objects in `rados ls` (its id in the object name, or rbd_id.<name>). */
async function objectsOf(ns: string, id: string, name?: string): Promise<string[]> {
  return (await radosLs(ns)).filter((x) => x.includes(id) || (name !== undefined && x === idObject(name)));
}

/** A new image with data in two objects (and an object map), closed; its id. */
async function imageWithData(nio: IoCtx, name: string, features?: number): Promise<string> {
  await RBD.create(nio, name, 16 * MiB, features !== undefined ? { features } : {});
  const img = await Image.open(nio, name);
  await img.write(Buffer.alloc(4096, 7), 0);
  await img.write(Buffer.alloc(4096, 8), 9 * MiB);
  const id = img.id;
  await img.close();
  return id;
}

/** A parent image with a protected snapshot 's'; its id and the snapshot id. */
async function parentWithSnap(nio: IoCtx, name: string): Promise<{ id: string; snapId: bigint }> {
  const id = await imageWithData(nio, name);
  const img = await Image.open(nio, name);
  const snapId = await img.createSnap('s').then(() => img.listSnaps().find((s) => s.name === 's')!.id);
  await img.protectSnap('s');
  await img.close();
  return { id, snapId };
}

/** An image's id (opened read-only, closed again). */
async function idOf(nio: IoCtx, name: string): Promise<string> {
  const img = await Image.open(nio, name, { readOnly: true });
  await img.close();
  return img.id;
}

const removeName = (nio: IoCtx, name: string, id: string) =>
  Promise.all([nio.remove(idObject(name)), call(nio, RBD_DIRECTORY, R.dirRemoveImage(name, id))]).then(() => undefined);

interface OrphanJson {
  kind: string;
  id: string;
  name?: string;
  parent?: { pool_id: number; pool_namespace: string; image_id: string; snap_id: number };
  clone_format?: number;
  objects: string[];
  detail: string;
}

async function orphansLs(t: ExecutionContext, spec: string, olderThan = '0'): Promise<OrphanJson[]> {
  return JSON.parse(await ts(t, ['orphans', 'ls', spec, '--older-than', olderThan, '--format', 'json'])) as OrphanJson[];
}

const summary = (list: OrphanJson[]) => list.map((o) => `${o.kind}:${o.name ?? o.id}`).sort();

// ---- rm NAME ----------------------------------------------------------------------------------

test.serial('rm NAME removes completely (exit 0) every state an interrupted create leaves, named by rbd_id, the directory or both', async (t) => {
  const { ns, nio, spec } = await namespace('rm');
  const fake = (i: number) => `fa${TAG}${i}`;
  const cases: Array<{ label: string; name: string; make: (name: string) => Promise<string> }> = [
    {
      label: 'rbd_id only',
      name: 'only-id',
      make: async (name) => {
        await nio.operate(idObject(name), writeOp([R.setId(fake(1))], { createExclusive: true }));
        return fake(1);
      },
    },
    {
      label: 'directory entry only',
      name: 'only-dir',
      make: async (name) => {
        await call(nio, RBD_DIRECTORY, R.dirAddImage(name, fake(2)));
        return fake(2);
      },
    },
    {
      label: 'rbd_id and directory entry, no header (cut after round 1)',
      name: 'name-only',
      make: async (name) => {
        await call(nio, RBD_DIRECTORY, R.dirAddImage(name, fake(3)));
        await nio.operate(idObject(name), writeOp([R.setId(fake(3))], { createExclusive: true }));
        return fake(3);
      },
    },
    {
      label: 'the name and an object map, no header (round 2 half done)',
      name: 'no-header',
      make: async (name) => {
        await RBD.create(nio, name, 8 * MiB);
        const id = await idOf(nio, name);
        await nio.remove(headerObject(id));
        return id;
      },
    },
    {
      label: 'rbd_id, header, object map and data, no directory entry',
      name: 'no-dir',
      make: async (name) => {
        const id = await imageWithData(nio, name);
        await call(nio, RBD_DIRECTORY, R.dirRemoveImage(name, id));
        return id;
      },
    },
    {
      label: 'directory entry, header, object map and data, no rbd_id',
      name: 'no-id',
      make: async (name) => {
        const id = await imageWithData(nio, name);
        await nio.remove(idObject(name));
        return id;
      },
    },
  ];
  for (const k of cases) {
    const id = await k.make(k.name);
    t.true((await objectsOf(ns, id, k.name)).length > 0 || (await dirKeys(ns)).includes(`name_${k.name}`), `${k.label}: something to remove`);
    const r = await runTs(['rm', spec(k.name)]);
    t.is(r.code, 0, `${k.label}: rbd-ts rm: ${r.stderr}`);
    t.is(r.stderr, '', k.label);
    t.deepEqual(await objectsOf(ns, id, k.name), [], `${k.label}: none of its objects left`);
    t.false(
      (await dirKeys(ns)).some((x) => x === `name_${k.name}` || x === `id_${id}`),
      `${k.label}: no directory entry left`,
    );
    t.is((await runTs(['rm', spec(k.name)])).code, 2, `${k.label}: then the name is gone (ENOENT)`);
  }
  // Reef's and Tentacle's `rbd namespace create` leave an empty rbd_trash (rbd-ts never writes it)
  const left = await radosLs(ns);
  t.deepEqual(
    left.filter((x) => x !== 'rbd_trash'),
    [RBD_DIRECTORY],
  );
  if (left.includes('rbd_trash')) t.deepEqual(await omapKeys(ns, 'rbd_trash'), [], 'rbd_trash is empty');
});

// ---- orphans ls / rm --------------------------------------------------------------------------

test.serial('orphans ls lists exactly the debris no name leads to (old enough only); orphans rm removes it; valid images are never touched', async (t) => {
  const { ns, nio, spec } = await namespace('scan');
  const poolSpec = `${POOL}/${ns}`;
  // debris: nameless image (header, object map, data), nameless header (no object map), a lone object map, lone data
  const full = await imageWithData(nio, 'nameless-full');
  await removeName(nio, 'nameless-full', full);
  const bare = await imageWithData(nio, 'nameless-bare', 1);
  await removeName(nio, 'nameless-bare', bare);
  await RBD.create(nio, 'nameless-map', 8 * MiB);
  const map = await idOf(nio, 'nameless-map');
  await removeName(nio, 'nameless-map', map);
  await nio.remove(headerObject(map));
  const data = await imageWithData(nio, 'nameless-data', 1);
  await removeName(nio, 'nameless-data', data);
  await nio.remove(headerObject(data));
  // a name without a directory entry (rm NAME removes it), and a stale rbd_id of a renamed image
  const noDir = await imageWithData(nio, 'no-dir');
  await call(nio, RBD_DIRECTORY, R.dirRemoveImage('no-dir', noDir));
  // valid images: plain, renamed, a clone, one in the trash, one librbd made
  await imageWithData(nio, 'plain');
  const renamed = await imageWithData(nio, 'before-rename');
  await RBD.rename(nio, 'before-rename', 'renamed');
  await nio.operate(idObject('stale'), writeOp([R.setId(renamed)], { createExclusive: true })); // a rename cut short
  await parentWithSnap(nio, 'parent');
  await RBD.clone(nio, 'parent', 's', nio, 'clone', { cloneFormat: 2 });
  const trashed = await imageWithData(nio, 'trashed');
  await ok(t, ['trash', 'mv', spec('trashed')]);
  await ok(t, ['create', '--size', '4M', spec('librbd-made')]);

  const expected = [`image:${full}`, `image:${bare}`, `image:${map}`, `image:${data}`, 'name:no-dir', 'id:stale'].sort();
  // nothing is old enough by default (60 s) or with --older-than 3600
  t.deepEqual(await RBD.listOrphans(nio), []);
  t.deepEqual(await orphansLs(t, poolSpec, '3600'), []);
  const found = await orphansLs(t, poolSpec);
  t.deepEqual(summary(found), expected);
  const byId = new Map(found.map((o) => [o.name ?? o.id, o]));
  t.deepEqual(byId.get(full)!.objects.sort(), (await objectsOf(ns, full)).sort(), 'every object of the nameless image is listed');
  t.deepEqual(byId.get(map)!.objects, [objectMapObject(map)]);
  t.true(byId.get(data)!.objects.every((x) => x.startsWith(`rbd_data.${data}.`)) && byId.get(data)!.objects.length === 2);
  t.is(byId.get('no-dir')!.id, noDir);
  t.is(byId.get('stale')!.id, renamed);
  // the API sees the same
  t.deepEqual((await RBD.listOrphans(nio, { minAgeMs: 0 })).map((o) => `${o.kind}:${o.name ?? o.id}`).sort(), expected);
  // plain text: one row each
  const plain = await ts(t, ['orphans', 'ls', poolSpec, '--older-than', '0']);
  t.regex(plain, /^KIND +ID +NAME +OBJECTS +AGE +DETAIL *\n/);
  t.is(plain.trim().split('\n').length, 1 + expected.length);

  // a dry run removes nothing
  const before = await radosLs(ns);
  const dry = JSON.parse(await ts(t, ['orphans', 'rm', poolSpec, '--older-than', '0', '--dry-run', '--format', 'json'])) as {
    removed: OrphanJson[];
    skipped: unknown[];
  };
  t.deepEqual(summary(dry.removed), expected);
  t.deepEqual(dry.skipped, []);
  t.deepEqual(await radosLs(ns), before);
  t.regex(await ts(t, ['orphans', 'rm', poolSpec, '--older-than', '3600']), /^removed 0 orphan\(s\), skipped 0\n$/);

  const out = await ts(t, ['orphans', 'rm', poolSpec, '--older-than', '0']);
  t.regex(out, /removed 6 orphan\(s\), skipped 0\n$/);
  for (const id of [full, bare, map, data, noDir]) t.deepEqual(await objectsOf(ns, id), [], `nothing of ${id} left`);
  t.false((await radosLs(ns)).includes(idObject('stale')));
  t.deepEqual(await orphansLs(t, poolSpec), []);
  // the valid images are intact
  for (const name of ['plain', 'renamed', 'parent', 'clone', 'librbd-made']) t.is((await rbd(c, ['info', spec(name)])).code, 0, name);
  t.is(JSON.parse(await ok(t, ['info', spec('clone'), '--format', 'json'])).parent.image, 'parent');
  t.deepEqual(
    (JSON.parse(await ok(t, ['trash', 'ls', `${POOL}/${ns}`, '--format', 'json'])) as Array<{ id: string }>).map((x) => x.id),
    [trashed],
  );
  t.deepEqual(
    (await dirKeys(ns)).filter((k) => k.startsWith('name_')),
    ['name_clone', 'name_librbd-made', 'name_parent', 'name_plain', 'name_renamed'],
  );
});

// ---- clones -----------------------------------------------------------------------------------

test.serial(
  "clone debris: the child's parent link without the parent's record (rm NAME), a nameless clone and records of missing children (orphans rm); then rbd unprotects and removes the snapshot",
  async (t) => {
    const { ns, nio, spec } = await namespace('clones');
    const poolSpec = `${POOL}/${ns}`;
    const parent = await parentWithSnap(nio, 'parent');
    const pspec: R.ParentImageSpec = { poolId: io.poolId, poolNamespace: ns, imageId: parent.id, snapId: parent.snapId };
    const childSpec = (imageId: string): R.ChildImageSpec => ({ poolId: io.poolId, poolNamespace: ns, imageId });

    // v2 and v1 children whose header names the parent while the parent has no record of them
    await RBD.clone(nio, 'parent', 's', nio, 'no-record-v2', { cloneFormat: 2 });
    const noRec2 = await idOf(nio, 'no-record-v2');
    await call(nio, headerObject(parent.id), R.childDetach(parent.snapId, childSpec(noRec2)));
    await RBD.clone(nio, 'parent', 's', nio, 'no-record-v1', { cloneFormat: 1 });
    const noRec1 = await idOf(nio, 'no-record-v1');
    await call(nio, RBD_CHILDREN, R.removeChild({ ...pspec, poolNamespace: '' }, noRec1));
    for (const [name, id] of [
      ['no-record-v2', noRec2],
      ['no-record-v1', noRec1],
    ] as const) {
      const r = await runTs(['rm', spec(name)]);
      t.is(r.code, 0, `rm ${name}: ${r.stderr}`);
      t.deepEqual(await objectsOf(ns, id, name), [], `nothing of ${name} left`);
    }

    // a nameless v2 clone (header with the parent link, and the parent's record)
    await RBD.clone(nio, 'parent', 's', nio, 'nameless', { cloneFormat: 2 });
    const nameless = await idOf(nio, 'nameless');
    await removeName(nio, 'nameless', nameless);
    // records of children that have no header: child_attach (v2) and rbd_children (v1) made by hand
    const ghost2 = `90${TAG}2`;
    const ghost1 = `90${TAG}1`;
    await call(nio, headerObject(parent.id), R.childAttach(parent.snapId, childSpec(ghost2)));
    await call(nio, RBD_CHILDREN, R.addChild({ ...pspec, poolNamespace: '' }, ghost1));
    // the phantom children hold the snapshot: rbd refuses to unprotect it (the v1 record), rbd-ts too
    t.not((await rbd(c, ['snap', 'unprotect', `${spec('parent')}@s`])).code, 0);

    const found = await orphansLs(t, poolSpec);
    t.deepEqual(summary(found), [`child:${ghost1}`, `child:${ghost2}`, `image:${nameless}`].sort());
    const img = found.find((o) => o.kind === 'image')!;
    t.deepEqual(img.parent, { pool_id: io.poolId, pool_namespace: ns, image_id: parent.id, snap_id: Number(parent.snapId) });
    t.deepEqual(
      found
        .filter((o) => o.kind === 'child')
        .map((o) => [o.id, o.clone_format])
        .sort(),
      [
        [ghost1, 1],
        [ghost2, 2],
      ],
    );
    t.regex(await ts(t, ['orphans', 'rm', poolSpec, '--older-than', '0']), /removed 3 orphan\(s\), skipped 0\n$/);
    t.deepEqual(await objectsOf(ns, nameless), []);
    t.deepEqual(await orphansLs(t, poolSpec), []);
    t.deepEqual(await call(nio, headerObject(parent.id), R.childrenList(parent.snapId)).catch(() => []), []);

    // no phantom child: rbd unprotects and removes the snapshot (not into the trash namespace), then the parent
    await ok(t, ['snap', 'unprotect', `${spec('parent')}@s`]);
    await ok(t, ['snap', 'rm', `${spec('parent')}@s`]);
    t.deepEqual(JSON.parse(await ok(t, ['snap', 'ls', '--all', spec('parent'), '--format', 'json'])), []);
    await ok(t, ['rm', spec('parent')]);
    // (rbd rm goes through the trash: its first use leaves an empty rbd_trash; rbd_children stays, empty)
    t.deepEqual(await omapKeys(ns, RBD_CHILDREN), []);
    t.deepEqual(
      (await radosLs(ns)).filter((x) => x !== 'rbd_trash' && x !== RBD_CHILDREN),
      [RBD_DIRECTORY],
    );
  },
);

test.serial(
  'clones SIGKILLed at random moments (bundled rbd-ts, formats 1 and 2): rm NAME removes whatever each left, nothing is nameless, the snapshot comes free',
  async (t) => {
    const { ns, nio, spec } = await namespace('kill');
    await parentWithSnap(nio, 'parent');
    // (the first format 1 clone makes rbd_children, which stays once empty)
    const baseline = [...(await radosLs(ns)), RBD_CHILDREN];
    const clone = (name: string, format: 1 | 2, killAfterMs?: number) =>
      runTs(['clone', `${spec('parent')}@s`, spec(name), '--rbd_default_clone_format', String(format)], killAfterMs);
    // how long a whole clone takes (start-up, connect, the clone): the kills land within it
    const whole = await clone('whole', 2);
    t.is(whole.code, 0, whole.stderr);
    t.is((await runTs(['rm', spec('whole')])).code, 0);
    // the kills home in on the moments the clone writes: after a kill that left nothing the
    // next lands later, after one that let the clone finish earlier
    const outcomes: string[] = [];
    const states = { early: 0, partial: 0, done: 0 };
    let [lo, hi] = [0, whole.ms * 1.2];
    // at least 12 runs, then until 3 kills have landed mid-clone (at most 40)
    for (let i = 0; i < 40 && (i < 12 || states.partial < 3); i++) {
      const name = `k${i}`;
      const format = i % 2 ? 1 : 2;
      const at = lo + Math.random() * (hi - lo);
      const r = await clone(name, format, at);
      const left = (await radosLs(ns)).filter((x) => !baseline.includes(x));
      const named = (await dirKeys(ns)).includes(`name_${name}`);
      const state = r.code === 0 ? 'done' : left.length || named ? 'partial' : 'early';
      states[state]++;
      if (state === 'early') lo = at;
      if (state === 'done') hi = at;
      if (hi - lo < 4) [lo, hi] = [Math.max(0, lo - 20), hi + 20];
      const rm = await runTs(['rm', spec(name)]);
      const what = `${name} (v${format}, killed at ${at.toFixed(0)} ms: ${state}, ${left.join(' ')}${named ? ' + directory entry' : ''})`;
      t.is(rm.code, state === 'early' ? 2 : 0, `${what}: rm: ${rm.stderr}`);
      t.deepEqual(
        (await radosLs(ns)).filter((x) => !baseline.includes(x)),
        [],
        `${what}: nothing left after rm`,
      );
      t.false((await dirKeys(ns)).includes(`name_${name}`), what);
      outcomes.push(`${state}@${at.toFixed(0)}ms:${left.length}${named ? '+d' : ''}`);
    }
    t.log(`a whole clone ${whole.ms.toFixed(0)} ms; ${JSON.stringify(states)}; ${outcomes.join(' ')}`);
    t.deepEqual(await omapKeys(ns, RBD_CHILDREN), [], 'no format 1 record left');
    t.true(states.partial > 0, 'some kills landed while the clone was writing');
    t.deepEqual(await orphansLs(t, `${POOL}/${ns}`), []);
    t.deepEqual(JSON.parse(await ok(t, ['children', '--all', `${spec('parent')}@s`, '--format', 'json'])), []);
    await ok(t, ['snap', 'unprotect', `${spec('parent')}@s`]);
    await ok(t, ['snap', 'rm', `${spec('parent')}@s`]);
    t.deepEqual(JSON.parse(await ok(t, ['snap', 'ls', '--all', spec('parent'), '--format', 'json'])), []);
  },
);

// ---- create and clone as before -------------------------------------------------------------

/** `rbd info` JSON without what differs between twins. */
function twinInfo(j: Record<string, unknown>): Record<string, unknown> {
  const { id: _id, name: _n, block_name_prefix: _b, create_timestamp: _c, access_timestamp: _a, modify_timestamp: _m, ...rest } = j;
  return rest;
}

test.serial('create and clone (formats 1 and 2, striped) still make what rbd info shows for librbd twins; the clone has the parent metadata', async (t) => {
  const { nio, spec } = await namespace('twins');
  const info = async (name: string) => twinInfo(JSON.parse(await ok(t, ['info', spec(name), '--format', 'json'])) as Record<string, unknown>);
  await RBD.create(nio, 'ts-plain', 16 * MiB);
  await ok(t, ['create', '--size', '16M', spec('lib-plain')]);
  t.deepEqual(await info('ts-plain'), await info('lib-plain'));
  await RBD.create(nio, 'ts-striped', 16 * MiB, { stripeUnit: 65536, stripeCount: 4, order: 20 });
  await ok(t, ['create', '--size', '16M', '--stripe-unit', '64K', '--stripe-count', '4', '--object-size', '1M', spec('lib-striped')]);
  t.deepEqual(await info('ts-striped'), await info('lib-striped'));
  await parentWithSnap(nio, 'parent');
  await ok(t, ['image-meta', 'set', spec('parent'), 'conf_rbd_cache', 'false']);
  for (const format of [1, 2] as const) {
    await RBD.clone(nio, 'parent', 's', nio, `ts-c${format}`, { cloneFormat: format });
    await ok(t, ['clone', '--rbd_default_clone_format', String(format), `${spec('parent')}@s`, spec(`lib-c${format}`)]);
    t.deepEqual(await info(`ts-c${format}`), await info(`lib-c${format}`), `clone format ${format}`);
    t.deepEqual(
      JSON.parse(await ok(t, ['image-meta', 'list', spec(`ts-c${format}`), '--format', 'json'])),
      JSON.parse(await ok(t, ['image-meta', 'list', spec(`lib-c${format}`), '--format', 'json'])),
    );
  }
  const sImg = await Image.open(nio, 'ts-striped');
  await sImg.createSnap('s');
  await sImg.protectSnap('s');
  await sImg.close();
  await ok(t, ['snap', 'create', `${spec('lib-striped')}@s`]);
  await ok(t, ['snap', 'protect', `${spec('lib-striped')}@s`]);
  await RBD.clone(nio, 'ts-striped', 's', nio, 'ts-cs', { cloneFormat: 2 });
  await ok(t, ['clone', '--rbd_default_clone_format', '2', `${spec('lib-striped')}@s`, spec('lib-cs')]);
  const [a, b] = [await info('ts-cs'), await info('lib-cs')];
  t.deepEqual(
    { ...a, parent: { ...(a.parent as object), image: '', id: '' } },
    { ...b, parent: { ...(b.parent as object), image: '', id: '' } },
    'striped clone',
  );
  t.deepEqual(
    (JSON.parse(await ok(t, ['children', '--all', `${spec('parent')}@s`, '--format', 'json'])) as Array<{ image: string }>).map((x) => x.image).sort(),
    ['lib-c1', 'lib-c2', 'ts-c1', 'ts-c2'],
  );
  t.deepEqual(await RBD.listOrphans(nio, { minAgeMs: 0 }), [], 'no orphan among valid images');
});
