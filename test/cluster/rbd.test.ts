// RBD conformance against librbd on the shared 3-OSD cluster. Every check looks at what
// the cluster really holds, through tools that are not ours: `rbd ... --format json`, the
// librbd oracle (python3-rbd, test/helpers/librbd.ts), `rados ls` / `listomapvals`.
//
//  * twins: each operation rbd-ts performs is performed by librbd on a twin image; both
//    must look the same (rbd info, snap ls, every python-rbd property, header omap keys
//    and values, object maps, the objects in the pools, the data) apart from ids, names
//    and timestamps;
//  * rbd-ts reads images librbd made exactly as `rbd info` prints them;
//  * clone chains (three deep, across pools, clone formats 1 and 2) as librbd sees them;
//  * errors: the errno librbd returns for the same mistake, and nothing left behind;
//  * a librbd client holding an image open sees rbd-ts' changes (header-update notify).

import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { CephError } from '../../src/encoding/errno.js';
import type { IoCtx } from '../../src/rados/ioctx.js';
import { Rados } from '../../src/rados/rados.js';
import * as R from '../../src/rbd/cls/rbd.js';
import { call } from '../../src/rbd/cls/exec.js';
import { Image, RBD } from '../../src/rbd/index.js';
import type { CloneOptions, CreateOptions } from '../../src/rbd/types.js';
import { ceph, rados, rbd, sharedCluster, type TestCluster } from '../helpers/cluster.js';
import { librbd, librbdErrno, librbdProcess } from '../helpers/librbd.js';

const TAG = randomBytes(3).toString('hex');
const PREFIX = `rt${TAG}`;
const POOL = 'rbd';
const POOL2 = `rbdts2-${TAG}`;
const MiB = 1 << 20;
const n = (s: string): string => `${PREFIX}-${s}`;

const ENOENT = 2;
const EBUSY = 16;
const EEXIST = 17;
const EINVAL = 22;
const EDOM = 33;
const ENOSYS = 38;
const ENOTEMPTY = 39;

let c: TestCluster;
let cl: Rados;
let io: IoCtx;
let io2: IoCtx;

test.before(async () => {
  c = await sharedCluster();
  cl = await Rados.connect({ conf: c.conf, timeoutMs: 20_000 });
  io = await cl.openIoctx(POOL);
  for (const args of [
    ['osd', 'pool', 'create', POOL2, '8', '8'],
    ['osd', 'pool', 'application', 'enable', POOL2, 'rbd'],
  ]) {
    const r = await ceph(c, args);
    if (r.code !== 0) throw new Error(`ceph ${args.join(' ')}: ${r.stderr}`);
  }
  io2 = await cl.openIoctx(POOL2);
});

test.after.always(async () => {
  if (!c) return;
  // everything this run made (children before parents), then the second pool
  await librbd(
    c,
    `
for attempt in range(5):
    left = 0
    for pool in A['pools']:
        try:
            io = ioctx(pool)
        except rados.Error:
            continue
        for name in [x for x in rbd.RBD().list(io) if x.startswith(A['prefix'])]:
            left += 1
            try:
                img = rbd.Image(io, name)
                for s in img.list_snaps():
                    if s.get('namespace', 0) != 0:
                        continue
                    try:
                        if img.is_protected_snap(s['name']):
                            img.unprotect_snap(s['name'])
                        img.remove_snap(s['name'])
                    except rbd.Error:
                        pass
                img.close()
                rbd.RBD().remove(io, name)
            except rbd.Error:
                pass
    if not left:
        break
`,
    { pools: [POOL2, POOL], prefix: PREFIX },
  ).catch(() => undefined);
  await ceph(c, ['osd', 'pool', 'rm', POOL2, POOL2, '--yes-i-really-really-mean-it']);
  cl?.shutdown();
});

// ---- helpers ----------------------------------------------------------------------------------

/** errno of a failed rbd-ts call, 0 if it succeeded */
async function tsErrno(p: Promise<unknown>): Promise<number> {
  try {
    await p;
    return 0;
  } catch (e) {
    if (e instanceof CephError) return e.errno;
    throw e;
  }
}

