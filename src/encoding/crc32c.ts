// Ceph's CRC-32C: ceph_crc32c(seed, data) from src/common/crc32c.h.
//
// Castagnoli polynomial, reflected (0x82F63B78), least significant bit first. The register
// starts at `seed` and is returned as it is: no inversion on the way in or out, unlike the
// "standard" CRC-32C, which is ceph_crc32c(0xFFFFFFFF, d) ^ 0xFFFFFFFF. Because nothing is
// inverted, crc32c(crc32c(s, a), b) === crc32c(s, a ‖ b).
//
// It runs over every byte of every msgr2 frame segment, and without the CPU's crc32
// instruction it is the largest CPU cost of bulk I/O, so each size range has the method that
// measured fastest (bench/crc32c.ts; losing candidates in bench/crc32c-candidates.ts). On the
// 2-core AMD EPYC dev machine, Node 20:
//  - up to SMALL bytes: slicing-by-8 in plain JS, ~0.95 GB/s at 41 B (a call into
//    WebAssembly plus the copy into its memory costs more than it saves below ~100 B);
//  - up to SPARSE_MIN: slicing-by-16 in WebAssembly (crc32c.wat `crc`), the input copied
//    into the module's memory: ~2.8 GB/s;
//  - larger: the sparse-multiple method below, in WebAssembly SIMD: ~3.7 GB/s at 8 KiB,
//    ~8.6 at 64 KiB, ~11.7 at 1-4 MiB, against 2.8-3.0 for slicing-by-16 there;
//  - input in a buffer from allocCrcBuffer (large frames received, import's chunks) is read
//    where it lies, without the copy: ~15.5 GB/s at 1-4 MiB;
//  - where WebAssembly cannot be instantiated (node --jitless), plain JS for everything.
//
// The sparse-multiple method. The CRC depends on the message M(x) only modulo P(x), and
// Q(x) = y^209 + y^144 + y^54 + y^39 + y^14 + 1 with y = x^128 is a multiple of P (found by
// a meet-in-the-middle search, bench/crc32c-sparse-search.ts; checked by a unit test). So M
// can be replaced by M mod Q, of the same length, without changing the CRC. Working in
// 16-byte blocks from the start of M (block k = bits 128k..128k+127 in transmission order),
// clearing block k by adding the right multiple of Q xors it into blocks k+65, k+155, k+170,
// k+195 and k+209 (209 minus each lower exponent of Q). Cleared in order, the value each
// block has when its turn comes is
//     e[k] = m[k] ^ e[k-65] ^ e[k-155] ^ e[k-170] ^ e[k-195] ^ e[k-209]
// (e = 0 before the start): six 16-byte loads and xors and one store per block, no table
// lookups. Every block but the last 209 (and a partial one) can be cleared; those keep
// m[k] ^ (the e[k-d] of cleared blocks) and go through slicing-by-16: the CRC of M is the CRC
// of that tail (the cleared part is all zeros, and a register seed is folded in beforehand by
// xoring it into the first 4 bytes, which is the same thing for a CRC without inversion).

const POLY = 0x82f63b78;

/** inputs up to this many bytes stay in JS */
const SMALL = 96;
/** inputs of at least this many bytes take the sparse-multiple method */
const SPARSE_MIN = 8192;
/** bytes copied into the WebAssembly memory per call */
const CHUNK = 262144;
/** Q's degree in 16-byte blocks, and the distances a cleared block is xored forward by */
const Q_BLOCKS = 209;
const Q_DISTANCES = [65, 155, 170, 195, 209] as const;
/** WebAssembly memory: 16 KiB of tables, then the e values of the last Q_BLOCKS blocks, then the chunk */
const HIST = 16384;
const HIST_LEN = 16 * Q_BLOCKS;
const BUF = HIST + HIST_LEN;

