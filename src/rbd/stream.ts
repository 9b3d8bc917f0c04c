// Node streams over an image's bytes, with backpressure in both directions.
//
// Reads: a bounded read-ahead of chunks (default one stripe period: whole objects, so every
// read is one op per object), pushed in order; no new read starts while the consumer is
// behind (push() returned false), so memory is bounded by readAhead + 1 chunks.
// Writes: incoming bytes are gathered into chunks aligned to the stripe period (object-sized
// for the default layout) and at most `concurrency` chunks are in flight; the writable's
// callback waits while that many are out. Errors destroy the stream with the CephError.

import { setMaxListeners } from 'node:events';
import { Readable, Writable } from 'node:stream';
import { AbortError, bestEffort, cephError } from '../encoding/errno.js';
import { recycleReadBuffer, takeReadBuffer } from '../rados/ioctx.js';
import type { CallOptions } from '../rados/ioctx.js';
import type { Layout } from './layout.js';
import { mapExtent } from './striper.js';

/** What the streams need of an image (Image has it; so can an in-memory stand-in). */
export interface ImageStreamTarget {
  readonly name: string;
  /** the head's size (writes) */
  readonly size: number;
  /** the size at the open snapshot (reads) */
  readonly currentSize: number;
  readonly layout: Readonly<Layout>;
  read(offset: number, length: number, opts?: CallOptions): Promise<Buffer>;
  write(data: Buffer, offset: number, opts?: CallOptions): Promise<void>;
  resize(size: number, opts?: CallOptions): Promise<void>;
}

export interface ImageReadStreamOptions {
  /** first byte (default 0) */
  start?: number;
  /** bytes to read (default: to the end of the image) */
  length?: number;
  /** bytes per read (default: the stripe period, objectSize × stripeCount) */
  chunkSize?: number;
  /** reads in flight ahead of the consumer (default 4) */
  readAhead?: number;
  /** per-read timeout */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface ImageWriteStreamOptions {
  /** image offset of the first byte written (default 0) */
  start?: number;
  /** chunks in flight (default 8) */
  concurrency?: number;
  /** skip chunks that are all zeros (only right on a fresh image, as `rbd import` does) */
  skipZeroes?: boolean;
  /** grow the image when a write would pass its end (import of a source of unknown size) */
  grow?: boolean;
  /** per-write timeout */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** after each chunk lands: bytes consumed so far (written or skipped) */
  onChunk?: (bytesDone: number) => void;
  /**
   * the chunks written to the stream are pooled buffers (takeReadBuffer) handed over to it:
   * each goes back to the pool once its bytes are written (or copied), never before
   */
  recycleInput?: boolean;
}

/** Counters a caller (or a test) can read: what the stream did, not how long it took. */
export interface StreamStats {
  /** reads (or writes) issued */
  ops: number;
  /** highest number of ops in flight at once */
  maxInFlight: number;
  /** bytes transferred to or from the image */
  bytes: number;
  /** chunks skipped because they were all zeros (write stream) */
  skipped: number;
  /** data objects written to (write stream; an object hit by two chunks counts twice) */
  objects: number;
}

/** The stripe period: the smallest image range that covers whole objects. */
export function stripePeriod(l: Readonly<Layout>): number {
  return l.objectSize * l.stripeCount;
}

const ZEROS = new Map<number, Buffer>();

/** True if every byte of `b` is zero (memcmp against a shared zero buffer). */
export function isZero(b: Buffer): boolean {
  let z = ZEROS.get(b.length);
  if (!z) {
    if (ZEROS.size > 8) ZEROS.clear();
    z = Buffer.alloc(b.length);
    ZEROS.set(b.length, z);
  }
  return b.equals(z);
}

/** Destroy `stream` with an AbortError when `signal` aborts (listener dropped on close). */
function destroyOnAbort(stream: Readable | Writable, signal: AbortSignal, what: string): void {
  const onAbort = () => stream.destroy(new AbortError(what, signal.reason));
  if (signal.aborted) queueMicrotask(onAbort);
  else signal.addEventListener('abort', onAbort, { once: true });
  stream.once('close', () => signal.removeEventListener('abort', onAbort));
}

/** One AbortSignal for the caller's signal and the stream's own destroy(). */
function linked(own: AbortController, user?: AbortSignal): AbortSignal {
  const s = user ? AbortSignal.any([own.signal, user]) : own.signal;
  setMaxListeners(0, s); // every op in flight listens on it
  return s;
}

export class ImageReadStream extends Readable {
  readonly stats: StreamStats = { ops: 0, maxInFlight: 0, bytes: 0, skipped: 0, objects: 0 };
  private next: number;
  private readonly end: number;
  private readonly chunk: number;
  private readonly readAhead: number;
  private readonly pending: Array<Promise<Buffer>> = [];
  private pumping = false;
  private readonly abort = new AbortController();
  private readonly signal: AbortSignal;

