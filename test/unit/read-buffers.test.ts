import test from 'ava';
import { crcInPlace } from '../../src/encoding/crc32c.js';
import { dropFreeBuffers, POOLED_MIN, pooledFreeBytes, recycle, takeReadBuffer } from '../../src/msgr2/read-buffers.js';

// first: later tests here hold enough buffers to reach allocCrcBuffer's bound on WebAssembly memories
test('byte alignAt of a pooled buffer starts a page (in WebAssembly memory, page-aligned); reused buffers too', (t) => {
  for (const alignAt of [0, 1, 57, 4095, 4096, 4096 + 262, 3 * 4096 + 4000]) {
    const b = takeReadBuffer((4 << 20) + alignAt, alignAt);
    t.true(crcInPlace(b), 'the pool hands out buffers whose CRC runs in place');
    t.is(b.length, (4 << 20) + alignAt);
    t.is((b.byteOffset + alignAt) % 4096, 0, `alignAt ${alignAt}`);
    recycle(b);
    const again = takeReadBuffer((4 << 20) + alignAt, (alignAt + 100) % 4096);
    t.is((again.byteOffset + ((alignAt + 100) % 4096)) % 4096, 0, `reused, alignAt ${alignAt + 100}`);
    recycle(again);
  }
});

test('a buffer given back backs the next read of its size class; until then it is not handed out twice', (t) => {
  const a = takeReadBuffer(POOLED_MIN + 100);
  const b = takeReadBuffer(POOLED_MIN + 100);
  t.is(a.length, POOLED_MIN + 100);
  t.not(a.buffer, b.buffer, 'two live reads never share memory');
  const before = pooledFreeBytes();
  recycle(a.subarray(10, 20)); // any view into it gives the whole buffer back
  t.true(pooledFreeBytes() > before);
  recycle(a); // twice: ignored
  const c = takeReadBuffer(POOLED_MIN + 5000); // same 64 KiB class
  t.is(c.buffer, a.buffer);
  t.is(c.length, POOLED_MIN + 5000);
  const d = takeReadBuffer(POOLED_MIN + 5000);
  t.not(d.buffer, a.buffer, 'taken again only after another recycle');
  t.is(pooledFreeBytes(), before);
});

test('recycling what the pool did not make does nothing', (t) => {
  const before = pooledFreeBytes();
  recycle(Buffer.alloc(POOLED_MIN + 1));
  recycle(Buffer.from('small'));
  recycle(new Uint8Array(10));
  t.is(pooledFreeBytes(), before);
});

test('the pool keeps at most 64 MiB free', (t) => {
  const taken = Array.from({ length: 40 }, () => takeReadBuffer(4 << 20));
  for (const b of taken) recycle(b);
  t.true(pooledFreeBytes() <= 64 * 1024 * 1024, `${pooledFreeBytes()}`);
  t.true(pooledFreeBytes() >= 60 * 1024 * 1024, 'and does keep that much');
});

test('a request takes a free buffer up to 1/8 larger (export frames reuse import chunks and back), not one much larger', (t) => {
  dropFreeBuffers();
  const frame = takeReadBuffer((4 << 20) + 300, 250); // a 4 MiB read's reply: 4 MiB + header, page-padded
  const big = takeReadBuffer(8 << 20);
  recycle(frame);
  recycle(big);
  const chunk = takeReadBuffer(4 << 20); // a 4 MiB file chunk of an import
  t.is(chunk.buffer, frame.buffer, 'the slightly larger buffer serves');
  const other = takeReadBuffer(4 << 20);
  t.not(other.buffer, big.buffer, 'twice the size does not');
  recycle(chunk);
  recycle(other);
  t.is(takeReadBuffer((4 << 20) + 300, 250).buffer, frame.buffer, 'best fit: the frame-sized one, not the exact 4 MiB one, for a frame');
});

test('a full pool drops its oldest buffers, not the one given back: a workload that changes sizes keeps what it uses', (t) => {
  dropFreeBuffers();
  const chunks = Array.from({ length: 16 }, () => takeReadBuffer(4 << 20));
  const frames = Array.from({ length: 4 }, () => takeReadBuffer((6 << 20) + 300, 250));
  for (const b of chunks) recycle(b); // the pool is full of import-sized buffers
  t.true(pooledFreeBytes() >= 60 * 1024 * 1024);
  for (const f of frames) recycle(f); // then export-sized ones come back
  t.true(pooledFreeBytes() <= 64 * 1024 * 1024);
  const again = frames.map(() => takeReadBuffer((6 << 20) + 300, 250));
  t.deepEqual(
    again.map((b) => frames.some((f) => f.buffer === b.buffer)),
    [true, true, true, true],
    'every frame-sized read reuses a buffer given back',
  );
});
