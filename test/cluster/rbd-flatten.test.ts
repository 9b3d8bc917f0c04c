// Flatten: rbd-ts flattens one clone and librbd its twin; the bytes (head and the clone's own
// snapshot), the data objects, the object maps and the parent's children records must agree.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { CephError } from '../../src/encoding/errno.js';
import { Rados } from '../../src/rados/rados.js';
import { Image, RBD } from '../../src/rbd/index.js';
import { librbd } from '../helpers/librbd.js';
import { rados, rbd, sharedCluster } from '../helpers/cluster.js';

const MiB = 1 << 20;
const tag = randomBytes(3).toString('hex');
const name = (s: string) => `flat-${s}-${tag}`;

interface Info {
  parent?: unknown;
  id: string;
}

async function info(c: { conf: string }, spec: string): Promise<Info> {
  return JSON.parse((await rbd(c, ['info', spec, '--format', 'json'])).stdout) as Info;
}

async function dataObjects(c: { conf: string }, id: string): Promise<string[]> {
  const out = (await rados(c, ['-p', 'rbd', 'ls'])).stdout.split('\n');
  return out
    .filter((o) => o.startsWith(`rbd_data.${id}.`))
    .map((o) => o.slice(`rbd_data.${id}.`.length))
    .sort();
}

for (const format of [1, 2] as const) {
  test(`flatten a format-${format} clone with a snapshot: same bytes, objects and records as librbd's flatten`, async (t) => {
    const c = await sharedCluster();
    const cluster = await Rados.connect({ conf: c.conf, timeoutMs: 20_000 });
    const io = await cluster.openIoctx('rbd');
    const p = name(`p${format}`);
    const mine = name(`a${format}`);
    const theirs = name(`b${format}`);
    try {
      // parent: 20 MiB with data in objects 0, 1, 3 (object 2 a hole), objects 4 partly
      await librbd(
        c,
        `
import random
rnd = random.Random(5)
io = ioctx('rbd')
rbd.RBD().create(io, A['p'], 20 << 20)
img = rbd.Image(io, A['p'])
img.write(rnd.randbytes(8 << 20), 0)
img.write(rnd.randbytes(4 << 20), 12 << 20)
img.write(rnd.randbytes(100000), 16 << 20)
img.create_snap('s')
img.protect_snap('s')
img.close()
`,
        { p },
        { timeoutMs: 60_000 },
      );
      for (const n of [mine, theirs]) await RBD.clone(io, p, 's', io, n, { cloneFormat: format });
      // the same writes and snapshot in both children (a write into object 1 copies it up first)
      const w = randomBytes(5000);
      for (const n of [mine, theirs]) {
        const img = await Image.open(io, n);
        await img.write(w, 5 * MiB + 77);
        await img.createSnap('cs');
        await img.close();
      }
      const img = await Image.open(io, mine);
      const seen: Array<[number, number]> = [];
      await img.flatten({ onProgress: (d, n) => seen.push([d, n]) });
      await img.close();
      await librbd(c, `img = rbd.Image(ioctx('rbd'), A['n'])\nimg.flatten()\nimg.close()`, { n: theirs }, { timeoutMs: 60_000 });

      t.deepEqual(seen.at(-1), [5, 5], 'progress ends at the overlap object count');
      const [a, b] = [await info(c, `rbd/${mine}`), await info(c, `rbd/${theirs}`)];
      t.is(a.parent, undefined, 'rbd info shows no parent');
      t.is(b.parent, undefined);
      t.deepEqual(await dataObjects(c, a.id.toString()), await dataObjects(c, b.id.toString()), 'the same data objects');
      const sums = await librbd<string[]>(
        c,
        `
import hashlib
out = []
for nm in (A['x'], A['y']):
    for snap in (None, 'cs'):
        img = rbd.Image(ioctx('rbd'), nm, snapshot=snap, read_only=True)
        out.append(hashlib.md5(img.read(0, img.size())).hexdigest())
        img.close()
return out
`,
        { x: mine, y: theirs },
        { timeoutMs: 60_000 },
      );
      t.is(sums[0], sums[2], 'head bytes equal');
      t.is(sums[1], sums[3], 'snapshot bytes equal');
      const check = await rbd(c, ['object-map', 'check', `rbd/${mine}`]);
      t.is(check.code, 0, check.stderr);
      t.deepEqual((JSON.parse((await rbd(c, ['info', `rbd/${mine}`, '--format', 'json'])).stdout) as { flags: string[] }).flags, []);
      // neither child is recorded any more: the parent snapshot unprotects
      const children = await rbd(c, ['children', `rbd/${p}@s`, '--format', 'json']);
      t.deepEqual(JSON.parse(children.stdout), []);
      const un = await rbd(c, ['snap', 'unprotect', `rbd/${p}@s`]);
      t.is(un.code, 0, un.stderr);
    } finally {
      for (const n of [mine, theirs]) {
        const h = await Image.open(io, n).catch(() => undefined);
        await h?.removeSnap('cs').catch(() => undefined);
        await h?.close();
        await RBD.remove(io, n).catch(() => undefined);
      }
      const h = await Image.open(io, p).catch(() => undefined);
      await h?.unprotectSnap('s').catch(() => undefined);
      await h?.removeSnap('s').catch(() => undefined);
      await RBD.remove(io, p).catch(() => undefined);
      cluster.shutdown();
    }
  });
}

test('flatten: no parent is EINVAL, a snapshot handle is EROFS', async (t) => {
  const c = await sharedCluster();
  const cluster = await Rados.connect({ conf: c.conf, timeoutMs: 20_000 });
  const io = await cluster.openIoctx('rbd');
  const n = name('plain');
  try {
    await RBD.create(io, n, 4 * MiB);
    const img = await Image.open(io, n);
    const e = await t.throwsAsync(img.flatten(), { instanceOf: CephError });
    t.is(e?.code, 'EINVAL');
    await img.createSnap('x');
    const at = await Image.open(io, n, { snapshot: 'x' });
    t.is((await t.throwsAsync(at.flatten(), { instanceOf: CephError }))?.code, 'EROFS');
    await img.removeSnap('x');
    await img.close();
  } finally {
    await RBD.remove(io, n).catch(() => undefined);
    cluster.shutdown();
  }
});
