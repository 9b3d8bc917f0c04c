// A client blocklisted by another (`ceph osd blocklist add`, or its lock broken with `rbd lock
// rm`, which blocklists the holder first): every op fails with EBLOCKLISTED (108) at once, the
// cluster handle says 'blocklisted', the image says its lock is lost, and a new handle works.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { CephError } from '../../src/encoding/errno.js';
import { Image, RBD } from '../../src/rbd/index.js';
import { ceph, rbd } from '../helpers/cluster.js';
import { faultCluster, faultConnect, faultPool, removePool } from '../helpers/faults.js';

const MiB = 1 << 20;
const POOL = `faults-bl-${randomBytes(2).toString('hex')}`;

test.before(async () => {
  await faultPool(await faultCluster(), POOL);
});

test.after.always(async () => {
  await removePool(await faultCluster(), POOL);
});

const within = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what}: nothing within ${ms} ms`)), ms))]);

for (const how of ['ceph osd blocklist add', 'rbd lock rm'] as const) {
  test.serial(`blocklisted by \`${how}\`: EBLOCKLISTED at once, 'blocklisted' and 'lock-lost' reported, a new handle works`, async (t) => {
    const c = await faultCluster();
    const name = `bl-${how.split(' ')[1]}`;
    const a = await faultConnect(c);
    const b = await faultConnect(c);
    let addr = '';
    try {
      const io = await a.openIoctx(POOL);
      await RBD.create(io, name, 8 * MiB);
      const h = await Image.open(io, name);
      await h.write(Buffer.alloc(4096, 1), 0); // the exclusive lock and the header watch
      const me = (await io.listWatchers(`rbd_header.${h.id}`)).find((w) => `client.${w.gid}` === a.instanceName);
      t.truthy(me, 'our header watch');
      addr = me!.addr;
      const blocklisted = once(a, 'blocklisted');
      const lockLost = once(h, 'lock-lost');
      if (how === 'ceph osd blocklist add') {
        const r = await ceph(c, ['osd', 'blocklist', 'add', addr]);
        t.is(r.code, 0, r.stderr);
      } else {
        const locks = JSON.parse((await rbd(c, ['lock', 'ls', '--format', 'json', `${POOL}/${name}`])).stdout) as Array<{
          id: string;
          locker: string;
          address: string;
        }>;
        t.is(locks.length, 1);
        const r = await rbd(c, ['lock', 'rm', `${POOL}/${name}`, locks[0]!.id, locks[0]!.locker]);
        t.is(r.code, 0, r.stderr);
      }
      const [err] = (await within(blocklisted, 10_000, "'blocklisted'")) as [CephError];
      t.is(err.code, 'EBLOCKLISTED');
      const [lost] = (await within(lockLost, 10_000, "'lock-lost'")) as [CephError];
      t.is(lost.errno, 108);
      // every later op fails at once, typed
      const t0 = Date.now();
      const w = await t.throwsAsync(h.write(Buffer.alloc(4096, 2), 0, { timeoutMs: 30_000 }));
      t.is((w as CephError).code, 'EBLOCKLISTED', String(w));
      t.is((w as CephError).errno, 108);
      const r = await t.throwsAsync(io.stat(`rbd_header.${h.id}`, { timeoutMs: 30_000 }));
      t.is((r as CephError).code, 'EBLOCKLISTED');
      t.true(Date.now() - t0 < 2000, `${Date.now() - t0} ms`);
      // a new handle takes the lock over (the old holder is dead to the OSDs) and writes
      const io2 = await b.openIoctx(POOL);
      const h2 = await Image.open(io2, name);
      await h2.write(Buffer.alloc(4096, 3), 4096, { timeoutMs: 30_000 });
      t.true((await h2.read(0, 8192)).equals(Buffer.concat([Buffer.alloc(4096, 1), Buffer.alloc(4096, 3)])));
      await h2.close();
      const exported = await rbd(c, ['info', `${POOL}/${name}`]);
      t.is(exported.code, 0, exported.stderr);
      await RBD.remove(io2, name);
    } finally {
      if (addr) await ceph(c, ['osd', 'blocklist', 'rm', addr]);
      a.shutdown();
      b.shutdown();
    }
  });
}