/**
 * Slicing tables, flat: entry [k * 256 + b] is the register after feeding byte b and then
 * k zero bytes into a zero register (k = 0 is the classic byte-at-a-time table).
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

// The WebAssembly module: the bytes wat2wasm makes of crc32c.wat (its functions are
// described there).
const WASM_KERNEL =
  'AGFzbQEAAAABDgJgA39/fwF/YAN/f38AAg8BA2VudgZtZW1vcnkCAAEDBAMAAQEHHAMDY3JjAAAGcmVkdWNlAAEJeG9yQmxvY2tzAAIK+gMDxQIBBH8gASACaiEDAkAgAkEQSQ0AIANBEGshBANAIAEtAARBAnQoAoBYIAEtAAVBAnQoAoBQcyABLQAGQQJ0KAKASHMgAS0AB0ECdCgCgEBzIAEtAAhBAnQoAoA4cyABLQAJQQJ0KAKAMHMgAS0ACkECdCgCgChzIAEtAAtBAnQoAoAgcyABLQAMQQJ0KAKAGHMgAS0ADUECdCgCgBBzIAEtAA5BAnQoAoAIcyABLQAPQQJ0KAIAcyEGIAAgASgCAHMhBSAGIAVB/wFxQQJ0KAKAeCAFQQZ2QfwHcSgCgHBzIAVBDnZB/AdxKAKAaCAFQRh2QQJ0KAKAYHNzcyEAIAFBEGohASABIARNDQALCwJAIAEgA08NAANAIAAgAS0AAHNB/wFxQQJ0KAIAIABBCHZzIQAgAUEBaiEBIAEgA0kNAAsLIAALbgECfyABIAJBBHRqIQMCQCACRQ0AA0AgAUGQGmshBCABIAD9AAQAIAT9AASAEiAE/QAE4Ab9Uf1RIAT9AATwBCAE/QAE4AEgBP0ABAD9Uf1R/VH9CwQAIABBEGohACABQRBqIQEgASADSQ0ACwsLQgEBfyAAIAJBBHRqIQMCQCACRQ0AA0AgACAA/QAEACAB/QAEAP1R/QsEACAAQRBqIQAgAUEQaiEBIAAgA0kNAAsLCw==';

type WasmCrc = (crc: number, ptr: number, len: number) => number;
type WasmReduce = (src: number, dst: number, blocks: number) => void;
type WasmXorBlocks = (dst: number, src: number, blocks: number) => void;

// The bits of the WebAssembly JS API used here (the project's TS libs do not declare it);
// absent under node --jitless.
interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number; maximum?: number }) => WasmMemory;
}

/**
 * One instance of the module and its memory: tables at 0, the e values of the last Q_BLOCKS
 * blocks at HIST, a work area from BUF to `work` (input copied in, or e values computed
 * from input that lies in the memory already), and in a buffer's own memory, the buffer.
 */
interface Kernel {
  heap: Uint8Array;
  heap32: Int32Array;
  /** end of the work area */
  work: number;
  crc: WasmCrc;
  reduce: WasmReduce;
  xorBlocks: WasmXorBlocks;
}

const WASM_PAGE = 65536;
let wasmModule: object | null = null;
let shared: Kernel | null = null; // the kernel inputs are copied into
try {
  const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (wasm) {
    wasmModule = new wasm.Module(Buffer.from(WASM_KERNEL, 'base64'));
    shared = instantiate(Math.ceil((BUF + CHUNK) / WASM_PAGE), BUF + CHUNK);
  }
} catch {
  wasmModule = shared = null; // no usable WebAssembly (or no SIMD): JS for everything
}

function instantiate(pages: number, work: number): Kernel {
  const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  const memory = new wasm.Memory({ initial: pages, maximum: pages }); // never grown: views stay valid
  const { exports } = new wasm.Instance(wasmModule!, { env: { memory } });
  const heap32 = new Int32Array(memory.buffer);
  heap32.set(T);
  return {
    heap: new Uint8Array(memory.buffer),
    heap32,
    work,
    crc: exports['crc'] as WasmCrc,
    reduce: exports['reduce'] as WasmReduce,
    xorBlocks: exports['xorBlocks'] as WasmXorBlocks,
  };
}

// Buffers in WebAssembly memory of their own (allocCrcBuffer): the CRC of bytes in them runs
// where they lie, with no copy into the shared kernel's memory; a copy costs about as much as
// the sparse-multiple reduction itself (~12 GB/s here). Each such memory reserves address space
// (V8 surrounds a 32-bit memory with guard regions, ~10 GiB, under a process-wide budget of
// about 1 TiB), so at most MAX_OWN_KERNELS are alive; beyond that buffers are ordinary.

