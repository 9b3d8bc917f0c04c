// Exact-length reads over a socket's 'data' events, without copying when a read fits in
// the chunk at hand. Optionally records every byte read (the rxlog that AUTH_SIGNATURE
// signs).

import type { Socket } from 'node:net';

export class SocketReader {
  private chunks: Buffer[] = [];
  private head = 0; // offset into chunks[0]
  private buffered = 0;
  private waiter: { n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void } | undefined;
  private error: Error | undefined;
  /** when set, every byte returned by read() is appended here */
  log: Buffer[] | undefined;

  constructor(private readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => this.push(chunk));
  }

  private push(chunk: Buffer): void {
    if (this.error) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
    // flow control: stop reading from the kernel while nobody consumes
    if (this.buffered > 64 * 1024 * 1024 && !this.waiter) this.socket.pause();
    this.satisfy();
  }

  /** Fail the pending and all future reads. */
  fail(err: Error): void {
    if (this.error) return;
    this.error = err;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(err);
  }

  private satisfy(): void {
    const w = this.waiter;
    if (!w || this.buffered < w.n) return;
    this.waiter = undefined;
    w.resolve(this.take(w.n));
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
    if (this.log) this.log.push(Buffer.from(out));
    if (this.socket.isPaused() && this.buffered < 16 * 1024 * 1024) this.socket.resume();
    return out;
  }

  /** Resolves with exactly n bytes. One read at a time. */
  read(n: number): Promise<Buffer> {
    if (this.error) return Promise.reject(this.error);
    if (this.waiter) return Promise.reject(new Error('SocketReader: concurrent read'));
    if (n === 0) return Promise.resolve(Buffer.alloc(0));
    if (this.buffered >= n) return Promise.resolve(this.take(n));
    return new Promise((resolve, reject) => {
      this.waiter = { n, resolve, reject };
      if (this.socket.isPaused()) this.socket.resume();
    });
  }
}
