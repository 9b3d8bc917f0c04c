// The RBD exclusive lock against librbd (python3-rbd) and the rbd/rados/ceph commands: rbd-ts
// takes `rbd_lock` with librbd's cookie and tag, asks a librbd holder for it and gives it up
// when asked (turn-taking without losing a write), never breaks a live owner's lock, breaks a
// dead owner's as librbd does (blocklist + break_lock), and sees librbd's HEADER_UPDATE.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { CephError } from '../../src/encoding/errno.js';
import { Rados } from '../../src/rados/rados.js';
import { Image, RBD } from '../../src/rbd/index.js';
import { call } from '../../src/rbd/cls/exec.js';
import * as L from '../../src/rbd/cls/lock.js';
import { decodeNotifyMessage, NotifyOp } from '../../src/rbd/watch-notify.js';
import { ExclusiveLock } from '../../src/rbd/exclusive-lock.js';
import { ImageWatcher } from '../../src/rbd/image-watcher.js';
import { librbd, librbdProcess } from '../helpers/librbd.js';
import { ceph, rados, rbd, sharedCluster } from '../helpers/cluster.js';

const MiB = 1 << 20;
const KiB = 1024;
const tag = randomBytes(3).toString('hex');
const name = (s: string) => `lock-${s}-${tag}`;

interface LockLs {
  id: string;
  locker: string;
  address: string;
}

async function lockLs(conf: string, image: string): Promise<LockLs[]> {
  const r = await rbd({ conf }, ['lock', 'ls', '--format', 'json', `rbd/${image}`]);
  if (r.code !== 0) throw new Error(`rbd lock ls: ${r.stderr}`);
  return r.stdout.trim() ? (JSON.parse(r.stdout) as LockLs[]) : [];
}

async function connect(conf: string) {
  const cluster = await Rados.connect({ conf, timeoutMs: 20_000 });
  const io = await cluster.openIoctx('rbd');
  return { cluster, io };
}

/** Take the header lock as a librbd owner would (cookie, tag internal) from a client that then goes away without a watch. */
async function lockAsDeadOwner(conf: string, headerOid: string, cookie: string): Promise<string> {
  const dead = await connect(conf);
  await call(dead.io, headerOid, L.lock({ name: 'rbd_lock', type: L.LockType.EXCLUSIVE, cookie, tag: 'internal' }));
  const name = dead.cluster.instanceName;
  dead.cluster.shutdown();
  return name;
}

test('an rbd-ts write takes rbd_lock as librbd does (cookie "auto <watch handle>", tag internal); close releases it', async (t) => {
  const c = await sharedCluster();
  const { cluster, io } = await connect(c.conf);
  const img = name('owner');
  try {
    await RBD.create(io, img, 16 * MiB);
    const h = await Image.open(io, img);
    t.deepEqual(await lockLs(c.conf, img), [], 'opening takes no lock');
    await h.write(Buffer.alloc(4096, 7), 8192);
    const locks = await lockLs(c.conf, img);
    t.is(locks.length, 1);
    t.regex(locks[0]!.id, /^auto \d+$/);
    t.is(locks[0]!.locker, cluster.instanceName);
    // the watch whose handle is in the cookie is on the header (what librbd checks for liveness)
    const status = JSON.parse((await rbd(c, ['status', '--format', 'json', `rbd/${img}`])).stdout) as {
      watchers: Array<{ address: string; client: number; cookie: number | string }>;
    };
    const handle = locks[0]!.id.slice(5);
    t.true(
      status.watchers.some((w) => String(w.cookie) === handle && `client.${w.client}` === locks[0]!.locker),
      JSON.stringify(status),
    );
    const info = JSON.parse((await rados(c, ['-p', 'rbd', 'lock', 'info', `rbd_header.${h.id}`, 'rbd_lock', '--format', 'json'])).stdout) as {
      tag: string;
      type: string;
    };
    t.is(info.tag, 'internal');
    t.is(info.type, 'exclusive');
    // librbd recognises us as the lock owner (lock_get_owners parses the "auto" cookie and tag)
    const owners = await librbd<Array<{ mode: number; owner: string }>>(
      c,
      `img = rbd.Image(ioctx('rbd'), A['name'])\ntry:\n    return list(img.lock_get_owners())\nfinally:\n    img.close()`,
      { name: img },
    );
    t.deepEqual(
      owners.map((o) => o.owner),
      [locks[0]!.address],
      'librbd names the owner by address',
    );
    await h.close();
    t.deepEqual(await lockLs(c.conf, img), [], 'close() releases');
    t.deepEqual((JSON.parse((await rbd(c, ['status', '--format', 'json', `rbd/${img}`])).stdout) as { watchers: unknown[] }).watchers, [], 'and unwatches');
  } finally {
    await RBD.remove(io, img).catch(() => undefined);
    cluster.shutdown();
  }
});

