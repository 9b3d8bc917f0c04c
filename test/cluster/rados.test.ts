// RADOS conformance on the shared 3-OSD cluster: what rbd-ts writes, `rados` reads, and
// the other way round; omap, xattrs, object classes, watch/notify, self-managed snaps,
// placement against `ceph osd map`, full pools, and writes across map changes.

import test from 'ava';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rados } from '../../src/rados/rados.js';
import { CephError } from '../../src/encoding/errno.js';
import { Encoder } from '../../src/encoding/encoder.js';
import { WriteOp, ReadOp } from '../../src/rados/op-builder.js';
import { ceph, rados, sharedCluster } from '../helpers/cluster.js';
import * as R from '../../src/rbd/cls/rbd.js';

let cluster: Rados;
let tmp: string;

test.before(async () => {
  const c = await sharedCluster();
  cluster = await Rados.connect({ conf: c.conf, timeoutMs: 20_000 });
  tmp = mkdtempSync(join(tmpdir(), 'rbd-ts-rados-'));
});

test.after.always(() => {
  cluster?.shutdown();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

test('objects written by rbd-ts read back identical with `rados get`, and the other way round', async (t) => {
  const c = await sharedCluster();
  const io = await cluster.openIoctx('rbd');
  for (const size of [0, 1, 4 << 20, 16 << 20]) {
    const data = randomBytes(size);
    const oid = `ts-put-${size}`;
    await io.writeFull(oid, data);
    const out = join(tmp, oid);
    const r = await rados(c, ['-p', 'rbd', 'get', oid, out]);
    t.is(r.code, 0, r.stderr);
    t.is(md5(readFileSync(out)), md5(data), `size ${size}`);
    t.is((await io.stat(oid)).size, size);

    const theirs = randomBytes(size);
    const src = join(tmp, `${oid}.src`);
    writeFileSync(src, theirs);
    t.is((await rados(c, ['-p', 'rbd', 'put', `cli-put-${size}`, src])).code, 0);
    const back = await io.read(`cli-put-${size}`, size + 10);
    t.is(md5(back), md5(theirs), `rados put ${size}`);
  }
  // partial writes and reads at offsets
  await io.writeFull('ts-partial', Buffer.from('hello world'));
  await io.write('ts-partial', Buffer.from('W'), 6);
  await io.append('ts-partial', Buffer.from('!'));
  t.is((await io.read('ts-partial')).toString(), 'hello World!');
  t.is((await io.read('ts-partial', 5, 6)).toString(), 'World');
  await io.truncate('ts-partial', 5);
  t.is((await io.read('ts-partial')).toString(), 'hello');
  await io.zero('ts-partial', 1, 2);
  t.deepEqual([...(await io.read('ts-partial'))], [104, 0, 0, 108, 111]);
  await io.remove('ts-partial');
  const e = await t.throwsAsync(io.stat('ts-partial'));
  t.is((e as CephError).code, 'ENOENT');
  t.is((e as CephError).errno, 2);
  const excl = `ts-excl-${randomBytes(4).toString('hex')}`;
  await io.create(excl, true);
  const ee = await t.throwsAsync(io.create(excl, true));
  t.is((ee as CephError).code, 'EEXIST');
});

test('namespaces: objects in a namespace are separate, listed per namespace as `rados ls -N` does', async (t) => {
  const c = await sharedCluster();
  const io = await cluster.openIoctx('rbd');
  const tag = randomBytes(3).toString('hex');
  const ns1 = io.withNamespace(`ns1-${tag}`);
  const ns2 = io.withNamespace(`ns2-${tag}`);
  await ns1.writeFull('same-name', Buffer.from('one'));
  await ns2.writeFull('same-name', Buffer.from('two'));
  await ns1.writeFull('only-in-1', Buffer.from('x'));
  t.is((await ns1.read('same-name')).toString(), 'one');
  t.is((await ns2.read('same-name')).toString(), 'two');
  const e = await t.throwsAsync(ns2.stat('only-in-1'));
  t.is((e as CephError).code, 'ENOENT');
  const mine: string[] = [];
  for await (const o of ns1.listObjects()) mine.push(o.oid);
  const theirs = (await rados(c, ['-p', 'rbd', '-N', `ns1-${tag}`, 'ls'])).stdout.trim().split('\n').sort();
  t.deepEqual(mine.sort(), theirs);
  t.deepEqual(mine, ['only-in-1', 'same-name']);
  // all namespaces
  const all: Array<{ oid: string; nspace: string }> = [];
  for await (const o of io.listObjects({ allNamespaces: true })) all.push(o);
  t.true(all.some((o) => o.nspace === `ns2-${tag}` && o.oid === 'same-name'));
  t.is((await rados(c, ['-p', 'rbd', '-N', `ns2-${tag}`, 'get', 'same-name', '-'])).stdout, 'two');
});

test('omap and xattrs agree with `rados listomapvals` / `getxattr`', async (t) => {
  const c = await sharedCluster();
  const io = await cluster.openIoctx('rbd');
  const oid = 'ts-omap';
  await io.create(oid);
  await io.setOmap(oid, { a: Buffer.from('1'), b: Buffer.from('22'), c: Buffer.from('333') });
  await io.setXattr(oid, 'user.color', Buffer.from('blue'));
  const keys = (await rados(c, ['-p', 'rbd', 'listomapkeys', oid])).stdout.trim().split('\n');
  t.deepEqual(keys, ['a', 'b', 'c']);
  t.is((await rados(c, ['-p', 'rbd', 'getomapval', oid, 'b', join(tmp, 'b')])).code, 0);
  t.is(readFileSync(join(tmp, 'b')).toString(), '22');
  t.is((await rados(c, ['-p', 'rbd', 'getxattr', oid, 'user.color'])).stdout, 'blue');

  await rados(c, ['-p', 'rbd', 'setomapval', oid, 'd', '4444']);
  await rados(c, ['-p', 'rbd', 'setxattr', oid, 'user.shape', 'round']);
  const page = await io.getOmapVals(oid, { maxReturn: 2 });
  t.deepEqual([...page.entries.keys()], ['a', 'b']);
  t.true(page.more);
  const rest = await io.getOmapVals(oid, { startAfter: 'b' });
  t.deepEqual([...rest.entries.keys()], ['c', 'd']);
  t.false(rest.more);
  t.is(rest.entries.get('d')!.toString(), '4444');
  t.deepEqual((await io.getOmapKeys(oid)).keys, ['a', 'b', 'c', 'd']);
  const byKeys = await io.getOmapValsByKeys(oid, ['c', 'zz']);
  t.deepEqual([...byKeys.keys()], ['c']);
  t.deepEqual((await io.getXattr(oid, 'user.shape')).toString(), 'round');
  const all = await io.getXattrs(oid);
  t.deepEqual([...all.keys()].filter((k) => k.startsWith('user.')).sort(), ['user.color', 'user.shape']);
  await io.removeOmapKeys(oid, ['a']);
  await io.rmXattr(oid, 'user.color');
  t.deepEqual((await rados(c, ['-p', 'rbd', 'listomapkeys', oid])).stdout.trim().split('\n'), ['b', 'c', 'd']);
  t.not((await rados(c, ['-p', 'rbd', 'getxattr', oid, 'user.color'])).code, 0);
  await io.clearOmap(oid);
  t.is((await rados(c, ['-p', 'rbd', 'listomapkeys', oid])).stdout.trim(), '');
  const ne = await t.throwsAsync(io.getXattr(oid, 'user.none'));
  t.is((ne as CephError).code, 'ENODATA');
});

test('execute runs a real object class; an unknown method is EOPNOTSUPP', async (t) => {
  const io = await cluster.openIoctx('rbd');
  const oid = 'ts-cls';
  await io.writeFull(oid, Buffer.from('x'));
  // lock.get_info with an empty cls_lock_get_info_op {name ""}: an empty lock description
  const getInfoIn = new Encoder().versioned(1, 1, (e) => e.string('')).toBuffer();
  const info = await io.execute(oid, 'lock', 'get_info', getInfoIn);
  t.true(info.length > 0);
  // version.read on an object with no version attr answers ENOENT? version.set then read
  const ver = new Encoder().versioned(1, 1, (e) => e.string('v1').u64(7n)).toBuffer();
  await io.execute(oid, 'version', 'set', ver, { write: true }).catch(() => Buffer.alloc(0));
  const err = await t.throwsAsync(io.execute(oid, 'lock', 'no_such_method'));
  t.is((err as CephError).code, 'EOPNOTSUPP');
  t.is((err as CephError).errno, 95);
  const err2 = await t.throwsAsync(io.execute(oid, 'no_such_class', 'x'));
  t.true(err2 instanceof CephError);
});

test('compound ops are atomic: a failing cmpext leaves the write undone', async (t) => {
  const io = await cluster.openIoctx('rbd');
  const oid = 'ts-compound';
  await io.writeFull(oid, Buffer.from('abcdef'));
  const e = await t.throwsAsync(io.operate(oid, new WriteOp().cmpext(0, Buffer.from('abXdef')).write(Buffer.from('ZZ'), 0)));
  t.true(e instanceof CephError);
  t.is((await io.read(oid)).toString(), 'abcdef');
  await io.operate(oid, new WriteOp().cmpext(0, Buffer.from('abcdef')).write(Buffer.from('ZZ'), 0).setXattr('user.k', Buffer.from('v')));
  t.is((await io.read(oid)).toString(), 'ZZcdef');
  const r = await io.operate(oid, new ReadOp().read(0, 2).stat().getXattr('user.k'));
  t.is(r.ops[0]!.outdata.toString(), 'ZZ');
  t.is(r.ops[2]!.outdata.toString(), 'v');
});

test('watch/notify between rbd-ts and `rados watch` / `rados notify`, both directions', async (t) => {
  const c = await sharedCluster();
  const io = await cluster.openIoctx('rbd');
  const oid = `ts-watch-${randomBytes(4).toString('hex')}`;
  await io.create(oid);
  // rbd-ts watches, rados notifies
  const got: string[] = [];
  const w = await io.watch(oid, (e) => {
    // `rados notify` sends its message encoded as a string (u32 length + bytes)
    got.push(e.payload.subarray(4).toString());
    return Buffer.from('pong');
  });
  const r = await rados(c, ['-p', 'rbd', 'notify', oid, 'ping-from-rados']);
  t.is(r.code, 0, r.stderr);
  t.deepEqual(got, ['ping-from-rados']);
  await w.unwatch();

  // rados watches, rbd-ts notifies
  const child = spawn('rados', ['-c', c.conf, '-p', 'rbd', 'watch', oid], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  try {
    for (let i = 0; i < 100 && !/press enter|watch/i.test(out); i++) await new Promise((res) => setTimeout(res, 100));
    await new Promise((res) => setTimeout(res, 500));
    const res = await io.notify(oid, 'ping-from-rbd-ts', { timeoutMs: 5000 });
    t.is(res.acks.length, 1);
    t.is(res.timeouts.length, 0);
    // `rados watch` prints the notifier, not the payload
    const me = `from ${cluster.cephx.globalId}`;
    for (let i = 0; i < 30 && !out.includes(me); i++) await new Promise((r2) => setTimeout(r2, 100));
    t.regex(out, /NOTIFY cookie \d+ notify_id \d+/);
    t.true(out.includes(me), out);
  } finally {
    // "press enter to exit": unwatches cleanly; wait for it to be gone (killed after 3 s)
    const exited = new Promise((res) => child.once('exit', res));
    child.stdin.end('\n');
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(kill);
  }
  // no watchers: the notify completes with no acks
  const none = await io.notify(oid, 'anyone?', { timeoutMs: 2000 });
  t.is(none.acks.length, 0);
});

test('a self-managed snapshot taken between two writes: reading at the snap id returns the old bytes', async (t) => {
  const io = await cluster.openIoctx('rbd');
  const oid = `ts-snap-${randomBytes(4).toString('hex')}`;
  const snap = await io.createSelfManagedSnap();
  t.true(snap > 0n);
  io.setSnapContext(snap, [snap]);
  await io.writeFull(oid, Buffer.from('before'));
  const snap2 = await io.createSelfManagedSnap();
  io.setSnapContext(snap2, [snap2, snap]);
  await io.writeFull(oid, Buffer.from('after!!'));
  t.is((await io.read(oid)).toString(), 'after!!');
  const atSnap = io.withNamespace('');
  atSnap.setReadSnap(snap2);
  t.is((await atSnap.read(oid)).toString(), 'before');
  atSnap.setReadSnap(snap);
  const gone = await t.throwsAsync(atSnap.read(oid));
  t.is((gone as CephError).code, 'ENOENT');
  await io.removeSelfManagedSnap(snap2);
  await io.removeSelfManagedSnap(snap);
});

test('objectLocation equals `ceph osd map` for 1,000 names on the live cluster', async (t) => {
  const c = await sharedCluster();
  const names = Array.from({ length: 1000 }, (_, i) => `obj-${i}-${randomBytes(3).toString('hex')}`);
  // `ceph osd map` is one process per name: check 60 that way, the rest through the mon
  let n = 0;
  for (const name of names) {
    const mine = await cluster.objectLocation('rbd', name);
    const theirs =
      n < 60
        ? JSON.parse((await ceph(c, ['osd', 'map', 'rbd', name, '--format', 'json'])).stdout)
        : await cluster.monCommandJson<Record<string, unknown>>({ prefix: 'osd map', pool: 'rbd', object: name });
    t.is(mine.pgid, theirs.pgid, name);
    t.is(mine.rawPgid, theirs.raw_pgid, name);
    t.deepEqual(mine.up, theirs.up, name);
    t.deepEqual(mine.acting, theirs.acting, name);
    t.is(mine.actingPrimary, theirs.acting_primary, name);
    n++;
  }
  // namespaces hash too
  const ns = await cluster.objectLocation('rbd', 'nsobj', { nspace: 'myns' });
  const theirs = await cluster.monCommandJson<{ raw_pgid: string }>({ prefix: 'osd map', pool: 'rbd', object: 'nsobj', nspace: 'myns' });
  t.is(ns.rawPgid, theirs.raw_pgid);
});

test('OSD sessions reset in the middle of 300 appends: every op is resent and applied once', async (t) => {
  const io = await cluster.openIoctx('rbd');
  const objecter = await cluster.objecter();
  const tag = randomBytes(3).toString('hex');
  const before = objecter.stats.resent;
  const payload = (i: number) => Buffer.from(`reset ${i};`.repeat(20));
  const writes = Array.from({ length: 300 }, (_, i) => io.append(`reset-${tag}-${i}`, payload(i), { timeoutMs: 60_000 }));
  let faults = 0;
  for (let k = 0; k < 5; k++) {
    await new Promise((r) => setTimeout(r, 3));
    faults += objecter.faultSessions();
  }
  await Promise.all(writes);
  t.true(faults > 0);
  t.log(`faulted ${faults} sessions, ${objecter.stats.resent - before} ops resent`);
  t.true(objecter.stats.resent - before > 0);
  for (let i = 0; i < 300; i++) t.true((await io.read(`reset-${tag}-${i}`, 1 << 16)).equals(payload(i)), `reset-${tag}-${i}`);
  // a watch survives a reset too
  const got: string[] = [];
  const w = await io.watch(`reset-${tag}-0`, (e) => {
    got.push(e.payload.toString());
  });
  objecter.faultSessions();
  await new Promise((r) => setTimeout(r, 300));
  const res = await io.notify(`reset-${tag}-0`, 'after-reset', { timeoutMs: 5000 });
  t.is(res.acks.length, 1);
  t.deepEqual(got, ['after-reset']);
  await w.unwatch();
});

test('a pool over its quota fails growing writes with EDQUOT in seconds; removals and watches still work there', async (t) => {
  const c = await sharedCluster();
  t.is((await ceph(c, ['osd', 'pool', 'create', 'quota', '8'])).code, 0);
  try {
    t.is((await ceph(c, ['osd', 'pool', 'set-quota', 'quota', 'max_objects', '3'])).code, 0);
    const io = await cluster.openIoctx('quota');
    for (let i = 0; i < 3; i++) await io.writeFull(`q${i}`, Buffer.alloc(1024, 1));
    // the mon flags the pool full once it sees the usage (from the OSDs' stats): poll
    let err: unknown;
    for (let i = 0; i < 120 && !err; i++) {
      err = await io.writeFull(`q-more-${i}`, Buffer.alloc(1024, 2), { timeoutMs: 30_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (!err) await new Promise((r) => setTimeout(r, 500));
    }
    t.true(err instanceof CephError, String(err));
    t.is((err as CephError).code, 'EDQUOT');
    t.is((err as CephError).errno, 122);
    // at once while the map says full, a class-method write included (a CALL is a read by its
    // op code; the operation as a whole is what writes)
    let t0 = Date.now();
    const again = await t.throwsAsync(io.writeFull('q-again', Buffer.alloc(10)));
    t.is((again as CephError).code, 'EDQUOT');
    // cls_rbd create makes the object (its omap): a class-method call alone that grows the pool
    const create = R.create(4 * 1024 * 1024, 22, 1, 'rbd_data.q-call', -1);
    const call = await t.throwsAsync(io.execute('rbd_header.q-call', create.cls, create.method, create.input, { write: true, timeoutMs: 30_000 }));
    t.is((call as CephError).code, 'EDQUOT');
    t.true(Date.now() - t0 < 5000, `${Date.now() - t0} ms`);
    // what frees space or needs none still goes through
    t0 = Date.now();
    const w = await io.watch('q0', () => undefined, { timeoutMs: 10_000 });
    await w.unwatch();
    await io.remove('q2', { timeoutMs: 10_000 });
    t.true(Date.now() - t0 < 5000, `${Date.now() - t0} ms`);
    await t.throwsAsync(io.stat('q2'), { code: 'ENOENT' });
  } finally {
    await ceph(c, ['osd', 'pool', 'rm', 'quota', 'quota', '--yes-i-really-really-mean-it']);
  }
});

test('500 writes while an OSD goes out and back in and pg_num changes: each completes once and reads back', async (t) => {
  const c = await sharedCluster();
  t.is((await ceph(c, ['osd', 'pool', 'create', 'churn', '8'])).code, 0);
  try {
    const io = await cluster.openIoctx('churn');
    const objecter = await cluster.objecter();
    const before = { ...objecter.stats };
    const payload = (i: number) => Buffer.from(`object ${i} `.repeat(50));
    let done = 0;
    const writes = Array.from({ length: 500 }, async (_, i) => {
      await new Promise((r) => setTimeout(r, i * 8)); // spread over ~4 s
      await io.append(`churn-${i}`, payload(i), { timeoutMs: 120_000 });
      done++;
    });
    await new Promise((r) => setTimeout(r, 400));
    t.is((await ceph(c, ['osd', 'out', '1'])).code, 0);
    await new Promise((r) => setTimeout(r, 800));
    t.is((await ceph(c, ['osd', 'pool', 'set', 'churn', 'pg_num', '16'])).code, 0);
    await new Promise((r) => setTimeout(r, 800));
    t.is((await ceph(c, ['osd', 'in', '1'])).code, 0);
    await Promise.all(writes);
    t.is(done, 500);
    // the map changes moved ops: some went out again (same tid, next attempt)
    t.true(objecter.stats.mapChanges - before.mapChanges >= 3);
    t.log(`sent ${objecter.stats.sent - before.sent}, resent ${objecter.stats.resent - before.resent}, maps ${objecter.stats.mapChanges - before.mapChanges}`);
    // append is not idempotent: a write applied twice would show its payload twice
    for (let i = 0; i < 500; i++) {
      const got = await io.read(`churn-${i}`, 1 << 20);
      t.true(got.equals(payload(i)), `churn-${i}: ${got.length} bytes`);
    }
  } finally {
    await ceph(c, ['osd', 'in', '1']);
    await ceph(c, ['osd', 'pool', 'rm', 'churn', 'churn', '--yes-i-really-really-mean-it']);
  }
});

test('a watch abandoned by abort or deadline leaves no watcher on the OSD', async (t) => {
  const c = await sharedCluster();
  const cluster = await Rados.connect({ conf: c.conf, timeoutMs: 20_000 });
  const io = await cluster.openIoctx('rbd');
  const oid = `abandoned-watch-${randomBytes(3).toString('hex')}`;
  try {
    await io.writeFull(oid, Buffer.from('x'));
    let failed = 0;
    // give up on watches at 0-2 ms, while they are on the wire or at the OSD, until 6 were abandoned
    for (let i = 0; i < 300 && failed < 6; i++) {
      const ac = new AbortController();
      const p = io.watch(oid, () => undefined, i % 2 ? { signal: ac.signal } : { timeoutMs: 1 + (i % 2) });
      if (i % 2) setTimeout(() => ac.abort(), (i >> 1) % 3);
      await p.then(
        (w) => w.unwatch(),
        () => failed++,
      );
    }
    t.is(failed, 6, 'watches were abandoned');
    let left = -1;
    for (let k = 0; k < 50 && left !== 0; k++) {
      left = (await io.listWatchers(oid)).length;
      if (left) await new Promise((r) => setTimeout(r, 100));
    }
    t.is(left, 0);
  } finally {
    await io.remove(oid).catch(() => undefined);
    cluster.shutdown();
  }
});
