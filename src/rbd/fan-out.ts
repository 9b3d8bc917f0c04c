// One bounded fan-out for every batched loop over objects (image I/O, flatten, trim,
// rollback): at most the budget's ops and bytes in flight, each item tracked while it runs,
// no new item started after the first failure, which is thrown once all started ones settle.

import type { CallOptions } from '../rados/ioctx.js';
import { Throttle } from '../rados/throttle.js';

export interface FanOutOptions<T> extends CallOptions {
  /** bytes an item holds while in flight (counted against the budget; default 0) */
  bytes?: (item: T) => number;
  /** told of each item's promise while it runs (an image's flush() waits for them) */
  track?: (running: Promise<void>) => () => void;
}

export async function fanOut<T>(items: Iterable<T>, budget: Throttle, fn: (item: T) => Promise<void>, opts: FanOutOptions<T> = {}): Promise<void> {
  const runs: Promise<void>[] = [];
  let failed: unknown;
  let hasFailed = false;
  for (const item of items) {
    if (hasFailed) break;
    const n = opts.bytes?.(item) ?? 0;
    await budget.acquire(n, { timeoutMs: opts.timeoutMs, signal: opts.signal });
    let untrack: (() => void) | undefined;
    const p: Promise<void> = fn(item)
      .catch((e: unknown) => {
        if (!hasFailed) [failed, hasFailed] = [e, true];
      })
      .finally(() => {
        budget.release(n);
        untrack?.();
      });
    untrack = opts.track?.(p);
    runs.push(p);
  }
  await Promise.all(runs);
  if (hasFailed) throw failed;
}

/** A budget of `ops` items in flight, bytes unbounded (management loops: trim, rollback, flatten). */
export function opsBudget(ops: number): Throttle {
  return new Throttle(ops, Number.MAX_SAFE_INTEGER);
}
