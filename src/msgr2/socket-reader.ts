// Exact-length reads from a socket that reads into buffers this reader chooses (net.connect's
// `onread`): normally one reused buffer, READ_BUFFER bytes at most per read, and no buffer
// allocated per read. A pending large read is assembled in the buffer it will return: the
// bytes already here are copied in, and the socket then reads straight into the part still
// missing (no copy at all for most of a multi-MiB data segment). Other bytes are copied out
// into chunks of their own, from which small reads are served without a further copy.
//
// readRecord() reads a header and then the body whose length the header gives, the second
// read set up synchronously as the header completes: the rest of the socket read that
// brought the header already goes to the body's own buffer, and the next socket read
// straight into it (a msgr2 frame: preamble, then segments and epilogue). readRecords()
// does that for record after record, each next header read set up as a body completes.
//
// Optionally records every byte read (the rxlog that AUTH_SIGNATURE signs).

import type { OnReadOpts, Socket } from 'node:net';
import { POOLED_MIN, takeReadBuffer } from './read-buffers.js';

/** bytes the kernel may hand over per read */
export const READ_BUFFER = 1 << 20;
/** a read missing at least this many bytes is assembled in its own buffer */
const DIRECT_MIN = 64 * 1024;
/** bytes read at most for a small read that follows a large one */
const HEADER_WINDOW = 4096;

interface Waiter {
  n: number;
  /** called synchronously with exactly n bytes */
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
  /** the answer being assembled in place */
  target?: Buffer;
  filled?: number;
}

export class SocketReader {
  private chunks: Buffer[] = [];
  private head = 0; // offset into chunks[0]
  private buffered = 0;
  private waiter: Waiter | undefined;
  private error: Error | undefined;
  private socket: Socket | undefined;
  private paused = false;
  /** when set, every byte returned by read() is appended here */
  log: Buffer[] | undefined;
  /** called on every read from the socket */
  onBytes: (() => void) | undefined;

  private readonly readBuffer = Buffer.allocUnsafe(READ_BUFFER);
  private readonly headerWindow = this.readBuffer.subarray(0, HEADER_WINDOW);
  /** the last read completed was assembled in a buffer of its own */
  private afterLarge = false;
  /** the part of a pending read's buffer handed to the socket for its next read */
  private direct: Buffer | undefined;

  /**
   * The `onread` option for net.connect: where the next read goes (asked after every read)
   * and the callback that takes what it brought.
   */
  readonly onread: OnReadOpts = {
    buffer: (): Uint8Array => this.nextBuffer(),
    callback: (nread: number, buf: Uint8Array): boolean => {
      if (buf === this.direct) this.landed(nread);
      else this.consume(buf as Buffer, nread);
      return !this.paused;
    },
  };

  /** The socket whose reads fill this reader (paused and resumed for flow control). */
  attach(socket: Socket): void {
    this.socket = socket;
  }

  /**
   * The pending read's missing part when it is worth a read of its own, else the reused
   * buffer: all of it, or less in a bulk stream, where the next header is likely followed by
   * another large body that should land in its own buffer rather than be copied there from
   * this one: the last bytes of a large read plus HEADER_WINDOW, or HEADER_WINDOW for a small
   * read right after a large one.
   */
  private nextBuffer(): Uint8Array {
    const w = this.waiter;
    if (w?.target) {
      const missing = w.n - w.filled!;
      if (missing >= DIRECT_MIN) return (this.direct = w.target.subarray(w.filled!, w.n));
      this.direct = undefined;
      return this.readBuffer.subarray(0, Math.min(READ_BUFFER, missing + HEADER_WINDOW));
    }
    this.direct = undefined;
    return this.afterLarge && w ? this.headerWindow : this.readBuffer;
  }

  /** `n` bytes arrived straight in the pending read's buffer. */
  private landed(n: number): void {
    this.onBytes?.();
    this.direct = undefined;
    const w = this.waiter;
    if (this.error || n <= 0 || !w?.target) return;
    w.filled! += n;
    if (w.filled === w.n) this.complete(w, w.target);
  }

  /** Take `n` bytes of `buf` (valid only during this call). */
  consume(buf: Buffer, n: number): void {
    this.onBytes?.();
    let at = 0;
    while (at < n && !this.error) {
      const w = this.waiter;
      if (w?.target) {
        const k = Math.min(n - at, w.n - w.filled!);
        buf.copy(w.target, w.filled!, at, at + k);
        w.filled! += k;
        at += k;
        if (w.filled === w.n) this.complete(w, w.target); // may set up the next read
        continue;
      }
      // a small read this buffer completes takes just its part; anything else is kept
      const k = w && this.buffered + (n - at) >= w.n ? w.n - this.buffered : n - at;
      this.chunks.push(Buffer.from(buf.subarray(at, at + k)));
      this.buffered += k;
      at += k;
      if (w) this.satisfy();
    }
    // flow control: stop reading from the kernel while nobody consumes
    if (this.buffered > 64 * 1024 * 1024 && !this.waiter) this.pause();
  }

