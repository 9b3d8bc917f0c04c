// The Glance rbd store and the Nova clone handler against a real glance-api (Debian's, Zed,
// rbd store in pool `images`, sqlite, no Keystone) on the test cluster, with librbd and the
// rbd/rados/ceph commands as oracles: Glance-stored images cloned by rbd-ts, rbd-ts-stored
// images served by Glance, 409/EBUSY while clones exist, the copy path when not cloneable
// (another fsid, a pool this client cannot read, qcow2), direct snapshots, bad locations.

import test from 'ava';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CephError } from '../../src/encoding/errno.js';
import { GlanceError } from '../../src/glance/glance-client.js';
import { formatLocation, parseLocation } from '../../src/glance/location.js';
import { NovaHandler } from '../../src/glance/nova.js';
import { RbdStore } from '../../src/glance/store.js';
import { Rados } from '../../src/rados/rados.js';
import { Image, RBD } from '../../src/rbd/index.js';
import { ceph, rados as radosCli, rbd, sharedCluster, startCluster, type TestCluster } from '../helpers/cluster.js';
import { glanceNeedsLegacyKey, startGlance, type TestGlance } from '../helpers/glance.js';
import { librbd } from '../helpers/librbd.js';

const MiB = 1 << 20;
const IMAGES = 'images';
const VMS = 'rbd';
const tag = randomBytes(3).toString('hex');
const disk = (s: string) => `glance-${s}-${tag}`;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');

interface Ctx {
  c: TestCluster;
  glance: TestGlance;
  rados: Rados;
  store: RbdStore;
  nova: NovaHandler;
}
let ctx: Ctx | undefined;
const glanceIds: string[] = [];
const tmp = mkdtempSync(join(tmpdir(), 'rbd-ts-glance-test-'));

// On a cluster whose keys are aes256k (Tentacle), Debian 12's glance-api needs an aes key: it
// gets one on a cluster of this file's own (glance.sh --legacy-key adds aes to that cluster's
// allowed ciphers), so the suite's cluster keeps its aes256k-only policy.
let own: TestCluster | undefined;

async function setup(): Promise<Ctx> {
  const shared = await sharedCluster();
  const legacyKey = await glanceNeedsLegacyKey(shared.conf);
  const c = legacyKey ? (own = await startCluster({ osds: 1 })) : shared;
  const glance = await startGlance(c.conf, { pool: IMAGES, legacyKey });
  const rados = await Rados.connect({ conf: c.conf, timeoutMs: 20_000 });
  return { c, glance, rados, store: new RbdStore(rados, { pool: IMAGES }), nova: new NovaHandler(rados, { glance: glance.client }) };
}

test.before(async () => {
  ctx = await setup();
});

