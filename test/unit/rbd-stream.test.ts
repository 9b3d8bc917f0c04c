// The streams' pure logic over an in-memory stand-in for an Image (no cluster): write chunks
// are period-aligned and bounded in flight, zero chunks are skipped on request, a source of
// unknown size grows the image; reads come back in order with a bounded read-ahead; errors
// destroy the stream with the CephError. Plus rbd's progress line.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { pipeline } from 'node:stream/promises';
import { CephError, errnoNumber } from '../../src/encoding/errno.js';
import { makeLayout, type Layout } from '../../src/rbd/layout.js';
import { ImageReadStream, ImageWriteStream, isZero, stripePeriod, type ImageStreamTarget } from '../../src/rbd/stream.js';
import { Progress } from '../../src/cli/commands/transfer.js';
import { dropFreeBuffers, pooledFreeBytes, takeReadBuffer } from '../../src/msgr2/read-buffers.js';

const tick = () => new Promise((r) => setImmediate(r));

/** What the streams use of an Image, over a Buffer; records ops and the most in flight. */
class MemImage {
  name = 'mem';
  data: Buffer;
  writes: Array<[number, number]> = [];
  reads: Array<[number, number]> = [];
  inFlight = 0;
  maxInFlight = 0;
  failAt: number | undefined;
  constructor(
    public size: number,
    public layout: Layout = makeLayout(12),
  ) {
    this.data = Buffer.alloc(size);
  }
  get currentSize(): number {
    return this.size;
  }
  private async op<T>(fn: () => T): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    await tick();
    await tick();
    this.inFlight--;
    return fn();
  }
  /** the memory behind each write's data */
  writeMemory: ArrayBufferLike[] = [];
  write(b: Buffer, off: number): Promise<void> {
    this.writes.push([off, b.length]);
    this.writeMemory.push(b.buffer);
    return this.op(() => {
      if (this.failAt !== undefined && off >= this.failAt) throw new CephError(errnoNumber('EIO'), 'injected', { op: 'write', image: this.name });
      if (off + b.length > this.size) throw new CephError(errnoNumber('EINVAL'), 'beyond', { op: 'write' });
      b.copy(this.data, off);
    });
  }
  read(off: number, len: number): Promise<Buffer> {
    this.reads.push([off, len]);
    return this.op(() => {
      if (this.failAt !== undefined && off >= this.failAt) throw new CephError(errnoNumber('EIO'), 'injected', { op: 'read', image: this.name });
      return Buffer.from(this.data.subarray(off, Math.min(this.size, off + len)));
    });
  }
  async resize(size: number): Promise<void> {
    const d = Buffer.alloc(size);
    this.data.copy(d, 0, 0, Math.min(size, this.size));
    this.data = d;
    this.size = size;
  }
}

const asImage = (m: MemImage): ImageStreamTarget => m;

async function* pieces(data: Buffer, sizes: number[]): AsyncGenerator<Buffer> {
  for (let o = 0, i = 0; o < data.length; i++) {
    const n = sizes[i % sizes.length]!;
    yield data.subarray(o, o + n);
    o += n;
  }
}

test('stripePeriod and isZero', (t) => {
  t.is(stripePeriod(makeLayout(22)), 4 << 20);
  t.is(stripePeriod(makeLayout(22, 65536, 4)), 16 << 20);
  t.true(isZero(Buffer.alloc(4096)));
  const b = Buffer.alloc(4096);
  b[4095] = 1;
  t.false(isZero(b));
  t.true(isZero(Buffer.alloc(0)));
});

test('write stream: odd pieces become period-aligned chunks, at most `concurrency` in flight', async (t) => {
  const m = new MemImage(50_000);
  const data = randomBytes(50_000);
  const ws = new ImageWriteStream(asImage(m), { concurrency: 3 });
  await pipeline(pieces(data, [1, 999, 7000, 10_000, 3]), ws);
  t.true(m.data.equals(data));
  t.true(m.maxInFlight <= 3);
  t.true(ws.stats.maxInFlight <= 3);
  for (const [off, len] of m.writes) {
    t.is(off % 4096, 0);
    t.true(len === 4096 || off + len === 50_000);
  }
  t.is(ws.stats.bytes, 50_000);
  t.is(ws.stats.objects, Math.ceil(50_000 / 4096));
});

