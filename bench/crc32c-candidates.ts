// CRC-32C implementations that were measured against each other by bench/crc32c.ts.
// src/encoding/crc32c.ts ships only the winner; the losers stay here so the choice can be
// re-measured on another machine or another Node version.
//
// All of them follow Ceph's ceph_crc32c(seed, data) convention: reflected Castagnoli
// polynomial 0x82F63B78, the register starts at `seed`, no inversion in or out.

export type Crc32cFn = (seed: number, data: Uint8Array, start: number, end: number) => number;

export interface Candidate {
  name: string;
  fn: Crc32cFn;
}

const POLY = 0x82f63b78;

/**
 * Slicing tables, flat: entry [k * 256 + b] is the CRC register after feeding byte b
 * followed by k zero bytes into a zero register (k = 0 is the classic byte-wise table).
 */
export function makeTables(slices: number): Int32Array {
  const t = new Int32Array(256 * slices);
  for (let b = 0; b < 256; b++) {
    let c = b;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t[b] = c;
  }
  for (let b = 0; b < 256; b++) {
    let c = t[b]!;
    for (let k = 1; k < slices; k++) {
      c = t[c & 0xff]! ^ (c >>> 8);
      t[k * 256 + b] = c;
    }
  }
  return t;
}

const T = makeTables(16);
// the same tables as separate arrays, to see whether V8 prefers that
const S0 = T.slice(0x000, 0x100);
const S1 = T.slice(0x100, 0x200);
const S2 = T.slice(0x200, 0x300);
const S3 = T.slice(0x300, 0x400);
const S4 = T.slice(0x400, 0x500);
const S5 = T.slice(0x500, 0x600);
const S6 = T.slice(0x600, 0x700);
const S7 = T.slice(0x700, 0x800);
const S8 = T.slice(0x800, 0x900);
const S9 = T.slice(0x900, 0xa00);
const S10 = T.slice(0xa00, 0xb00);
const S11 = T.slice(0xb00, 0xc00);
const S12 = T.slice(0xc00, 0xd00);
const S13 = T.slice(0xd00, 0xe00);
const S14 = T.slice(0xe00, 0xf00);
const S15 = T.slice(0xf00, 0x1000);

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

// ---------------------------------------------------------------------------------------
// Plain JS

/** one bit at a time: the reference */
export function crc32cBitwiseRef(seed: number, d: Uint8Array, start: number, end: number): number {
  let crc = seed >>> 0;
  for (let i = start; i < end; i++) {
    crc ^= d[i]!;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ POLY : crc >>> 1;
  }
  return crc >>> 0;
}

