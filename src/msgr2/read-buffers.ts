// Receive buffers for large frames, reused when whoever ends up holding the data gives them
// back (`recycle`). A fresh multi-MiB buffer per frame costs page faults on first touch and
// garbage collection pressure; bulk reads that recycle their buffers (rbd export) ran ~40%
// faster on the dev machine. Recycling is optional: a buffer never given back is collected
// as usual, and giving back anything this pool did not hand out does nothing.
//
// A buffer may be given back only when nothing reads it, or any other view of the same
// memory, afterwards: the next large frame is received into it.

/** Frames at least this large are received into pooled buffers. */
export const POOLED_MIN = 1 << 20;
/** Capacities are multiples of this. */
const STEP = 64 * 1024;
/** Free bytes kept at most. */
const KEEP = 64 * 1024 * 1024;

/** capacity of every buffer this pool made */
const made = new WeakMap<ArrayBufferLike, number>();
/** buffers free for reuse, by capacity */
const free = new Map<number, ArrayBufferLike[]>();
const isFree = new WeakSet<ArrayBufferLike>();
let freeBytes = 0;

/** A buffer of exactly n bytes (n >= POOLED_MIN), reused when one is free. */
export function takeReadBuffer(n: number): Buffer {
  const cap = Math.ceil(n / STEP) * STEP;
  const ab = free.get(cap)?.pop();
  if (ab) {
    isFree.delete(ab);
    freeBytes -= cap;
    return Buffer.from(ab, 0, n);
  }
  const b = Buffer.allocUnsafeSlow(cap); // its own ArrayBuffer, not a slice of Node's pool
  made.set(b.buffer, cap);
  return b.subarray(0, n);
}

/**
 * Give back the memory behind `view` (any view into a buffer a read returned) for a later
 * read. The caller promises that nothing uses that memory any more.
 */
export function recycle(view: Uint8Array): void {
  const ab = view.buffer;
  const cap = made.get(ab);
  if (cap === undefined || isFree.has(ab) || freeBytes + cap > KEEP) return;
  isFree.add(ab);
  freeBytes += cap;
  const list = free.get(cap);
  if (list) list.push(ab);
  else free.set(cap, [ab]);
}

/** Bytes free in the pool (for tests). */
export function pooledFreeBytes(): number {
  return freeBytes;
}
