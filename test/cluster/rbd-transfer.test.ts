// Import, export, streams and flatten against the real cluster, with `rbd` and python3-rbd as
// oracles: the md5 of `rbd-ts export` equals `rbd export` for images written by either tool
// (plain, clones both ways, snapshots, fancy striping, random unaligned writes); `rbd-ts import`
// makes what `rbd export` gives back; a sparse 1 GiB import writes only the non-zero objects;
// streams keep bounded reads and writes in flight; bad input leaves nothing half-made.

import test from 'ava';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, mkdtempSync, openSync, closeSync, writeSync, ftruncateSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { CephError } from '../../src/encoding/errno.js';
import { Rados } from '../../src/rados/rados.js';
import type { IoCtx } from '../../src/rados/ioctx.js';
import { Image, RBD } from '../../src/rbd/index.js';
import { librbd } from '../helpers/librbd.js';
import { rados, rbd, sharedCluster, type TestCluster } from '../helpers/cluster.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const MiB = 1 << 20;
const tag = randomBytes(3).toString('hex');
const name = (s: string) => `xfer-${s}-${tag}`;
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const tmp = mkdtempSync(join(tmpdir(), 'rbd-ts-xfer-'));

let c: TestCluster;
let cluster: Rados;
let io: IoCtx;

test.before(async () => {
  c = await sharedCluster();
  cluster = await Rados.connect({ conf: c.conf, timeoutMs: 20_000 });
  io = await cluster.openIoctx('rbd');
});

test.after.always(() => {
  cluster?.shutdown();
  rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  code: number;
  stderr: string;
  /** md5 of stdout (binary-safe) */
  md5: string;
  bytes: number;
}

/** Run a command, hashing its stdout as it comes (exports can be large); `input` a file piped to stdin. */
function runHashed(cmd: string, args: string[], input?: string, timeoutMs = 180_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: ROOT, stdio: [input ? 'pipe' : 'ignore', 'pipe', 'pipe'] });
    if (input) pipeline(createReadStream(input), child.stdin!).catch(() => undefined);
    const h = createHash('md5');
    let bytes = 0;
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.stdout!.on('data', (b: Buffer) => {
      h.update(b);
      bytes += b.length;
    });
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      resolve({ code: code ?? (sig ? 128 : 1), stderr: Buffer.concat(err).toString(), md5: h.digest('hex'), bytes });
    });
  });
}

const rbdts = (args: string[], input?: string) => runHashed(process.execPath, ['--import=tsx', join(ROOT, 'src/cli/main.ts'), '-c', c.conf, ...args], input);
const rbdCmd = (args: string[], input?: string) => runHashed('rbd', ['-c', c.conf, ...args], input);

/** md5 of `rbd export SPEC -` and of `rbd-ts export SPEC -`, both must succeed. */
async function bothExports(spec: string): Promise<{ rbd: string; ts: string; tsBytes: number }> {
  const [a, b] = await Promise.all([rbdCmd(['export', spec, '-']), rbdts(['export', '--no-progress', spec, '-'])]);
  if (a.code !== 0) throw new Error(`rbd export ${spec}: ${a.stderr}`);
  if (b.code !== 0) throw new Error(`rbd-ts export ${spec}: ${b.stderr}`);
  return { rbd: a.md5, ts: b.md5, tsBytes: b.bytes };
}

/** Deterministic writes whose offsets and lengths are not multiples of 512 (nor of the object size). */
function unalignedExtents(size: number, seed: number, n: number): Array<[number, number]> {
  let x = seed >>> 0;
  const r = () => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0), x);
  const out: Array<[number, number]> = [];
  while (out.length < n) {
    const len = 1 + (r() % 300_000);
    const off = r() % (size - len);
    if (off % 512 === 0 || len % 512 === 0) continue;
    out.push([off, len]);
  }
  out.push([size - 777, 777], [4 * MiB - 333, 1001]);
  return out;
}