test('write stream: gathered chunks use pooled buffers, reused once their writes are done, never before', async (t) => {
  const size = 12 << 20;
  const m = new MemImage(size, makeLayout(20)); // 1 MiB objects: pooled buffers
  const data = randomBytes(size);
  await pipeline(pieces(data, [64 * 1024, 1000]), new ImageWriteStream(asImage(m), { concurrency: 2 }));
  t.true(m.data.equals(data), 'no buffer was reused while its write was out');
  t.is(m.writes.length, 12);
  const distinct = new Set(m.writeMemory).size;
  t.true(distinct <= 4, `${distinct} buffers for 12 chunks`);
});

test.serial(
  'write stream: recycleInput: whole pooled chunks are written as they are and come back after their write, a short one is copied and comes back at once',
  async (t) => {
    dropFreeBuffers();
    const m = new MemImage(3 << 20, makeLayout(20));
    const data = randomBytes((2 << 20) + 5000);
    const given = [takeReadBuffer(1 << 20), takeReadBuffer(1 << 20), takeReadBuffer(5000 + (1 << 20)).subarray(0, 5000)];
    data.copy(given[0]!, 0, 0);
    data.copy(given[1]!, 0, 1 << 20);
    data.copy(given[2]!, 0, 2 << 20);
    const ws = new ImageWriteStream(asImage(m), { concurrency: 2, recycleInput: true });
    await pipeline(async function* () {
      yield* given;
    }, ws);
    t.true(m.data.subarray(0, data.length).equals(data));
    t.is(m.writeMemory[0], given[0]!.buffer, 'a whole chunk is not copied');
    t.is(m.writeMemory[1], given[1]!.buffer);
    t.not(m.writeMemory[2], given[2]!.buffer, 'a short one is gathered');
    // every buffer handed over is back in the pool: the next takes reuse them
    const back = new Set([takeReadBuffer(1 << 20).buffer, takeReadBuffer(1 << 20).buffer, takeReadBuffer(1 << 20).buffer]);
    t.true(back.has(given[0]!.buffer) && back.has(given[1]!.buffer));
  },
);

test.serial("write stream: without recycleInput a caller's chunk is never given to the pool", async (t) => {
  dropFreeBuffers();
  const m = new MemImage(1 << 20, makeLayout(20));
  const chunk = takeReadBuffer(1 << 20);
  await pipeline(
    async function* () {
      yield chunk;
    },
    new ImageWriteStream(asImage(m), {}),
  );
  t.is(pooledFreeBytes(), 0);
});

test('write stream: an unaligned start writes up to the next boundary first', async (t) => {
  const m = new MemImage(20_000);
  const data = randomBytes(10_000);
  await pipeline(pieces(data, [3333]), new ImageWriteStream(asImage(m), { start: 1000 }));
  t.true(m.data.subarray(1000, 11_000).equals(data));
  t.deepEqual(m.writes[0], [1000, 4096 - 1000]);
  for (const [off] of m.writes.slice(1)) t.is(off % 4096, 0);
});

test('write stream: striped layouts chunk by the stripe period (whole objects)', async (t) => {
  const layout = makeLayout(12, 1024, 4);
  const m = new MemImage(40_000, layout);
  await pipeline(pieces(randomBytes(40_000), [5000]), new ImageWriteStream(asImage(m), {}));
  for (const [off, len] of m.writes) {
    t.is(off % 16384, 0);
    t.true(len === 16384 || off + len === 40_000);
  }
});

test('write stream: skipZeroes skips all-zero chunks; grow resizes for a source of unknown size', async (t) => {
  const m = new MemImage(0);
  const data = Buffer.alloc(5 * 4096 + 10);
  data.fill(7, 4096, 8192);
  data.fill(9, 5 * 4096);
  const ws = new ImageWriteStream(asImage(m), { skipZeroes: true, grow: true });
  await pipeline(pieces(data, [1500]), ws);
  t.deepEqual(m.writes, [
    [4096, 4096],
    [5 * 4096, 10],
  ]);
  t.is(ws.stats.skipped, 4);
  t.true(m.size >= data.length);
  t.is(ws.bytesAccepted, data.length);
  t.true(m.data.subarray(0, data.length).equals(data));
});

