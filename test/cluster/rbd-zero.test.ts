// Discard and write-zeroes: the same bytes as librbd's on twin images (a plain image and a
// clone, so no parent data is revealed), object maps exact.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { Rados } from '../../src/rados/rados.js';
import { Image, RBD } from '../../src/rbd/index.js';
import { librbd } from '../helpers/librbd.js';
import { rbd, sharedCluster } from '../helpers/cluster.js';

const MiB = 1 << 20;
const tag = randomBytes(3).toString('hex');
const name = (s: string) => `zero-${s}-${tag}`;

const OPS: Array<['discard' | 'zero', number, number]> = [
  ['discard', 0, 4 * MiB], // a whole object
  ['discard', 5 * MiB + 1000, 300_000], // interior, unaligned
  ['zero', 9 * MiB + 17, 5000], // interior, unaligned
  ['zero', 12 * MiB - 4096, 4096], // up to an object's end
  ['discard', 14 * MiB, 2 * MiB + 12345], // across objects
  ['zero', 20 * MiB, 4 * MiB], // a whole object
];

test('discard and write-zeroes leave the bytes librbd leaves, in a plain image and in a clone', async (t) => {
  const c = await sharedCluster();
  const cluster = await Rados.connect({ conf: c.conf, timeoutMs: 20_000 });
  const io = await cluster.openIoctx('rbd');
  const p = name('p');
  try {
    await librbd(
      c,
      `
import random
rnd = random.Random(11)
io = ioctx('rbd')
for nm in (A['p'], A['a'], A['b']):
    rbd.RBD().create(io, nm, 24 << 20)
    img = rbd.Image(io, nm)
    img.write(rnd.randbytes(24 << 20), 0)
    img.close()
img = rbd.Image(io, A['p'])
img.create_snap('s')
img.protect_snap('s')
img.close()
`,
      { p, a: name('a'), b: name('b') },
      { timeoutMs: 120_000 },
    );
    await RBD.clone(io, p, 's', io, name('ca'), { cloneFormat: 2 });
    await RBD.clone(io, p, 's', io, name('cb'), { cloneFormat: 2 });
    // the same bytes in the twins to start with
    await librbd(
      c,
      `
img = rbd.Image(ioctx('rbd'), A['b'])
src = rbd.Image(ioctx('rbd'), A['a'])
img.write(src.read(0, 24 << 20), 0)
img.close(); src.close()
`,
      { a: name('a'), b: name('b') },
      { timeoutMs: 120_000 },
    );
    for (const [mine, theirs] of [
      [name('a'), name('b')],
      [name('ca'), name('cb')],
    ] as const) {
      const img = await Image.open(io, mine);
      for (const [op, off, len] of OPS) {
        if (op === 'discard') await img.discard(off, len);
        else await img.writeZeroes(off, len);
      }
      await librbd(
        c,
        `
img = rbd.Image(ioctx('rbd'), A['n'])
for op, off, ln in A['ops']:
    if op == 'discard':
        img.discard(off, ln)
    else:
        img.write_zeroes(off, ln)
img.close()
`,
        { n: theirs, ops: OPS },
      );
      const sums = await librbd<string[]>(
        c,
        `
import hashlib
out = []
for nm in (A['x'], A['y']):
    img = rbd.Image(ioctx('rbd'), nm, read_only=True)
    out.append(hashlib.md5(img.read(0, img.size())).hexdigest())
    img.close()
return out
`,
        { x: mine, y: theirs },
        { timeoutMs: 120_000 },
      );
      t.is(sums[0], sums[1], `${mine} vs ${theirs}`);
      const check = await rbd(c, ['object-map', 'check', `rbd/${mine}`]);
      t.is(check.code, 0, check.stderr);
      t.deepEqual((JSON.parse((await rbd(c, ['info', `rbd/${mine}`, '--format', 'json'])).stdout) as { flags: string[] }).flags, []);
    }
  } finally {
    for (const n of [name('ca'), name('cb'), name('a'), name('b')]) await RBD.remove(io, n).catch(() => undefined);
    const h = await Image.open(io, p).catch(() => undefined);
    await h?.unprotectSnap('s').catch(() => undefined);
    await h?.removeSnap('s').catch(() => undefined);
    await RBD.remove(io, p).catch(() => undefined);
    cluster.shutdown();
  }
});

test('a whole-object zero in a clone with a snapshot copies the parent up first: after flatten the snapshot still reads the parent bytes, as with librbd', async (t) => {
  const c = await sharedCluster();
  const cluster = await Rados.connect({ conf: c.conf, timeoutMs: 20_000 });
  const io = await cluster.openIoctx('rbd');
  const p = name('sp');
  const [mine, theirs] = [name('sca'), name('scb')];
  try {
    await librbd(
      c,
      `
import random
io = ioctx('rbd')
rbd.RBD().create(io, A['p'], 16 << 20)
img = rbd.Image(io, A['p'])
img.write(random.Random(5).randbytes(16 << 20), 0)
img.create_snap('s')
img.protect_snap('s')
img.close()
for nm in (A['a'], A['b']):
    rbd.RBD().clone(io, A['p'], 's', io, nm)
    child = rbd.Image(io, nm)
    child.create_snap('k')
    child.close()
`,
      { p, a: mine, b: theirs },
      { timeoutMs: 120_000 },
    );
    const img = await Image.open(io, mine);
    await img.writeZeroes(0, 4 * MiB); // whole object 0
    await img.discard(8 * MiB, 4 * MiB); // whole object 2
    await img.flatten();
    await img.close();
    await librbd(
      c,
      `
img = rbd.Image(ioctx('rbd'), A['n'])
img.write_zeroes(0, 4 << 20)
img.discard(8 << 20, 4 << 20)
img.flatten()
img.close()
`,
      { n: theirs },
      { timeoutMs: 120_000 },
    );
    const sums = await librbd<string[][]>(
      c,
      `
import hashlib
out = []
for nm in (A['x'], A['y'], A['p']):
    row = []
    for snap in (None, 'k') if nm != A['p'] else ('s',):
        img = rbd.Image(ioctx('rbd'), nm, snapshot=snap, read_only=True)
        row.append(hashlib.md5(img.read(0, img.size())).hexdigest())
        img.close()
    out.append(row)
return out
`,
      { x: mine, y: theirs, p },
      { timeoutMs: 120_000 },
    );
    t.deepEqual(sums[0], sums[1], 'head and snapshot k: the bytes librbd leaves');
    t.is(sums[0]![1], sums[2]![0], 'the snapshot still reads the parent snapshot, after flatten');
    t.not(sums[0]![0], sums[0]![1], 'the head reads the zeros');
    const info = JSON.parse((await rbd(c, ['info', `rbd/${mine}`, '--format', 'json'])).stdout) as { parent?: unknown };
    t.is(info.parent, undefined, 'flattened');
    const check = await rbd(c, ['object-map', 'check', `rbd/${mine}`]);
    t.is(check.code, 0, check.stderr);
  } finally {
    for (const n of [mine, theirs]) {
      const h = await Image.open(io, n).catch(() => undefined);
      await h?.removeSnap('k').catch(() => undefined);
      await h?.close();
      await RBD.remove(io, n).catch(() => undefined);
    }
    const h = await Image.open(io, p).catch(() => undefined);
    await h?.unprotectSnap('s').catch(() => undefined);
    await h?.removeSnap('s').catch(() => undefined);
    await h?.close();
    await RBD.remove(io, p).catch(() => undefined);
    cluster.shutdown();
  }
});