interface RadosLockInfo {
  type: string;
  tag: string;
  lockers: Array<{ name: string; cookie: string }>;
}

async function radosLockInfo(c: { conf: string }, oid: string): Promise<RadosLockInfo> {
  const r = await rados(c, ['-p', 'rbd', 'lock', 'info', oid, 'rbd_lock', '--format', 'json']);
  if (r.code !== 0) throw new Error(`rados lock info ${oid}: ${r.stderr}`);
  return JSON.parse(r.stdout) as RadosLockInfo;
}

test('the head object map has its own lock while rbd-ts owns the image, as with librbd; head-map changes assert it (EBUSY once someone else took it)', async (t) => {
  const c = await sharedCluster();
  const { cluster, io } = await connect(c.conf);
  const img = name('omlock');
  try {
    await RBD.create(io, img, 16 * MiB);
    const h = await Image.open(io, img);
    const om = `rbd_object_map.${h.id}`;
    t.deepEqual((await radosLockInfo(c, om)).lockers, [], 'opening takes no lock');
    await h.write(Buffer.alloc(4096, 1), 0);
    const held = await radosLockInfo(c, om);
    t.is(held.type, 'exclusive');
    t.is(held.tag, '');
    t.deepEqual(
      held.lockers.map((l) => [l.name, l.cookie]),
      [[cluster.instanceName, '']],
    );

    // someone else takes the map's lock behind our back (what a new image owner does)
    t.is((await rados(c, ['-p', 'rbd', 'lock', 'break', om, 'rbd_lock', cluster.instanceName, '--lock-cookie', ''])).code, 0);
    t.is((await rados(c, ['-p', 'rbd', 'lock', 'get', om, 'rbd_lock', '--lock-cookie', '', '--lock-type', 'exclusive'])).code, 0);
    const other = (await radosLockInfo(c, om)).lockers[0]!.name;
    t.not(other, cluster.instanceName);
    // a write to an object not yet in the map needs a head-map change first: refused, nothing written
    const err = await t.throwsAsync(h.write(Buffer.alloc(4096, 2), 8 * MiB));
    t.true(err instanceof CephError && err.code === 'EBUSY', String(err));
    const ls = await rados(c, ['-p', 'rbd', 'ls']);
    t.false(ls.stdout.includes(`${h.id}.0000000000000002`), 'no data object written past the refused map update');
    // an object already marked in the map takes writes (no map change needed)
    await h.write(Buffer.alloc(4096, 3), 4096);

    t.is((await rados(c, ['-p', 'rbd', 'lock', 'break', om, 'rbd_lock', other, '--lock-cookie', ''])).code, 0);
    await h.close();
    t.deepEqual((await radosLockInfo(c, om)).lockers, [], 'close() leaves the map unlocked');
    t.deepEqual(await lockLs(c.conf, img), [], 'and the image');

    // a fresh owner takes it again, and librbd takes it from rbd-ts (rbd-ts releases both locks)
    const h2 = await Image.open(io, img);
    await h2.write(Buffer.alloc(4096, 4), 12 * MiB);
    t.deepEqual(
      (await radosLockInfo(c, om)).lockers.map((l) => l.name),
      [cluster.instanceName],
    );
    await librbd(c, `img = rbd.Image(ioctx('rbd'), A['name'])\ntry:\n    img.write(b'L' * 4096, 4 * 1048576)\nfinally:\n    img.close()`, { name: img });
    t.deepEqual((await radosLockInfo(c, om)).lockers, [], 'librbd took the map lock after rbd-ts released it, and released it on close');
    await h2.close();
    const check = await rbd(c, ['object-map', 'check', `rbd/${img}`]);
    t.is(check.code, 0, check.stderr);
    t.notRegex(check.stdout + check.stderr, /invalid|fix/i);
  } finally {
    await RBD.remove(io, img).catch(() => undefined);
    cluster.shutdown();
  }
});

