// Receive buffers for large frames, reused when whoever ends up holding the data gives them
// back (`recycle`). A fresh multi-MiB buffer per frame costs page faults on first touch and
// garbage collection pressure; bulk reads that recycle their buffers (rbd export) ran ~40%
// faster on the dev machine. Recycling is optional: a buffer never given back is collected
// as usual, and giving back anything this pool did not hand out does nothing.
//
// A buffer may be given back only when nothing reads it, or any other view of the same
// memory, afterwards: the next large frame is received into it.
//
// They come from allocCrcBuffer: where WebAssembly allows, each lies in memory whose CRC-32C
// is computed in place, so checking the frame's data crc copies nothing.

import { allocCrcBuffer } from '../encoding/crc32c.js';

/** Frames at least this large are received into pooled buffers. */
export const POOLED_MIN = 1 << 20;
/** Capacities are multiples of this. */
const STEP = 64 * 1024;
/** Free bytes kept at most. */
const KEEP = 64 * 1024 * 1024;

/** every buffer this pool made, whole (its capacity), by its memory */
const made = new WeakMap<ArrayBufferLike, Buffer>();
/** buffers free for reuse, whole, oldest given back first */
const free: Buffer[] = [];
const isFree = new WeakSet<ArrayBufferLike>();
let freeBytes = 0;

/** The kernel copies to a page-aligned destination faster. */
const PAGE = 4096;

/**
 * A buffer of exactly n bytes (n >= POOLED_MIN), reused when one is free. Byte `alignAt` of
 * it starts a page when the pool's memory is page-aligned (allocCrcBuffer's is): the socket
 * then copies the bulk of a frame (its data segment) to page boundaries. Measured on the dev
 * VM, kernel CPU per GiB received over loopback: 0.11 s page-aligned, 0.127 s 16 bytes past
 * (medians of 12; for file reads, whose source is page-aligned too, 0.075 s against 0.137).
 */
export function takeReadBuffer(n: number, alignAt = 0): Buffer {
  const pad = (PAGE - (alignAt % PAGE)) % PAGE;
  const cap = Math.ceil((n + pad) / STEP) * STEP;
  // best fit among the free buffers, up to 1/8 larger: import's file chunks (4 MiB) and
  // export's frames (4 MiB + header, page-padded) take each other's buffers where they can
  let best = -1;
  for (let i = free.length - 1; i >= 0; i--) {
    const c = free[i]!.length;
    if (c >= cap && c <= cap + cap / 8 && (best < 0 || c < free[best]!.length)) best = i;
  }
  if (best >= 0) {
    const reused = free.splice(best, 1)[0]!;
    isFree.delete(reused.buffer);
    freeBytes -= reused.length;
    return reused.subarray(pad, pad + n);
  }
  const b = allocCrcBuffer(cap); // memory of its own, not a slice of Node's pool
  made.set(b.buffer, b);
  return b.subarray(pad, pad + n);
}

/**
 * Give back the memory behind `view` (any view into a buffer a read returned) for a later
 * read. The caller promises that nothing uses that memory any more.
 */
export function recycle(view: Uint8Array): void {
  const ab = view.buffer;
  const whole = made.get(ab);
  if (whole === undefined || isFree.has(ab) || whole.length > KEEP) return;
  isFree.add(ab);
  free.push(whole);
  freeBytes += whole.length;
  // past the bound the oldest go (to the garbage collector), not the one just given back:
  // a workload that changed sizes (import, then export) keeps buffers of the sizes it uses
  while (freeBytes > KEEP) {
    const old = free.shift()!;
    isFree.delete(old.buffer);
    freeBytes -= old.length;
  }
}

/** Bytes free in the pool (for tests). */
export function pooledFreeBytes(): number {
  return freeBytes;
}

/** Drop every free buffer (for tests). */
export function dropFreeBuffers(): void {
  for (const b of free.splice(0)) isFree.delete(b.buffer);
  freeBytes = 0;
}