function seeded(seed: number, len: number): Buffer {
  // deterministic bytes: md5 counter stream
  const out = Buffer.alloc(len);
  for (let i = 0, at = 0; at < len; i++, at += 16) createHash('md5').update(`${seed}:${i}`).digest().copy(out, at);
  return out;
}

async function tsWrites(image: string, extents: Array<[number, number]>, seed: number): Promise<void> {
  const img = await Image.open(io, image);
  try {
    for (const [i, [off, len]] of extents.entries()) await img.write(seeded(seed + i, len), off);
    await img.flush();
  } finally {
    await img.close();
  }
}

async function librbdWrites(image: string, extents: Array<[number, number]>, seed: number): Promise<void> {
  await librbd(
    { conf: c.conf },
    `
import random
img = rbd.Image(ioctx('rbd'), A['name'])
try:
    r = random.Random(A['seed'])
    for off, n in A['extents']:
        img.write(r.randbytes(n), off)
    img.flush()
finally:
    img.close()
`,
    { name: image, extents, seed },
    { timeoutMs: 120_000 },
  );
}

async function mustRbd(args: string[]): Promise<string> {
  const r = await rbd(c, args, { timeoutMs: 120_000 });
  if (r.code !== 0) throw new Error(`rbd ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test.serial('export: rbd-ts and rbd agree on images written by either, unaligned writes, snapshots, fancy striping', async (t) => {
  const size = 24 * MiB + 12345;
  const byTs = name('by-ts');
  const byLib = name('by-lib');
  const striped = name('striped');
  await RBD.create(io, byTs, size);
  await mustRbd(['create', '--size', `${size}B`, byLib]);
  await mustRbd(['create', '--size', `${size}B`, '--stripe-unit', '64K', '--stripe-count', '4', striped]);
  await tsWrites(byTs, unalignedExtents(size, 1, 40), 100);
  await librbdWrites(byLib, unalignedExtents(size, 2, 40), 200);
  await tsWrites(striped, unalignedExtents(size, 3, 40), 300);
  // a snapshot, then more writes on the head: the snapshot export must not see them
  await mustRbd(['snap', 'create', `${byTs}@s1`]);
  await tsWrites(byTs, unalignedExtents(size, 4, 10), 400);
  await mustRbd(['snap', 'create', `${byLib}@s1`]);
  await librbdWrites(byLib, unalignedExtents(size, 5, 10), 500);

  for (const spec of [byTs, `${byTs}@s1`, byLib, `${byLib}@s1`, striped]) {
    const m = await bothExports(spec);
    t.is(m.ts, m.rbd, spec);
    t.is(m.tsBytes, size, `${spec} size`);
  }
  // the snapshot and the head differ (the later writes landed only on the head)
  t.not((await bothExports(byTs)).ts, (await bothExports(`${byTs}@s1`)).ts);
});

test.serial('export: clones written both ways (rbd-ts on a librbd clone, librbd on an rbd-ts clone), and after flatten', async (t) => {
  const size = 20 * MiB + 999;
  const parent = name('parent');
  await mustRbd(['create', '--size', `${size}B`, parent]);
  await librbdWrites(parent, unalignedExtents(size, 6, 30), 600);
  await mustRbd(['snap', 'create', `${parent}@p`]);
  await mustRbd(['snap', 'protect', `${parent}@p`]);
  const libClone = name('lib-clone');
  const tsClone = name('ts-clone');
  await mustRbd(['clone', `${parent}@p`, libClone]);
  await RBD.clone(io, parent, 'p', io, tsClone, { cloneFormat: 2 });
  await tsWrites(libClone, unalignedExtents(size, 7, 25), 700);
  await librbdWrites(tsClone, unalignedExtents(size, 8, 25), 800);
  for (const spec of [`${parent}@p`, libClone, tsClone]) {
    const m = await bothExports(spec);
    t.is(m.ts, m.rbd, spec);
  }
  // rbd-ts flatten (CLI), then the bytes are the same and the parent is gone
  const before = (await bothExports(libClone)).rbd;
  const f = await rbdts(['flatten', '--no-progress', libClone]);
  t.is(f.code, 0, f.stderr);
  const info = JSON.parse(await mustRbd(['info', '--format', 'json', libClone])) as { parent?: unknown };
  t.is(info.parent, undefined);
  const after = await bothExports(libClone);
  t.is(after.rbd, before);
  t.is(after.ts, before);
  // flatten of an image without a parent: rbd's message and status
  const again = await rbdts(['flatten', '--no-progress', libClone]);
  t.is(again.code, 22);
  t.regex(again.stderr, /flatten error: \(22\) Invalid argument/);
});

test.serial('import: rbd-ts import of a file gives what rbd export reads back, with the size, order, features and striping asked', async (t) => {
  const size = 13 * MiB + 4321;
  const file = join(tmp, 'src.bin');
  const data = randomBytes(size);
  data.fill(0, 2 * MiB, 6 * MiB); // a zero range covering whole 1 MiB objects
  writeFileSync(file, data);
  const img = name('imp');
  const r = await rbdts(['import', '--no-progress', '--object-size', '1M', '--image-feature', 'layering', '--image-feature', 'exclusive-lock', file, img]);
  t.is(r.code, 0, r.stderr);
  const info = JSON.parse(await mustRbd(['info', '--format', 'json', img])) as { size: number; order: number; features: string[] };
  t.is(info.size, size);
  t.is(info.order, 20);
  t.deepEqual(info.features.sort(), ['exclusive-lock', 'layering']);
  t.is((await rbdCmd(['export', img, '-'])).md5, md5(data));

  const st = name('imp-striped');
  const r2 = await rbdts(['import', '--no-progress', '--stripe-unit', '64K', '--stripe-count', '4', file, st]);
  t.is(r2.code, 0, r2.stderr);
  const info2 = JSON.parse(await mustRbd(['info', '--format', 'json', st])) as { stripe_unit: number; stripe_count: number };
  t.is(info2.stripe_unit, 65536);
  t.is(info2.stripe_count, 4);
  t.is((await rbdCmd(['export', st, '-'])).md5, md5(data));

  // rbd import → rbd-ts export (a file, sparse) → same bytes
  const byRbd = name('rbd-imp');
  t.is((await rbdCmd(['import', '--no-progress', file, byRbd])).code, 0);
  const out = join(tmp, 'out.bin');
  const e = await rbdts(['export', '--no-progress', byRbd, out]);
  t.is(e.code, 0, e.stderr);
  t.is(md5(readFileSync(out)), md5(data));
  // rbd export refuses an existing file; so does rbd-ts
  const e2 = await rbdts(['export', '--no-progress', byRbd, out]);
  t.is(e2.code, 17);
  t.regex(e2.stderr, /export error: \(17\) File exists/);

  // from stdin ('-'): the size is what was read
  const fromStdin = name('stdin');
  const s = await rbdts(['import', '--no-progress', '-', fromStdin], file);
  t.is(s.code, 0, s.stderr);
  const info3 = JSON.parse(await mustRbd(['info', '--format', 'json', fromStdin])) as { size: number };
  t.is(info3.size, size);
  t.is((await rbdCmd(['export', fromStdin, '-'])).md5, md5(data));
  // stdin a shell pipe (a FIFO, read straight into pooled chunks) and a regular file (`< file`)
  const cli = `${JSON.stringify(process.execPath)} --import=tsx ${JSON.stringify(join(ROOT, 'src/cli/main.ts'))} -c ${JSON.stringify(c.conf)} import --no-progress -`;
  for (const [how, cmd] of [
    ['fifo', `cat ${JSON.stringify(file)} | ${cli} ${name('stdin-fifo')}`],
    ['file', `${cli} ${name('stdin-file')} < ${JSON.stringify(file)}`],
  ] as const) {
    const r3 = await runHashed('sh', ['-c', cmd]);
    t.is(r3.code, 0, `${how}: ${r3.stderr}`);
    const info4 = JSON.parse(await mustRbd(['info', '--format', 'json', name(`stdin-${how}`)])) as { size: number };
    t.is(info4.size, size, how);
    t.is((await rbdCmd(['export', name(`stdin-${how}`), '-'])).md5, md5(data), how);
  }

  // the API from a Buffer and from an async iterable of odd-sized pieces (size unknown: grows)
  const fromBuf = name('buf');
  const res = await RBD.import(io, fromBuf, data, { order: 20 });
  t.is(res.size, size);
  t.is(res.objectsWritten, 14 - 4); // 14 objects of 1 MiB, 4 of them all zeros
  async function* pieces(): AsyncGenerator<Buffer> {
    for (let o = 0; o < data.length; o += 777_777) yield data.subarray(o, o + 777_777);
  }
  const fromIter = name('iter');
  const res2 = await RBD.import(io, fromIter, pieces());
  t.is(res2.size, size);
  t.is((await rbdCmd(['export', fromIter, '-'])).md5, md5(data));
});

test.serial('import: a 1 GiB sparse file writes only its non-zero objects', async (t) => {
  const file = join(tmp, 'sparse.bin');
  const fd = openSync(file, 'w');
  ftruncateSync(fd, 1 << 30);
  // a few written blocks, some sharing an object, one at the very end
  const blocks = [0, 5 * MiB + 17, 5 * MiB + 900_000, 100 * MiB - 3, 512 * MiB, (1 << 30) - 4096];
  const objs = new Set<number>();
  for (const at of blocks) {
    const b = randomBytes(4096);
    writeSync(fd, b, 0, b.length, at);
    for (let o = Math.floor(at / (4 * MiB)); o <= Math.floor((at + 4095) / (4 * MiB)); o++) objs.add(o);
  }
  closeSync(fd);
  const img = name('sparse');
  const r = await rbdts(['import', '--no-progress', file, img]);
  t.is(r.code, 0, r.stderr);
  const image = await Image.open(io, img, { readOnly: true });
  const prefix = image.objectPrefix;
  await image.close();
  const ls = await rados(c, ['-p', 'rbd', 'ls'], { timeoutMs: 60_000 });
  const count = ls.stdout.split('\n').filter((l) => l.startsWith(prefix + '.')).length;
  t.is(count, objs.size);
  // the object map (marked ahead of the writes, chunk by chunk) says exactly those objects
  // exist: rbd diff reads it (fast-diff), and object-map check finds nothing to fix
  const diff = JSON.parse((await mustRbd(['diff', '--whole-object', '--format', 'json', img])) || '[]') as Array<{ offset: number; exists: string }>;
  t.deepEqual(
    diff.filter((d) => d.exists === 'true').map((d) => d.offset / (4 * MiB)),
    [...objs].sort((a, b) => a - b),
  );
  t.is((await rbd(c, ['object-map', 'check', img])).code, 0);
  t.deepEqual((JSON.parse(await mustRbd(['info', '--format', 'json', img])) as { flags: string[] }).flags, []);
  // and the bytes: rbd export equals the file
  const fileMd5 = createHash('md5').update(readFileSync(file)).digest('hex');
  t.is((await rbdCmd(['export', img, '-'])).md5, fileMd5);
  // rbd-ts export to a file leaves holes: far fewer blocks allocated than 1 GiB
  const out = join(tmp, 'sparse-out.bin');
  t.is((await rbdts(['export', '--no-progress', img, out])).code, 0);
  t.is(createHash('md5').update(readFileSync(out)).digest('hex'), fileMd5);
  const { execFileSync } = await import('node:child_process');
  const blocksUsed = Number(execFileSync('stat', ['-c', '%b', out], { encoding: 'utf8' }).trim());
  t.true(blocksUsed * 512 <= objs.size * 4 * MiB, `allocated ${blocksUsed * 512} bytes`);
  rmSync(file);
  rmSync(out);
});

test.serial('streams: pipeline(createReadStream, file) equals rbd export; a slow consumer keeps reads bounded', async (t) => {
  const size = 30 * MiB + 5;
  const img = name('stream');
  await mustRbd(['create', '--size', `${size}B`, img]);
  await librbdWrites(img, unalignedExtents(size, 9, 30), 900);
  const image = await Image.open(io, img, { readOnly: true });
  try {
    const out = join(tmp, 'stream.bin');
    const rs = image.createReadStream({ readAhead: 3 });
    await pipeline(rs, createWriteStream(out));
    t.is(md5(readFileSync(out)), (await rbdCmd(['export', img, '-'])).md5);
    t.true(rs.stats.maxInFlight <= 3);

    // a consumer that takes one chunk and stops: reads stop at the read-ahead bound
    const slow = image.createReadStream({ readAhead: 2 });
    const first = await new Promise<Buffer>((resolve, reject) => {
      slow.once('readable', () => resolve(slow.read() as Buffer));
      slow.once('error', reject);
    });
    t.is(first.length, 4 * MiB);
    // let everything already issued land (the reads in flight settle; nothing new may start)
    for (let i = 0; i < 100 && slow.readableLength === 0; i++) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 200));
    t.true(slow.stats.ops <= 1 + 1 + 2, `reads issued ${slow.stats.ops}`); // taken + buffered + read-ahead
    t.true(slow.readableLength <= 4 * MiB, `buffered ${slow.readableLength}`);
    slow.destroy();
  } finally {
    await image.close();
  }
});

test.serial('export to a slow Writable: every byte, backpressure waits leave no listener behind', async (t) => {
  const size = 24 * MiB + 7;
  const img = name('slowout');
  await mustRbd(['create', '--size', `${size}B`, img]);
  await librbdWrites(img, unalignedExtents(size, 11, 12), 901);
  const chunks: Buffer[] = [];
  // 64 KiB high-water mark and an asynchronous write: every 4 MiB chunk waits for 'drain'
  const out = new Writable({
    highWaterMark: 64 * 1024,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      setTimeout(cb, 2);
    },
  });
  const before = { error: out.listenerCount('error'), drain: out.listenerCount('drain') };
  const image = await Image.open(io, img, { readOnly: true });
  try {
    t.is(await RBD.export(image, out), size);
  } finally {
    await image.close();
  }
  t.is(md5(Buffer.concat(chunks)), (await rbdCmd(['export', img, '-'])).md5);
  t.deepEqual({ error: out.listenerCount('error'), drain: out.listenerCount('drain') }, before);
});

test.serial('streams: createWriteStream with odd chunk sizes writes what librbd reads, bounded in flight', async (t) => {
  const size = 18 * MiB + 3;
  const img = name('wstream');
  await RBD.create(io, img, size);
  const data = randomBytes(size);
  const image = await Image.open(io, img);
  try {
    const ws = image.createWriteStream({ concurrency: 3 });
    async function* odd(): AsyncGenerator<Buffer> {
      let o = 0;
      let i = 0;
      while (o < data.length) {
        const n = [1, 511, 65_537, 3 * MiB + 1, 5 * MiB][i++ % 5]!;
        yield data.subarray(o, o + n);
        o += n;
      }
    }
    await pipeline(odd(), ws);
    t.true(ws.stats.maxInFlight <= 3);
    t.is(ws.stats.bytes, size);
  } finally {
    await image.close();
  }
  t.is((await rbdCmd(['export', img, '-'])).md5, md5(data));
});

test.serial('bad input: import into an existing name is EEXIST and leaves it intact; a failing source leaves no image', async (t) => {
  const existing = name('exists');
  await RBD.create(io, existing, 8 * MiB);
  await librbdWrites(existing, [[1000, 5000]], 42);
  const before = (await rbdCmd(['export', existing, '-'])).md5;
  const file = join(tmp, 'small.bin');
  writeFileSync(file, randomBytes(3 * MiB));
  const r = await rbdts(['import', '--no-progress', file, existing]);
  t.is(r.code, 17);
  t.regex(r.stderr, /import failed: \(17\) File exists/);
  const e = await t.throwsAsync(RBD.import(io, existing, file));
  t.true(e instanceof CephError && e.code === 'EEXIST');
  t.is((await rbdCmd(['export', existing, '-'])).md5, before);

  // a source that fails after some chunks were written
  const broken = name('broken');
  async function* failing(): AsyncGenerator<Buffer> {
    yield randomBytes(4 * MiB);
    yield randomBytes(4 * MiB);
    throw new Error('source broke');
  }
  await t.throwsAsync(RBD.import(io, broken, failing(), { size: 16 * MiB }));
  const names = (await mustRbd(['ls'])).split('\n');
  t.false(names.includes(broken));
  // an aborted import too
  const aborted = name('aborted');
  const ac = new AbortController();
  async function* endless(): AsyncGenerator<Buffer> {
    for (let i = 0; ; i++) {
      if (i === 3) ac.abort();
      yield randomBytes(MiB);
    }
  }
  const err = await t.throwsAsync(RBD.import(io, aborted, endless(), { signal: ac.signal }));
  t.true(err instanceof CephError);
  t.false((await mustRbd(['ls'])).split('\n').includes(aborted));
  // a missing file: rbd's two lines and ENOENT
  const m = await rbdts(['import', '--no-progress', join(tmp, 'nope.bin'), name('nope')]);
  t.is(m.code, 2);
  t.regex(m.stderr, /error opening .*nope\.bin/);
});

/** Count the data-object ops (rbd_data.*) in flight at once through `cl`'s objecter; returns a reset-and-read handle. */
async function dataOpsInFlight(cl: Rados): Promise<{ reset(): void; readonly most: number }> {
  const objecter = await cl.objecter();
  const submit = objecter.submit.bind(objecter);
  let now = 0;
  let most = 0;
  objecter.submit = async (req) => {
    const data = req.oid.startsWith('rbd_data.');
    if (data) most = Math.max(most, ++now);
    try {
      return await submit(req);
    } finally {
      if (data) now--;
    }
  };
  return {
    reset: () => void (most = 0),
    get most() {
      return most;
    },
  };
}

test.serial('rbd_concurrent_management_ops bounds the objects in flight for import, export and flatten, as in librbd', async (t) => {
  const file = join(tmp, 'ops.bin');
  const data = randomBytes(24 * MiB);
  writeFileSync(file, data);
  const high: Record<string, number[]> = { import: [], export: [], flatten: [] };
  for (const ops of [2, 12]) {
    const cl = await Rados.connect({ conf: c.conf, timeoutMs: 20_000, options: { rbd_concurrent_management_ops: String(ops) } });
    try {
      const cio = await cl.openIoctx('rbd');
      const inFlight = await dataOpsInFlight(cl);
      const img = name(`ops${ops}`);
      await RBD.import(cio, img, file, { objectSize: MiB }); // 24 objects
      high['import']!.push(inFlight.most);
      const opened = await Image.open(cio, img);
      const chunks: Buffer[] = [];
      inFlight.reset();
      await RBD.export(opened, new Writable({ write: (b, _e, cb) => void (chunks.push(Buffer.from(b)), cb()) }));
      high['export']!.push(inFlight.most);
      t.is(md5(Buffer.concat(chunks)), md5(data));
      await opened.createSnap('s');
      await opened.protectSnap('s');
      await opened.close();
      await RBD.clone(cio, img, 's', cio, `${img}-c`);
      const child = await Image.open(cio, `${img}-c`);
      inFlight.reset();
      await child.flatten();
      high['flatten']!.push(inFlight.most);
      await child.close();
      t.is((await rbdCmd(['export', `${img}-c`, '-'])).md5, md5(data), 'the flattened child reads the parent bytes');
    } finally {
      cl.shutdown();
    }
  }
  t.log(`most data-object ops in flight, option 2 then 12: ${JSON.stringify(high)}`);
  for (const [what, [two, twelve]] of Object.entries(high)) {
    t.true(two! >= 1 && two! <= 2, `${what} with 2: ${two} in flight`);
    t.true(twelve! > 2 && twelve! <= 12, `${what} with 12: ${twelve} in flight`);
  }
});