/** Bytes in front of a buffer in its own memory: tables, history and the work area. */
const OWN_HEAD = 2 * WASM_PAGE;
const MAX_OWN_KERNELS = 48;
const kernelOf = new WeakMap<ArrayBufferLike, Kernel>();
let ownKernels = 0;
/** lowered to the number alive when a memory could not be had (e.g. under ulimit -v) */
let maxOwnKernels = MAX_OWN_KERNELS;
const collected = new FinalizationRegistry<null>(() => {
  ownKernels--;
});

/**
 * A buffer of `size` bytes (contents unspecified) for data whose CRC-32C will be computed,
 * e.g. a large frame segment: when WebAssembly is available, fewer than MAX_OWN_KERNELS
 * such buffers are alive and the address space allows, it lies in WebAssembly memory of its
 * own and crc32c() reads it in place. Otherwise an ordinary buffer. Either way it shares
 * memory with nothing else.
 */
export function allocCrcBuffer(size: number): Buffer {
  if (wasmModule !== null && ownKernels < maxOwnKernels && size >= SPARSE_MIN) {
    try {
      const k = instantiate(Math.ceil((OWN_HEAD + size) / WASM_PAGE), OWN_HEAD);
      const ab = k.heap.buffer;
      kernelOf.set(ab, k);
      ownKernels++;
      collected.register(ab, null);
      return Buffer.from(ab, OWN_HEAD, size);
    } catch {
      // out of address space for WebAssembly memory: an ordinary buffer does as well, and
      // trying again costs V8 a last-resort garbage collection each time
      maxOwnKernels = ownKernels;
    }
  }
  return Buffer.allocUnsafeSlow(size);
}

/** Whether crc32c() reads `view` in place (for tests). */
export function crcInPlace(view: Uint8Array): boolean {
  return kernelOf.has(view.buffer);
}

/**
 * The sparse-multiple method (header comment) over data[start, end), end - start >= SPARSE_MIN:
 * in place when data lies in k's memory, else copied into k's work area chunk by chunk.
 */
function crcSparse(k: Kernel, seed: number, data: Uint8Array, start: number, end: number): number {
  const { heap } = k;
  const inPlace = data.buffer === heap.buffer;
  const cleared = 16 * (((end - start) >>> 4) - Q_BLOCKS); // bytes of the blocks to clear
  const step = (k.work - BUF) & ~15;
  // e before the start: zeros, but the seed, as the first 4 bytes (little-endian) of block -209:
  // only block 0 looks that far back, so it becomes m[0] ^ seed
  heap.fill(0, HIST, BUF);
  k.heap32[HIST >> 2] = seed;
  for (let off = 0; off < cleared; off += step) {
    const n = Math.min(step, cleared - off);
    if (inPlace) {
      k.reduce(data.byteOffset + start + off, BUF, n >>> 4);
    } else {
      heap.set(data.subarray(start + off, start + off + n), BUF);
      k.reduce(BUF, BUF, n >>> 4);
    }
    heap.copyWithin(HIST, BUF + n - HIST_LEN, BUF + n); // the last Q_BLOCKS e values
  }
  // the tail: block i takes e[first + i - d] for each distance d > i, i.e. tail[0, d) ^= e[last d]
  heap.set(data.subarray(start + cleared, end), BUF);
  for (const d of Q_DISTANCES) k.xorBlocks(BUF, HIST + 16 * (Q_BLOCKS - d), d);
  return k.crc(0, BUF, end - start - cleared);
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
  if (end - start <= SMALL || shared === null) return crcJs(crc, data, start, end) >>> 0;
  // in place only past the kernel's own areas (a view of the whole memory is copied)
  const own = data.byteOffset + start >= OWN_HEAD ? kernelOf.get(data.buffer) : undefined;
  if (end - start >= SPARSE_MIN) return crcSparse(own ?? shared, crc, data, start, end) >>> 0;
  if (own) return own.crc(crc, data.byteOffset + start, end - start) >>> 0;
  const k = shared;
  while (start < end) {
    const n = end - start < CHUNK ? end - start : CHUNK;
    k.heap.set(data.subarray(start, start + n), BUF);
    crc = k.crc(crc, BUF, n);
    start += n;
  }
  return crc >>> 0;
}