test('write stream: beyond the image without grow is EINVAL; a failed write destroys the stream with its CephError', async (t) => {
  const m = new MemImage(4096);
  const e1 = await t.throwsAsync(pipeline(pieces(randomBytes(8192), [8192]), new ImageWriteStream(asImage(m))));
  t.true(e1 instanceof CephError && e1.code === 'EINVAL');
  const m2 = new MemImage(40_000);
  m2.failAt = 8192;
  const e2 = await t.throwsAsync(pipeline(pieces(randomBytes(40_000), [4096]), new ImageWriteStream(asImage(m2), { concurrency: 2 })));
  t.true(e2 instanceof CephError && e2.code === 'EIO');
  // nothing new started after the failure was seen: at most the ones already in flight
  t.true(m2.writes.length <= 2 + 2 + 1);
});

test('write stream: an aborted signal destroys it with ECANCELED', async (t) => {
  const m = new MemImage(1 << 20);
  const ac = new AbortController();
  async function* src(): AsyncGenerator<Buffer> {
    for (let i = 0; ; i++) {
      if (i === 5) ac.abort();
      yield Buffer.alloc(4096, 1);
      await tick();
    }
  }
  const e = await t.throwsAsync(pipeline(src(), new ImageWriteStream(asImage(m), { signal: ac.signal })));
  t.true(e instanceof CephError && e.code === 'ECANCELED');
});

test('read stream: bytes in order, chunks aligned, read-ahead bounded', async (t) => {
  const m = new MemImage(100_000);
  randomBytes(100_000).copy(m.data);
  const rs = new ImageReadStream(asImage(m), { readAhead: 3 });
  const got: Buffer[] = [];
  for await (const b of rs) got.push(b as Buffer);
  t.true(Buffer.concat(got).equals(m.data));
  t.true(m.maxInFlight <= 3);
  for (const [off] of m.reads) t.is(off % 4096, 0);
  // a range
  const part: Buffer[] = [];
  for await (const b of new ImageReadStream(asImage(m), { start: 5000, length: 10_000, chunkSize: 3000 })) part.push(b as Buffer);
  t.true(Buffer.concat(part).equals(m.data.subarray(5000, 15_000)));
});

test('read stream: a consumer that stops reading stops the reads (bounded by read-ahead + buffer)', async (t) => {
  const m = new MemImage(1 << 20);
  const rs = new ImageReadStream(asImage(m), { readAhead: 2 });
  await new Promise<void>((resolve) => rs.once('readable', () => resolve()));
  rs.read();
  for (let i = 0; i < 20; i++) await tick();
  t.true(rs.stats.ops <= 1 + 1 + 2, `reads ${rs.stats.ops}`);
  t.true(m.reads.length < 256);
  rs.destroy();
});

test('read stream: a failed read destroys it with the CephError', async (t) => {
  const m = new MemImage(100_000);
  m.failAt = 40_000;
  const e = await t.throwsAsync(async () => {
    for await (const _ of new ImageReadStream(asImage(m))) void _;
  });
  t.true(e instanceof CephError && e.code === 'EIO');
});

test("progress: rbd's line, whole percents, done/failed", (t) => {
  let out = '';
  const sink = { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream;
  const p = new Progress('Importing image', true, sink);
  p.update(0, 200);
  p.update(1, 200);
  p.update(85, 200);
  p.update(85, 200);
  p.finish();
  t.is(out, '\rImporting image: 0% complete...\rImporting image: 42% complete...\rImporting image: 100% complete...done.\n');
  out = '';
  const q = new Progress('Image flatten', true, sink);
  q.update(1, 4);
  q.fail();
  t.is(out, '\rImage flatten: 25% complete...\rImage flatten: 25% complete...failed.\n');
  out = '';
  const off = new Progress('Exporting image', false, sink);
  off.update(1, 2);
  off.finish();
  t.is(out, '');
});