test('rbd-ts and a librbd writer take turns through the lock and lose no write', async (t) => {
  const c = await sharedCluster();
  const { cluster, io } = await connect(c.conf);
  const img = name('turns');
  const N = 16;
  const BLOCK = 64 * KiB;
  // interleaved 256 KiB slots over 8 MiB: both writers touch every object
  const slot = (i: number, who: 0 | 1) => (2 * i + who) * 256 * KiB;
  const pattern = (i: number, who: 0 | 1) => Buffer.alloc(BLOCK, (i * 2 + who + 1) & 0xff);
  await RBD.create(io, img, 16 * MiB);
  const py = librbdProcess(
    c,
    `
img = rbd.Image(ioctx('rbd'), A['name'])
emit({'open': True})
for i in range(A['n']):
    img.write(bytes([(i * 2 + 1) & 0xff]) * A['block'], (2 * i) * 256 * 1024)
    emit({'wrote': i})
    time.sleep(0.05)
wait()
img.close()
`,
    { name: img, n: N, block: BLOCK },
  );
  // an observer on the header counts who announces ACQUIRED_LOCK
  const acquired: bigint[] = [];
  const observer = await io.watch(`rbd_header.${(await Image.open(io, img, { readOnly: true })).id}`, (n) => {
    const m = decodeNotifyMessage(n.payload);
    if (m.op === NotifyOp.ACQUIRED_LOCK && 'clientId' in m) acquired.push(m.clientId.gid);
  });
  try {
    await py.next(30_000);
    const h = await Image.open(io, img);
    const mine = (async () => {
      // two writes in flight at a time: a release must wait for both
      for (let i = 0; i < N; i += 2) {
        await Promise.all([i, i + 1].map((k) => h.write(pattern(k, 1), slot(k, 1), { timeoutMs: 60_000 })));
        await new Promise((r) => setTimeout(r, 30));
      }
    })();
    for (let i = 0; i < N; i++) t.deepEqual(await py.next(120_000), { wrote: i });
    await mine;
    // the lock went back and forth: each side acquired it several times
    const ours = acquired.filter((g) => `client.${g}` === cluster.instanceName).length;
    const theirs = acquired.length - ours;
    t.log(`ACQUIRED_LOCK: rbd-ts ${ours}, librbd ${theirs}`);
    t.true(ours >= 2 && theirs >= 2, `turns: rbd-ts ${ours}, librbd ${theirs}`);
    // rbd-ts reads every block (it holds or re-takes the lock as needed; reads need none)
    for (let i = 0; i < N; i++) {
      for (const who of [0, 1] as const) t.true((await h.read(slot(i, who), BLOCK)).equals(pattern(i, who)), `rbd-ts reads block ${i}/${who}`);
    }
    await h.close();
    const stopped = await py.stop();
    t.is(stopped.errno, undefined, stopped.stderr);
    const sums = await librbd<string[]>(
      c,
      `
import hashlib
img = rbd.Image(ioctx('rbd'), A['name'], read_only=True)
try:
    return [img.read(o, A['block']).hex()[:8] + ':' + hashlib.md5(img.read(o, A['block'])).hexdigest() for o in A['offs']]
finally:
    img.close()
`,
      { name: img, block: BLOCK, offs: Array.from({ length: N }, (_, i) => [slot(i, 0), slot(i, 1)]).flat() },
    );
    const { createHash } = await import('node:crypto');
    const want = Array.from({ length: N }, (_, i) => [pattern(i, 0), pattern(i, 1)])
      .flat()
      .map((b) => b.subarray(0, 4).toString('hex') + ':' + createHash('md5').update(b).digest('hex'));
    t.deepEqual(sums, want, 'librbd reads every block either wrote');
    const check = await rbd(c, ['object-map', 'check', `rbd/${img}`]);
    t.is(check.code, 0, check.stderr);
    t.notRegex(check.stderr + check.stdout, /invalid|inconsistent/i);
    t.deepEqual(await lockLs(c.conf, img), []);
  } finally {
    await observer.unwatch().catch(() => undefined);
    await py.stop().catch(() => undefined);
    await RBD.remove(io, img).catch(() => undefined);
    cluster.shutdown();
  }
});