  constructor(
    readonly image: ImageStreamTarget,
    readonly options: ImageReadStreamOptions = {},
  ) {
    // the internal buffer holds at most one chunk beyond what the consumer took
    super({ highWaterMark: 1 });
    const size = image.currentSize;
    const start = options.start ?? 0;
    const chunk = options.chunkSize ?? stripePeriod(image.layout);
    const readAhead = options.readAhead ?? 4;
    if (!Number.isSafeInteger(start) || start < 0 || (options.length !== undefined && (!Number.isSafeInteger(options.length) || options.length < 0))) {
      throw cephError('EINVAL', `bad range ${start}~${options.length}`, { op: 'read stream', image: image.name });
    }
    if (!Number.isSafeInteger(chunk) || chunk <= 0 || !Number.isInteger(readAhead) || readAhead < 1) {
      throw cephError('EINVAL', `bad chunkSize ${chunk} or readAhead ${readAhead}`, { op: 'read stream', image: image.name });
    }
    this.next = Math.min(start, size);
    this.end = Math.min(size, options.length === undefined ? size : start + options.length);
    this.chunk = chunk;
    this.readAhead = readAhead;
    this.signal = linked(this.abort, options.signal);
    if (options.signal) destroyOnAbort(this, options.signal, 'read stream');
  }

  /** Start reads up to the read-ahead bound; chunks end on chunk-size multiples (object-aligned). */
  private fill(): void {
    while (this.pending.length < this.readAhead && this.next < this.end) {
      const off = this.next;
      const len = Math.min(this.end, (Math.floor(off / this.chunk) + 1) * this.chunk) - off;
      this.next += len;
      const p = this.image.read(off, len, { timeoutMs: this.options.timeoutMs, signal: this.signal });
      p.catch(bestEffort); // observed by pump(); avoids an unhandled rejection after destroy
      this.pending.push(p);
      this.stats.ops++;
      this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.pending.length);
    }
  }

  override _read(): void {
    if (this.pumping) return;
    this.pumping = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      for (;;) {
        this.fill();
        const head = this.pending[0];
        if (!head) {
          this.push(null);
          return;
        }
        const buf = await head;
        this.pending.shift();
        if (this.destroyed) return;
        this.stats.bytes += buf.length;
        if (!this.push(buf)) return; // the consumer is behind: wait for the next _read()
      }
    } catch (e) {
      this.destroy(e instanceof Error ? e : new Error(String(e)));
    } finally {
      this.pumping = false;
    }
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    this.abort.abort(err ?? new AbortError('read stream'));
    this.pending.length = 0;
    cb(err);
  }
}

export class ImageWriteStream extends Writable {
  readonly stats: StreamStats = { ops: 0, maxInFlight: 0, bytes: 0, skipped: 0, objects: 0 };
  /** image offset of the next byte accepted */
  private pos: number;
  /** bytes consumed (written or skipped) whose ops completed */
  private done = 0;
  private readonly period: number;
  private readonly concurrency: number;
  private buf: Buffer | undefined;
  /** buf is this stream's (from the pooled buffers), not a caller's chunk */
  private bufOwned = false;
  private bufStart = 0;
  private bufLen = 0;
  private readonly inFlight = new Set<Promise<void>>();
  private failed: Error | undefined;
  private readonly signal: AbortSignal | undefined;
  private growing: Promise<void> | undefined;