export function bytewise(crc: number, d: Uint8Array, i: number, end: number): number {
  for (; i < end; i++) crc = T[(crc ^ d[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

export function slice4(crc: number, d: Uint8Array, i: number, end: number): number {
  for (const last = end - 4; i <= last; i += 4) {
    crc =
      T[0x300 | ((crc ^ d[i]!) & 0xff)]! ^
      T[0x200 | (((crc >>> 8) ^ d[i + 1]!) & 0xff)]! ^
      T[0x100 | (((crc >>> 16) ^ d[i + 2]!) & 0xff)]! ^
      T[(crc >>> 24) ^ d[i + 3]!]!;
  }
  for (; i < end; i++) crc = T[(crc ^ d[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

/** slicing-by-8, bytes read one by one, one flat table */
export function slice8(crc: number, d: Uint8Array, i: number, end: number): number {
  for (const last = end - 8; i <= last; i += 8) {
    crc =
      T[0x700 | ((crc ^ d[i]!) & 0xff)]! ^
      T[0x600 | (((crc >>> 8) ^ d[i + 1]!) & 0xff)]! ^
      T[0x500 | (((crc >>> 16) ^ d[i + 2]!) & 0xff)]! ^
      T[0x400 | ((crc >>> 24) ^ d[i + 3]!)]! ^
      T[0x300 | d[i + 4]!]! ^
      T[0x200 | d[i + 5]!]! ^
      T[0x100 | d[i + 6]!]! ^
      T[d[i + 7]!]!;
  }
  for (; i < end; i++) crc = T[(crc ^ d[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

/** slicing-by-8, bytes read one by one, eight separate tables */
export function slice8Split(crc: number, d: Uint8Array, i: number, end: number): number {
  for (const last = end - 8; i <= last; i += 8) {
    crc =
      S7[(crc ^ d[i]!) & 0xff]! ^
      S6[((crc >>> 8) ^ d[i + 1]!) & 0xff]! ^
      S5[((crc >>> 16) ^ d[i + 2]!) & 0xff]! ^
      S4[(crc >>> 24) ^ d[i + 3]!]! ^
      S3[d[i + 4]!]! ^
      S2[d[i + 5]!]! ^
      S1[d[i + 6]!]! ^
      S0[d[i + 7]!]!;
  }
  for (; i < end; i++) crc = S0[(crc ^ d[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

/** slicing-by-8, 32-bit words assembled from bytes by hand */
export function slice8Assembled(crc: number, d: Uint8Array, i: number, end: number): number {
  for (const last = end - 8; i <= last; i += 8) {
    const a = crc ^ (d[i]! | (d[i + 1]! << 8) | (d[i + 2]! << 16) | (d[i + 3]! << 24));
    const b = d[i + 4]! | (d[i + 5]! << 8) | (d[i + 6]! << 16) | (d[i + 7]! << 24);
    crc =
      T[0x700 | (a & 0xff)]! ^
      T[0x600 | ((a >>> 8) & 0xff)]! ^
      T[0x500 | ((a >>> 16) & 0xff)]! ^
      T[0x400 | (a >>> 24)]! ^
      T[0x300 | (b & 0xff)]! ^
      T[0x200 | ((b >>> 8) & 0xff)]! ^
      T[0x100 | ((b >>> 16) & 0xff)]! ^
      T[b >>> 24]!;
  }
  for (; i < end; i++) crc = T[(crc ^ d[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

/** slicing-by-8, 32-bit words through a DataView */
export function slice8DataView(crc: number, d: Uint8Array, i: number, end: number): number {
  if (end - i >= 64) {
    const dv = new DataView(d.buffer, d.byteOffset, d.byteLength);
    for (const last = end - 8; i <= last; i += 8) {
      const a = crc ^ dv.getInt32(i, true);
      const b = dv.getInt32(i + 4, true);
      crc =
        T[0x700 | (a & 0xff)]! ^
        T[0x600 | ((a >>> 8) & 0xff)]! ^
        T[0x500 | ((a >>> 16) & 0xff)]! ^
        T[0x400 | (a >>> 24)]! ^
        T[0x300 | (b & 0xff)]! ^
        T[0x200 | ((b >>> 8) & 0xff)]! ^
        T[0x100 | ((b >>> 16) & 0xff)]! ^
        T[b >>> 24]!;
    }
  }
  for (; i < end; i++) crc = T[(crc ^ d[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

/** slicing-by-8, 32-bit words through an Int32Array view of the 4-aligned middle part */
export function slice8Aligned(crc: number, d: Uint8Array, i: number, end: number): number {
  if (LITTLE_ENDIAN && end - i >= 64) {
    for (; ((d.byteOffset + i) & 3) !== 0; i++) crc = T[(crc ^ d[i]!) & 0xff]! ^ (crc >>> 8);
    const words = ((end - i) >>> 3) << 1;
    const w = new Int32Array(d.buffer, d.byteOffset + i, words);
    for (let j = 0; j < words; j += 2) {
      const a = crc ^ w[j]!;
      const b = w[j + 1]!;
      crc =
        T[0x700 | (a & 0xff)]! ^
        T[0x600 | ((a >>> 8) & 0xff)]! ^
        T[0x500 | ((a >>> 16) & 0xff)]! ^
        T[0x400 | (a >>> 24)]! ^
        T[0x300 | (b & 0xff)]! ^
        T[0x200 | ((b >>> 8) & 0xff)]! ^
        T[0x100 | ((b >>> 16) & 0xff)]! ^
        T[b >>> 24]!;
    }
    i += words << 2;
  }
  for (; i < end; i++) crc = T[(crc ^ d[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

/** slicing-by-16, bytes read one by one */
export function slice16(crc: number, d: Uint8Array, i: number, end: number): number {
  for (const last = end - 16; i <= last; i += 16) {
    crc =
      T[0xf00 | ((crc ^ d[i]!) & 0xff)]! ^
      T[0xe00 | (((crc >>> 8) ^ d[i + 1]!) & 0xff)]! ^
      T[0xd00 | (((crc >>> 16) ^ d[i + 2]!) & 0xff)]! ^
      T[0xc00 | ((crc >>> 24) ^ d[i + 3]!)]! ^
      T[0xb00 | d[i + 4]!]! ^
      T[0xa00 | d[i + 5]!]! ^
      T[0x900 | d[i + 6]!]! ^
      T[0x800 | d[i + 7]!]! ^
      T[0x700 | d[i + 8]!]! ^
      T[0x600 | d[i + 9]!]! ^
      T[0x500 | d[i + 10]!]! ^
      T[0x400 | d[i + 11]!]! ^
      T[0x300 | d[i + 12]!]! ^
      T[0x200 | d[i + 13]!]! ^
      T[0x100 | d[i + 14]!]! ^
      T[d[i + 15]!]!;
  }
  for (; i < end; i++) crc = T[(crc ^ d[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

/** slicing-by-8, the lookups that do not depend on the register first */
export function slice8Last(crc: number, d: Uint8Array, i: number, end: number): number {
  for (const last = end - 8; i <= last; i += 8) {
    const x = T[0x300 | d[i + 4]!]! ^ T[0x200 | d[i + 5]!]! ^ T[0x100 | d[i + 6]!]! ^ T[d[i + 7]!]!;
    crc =
      x ^
      T[0x700 | ((crc ^ d[i]!) & 0xff)]! ^
      T[0x600 | (((crc >>> 8) ^ d[i + 1]!) & 0xff)]! ^
      T[0x500 | (((crc >>> 16) ^ d[i + 2]!) & 0xff)]! ^
      T[0x400 | ((crc >>> 24) ^ d[i + 3]!)]!;
  }
  for (; i < end; i++) crc = T[(crc ^ d[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

/** slicing-by-16, bytes read one by one, sixteen separate tables */
export function slice16Split(crc: number, d: Uint8Array, i: number, end: number): number {
  for (const last = end - 16; i <= last; i += 16) {
    crc =
      S15[(crc ^ d[i]!) & 0xff]! ^
      S14[((crc >>> 8) ^ d[i + 1]!) & 0xff]! ^
      S13[((crc >>> 16) ^ d[i + 2]!) & 0xff]! ^
      S12[(crc >>> 24) ^ d[i + 3]!]! ^
      S11[d[i + 4]!]! ^
      S10[d[i + 5]!]! ^
      S9[d[i + 6]!]! ^
      S8[d[i + 7]!]! ^
      S7[d[i + 8]!]! ^
      S6[d[i + 9]!]! ^
      S5[d[i + 10]!]! ^
      S4[d[i + 11]!]! ^
      S3[d[i + 12]!]! ^
      S2[d[i + 13]!]! ^
      S1[d[i + 14]!]! ^
      S0[d[i + 15]!]!;
  }
  for (; i < end; i++) crc = S0[(crc ^ d[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

/** slicing-by-16, the lookups that do not depend on the register first */
export function slice16Last(crc: number, d: Uint8Array, i: number, end: number): number {
  for (const last = end - 16; i <= last; i += 16) {
    const x =
      T[0xb00 | d[i + 4]!]! ^
      T[0xa00 | d[i + 5]!]! ^
      T[0x900 | d[i + 6]!]! ^
      T[0x800 | d[i + 7]!]! ^
      T[0x700 | d[i + 8]!]! ^
      T[0x600 | d[i + 9]!]! ^
      T[0x500 | d[i + 10]!]! ^
      T[0x400 | d[i + 11]!]! ^
      T[0x300 | d[i + 12]!]! ^
      T[0x200 | d[i + 13]!]! ^
      T[0x100 | d[i + 14]!]! ^
      T[d[i + 15]!]!;
    crc =
      x ^
      T[0xf00 | ((crc ^ d[i]!) & 0xff)]! ^
      T[0xe00 | (((crc >>> 8) ^ d[i + 1]!) & 0xff)]! ^
      T[0xd00 | (((crc >>> 16) ^ d[i + 2]!) & 0xff)]! ^
      T[0xc00 | ((crc >>> 24) ^ d[i + 3]!)]!;
  }
  for (; i < end; i++) crc = T[(crc ^ d[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

/** slicing-by-16, 32-bit words through an Int32Array view of the 4-aligned middle part */
export function slice16Aligned(crc: number, d: Uint8Array, i: number, end: number): number {
  if (LITTLE_ENDIAN && end - i >= 64) {
    for (; ((d.byteOffset + i) & 3) !== 0; i++) crc = T[(crc ^ d[i]!) & 0xff]! ^ (crc >>> 8);
    const words = ((end - i) >>> 4) << 2;
    const w = new Int32Array(d.buffer, d.byteOffset + i, words);
    for (let j = 0; j < words; j += 4) {
      const a = crc ^ w[j]!;
      const b = w[j + 1]!;
      const c = w[j + 2]!;
      const e = w[j + 3]!;
      crc =
        T[0xf00 | (a & 0xff)]! ^
        T[0xe00 | ((a >>> 8) & 0xff)]! ^
        T[0xd00 | ((a >>> 16) & 0xff)]! ^
        T[0xc00 | (a >>> 24)]! ^
        T[0xb00 | (b & 0xff)]! ^
        T[0xa00 | ((b >>> 8) & 0xff)]! ^
        T[0x900 | ((b >>> 16) & 0xff)]! ^
        T[0x800 | (b >>> 24)]! ^
        T[0x700 | (c & 0xff)]! ^
        T[0x600 | ((c >>> 8) & 0xff)]! ^
        T[0x500 | ((c >>> 16) & 0xff)]! ^
        T[0x400 | (c >>> 24)]! ^
        T[0x300 | (e & 0xff)]! ^
        T[0x200 | ((e >>> 8) & 0xff)]! ^
        T[0x100 | ((e >>> 16) & 0xff)]! ^
        T[e >>> 24]!;
    }
    i += words << 2;
  }
  for (; i < end; i++) crc = T[(crc ^ d[i]!) & 0xff]! ^ (crc >>> 8);
  return crc >>> 0;
}

// WebAssembly slicing-by-N
//
// Memory layout: the N slicing tables (N KiB) at address 0, written from JS at
// instantiation, then the input buffer at WASM_BUF. The exported function
//   crc(seed: i32, ptr: i32, len: i32) -> i32
// runs over [ptr, ptr + len): N-byte blocks, then the tail byte by byte. crcWat() below
// is the text form; the WASM_* bytes are what `wat2wasm` (npm package wabt) makes of it,
// and bench/crc32c.ts checks that they still match when wabt can be loaded.
//
// Two shapes of the block step, which V8's optimizing wasm compiler treats very differently:
//  - 'tree':   all N bytes taken out of 32-bit word loads, the N lookups xored as a balanced
//              tree (the textbook form);
//  - 'linear': only the first word (the one the register is xored into) is loaded whole;
//              the other N-4 bytes are i32.load8_u'd straight into a table index and their
//              lookups xored one after another into a local first, the four lookups that
//              depend on the register last. Fewer live values, no spills, and the part that
//              does not depend on the previous block can run ahead of it.

export const WASM_BUF = 16384;

export type WasmShape = 'tree' | 'linear';

/** The WebAssembly text of slicing-by-`slices` (8 or 16) in the given shape. */
export function crcWat(slices: 8 | 16, shape: WasmShape): string {
  const look = (k: number, idx: string): string =>
    `(i32.load${k === 0 ? '' : ` offset=${k * 1024}`} ${idx})`;
  // table index (already times 4) of byte b (0..3) of a word
  const byteOf = (w: string, b: number): string =>
    b === 0
      ? `(i32.shl (i32.and ${w} (i32.const 255)) (i32.const 2))`
      : b === 3
        ? `(i32.shl (i32.shr_u ${w} (i32.const 24)) (i32.const 2))`
        : `(i32.and (i32.shr_u ${w} (i32.const ${8 * b - 2})) (i32.const 1020))`;
  const tree = (xs: string[]): string =>
    xs.length === 1 ? xs[0]! : `(i32.xor ${tree(xs.slice(0, xs.length >> 1))} ${tree(xs.slice(xs.length >> 1))})`;
  const words = slices / 4;
  const step: string[] = [];
  let locals: string;
  if (shape === 'tree') {
    locals = Array.from({ length: words }, (_, w) => `(local $w${w} i32)`).join(' ');
    for (let w = 0; w < words; w++) {
      step.push(
        w === 0
          ? `(local.set $w0 (i32.xor (local.get $crc) (i32.load (local.get $p))))`
          : `(local.set $w${w} (i32.load offset=${4 * w} (local.get $p)))`,
      );
    }
    const terms: string[] = [];
    for (let j = 0; j < slices; j++) terms.push(look(slices - 1 - j, byteOf(`(local.get $w${j >> 2})`, j & 3)));
    step.push(`(local.set $crc ${tree(terms)})`);
  } else {
    locals = '(local $w i32) (local $x i32)';
    let acc = '';
    for (let j = 4; j < slices; j++) {
      const t = look(slices - 1 - j, `(i32.shl (i32.load8_u offset=${j} (local.get $p)) (i32.const 2))`);
      acc = acc ? `(i32.xor ${acc} ${t})` : t;
    }
    step.push(`(local.set $x ${acc})`);
    step.push(`(local.set $w (i32.xor (local.get $crc) (i32.load (local.get $p))))`);
    const terms = [0, 1, 2, 3].map((b) => look(slices - 1 - b, byteOf('(local.get $w)', b)));
    step.push(`(local.set $crc (i32.xor (local.get $x) ${tree(terms)}))`);
  }
  return `(module
  (memory (export "memory") 1)
  (func (export "crc") (param $crc i32) (param $p i32) (param $n i32) (result i32)
    (local $end i32) (local $last i32) ${locals}
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $blocksDone
      (br_if $blocksDone (i32.lt_u (local.get $n) (i32.const ${slices})))
      (local.set $last (i32.sub (local.get $end) (i32.const ${slices})))
      (loop $blocks
        ${step.join('\n        ')}
        (local.set $p (i32.add (local.get $p) (i32.const ${slices})))
        (br_if $blocks (i32.le_u (local.get $p) (local.get $last)))))
    (block $tailDone
      (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
      (loop $tail
        (local.set $crc
          (i32.xor
            (i32.load (i32.shl (i32.and (i32.xor (local.get $crc) (i32.load8_u (local.get $p))) (i32.const 255)) (i32.const 2)))
            (i32.shr_u (local.get $crc) (i32.const 8))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $tail (i32.lt_u (local.get $p) (local.get $end)))))
    (local.get $crc)))
`;
}

/** wat2wasm output of crcWat(slices, shape), base64 */
export const WASM: Record<`${8 | 16}-${WasmShape}`, string> = {
  '8-tree':
    'AGFzbQEAAAABCAFgA39/fwF/AwIBAAUDAQABBxACBm1lbW9yeQIAA2NyYwAACuYBAeMBAQR/IAEgAmohAwJAIAJBCEkNACADQQhrIQQDQCAAIAEoAgBzIQUgASgCBCEGIAVB/wFxQQJ0KAKAOCAFQQZ2QfwHcSgCgDBzIAVBDnZB/AdxKAKAKCAFQRh2QQJ0KAKAIHNzIAZB/wFxQQJ0KAKAGCAGQQZ2QfwHcSgCgBBzIAZBDnZB/AdxKAKACCAGQRh2QQJ0KAIAc3NzIQAgAUEIaiEBIAEgBE0NAAsLAkAgASADTw0AA0AgACABLQAAc0H/AXFBAnQoAgAgAEEIdnMhACABQQFqIQEgASADSQ0ACwsgAAs=',
  '16-tree':
    'AGFzbQEAAAABCAFgA39/fwF/AwIBAAUDAQABBxACBm1lbW9yeQIAA2NyYwAACuICAd8CAQZ/IAEgAmohAwJAIAJBEEkNACADQRBrIQQDQCAAIAEoAgBzIQUgASgCBCEGIAEoAgghByABKAIMIQggBUH/AXFBAnQoAoB4IAVBBnZB/AdxKAKAcHMgBUEOdkH8B3EoAoBoIAVBGHZBAnQoAoBgc3MgBkH/AXFBAnQoAoBYIAZBBnZB/AdxKAKAUHMgBkEOdkH8B3EoAoBIIAZBGHZBAnQoAoBAc3NzIAdB/wFxQQJ0KAKAOCAHQQZ2QfwHcSgCgDBzIAdBDnZB/AdxKAKAKCAHQRh2QQJ0KAKAIHNzIAhB/wFxQQJ0KAKAGCAIQQZ2QfwHcSgCgBBzIAhBDnZB/AdxKAKACCAIQRh2QQJ0KAIAc3NzcyEAIAFBEGohASABIARNDQALCwJAIAEgA08NAANAIAAgAS0AAHNB/wFxQQJ0KAIAIABBCHZzIQAgAUEBaiEBIAEgA0kNAAsLIAAL',
  '8-linear':
    'AGFzbQEAAAABCAFgA39/fwF/AwIBAAUDAQABBxACBm1lbW9yeQIAA2NyYwAACuABAd0BAQR/IAEgAmohAwJAIAJBCEkNACADQQhrIQQDQCABLQAEQQJ0KAKAGCABLQAFQQJ0KAKAEHMgAS0ABkECdCgCgAhzIAEtAAdBAnQoAgBzIQYgACABKAIAcyEFIAYgBUH/AXFBAnQoAoA4IAVBBnZB/AdxKAKAMHMgBUEOdkH8B3EoAoAoIAVBGHZBAnQoAoAgc3NzIQAgAUEIaiEBIAEgBE0NAAsLAkAgASADTw0AA0AgACABLQAAc0H/AXFBAnQoAgAgAEEIdnMhACABQQFqIQEgASADSQ0ACwsgAAs=',
  '16-linear':
    'AGFzbQEAAAABCAFgA39/fwF/AwIBAAUDAQABBxACBm1lbW9yeQIAA2NyYwAACsgCAcUCAQR/IAEgAmohAwJAIAJBEEkNACADQRBrIQQDQCABLQAEQQJ0KAKAWCABLQAFQQJ0KAKAUHMgAS0ABkECdCgCgEhzIAEtAAdBAnQoAoBAcyABLQAIQQJ0KAKAOHMgAS0ACUECdCgCgDBzIAEtAApBAnQoAoAocyABLQALQQJ0KAKAIHMgAS0ADEECdCgCgBhzIAEtAA1BAnQoAoAQcyABLQAOQQJ0KAKACHMgAS0AD0ECdCgCAHMhBiAAIAEoAgBzIQUgBiAFQf8BcUECdCgCgHggBUEGdkH8B3EoAoBwcyAFQQ52QfwHcSgCgGggBUEYdkECdCgCgGBzc3MhACABQRBqIQEgASAETQ0ACwsCQCABIANPDQADQCAAIAEtAABzQf8BcUECdCgCACAAQQh2cyEAIAFBAWohASABIANJDQALCyAACw==',
};

// the bits of the WebAssembly JS API used here (the project's TS libs do not declare it)
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}

/**
 * A WebAssembly candidate: the input is copied into linear memory `chunk` bytes at a time
 * and the module runs over each chunk. Inputs of `jsUpTo` bytes or fewer go to `small`.
 */
export function makeWasm(
  slices: 8 | 16,
  shape: WasmShape,
  chunk: number,
  jsUpTo = -1,
  small: Crc32cFn = slice8,
): Crc32cFn {
  const bytes = Buffer.from(WASM[`${slices}-${shape}`], 'base64');
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm) throw new Error('no WebAssembly in this runtime');
  const inst = new wasm.Instance(new wasm.Module(bytes), {});
  const memory = inst.exports['memory'] as { readonly buffer: ArrayBuffer; grow(pages: number): number };
  const run = inst.exports['crc'] as (crc: number, p: number, n: number) => number;
  const need = Math.ceil((WASM_BUF + chunk) / 65536) - memory.buffer.byteLength / 65536;
  if (need > 0) memory.grow(need);
  new Int32Array(memory.buffer, 0, slices * 256).set(T.subarray(0, slices * 256));
  const heap = new Uint8Array(memory.buffer);
  return (crc, d, start, end) => {
    if (end - start <= jsUpTo) return small(crc, d, start, end);
    while (start < end) {
      const n = end - start < chunk ? end - start : chunk;
      heap.set(d.subarray(start, start + n), WASM_BUF);
      crc = run(crc, WASM_BUF, n);
      start += n;
    }
    return crc >>> 0;
  };
}

export function candidates(): Candidate[] {
  const list: Candidate[] = [
    { name: 'js bytewise', fn: bytewise },
    { name: 'js slice4 bytes', fn: slice4 },
    { name: 'js slice8 bytes', fn: slice8 },
    { name: 'js slice8 bytes, 8 tables', fn: slice8Split },
    { name: 'js slice8 bytes, register terms last', fn: slice8Last },
    { name: 'js slice8 assembled words', fn: slice8Assembled },
    { name: 'js slice8 DataView', fn: slice8DataView },
    { name: 'js slice8 aligned Int32Array', fn: slice8Aligned },
    { name: 'js slice16 bytes', fn: slice16 },
    { name: 'js slice16 bytes, 16 tables', fn: slice16Split },
    { name: 'js slice16 bytes, register terms last', fn: slice16Last },
    { name: 'js slice16 aligned Int32Array', fn: slice16Aligned },
  ];
  if (WASM['16-linear'] && 'WebAssembly' in globalThis) {
    for (const shape of ['tree', 'linear'] as const) {
      for (const slices of [8, 16] as const) {
        list.push({ name: `wasm slice${slices} ${shape}, 64K chunks`, fn: makeWasm(slices, shape, 65536) });
      }
    }
    list.push({ name: 'wasm slice16 linear, 16K chunks', fn: makeWasm(16, 'linear', 16384) });
    list.push({ name: 'wasm slice16 linear, 256K chunks', fn: makeWasm(16, 'linear', 262144) });
    // hybrids: JS up to a size, WebAssembly above
    for (const upTo of [64, 96, 128, 256]) {
      list.push({ name: `hybrid js slice8 <= ${upTo} B, wasm16`, fn: makeWasm(16, 'linear', 65536, upTo, slice8) });
    }
    list.push({ name: `hybrid js slice16-last <= 96 B, wasm16`, fn: makeWasm(16, 'linear', 65536, 96, slice16Last) });
  }
  return list;
}