test('a live owner that refuses (librbd explicit lock_acquire) is not broken: the write fails with EROFS', async (t) => {
  const c = await sharedCluster();
  const { cluster, io } = await connect(c.conf);
  const img = name('refuse');
  await RBD.create(io, img, 16 * MiB);
  const py = librbdProcess(
    c,
    `
img = rbd.Image(ioctx('rbd'), A['name'])
img.lock_acquire(rbd.RBD_LOCK_MODE_EXCLUSIVE)
emit({'locked': True})
wait()
img.close()
`,
    { name: img },
  );
  try {
    await py.next(30_000);
    const before = await lockLs(c.conf, img);
    t.is(before.length, 1);
    const h = await Image.open(io, img);
    const err = await t.throwsAsync(h.write(Buffer.alloc(4096, 1), 0, { timeoutMs: 15_000 }));
    t.true(err instanceof CephError);
    t.true(['EROFS', 'ETIMEDOUT'].includes((err as CephError).code), String(err));
    t.is((err as CephError).code, 'EROFS', 'librbd answers REQUEST_LOCK with -EROFS under an explicit lock');
    t.deepEqual(await lockLs(c.conf, img), before, 'the owner still holds the lock');
    await h.close();
    const stopped = await py.stop();
    t.is(stopped.errno, undefined, stopped.stderr);
  } finally {
    await py.stop().catch(() => undefined);
    await RBD.remove(io, img).catch(() => undefined);
    cluster.shutdown();
  }
});

test('a live owner that never answers is not broken either: the write times out (or aborts) with a typed error', async (t) => {
  const c = await sharedCluster();
  const { cluster, io } = await connect(c.conf);
  const img = name('hung');
  const owner = await connect(c.conf);
  try {
    await RBD.create(io, img, 16 * MiB);
    const h = await Image.open(io, img);
    // a holder with a live header watch whose notify callbacks never return (no ack, no release)
    const w = await owner.io.watch(h.headerOid, () => new Promise<Buffer>(() => undefined));
    await call(owner.io, h.headerOid, L.lock({ name: 'rbd_lock', type: L.LockType.EXCLUSIVE, cookie: `auto ${w.cookie}`, tag: 'internal' }));
    const held = await lockLs(c.conf, img);
    const timedOut = await t.throwsAsync(h.write(Buffer.alloc(4096, 1), 0, { timeoutMs: 3000 }));
    t.is((timedOut as CephError).code, 'ETIMEDOUT', String(timedOut));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 1000);
    const aborted = await t.throwsAsync(h.write(Buffer.alloc(4096, 1), 0, { timeoutMs: 30_000, signal: ac.signal }));
    t.is((aborted as CephError).code, 'ECANCELED', String(aborted));
    t.deepEqual(await lockLs(c.conf, img), held, 'the live owner keeps its lock');
    const bl = await ceph(c, ['osd', 'blocklist', 'ls']);
    t.false((bl.stdout + bl.stderr).includes(held[0]!.address), 'and is not blocklisted');
    await h.close();
  } finally {
    owner.cluster.shutdown();
    await RBD.remove(io, img).catch(() => undefined);
    cluster.shutdown();
  }
});

