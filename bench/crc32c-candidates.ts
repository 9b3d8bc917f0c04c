// CRC-32C implementations that were measured against each other by bench/crc32c.ts.
// src/encoding/crc32c.ts ships only the winner; the losers stay here so the choice can be
// re-measured on another machine or another Node version.
//
// All of them follow Ceph's ceph_crc32c(seed, data) convention: reflected Castagnoli
// polynomial 0x82F63B78, the register starts at `seed`, no inversion in or out.

import { makeTables } from '../src/encoding/crc32c.js';

export type Crc32cFn = (seed: number, data: Uint8Array, start: number, end: number) => number;

export interface Candidate {
  name: string;
  fn: Crc32cFn;
}

const POLY = 0x82f63b78;

// the slicing tables are the shipped module's (entry [k * 256 + b]: byte b, then k zero bytes)
export { makeTables };

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

/** WAT: the bytes [$p, $end) one at a time into $crc (table 0 at address 0); shared by the generators */
const WAT_BYTE_TAIL = `    (block $tailDone
      (br_if $tailDone (i32.ge_u (local.get $p) (local.get $end)))
      (loop $tail
        (local.set $crc
          (i32.xor
            (i32.load (i32.shl (i32.and (i32.xor (local.get $crc) (i32.load8_u (local.get $p))) (i32.const 255)) (i32.const 2)))
            (i32.shr_u (local.get $crc) (i32.const 8))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br_if $tail (i32.lt_u (local.get $p) (local.get $end)))))`;