  /** Fail the pending and all future reads. */
  fail(err: Error): void {
    if (this.error) return;
    this.error = err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  private pause(): void {
    this.paused = true;
    this.socket?.pause();
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket?.resume();
  }

  private satisfy(): void {
    const w = this.waiter;
    if (!w || this.buffered < w.n) return;
    this.complete(w, this.take(w.n));
  }

  private complete(w: Waiter, out: Buffer): void {
    this.waiter = undefined;
    this.afterLarge = w.target !== undefined;
    if (this.log) this.log.push(Buffer.from(out));
    w.resolve(out);
  }

  /** Move every buffered byte into `out` (from its start); returns the count. */
  private drainInto(out: Buffer): number {
    let filled = 0;
    for (const c of this.chunks) {
      const k = c.length - this.head;
      c.copy(out, filled, this.head);
      filled += k;
      this.head = 0;
    }
    this.chunks = [];
    this.buffered = 0;
    return filled;
  }

  private take(n: number): Buffer {
    let out: Buffer;
    const first = this.chunks[0];
    if (first && first.length - this.head >= n) {
      out = first.subarray(this.head, this.head + n);
      this.head += n;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
    } else {
      out = Buffer.allocUnsafe(n);
      let filled = 0;
      while (filled < n) {
        const c = this.chunks[0]!;
        const avail = c.length - this.head;
        const k = Math.min(avail, n - filled);
        c.copy(out, filled, this.head, this.head + k);
        filled += k;
        this.head += k;
        if (this.head === c.length) {
          this.chunks.shift();
          this.head = 0;
        }
      }
    }
    this.buffered -= n;
    if (this.buffered < 16 * 1024 * 1024) this.resume();
    return out;
  }

  /**
   * Ask for n bytes; `resolve` is called synchronously when they are here. A large read's
   * byte `alignAt` goes to a page boundary (takeReadBuffer).
   */
  private want(n: number, resolve: (b: Buffer) => void, reject: (e: Error) => void, alignAt = 0): void {
    if (this.error) return reject(this.error);
    if (this.waiter) return reject(new Error('SocketReader: concurrent read'));
    if (n === 0) return resolve(Buffer.alloc(0));
    const w: Waiter = { n, resolve, reject };
    if (this.buffered >= n) return this.complete(w, this.take(n));
    if (n - this.buffered >= DIRECT_MIN) {
      // large: assembled in place, what is here copied in now (bulk data in a reusable buffer)
      w.target = n >= POOLED_MIN ? takeReadBuffer(n, alignAt) : Buffer.allocUnsafe(n);
      w.filled = this.drainInto(w.target);
    }
    this.waiter = w;
    this.resume();
  }

  /** Resolves with exactly n bytes. One read at a time. */
  read(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => this.want(n, resolve, reject));
  }

  /**
   * Read records one after another until the reader fails: a header of first() bytes, then
   * the body of bodyLen(header) bytes, then onRecord(header, body), called synchronously as
   * the body completes so that the next header read is set up before the socket reads again
   * (no read lands where nobody waits). An error thrown by a callback, or the reader's
   * failure, goes to onError, and reading stops. bodyAlign(header), when given, names the
   * byte of a large body to receive at a page boundary.
   */
  readRecords(
    first: () => number,
    bodyLen: (header: Buffer) => number,
    onRecord: (header: Buffer, body: Buffer) => void,
    onError: (e: Error) => void,
    bodyAlign?: (header: Buffer) => number,
  ): void {
    let stopped = false;
    const stop = (e: unknown) => {
      if (stopped) return;
      stopped = true;
      onError(e instanceof Error ? e : new Error(String(e)));
    };
    const onHeader = (header: Buffer) => {
      let n: number;
      let alignAt: number;
      try {
        n = bodyLen(header);
        alignAt = n >= POOLED_MIN ? (bodyAlign?.(header) ?? 0) : 0; // only pooled bodies are placed
      } catch (e) {
        return stop(e);
      }
      this.want(
        n,
        (body) => {
          try {
            onRecord(header, body);
          } catch (e) {
            return stop(e);
          }
          next();
        },
        stop,
        alignAt,
      );
    };
    // records already here complete synchronously: loop rather than recurse
    let running = false;
    let again = false;
    const next = () => {
      if (stopped) return;
      if (running) {
        again = true;
        return;
      }
      running = true;
      do {
        again = false;
        this.want(first(), onHeader, stop);
      } while (again && !stopped);
      running = false;
    };
    next();
  }

  /**
   * Resolves with a header of `first` bytes and the body of `bodyLen(header)` bytes that
   * follows it; bodyLen runs as soon as the header is here (an error it throws rejects).
   */
  readRecord(first: number, bodyLen: (header: Buffer) => number): Promise<[Buffer, Buffer]> {
    return new Promise((resolve, reject) =>
      this.want(
        first,
        (header) => {
          let n: number;
          try {
            n = bodyLen(header);
          } catch (e) {
            reject(e instanceof Error ? e : new Error(String(e)));
            return;
          }
          this.want(n, (body) => resolve([header, body]), reject);
        },
        reject,
      ),
    );
  }
}