test("a dead owner's lock (librbd cookie, no watch) is broken as librbd does: blocklist, break_lock, then the write", async (t) => {
  const c = await sharedCluster();
  const { cluster, io } = await connect(c.conf);
  const img = name('dead');
  try {
    await RBD.create(io, img, 16 * MiB);
    const h = await Image.open(io, img);
    // another client takes the lock the way librbd would, then vanishes without a watch
    const deadName = await lockAsDeadOwner(c.conf, h.headerOid, 'auto 123456');
    const held = await lockLs(c.conf, img);
    t.deepEqual(
      held.map((l) => [l.id, l.locker]),
      [['auto 123456', deadName]],
    );
    const data = randomBytes(8192);
    await h.write(data, 4 * MiB - 4096, { timeoutMs: 30_000 });
    const now = await lockLs(c.conf, img);
    t.is(now.length, 1);
    t.is(now[0]!.locker, cluster.instanceName);
    const bl = await ceph(c, ['osd', 'blocklist', 'ls']);
    t.true((bl.stdout + bl.stderr).includes(held[0]!.address), `${held[0]!.address} blocklisted: ${bl.stdout}`);
    t.true((await h.read(4 * MiB - 4096, 8192)).equals(data));
    await h.close();
    t.deepEqual(await lockLs(c.conf, img), []);
  } finally {
    await RBD.remove(io, img).catch(() => undefined);
    cluster.shutdown();
  }
});

test("rbd_blocklist_on_break_lock = false (client configuration): a dead owner's lock is broken without blocklisting it", async (t) => {
  const c = await sharedCluster();
  const cluster = await Rados.connect({ conf: c.conf, timeoutMs: 20_000, options: { rbd_blocklist_on_break_lock: 'false' } });
  const io = await cluster.openIoctx('rbd');
  const img = name('dead-nobl');
  try {
    await RBD.create(io, img, 16 * MiB);
    const h = await Image.open(io, img);
    await lockAsDeadOwner(c.conf, h.headerOid, 'auto 654321');
    const held = await lockLs(c.conf, img);
    t.is(held.length, 1);
    await h.write(Buffer.alloc(4096, 9), 0, { timeoutMs: 30_000 });
    t.deepEqual(
      (await lockLs(c.conf, img)).map((l) => l.locker),
      [cluster.instanceName],
    );
    const bl = await ceph(c, ['osd', 'blocklist', 'ls']);
    t.false((bl.stdout + bl.stderr).includes(held[0]!.address), `${held[0]!.address} not blocklisted: ${bl.stdout}`);
    await h.close();
  } finally {
    await RBD.remove(io, img).catch(() => undefined);
    cluster.shutdown();
  }
});

test("a lock that is not librbd's (other tag) is never broken: EBUSY", async (t) => {
  const c = await sharedCluster();
  const { cluster, io } = await connect(c.conf);
  const img = name('foreign');
  try {
    await RBD.create(io, img, 16 * MiB);
    const h = await Image.open(io, img);
    const r = await rados(c, ['-p', 'rbd', 'lock', 'get', `rbd_header.${h.id}`, 'rbd_lock', '--lock-cookie', 'admin-cookie', '--lock-tag', 'admin']);
    t.is(r.code, 0, r.stderr);
    const err = await t.throwsAsync(h.write(Buffer.alloc(512, 1), 0, { timeoutMs: 10_000 }));
    t.is((err as CephError).code, 'EBUSY');
    t.deepEqual(
      (await lockLs(c.conf, img)).map((l) => l.id),
      ['admin-cookie'],
    );
    await h.close();
  } finally {
    await RBD.remove(io, img).catch(() => undefined);
    cluster.shutdown();
  }
});

