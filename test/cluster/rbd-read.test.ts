// Image reads: rbd-ts reads what librbd reads, byte for byte, for an image librbd wrote,
// its snapshot, a clone (format 2) with librbd's own writes (copy-up), a clone of that
// clone (format 1, reading through two parents), and a fancy-striped image.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { Rados } from '../../src/rados/rados.js';
import { Image, RBD } from '../../src/rbd/index.js';
import { librbd } from '../helpers/librbd.js';
import { sharedCluster } from '../helpers/cluster.js';

const MiB = 1 << 20;
const tag = randomBytes(3).toString('hex');
const name = (s: string) => `read-${s}-${tag}`;

function ranges(size: number, seed: number): Array<[number, number]> {
  let x = seed;
  const r = () => ((x = (x * 1103515245 + 12345) >>> 0), x);
  const out: Array<[number, number]> = [
    [0, 4096],
    [size - 100, 300],
    [4 * MiB - 7, 20],
    [0, 0],
  ];
  for (let i = 0; i < 20; i++) out.push([r() % size, 1 + (r() % (3 * MiB))]);
  return out;
}

async function librbdReads(conf: string, image: string, snap: string | null, rs: Array<[number, number]>): Promise<string[]> {
  return librbd<string[]>(
    { conf },
    `
img = rbd.Image(ioctx('rbd'), A['name'], snapshot=A['snap'], read_only=True)
try:
    out = []
    for off, ln in A['ranges']:
        ln = max(0, min(ln, img.size() - off))
        out.append(img.read(off, ln).hex() if ln else '')
    return out
finally:
    img.close()
`,
    { name: image, snap, ranges: rs },
    { timeoutMs: 120_000 },
  );
}

test('rbd-ts reads what librbd reads: head, snapshot, clone chain, striping', async (t) => {
  const c = await sharedCluster();
  const cluster = await Rados.connect({ conf: c.conf, timeoutMs: 20_000 });
  const io = await cluster.openIoctx('rbd');
  try {
    // librbd writes a parent (and a striped image) with random bytes at unaligned places
    await librbd(
      c,
      `
import random
rnd = random.Random(7)
r = rbd.RBD()
io = ioctx('rbd')
r.create(io, A['p'], 24 << 20)
img = rbd.Image(io, A['p'])
for i in range(30):
    off = rnd.randrange(0, (24 << 20) - 100000)
    img.write(rnd.randbytes(rnd.randrange(1, 100000)), off)
img.create_snap('s')
img.protect_snap('s')
img.write(b'after the snapshot' * 1000, 1000)
img.close()
r.create(io, A['st'], 10 << 20, stripe_unit=65536, stripe_count=4)
img = rbd.Image(io, A['st'])
for i in range(20):
    img.write(rnd.randbytes(rnd.randrange(1, 300000)), rnd.randrange(0, (10 << 20) - 300000))
img.close()
`,
      { p: name('p'), st: name('st') },
      { timeoutMs: 120_000 },
    );
    // rbd-ts clones; librbd writes into the clone (copy-up); rbd-ts clones the clone
    await RBD.clone(io, name('p'), 's', io, name('c'), { cloneFormat: 2 });
    await librbd(
      c,
      `
img = rbd.Image(ioctx('rbd'), A['c'])
img.write(b'child-owned bytes' * 5000, 5 * 1048576 + 3)
img.close()
`,
      { c: name('c') },
    );
    const child = await Image.open(io, name('c'));
    await child.createSnap('cs');
    await child.protectSnap('cs');
    await RBD.clone(io, name('c'), 'cs', io, name('g'), { cloneFormat: 1 });

    for (const [img, snap] of [
      [name('p'), null],
      [name('p'), 's'],
      [name('c'), null],
      [name('g'), null],
      [name('st'), null],
    ] as const) {
      const theirs = await librbdReads(c.conf, img, snap, ranges(img === name('st') ? 10 * MiB : 24 * MiB, img.length));
      const mine = await Image.open(io, img, snap ? { snapshot: snap } : {});
      const rs = ranges(img === name('st') ? 10 * MiB : 24 * MiB, img.length);
      for (let i = 0; i < rs.length; i++) {
        const [off, len] = rs[i]!;
        const got = await mine.read(off, len);
        t.is(got.toString('hex'), theirs[i]!, `${img}${snap ? '@' + snap : ''} ${off}~${len}`);
      }
    }
    // shrink the grandchild below its overlap: the bytes beyond read as zeros, as with librbd
    const g = await Image.open(io, name('g'));
    await g.resize(6 * MiB + 5);
    await g.resize(24 * MiB);
    const rs: Array<[number, number]> = [
      [5 * MiB + 3, 20],
      [10 * MiB, 100],
    ];
    const theirs = await librbdReads(c.conf, name('g'), null, rs);
    for (let i = 0; i < rs.length; i++) t.is((await g.read(...rs[i]!)).toString('hex'), theirs[i]!);
    t.is(Buffer.from(theirs[0]!, 'hex').toString(), 'child-owned byteschi', 'bytes below the new overlap still come from the parent');
    t.false(/[1-9a-f]/.test(theirs[1]!), 'bytes beyond it are zeros');
  } finally {
    for (const n of [name('g')]) await RBD.remove(io, n).catch(() => undefined);
    const child = await Image.open(io, name('c')).catch(() => undefined);
    await child?.unprotectSnap('cs').catch(() => undefined);
    await child?.removeSnap('cs').catch(() => undefined);
    await RBD.remove(io, name('c')).catch(() => undefined);
    const p = await Image.open(io, name('p')).catch(() => undefined);
    await p?.unprotectSnap('s').catch(() => undefined);
    await p?.removeSnap('s').catch(() => undefined);
    for (const n of [name('p'), name('st')]) await RBD.remove(io, n).catch(() => undefined);
    cluster.shutdown();
  }
});

test('a read at a snapshot skips the objects its object map says do not exist', async (t) => {
  const c = await sharedCluster();
  const cluster = await Rados.connect({ conf: c.conf, timeoutMs: 20_000 });
  const io = await cluster.openIoctx('rbd');
  const n = name('om');
  try {
    await RBD.create(io, n, 40 * MiB); // 10 objects, object-map on by default
    const head = await Image.open(io, n);
    await head.write(Buffer.alloc(4096, 7), 0);
    await head.write(Buffer.alloc(4096, 9), 36 * MiB);
    await head.createSnap('s');
    await head.write(Buffer.alloc(4096, 5), 20 * MiB); // after the snapshot: not in its map
    await head.close();
    const at = await Image.open(io, n, { snapshot: 's' });
    const objecter = await cluster.objecter();
    const before = objecter.stats.sent;
    const all = await at.read(0, 40 * MiB);
    t.is(objecter.stats.sent - before, 2, 'only the 2 objects in the snapshot map are read');
    t.is(all[0], 7);
    t.is(all[36 * MiB], 9);
    t.is(all[20 * MiB], 0);
    await at.close();
  } finally {
    const h = await Image.open(io, n).catch(() => undefined);
    await h?.removeSnap('s').catch(() => undefined);
    await RBD.remove(io, n).catch(() => undefined);
    cluster.shutdown();
  }
});
