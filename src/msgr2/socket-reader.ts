// Exact-length reads from a socket that reads into buffers this reader chooses (net.connect's
// `onread`): normally one reused buffer, READ_BUFFER bytes at most per read, and no buffer
// allocated per read. A pending large read is assembled in the buffer it will return: the
// bytes already here are copied in, and the socket then reads straight into the part still
// missing (no copy at all for most of a multi-MiB data segment). Other bytes are copied out
// into chunks of their own, from which small reads are served without a further copy.
// Optionally records every byte read (the rxlog that AUTH_SIGNATURE signs).

import type { OnReadOpts, Socket } from 'node:net';

/** bytes the kernel may hand over per read */
export const READ_BUFFER = 1 << 20;
/** a pending read missing at least this many bytes has the socket read straight into it */
const DIRECT_MIN = 64 * 1024;

interface Waiter {
  n: number;
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
  /** the answer being filled straight from the read buffer */
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

  /** The pending large read's missing part when it is worth a read of its own, else the reused buffer. */
  private nextBuffer(): Uint8Array {
    const w = this.waiter;
    this.direct = w?.target && w.n - w.filled! >= DIRECT_MIN ? w.target.subarray(w.filled!, w.n) : undefined;
    return this.direct ?? this.readBuffer;
  }

  /** `n` bytes arrived straight in the pending read's buffer. */
  private landed(n: number): void {
    this.onBytes?.();
    this.direct = undefined;
    const w = this.waiter;
    if (this.error || n <= 0 || !w?.target) return;
    w.filled! += n;
    if (w.filled === w.n) {
      this.waiter = undefined;
      this.deliver(w, w.target);
    }
  }

  /** Take `n` bytes of `buf` (valid only during this call). */
  consume(buf: Buffer, n: number): void {
    this.onBytes?.();
    if (this.error || n <= 0) return;
    let at = 0;
    const w = this.waiter;
    if (w && !w.target && this.buffered + n < w.n && w.n - this.buffered > READ_BUFFER) {
      // a large read that this buffer does not complete: assemble it in place
      w.target = Buffer.allocUnsafe(w.n);
      w.filled = this.drainInto(w.target);
    }
    if (w?.target) {
      const k = Math.min(n, w.n - w.filled!);
      buf.copy(w.target, w.filled!, 0, k);
      w.filled! += k;
      at = k;
      if (w.filled === w.n) {
        this.waiter = undefined;
        this.deliver(w, w.target);
      }
    }
    if (at < n) {
      this.chunks.push(Buffer.from(buf.subarray(at, n)));
      this.buffered += n - at;
      // flow control: stop reading from the kernel while nobody consumes
      if (this.buffered > 64 * 1024 * 1024 && !this.waiter) this.pause();
      this.satisfy();
    }
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
    this.waiter = undefined;
    this.deliver(w, this.take(w.n));
  }

  private deliver(w: Waiter, out: Buffer): void {
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

  /** Resolves with exactly n bytes. One read at a time. */
  read(n: number): Promise<Buffer> {
    if (this.error) return Promise.reject(this.error);
    if (this.waiter) return Promise.reject(new Error('SocketReader: concurrent read'));
    if (n === 0) return Promise.resolve(Buffer.alloc(0));
    if (this.buffered >= n) {
      const out = this.take(n);
      if (this.log) this.log.push(Buffer.from(out));
      return Promise.resolve(out);
    }
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
      this.resume();
    });
  }
}
