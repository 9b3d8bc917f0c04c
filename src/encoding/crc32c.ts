// Ceph's CRC-32C: ceph_crc32c(seed, data) from src/common/crc32c.h.
//
// Castagnoli polynomial, reflected (0x82F63B78), least significant bit first. The register
// starts at `seed` and is returned as it is: no inversion on the way in or out, unlike the
// "standard" CRC-32C, which is ceph_crc32c(0xFFFFFFFF, d) ^ 0xFFFFFFFF. Because nothing is
// inverted, crc32c(crc32c(s, a), b) === crc32c(s, a ‖ b).
//
// It runs over every msgr2 frame segment (up to several MiB), so the implementation was
// chosen by measurement (bench/crc32c.ts; the losing candidates are kept in
// bench/crc32c-candidates.ts). On the 2-core AMD EPYC dev machine, Node 20:
//  - inputs of SMALL bytes or fewer: slicing-by-8 in plain JS, ~0.95 GB/s at 41 B (a call
//    into WebAssembly plus the copy into its memory costs more than it saves below ~100 B);
//  - longer inputs: slicing-by-16 in WebAssembly, the input copied into the module's
//    linear memory CHUNK bytes at a time: ~2.9 GB/s at 4 KiB, ~3.0 GB/s at 64 KiB and
//    4 MiB. The copy runs at ~40 GB/s, so it costs ~7%. The best plain-JS loop (slicing-by-16
//    over an aligned Int32Array view) does ~1.5 GB/s, the best npm packages without a
//    native addon ~1.2 GB/s (crc-32, JS) and ~2.2 GB/s (hash-wasm, WebAssembly);
//  - where WebAssembly cannot be instantiated (node --jitless), plain JS for everything.

const POLY = 0x82f63b78;

/** inputs up to this many bytes stay in JS */
const SMALL = 96;
/** bytes copied into the WebAssembly memory per call */
const CHUNK = 65536;
/** where the input chunk goes in the WebAssembly memory: after the 16 KiB of tables */
const BUF = 16384;

/**
 * Slicing tables, flat: entry [k * 256 + b] is the register after feeding byte b and then
 * k zero bytes into a zero register (k = 0 is the classic byte-at-a-time table).
 */
function makeTables(slices: number): Int32Array {
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

/** slicing-by-8 in JS: eight bytes per step, then one byte at a time */
function crcJs(crc: number, d: Uint8Array, i: number, end: number): number {
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
  return crc;
}

// The WebAssembly module: memory exported, tables at 0 (written below), and
//   crc(seed: i32, ptr: i32, len: i32) -> i32
// over [ptr, ptr + len): 16-byte blocks, then one byte at a time. Per block, bytes 4..15
// are i32.load8_u'd and looked up in tables 11..0, xored into a local; then the first
// 32-bit word is xored with the register and its four bytes looked up in tables 15..12.
// (Looking up the register-independent bytes first keeps V8 from spilling and lets them
// run ahead of the previous block.) The text is crcWat(16, 'linear') in
// bench/crc32c-candidates.ts; these are the bytes wat2wasm (npm package wabt) makes of it.
const WASM_SLICE16 =
  'AGFzbQEAAAABCAFgA39/fwF/AwIBAAUDAQABBxACBm1lbW9yeQIAA2NyYwAACsgCAcUCAQR/IAEgAmohAwJAIAJBEEkNACADQRBrIQQDQCABLQAEQQJ0KAKAWCABLQAFQQJ0KAKAUHMgAS0ABkECdCgCgEhzIAEtAAdBAnQoAoBAcyABLQAIQQJ0KAKAOHMgAS0ACUECdCgCgDBzIAEtAApBAnQoAoAocyABLQALQQJ0KAKAIHMgAS0ADEECdCgCgBhzIAEtAA1BAnQoAoAQcyABLQAOQQJ0KAKACHMgAS0AD0ECdCgCAHMhBiAAIAEoAgBzIQUgBiAFQf8BcUECdCgCgHggBUEGdkH8B3EoAoBwcyAFQQ52QfwHcSgCgGggBUEYdkECdCgCgGBzc3MhACABQRBqIQEgASAETQ0ACwsCQCABIANPDQADQCAAIAEtAABzQf8BcUECdCgCACAAQQh2cyEAIAFBAWohASABIANJDQALCyAACw==';

type WasmCrc = (crc: number, ptr: number, len: number) => number;

// The bits of the WebAssembly JS API used here (the project's TS libs do not declare it);
// absent under node --jitless.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

let wasmRun: WasmCrc | null = null;
let heap = new Uint8Array(0);
try {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm) {
    const instance = new wasm.Instance(new wasm.Module(Buffer.from(WASM_SLICE16, 'base64')), {});
    const memory = instance.exports['memory'] as WasmMemory;
    const pages = Math.ceil((BUF + CHUNK) / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages);
    new Int32Array(memory.buffer, 0, T.length).set(T);
    heap = new Uint8Array(memory.buffer);
    wasmRun = instance.exports['crc'] as WasmCrc;
  }
} catch {
  wasmRun = null; // no usable WebAssembly: JS for everything
}

/**
 * What a worker thread needs to run the same kernel (src/encoding/crc32c-workers.ts): the
 * WebAssembly bytes, the tables to place at address 0, and where input chunks go. Undefined
 * where WebAssembly is not usable.
 */
export function crc32cKernel(): { wasm: Uint8Array; tables: Int32Array; buf: number; chunk: number } | undefined {
  if (wasmRun === null) return undefined;
  return { wasm: Buffer.from(WASM_SLICE16, 'base64'), tables: T, buf: BUF, chunk: CHUNK };
}

/**
 * ceph_crc32c(seed, data[start..end)): CRC-32C with the register starting at `seed` and
 * no final inversion. Returns an unsigned 32-bit number.
 */
export function crc32c(seed: number, data: Uint8Array, start = 0, end = data.length): number {
  if (!(start >= 0 && start <= end && end <= data.length)) {
    throw new RangeError(`crc32c: bad range [${start}, ${end}) of ${data.length} bytes`);
  }
  let crc = seed | 0;
  if (end - start <= SMALL || wasmRun === null) return crcJs(crc, data, start, end) >>> 0;
  const run = wasmRun;
  while (start < end) {
    const n = end - start < CHUNK ? end - start : CHUNK;
    heap.set(data.subarray(start, start + n), BUF);
    crc = run(crc, BUF, n);
    start += n;
  }
  return crc >>> 0;
}
