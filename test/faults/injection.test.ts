// Broken sockets and slow, dying mons: rbd-ts under its own ms_inject_socket_failures (as Ceph's
// clients honour it), under the daemons' socket failures and delays, and with a mon killed in
// the middle of a batch of clones: every operation completes once, and what it made is whole.

import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import type { Rados } from '../../src/rados/rados.js';
import { Image, RBD } from '../../src/rbd/index.js';
import { rbd } from '../helpers/cluster.js';
import { daemonOption, faultCluster, faultConnect, faultPool, killMon, leaderMon, removePool, reviveMon } from '../helpers/faults.js';
import { librbd } from '../helpers/librbd.js';

const MiB = 1 << 20;
const POOL = `faults-inj-${randomBytes(2).toString('hex')}`;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

test.before(async () => {
  await faultPool(await faultCluster(), POOL);
});

test.after.always(async () => {
  await removePool(await faultCluster(), POOL);
});

/** What librbd sees of images: each one's md5, parent and overlap. */
function librbdView(conf: string, names: string[]) {
  return librbd<Record<string, { md5: string; parent: string | null; size: number }>>(
    { conf },
    `
import hashlib
io = ioctx(A['pool'])
out = {}
for name in A['names']:
    img = rbd.Image(io, name, read_only=True)
    h = hashlib.md5()
    size = img.size()
    off = 0
    while off < size:
        n = min(4 << 20, size - off)
        h.update(img.read(off, n))
        off += n
    try:
        p = img.get_parent_image_spec()
        parent = p['image_name'] + '@' + p['snap_name']
    except rbd.ImageNotFound:
        parent = None
    out[name] = {'md5': h.hexdigest(), 'parent': parent, 'size': size}
    img.close()
return out
`,
    { pool: POOL, names },
  );
}

/** A parent with data and a protected snapshot, clones of it, writes to some, one flattened. */
async function workload(io: Awaited<ReturnType<Rados['openIoctx']>>, tag: string, clones: number) {
  const SIZE = 8 * MiB;
  const parent = `${tag}-parent`;
  const data = randomBytes(SIZE);
  await RBD.create(io, parent, SIZE, { objectSize: MiB });
  const h = await Image.open(io, parent);
  await h.write(data, 0, { timeoutMs: 60_000 });
  await h.createSnap('s');
  await h.protectSnap('s');
  await h.close();
  const want: Record<string, { md5: string; parent: string | null; size: number }> = { [parent]: { md5: md5(data), parent: null, size: SIZE } };
  for (let i = 0; i < clones; i++) {
    const child = `${tag}-child-${i}`;
    await RBD.clone(io, parent, 's', io, child, { timeoutMs: 60_000 });
    const expect = Buffer.from(data);
    if (i % 2 === 0) {
      const c = await Image.open(io, child);
      const patch = randomBytes(64 * 1024);
      await c.write(patch, i * 300_000, { timeoutMs: 60_000 });
      patch.copy(expect, i * 300_000);
      if (i === 0) await c.flatten({ timeoutMs: 60_000 });
      await c.close();
    }
    want[child] = { md5: md5(expect), parent: i === 0 ? null : `${parent}@s`, size: SIZE };
  }
  return want;
}

test.serial("rbd-ts's own ms_inject_socket_failures: connections fail every few dozen frames, everything completes once and is whole", async (t) => {
  const c = await faultCluster();
  const cluster = await faultConnect(c, {}, 40);
  try {
    const io = await cluster.openIoctx(POOL);
    const objecter = await cluster.objecter();
    const want = await workload(io, 'client-inj', 6);
    t.log(`ops sent ${objecter.stats.sent}, resent ${objecter.stats.resent}`);
    t.true(objecter.stats.resent > 0, 'sockets failed and ops went out again');
    t.deepEqual(await librbdView(c.conf, Object.keys(want)), want);
  } finally {
    cluster.shutdown();
  }
});

test.serial("the daemons' socket failures and message delays (ms_inject_*): everything completes and is whole", async (t) => {
  const c = await faultCluster();
  const cluster = await faultConnect(c);
  try {
    await daemonOption(c, 'osd', 'ms_inject_socket_failures', '300');
    await daemonOption(c, 'mon', 'ms_inject_socket_failures', '300');
    await daemonOption(c, 'osd', 'ms_inject_delay_type', 'client');
    await daemonOption(c, 'osd', 'ms_inject_delay_max', '0.02');
    await daemonOption(c, 'osd', 'ms_inject_delay_probability', '0.3');
    const io = await cluster.openIoctx(POOL);
    const want = await workload(io, 'daemon-inj', 6);
    const objecter = await cluster.objecter();
    t.log(`ops sent ${objecter.stats.sent}, resent ${objecter.stats.resent}`);
    for (const o of ['ms_inject_socket_failures', 'ms_inject_delay_type', 'ms_inject_delay_max', 'ms_inject_delay_probability'])
      await daemonOption(c, 'osd', o, undefined);
    await daemonOption(c, 'mon', 'ms_inject_socket_failures', undefined);
    t.deepEqual(await librbdView(c.conf, Object.keys(want)), want);
  } finally {
    for (const o of ['ms_inject_socket_failures', 'ms_inject_delay_type', 'ms_inject_delay_max', 'ms_inject_delay_probability'])
      await daemonOption(c, 'osd', o, undefined).catch(() => undefined);
    await daemonOption(c, 'mon', 'ms_inject_socket_failures', undefined).catch(() => undefined);
    cluster.shutdown();
  }
});

test.serial('the leader mon killed during a batch of 20 clones: all 20 are whole, as librbd sees them', async (t) => {
  const c = await faultCluster();
  const cluster = await faultConnect(c);
  const victim = await leaderMon(c);
  let killed = false;
  try {
    const io = await cluster.openIoctx(POOL);
    const SIZE = 4 * MiB;
    const data = randomBytes(SIZE);
    await RBD.create(io, 'mon-parent', SIZE);
    const h = await Image.open(io, 'mon-parent');
    await h.write(data, 0);
    await h.createSnap('s');
    await h.protectSnap('s');
    await h.close();
    const names = Array.from({ length: 20 }, (_, i) => `mon-child-${i}`);
    const batch = Promise.all(
      names.map(async (n, i) => {
        await new Promise((r) => setTimeout(r, i * 40));
        await RBD.clone(io, 'mon-parent', 's', io, n, { cloneFormat: i % 2 ? 1 : 2, timeoutMs: 60_000 });
      }),
    );
    await new Promise((r) => setTimeout(r, 150));
    await killMon(c, victim);
    killed = true;
    await batch;
    const view = await librbdView(c.conf, names);
    for (const n of names) t.deepEqual(view[n], { md5: md5(data), parent: 'mon-parent@s', size: SIZE }, n);
    const children = (await rbd(c, ['children', `${POOL}/mon-parent@s`])).stdout.split('\n').filter(Boolean).sort();
    t.deepEqual(children, names.map((n) => `${POOL}/${n}`).sort());
  } finally {
    if (killed) await reviveMon(c, victim);
    cluster.shutdown();
  }
});
