// Image writes: what rbd-ts writes, librbd reads (plain, fancy-striped, and a clone where the
// first writes copy the parent's bytes up); the parent snapshot stays unchanged; the object
// map stays exact (`rbd object-map check`).

import test from 'ava';
import { createHash, randomBytes } from 'node:crypto';
import { Rados } from '../../src/rados/rados.js';
import { Image, RBD } from '../../src/rbd/index.js';
import { librbd } from '../helpers/librbd.js';
import { rbd, sharedCluster } from '../helpers/cluster.js';

const MiB = 1 << 20;
const tag = randomBytes(3).toString('hex');
const name = (s: string) => `write-${s}-${tag}`;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

function writes(size: number, seed: number, n: number): Array<[number, Buffer]> {
  let x = seed;
  const r = () => ((x = (x * 1103515245 + 12345) >>> 0), x);
  const out: Array<[number, Buffer]> = [];
  for (let i = 0; i < n; i++) {
    const len = 1 + (r() % 200_000);
    const off = r() % (size - len);
    out.push([off, randomBytes(len)]);
  }
  out.push([size - 10, randomBytes(10)], [4 * MiB - 3, randomBytes(7)]);
  return out;
}

async function librbdImage(conf: string, image: string, snap: string | null = null): Promise<{ md5: string; size: number }> {
  return librbd<{ md5: string; size: number }>(
    { conf },
    `
import hashlib
img = rbd.Image(ioctx('rbd'), A['name'], snapshot=A['snap'], read_only=True)
try:
    n = img.size()
    return {'md5': hashlib.md5(img.read(0, n)).hexdigest(), 'size': n}
finally:
    img.close()
`,
    { name: image, snap },
    { timeoutMs: 120_000 },
  );
}

test('librbd reads what rbd-ts writes: plain, striped, and a clone with copy-up; object maps stay exact', async (t) => {
  const c = await sharedCluster();
  const cluster = await Rados.connect({ conf: c.conf, timeoutMs: 20_000 });
  const io = await cluster.openIoctx('rbd');
  const made: string[] = [];
  try {
    for (const [label, opts] of [
      ['plain', {}],
      ['striped', { stripeUnit: 65536, stripeCount: 4 }],
    ] as const) {
      const img = name(label);
      await RBD.create(io, img, 24 * MiB, opts);
      made.push(img);
      const h = await Image.open(io, img);
      const expect = Buffer.alloc(24 * MiB);
      for (const [off, data] of writes(24 * MiB, label.length, 40)) {
        await h.write(data, off);
        data.copy(expect, off);
      }
      t.is((await librbdImage(c.conf, img)).md5, md5(expect), label);
      t.is(md5(await h.read(0, 24 * MiB)), md5(expect), `${label}: rbd-ts reads it back`);
      const check = await rbd(c, ['object-map', 'check', `rbd/${img}`]);
      t.is(check.code, 0, check.stderr);
      const info = JSON.parse((await rbd(c, ['info', `rbd/${img}`, '--format', 'json'])).stdout) as { flags: string[] };
      t.deepEqual(info.flags, [], `${label}: object map valid`);
    }

    // a clone: librbd writes the parent, rbd-ts writes the child
    const p = name('parent');
    await librbd(
      c,
      `
import random
rnd = random.Random(3)
io = ioctx('rbd')
rbd.RBD().create(io, A['p'], 24 << 20)
img = rbd.Image(io, A['p'])
for i in range(25):
    img.write(rnd.randbytes(rnd.randrange(1, 300000)), rnd.randrange(0, (24 << 20) - 300000))
img.create_snap('s')
img.protect_snap('s')
img.close()
`,
      { p },
      { timeoutMs: 120_000 },
    );
    made.push(p);
    const before = await librbdImage(c.conf, p, 's');
    const child = name('child');
    await RBD.clone(io, p, 's', io, child, { cloneFormat: 2 });
    made.unshift(child);
    const ch = await Image.open(io, child);
    const expect = await (await Image.open(io, p, { snapshot: 's' })).read(0, 24 * MiB);
    t.is(md5(expect), before.md5);
    for (const [off, data] of writes(24 * MiB, 99, 30)) {
      await ch.write(data, off);
      data.copy(expect, off);
    }
    t.is((await librbdImage(c.conf, child)).md5, md5(expect), 'librbd reads the clone as written (parent bytes copied up)');
    t.is((await librbdImage(c.conf, p, 's')).md5, before.md5, 'the parent snapshot is unchanged');
    const check = await rbd(c, ['object-map', 'check', `rbd/${child}`]);
    t.is(check.code, 0, check.stderr);
    t.deepEqual((JSON.parse((await rbd(c, ['info', `rbd/${child}`, '--format', 'json'])).stdout) as { flags: string[] }).flags, []);
    // a write beyond the size is refused
    const e = await t.throwsAsync(ch.write(Buffer.alloc(10), 24 * MiB - 5));
    t.regex(e!.message, /EINVAL/);
  } finally {
    for (const img of made) {
      if (img === name('parent')) {
        const h = await Image.open(io, img).catch(() => undefined);
        await h?.unprotectSnap('s').catch(() => undefined);
        await h?.removeSnap('s').catch(() => undefined);
      }
      await RBD.remove(io, img).catch(() => undefined);
    }
    cluster.shutdown();
  }
});

test('writes by the same handle after a snapshot (some in flight while it is taken) mark objects EXISTS again: object-map check and rbd diff agree', async (t) => {
  const c = await sharedCluster();
  const cluster = await Rados.connect({ conf: c.conf, timeoutMs: 20_000 });
  const io = await cluster.openIoctx('rbd');
  const img = name('snap-then-write');
  try {
    await RBD.create(io, img, 8 * MiB, { objectSize: MiB });
    const h = await Image.open(io, img);
    for (let o = 0; o < 8; o++) await h.write(Buffer.alloc(4096, o + 1), o * MiB);
    // writes in flight while the snapshot is taken: each is wholly before it or wholly after
    const during = Array.from({ length: 8 }, (_, o) => h.write(Buffer.alloc(8192, 0x40 + o), o * MiB + 65536));
    await Promise.all([h.createSnap('a'), ...during]);
    // objects 0-3 written again after the snapshot, by the handle that knew them as EXISTS
    for (let o = 0; o < 4; o++) await h.write(Buffer.alloc(4096, 0x80 + o), o * MiB + 131072);
    await h.close();
    const check = await rbd(c, ['object-map', 'check', `rbd/${img}`]);
    t.is(check.code, 0, check.stderr);
    t.notRegex(check.stderr + check.stdout, /invalid|inconsistent|error/i);
    // fast-diff from the snapshot: the objects written after it, as rbd computes it from the maps
    const diff = JSON.parse((await rbd(c, ['diff', '--from-snap', 'a', '--whole-object', `rbd/${img}`, '--format', 'json'])).stdout) as Array<{
      offset: number;
    }>;
    const changed = diff.map((e) => e.offset / MiB);
    for (let o = 0; o < 4; o++) t.true(changed.includes(o), `object ${o} was written after the snapshot: ${changed.join(',')}`);
  } finally {
    await RBD.remove(io, img, {}).catch(async () => {
      await rbd(c, ['snap', 'purge', `rbd/${img}`]);
      await RBD.remove(io, img).catch(() => undefined);
    });
    cluster.shutdown();
  }
});