  constructor(
    readonly image: ImageStreamTarget,
    readonly options: ImageWriteStreamOptions = {},
  ) {
    super({ highWaterMark: stripePeriod(image.layout) });
    this.pos = options.start ?? 0;
    this.period = stripePeriod(image.layout);
    this.concurrency = options.concurrency ?? 8;
    if (!Number.isSafeInteger(this.pos) || this.pos < 0) throw cephError('EINVAL', `bad start ${this.pos}`, { op: 'write stream', image: image.name });
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1)
      throw cephError('EINVAL', `bad concurrency ${this.concurrency}`, { op: 'write stream', image: image.name });
    this.signal = options.signal && AbortSignal.any([options.signal]);
    if (this.signal) setMaxListeners(0, this.signal); // every write in flight listens on it
    if (options.signal) destroyOnAbort(this, options.signal, 'write stream');
  }

  /** bytes accepted so far (the image offset reached is start + this) */
  get bytesAccepted(): number {
    return this.pos - (this.options.start ?? 0);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.accept(chunk).then(
      () => cb(),
      (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))),
    );
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, cb: (e?: Error | null) => void): void {
    (async () => {
      for (const c of chunks) await this.accept(c.chunk);
    })().then(
      () => cb(),
      (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))),
    );
  }

  override _final(cb: (e?: Error | null) => void): void {
    (async () => {
      if (this.bufLen > 0) await this.dispatch();
      while (this.inFlight.size) await Promise.all(this.inFlight);
      if (this.failed) throw this.failed;
    })().then(
      () => cb(),
      (e: unknown) => cb(e instanceof Error ? e : new Error(String(e))),
    );
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    // the ops already sent (at most `concurrency`) finish before the stream reports: aborting a
    // write midway could leave the image handle mid lock-acquire; the caller's signal still aborts them
    Promise.allSettled([...this.inFlight]).then(() => cb(err));
  }

  /** Copy `data` into period-aligned chunks, sending each full one. */
  private async accept(data: Buffer): Promise<void> {
    let at = 0;
    while (at < data.length) {
      if (this.failed) throw this.failed;
      if (!this.buf) {
        this.bufStart = this.pos;
        this.bufLen = 0;
      }
      // a chunk ends at the next period boundary, so it covers whole objects
      const room = (Math.floor(this.bufStart / this.period) + 1) * this.period - this.bufStart - this.bufLen;
      const n = Math.min(room, data.length - at);
      if (!this.buf && n === room && at === 0 && n === data.length) {
        // a whole aligned chunk arrived as is: no copy
        this.bufLen = n;
        this.buf = data;
        this.bufOwned = this.options.recycleInput ?? false;
      } else {
        if (!this.buf) {
          // pooled: page-aligned, its crc computed in place, reused once its write is acknowledged
          this.buf = takeReadBuffer(Math.min(this.period, (Math.floor(this.bufStart / this.period) + 1) * this.period - this.bufStart));
          this.bufOwned = true;
        }
        data.copy(this.buf, this.bufLen, at, at + n);
        this.bufLen += n;
        if (at + n === data.length && this.options.recycleInput) recycleReadBuffer(data); // copied out
      }
      at += n;
      this.pos += n;
      if (n === room) await this.dispatch();
    }
  }

  /** Send the gathered chunk (or skip it if all zeros); wait while `concurrency` are out. */
  private async dispatch(): Promise<void> {
    const data = this.buf!.subarray(0, this.bufLen);
    const owned = this.bufOwned;
    const off = this.bufStart;
    this.buf = undefined;
    this.bufLen = 0;
    if (this.options.skipZeroes && isZero(data)) {
      this.stats.skipped++;
      this.done += data.length;
      this.options.onChunk?.(this.done);
      if (owned) recycleReadBuffer(data); // never sent
      return;
    }
    while (this.inFlight.size >= this.concurrency) await Promise.race(this.inFlight);
    if (this.failed) throw this.failed;
    if (this.destroyed) throw new AbortError('write stream');
    if (off + data.length > this.image.size) {
      if (!this.options.grow) {
        throw cephError('EINVAL', `write ${off}~${data.length} beyond the image size ${this.image.size}`, { op: 'write stream', image: this.image.name });
      }
      // one resize at a time, growing by the size so far (16 periods .. 256 MiB): few header updates,
      // little to trim at the end
      while (off + data.length > this.image.size) {
        this.growing ??= this.image
          .resize(Math.max(off + data.length, this.image.size + Math.min(Math.max(this.image.size, 16 * this.period), 256 << 20)), {
            timeoutMs: this.options.timeoutMs,
            signal: this.signal,
          })
          .finally(() => (this.growing = undefined));
        await this.growing;
      }
    }
    if (this.destroyed) throw new AbortError('write stream');
    const p: Promise<void> = this.image
      .write(data, off, { timeoutMs: this.options.timeoutMs, signal: this.signal })
      .then(
        () => {
          this.stats.bytes += data.length;
          this.done += data.length;
          this.options.onChunk?.(this.done);
          // acknowledged: every byte was sent, the buffer can take other data (a failed write's
          // bytes may still sit in a socket queue: that buffer is left to the garbage collector)
          if (owned) recycleReadBuffer(data);
        },
        (e: unknown) => {
          this.failed ??= e instanceof Error ? e : new Error(String(e));
        },
      )
      .finally(() => this.inFlight.delete(p));
    this.inFlight.add(p);
    this.stats.ops++;
    this.stats.objects += mapExtent(this.image.layout, off, data.length).length;
    this.stats.maxInFlight = Math.max(this.stats.maxInFlight, this.inFlight.size);
  }
}
