import test from 'ava';
import { crcInPlace } from '../../src/encoding/crc32c.js';
import { POOLED_MIN, pooledFreeBytes, recycle, takeReadBuffer } from '../../src/msgr2/read-buffers.js';

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
