// Waiting with a deadline and an AbortSignal, written once: every wait in rbd-ts (a reply, a
// map epoch, a throttle slot, a lock owner's release) goes through waitFor, so each one ends
// with its result, a TimeoutError (ETIMEDOUT) or an AbortError (ECANCELED), and cleans up
// after itself whichever comes first.

import { AbortError, TimeoutError } from '../encoding/errno.js';

/** The two bounds every call that may wait accepts. */
export interface WaitOptions {
  /** give up after this many milliseconds (no bound when undefined) */
  timeoutMs?: number | undefined;
  /** give up when this aborts */
  signal?: AbortSignal | undefined;
}

/** What a wait was for, as its TimeoutError names it: fixed, or read when the time runs out. */
export type WaitTarget = string | (() => string);

/**
 * Wait for something `register` arranges: it receives resolve / reject and returns an
 * unregister function, which runs exactly once when the wait ends, however it ends.
 * `op` and `target` name the wait in the TimeoutError / AbortError.
 */
export function waitFor<T>(
  op: string,
  opts: WaitOptions,
  register: (resolve: (value: T) => void, reject: (err: unknown) => void) => (() => void) | void,
  target?: WaitTarget,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const { timeoutMs, signal } = opts;
    if (signal?.aborted) return reject(new AbortError(op, signal.reason));
    let settled = false;
    let unregister: (() => void) | void;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (): boolean => {
      if (settled) return false;
      settled = true;
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      unregister?.();
      return true;
    };
    const onAbort = (): void => {
      if (finish()) reject(new AbortError(op, signal?.reason));
    };
    if (timeoutMs !== undefined && Number.isFinite(timeoutMs)) {
      timer = setTimeout(
        () => {
          if (finish()) reject(new TimeoutError(op, timeoutMs, typeof target === 'function' ? target() : target));
        },
        Math.max(0, timeoutMs),
      );
    }
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      unregister = register(
        (v) => {
          if (finish()) resolve(v);
        },
        (e) => {
          if (finish()) reject(e);
        },
      );
    } catch (e) {
      if (finish()) reject(e);
      return;
    }
    // register may have settled synchronously: run its unregister now that we have it
    if (settled) unregister?.();
  });
}

/** `work`, bounded: its result, or a TimeoutError / AbortError if that comes first. */
export function withDeadline<T>(work: Promise<T>, op: string, opts: WaitOptions, target?: WaitTarget): Promise<T> {
  if (opts.timeoutMs === undefined && !opts.signal) return work;
  return waitFor<T>(op, opts, (resolve, reject) => void work.then(resolve, reject), target);
}

/** Sleep `ms`; rejects with an AbortError if the signal aborts first. */
export function sleep(ms: number, signal?: AbortSignal, op = 'sleep'): Promise<void> {
  return waitFor<void>(op, { signal }, (resolve) => {
    const t = setTimeout(resolve, ms);
    return () => clearTimeout(t);
  });
}

/** Milliseconds left before `deadline` (epoch ms), never negative; undefined stays unbounded. */
export function remaining(deadline: number | undefined): number | undefined {
  return deadline === undefined ? undefined : Math.max(0, deadline - Date.now());
}
