// A budget of ops and bytes in flight (objecter_inflight_ops, objecter_inflight_op_bytes).
// Waiters are served in order; a request larger than the whole byte budget is admitted
// alone, so it cannot wait forever.

import { AbortError, TimeoutError } from '../encoding/errno.js';

interface Waiter {
  bytes: number;
  resolve: () => void;
  reject: (e: Error) => void;
  cleanup: () => void;
}

export class Throttle {
  private ops = 0;
  private bytes = 0;
  private readonly queue: Waiter[] = [];

  constructor(
    readonly maxOps: number,
    readonly maxBytes: number,
  ) {}

  get inFlightOps(): number {
    return this.ops;
  }

  get inFlightBytes(): number {
    return this.bytes;
  }

  get waiting(): number {
    return this.queue.length;
  }

  private fits(bytes: number): boolean {
    if (this.ops >= this.maxOps) return false;
    return this.bytes === 0 || this.bytes + bytes <= this.maxBytes;
  }

  /** Take one op and `bytes`; resolves when they fit. */
  acquire(bytes: number, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    if (this.queue.length === 0 && this.fits(bytes)) {
      this.ops++;
      this.bytes += bytes;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      if (opts.signal?.aborted) return reject(new AbortError('throttle', opts.signal.reason));
      let timer: NodeJS.Timeout | undefined;
      const w: Waiter = {
        bytes,
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          opts.signal?.removeEventListener('abort', onAbort);
        },
      };
      const drop = (e: Error) => {
        const i = this.queue.indexOf(w);
        if (i >= 0) this.queue.splice(i, 1);
        w.cleanup();
        reject(e);
        this.pump();
      };
      const onAbort = () => drop(new AbortError('throttle', opts.signal?.reason));
      if (opts.timeoutMs !== undefined) timer = setTimeout(() => drop(new TimeoutError('throttle', opts.timeoutMs!)), opts.timeoutMs);
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(w);
    });
  }

  release(bytes: number): void {
    this.ops--;
    this.bytes -= bytes;
    this.pump();
  }

  private pump(): void {
    while (this.queue.length && this.fits(this.queue[0]!.bytes)) {
      const w = this.queue.shift()!;
      this.ops++;
      this.bytes += w.bytes;
      w.cleanup();
      w.resolve();
    }
  }
}
