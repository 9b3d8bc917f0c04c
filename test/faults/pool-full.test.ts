// A pool over its quota: rbd-ts says so in seconds (EDQUOT, 122) instead of waiting out the op
// timeout, whatever the operation (an import, a create, a clone: their class-method calls write
// though a CALL is a read by its op code), leaves nothing behind, and can still remove images
// to make room.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CephError } from '../../src/encoding/errno.js';
import { RBD } from '../../src/rbd/index.js';
import { ceph, rados, rbd } from '../helpers/cluster.js';
import { faultCluster, faultConnect, faultPool, rbdTs, removePool } from '../helpers/faults.js';

const MiB = 1 << 20;
const POOL = `faults-full-${randomBytes(2).toString('hex')}`;

test.before(async () => {
  await faultPool(await faultCluster(), POOL);
});

test.after.always(async () => {
  await removePool(await faultCluster(), POOL);
});

test.serial('a pool over its quota: import, create and clone fail with EDQUOT in seconds and leave nothing; rm still frees room', async (t) => {
  const c = await faultCluster();
  const cluster = await faultConnect(c);
  const io = await cluster.openIoctx(POOL);
  const dir = mkdtempSync(join(tmpdir(), 'rbd-ts-full-'));
  try {
    // a parent to clone from and an image to remove later, made while there is room
    await RBD.create(io, 'parent', 8 * MiB);
    const p = await (await import('../../src/rbd/index.js')).Image.open(io, 'parent');
    await p.write(Buffer.alloc(MiB, 3), 0);
    await p.createSnap('s');
    await p.protectSnap('s');
    await p.close();
    await RBD.create(io, 'victim', 8 * MiB);
    const objects = (await rados(c, ['-p', POOL, 'ls'])).stdout.split('\n').filter(Boolean).length;
    t.is((await ceph(c, ['osd', 'pool', 'set-quota', POOL, 'max_objects', String(objects + 2)])).code, 0);
    // fill the quota; the mon flags the pool full once the OSDs' stats reach it
    for (let i = 0; i < 240; i++) {
      const r = await io.writeFull(`filler-${i}`, Buffer.alloc(16, 1), { timeoutMs: 30_000 }).then(
        () => undefined,
        (e: unknown) => e,
      );
      if (r) {
        t.true(r instanceof CephError && r.code === 'EDQUOT', String(r));
        break;
      }
      if (i >= 2) await new Promise((r) => setTimeout(r, 500));
    }
    const before = (await rados(c, ['-p', POOL, 'ls'])).stdout.split('\n').filter(Boolean).sort();

    const file = join(dir, 'image.bin');
    writeFileSync(file, randomBytes(4 * MiB));
    const imp = await rbdTs(c.conf, ['import', '--no-progress', file, `${POOL}/imported`]);
    t.log(`rbd-ts import into the full pool: exit ${imp.code} after ${imp.ms} ms: ${imp.stderr.trim()}`);
    t.is(imp.code, 122, imp.stderr);
    t.regex(imp.stderr, /EDQUOT|quota/i);
    t.true(imp.ms < 15_000, `import took ${imp.ms} ms`);

    let t0 = Date.now();
    const created = await t.throwsAsync(RBD.create(io, 'created', 8 * MiB));
    t.is((created as CephError).code, 'EDQUOT', String(created));
    const cloned = await t.throwsAsync(RBD.clone(io, 'parent', 's', io, 'cloned', { cloneFormat: 2 }));
    t.is((cloned as CephError).code, 'EDQUOT', String(cloned));
    t.true(Date.now() - t0 < 10_000, `create + clone took ${Date.now() - t0} ms`);

    // nothing left: rbd lists what was there, the pool holds the same objects
    t.deepEqual((await rbd(c, ['ls', POOL])).stdout.split('\n').filter(Boolean).sort(), ['parent', 'victim']);
    t.deepEqual((await rados(c, ['-p', POOL, 'ls'])).stdout.split('\n').filter(Boolean).sort(), before);
    const info = await rbd(c, ['info', `${POOL}/parent`, '--format', 'json']);
    t.is(JSON.parse(info.stdout).snapshot_count, 1);
    const children = await rbd(c, ['children', `${POOL}/parent@s`]);
    t.is(children.stdout.trim(), '', 'no child left attached to the parent');

    // removal frees room, and works while the pool is full
    t0 = Date.now();
    const rm = await rbdTs(c.conf, ['rm', '--no-progress', `${POOL}/victim`]);
    t.is(rm.code, 0, rm.stderr);
    t.true(rm.ms < 15_000, `rm took ${rm.ms} ms`);
    t.deepEqual((await rbd(c, ['ls', POOL])).stdout.split('\n').filter(Boolean), ['parent']);
  } finally {
    await ceph(c, ['osd', 'pool', 'set-quota', POOL, 'max_objects', '0']);
    rmSync(dir, { recursive: true, force: true });
    cluster.shutdown();
  }
});