test('HEADER_UPDATE from librbd (a resize that takes the lock from us; a snap protect that does not) is seen before the next write', async (t) => {
  const c = await sharedCluster();
  const { cluster, io } = await connect(c.conf);
  const img = name('resize');
  try {
    await RBD.create(io, img, 16 * MiB);
    const h = await Image.open(io, img);
    await h.write(Buffer.alloc(4096, 3), 0);
    // librbd asks us for the lock, resizes, notifies HEADER_UPDATE, releases on close
    await librbd(c, `img = rbd.Image(ioctx('rbd'), A['name'])\ntry:\n    img.resize(A['size'])\nfinally:\n    img.close()`, { name: img, size: 40 * MiB });
    t.is(h.size, 16 * MiB, 'nothing refreshed yet');
    await h.write(Buffer.alloc(4096, 4), 4096);
    t.is(h.size, 40 * MiB, 'refreshed before the write');
    const data = randomBytes(4096);
    await h.write(data, 40 * MiB - 4096);
    t.true((await h.read(40 * MiB - 4096, 4096)).equals(data));
    // librbd takes the lock again for a snapshot (QUIESCE/UNQUIESCE to us as a watcher)
    await librbd(c, `img = rbd.Image(ioctx('rbd'), A['name'])\ntry:\n    img.create_snap('s0')\nfinally:\n    img.close()`, { name: img });
    await h.write(Buffer.alloc(4096, 6), 0);
    t.deepEqual(
      h.snaps.map((s) => s.name),
      ['s0'],
    );
    await h.removeSnap('s0');
    // a change librbd makes without taking the lock (snap protect): we stay owner, and only
    // the HEADER_UPDATE tells us
    await h.createSnap('s1');
    const owner = await lockLs(c.conf, img);
    await librbd(c, `img = rbd.Image(ioctx('rbd'), A['name'])\ntry:\n    img.protect_snap('s1')\nfinally:\n    img.close()`, { name: img });
    t.deepEqual(await lockLs(c.conf, img), owner, 'librbd protected the snapshot without taking the lock');
    t.is(h.snaps.find((s) => s.name === 's1')!.protection, 0, 'not refreshed yet');
    await h.write(Buffer.alloc(4096, 5), 8192);
    t.deepEqual(await lockLs(c.conf, img), owner, 'still the same owner');
    t.is(h.snaps.find((s) => s.name === 's1')!.protection, 2, 'refreshed on HEADER_UPDATE before the write');
    await h.unprotectSnap('s1');
    await h.removeSnap('s1');
    await h.close();
    const check = await rbd(c, ['object-map', 'check', `rbd/${img}`]);
    t.is(check.code, 0, check.stderr);
  } finally {
    await RBD.remove(io, img).catch(() => undefined);
    cluster.shutdown();
  }
});

test('acquireHeld: a release requested while a held op runs waits for its end (then librbd gets the lock)', async (t) => {
  const c = await sharedCluster();
  const { cluster, io } = await connect(c.conf);
  const img = name('held');
  try {
    await RBD.create(io, img, 16 * MiB);
    const h = await Image.open(io, img);
    let released = 0;
    const watcher = new ImageWatcher(io, h.headerOid, img);
    const lock = new ExclusiveLock({
      watcher,
      name: img,
      flush: async () => undefined,
      idle: () => true,
      onAcquired: async () => undefined,
      onReleased: () => void released++,
    });
    const done = await lock.acquireHeld({ timeoutMs: 20_000 });
    t.is(lock.state, 'locked');
    const writer = librbd(c, `img = rbd.Image(ioctx('rbd'), A['name'])\ntry:\n    img.write(b'w' * 4096, 0)\nfinally:\n    img.close()`, { name: img });
    for (let i = 0; i < 200 && lock.state !== 'releasing'; i++) await new Promise((r) => setTimeout(r, 50));
    t.is(lock.state, 'releasing', 'librbd asked for the lock');
    t.is(released, 0, 'not released while the op is held');
    t.is((await lockLs(c.conf, img))[0]!.id, lock.cookie!);
    done();
    await writer;
    t.is(released, 1);
    t.is(lock.state, 'unlocked');
    await lock.shutdown();
    await watcher.unregister();
    await h.close();
    t.deepEqual(await lockLs(c.conf, img), []);
  } finally {
    await RBD.remove(io, img).catch(() => undefined);
    cluster.shutdown();
  }
});
