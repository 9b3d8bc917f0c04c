// OSDs dying under rbd-ts (3 mons, 3 memstore OSDs, a pool of size 3 / min_size 2): the header
// watch comes back after any OSD of its PG restarts (a notify to it is acked, close stays fast),
// and writes, clones and snapshots made while OSDs die and come back are all there afterwards,
// byte for byte as librbd reads them.

import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import type { CephError } from '../../src/encoding/errno.js';
import { Image, RBD } from '../../src/rbd/index.js';
import { rbd } from '../helpers/cluster.js';
import { faultCluster, faultConnect, faultPool, killOsd, osdMapOf, removePool, reviveOsd, waitClean } from '../helpers/faults.js';
import { librbd } from '../helpers/librbd.js';

const MiB = 1 << 20;
const POOL = `faults-osd-${randomBytes(2).toString('hex')}`;

test.before(async () => {
  await faultPool(await faultCluster(), POOL);
});

test.after.always(async () => {
  await removePool(await faultCluster(), POOL);
});

/** librados notify (python-rados) to an object with a deadline: 0, or librados's errno. */
async function libradosNotify(conf: string, oid: string, timeoutMs: number): Promise<{ errno: number; ms: number }> {
  return librbd<{ errno: number; ms: number }>(
    { conf },
    `
t0 = time.time()
try:
    ioctx(A['pool']).notify(A['oid'], 'ping', A['timeout'])
    r = 0
except rados.Error as e:
    r = getattr(e, 'errno', None) or 5
return {'errno': abs(r), 'ms': round((time.time() - t0) * 1000)}
`,
    { pool: POOL, oid, timeout: timeoutMs },
  );
}

for (const which of ['replica', 'primary'] as const) {
  test.serial(`the ${which} OSD of the header's PG restarts: the watch is registered again, notifies are acked, close is prompt`, async (t) => {
    const c = await faultCluster();
    const cluster = await faultConnect(c);
    const io = await cluster.openIoctx(POOL);
    const name = `watch-${which}`;
    let down = -1;
    try {
      await RBD.create(io, name, 8 * MiB);
      const h = await Image.open(io, name);
      await h.write(Buffer.alloc(4096, 1), 0); // takes the exclusive lock: the header is watched
      const header = `rbd_header.${h.id}`;
      const { acting, primary } = await osdMapOf(c, POOL, header);
      const victim = which === 'primary' ? primary : acting.find((o) => o !== primary)!;
      t.log(`header PG acting ${acting.join(',')}, primary osd.${primary}: killing osd.${victim}`);
      // each interval change (the OSD down, then up again) discards the PG's watches: a notify
      // right after it is acked only if rbd-ts registered the watch again on the new map (its
      // 5 s watch ping would notice too late: the notify would wait out its timeout)
      await killOsd(c, victim);
      down = victim;
      const whileDown = await libradosNotify(c.conf, header, 3000);
      t.is(whileDown.errno, 0, 'librados notify with the OSD down is acked by the rbd-ts watcher');
      await reviveOsd(c, victim);
      down = -1;
      const up = await libradosNotify(c.conf, header, 3000);
      t.is(up.errno, 0, 'librados notify after the OSD is back is acked by the rbd-ts watcher');
      t.log(`librados notify: ${whileDown.ms} ms with osd.${victim} down, ${up.ms} ms once it is back`);
      // rbd-ts's own notifies (RELEASED_LOCK at close) do not wait out a dead watch
      const t0 = Date.now();
      await h.close();
      const closeMs = Date.now() - t0;
      t.log(`close after the restart: ${closeMs} ms`);
      t.true(closeMs < 3000, `close took ${closeMs} ms (a dead watch costs the 5-10 s notify timeout)`);
      const info = await rbd(c, ['info', `${POOL}/${name}`, '--format', 'json']);
      t.is(info.code, 0, info.stderr);
    } finally {
      if (down >= 0) await reviveOsd(c, down);
      await RBD.remove(io, name).catch(() => undefined);
      cluster.shutdown();
    }
  });
}

