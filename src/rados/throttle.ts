// A budget of ops and bytes in flight (objecter_inflight_ops, objecter_inflight_op_bytes).
// Waiters are served in order; a request larger than the whole byte budget is admitted
// alone, so it cannot wait forever.

import { waitFor, type WaitOptions } from '../common/wait.js';

interface Waiter {
  bytes: number;
  resolve: () => void;
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
  acquire(bytes: number, opts: WaitOptions = {}): Promise<void> {
    if (this.queue.length === 0 && this.fits(bytes)) {
      this.ops++;
      this.bytes += bytes;
      return Promise.resolve();
    }
    return waitFor<void>('throttle', opts, (resolve) => {
      const w: Waiter = { bytes, resolve };
      this.queue.push(w);
      return () => {
        // served waiters are off the queue already; one that gave up (deadline, abort)
        // leaves it, and the next in line may fit now
        const i = this.queue.indexOf(w);
        if (i < 0) return;
        this.queue.splice(i, 1);
        this.pump();
      };
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
      w.resolve();
    }
  }
}