/** The WebAssembly text of slicing-by-`slices` (8 or 16) in the given shape. */
export function crcWat(slices: 8 | 16, shape: WasmShape): string {
  const look = (k: number, idx: string): string => `(i32.load${k === 0 ? '' : ` offset=${k * 1024}`} ${idx})`;
  // table index (already times 4) of byte b (0..3) of a word
  const byteOf = (w: string, b: number): string =>
    b === 0
      ? `(i32.shl (i32.and ${w} (i32.const 255)) (i32.const 2))`
      : b === 3
        ? `(i32.shl (i32.shr_u ${w} (i32.const 24)) (i32.const 2))`
        : `(i32.and (i32.shr_u ${w} (i32.const ${8 * b - 2})) (i32.const 1020))`;
  const tree = (xs: string[]): string => (xs.length === 1 ? xs[0]! : `(i32.xor ${tree(xs.slice(0, xs.length >> 1))} ${tree(xs.slice(xs.length >> 1))})`);
  const words = slices / 4;
  const step: string[] = [];
  let locals: string;
  if (shape === 'tree') {
    locals = Array.from({ length: words }, (_, w) => `(local $w${w} i32)`).join(' ');
    for (let w = 0; w < words; w++) {
      step.push(
        w === 0 ? `(local.set $w0 (i32.xor (local.get $crc) (i32.load (local.get $p))))` : `(local.set $w${w} (i32.load offset=${4 * w} (local.get $p)))`,
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
${WAT_BYTE_TAIL}
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
export function makeWasm(slices: 8 | 16, shape: WasmShape, chunk: number, jsUpTo = -1, small: Crc32cFn = slice8): Crc32cFn {
  const bytes = Buffer.from(WASM[`${slices}-${shape}`], 'base64');
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm) throw new Error('no WebAssembly in this runtime');
  const inst = new wasm.Instance(new wasm.Module(bytes), {});
  const memory = inst.exports['memory'] as { readonly buffer: ArrayBuffer; grow(pages: number): number };
  const run = inst.exports['crc'] as (crc: number, p: number, n: number) => number;
  const need = Math.ceil((WASM_BUF + chunk) / 65536) - memory.buffer.byteLength / 65536;
  if (need > 0) memory.grow(need);
  new Int32Array(memory.buffer, 0, slices * 256).set(T.subarray(0, slices * 256));
  const copying = copyingRunner(run, new Uint8Array(memory.buffer), WASM_BUF, chunk);
  return (crc, d, start, end) => (end - start <= jsUpTo ? small(crc, d, start, end) : copying(crc, d, start, end));
}

/** `run` over d[start, end), copied into `heap` at `at`, `chunk` bytes at a time */
function copyingRunner(run: (crc: number, p: number, n: number) => number, heap: Uint8Array, at: number, chunk: number): Crc32cFn {
  return (crc, d, start, end) => {
    while (start < end) {
      const n = end - start < chunk ? end - start : chunk;
      heap.set(d.subarray(start, start + n), at);
      crc = run(crc, at, n);
      start += n;
    }
    return crc >>> 0;
  };
}

// ---------------------------------------------------------------------------------------
// WebAssembly, reduction by a sparse multiple of the polynomial ("Chorba", S. Russell 2024,
// arXiv:2412.16398; here in a form that fits a scratch copy of the input in linear memory)
//
// Ceph's register after the bytes d[0..n) from seed s is (for n >= 4) the CRC from a zero
// register of d with s xored into its first four bytes. With d read as a polynomial (byte 0,
// least significant bit first, has the highest degree), that is d(x)·x^32 mod P. Any
// multiple M of P may be subtracted (xored) without changing it. CHORBA_TERMS lists the
// byte positions b of a sparse multiple M(x) = Σ x^(8b) (checked by chorbaTermsOk()); its
// top term Z = the last entry. The top term of M lined up under byte i of d cancels that
// byte and xors it into bytes i + (Z - b) for the other terms b. Doing that for every byte
// of d, in order, leaves d(x)·x^(8Z) mod M in the Z bytes after the end: with Z zero bytes
// appended, "pull" form, one step per word, no tables:
//   v[i] = d[i] ^ v[i - (Z - b1)] ^ ... ^ v[i - (Z - b5)]      (v = 0 before the start)
// over the input and the Z zero bytes after it, the latter without their own sources of
// course being eliminated (they are done last word first, into zeros). Those Z bytes are
// then run through slicing-by-16 from a zero register, which gives crc·x^(8Z) mod P, and a
// multiplication by the constant x^(-8Z) mod P (four lookups in 4 KiB of tables, like the
// slicing tables) gives the CRC. Words of 8 (i64) or 16 (v128, plain SIMD xor; no clmul
// needed) bytes work as long as every offset Z - b is at least a word, since then all the
// bytes a word pulls in are final. The input is made a whole number of words by zero bytes
// in front, which change nothing once the seed is in the data.
//
// The multiple has to have an even number of terms (x + 1 divides P) and CRC-32C has
// Hamming distance 6 up to 5243 bits, so six terms is the least; a birthday search
// (1 ^ y^a ^ y^b == y^c ^ y^d ^ y^e, y = x^8 mod P) finds the smallest one at Z = 209 bytes,
// but its shortest offset, 65 bytes, makes the loads hit words still in the store buffer,
// and an unaligned load over two pending stores cannot be forwarded: it waits. The smallest
// multiple with all offsets >= 256 bytes (Z = 437) avoids that.
//
// Per 16 bytes the loop does 6 loads, 5 xors and 1 store instead of 16 table lookups.

const X2N = (() => {
  const t = [0x40000000]; // x^1, reflected
  for (let k = 1; k < 32; k++) t.push(mulmodP(t[k - 1]!, t[k - 1]!));
  return t;
})();

/** a(x)·b(x) mod P, both reflected (bit 31 is x^0), as in zlib's multmodp() */
export function mulmodP(a: number, b: number): number {
  let m = 0x80000000;
  let p = 0;
  for (;;) {
    if (a & m) {
      p ^= b;
      if ((a & (m - 1)) === 0) break;
    }
    m >>>= 1;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return p >>> 0;
}

/** x^e mod P, reflected, 0 <= e < 2^53 */
export function xpowP(e: number): number {
  let p = 0x80000000;
  for (let k = 0; e > 0; k++, e = Math.floor(e / 2)) if (e % 2) p = mulmodP(X2N[k & 31]!, p);
  return p;
}

/** byte positions of sparse multiples of P (see above); the last entry is Z */
export const CHORBA_TERMS = {
  z209: [0, 14, 39, 54, 144, 209],
  z437: [0, 58, 171, 176, 177, 437],
} as const;
export type ChorbaTerms = keyof typeof CHORBA_TERMS;

/** true if Σ x^(8b) over the terms is a multiple of P */
export function chorbaTermsOk(terms: readonly number[]): boolean {
  return terms.reduce((acc, b) => acc ^ xpowP(8 * b), 0) === 0;
}

/**
 * The tables for multiplying by x^(-8Z) mod P: entry [k * 256 + v] is (v << 8k)·x^(-8Z).
 * x has order 2^31 - 1 modulo P (P = (x + 1)·a primitive polynomial of degree 31), so
 * x^(-8Z) = x^(2^31 - 1 - 8Z); checked here.
 */
export function chorbaInverseTables(z: number): Int32Array {
  const inv = xpowP(2 ** 31 - 1 - 8 * z);
  if (mulmodP(inv, xpowP(8 * z)) !== 0x80000000) throw new Error('x^(-8Z) mod P is wrong');
  const t = new Int32Array(1024);
  for (let k = 0; k < 4; k++) for (let v = 0; v < 256; v++) t[k * 256 + v] = mulmodP(inv, (v << (8 * k)) >>> 0);
  return t;
}

/** where chorbaWat() expects its inverse tables; the slicing-by-16 tables go at 0 */
export const CHORBA_INV = 16384;
/** where the input goes; [CHORBA_INV + 4096, CHORBA_BUF) stays zero: >= Z + 15 zero bytes before the input */
export const CHORBA_BUF = 22528;
/** scratch bytes the kernel writes after the input (Z rounded up to words, plus a word) */
export const chorbaScratch = (z: number): number => (Math.ceil(z / 16) + 1) * 16;

export type ChorbaWord = 'i64' | 'v128';

/**
 * The WebAssembly text of the Chorba kernel: same export as crcWat(),
 *   crc(seed: i32, ptr: i32, len: i32) -> i32,
 * inputs of len >= minLen by the reduction above (the input bytes are overwritten), shorter
 * ones and the Z-byte remainder by crcWat(16, 'linear')'s loop.
 */
export function chorbaWat(termsName: ChorbaTerms, word: ChorbaWord, minLen: number): string {
  const terms = CHORBA_TERMS[termsName];
  const z = terms[terms.length - 1]!;
  const W = word === 'v128' ? 16 : 8;
  const zr = Math.ceil(z / W) * W;
  if (minLen < 4) throw new Error('minLen < 4: the seed goes into the first four bytes');
  // slicing-by-16, 'linear' shape, as in crcWat()
  const look = (k: number, idx: string): string => `(i32.load${k === 0 ? '' : ` offset=${k * 1024}`} ${idx})`;
  const byteOf = (w: string, b: number): string =>
    b === 0
      ? `(i32.shl (i32.and ${w} (i32.const 255)) (i32.const 2))`
      : b === 3
        ? `(i32.shl (i32.shr_u ${w} (i32.const 24)) (i32.const 2))`
        : `(i32.and (i32.shr_u ${w} (i32.const ${8 * b - 2})) (i32.const 1020))`;
  const xorAll = (xs: string[], op: string): string => xs.reduce((a, t) => (a ? `(${op} ${a} ${t})` : t), '');
  const indep: string[] = [];
  for (let j = 4; j < 16; j++) indep.push(look(15 - j, `(i32.shl (i32.load8_u offset=${j} (local.get $p)) (i32.const 2))`));
  const regTerms = [0, 1, 2, 3].map((b) => look(15 - b, byteOf('(local.get $w)', b)));
  // the reduction: $s runs Z bytes behind the word being finished, so its sources are at
  // $s + b for the terms b below Z and the word itself at $s + Z
  const X = `${word}.xor`;
  const ld = (off: number): string => `(${word}.load${off ? ` offset=${off}` : ''} (local.get $s))`;
  const sources = xorAll(terms.slice(0, -1).map(ld), X);
  const zero = word === 'v128' ? '(v128.const i64x2 0 0)' : '(i64.const 0)';
  const inv = [0, 1, 2, 3].map((b) => `(i32.load offset=${CHORBA_INV + 1024 * b} ${byteOf('(local.get $crc)', b)})`);
  return `(module
  (memory (export "memory") 1)
  (func (export "crc") (param $crc i32) (param $p i32) (param $n i32) (result i32)
    (local $end i32) (local $last i32) (local $w i32) (local $x i32) (local $s i32) (local $e i32) (local $big i32)
    (if (i32.ge_u (local.get $n) (i32.const ${minLen}))
      (then
        (local.set $big (i32.const 1))
        ;; the seed into the first four bytes
        (i32.store (local.get $p) (i32.xor (i32.load (local.get $p)) (local.get $crc)))
        ;; zeros after the input: the remainder's place
        (local.set $e (i32.add (local.get $p) (local.get $n)))
        (local.set $s (local.get $e))
        (local.set $last (i32.add (local.get $e) (i32.const ${zr + W})))
        (loop $zero
          (${word}.store (local.get $s) ${zero})
          (local.set $s (i32.add (local.get $s) (i32.const ${W})))
          (br_if $zero (i32.lt_u (local.get $s) (local.get $last))))
        ;; reduce the input, word by word from the zero-padded start (p - (-n mod W))
        (local.set $s (i32.sub (i32.sub (local.get $p) (i32.and (i32.sub (i32.const 0) (local.get $n)) (i32.const ${W - 1}))) (i32.const ${z})))
        (local.set $last (i32.sub (local.get $e) (i32.const ${z})))
        (loop $pull
          (${word}.store offset=${z} (local.get $s) (${X} ${ld(z)} ${sources}))
          (local.set $s (i32.add (local.get $s) (i32.const ${W})))
          (br_if $pull (i32.lt_u (local.get $s) (local.get $last))))
        ;; the remainder [e, e + Z), last word first so that its words never feed each other
        (local.set $s (i32.add (local.get $last) (i32.const ${zr - W})))
        (loop $rem
          (${word}.store offset=${z} (local.get $s) ${sources})
          (local.set $s (i32.sub (local.get $s) (i32.const ${W})))
          (br_if $rem (i32.ge_s (local.get $s) (local.get $last))))
        ;; then its CRC from a zero register, below
        (local.set $crc (i32.const 0))
        (local.set $p (local.get $e))
        (local.set $n (i32.const ${z}))))
    (local.set $end (i32.add (local.get $p) (local.get $n)))
    (block $blocksDone
      (br_if $blocksDone (i32.lt_u (local.get $n) (i32.const 16)))
      (local.set $last (i32.sub (local.get $end) (i32.const 16)))
      (loop $blocks
        (local.set $x ${xorAll(indep, 'i32.xor')})
        (local.set $w (i32.xor (local.get $crc) (i32.load (local.get $p))))
        (local.set $crc (i32.xor (local.get $x) ${xorAll(regTerms, 'i32.xor')}))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br_if $blocks (i32.le_u (local.get $p) (local.get $last)))))
${WAT_BYTE_TAIL}
    ;; times x^(-8Z) mod P
    (if (local.get $big) (then (local.set $crc ${xorAll(inv, 'i32.xor')})))
    (local.get $crc)))
`;
}

/** the chorbaWat() variants embedded below, as `${terms}-${word}-${minLen}` */
export const CHORBA_VARIANTS: Array<[ChorbaTerms, ChorbaWord, number]> = [
  ['z209', 'i64', 1024],
  ['z209', 'v128', 1024],
  ['z437', 'i64', 1024],
  ['z437', 'v128', 1024],
];

/** wat2wasm output of chorbaWat(terms, word, minLen), base64 */
export const WASM_CHORBA: Record<string, string> = {
  'z209-i64-1024':
    'AGFzbQEAAAABCAFgA39/fwF/AwIBAAUDAQABBxACBm1lbW9yeQIAA2NyYwAACu0EAeoEAQd/IAJBgAhPBEBBASEJIAEgASgCACAAczYCACABIAJqIQggCCEHIAhB4AFqIQQDQCAHQgA3AwAgB0EIaiEHIAcgBEkNAAsgAUEAIAJrQQdxa0HRAWshByAIQdEBayEEA0AgByAHKQPRASAHKQMAIAcpAw6FIAcpAyeFIAcpAzaFIAcpA5ABhYU3A9EBIAdBCGohByAHIARJDQALIARB0AFqIQcDQCAHIAcpAwAgBykDDoUgBykDJ4UgBykDNoUgBykDkAGFNwPRASAHQQhrIQcgByAETg0AC0EAIQAgCCEBQdEBIQILIAEgAmohAwJAIAJBEEkNACADQRBrIQQDQCABLQAEQQJ0KAKAWCABLQAFQQJ0KAKAUHMgAS0ABkECdCgCgEhzIAEtAAdBAnQoAoBAcyABLQAIQQJ0KAKAOHMgAS0ACUECdCgCgDBzIAEtAApBAnQoAoAocyABLQALQQJ0KAKAIHMgAS0ADEECdCgCgBhzIAEtAA1BAnQoAoAQcyABLQAOQQJ0KAKACHMgAS0AD0ECdCgCAHMhBiAAIAEoAgBzIQUgBiAFQf8BcUECdCgCgHggBUEGdkH8B3EoAoBwcyAFQQ52QfwHcSgCgGhzIAVBGHZBAnQoAoBgc3MhACABQRBqIQEgASAETQ0ACwsCQCABIANPDQADQCAAIAEtAABzQf8BcUECdCgCACAAQQh2cyEAIAFBAWohASABIANJDQALCyAJBEAgAEH/AXFBAnQoAoCAASAAQQZ2QfwHcSgCgIgBcyAAQQ52QfwHcSgCgJABcyAAQRh2QQJ0KAKAmAFzIQALIAAL',
  'z209-v128-1024':
    'AGFzbQEAAAABCAFgA39/fwF/AwIBAAUDAQABBxACBm1lbW9yeQIAA2NyYwAACpQFAZEFAQd/IAJBgAhPBEBBASEJIAEgASgCACAAczYCACABIAJqIQggCCEHIAhB8AFqIQQDQCAH/QwAAAAAAAAAAAAAAAAAAAAA/QsEACAHQRBqIQcgByAESQ0ACyABQQAgAmtBD3FrQdEBayEHIAhB0QFrIQQDQCAHIAf9AATRASAH/QAEACAH/QAEDv1RIAf9AAQn/VEgB/0ABDb9USAH/QAEkAH9Uf1R/QsE0QEgB0EQaiEHIAcgBEkNAAsgBEHQAWohBwNAIAcgB/0ABAAgB/0ABA79USAH/QAEJ/1RIAf9AAQ2/VEgB/0ABJAB/VH9CwTRASAHQRBrIQcgByAETg0AC0EAIQAgCCEBQdEBIQILIAEgAmohAwJAIAJBEEkNACADQRBrIQQDQCABLQAEQQJ0KAKAWCABLQAFQQJ0KAKAUHMgAS0ABkECdCgCgEhzIAEtAAdBAnQoAoBAcyABLQAIQQJ0KAKAOHMgAS0ACUECdCgCgDBzIAEtAApBAnQoAoAocyABLQALQQJ0KAKAIHMgAS0ADEECdCgCgBhzIAEtAA1BAnQoAoAQcyABLQAOQQJ0KAKACHMgAS0AD0ECdCgCAHMhBiAAIAEoAgBzIQUgBiAFQf8BcUECdCgCgHggBUEGdkH8B3EoAoBwcyAFQQ52QfwHcSgCgGhzIAVBGHZBAnQoAoBgc3MhACABQRBqIQEgASAETQ0ACwsCQCABIANPDQADQCAAIAEtAABzQf8BcUECdCgCACAAQQh2cyEAIAFBAWohASABIANJDQALCyAJBEAgAEH/AXFBAnQoAoCAASAAQQZ2QfwHcSgCgIgBcyAAQQ52QfwHcSgCgJABcyAAQRh2QQJ0KAKAmAFzIQALIAAL',
  'z437-i64-1024':
    'AGFzbQEAAAABCAFgA39/fwF/AwIBAAUDAQABBxACBm1lbW9yeQIAA2NyYwAACvEEAe4EAQd/IAJBgAhPBEBBASEJIAEgASgCACAAczYCACABIAJqIQggCCEHIAhBwANqIQQDQCAHQgA3AwAgB0EIaiEHIAcgBEkNAAsgAUEAIAJrQQdxa0G1A2shByAIQbUDayEEA0AgByAHKQO1AyAHKQMAIAcpAzqFIAcpA6sBhSAHKQOwAYUgBykDsQGFhTcDtQMgB0EIaiEHIAcgBEkNAAsgBEGwA2ohBwNAIAcgBykDACAHKQM6hSAHKQOrAYUgBykDsAGFIAcpA7EBhTcDtQMgB0EIayEHIAcgBE4NAAtBACEAIAghAUG1AyECCyABIAJqIQMCQCACQRBJDQAgA0EQayEEA0AgAS0ABEECdCgCgFggAS0ABUECdCgCgFBzIAEtAAZBAnQoAoBIcyABLQAHQQJ0KAKAQHMgAS0ACEECdCgCgDhzIAEtAAlBAnQoAoAwcyABLQAKQQJ0KAKAKHMgAS0AC0ECdCgCgCBzIAEtAAxBAnQoAoAYcyABLQANQQJ0KAKAEHMgAS0ADkECdCgCgAhzIAEtAA9BAnQoAgBzIQYgACABKAIAcyEFIAYgBUH/AXFBAnQoAoB4IAVBBnZB/AdxKAKAcHMgBUEOdkH8B3EoAoBocyAFQRh2QQJ0KAKAYHNzIQAgAUEQaiEBIAEgBE0NAAsLAkAgASADTw0AA0AgACABLQAAc0H/AXFBAnQoAgAgAEEIdnMhACABQQFqIQEgASADSQ0ACwsgCQRAIABB/wFxQQJ0KAKAgAEgAEEGdkH8B3EoAoCIAXMgAEEOdkH8B3EoAoCQAXMgAEEYdkECdCgCgJgBcyEACyAACw==',
  'z437-v128-1024':
    'AGFzbQEAAAABCAFgA39/fwF/AwIBAAUDAQABBxACBm1lbW9yeQIAA2NyYwAACpgFAZUFAQd/IAJBgAhPBEBBASEJIAEgASgCACAAczYCACABIAJqIQggCCEHIAhB0ANqIQQDQCAH/QwAAAAAAAAAAAAAAAAAAAAA/QsEACAHQRBqIQcgByAESQ0ACyABQQAgAmtBD3FrQbUDayEHIAhBtQNrIQQDQCAHIAf9AAS1AyAH/QAEACAH/QAEOv1RIAf9AASrAf1RIAf9AASwAf1RIAf9AASxAf1R/VH9CwS1AyAHQRBqIQcgByAESQ0ACyAEQbADaiEHA0AgByAH/QAEACAH/QAEOv1RIAf9AASrAf1RIAf9AASwAf1RIAf9AASxAf1R/QsEtQMgB0EQayEHIAcgBE4NAAtBACEAIAghAUG1AyECCyABIAJqIQMCQCACQRBJDQAgA0EQayEEA0AgAS0ABEECdCgCgFggAS0ABUECdCgCgFBzIAEtAAZBAnQoAoBIcyABLQAHQQJ0KAKAQHMgAS0ACEECdCgCgDhzIAEtAAlBAnQoAoAwcyABLQAKQQJ0KAKAKHMgAS0AC0ECdCgCgCBzIAEtAAxBAnQoAoAYcyABLQANQQJ0KAKAEHMgAS0ADkECdCgCgAhzIAEtAA9BAnQoAgBzIQYgACABKAIAcyEFIAYgBUH/AXFBAnQoAoB4IAVBBnZB/AdxKAKAcHMgBUEOdkH8B3EoAoBocyAFQRh2QQJ0KAKAYHNzIQAgAUEQaiEBIAEgBE0NAAsLAkAgASADTw0AA0AgACABLQAAc0H/AXFBAnQoAgAgAEEIdnMhACABQQFqIQEgASADSQ0ACwsgCQRAIABB/wFxQQJ0KAKAgAEgAEEGdkH8B3EoAoCIAXMgAEEOdkH8B3EoAoCQAXMgAEEYdkECdCgCgJgBcyEACyAACw==',
};

/**
 * A Chorba candidate: like makeWasm(), the input copied into linear memory `chunk` bytes at
 * a time (at CHORBA_BUF, after the tables and the zero gap).
 */
export function makeChorba(termsName: ChorbaTerms, word: ChorbaWord, minLen: number, chunk: number): Crc32cFn {
  const key = `${termsName}-${word}-${minLen}`;
  const b64 = WASM_CHORBA[key];
  if (!b64) throw new Error(`no embedded wasm for ${key}`);
  const terms = CHORBA_TERMS[termsName];
  const z = terms[terms.length - 1]!;
  if (!chorbaTermsOk(terms)) throw new Error(`${termsName} is not a multiple of P`);
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!wasm) throw new Error('no WebAssembly in this runtime');
  const inst = new wasm.Instance(new wasm.Module(Buffer.from(b64, 'base64')), {});
  const memory = inst.exports['memory'] as { readonly buffer: ArrayBuffer; grow(pages: number): number };
  const run = inst.exports['crc'] as (crc: number, p: number, n: number) => number;
  const need = Math.ceil((CHORBA_BUF + chunk + chorbaScratch(z)) / 65536) - memory.buffer.byteLength / 65536;
  if (need > 0) memory.grow(need);
  new Int32Array(memory.buffer, 0, 16 * 256).set(T);
  new Int32Array(memory.buffer, CHORBA_INV, 1024).set(chorbaInverseTables(z));
  return copyingRunner(run, new Uint8Array(memory.buffer), CHORBA_BUF, chunk);
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
    for (const [terms, word, minLen] of CHORBA_VARIANTS) {
      if (!WASM_CHORBA[`${terms}-${word}-${minLen}`]) continue;
      list.push({ name: `wasm chorba ${terms} ${word} >= ${minLen} B, 64K chunks`, fn: makeChorba(terms, word, minLen, 65536) });
    }
    // the fixed cost per call (zeroing, remainder, Z bytes of slicing) against the chunk size
    list.push({ name: 'wasm chorba z437 v128 >= 1024 B, 16K chunks', fn: makeChorba('z437', 'v128', 1024, 16384) });
    list.push({ name: 'wasm chorba z437 v128 >= 1024 B, 256K chunks', fn: makeChorba('z437', 'v128', 1024, 262144) });
  }
  return list;
}