test.serial(
  'writes, clones, snapshots and an import while OSDs are killed and revived: every acknowledged write, clone, snapshot and the import is whole',
  async (t) => {
    const c = await faultCluster();
    const cluster = await faultConnect(c, { rados_osd_op_timeout: '120' });
    const io = await cluster.openIoctx(POOL);
    const SIZE = 24 * MiB;
    const parent = 'churn-parent';
    const model = Buffer.alloc(SIZE);
    const clones: string[] = [];
    const snaps: string[] = [];
    try {
      await RBD.create(io, parent, SIZE, { objectSize: MiB });
      const h = await Image.open(io, parent);
      await h.write(Buffer.alloc(MiB, 7), 0);
      Buffer.alloc(MiB, 7).copy(model, 0);
      await h.createSnap('base');
      await h.protectSnap('base');
      const base = Buffer.from(model);
      let stop = false;
      let writes = 0;
      let cloned = 0;
      // 4 writers, each of 4-64 KiB at random offsets in a quarter of its own, one write at a
      // time: the model follows each acknowledged write
      const QUARTER = SIZE / 4;
      const writers = Array.from({ length: 4 }, async (_, w) => {
        while (!stop) {
          const len = 4096 * (1 + Math.floor(Math.random() * 16));
          const at = w * QUARTER + 4096 * Math.floor(Math.random() * ((QUARTER - len) / 4096 + 1));
          const data = randomBytes(len);
          await h.write(data, at, { timeoutMs: 120_000 });
          data.copy(model, at);
          writes++;
          await new Promise((r) => setTimeout(r, 40));
        }
      });
      // clones of the protected snapshot (up to 30) and snapshots of the head (up to 5: each
      // makes the OSDs copy every object written after it), one after another
      const maker = (async () => {
        for (let i = 0; !stop && i < 30; i++) {
          const child = `churn-child-${i}`;
          await RBD.clone(io, parent, 'base', io, child, { timeoutMs: 120_000 });
          clones.push(child);
          cloned++;
          if (i % 6 === 5) {
            await h.createSnap(`s${i}`, { timeoutMs: 120_000 });
            snaps.push(`s${i}`);
          }
          await new Promise((r) => setTimeout(r, 250));
        }
      })();
      // an import fed slowly from a stream (1 MiB every 400 ms), across the kills
      const imported = randomBytes(16 * MiB);
      async function* feed() {
        for (let off = 0; off < imported.length; off += MiB) {
          yield imported.subarray(off, off + MiB);
          await new Promise((r) => setTimeout(r, 400));
        }
      }
      const importing = RBD.import(io, 'churn-import', feed(), { size: imported.length, timeoutMs: 120_000 });
      const kills: number[] = [];
      let downNow = -1;
      try {
        for (const victim of [0, 2]) {
          await new Promise((r) => setTimeout(r, 1000));
          await killOsd(c, victim);
          downNow = victim;
          kills.push(victim);
          if (process.env['DEBUG_FAULTS']) console.error(`${new Date().toISOString()} killed osd.${victim}: ${writes} writes, ${cloned} clones`);
          await new Promise((r) => setTimeout(r, 1000));
          await reviveOsd(c, victim);
          downNow = -1;
          if (process.env['DEBUG_FAULTS']) console.error(`${new Date().toISOString()} revived osd.${victim}: ${writes} writes, ${cloned} clones`);
        }
      } finally {
        stop = true;
        if (downNow >= 0) await reviveOsd(c, downNow);
      }
      await Promise.all([...writers, maker, importing]);
      t.log(`${kills.length} OSD kills: ${writes} writes, ${cloned} clones, ${snaps.length} snapshots`);
      t.true(writes > 50 && cloned > 3);
      // rbd-ts reads back what it wrote
      t.true((await h.read(0, SIZE)).equals(model), 'rbd-ts reads every acknowledged write');
      await h.close();
      // librbd reads the same image, each clone and each snapshot
      const sums = await librbd<{ head: string; imported: string; clones: Record<string, { md5: string; parent: string; overlap: number }>; snaps: string[] }>(
        { conf: c.conf },
        `
import hashlib
io = ioctx(A['pool'])
def md5(img, size):
    h = hashlib.md5()
    off = 0
    while off < size:
        n = min(4 << 20, size - off)
        h.update(img.read(off, n))
        off += n
    return h.hexdigest()
img = rbd.Image(io, A['parent'], read_only=True)
head = md5(img, img.size())
snaps = sorted(s['name'] for s in img.list_snaps())
img.close()
img = rbd.Image(io, 'churn-import', read_only=True)
imported = md5(img, img.size())
img.close()
clones = {}
for name in A['clones']:
    c = rbd.Image(io, name, read_only=True)
    p = c.get_parent_image_spec()
    clones[name] = {'md5': md5(c, c.size()), 'parent': p['image_name'] + '@' + p['snap_name'], 'overlap': c.overlap()}
    c.close()
return {'head': head, 'imported': imported, 'clones': clones, 'snaps': snaps}
`,
        { pool: POOL, parent, clones },
      );
      const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
      t.is(sums.head, md5(model), 'librbd reads every acknowledged write');
      t.is(sums.imported, md5(imported), 'librbd reads the import');
      t.deepEqual(sums.snaps, ['base', ...snaps].sort());
      for (const child of clones) t.deepEqual(sums.clones[child], { md5: md5(base), parent: `${parent}@base`, overlap: SIZE }, child);
      const check = await rbd(c, ['object-map', 'check', `${POOL}/${parent}`]);
      t.is(check.code, 0, check.stderr);
      t.notRegex(check.stderr + check.stdout, /invalid|inconsistent/i);
    } finally {
      for (const child of clones) await RBD.remove(io, child).catch(() => undefined);
      await RBD.remove(io, 'churn-import').catch(() => undefined);
      cluster.shutdown();
    }
  },
);