async function rbdJson<T = any>(...args: string[]): Promise<T> {
  const r = await rbd(c, [...args, '--format', 'json']);
  if (r.code !== 0) throw new Error(`rbd ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

async function rbdStatus(...args: string[]): Promise<number> {
  return (await rbd(c, args)).code;
}

/** `rados -p POOL ls`, sorted */
async function radosLs(pool: string): Promise<string[]> {
  const r = await rados(c, ['-p', pool, 'ls']);
  if (r.code !== 0) throw new Error(`rados ls ${pool}: ${r.stderr}`);
  return r.stdout.split('\n').filter(Boolean).sort();
}

/** clone ids `rados listsnaps` shows for an object (head excluded) */
async function radosListSnaps(pool: string, oid: string): Promise<string[]> {
  const r = await rados(c, ['-p', pool, 'listsnaps', oid]);
  if (r.code !== 0) throw new Error(`rados listsnaps ${oid}: ${r.stderr}`);
  return r.stdout
    .split('\n')
    .slice(2)
    .map((l) => l.split('\t')[0]!)
    .filter((x) => x && x !== 'head');
}

async function radosOmapKeys(pool: string, oid: string): Promise<string[]> {
  const r = await rados(c, ['-p', pool, 'listomapkeys', oid]);
  if (r.code !== 0) return [];
  return r.stdout.split('\n').filter(Boolean).sort();
}

/**
 * `rados ls` without the data objects whose head is gone: after a snapshot is removed the OSD
 * trims the snapshot's clones in the background, and until then a removed object may still be
 * listed (a whiteout) though `rados stat` says ENOENT.
 */
async function radosLsHeads(pool: string): Promise<string[]> {
  const all = await radosLs(pool);
  const data = all.filter((x) => x.startsWith('rbd_data.'));
  if (!data.length) return all;
  const gone = new Set(
    await librbd<string[]>(
      c,
      `io = ioctx(A['pool'])
out = []
for k in A['keys']:
    try:
        io.stat(k)
    except rados.ObjectNotFound:
        out.append(k)
return out`,
      { pool, keys: data },
    ),
  );
  return all.filter((x) => !gone.has(x));
}

/** What a failed operation must leave unchanged in a pool. */
async function poolState(pool: string, parent?: { pool: string; id: string }) {
  const children = await rados(c, ['-p', pool, 'listomapvals', 'rbd_children']);
  return {
    objects: await radosLsHeads(pool),
    directory: await radosOmapKeys(pool, 'rbd_directory'),
    rbd_children: children.code === 0 ? children.stdout : `(absent: ${children.code})`,
    parentHeader: parent ? await radosOmapKeys(parent.pool, `rbd_header.${parent.id}`) : [],
  };
}

/** Write with librbd: [offset, length, fill byte] or [offset, length, 'discard']. */
async function libWrite(pool: string, name: string, ops: Array<[number, number, number | 'discard']>): Promise<void> {
  await librbd(
    c,
    `
img = rbd.Image(ioctx(A['pool']), A['name'])
for off, ln, fill in A['ops']:
    if fill == 'discard':
        img.discard(off, ln)
    else:
        img.write(bytes([fill]) * ln, off)
img.close()
`,
    { pool, name, ops },
  );
}

const OBSERVE = `
import hashlib
def observe(pool, name, data):
    io = ioctx(pool)
    d = dump(io, name)
    iid = d['id']
    dpool = cluster.pool_reverse_lookup(d['data_pool_id'])
    if d['data_pool_id'] == io.get_pool_id():
        d['data_pool_id'] = '(the image pool)'
    with rados.ReadOpCtx() as op:
        it, ret = io.get_omap_vals(op, '', '', 100000)
        io.operate_read_op(op, 'rbd_header.' + iid)
        omap = {k: v.hex() for k, v in it}
    def rd(oid):
        try:
            return io.read(oid, 1 << 24).hex()
        except rados.ObjectNotFound:
            return None
    maps = {'head': rd('rbd_object_map.' + iid)}
    for s in d['snaps']:
        maps['snap:' + s['name']] = rd('rbd_object_map.%s.%016x' % (iid, s['id']))
    with rados.ReadOpCtx() as op:
        it, ret = io.get_omap_vals_by_keys(op, ('name_' + name, 'id_' + iid))
        io.operate_read_op(op, 'rbd_directory')
        directory = {k: v.hex() for k, v in it}
    pools = [pool]
    if dpool != pool:
        pools.append(dpool)
    objects = {}
    for p in pools:
        objects['pool:' + ('image' if p == pool else 'data')] = sorted(
            o.key for o in ioctx(p).list_objects() if iid in o.key or o.key == 'rbd_id.' + name)
    out = {'dump': d, 'omap': omap, 'object_maps': maps, 'directory': directory, 'objects': objects}
    if data:
        sums = {}
        diffs = {}
        for snap in [None] + [s['name'] for s in d['snaps'] if s['namespace'] == 0]:
            img = rbd.Image(io, name, snapshot=snap, read_only=True)
            h = hashlib.md5()
            size = img.size()
            off = 0
            while off < size:
                ln = min(4 << 20, size - off)
                h.update(img.read(off, ln))
                off += ln
            sums[snap or 'head'] = h.hexdigest()
            ext = []
            img.diff_iterate(0, size, None, lambda o, l, e: ext.append([o, l, e]), whole_object=True)
            diffs[snap or 'head'] = ext
            if snap is None:
                # what changed since each snapshot, by fast-diff (the object maps) as rbd export-diff sees it
                for s in d['snaps']:
                    if s['namespace'] == 0:
                        ext = []
                        img.diff_iterate(0, size, s['name'], lambda o, l, e: ext.append([o, l, e]), whole_object=True)
                        diffs['head since ' + s['name']] = ext
            img.close()
        out['md5'] = sums
        out['diff'] = diffs
        if d['features'] & rbd.RBD_FEATURE_OBJECT_MAP:
            # the exclusive-lock owner reads through the object map (NONEXISTENT: not read at all)
            img = rbd.Image(io, name)
            try:
                img.lock_acquire(rbd.RBD_LOCK_MODE_EXCLUSIVE)
                h = hashlib.md5()
                size = img.size()
                off = 0
                while off < size:
                    ln = min(4 << 20, size - off)
                    h.update(img.read(off, ln))
                    off += ln
                out['md5_lock_owner'] = h.hexdigest()
            finally:
                img.close()
    return out
`;

interface Observed {
  dump: any;
  omap: Record<string, string>;
  object_maps: Record<string, string | null>;
  directory: Record<string, string>;
  objects: Record<string, string[]>;
  md5?: Record<string, string | undefined>;
  md5_lock_owner?: string;
  diff?: Record<string, Array<[number, number, boolean]>>;
  info: any;
  snaps: any[];
}

/** Everything the cluster shows about images (rbd CLI + librbd + rados), in one go. */
async function observe(images: Array<{ pool: string; name: string }>, data = false): Promise<Observed[]> {
  const py = await librbd<any[]>(c, `${OBSERVE}\nreturn [observe(x['pool'], x['name'], A['data']) for x in A['images']]`, { images, data });
  return Promise.all(
    images.map(async (im, i) => ({
      ...(py[i] as Omit<Observed, 'info' | 'snaps'>),
      info: await rbdJson('info', `${im.pool}/${im.name}`),
      snaps: await rbdJson<any[]>('snap', 'ls', '--all', `${im.pool}/${im.name}`),
    })),
  );
}

const TIMESTAMP_KEYS = new Set(['create_timestamp', 'access_timestamp', 'modify_timestamp', 'timestamp']);

/**
 * An observation with everything that legitimately differs between twins taken out: the
 * image's id and name, snapshot ids (allocated per pool) and timestamps.
 */
function normalize(o: Observed, name: string): unknown {
  const id: string = o.dump.id;
  const snapNames = new Map<string, string>();
  for (const s of o.dump.snaps as Array<{ id: number; name: string }>) snapNames.set(s.id.toString(16).padStart(16, '0'), s.name);
  const snapHex = (h: string) => `<snap:${snapNames.get(h) ?? h}>`;
  const omap: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.omap)) {
    if (TIMESTAMP_KEYS.has(k) || k === 'snap_seq') continue; // snap ids are allocated per pool
    if (k === 'object_prefix') {
      omap[k] = Buffer.from(v, 'hex').subarray(4).toString('latin1').replaceAll(id, '<ID>'); // string: u32 length + bytes
      continue;
    }
    const m = /^snapshot_([0-9a-f]{16})$/.exec(k);
    if (m) {
      omap[`snapshot_${snapHex(m[1]!)}`] = '(record: see snaps)';
      continue;
    }
    const ch = /^snap_children_([0-9a-f]{16})$/.exec(k);
    omap[ch ? `snap_children_${snapHex(ch[1]!)}` : k] = v;
  }
  const objects: Record<string, string[]> = {};
  for (const [p, list] of Object.entries(o.objects)) {
    objects[p] = list.map((x) =>
      x
        .replaceAll(id, '<ID>')
        .replace(/^(rbd_object_map\.<ID>\.)([0-9a-f]{16})$/, (_, a: string, h: string) => a + snapHex(h))
        .replace(`rbd_id.${name}`, 'rbd_id.<NAME>'),
    );
  }
  const scrub = (x: unknown): unknown => {
    if (Array.isArray(x)) return x.map(scrub);
    if (x && typeof x === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(x)) if (!TIMESTAMP_KEYS.has(k)) out[k] = scrub(v);
      return out;
    }
    if (typeof x === 'string') return x.replaceAll(id, '<ID>');
    return x;
  };
  const dump = scrub(o.dump) as any;
  dump.snaps = (dump.snaps as any[]).map(({ id: _id, ...rest }) => rest);
  const info = scrub(o.info) as any;
  info.name = '<NAME>';
  return {
    info,
    snaps: (scrub(o.snaps) as any[]).map(({ id: _id, ...rest }) => rest),
    dump,
    omap,
    object_maps: o.object_maps,
    directory: { name: o.directory[`name_${name}`] !== undefined, id: o.directory[`id_${id}`] !== undefined },
    objects,
    md5: o.md5,
    md5_lock_owner: o.md5_lock_owner,
    diff: o.diff,
  };
}

/** rbd-ts' image and librbd's twin must look the same to every tool. */
async function sameAsTwin(
  t: ExecutionContext,
  label: string,
  ts: { pool: string; name: string },
  lib: { pool: string; name: string },
  data = false,
): Promise<Observed[]> {
  const obs = await observe([ts, lib], data);
  t.deepEqual(normalize(obs[0]!, ts.name), normalize(obs[1]!, lib.name), `${label}: rbd-ts (${ts.name}) differs from librbd (${lib.name})`);
  for (const o of obs)
    if (o.md5_lock_owner !== undefined) t.is(o.md5_lock_owner, o.md5!.head!, `${label}: a lock owner (reading through the object map) reads the same data`);
  return obs;
}

async function libCreate(
  pool: string,
  name: string,
  size: number,
  o: { order?: number; features?: number; stripe_unit?: number; stripe_count?: number; data_pool?: string } = {},
): Promise<void> {
  await librbd(c, `rbd.RBD().create(ioctx(A['pool']), A['name'], A['size'], **A['o'])`, { pool, name, size, o });
}

async function libClone(
  pPool: string,
  pName: string,
  snap: string,
  cPool: string,
  cName: string,
  format: 1 | 2,
  o: Record<string, unknown> = {},
): Promise<number> {
  return librbdErrno(
    c,
    `cluster.conf_set('rbd_default_clone_format', str(A['format']))
rbd.RBD().clone(ioctx(A['pp']), A['pn'], A['snap'], ioctx(A['cp']), A['cn'], **A['o'])`,
    { pp: pPool, pn: pName, snap, cp: cPool, cn: cName, format, o },
  );
}

/** librbd on one image: a python body with `img` open (read-write) */
async function libImage<T = unknown>(pool: string, name: string, body: string, args: Record<string, unknown> = {}): Promise<T> {
  return librbd<T>(
    c,
    `img = rbd.Image(ioctx(A['pool']), A['name'])
try:
${body
  .split('\n')
  .map((l) => '    ' + l)
  .join('\n')}
finally:
    img.close()`,
    { ...args, pool, name },
  );
}

async function libImageErrno(pool: string, name: string, body: string, args: Record<string, unknown> = {}): Promise<number> {
  try {
    await libImage(pool, name, body, args);
    return 0;
  } catch (e) {
    if (e && typeof e === 'object' && 'errno' in e) return (e as { errno: number }).errno;
    throw e;
  }
}

async function ioFor(pool: string): Promise<IoCtx> {
  return pool === POOL ? io : pool === POOL2 ? io2 : cl.openIoctx(pool);
}

async function tsRemoveAll(pool: string, names: string[]): Promise<void> {
  const pio = await ioFor(pool);
  for (const name of names) {
    const img = await Image.open(pio, name).catch(() => undefined);
    if (!img) continue;
    for (const s of img.listSnaps()) {
      if (s.protected) await img.unprotectSnap(s.name);
      await img.removeSnap(s.name);
    }
    await RBD.remove(pio, name);
  }
}

/** A new image `name` in POOL (rbd-ts), open, with snapshot 's', protected unless told otherwise. */
async function parentWithSnap(name: string, size: number, protect = true): Promise<Image> {
  await RBD.create(io, name, size);
  const img = await Image.open(io, name);
  await img.createSnap('s');
  if (protect) await img.protectSnap('s');
  return img;
}

// ---- rbd-ts operations compared with librbd on a twin ------------------------------------------

test('create with default features: the same image as librbd makes', async (t) => {
  const [a, b] = [n('def-ts'), n('def-lib')];
  await RBD.create(io, a, 64 * MiB);
  await libCreate(POOL, b, 64 * MiB);
  const [o] = await sameAsTwin(t, 'create default', { pool: POOL, name: a }, { pool: POOL, name: b });
  t.deepEqual(o!.info.features, ['layering', 'exclusive-lock', 'object-map', 'fast-diff', 'deep-flatten']);
  t.not(o!.object_maps.head, null, 'object map object exists');
  await tsRemoveAll(POOL, [a, b]);
});

test("create honours the client's rbd_default_features and rbd_default_order as rbd does; explicit options win", async (t) => {
  const conf = { rbd_default_features: 'layering,exclusive-lock', rbd_default_order: '20' };
  const custom = await Rados.connect({ conf: c.conf, timeoutMs: 20_000, options: conf });
  try {
    const cio = await custom.openIoctx(POOL);
    const [a, b, x] = [n('opt-ts'), n('opt-rbd'), n('opt-explicit')];
    await RBD.create(cio, a, 8 * MiB);
    t.is(await rbdStatus('create', `${POOL}/${b}`, '--size', '8M', '--rbd_default_features', conf.rbd_default_features, '--rbd_default_order', '20'), 0);
    const [ta, tb] = [await rbdJson('info', `${POOL}/${a}`), await rbdJson('info', `${POOL}/${b}`)];
    t.deepEqual(ta.features, ['layering', 'exclusive-lock']);
    t.deepEqual([ta.features, ta.order, ta.object_size], [tb.features, tb.order, tb.object_size]);
    t.is(ta.order, 20);
    await RBD.create(cio, x, 8 * MiB, { features: ['layering'], order: 22 });
    const tx = await rbdJson('info', `${POOL}/${x}`);
    t.deepEqual([tx.features, tx.order], [['layering'], 22]);
    await tsRemoveAll(POOL, [a, b, x]);
  } finally {
    custom.shutdown();
  }
});

test('create with explicit features (bits and names): the same as librbd for each set', async (t) => {
  const sets: Array<{ ts: CreateOptions['features']; lib: number }> = [
    { ts: 0, lib: 0 },
    { ts: 1, lib: 1 },
    { ts: 1 | 4, lib: 1 | 4 },
    { ts: 1 | 4 | 8, lib: 1 | 4 | 8 }, // librbd adds fast-diff to object-map
    { ts: 1 | 4 | 8 | 16 | 32, lib: 1 | 4 | 8 | 16 | 32 },
    { ts: 1 | 16, lib: 1 | 16 }, // fast-diff alone is dropped
    { ts: 32, lib: 32 },
    { ts: ['layering', 'exclusive-lock', 'object-map'], lib: 1 | 4 | 8 },
    { ts: ['deep-flatten', 'layering'], lib: 1 | 32 },
  ];
  for (const [i, s] of sets.entries()) {
    const [a, b] = [n(`feat${i}-ts`), n(`feat${i}-lib`)];
    await RBD.create(io, a, 8 * MiB, { features: s.ts });
    await libCreate(POOL, b, 8 * MiB, { features: s.lib });
    await sameAsTwin(t, `features ${JSON.stringify(s.ts)}`, { pool: POOL, name: a }, { pool: POOL, name: b });
    await tsRemoveAll(POOL, [a, b]);
  }
});

test('create with striping and other orders: the same as librbd (header, stripe keys, object map size)', async (t) => {
  const cases: Array<{ size: number; order: number; su: number; sc: number }> = [
    { size: 64 * MiB, order: 22, su: 64 * 1024, sc: 8 },
    { size: 10 * MiB + 4096, order: 20, su: 16 * 1024, sc: 3 },
    { size: 32 * MiB, order: 23, su: 8 * MiB, sc: 1 }, // stripe unit = object size, count 1: no striping
  ];
  for (const [i, k] of cases.entries()) {
    const [a, b] = [n(`stripe${i}-ts`), n(`stripe${i}-lib`)];
    await RBD.create(io, a, k.size, { order: k.order, stripeUnit: k.su, stripeCount: k.sc });
    await libCreate(POOL, b, k.size, { order: k.order, stripe_unit: k.su, stripe_count: k.sc });
    const [o] = await sameAsTwin(t, `striping ${JSON.stringify(k)}`, { pool: POOL, name: a }, { pool: POOL, name: b });
    if (k.sc > 1) {
      t.is(o!.info.stripe_unit, k.su);
      t.is(o!.info.stripe_count, k.sc);
      t.true(o!.info.features.includes('striping'));
    } else t.false(o!.info.features.includes('striping'));
    // data written through librbd lands in the same objects
    await libWrite(POOL, a, [
      [0, 300 * 1024, 7],
      [k.size - 5000, 5000, 9],
    ]);
    await libWrite(POOL, b, [
      [0, 300 * 1024, 7],
      [k.size - 5000, 5000, 9],
    ]);
    await sameAsTwin(t, `striping ${JSON.stringify(k)} after writes`, { pool: POOL, name: a }, { pool: POOL, name: b }, true);
    await tsRemoveAll(POOL, [a, b]);
  }
});

test('create with a data pool: the same as librbd (data_pool_id, prefix with the pool id, data objects in the data pool)', async (t) => {
  const [a, b] = [n('dp-ts'), n('dp-lib')];
  await RBD.create(io, a, 16 * MiB, { dataPool: POOL2 });
  await libCreate(POOL, b, 16 * MiB, { data_pool: POOL2 });
  const [o] = await sameAsTwin(t, 'data pool', { pool: POOL, name: a }, { pool: POOL, name: b });
  t.is(o!.info.data_pool, POOL2);
  t.true(o!.info.features.includes('data-pool'));
  t.regex(o!.info.block_name_prefix, new RegExp(`^rbd_data\\.${io.poolId}\\.`));
  await libWrite(POOL, a, [
    [0, MiB, 1],
    [9 * MiB, MiB, 2],
  ]);
  await libWrite(POOL, b, [
    [0, MiB, 1],
    [9 * MiB, MiB, 2],
  ]);
  const [w] = await sameAsTwin(t, 'data pool after writes', { pool: POOL, name: a }, { pool: POOL, name: b }, true);
  t.is(w!.objects['pool:data']!.length, 2, 'two data objects, in the data pool');
  t.true(w!.objects['pool:data']!.every((x) => x.startsWith(o!.info.block_name_prefix)));
  // the data pool given as the image's own pool is no data pool
  const [c1, c2] = [n('dp-self-ts'), n('dp-self-lib')];
  await RBD.create(io, c1, 4 * MiB, { dataPool: POOL });
  await libCreate(POOL, c2, 4 * MiB, { data_pool: POOL });
  await sameAsTwin(t, 'data pool = own pool', { pool: POOL, name: c1 }, { pool: POOL, name: c2 });
  await tsRemoveAll(POOL, [a, b, c1, c2]);
});

test('snapshots: create, rename, protect, unprotect, remove, rollback leave the image as librbd does', async (t) => {
  const ts = { pool: POOL, name: n('snap-ts') };
  const lib = { pool: POOL, name: n('snap-lib') };
  await RBD.create(io, ts.name, 16 * MiB);
  await libCreate(POOL, lib.name, 16 * MiB);
  const both = async (w: Array<[number, number, number | 'discard']>) => {
    await libWrite(ts.pool, ts.name, w);
    await libWrite(lib.pool, lib.name, w);
  };
  const img = await Image.open(io, ts.name);
  await both([
    [0, 4 * MiB, 1],
    [8 * MiB, MiB, 2],
  ]);
  await sameAsTwin(t, 'before snapshots', ts, lib, true);
  const dirClones = await radosListSnaps(POOL, 'rbd_directory');

  await img.createSnap('s1');
  await libImage(POOL, lib.name, `img.create_snap('s1')`);
  const [o1] = await sameAsTwin(t, 'snap create s1', ts, lib, true);
  t.deepEqual(
    o1!.snaps.map((s: any) => [s.name, s.size, s.protected]),
    [['s1', 16 * MiB, 'false']],
  );
  t.not(o1!.object_maps['snap:s1'], null, 'snapshot object map exists');

  await both([
    [0, MiB, 3],
    [8 * MiB, 4 * MiB, 'discard'],
    [12 * MiB, 4096, 4],
  ]);
  await img.createSnap('s2');
  await libImage(POOL, lib.name, `img.create_snap('s2')`);
  await sameAsTwin(t, 'snap create s2 after writes and a discard', ts, lib, true);

  await img.renameSnap('s1', 's1r');
  await libImage(POOL, lib.name, `img.rename_snap('s1', 's1r')`);
  await sameAsTwin(t, 'snap rename', ts, lib);

  await img.protectSnap('s1r');
  await libImage(POOL, lib.name, `img.protect_snap('s1r')`);
  const [o2] = await sameAsTwin(t, 'snap protect', ts, lib);
  t.is(o2!.snaps.find((s: any) => s.name === 's1r').protected, 'true');
  t.true(img.isProtectedSnap('s1r'));

  await img.unprotectSnap('s1r');
  await libImage(POOL, lib.name, `img.unprotect_snap('s1r')`);
  const [o3] = await sameAsTwin(t, 'snap unprotect', ts, lib);
  t.is(o3!.snaps.find((s: any) => s.name === 's1r').protected, 'false');

  await both([[4 * MiB, 2 * MiB, 5]]);
  await img.removeSnap('s2');
  await libImage(POOL, lib.name, `img.remove_snap('s2')`);
  await sameAsTwin(t, 'snap remove', ts, lib, true);

  await img.rollbackToSnap('s1r');
  await libImage(POOL, lib.name, `img.rollback_to_snap('s1r')`);
  const [o4] = await sameAsTwin(t, 'snap rollback', ts, lib, true);
  t.is(o4!.md5!.head, o4!.md5!.s1r, 'head data = snapshot data after rollback');

  await img.removeSnap('s1r');
  await libImage(POOL, lib.name, `img.remove_snap('s1r')`);
  const [o5] = await sameAsTwin(t, 'last snapshot removed', ts, lib, true);
  t.deepEqual(o5!.snaps, []);
  t.is((await rbd(c, ['object-map', 'check', `${POOL}/${ts.name}`])).code, 0);
  t.deepEqual((await rbdJson('info', `${POOL}/${ts.name}`)).flags, [], 'object map still valid after `rbd object-map check`');
  // metadata objects are written without the image's snap context (as librbd does): no clones,
  // also not for an image created afterwards through the same IoCtx
  await RBD.create(io, n('snap-after'), MiB);
  const after = await Image.open(io, n('snap-after'));
  await after.resize(2 * MiB);
  t.deepEqual(await radosListSnaps(POOL, 'rbd_directory'), dirClones, 'rbd_directory not cloned');
  for (const oid of [`rbd_header.${o5!.dump.id}`, `rbd_object_map.${o5!.dump.id}`, `rbd_header.${after.id}`, `rbd_object_map.${after.id}`]) {
    t.deepEqual(await radosListSnaps(POOL, oid), [], `${oid} has no clones`);
  }
  await tsRemoveAll(POOL, [ts.name, lib.name, n('snap-after')]);
});

test('resize: grow and shrink (with a snapshot) leave the image as librbd does', async (t) => {
  const ts = { pool: POOL, name: n('rs-ts') };
  const lib = { pool: POOL, name: n('rs-lib') };
  await RBD.create(io, ts.name, 16 * MiB);
  await libCreate(POOL, lib.name, 16 * MiB);
  const w: Array<[number, number, number]> = [
    [0, MiB, 1],
    [5 * MiB, 2 * MiB, 2],
    [13 * MiB, MiB, 3],
  ];
  await libWrite(POOL, ts.name, w);
  await libWrite(POOL, lib.name, w);
  const img = await Image.open(io, ts.name);

  await img.resize(40 * MiB);
  await libImage(POOL, lib.name, `img.resize(${40 * MiB})`);
  const [g] = await sameAsTwin(t, 'grow to 40 MiB', ts, lib, true);
  t.is(g!.info.size, 40 * MiB);
  t.is(g!.info.objects, 10);

  await img.createSnap('pre');
  await libImage(POOL, lib.name, `img.create_snap('pre')`);
  await img.resize(6 * MiB + 12345);
  await libImage(POOL, lib.name, `img.resize(${6 * MiB + 12345}, allow_shrink=True)`);
  const [s] = await sameAsTwin(t, 'shrink to 6 MiB + 12345 with a snapshot', ts, lib, true);
  t.is(s!.info.size, 6 * MiB + 12345);

  await img.resize(3 * MiB);
  await libImage(POOL, lib.name, `img.resize(${3 * MiB}, allow_shrink=True)`);
  await sameAsTwin(t, 'shrink to 3 MiB', ts, lib, true);

  await img.resize(16 * MiB);
  await libImage(POOL, lib.name, `img.resize(${16 * MiB})`);
  await sameAsTwin(t, 'grow back to 16 MiB (zeros past the old end)', ts, lib, true);
  t.is((await rbd(c, ['object-map', 'check', `${POOL}/${ts.name}`])).code, 0);
  t.deepEqual((await rbdJson('info', `${POOL}/${ts.name}`)).flags, []);
  await tsRemoveAll(POOL, [ts.name, lib.name]);
});

test('rename: the same objects and directory entries as librbd; the old name is gone', async (t) => {
  const [a, a2, b, b2] = [n('ren-a-ts'), n('ren-z-ts'), n('ren-a-lib'), n('ren-z-lib')];
  await RBD.create(io, a, 8 * MiB);
  await libCreate(POOL, b, 8 * MiB);
  const idBefore = (await rbdJson('info', `${POOL}/${a}`)).id;
  await RBD.rename(io, a, a2);
  await librbd(c, `rbd.RBD().rename(ioctx('${POOL}'), A['a'], A['b'])`, { a: b, b: b2 });
  const [o] = await sameAsTwin(t, 'rename', { pool: POOL, name: a2 }, { pool: POOL, name: b2 });
  t.is(o!.info.id, idBefore, 'same id');
  t.deepEqual(Object.keys(o!.directory).sort(), [`id_${idBefore}`, `name_${a2}`]);
  t.is(Buffer.from(o!.directory[`id_${idBefore}`]!, 'hex').subarray(4).toString(), a2, 'directory maps the id to the new name');
  const objs = await radosLs(POOL);
  t.false(objs.includes(`rbd_id.${a}`));
  t.true(objs.includes(`rbd_id.${a2}`));
  t.false((await radosOmapKeys(POOL, 'rbd_directory')).includes(`name_${a}`));
  t.is(await tsErrno(Image.open(io, a)), ENOENT);
  t.is(await librbdErrno(c, `rbd.Image(ioctx('${POOL}'), A['n'])`, { n: b }), ENOENT);
  t.deepEqual(
    (await rbdJson<string[]>('ls', POOL)).filter((x) => [a, a2].includes(x)),
    [a2],
  );
  t.true((await RBD.list(io)).includes(a2));
  await tsRemoveAll(POOL, [a2, b2]);
});

test('remove: nothing of the image is left, as with librbd (data, object maps, header, id, directory)', async (t) => {
  const before = new Set(await radosLsHeads(POOL));
  const dirBefore = await radosOmapKeys(POOL, 'rbd_directory');
  const made: Record<string, { id: string }> = {};
  for (const [who, name] of [
    ['ts', n('rm-ts')],
    ['lib', n('rm-lib')],
  ] as const) {
    if (who === 'ts') await RBD.create(io, name, 16 * MiB);
    else await libCreate(POOL, name, 16 * MiB);
    await libWrite(POOL, name, [
      [0, 2 * MiB, 1],
      [9 * MiB, MiB, 2],
    ]);
    // a snapshot that came and went leaves its object map behind until removal
    await libImage(POOL, name, `img.create_snap('gone')`);
    await libWrite(POOL, name, [[10 * MiB, MiB, 3]]);
    made[who] = { id: (await rbdJson('info', `${POOL}/${name}`)).id };
    const img = await Image.open(io, name);
    await img.removeSnap('gone');
    await img.close(); // an open handle that changed the image watches its header (exclusive lock): librbd's remove would be EBUSY
  }
  const mid = await radosLs(POOL);
  t.true(mid.some((x) => x.includes(made.ts!.id)) && mid.some((x) => x.includes(made.lib!.id)));
  await RBD.remove(io, n('rm-ts'));
  await librbd(c, `rbd.RBD().remove(ioctx('${POOL}'), A['n'])`, { n: n('rm-lib') });
  // (librbd's remove goes through the pool's trash: its first use creates the empty rbd_trash object)
  t.deepEqual(
    (await radosLsHeads(POOL)).filter((x) => !before.has(x) && x !== 'rbd_trash'),
    [],
    'no object left by either',
  );
  // and once the OSD has trimmed the removed snapshot's clones, not even a listing
  let left: string[] = [];
  for (let i = 0; i < 60; i++) {
    left = (await radosLs(POOL)).filter((x) => !before.has(x) && x !== 'rbd_trash');
    if (!left.length) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  t.deepEqual(left, [], '`rados ls` shows nothing of either after the snap trim');
  t.deepEqual(await radosOmapKeys(POOL, 'rbd_directory'), dirBefore);
  t.is(await rbdStatus('info', `${POOL}/${n('rm-ts')}`), 2);
});

test('clone (formats 1 and 2, same pool and across pools, default and explicit layout): the same child as librbd makes', async (t) => {
  const p = n('cl-parent');
  await RBD.create(io, p, 16 * MiB);
  await libWrite(POOL, p, [
    [0, 5 * MiB, 1],
    [12 * MiB, MiB, 2],
  ]);
  const pimg = await Image.open(io, p);
  await pimg.createSnap('s');
  await pimg.protectSnap('s');
  const cases: Array<{ label: string; pool: string; format: 1 | 2; ts: CloneOptions; lib: Record<string, unknown> }> = [
    { label: 'f1', pool: POOL, format: 1, ts: {}, lib: {} },
    { label: 'f2', pool: POOL, format: 2, ts: {}, lib: {} },
    { label: 'f1x', pool: POOL2, format: 1, ts: {}, lib: {} },
    { label: 'f2x', pool: POOL2, format: 2, ts: {}, lib: {} },
    {
      label: 'f2o',
      pool: POOL,
      format: 2,
      ts: { order: 20, stripeUnit: MiB, stripeCount: 1, features: ['layering', 'exclusive-lock'] },
      lib: { order: 20, stripe_unit: MiB, stripe_count: 1, features: 5 },
    },
    {
      label: 'f1s',
      pool: POOL2,
      format: 1,
      ts: { stripeUnit: 65536, stripeCount: 4, features: 1 | 4 | 8 | 32 },
      lib: { stripe_unit: 65536, stripe_count: 4, features: 1 | 4 | 8 | 32 },
    },
  ];
  const parentBefore = await observe([{ pool: POOL, name: p }]);
  for (const k of cases) {
    const [a, b] = [n(`cl-${k.label}-ts`), n(`cl-${k.label}-lib`)];
    await RBD.clone(io, p, 's', await ioFor(k.pool), a, { ...k.ts, cloneFormat: k.format });
    t.is(await libClone(POOL, p, 's', k.pool, b, k.format, k.lib), 0, `librbd clone ${k.label}`);
    const [o] = await sameAsTwin(t, `clone ${k.label}`, { pool: k.pool, name: a }, { pool: k.pool, name: b }, true);
    t.deepEqual(o!.info.parent, { pool: POOL, pool_namespace: '', image: p, id: pimg.id, snapshot: 's', trash: false, overlap: 16 * MiB });
    t.deepEqual(o!.info.op_features, k.format === 2 ? ['clone-child'] : []);
    t.is(o!.md5!.head, (await observe([{ pool: POOL, name: p }], true))[0]!.md5!.s, 'the child reads the parent snapshot');
    // a child written by librbd copies up as on librbd's own child
    await libWrite(k.pool, a, [[MiB, 4096, 9]]);
    await libWrite(k.pool, b, [[MiB, 4096, 9]]);
    await sameAsTwin(t, `clone ${k.label} after a copy-up write`, { pool: k.pool, name: a }, { pool: k.pool, name: b }, true);
    const kids = await rbdJson<any[]>('children', '--all', `${POOL}/${p}@s`);
    t.deepEqual(
      kids.filter((x) => [a, b].includes(x.image)).map((x) => [x.pool, x.image]),
      [
        [k.pool, a],
        [k.pool, b],
      ].sort((x, y) => x[1]!.localeCompare(y[1]!)),
    );
    await tsRemoveAll(k.pool, [a]);
    await librbd(c, `rbd.RBD().remove(ioctx(A['pool']), A['n'])`, { pool: k.pool, n: b });
  }
  // the parent is as it was (clone-parent op feature came and went with the format 2 children)
  const parentAfter = await observe([{ pool: POOL, name: p }]);
  t.deepEqual(normalize(parentAfter[0]!, p), normalize(parentBefore[0]!, p));
  await pimg.unprotectSnap('s');
  await pimg.removeSnap('s');
  await RBD.remove(io, p);
});

test("clone with a smaller order and no stripe unit: librbd refuses (EINVAL: it keeps the parent's 4 MiB stripe unit), rbd-ts makes a plain clone (divergence)", async (t) => {
  const p = n('ord-p');
  await parentWithSnap(p, 8 * MiB);
  const before = await poolState(POOL);
  t.is(await libClone(POOL, p, 's', POOL, n('ord-lib'), 2, { order: 20 }), EINVAL, 'librbd: stripe unit 4 MiB is not a factor of the 1 MiB object size');
  t.deepEqual(await poolState(POOL), before);
  await RBD.clone(io, p, 's', io, n('ord-ts'), { cloneFormat: 2, order: 20 });
  const info = await rbdJson('info', `${POOL}/${n('ord-ts')}`);
  t.like(info, { order: 20, object_size: MiB, objects: 8 });
  t.false(info.features.includes('striping'));
  t.deepEqual(await librbd(c, `img = rbd.Image(ioctx(A['pool']), A['n'], read_only=True)\nreturn list(img.parent_info())`, { pool: POOL, n: n('ord-ts') }), [
    POOL,
    p,
    's',
  ]);
  await tsRemoveAll(POOL, [n('ord-ts')]);
  await tsRemoveAll(POOL, [p]);
});

test('clone into a pool no image was ever made in: the pool is set up for RBD as librbd does (rbd_info, self-managed snapshots)', async (t) => {
  const p = n('fresh-p');
  await parentWithSnap(p, 4 * MiB);
  const pools = { ts: `rbdts3-${TAG}`, lib: `rbdts4-${TAG}` };
  for (const pool of Object.values(pools)) {
    for (const args of [
      ['osd', 'pool', 'create', pool, '8', '8'],
      ['osd', 'pool', 'application', 'enable', pool, 'rbd'],
    ]) {
      t.is((await ceph(c, args)).code, 0);
    }
  }
  try {
    const tsIo = await cl.openIoctx(pools.ts);
    for (const format of [1, 2] as const) {
      await RBD.clone(io, p, 's', tsIo, n(`fresh-c${format}`), { cloneFormat: format });
      t.is(await libClone(POOL, p, 's', pools.lib, n(`fresh-c${format}`), format), 0);
      await sameAsTwin(
        t,
        `clone format ${format} into a fresh pool`,
        { pool: pools.ts, name: n(`fresh-c${format}`) },
        { pool: pools.lib, name: n(`fresh-c${format}`) },
      );
    }
    const ls = { ts: await radosLs(pools.ts), lib: await radosLs(pools.lib) };
    t.true(ls.ts.includes('rbd_info'), '`rados ls` shows rbd_info');
    t.deepEqual(
      ls.ts.filter((x) => !/\.[0-9a-f]{10,}$/.test(x)),
      ls.lib.filter((x) => !/\.[0-9a-f]{10,}$/.test(x)),
    );
    for (const pool of Object.values(pools)) {
      const info = await rados(c, ['-p', pool, 'get', 'rbd_info', '-']);
      t.is(info.stdout, 'overwrite validated', `${pool}: rbd_info`);
    }
    const detail = await ceph(c, ['osd', 'pool', 'ls', 'detail', '--format', 'json']);
    const flags = new Map((JSON.parse(detail.stdout) as Array<{ pool_name: string; flags_names: string }>).map((x) => [x.pool_name, x.flags_names]));
    t.regex(flags.get(pools.ts) ?? '', /selfmanaged_snaps/);
    t.regex(flags.get(pools.lib) ?? '', /selfmanaged_snaps/);
    // so a pool snapshot is refused there, and the clone can have snapshots
    t.not((await rados(c, ['-p', pools.ts, 'mksnap', 'poolsnap'])).code, 0);
    await (await Image.open(tsIo, n('fresh-c1'))).createSnap('cs');
    await tsRemoveAll(pools.ts, [n('fresh-c1'), n('fresh-c2')]);
    await tsRemoveAll(pools.lib, [n('fresh-c1'), n('fresh-c2')]);
  } finally {
    for (const pool of Object.values(pools)) await ceph(c, ['osd', 'pool', 'rm', pool, pool, '--yes-i-really-really-mean-it']);
  }
  await tsRemoveAll(POOL, [p]);
});

// ---- rbd-ts reads what librbd made ---------------------------------------------------------------

test('Image.open + info() of images librbd made equals `rbd info --format json` exactly (timestamps included)', async (t) => {
  const made: Array<{ pool: string; name: string; snap?: string }> = [];
  const add = (pool: string, name: string, snap?: string) => made.push(snap === undefined ? { pool, name } : { pool, name, snap });
  await libCreate(POOL, n('li-def'), 64 * MiB);
  add(POOL, n('li-def'));
  await libCreate(POOL, n('li-stripe'), 10 * MiB + 1, { order: 20, stripe_unit: 65536, stripe_count: 5 });
  add(POOL, n('li-stripe'));
  await libCreate(POOL, n('li-dp'), 32 * MiB, { data_pool: POOL2 });
  add(POOL, n('li-dp'));
  await libCreate(POOL2, n('li-l'), 3 * MiB + 7, { features: 1, order: 12 });
  add(POOL2, n('li-l'));
  await libWrite(POOL, n('li-def'), [[0, MiB, 1]]);
  await libImage(POOL, n('li-def'), `img.create_snap('a')\nimg.create_snap('b')\nimg.protect_snap('b')\nimg.resize(${80 * MiB})`);
  add(POOL, n('li-def'), 'a');
  add(POOL, n('li-def'), 'b');
  for (const [fmt, pool] of [
    [1, POOL],
    [2, POOL2],
  ] as const) {
    t.is(await libClone(POOL, n('li-def'), 'b', pool, n(`li-c${fmt}`), fmt), 0);
    add(pool, n(`li-c${fmt}`));
  }
  await libImage(POOL2, n('li-c2'), `img.resize(${8 * MiB}, allow_shrink=True)\nimg.create_snap('cs')`);
  add(POOL2, n('li-c2'), 'cs');
  for (const m of made) {
    const spec = `${m.pool}/${m.name}${m.snap ? '@' + m.snap : ''}`;
    const img = await Image.open(await ioFor(m.pool), m.name, m.snap !== undefined ? { snapshot: m.snap } : {});
    t.deepEqual(await img.info(), await rbdJson('info', spec), spec);
    const ls = await rbdJson<any[]>('snap', 'ls', `${m.pool}/${m.name}`);
    t.deepEqual(
      // rbd prints whole seconds
      img.listSnaps().map((s) => ({
        id: Number(s.id),
        name: s.name,
        size: s.size,
        protected: String(s.protected),
        timestamp: Math.floor(s.timestamp.getTime() / 1000) * 1000,
      })),
      ls.map((s) => ({ id: s.id, name: s.name, size: s.size, protected: s.protected, timestamp: new Date(s.timestamp).getTime() })),
      `${spec} snapshots`,
    );
    t.is(img.stat().numObjs, (await rbdJson('info', spec)).objects);
  }
  const li = await Image.open(io, n('li-def'));
  const kids = await li.listChildren('b');
  t.deepEqual(
    kids.map((k) => ({ pool: k.pool, pool_namespace: k.poolNamespace, image: k.image, id: k.imageId, trash: k.trash })),
    await rbdJson('children', '--all', `${POOL}/${n('li-def')}@b`),
  );
  await librbd(c, `for p, x in A['order']:\n    rbd.RBD().remove(ioctx(p), x)`, {
    order: [
      [POOL, n('li-c1')],
      [POOL2, n('li-l')],
      [POOL, n('li-stripe')],
      [POOL, n('li-dp')],
    ],
  });
  await tsRemoveAll(POOL2, [n('li-c2')]);
  await tsRemoveAll(POOL, [n('li-def')]);
});

// ---- clone chains --------------------------------------------------------------------------------

for (const format of [1, 2] as const) {
  test(`clone format ${format}: a chain three deep across pools as librbd sees it; unprotect EBUSY until the children are gone`, async (t) => {
    const chain = [
      { pool: POOL, name: n(`ch${format}-p`) },
      { pool: POOL, name: n(`ch${format}-c1`) },
      { pool: POOL2, name: n(`ch${format}-c2`) },
      { pool: POOL, name: n(`ch${format}-c3`) },
    ] as const;
    const before = { [POOL]: await poolState(POOL), [POOL2]: await poolState(POOL2) };
    await RBD.create(io, chain[0].name, 16 * MiB);
    await libWrite(POOL, chain[0].name, [[0, 16 * MiB, 1]]);
    for (let i = 1; i < chain.length; i++) {
      const parent = chain[i - 1]!;
      const child = chain[i]!;
      const pimg = await Image.open(await ioFor(parent.pool), parent.name);
      await pimg.createSnap('s');
      if (format === 1 || i === 1) await pimg.protectSnap('s'); // format 2 clones need no protection
      await RBD.clone(await ioFor(parent.pool), parent.name, 's', await ioFor(child.pool), child.name, { cloneFormat: format });
      await libWrite(child.pool, child.name, [[i * MiB, 4096, 10 + i]]); // each level changes a little
    }
    const py = await librbd<any[]>(
      c,
      `
out = []
for x in A['chain']:
    img = rbd.Image(ioctx(x['pool']), x['name'], read_only=True)
    out.append({'parent_info': attempt(lambda: list(img.parent_info())), 'spec': attempt(lambda: img.get_parent_image_spec()),
                'parent_id': attempt(lambda: img.parent_id()),
                'overlap': img.overlap(), 'op_features': img.op_features()})
    img.close()
return out
`,
      { chain },
    );
    for (let i = 1; i < chain.length; i++) {
      const parent = chain[i - 1]!;
      const { parent_info, spec, parent_id, overlap, op_features } = py[i]!;
      t.deepEqual(parent_info, [parent.pool, parent.name, 's'], `librbd parent_info of ${chain[i]!.name}`);
      t.like(spec, { pool_name: parent.pool, pool_namespace: '', image_name: parent.name, snap_name: 's' });
      t.is(parent_id, (await rbdJson('info', `${parent.pool}/${parent.name}`)).id, 'librbd parent_id');
      t.is(overlap, 16 * MiB);
      // format 2: clone-child (2) on every child, clone-parent (1) on those that are parents too
      t.is(op_features, format === 2 ? 2 | (i < chain.length - 1 ? 1 : 0) : 0, 'op features of format 2 children only');
      const kids = await rbdJson<any[]>('children', '--all', `${parent.pool}/${parent.name}@s`);
      t.deepEqual(
        kids.map((k) => [k.pool, k.image, k.trash]),
        [[chain[i]!.pool, chain[i]!.name, false]],
      );
      const tsKids = await (await Image.open(await ioFor(parent.pool), parent.name)).listChildren('s');
      t.deepEqual(
        tsKids.map((k) => ({ pool: k.pool, pool_namespace: k.poolNamespace, image: k.image, id: k.imageId, trash: k.trash })),
        kids,
        'rbd-ts listChildren = rbd children',
      );
      // rbd-ts' view of the child = rbd info
      const cimg = await Image.open(await ioFor(chain[i]!.pool), chain[i]!.name);
      t.deepEqual(await cimg.info(), await rbdJson('info', `${chain[i]!.pool}/${chain[i]!.name}`));
    }
    const desc = await rbdJson<any[]>('children', '--all', '--descendants', `${POOL}/${chain[0].name}@s`);
    const byPoolName = (a: string[], b: string[]) => a[0]!.localeCompare(b[0]!) || a[1]!.localeCompare(b[1]!);
    t.deepEqual(
      desc.map((d) => [d.pool, d.image]),
      chain
        .slice(1)
        .map((x) => [x.pool, x.name])
        .sort(byPoolName),
      '`rbd children --descendants` finds the whole chain',
    );
    // data flows down the chain: the grandchild reads its ancestors' snapshots plus its own write
    const sums = await librbd<Record<string, string>>(
      c,
      `
import hashlib
out = {}
for x in A['chain']:
    img = rbd.Image(ioctx(x['pool']), x['name'], read_only=True)
    out[x['name']] = hashlib.md5(img.read(0, img.size())).hexdigest()
    img.close()
exp = bytearray(bytes([1]) * (16 << 20))
for i in range(1, 4):
    exp[i << 20:(i << 20) + 4096] = bytes([10 + i]) * 4096
out['expected'] = hashlib.md5(bytes(exp)).hexdigest()
return out
`,
      { chain },
    );
    t.is(sums[chain[3].name], sums['expected'], "grandchild = parent data + each level's write");
    if (format === 1) {
      const kidsObj = await rados(c, ['-p', POOL2, 'listomapvals', 'rbd_children']);
      t.is(kidsObj.code, 0, 'format 1: rbd_children in the child pool');
    }

    // unprotect is refused while a child exists, by rbd-ts and (format 1) by librbd
    const top = await Image.open(io, chain[0].name);
    t.is(await tsErrno(top.unprotectSnap('s')), EBUSY);
    if (format === 1) t.is(await libImageErrno(POOL, chain[0].name, `img.unprotect_snap('s')`), EBUSY);
    t.is((await rbdJson<any[]>('snap', 'ls', `${POOL}/${chain[0].name}`))[0].protected, 'true', 'still protected after the refusal');
    // remove from the bottom; every parent stays protected until its own child is gone
    for (let i = chain.length - 1; i >= 1; i--) {
      const parent = chain[i - 1]!;
      const pimg = await Image.open(await ioFor(parent.pool), parent.name);
      if (pimg.isProtectedSnap('s')) t.is(await tsErrno(pimg.unprotectSnap('s')), EBUSY, `${parent.name}@s with child ${chain[i]!.name}`);
      await tsRemoveAll(chain[i]!.pool, [chain[i]!.name]);
      if (pimg.isProtectedSnap('s')) {
        await pimg.unprotectSnap('s');
        t.is((await rbdJson<any[]>('snap', 'ls', `${parent.pool}/${parent.name}`))[0].protected, 'false');
      }
      t.deepEqual(await rbdJson('children', '--all', `${parent.pool}/${parent.name}@s`), []);
    }
    await tsRemoveAll(POOL, [chain[0].name]);
    // nothing left in either pool
    t.deepEqual({ [POOL]: await poolState(POOL), [POOL2]: await poolState(POOL2) }, before);
  });
}

test('clone format 2 of an unprotected snapshot: allowed, as in librbd; then the snapshot cannot be removed by rbd-ts while the child exists', async (t) => {
  const p = n('v2u-p');
  await parentWithSnap(p, 8 * MiB, false);
  await RBD.clone(io, p, 's', io, n('v2u-ts'), { cloneFormat: 2 });
  t.is(await libClone(POOL, p, 's', POOL, n('v2u-lib'), 2), 0);
  await sameAsTwin(t, 'v2 clone of an unprotected snapshot', { pool: POOL, name: n('v2u-ts') }, { pool: POOL, name: n('v2u-lib') });
  const snaps = await rbdJson<any[]>('snap', 'ls', '--all', `${POOL}/${p}`);
  t.deepEqual(
    snaps.map((s) => [s.name, s.protected]),
    [['s', 'false']],
  );
  t.is((await rbdJson('info', `${POOL}/${p}`)).op_features[0], 'clone-parent');
  await tsRemoveAll(POOL, [n('v2u-ts')]);
  await librbd(c, `rbd.RBD().remove(ioctx('${POOL}'), A['n'])`, { n: n('v2u-lib') });
  t.deepEqual((await rbdJson('info', `${POOL}/${p}`)).op_features, [], 'clone-parent cleared with the last child');
  await tsRemoveAll(POOL, [p]);
});

// ---- errors: librbd's errno, nothing left behind ------------------------------------------------

test('ENOENT: open, remove, rename a missing image; snapshot operations on a missing snapshot', async (t) => {
  const missing = n('no-such-image');
  t.is(await tsErrno(Image.open(io, missing)), ENOENT);
  t.is(await librbdErrno(c, `rbd.Image(ioctx('${POOL}'), A['n'])`, { n: missing }), ENOENT);
  t.is(await tsErrno(RBD.remove(io, missing)), ENOENT);
  t.is(await librbdErrno(c, `rbd.RBD().remove(ioctx('${POOL}'), A['n'])`, { n: missing }), ENOENT);
  t.is(await tsErrno(RBD.rename(io, missing, n('no-such-2'))), ENOENT);
  t.is(await librbdErrno(c, `rbd.RBD().rename(ioctx('${POOL}'), A['n'], A['m'])`, { n: missing, m: n('no-such-2') }), ENOENT);
  t.is(await tsErrno(Image.open(io, missing, { snapshot: 'x' })), ENOENT);

  const name = n('enoent-snaps');
  await RBD.create(io, name, 4 * MiB);
  const img = await Image.open(io, name);
  const ops: Array<[string, () => Promise<unknown>, string]> = [
    ['protect', () => img.protectSnap('nope'), `img.protect_snap('nope')`],
    ['unprotect', () => img.unprotectSnap('nope'), `img.unprotect_snap('nope')`],
    ['remove', () => img.removeSnap('nope'), `img.remove_snap('nope')`],
    ['rename', () => img.renameSnap('nope', 'nope2'), `img.rename_snap('nope', 'nope2')`],
    ['rollback', () => img.rollbackToSnap('nope'), `img.rollback_to_snap('nope')`],
    ['open at', () => Image.open(io, name, { snapshot: 'nope' }), `rbd.Image(ioctx('${POOL}'), A['name'], snapshot='nope')`],
  ];
  for (const [label, ts, py] of ops) {
    const lib = await libImageErrno(POOL, name, py);
    t.is(await tsErrno(ts()), lib, `snap ${label}: librbd says ${lib}`);
    t.is(lib, ENOENT);
  }
  await RBD.remove(io, name);
});

test('EEXIST: create, rename to, snapshot create and rename onto an existing name', async (t) => {
  const [a, b] = [n('ex-a'), n('ex-b')];
  await RBD.create(io, a, 4 * MiB);
  await libCreate(POOL, b, 4 * MiB);
  const ida = (await rbdJson('info', `${POOL}/${a}`)).id;
  const before = await poolState(POOL);
  t.is(await tsErrno(RBD.create(io, a, 8 * MiB)), EEXIST);
  t.is(await librbdErrno(c, `rbd.RBD().create(ioctx('${POOL}'), A['n'], 1 << 20)`, { n: a }), EEXIST);
  t.is(await tsErrno(RBD.create(io, b, 8 * MiB, { features: 1 })), EEXIST);
  t.is(await tsErrno(RBD.rename(io, a, b)), EEXIST);
  t.is(await librbdErrno(c, `rbd.RBD().rename(ioctx('${POOL}'), A['a'], A['b'])`, { a, b }), EEXIST);
  t.deepEqual(await poolState(POOL), before, 'no stray object after the failed creates and renames');
  t.is((await rbdJson('info', `${POOL}/${a}`)).id, ida, 'the existing image is untouched');
  t.is((await rbdJson('info', `${POOL}/${a}`)).size, 4 * MiB);

  const img = await Image.open(io, a);
  await img.createSnap('s');
  await img.createSnap('t');
  t.is(await tsErrno(img.createSnap('s')), EEXIST);
  t.is(await libImageErrno(POOL, a, `img.create_snap('s')`), EEXIST);
  t.is(await tsErrno(img.renameSnap('s', 't')), EEXIST);
  t.is(await libImageErrno(POOL, a, `img.rename_snap('s', 't')`), EEXIST);
  t.deepEqual(
    (await rbdJson<any[]>('snap', 'ls', `${POOL}/${a}`)).map((s) => s.name),
    ['s', 't'],
  );
  await tsRemoveAll(POOL, [a, b]);
});

test('create: EDOM for an order outside 12..25, ENOSYS for unknown feature bits, EINVAL for bad combinations and stripes; nothing left behind', async (t) => {
  const before = await poolState(POOL);
  const cases: Array<{ label: string; ts: CreateOptions; lib: Record<string, unknown>; errno: number }> = [
    { label: 'order 11', ts: { order: 11 }, lib: { order: 11 }, errno: EDOM },
    { label: 'order 26', ts: { order: 26 }, lib: { order: 26 }, errno: EDOM },
    { label: 'unknown feature 1<<16', ts: { features: 1 | (1 << 16) }, lib: { features: 1 | (1 << 16) }, errno: ENOSYS },
    { label: 'unknown feature 1<<12', ts: { features: 1 | 4096 }, lib: { features: 1 | 4096 }, errno: ENOSYS },
    { label: 'object-map without exclusive-lock', ts: { features: 1 | 8 }, lib: { features: 1 | 8 }, errno: EINVAL },
    {
      label: 'object-map, fast-diff without exclusive-lock',
      ts: { features: ['layering', 'object-map', 'fast-diff'] },
      lib: { features: 1 | 8 | 16 },
      errno: EINVAL,
    },
    { label: 'journaling without exclusive-lock', ts: { features: 1 | 64 }, lib: { features: 1 | 64 }, errno: EINVAL },
    { label: 'stripe unit without count', ts: { stripeUnit: 65536 }, lib: { stripe_unit: 65536 }, errno: EINVAL },
    { label: 'stripe count without unit', ts: { stripeCount: 4 }, lib: { stripe_count: 4 }, errno: EINVAL },
    { label: 'stripe unit not dividing the object size', ts: { stripeUnit: 3000, stripeCount: 2 }, lib: { stripe_unit: 3000, stripe_count: 2 }, errno: EINVAL },
    {
      label: 'stripe unit larger than the object',
      ts: { order: 16, stripeUnit: 1 << 17, stripeCount: 2 },
      lib: { order: 16, stripe_unit: 1 << 17, stripe_count: 2 },
      errno: EINVAL,
    },
  ];
  for (const k of cases) {
    const lib = await librbdErrno(c, `rbd.RBD().create(ioctx('${POOL}'), A['n'], 1 << 20, **A['o'])`, { n: n('bad-lib'), o: k.lib });
    t.is(lib, k.errno, `librbd: ${k.label}`);
    t.is(await tsErrno(RBD.create(io, n('bad-ts'), MiB, k.ts)), lib, `rbd-ts: ${k.label}`);
  }
  t.deepEqual(await poolState(POOL), before, 'nothing left behind');
});

test('create: feature bits librbd sets by itself (fast-diff alone, operations, migrating, non-primary, dirty-cache) are dropped, as librbd does', async (t) => {
  for (const f of [1 | 16, 1 | 256, 1 | 512, 1 | 1024, 1 | 2048, 1 | 4 | 8 | 2048, 1 | 2 | 128]) {
    const [a, b] = [n(`imp${f}-ts`), n(`imp${f}-lib`)];
    const lib = await librbdErrno(c, `rbd.RBD().create(ioctx('${POOL}'), A['n'], 1 << 20, features=A['f'])`, { n: b, f });
    t.is(await tsErrno(RBD.create(io, a, MiB, { features: f })), lib, `features ${f}: librbd says ${lib}`);
    if (lib === 0) await sameAsTwin(t, `features ${f}`, { pool: POOL, name: a }, { pool: POOL, name: b });
    await tsRemoveAll(POOL, [a, b]);
  }
});

test("clone errors equal librbd's (ENOENT, EEXIST, EINVAL, EDOM, ENOSYS) and leave no stray object (id, header, object map, directory, rbd_children, parent header)", async (t) => {
  const p = n('ce-p');
  await RBD.create(io, p, 8 * MiB);
  const pimg = await Image.open(io, p);
  await pimg.createSnap('prot');
  await pimg.protectSnap('prot');
  await pimg.createSnap('unprot');
  const existing = n('ce-existing');
  await RBD.create(io, existing, MiB);
  const existingId = (await rbdJson('info', `${POOL}/${existing}`)).id;
  // a zero-size snapshot: the child is made, then attaching the parent fails (overlap 0)
  const z = n('ce-zero');
  await RBD.create(io, z, 0);
  const zimg = await Image.open(io, z);
  await zimg.createSnap('s');
  await zimg.protectSnap('s');
  // a parent without layering
  const nl = n('ce-nolayer');
  await RBD.create(io, nl, MiB, { features: 4 });
  await (await Image.open(io, nl)).createSnap('s');

  type Case = {
    label: string;
    parent: string;
    snap: string;
    child: string;
    pool: string;
    formats: Array<1 | 2>;
    ts: CloneOptions;
    lib: Record<string, unknown>;
    errno: number;
  };
  const cases: Case[] = [
    { label: 'missing snapshot', parent: p, snap: 'nope', child: n('ce-c'), pool: POOL, formats: [1, 2], ts: {}, lib: {}, errno: ENOENT },
    { label: 'missing parent', parent: n('ce-none'), snap: 'prot', child: n('ce-c'), pool: POOL, formats: [1, 2], ts: {}, lib: {}, errno: ENOENT },
    { label: 'existing child name', parent: p, snap: 'prot', child: existing, pool: POOL, formats: [1, 2], ts: {}, lib: {}, errno: EEXIST },
    { label: 'unprotected snapshot (format 1)', parent: p, snap: 'unprot', child: n('ce-c'), pool: POOL, formats: [1], ts: {}, lib: {}, errno: EINVAL },
    {
      label: 'object-map without exclusive-lock',
      parent: p,
      snap: 'prot',
      child: n('ce-c'),
      pool: POOL2,
      formats: [1, 2],
      ts: { features: 1 | 8 },
      lib: { features: 1 | 8 },
      errno: EINVAL,
    },
    {
      label: 'unknown feature bit',
      parent: p,
      snap: 'prot',
      child: n('ce-c'),
      pool: POOL,
      formats: [1, 2],
      ts: { features: 1 | (1 << 16) },
      lib: { features: 1 | (1 << 16) },
      errno: ENOSYS,
    },
    {
      label: 'child without layering',
      parent: p,
      snap: 'prot',
      child: n('ce-c'),
      pool: POOL,
      formats: [1, 2],
      ts: { features: 4 },
      lib: { features: 4 },
      errno: ENOSYS,
    },
    { label: 'order 26', parent: p, snap: 'prot', child: n('ce-c'), pool: POOL, formats: [2], ts: { order: 26 }, lib: { order: 26 }, errno: EDOM },
    { label: 'order 11', parent: p, snap: 'prot', child: n('ce-c'), pool: POOL2, formats: [1], ts: { order: 11 }, lib: { order: 11 }, errno: EDOM },
    { label: 'parent without layering (format 2)', parent: nl, snap: 's', child: n('ce-c'), pool: POOL, formats: [2], ts: {}, lib: {}, errno: ENOSYS },
    {
      label: 'zero-size snapshot: fails after the child was made',
      parent: z,
      snap: 's',
      child: n('ce-c'),
      pool: POOL,
      formats: [1, 2],
      ts: {},
      lib: {},
      errno: EINVAL,
    },
    { label: 'zero-size snapshot across pools', parent: z, snap: 's', child: n('ce-c'), pool: POOL2, formats: [1, 2], ts: {}, lib: {}, errno: EINVAL },
  ];
  const pid = pimg.id;
  for (const k of cases) {
    for (const format of k.formats) {
      const label = `${k.label}, format ${format}`;
      const parentHdr = { pool: POOL, id: k.parent === z ? zimg.id : pid };
      const before = { a: await poolState(POOL, parentHdr), b: await poolState(POOL2) };
      const lib = await libClone(POOL, k.parent, k.snap, k.pool, k.child, format, k.lib);
      t.is(lib, k.errno, `librbd: ${label}`);
      t.deepEqual({ a: await poolState(POOL, parentHdr), b: await poolState(POOL2) }, before, `librbd leaves nothing: ${label}`);
      const ts = await tsErrno(RBD.clone(io, k.parent, k.snap, await ioFor(k.pool), k.child, { ...k.ts, cloneFormat: format }));
      t.is(ts, lib, `rbd-ts: ${label}`);
      t.deepEqual({ a: await poolState(POOL, parentHdr), b: await poolState(POOL2) }, before, `rbd-ts leaves nothing: ${label}`);
    }
  }
  t.is((await rbdJson('info', `${POOL}/${existing}`)).id, existingId, 'the existing image is untouched');
  t.deepEqual(await rbdJson('children', '--all', `${POOL}/${p}@prot`), []);
  await tsRemoveAll(POOL, [p, existing, z, nl]);
});

test('EBUSY: protect twice, remove a protected snapshot, remove an image librbd holds open; ENOTEMPTY: remove with snapshots', async (t) => {
  const name = n('busy');
  await RBD.create(io, name, 8 * MiB);
  const img = await Image.open(io, name);
  await img.createSnap('s');
  await img.protectSnap('s');
  t.is(await tsErrno(img.protectSnap('s')), EBUSY);
  t.is(await libImageErrno(POOL, name, `img.protect_snap('s')`), EBUSY);
  t.is(await tsErrno(img.removeSnap('s')), EBUSY);
  t.is(await libImageErrno(POOL, name, `img.remove_snap('s')`), EBUSY);
  // unprotecting an unprotected snapshot: EINVAL
  await img.unprotectSnap('s');
  t.is(await tsErrno(img.unprotectSnap('s')), EINVAL);
  t.is(await libImageErrno(POOL, name, `img.unprotect_snap('s')`), EINVAL);

  t.is(await tsErrno(RBD.remove(io, name)), ENOTEMPTY);
  t.is(await librbdErrno(c, `rbd.RBD().remove(ioctx('${POOL}'), A['n'])`, { n: name }), ENOTEMPTY);

  // a librbd process holds the image open (it watches the header)
  const holder = librbdProcess(c, `img = rbd.Image(ioctx(A['pool']), A['name'])\nemit({'open': True})\nwait()\nimg.close()`, { pool: POOL, name });
  try {
    t.deepEqual(await holder.next(), { open: true });
    const watchers = await rados(c, ['-p', POOL, 'listwatchers', `rbd_header.${img.id}`]);
    t.regex(watchers.stdout, /watcher=/);
    // snapshots are checked first, as librbd does
    t.is(await tsErrno(RBD.remove(io, name)), ENOTEMPTY);
    t.is(await librbdErrno(c, `rbd.RBD().remove(ioctx('${POOL}'), A['n'])`, { n: name }), ENOTEMPTY);
    await img.removeSnap('s');
    t.is(await tsErrno(RBD.remove(io, name)), EBUSY);
    t.is(await librbdErrno(c, `rbd.RBD().remove(ioctx('${POOL}'), A['n'])`, { n: name }), EBUSY);
    t.is((await rbdJson('info', `${POOL}/${name}`)).id, img.id, 'still there');
  } finally {
    await holder.stop();
  }
  await RBD.remove(io, name);
  t.is(await rbdStatus('info', `${POOL}/${name}`), 2);
  t.false((await radosLs(POOL)).some((x) => x.includes(img.id)));
});

test('unprotect with clone-v2 children: rbd-ts refuses (EBUSY); librbd allows it (deliberate divergence)', async (t) => {
  const p = n('v2unprot');
  const pimg = await parentWithSnap(p, 4 * MiB);
  await RBD.clone(io, p, 's', io, n('v2unprot-c'), { cloneFormat: 2 });
  t.is(await tsErrno(pimg.unprotectSnap('s')), EBUSY, 'rbd-ts: EBUSY while a format 2 child exists');
  t.is((await rbdJson<any[]>('snap', 'ls', `${POOL}/${p}`))[0].protected, 'true');
  // librbd (Pacific) only scans rbd_children (format 1) and lets the snapshot go
  t.is(await libImageErrno(POOL, p, `img.unprotect_snap('s')`), 0, 'librbd: 0');
  t.is((await rbdJson<any[]>('snap', 'ls', `${POOL}/${p}`))[0].protected, 'false');
  await tsRemoveAll(POOL, [n('v2unprot-c')]);
  await tsRemoveAll(POOL, [p]);
});

test('snapshot remove with clone-v2 children: the snapshot moves to the trash namespace (0), and goes when the last child does', async (t) => {
  // src/librbd/operation/SnapshotRemoveRequest.cc, src/librbd/image/DetachChildRequest.cc
  // (docs/rbd-format.md §6.7, §6.11)
  const p = n('v2trash');
  const pimg = await parentWithSnap(p, 4 * MiB, false);
  await RBD.clone(io, p, 's', io, n('v2trash-c'), { cloneFormat: 2 });
  const [a] = [n('v2trash-lib')];
  await RBD.create(io, a, 4 * MiB);
  await libImage(POOL, a, `img.create_snap('s')`);
  t.is(await libClone(POOL, a, 's', POOL, n('v2trash-libc'), 2), 0);
  try {
    const lib = await libImageErrno(POOL, a, `img.remove_snap('s')`);
    t.is(lib, 0);
    t.deepEqual(
      (await rbdJson<any[]>('snap', 'ls', '--all', `${POOL}/${a}`)).map((s) => s.namespace.type),
      ['trash'],
    );
    t.is(await tsErrno(pimg.removeSnap('s')), lib);
    t.deepEqual(
      (await rbdJson<any[]>('snap', 'ls', '--all', `${POOL}/${p}`)).map((s) => s.namespace.type),
      ['trash'],
    );
    // removing the child removes the trashed snapshot, as librbd does
    await RBD.remove(io, n('v2trash-c'));
    t.deepEqual(await rbdJson<any[]>('snap', 'ls', '--all', `${POOL}/${p}`), []);
  } finally {
    await tsRemoveAll(POOL, [n('v2trash-c'), n('v2trash-libc')]);
    await tsRemoveAll(POOL, [p, a]);
  }
});

// ---- a librbd client holding the image open sees rbd-ts' changes ----------------------------------

test('a librbd process holding the image open sees snapshots rbd-ts creates, protects, removes (header-update notify), without reopening', async (t) => {
  const name = n('watch');
  await RBD.create(io, name, 8 * MiB);
  const img = await Image.open(io, name);
  // the python side: wait for a condition on list_snaps() of its open image, repeatedly
  const watcher = librbdProcess(
    c,
    `
img = rbd.Image(ioctx(A['pool']), A['name'])
emit({'open': True, 'snaps': [s['name'] for s in img.list_snaps()]})
while True:
    req = recv()
    if req is None:
        break
    t0 = time.monotonic()
    seen = None
    while time.monotonic() - t0 < req['timeout']:
        snaps = {s['name']: s for s in img.list_snaps()}
        if req['want'] == 'present':
            ok = req['snap'] in snaps
        elif req['want'] == 'absent':
            ok = req['snap'] not in snaps
        else:
            ok = req['snap'] in snaps and img.is_protected_snap(req['snap'])
        if ok:
            seen = round(time.monotonic() - t0, 3)
            break
        time.sleep(0.02)
    emit({'seen': seen})
img.close()
`,
    { pool: POOL, name },
  );
  const waitFor = async (snap: string, want: 'present' | 'absent' | 'protected', timeout: number) => {
    watcher.send({ snap, want, timeout });
    return (await watcher.next<{ seen: number | null }>((timeout + 10) * 1000)).seen;
  };
  try {
    t.deepEqual(await watcher.next(), { open: true, snaps: [] });
    // control: a snapshot added behind librbd's back, without the notify, stays unseen
    const snapId = await io.createSelfManagedSnap();
    await call(io, img.headerOid, R.snapshotAdd('quiet', snapId));
    t.is(await waitFor('quiet', 'present', 2), null, 'without a notify librbd does not refresh');
    await img.notifyUpdate();
    t.not(await waitFor('quiet', 'present', 5), null, 'the header-update notify makes it refresh');
    await img.refresh();
    await img.removeSnap('quiet');
    t.not(await waitFor('quiet', 'absent', 5), null);

    // what rbd-ts does is seen within a few seconds
    await img.createSnap('s1');
    const seen = await waitFor('s1', 'present', 5);
    t.not(seen, null, 'librbd sees the new snapshot');
    t.true(seen! < 5);
    await img.protectSnap('s1');
    t.not(await waitFor('s1', 'protected', 5), null, 'librbd sees the protection');
    await img.unprotectSnap('s1');
    await img.removeSnap('s1');
    t.not(await waitFor('s1', 'absent', 5), null, 'librbd sees the removal');
  } finally {
    await watcher.stop();
  }
  await RBD.remove(io, name);
});