test.after.always(async () => {
  if (!ctx) return;
  const { glance, nova, rados } = ctx;
  await nova.cleanupDisks(VMS, `glance-`).catch(() => undefined);
  for (const id of glanceIds) await glance.client.deleteImage(id).catch(() => undefined);
  rados.shutdown();
  await glance.stop();
  await own?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** md5 and size of an image (at a snapshot) as librbd reads it. */
function librbdMd5(conf: string, pool: string, image: string, snap: string | null = null): Promise<{ md5: string; size: number }> {
  return librbd<{ md5: string; size: number }>(
    { conf },
    `
import hashlib
img = rbd.Image(ioctx(A['pool']), A['name'], snapshot=A['snap'], read_only=True)
try:
    n = img.size()
    h = hashlib.md5()
    off = 0
    while off < n:
        b = img.read(off, min(8 << 20, n - off))
        h.update(b)
        off += len(b)
    return {'md5': h.hexdigest(), 'size': n}
finally:
    img.close()
`,
    { pool, name: image, snap },
    { timeoutMs: 120_000 },
  );
}

async function rbdInfo(c: TestCluster, spec: string): Promise<Record<string, unknown>> {
  const r = await rbd(c, ['info', spec, '--format', 'json']);
  if (r.code !== 0) throw new Error(`rbd info ${spec}: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

/** Upload bytes through the Glance API (Glance's own python rbd driver stores them). */
async function uploadThroughGlance(data: Buffer, diskFormat = 'raw') {
  const img = await ctx!.glance.client.createAndUpload({ name: `rbd-ts-test-${tag}`, disk_format: diskFormat, container_format: 'bare' }, data);
  glanceIds.push(img.id);
  return img;
}

async function objectsOf(c: TestCluster, pool: string, imageName: string, imageId: string | undefined): Promise<string[]> {
  const r = await radosCli(c, ['-p', pool, 'ls']);
  return r.stdout.split('\n').filter((o) => o === `rbd_id.${imageName}` || (imageId !== undefined && o.includes(imageId)));
}

test.serial('an image uploaded through the Glance API is cloned by rbd-ts: rbd info shows the parent, the bytes equal the file', async (t) => {
  const { c, nova } = ctx!;
  const data = randomBytes(6 * MiB + 12345);
  const img = await uploadThroughGlance(data);
  t.is(img.status, 'active');
  t.is(img.checksum, md5(data));
  t.truthy(img.direct_url);
  const loc = parseLocation(img.direct_url!);
  t.deepEqual(loc, { fsid: c.fsid, pool: IMAGES, image: img.id, snapshot: 'snap' });

  const d = await nova.createDisk(img.id, VMS, disk('clone'), { size: 16 * MiB });
  t.is(d.path, 'clone', d.reason);
  t.is(d.location, img.direct_url);
  t.is(d.size, 16 * MiB);
  const info = await rbdInfo(c, `${VMS}/${disk('clone')}`);
  const parent = info['parent'] as { pool: string; image: string; snapshot: string; overlap: number };
  t.is(parent.pool, IMAGES);
  t.is(parent.image, img.id);
  t.is(parent.snapshot, 'snap');
  t.is(parent.overlap, data.length);
  // the clone reads as the file, then zeros up to the requested size
  const expect = Buffer.concat([data, Buffer.alloc(16 * MiB - data.length)]);
  t.is((await librbdMd5(c.conf, VMS, disk('clone'))).md5, md5(expect));

  // a location works as well as the id
  const d2 = await nova.createDisk(img.direct_url!, VMS, disk('clone-by-location'));
  t.is(d2.path, 'clone');
  t.is((await librbdMd5(c.conf, VMS, disk('clone-by-location'))).md5, md5(data));
});

test.serial('an image added by the rbd-ts store is served by Glance: registered with its location, downloaded byte-identical', async (t) => {
  const { c, store, glance } = ctx!;
  const data = randomBytes(5 * MiB + 777);
  const id = randomUUID();
  // a stream of odd-sized pieces, size unknown: the image grows while writing
  async function* pieces() {
    for (let o = 0; o < data.length; o += 1_000_003) yield data.subarray(o, Math.min(o + 1_000_003, data.length));
  }
  const r = await store.add(id, pieces());
  t.is(r.location, `rbd://${c.fsid}/${IMAGES}/${id}/snap`);
  t.is(r.size, data.length);
  t.is(r.checksum, md5(data));
  t.is(r.hashAlgo, 'sha512');
  t.is(r.multihash, createHash('sha512').update(data).digest('hex'));
  // the layout glance_store makes: 8 MiB objects, `snap` protected
  const info = await rbdInfo(c, `${IMAGES}/${id}`);
  t.is(info['order'], 23);
  t.is(info['size'], data.length);
  const snaps = JSON.parse((await rbd(c, ['snap', 'ls', `${IMAGES}/${id}`, '--format', 'json'])).stdout) as Array<{ name: string; protected: string }>;
  t.deepEqual(
    snaps.map((s) => [s.name, s.protected]),
    [['snap', 'true']],
  );
  t.is((await librbdMd5(c.conf, IMAGES, id, 'snap')).md5, md5(data));
  t.is(await store.getSize(r.location), data.length);

  const g = await glance.client.createImage({ name: `rbd-ts-store-${tag}`, disk_format: 'raw', container_format: 'bare' });
  glanceIds.push(g.id);
  const shown = await glance.client.addLocation(g.id, r.location);
  t.is(shown.status, 'active');
  t.is(shown.size, data.length);
  const down = await glance.client.downloadBuffer(g.id, { expectMd5: r.checksum });
  t.is(md5(down), md5(data));
  t.is(down.length, data.length);

  // and the store's own stream
  const got = await store.get(r.location);
  const parts: Buffer[] = [];
  for await (const b of got.stream) parts.push(b as Buffer);
  t.is(md5(Buffer.concat(parts)), md5(data));

  // a source failing midway: the half-written image is removed, no object left
  const failId = randomUUID();
  const poolObjects = async () => (await radosCli(c, ['-p', IMAGES, 'ls'])).stdout.split('\n').sort();
  const before = await poolObjects();
  async function* failing() {
    yield randomBytes(3 * MiB);
    throw new Error('source broke');
  }
  await t.throwsAsync(store.add(failId, failing()), { message: /source broke/ });
  t.is((await rbd(c, ['info', `${IMAGES}/${failId}`])).code, 2);
  t.deepEqual(await poolObjects(), before);

  // a duplicate id: EEXIST, the existing image untouched
  const dup = await t.throwsAsync(store.add(id, randomBytes(1000)), { instanceOf: CephError });
  t.is(dup?.code, 'EEXIST');
  t.is((await librbdMd5(c.conf, IMAGES, id, 'snap')).md5, md5(data));
});

test.serial(
  'delete while an rbd-ts clone exists: Glance answers 409, store.delete EBUSY, nothing changes; after the clone goes both delete and no object remains',
  async (t) => {
    const { c, store, nova, glance, rados } = ctx!;
    // (1) Glance-stored image, deleted through the Glance API
    const data = randomBytes(3 * MiB);
    const img = await uploadThroughGlance(data);
    const d = await nova.createDisk(img.id, VMS, disk('busy'));
    t.is(d.path, 'clone');
    const e = await t.throwsAsync(glance.client.deleteImage(img.id), { instanceOf: GlanceError });
    t.is(e?.status, 409);
    t.is(e?.code, 'EBUSY');
    t.regex(e?.glanceMessage ?? '', /in use/);
    const after = await glance.client.showImage(img.id);
    t.is(after.status, 'active');
    t.is(after.direct_url, img.direct_url);
    t.is((await librbdMd5(c.conf, IMAGES, img.id, 'snap')).md5, md5(data));
    // rbd-ts's store refuses the same way, changing nothing
    const snapsBefore = (await rbd(c, ['snap', 'ls', `${IMAGES}/${img.id}`, '--format', 'json'])).stdout;
    const e2 = await t.throwsAsync(store.delete(img.direct_url!), { instanceOf: CephError });
    t.is(e2?.code, 'EBUSY');
    t.is((await rbd(c, ['snap', 'ls', `${IMAGES}/${img.id}`, '--format', 'json'])).stdout, snapsBefore);
    t.is((await librbdMd5(c.conf, IMAGES, img.id, 'snap')).md5, md5(data));

    const imageId = String((await rbdInfo(c, `${IMAGES}/${img.id}`))['id']);
    await RBD.remove(await rados.openIoctx(VMS), disk('busy'));
    await glance.client.deleteImage(img.id);
    glanceIds.splice(glanceIds.indexOf(img.id), 1);
    const gone = await t.throwsAsync(glance.client.showImage(img.id), { instanceOf: GlanceError });
    t.is(gone?.status, 404);
    t.deepEqual(await objectsOf(c, IMAGES, img.id, imageId), []);

    // (2) rbd-ts-stored image, deleted by rbd-ts's store
    const id = randomUUID();
    const r = await store.add(id, randomBytes(2 * MiB));
    const d2 = await nova.createDisk(r.location, VMS, disk('busy2'));
    t.is(d2.path, 'clone');
    const e3 = await t.throwsAsync(store.delete(r.location), { instanceOf: CephError });
    t.is(e3?.code, 'EBUSY');
    t.is((await rbd(c, ['snap', 'ls', `${IMAGES}/${id}`, '--format', 'json'])).stdout.includes('"protected":"true"'), true);
    const rid = String((await rbdInfo(c, `${IMAGES}/${id}`))['id']);
    await RBD.remove(await rados.openIoctx(VMS), disk('busy2'));
    await store.delete(r.location);
    t.deepEqual(await objectsOf(c, IMAGES, id, rid), []);
    const e4 = await t.throwsAsync(store.delete(r.location), { instanceOf: CephError });
    t.is(e4?.code, 'ENOENT');
  },
);

test.serial('not cloneable (another fsid, a pool this client cannot read, qcow2): createDisk copies through Glance, says why, bytes equal', async (t) => {
  const { c, store, nova, glance } = ctx!;
  // (a) a location naming another cluster's fsid (Glance's driver ignores the fsid and serves it)
  const data = randomBytes(4 * MiB + 99);
  const id = randomUUID();
  const r = await store.add(id, data);
  const other = formatLocation({ ...parseLocation(r.location), fsid: '00000000-1111-2222-3333-444444444444' });
  const g = await glance.client.createImage({ name: `rbd-ts-otherfsid-${tag}`, disk_format: 'raw', container_format: 'bare' });
  glanceIds.push(g.id);
  // Glance picks the store by the URI's prefix (rbd://<its fsid>/<pool>/); another fsid needs the store named
  await glance.client.addLocation(g.id, other, { store: 'ceph' });
  const d = await nova.createDisk(g.id, VMS, disk('otherfsid'));
  t.is(d.path, 'copy');
  t.regex(d.reason, /another cluster/);
  t.is((await librbdMd5(c.conf, VMS, disk('otherfsid'))).md5, md5(data));
  t.is(await rbdInfo(c, `${VMS}/${disk('otherfsid')}`).then((i) => i['parent']), undefined);
  // two records could name one RBD image: drop Glance's record, then the image (whoever removed it first)
  await glance.client.deleteImage(g.id);
  glanceIds.splice(glanceIds.indexOf(g.id), 1);
  await store.delete(r.location).catch((e: unknown) => {
    if (!(e instanceof CephError && e.code === 'ENOENT')) throw e;
  });

  // (b) a client whose caps cover the disk pool only: it cannot read `images`
  const user = `client.glance-test-${tag}`;
  const made = await ceph(c, ['auth', 'get-or-create', user, 'mon', 'profile rbd', 'osd', `profile rbd pool=${VMS}`]);
  t.is(made.code, 0, made.stderr);
  const keyring = join(tmp, 'restricted.keyring');
  writeFileSync(keyring, made.stdout);
  const restricted = await Rados.connect({ conf: c.conf, name: user, keyring, timeoutMs: 20_000 });
  try {
    const img = await uploadThroughGlance(data);
    const rnova = new NovaHandler(restricted, { glance: glance.client });
    const check = await rnova.isCloneable(img.direct_url!, img, { timeoutMs: 20_000 });
    t.false(check.cloneable);
    const d2 = await rnova.createDisk(img.id, VMS, disk('nocaps'), { timeoutMs: 60_000 });
    t.is(d2.path, 'copy');
    t.regex(d2.reason, new RegExp(`pool ${IMAGES} is not readable by ${user}`));
    t.is((await librbdMd5(c.conf, VMS, disk('nocaps'))).md5, md5(data));
  } finally {
    restricted.shutdown();
    await ceph(c, ['auth', 'rm', user]);
  }

  // (c) a qcow2 image: never cloned (Nova needs raw); the disk gets Glance's bytes
  const raw = join(tmp, 'src.raw');
  const qcow = join(tmp, 'src.qcow2');
  writeFileSync(raw, randomBytes(2 * MiB));
  execFileSync('qemu-img', ['convert', '-f', 'raw', '-O', 'qcow2', raw, qcow]);
  const qbytes = readFileSync(qcow);
  const q = await uploadThroughGlance(qbytes, 'qcow2');
  t.is(q.disk_format, 'qcow2');
  const d3 = await nova.createDisk(q.id, VMS, disk('qcow2'));
  t.is(d3.path, 'copy');
  t.regex(d3.reason, /not raw format \(disk_format qcow2\)/);
  t.is((await librbdMd5(c.conf, VMS, disk('qcow2'))).md5, md5(qbytes));
});

test.serial('directSnapshot of a written disk: an image in the image pool, flattened, snap protected, librbd reads it byte-identical', async (t) => {
  const { c, nova, rados } = ctx!;
  const base = randomBytes(4 * MiB);
  const img = await uploadThroughGlance(base);
  const name = disk('snapsrc');
  await nova.createDisk(img.id, VMS, name, { size: 8 * MiB });
  // the VM writes over part of the parent's data and past the overlap
  const h = await Image.open(await rados.openIoctx(VMS), name);
  const w1 = randomBytes(300_000);
  const w2 = randomBytes(1 * MiB);
  await h.write(w1, 1_000_000);
  await h.write(w2, 6 * MiB);
  await h.close();
  const expect = Buffer.concat([base, Buffer.alloc(4 * MiB)]);
  w1.copy(expect, 1_000_000);
  w2.copy(expect, 6 * MiB);

  const newId = randomUUID();
  const loc = await nova.directSnapshot(VMS, name, IMAGES, newId);
  t.is(loc, `rbd://${c.fsid}/${IMAGES}/${newId}/snap`);
  const info = await rbdInfo(c, `${IMAGES}/${newId}`);
  t.is(info['parent'], undefined, 'flattened: no parent');
  t.is((await librbdMd5(c.conf, IMAGES, newId, 'snap')).md5, md5(expect));
  // the disk's temporary snapshot is gone; the disk still reads the same
  t.is((await rbd(c, ['snap', 'ls', `${VMS}/${name}`, '--format', 'json'])).stdout.trim(), '[]');
  t.is((await librbdMd5(c.conf, VMS, name)).md5, md5(expect));
  // the new image is a Glance-style image: the store deletes it
  await ctx!.store.delete(loc);
  t.is((await rbd(c, ['info', `${IMAGES}/${newId}`])).code, 2);
});

test.serial('boot-many: N disks from one image, bounded parallelism, every one a clone; cleanupDisks removes them', async (t) => {
  const { c, nova } = ctx!;
  const data = randomBytes(2 * MiB);
  const img = await uploadThroughGlance(data);
  const prefix = disk('many') + '-';
  const seen: string[] = [];
  const r = await nova.bootMany(img.id, VMS, prefix, 6, { parallel: 3, onDisk: (d) => seen.push(d.disk) });
  t.is(r.disks.length, 6);
  t.true(r.disks.every((d) => d.path === 'clone'));
  t.is(seen.length, 6);
  t.is((await librbdMd5(c.conf, VMS, `${prefix}6`)).md5, md5(data));
  const removed = await nova.cleanupDisks(VMS, prefix);
  t.is(removed.length, 6);
  const ls = (await rbd(c, ['ls', VMS])).stdout.split('\n');
  t.false(ls.some((n) => n.startsWith(prefix)));
});

test.serial('bad locations and unknown images give clear errors', async (t) => {
  const { store, nova, glance, c } = ctx!;
  for (const bad of ['http://x/y', 'rbd://', 'rbd://a/b', 'rbd://a/b/c', 'rbd://f/p//s', 'rbd://f/p/%zz/s']) {
    const e = t.throws(() => parseLocation(bad), { instanceOf: CephError });
    t.is(e?.code, 'EINVAL', bad);
    t.regex(e?.message ?? '', /bad rbd location/);
  }
  const e1 = await t.throwsAsync(store.get('rbd://a/b'), { instanceOf: CephError });
  t.is(e1?.code, 'EINVAL');
  const e2 = await t.throwsAsync(store.get(`rbd://${c.fsid}/${IMAGES}/no-such-image-${tag}/snap`), { instanceOf: CephError });
  t.is(e2?.code, 'ENOENT');
  const e3 = await t.throwsAsync(store.get(`rbd://00000000-0000-0000-0000-000000000000/${IMAGES}/x/snap`), { instanceOf: CephError });
  t.is(e3?.code, 'EXDEV');
  const e4 = await t.throwsAsync(nova.createDisk('rbd://just-an-image', VMS, disk('bad')), { instanceOf: CephError });
  t.regex(e4?.message ?? '', /not an rbd snapshot/);
  const e5 = await t.throwsAsync(glance.client.showImage(randomUUID()), { instanceOf: GlanceError });
  t.is(e5?.status, 404);
  t.is(e5?.code, 'ENOENT');
  const check = await nova.isCloneable('rbd://nope', { disk_format: 'raw' });
  t.false(check.cloneable);
});