test.serial(
  'a PG below min_size: ops wait, then fail typed at their deadline or abort (ETIMEDOUT / ECANCELED, op and object named); once the OSDs are back the data is there',
  async (t) => {
    const c = await faultCluster();
    const cluster = await faultConnect(c);
    const io = await cluster.openIoctx(POOL);
    const oid = 'below-min-size';
    const data = randomBytes(8192);
    const dead: number[] = [];
    try {
      await io.writeFull(oid, data);
      const { acting, primary } = await osdMapOf(c, POOL, oid);
      // two of the three: the PG has one OSD left, below min_size 2, and stops serving
      for (const osd of acting.filter((o) => o !== primary).slice(0, 2)) {
        await killOsd(c, osd);
        dead.push(osd);
      }
      if (dead.length < 2) {
        await killOsd(c, primary);
        dead.push(primary);
      }
      let t0 = Date.now();
      const late = await t.throwsAsync(io.read(oid, 8192, 0, { timeoutMs: 3000 }));
      t.is((late as CephError).code, 'ETIMEDOUT', String(late));
      t.is((late as CephError).op, 'read');
      t.regex(String((late as CephError).target), new RegExp(oid));
      t.true(Date.now() - t0 < 4500, `${Date.now() - t0} ms`);
      t0 = Date.now();
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 500);
      const aborted = await t.throwsAsync(io.writeFull(oid, Buffer.alloc(10), { signal: ac.signal }));
      t.is((aborted as CephError).code, 'ECANCELED', String(aborted));
      t.true(Date.now() - t0 < 2000, `${Date.now() - t0} ms`);
      // a read waiting when they return completes
      const waiting = io.read(oid, 8192, 0, { timeoutMs: 120_000 });
      for (const osd of dead.splice(0)) await c.reviveOsd(osd);
      t.true((await waiting).equals(data));
      await waitClean(c);
    } finally {
      for (const osd of dead) await c.reviveOsd(osd).catch(() => undefined);
      if (dead.length) await waitClean(c);
      await io.remove(oid).catch(() => undefined);
      cluster.shutdown();
    }
  },
);
