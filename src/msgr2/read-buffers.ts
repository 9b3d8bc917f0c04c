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
/** buffers free for reuse, by capacity */
const free = new Map<number, Buffer[]>();
const isFree = new WeakSet<ArrayBufferLike>();
let freeBytes = 0;

/** A buffer of exactly n bytes (n >= POOLED_MIN), reused when one is free. */
export function takeReadBuffer(n: number): Buffer {
  const cap = Math.ceil(n / STEP) * STEP;
  const reused = free.get(cap)?.pop();
  if (reused) {
    isFree.delete(reused.buffer);
    freeBytes -= cap;
    return reused.subarray(0, n);
  }
  const b = allocCrcBuffer(cap); // memory of its own, not a slice of Node's pool
  made.set(b.buffer, b);
  return b.subarray(0, n);
}

/**
 * Give back the memory behind `view` (any view into a buffer a read returned) for a later
 * read. The caller promises that nothing uses that memory any more.
 */
export function recycle(view: Uint8Array): void {
  const ab = view.buffer;
  const whole = made.get(ab);
  if (whole === undefined || isFree.has(ab) || freeBytes + whole.length > KEEP) return;
  isFree.add(ab);
  freeBytes += whole.length;
  const list = free.get(whole.length);
  if (list) list.push(whole);
  else free.set(whole.length, [whole]);
}

/** Bytes free in the pool (for tests). */
export function pooledFreeBytes(): number {
  return freeBytes;
}
