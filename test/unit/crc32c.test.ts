import test from 'ava';
import { randomBytes, randomInt } from 'node:crypto';
import { allocCrcBuffer, crc32c, crcInPlace } from '../../src/encoding/crc32c.js';

/** one bit at a time, straight from the definition: the reference the fast code must match */
function crc32cBitwise(seed: number, data: Uint8Array, start = 0, end = data.length): number {
  let crc = seed >>> 0;
  for (let i = start; i < end; i++) {
    crc ^= data[i]!;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return crc >>> 0;
}

const text = (s: string) => new TextEncoder().encode(s);
const ones = (n: number) => new Uint8Array(n).fill(1);

const VECTORS: Array<[string, number, Uint8Array, number]> = [
  ['seed 0 "foo bar baz"', 0, text('foo bar baz'), 4119623852],
  ['seed 1234 "foo bar baz"', 1234, text('foo bar baz'), 881700046],
  ['seed 0 "whiz bang boom"', 0, text('whiz bang boom'), 2360230088],
  ['seed 5678 "whiz bang boom"', 5678, text('whiz bang boom'), 3743019208],
  ['seed 0, 5 x 0x01', 0, ones(5), 2715569182],
  ['seed 0, 35 x 0x01', 0, ones(35), 440531800],
  ['seed 0xFFFFFFFF "123456789"', 0xffffffff, text('123456789'), 0x1cf96d7c],
  ['seed 0 "123456789"', 0, text('123456789'), 0x58e3fa20],
  ['seed 0xFFFFFFFF ""', 0xffffffff, new Uint8Array(0), 0xffffffff],
  ['seed 0xFFFFFFFF, 18 x 0x01', 0xffffffff, ones(18), 0x61bb8987],
];

for (const [name, seed, data, want] of VECTORS) {
  test(`vector: ${name}`, (t) => {
    t.is(crc32c(seed, data), want);
    t.is(crc32cBitwise(seed, data), want);
  });
}

test('standard CRC-32C relation: crc32c(d) = ceph_crc32c(~0, d) ^ ~0', (t) => {
  t.is((crc32c(0xffffffff, text('123456789')) ^ 0xffffffff) >>> 0, 0xe3069283);
});

test('result is an unsigned 32-bit integer, whatever the seed looks like', (t) => {
  for (const seed of [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, -1]) {
    for (const n of [0, 3, 50, 200, 5000]) {
      const got = crc32c(seed, randomBytes(n));
      t.true(Number.isInteger(got) && got >= 0 && got <= 0xffffffff);
    }
  }
  t.is(crc32c(-1, text('123456789')), crc32c(0xffffffff, text('123456789')));
});

test('random buffers, lengths 0..10000, random sub-ranges and unaligned byteOffsets, agree with the bitwise reference', (t) => {
  for (let iter = 0; iter < 300; iter++) {
    const len = randomInt(0, 10001);
    const pad = randomInt(0, 8);
    // Buffer.subarray at an odd offset: the view's byteOffset is not 4-aligned
    const buf = randomBytes(len + pad + 8).subarray(pad, pad + len);
    const seed = randomInt(0, 2 ** 32);
    const a = randomInt(0, len + 1);
    const b = randomInt(a, len + 1);
    t.is(crc32c(seed, buf), crc32cBitwise(seed, buf), `whole, len ${len} pad ${pad}`);
    t.is(crc32c(seed, buf, a), crc32cBitwise(seed, buf, a), `[${a}, end) of ${len}`);
    t.is(crc32c(seed, buf, a, b), crc32cBitwise(seed, buf, a, b), `[${a}, ${b}) of ${len}`);
  }
});

test('every length around the JS / WebAssembly switch and the 8- and 16-byte steps', (t) => {
  const buf = randomBytes(600).subarray(3);
  for (let n = 0; n <= 300; n++) {
    for (const off of [0, 1, 2, 3, 5]) {
      t.is(crc32c(0x9e3779b9, buf, off, off + n), crc32cBitwise(0x9e3779b9, buf, off, off + n), `len ${n} at ${off}`);
    }
  }
});

test('large inputs: several WebAssembly chunks, ragged ends', (t) => {
  const big = randomBytes(3 * 262144 + 1000);
  for (const [a, b] of [
    [0, big.length],
    [1, big.length - 1],
    [7, 65536 + 7],
    [65535, 2 * 65536 + 2],
    [13, 13 + 262144 * 2],
    [100, 100 + 262144 * 3 - 17],
  ] as const) {
    t.is(crc32c(0, big, a, b), crc32cBitwise(0, big, a, b), `[${a}, ${b})`);
  }
  const huge = randomBytes(4 * 1024 * 1024 + 3).subarray(3);
  const seed = 0xdeadbeef;
  // the whole thing against the reference in pieces (the reference is slow on 4 MiB at once)
  let ref = seed;
  for (let i = 0; i < huge.length; i += 1 << 20) ref = crc32cBitwise(ref, huge, i, Math.min(huge.length, i + (1 << 20)));
  t.is(crc32c(seed, huge), ref);
});

test('sparse-multiple method: lengths around its threshold, its 209-block tail and its 256 KiB chunks', (t) => {
  const CHUNK = 262144;
  const TAIL = 16 * 209;
  const buf = randomBytes(2 * CHUNK + TAIL + 64);
  const lengths: number[] = [];
  for (let d = -40; d <= 40; d++) lengths.push(8192 + d);
  for (const cleared of [CHUNK, 2 * CHUNK]) for (let d = -33; d <= 33; d += 3) lengths.push(cleared + TAIL + d);
  for (const n of lengths) {
    for (const [off, seed] of [
      [0, 0],
      [5, 0xffffffff],
      [13, 0x12345678],
    ] as const) {
      // the reference, in two halves (the incremental property is tested on its own below)
      const mid = off + (n >> 1);
      const ref = crc32cBitwise(crc32cBitwise(seed, buf, off, mid), buf, mid, off + n);
      t.is(crc32c(seed, buf, off, off + n), ref, `len ${n} at ${off}`);
    }
  }
});

test('Q = y^209 + y^144 + y^54 + y^39 + y^14 + 1, y = x^128, is a multiple of the Castagnoli polynomial', (t) => {
  // normal bit order: P = x^32 + 0x1EDC6F41; x^e mod P by repeated multiplication by x
  const P = 0x1edc6f41;
  const xPow = (e: number): number => {
    let r = 1;
    for (let i = 0; i < e; i++) r = ((r << 1) ^ (r & 0x80000000 ? P : 0)) >>> 0;
    return r;
  };
  const q = [209, 144, 54, 39, 14, 0].reduce((acc, k) => (acc ^ xPow(128 * k)) >>> 0, 0);
  t.is(q, 0);
  // and not by accident: dropping a term leaves a non-zero remainder
  t.not(
    [209, 144, 54, 39, 0].reduce((acc, k) => (acc ^ xPow(128 * k)) >>> 0, 0),
    0,
  );
});

test('incremental: crc32c(crc32c(s, a), b) === crc32c(s, a ‖ b)', (t) => {
  for (let iter = 0; iter < 200; iter++) {
    const la = randomInt(0, iter < 150 ? 600 : 100000);
    const lb = randomInt(0, iter < 150 ? 600 : 100000);
    const ab = randomBytes(la + lb + 1).subarray(1);
    const a = ab.subarray(0, la);
    const b = ab.subarray(la);
    const s = randomInt(0, 2 ** 32);
    t.is(crc32c(crc32c(s, a), b), crc32c(s, ab), `|a| ${la} |b| ${lb}`);
    // the same through start/end on one buffer
    t.is(crc32c(crc32c(s, ab, 0, la), ab, la, la + lb), crc32c(s, ab));
  }
});

test('input is not modified and the same call gives the same result', (t) => {
  const d = randomBytes(200000);
  const copy = Buffer.from(d);
  const x = crc32c(5, d, 3, 199999);
  t.is(crc32c(5, d, 3, 199999), x);
  t.true(copy.equals(d));
});

test('a bad range throws RangeError', (t) => {
  const d = new Uint8Array(10);
  t.throws(() => crc32c(0, d, -1, 5), { instanceOf: RangeError });
  t.throws(() => crc32c(0, d, 6, 5), { instanceOf: RangeError });
  t.throws(() => crc32c(0, d, 0, 11), { instanceOf: RangeError });
  t.is(crc32c(7, d, 10, 10), 7);
});

test('buffers from allocCrcBuffer: read in place, same CRC as a copy elsewhere, contents untouched', (t) => {
  const WORK = 111344; // the work area of a buffer's own memory: the reduction runs in steps of this
  const TAIL = 16 * 209;
  const src = randomBytes(3 * WORK + TAIL + 64);
  const buf = allocCrcBuffer(src.length);
  t.true(crcInPlace(buf), 'WebAssembly available: the buffer has its own memory');
  t.false(crcInPlace(src));
  buf.set(src);
  const lengths = [97, 1000, 8191, 8192, 8193, 50000];
  for (const cleared of [WORK, 2 * WORK, 3 * WORK]) for (const d of [-17, -1, 0, 1, 16, 33]) lengths.push(cleared + TAIL + d);
  for (const n of lengths) {
    for (const [off, seed] of [
      [0, 0],
      [5, 0xffffffff],
      [13, 0x12345678],
    ] as const) {
      if (off + n > src.length) continue;
      const mid = off + (n >> 1);
      const ref = crc32cBitwise(crc32cBitwise(seed, src, off, mid), src, mid, off + n);
      t.is(crc32c(seed, buf, off, off + n), ref, `len ${n} at ${off}`);
      // a view that starts inside the buffer: addresses come from its byteOffset
      t.is(crc32c(seed, buf.subarray(off, off + n)), ref, `view of len ${n} at ${off}`);
    }
  }
  t.true(buf.equals(src), 'the CRC did not write into the buffer');
  // a view of the whole memory, the kernel's own areas included: right too (copied, not in place)
  const whole = new Uint8Array(buf.buffer);
  const wholeCopy = Buffer.from(whole);
  t.is(crc32c(3, whole), crc32c(3, wholeCopy));
  t.is(crc32c(3, whole, 100, 60000), crc32cBitwise(3, wholeCopy, 100, 60000));
});

test('allocCrcBuffer: past the bound on WebAssembly memories, ordinary buffers with the same CRC', (t) => {
  const held: Buffer[] = [];
  for (let i = 0; i < 60; i++) held.push(allocCrcBuffer(65536));
  const own = held.filter((b) => crcInPlace(b)).length;
  t.true(own >= 1 && own <= 48, `${own} in their own memory`);
  t.true(
    held.some((b) => !crcInPlace(b)),
    'the bound holds',
  );
  const data = randomBytes(65536);
  const want = crc32cBitwise(7, data);
  for (const b of held) {
    t.is(b.length, 65536);
    b.set(data);
    t.is(crc32c(7, b), want);
  }
});
