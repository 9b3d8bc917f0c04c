// The RBD exclusive lock as librbd's ManagedLock / ExclusiveLock / ImageWatcher run it
// (rbd-layering.md §7.6-7.7): the cls lock `rbd_lock` on the header, EXCLUSIVE, cookie
// "auto <watch handle>", tag "internal"; a live holder is asked with REQUEST_LOCK and we
// wait for its RELEASED_LOCK; a dead holder (no header watch from its address with its
// handle) is blocklisted and its lock broken; we give the lock up when asked, after
// flushing, and announce ACQUIRED_LOCK / RELEASED_LOCK.

import { AbortError, CephError, errnoNumber, ignoring, TimeoutError } from '../encoding/errno.js';
import type { CallOptions, IoCtx, Watch } from '../rados/ioctx.js';
import { call } from './cls/exec.js';
import * as L from './cls/lock.js';
import { decodeNotifyMessage, decodeResponseMessage, encodeNotifyMessage, encodeResponseMessage, NotifyOp, type ClientId } from './watch-notify.js';

/** RBD_LOCK_NAME (include/rbd_types.h) */
export const RBD_LOCK_NAME = 'rbd_lock';
/** ManagedLock WATCHER_LOCK_TAG */
export const WATCHER_LOCK_TAG = 'internal';
const COOKIE_PREFIX = 'auto ';
/** librbd and the kernel notify with a 5 s timeout */
const NOTIFY_TIMEOUT_MS = 5000;
/** how long a requester waits for RELEASED_LOCK before asking again (librbd: client_notify_timeout) */
const REQUEST_RETRY_MS = 5000;
const DEFAULT_ACQUIRE_TIMEOUT_MS = 30_000;

/** managed_lock/Utils.cc encode_lock_cookie: "auto <handle>" */
export function lockCookie(handle: bigint): string {
  return `${COOKIE_PREFIX}${handle}`;
}

/** managed_lock/Utils.cc decode_lock_cookie: the handle, or undefined for a foreign cookie */
export function parseLockCookie(cookie: string): bigint | undefined {
  if (!cookie.startsWith(COOKIE_PREFIX)) return undefined;
  const n = cookie.slice(COOKIE_PREFIX.length);
  return /^\d+$/.test(n) ? BigInt(n) : undefined;
}

/** What the lock needs from its image. */
export interface ExclusiveLockHost {
  readonly io: IoCtx;
  readonly headerOid: string;
  readonly name: string;
  /** wait for the image's in-flight object ops */
  flush(): Promise<void>;
  /** true when no object op is in flight */
  idle(): boolean;
  /** the lock is ours: the header may have changed, cached object-map knowledge is stale */
  onAcquired(opts: CallOptions): Promise<void>;
  /** the lock is about to be given up (in-flight I/O done, the header still locked) */
  beforeRelease?(opts: CallOptions): Promise<void>;
  /** the lock is gone: stop trusting the head object map */
  onReleased(): void;
  /** a HEADER_UPDATE arrived (also recorded in `headerUpdated`) */
  onHeaderUpdate?(): void;
}

export interface ExclusiveLockOptions {
  /** rbd_blocklist_on_break_lock (default true) */
  blocklistOnBreakLock?: boolean;
  /** rbd_blocklist_expire_seconds (0 = the monitor's default) */
  blocklistExpireSeconds?: number;
}

export type LockState = 'unlocked' | 'acquiring' | 'locked' | 'releasing' | 'shutdown';

function lockError(errno: string, message: string, image: string, op = 'exclusive_lock'): CephError {
  return new CephError(errnoNumber(errno), message, { op, image });
}

/** Sleep `ms`, or until `wake` is called, the signal aborts, or `deadline` (epoch ms) passes. */
function pause(ms: number, deadline: number, signal: AbortSignal | undefined, register?: (wake: () => void) => () => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const wait = Math.max(0, Math.min(ms, deadline - Date.now()));
    let unregister = (): void => {};
    const done = (err?: CephError): void => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      unregister();
      if (err) reject(err);
      else resolve();
    };
    const onAbort = (): void => done(new AbortError('exclusive_lock', signal?.reason));
    const timer = setTimeout(() => done(), wait);
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
    if (register) unregister = register(() => done());
  });
}

export class ExclusiveLock {
  state: LockState = 'unlocked';
  /** the lock owner last announced by ACQUIRED_LOCK (undefined after RELEASED_LOCK) */
  owner: ClientId | undefined;
  /** a HEADER_UPDATE arrived since the image last refreshed (the image clears it) */
  headerUpdated = false;
  private watch: Watch | undefined;
  private watching: Promise<Watch> | undefined;
  private acquiring: Promise<void> | undefined;
  private releasing: Promise<void> | undefined;
  /** wakers of requesters waiting for a RELEASED_LOCK (or a lost watch) */
  private readonly wakers = new Set<() => void>();
  /** beforeWrite admissions, to let admitted writes reach the in-flight set before a release */
  private admissions = 0;
  /** ops admitted with acquireHeld() and not yet done: a release waits for them */
  private holds = 0;
  private readonly holdWaiters = new Set<() => void>();

  constructor(
    private readonly host: ExclusiveLockHost,
    private readonly opts: ExclusiveLockOptions = {},
  ) {}

  get isLockOwner(): boolean {
    return this.state === 'locked';
  }

  /** This client's ClientId (gid + header watch handle); undefined before the watch. */
  get clientId(): ClientId | undefined {
    return this.watch ? { gid: this.host.io.cluster.globalId, handle: this.watch.cookie } : undefined;
  }

  get cookie(): string | undefined {
    return this.watch ? lockCookie(this.watch.cookie) : undefined;
  }

  // ---- the header watch ------------------------------------------------------------------------

  /** Watch the header (lazily, once). */
  async ensureWatch(opts: CallOptions = {}): Promise<Watch> {
    if (this.state === 'shutdown') throw lockError('ESHUTDOWN', 'image is closed', this.host.name);
    if (this.watch) return this.watch;
    this.watching ??= this.host.io
      .watch(this.host.headerOid, { onNotify: (n) => this.handleNotify(n.payload), onError: (e) => this.watchLost(e) }, opts)
      .then(
        (w) => {
          this.watch = w;
          this.watching = undefined;
          return w;
        },
        (e: unknown) => {
          this.watching = undefined;
          throw e;
        },
      );
    return this.watching;
  }

  /** The watch could not be re-established: a lock taken with its handle is as good as lost. */
  private watchLost(_err: CephError): void {
    this.watch = undefined;
    if (this.state === 'locked') {
      this.state = 'unlocked';
      this.host.onReleased();
    }
    this.wake();
  }

  private wake(): void {
    for (const w of [...this.wakers]) w();
  }

  /** ImageWatcher::handle_payload: what we answer to each notify on the header. */
  private handleNotify(payload: Buffer): Buffer | undefined {
    let m;
    try {
      m = decodeNotifyMessage(payload);
    } catch {
      return undefined;
    }
    const me = this.clientId;
    const owner = this.state === 'locked' || this.state === 'releasing';
    switch (m.op) {
      case NotifyOp.HEADER_UPDATE:
        this.headerUpdated = true;
        this.host.onHeaderUpdate?.();
        return undefined;
      case NotifyOp.ACQUIRED_LOCK:
        if ('clientId' in m) this.owner = m.clientId;
        return undefined;
      case NotifyOp.RELEASED_LOCK:
        this.owner = undefined;
        this.wake();
        return undefined;
      case NotifyOp.REQUEST_LOCK: {
        if (!('clientId' in m)) return undefined;
        if (me && m.clientId.gid === me.gid && m.clientId.handle === me.handle) return undefined; // our own request
        if (!owner) return undefined;
        // librbd's automatic policy: accept, answer 0, then release once in-flight writes are done
        void this.release({ timeoutMs: DEFAULT_ACQUIRE_TIMEOUT_MS }).catch(() => undefined);
        return encodeResponseMessage(0);
      }
      case NotifyOp.ASYNC_PROGRESS:
      case NotifyOp.ASYNC_COMPLETE:
      case NotifyOp.QUIESCE:
      case NotifyOp.UNQUIESCE:
        // progress of others' requests; QUIESCE/UNQUIESCE come from the owner, whose snapshot
        // finds nothing of ours in flight (only an owner writes): a plain ack
        return undefined;
      default:
        // operations we do not run for others: the owner answers EOPNOTSUPP so the requester takes the lock itself
        return owner ? encodeResponseMessage(-errnoNumber('EOPNOTSUPP')) : undefined;
    }
  }

  // ---- acquire ---------------------------------------------------------------------------------

  /**
   * Own the lock (ask a live owner, break a dead one's), then return; the caller's op is
   * admitted. Fails with EROFS when the owner refuses to release, EBUSY for a lock that is
   * not librbd's (other tag or cookie, shared), ETIMEDOUT at the deadline.
   */
  async acquire(opts: CallOptions = {}): Promise<void> {
    const deadline = Date.now() + (opts.timeoutMs ?? DEFAULT_ACQUIRE_TIMEOUT_MS);
    for (;;) {
      if (this.state === 'shutdown') throw lockError('ESHUTDOWN', 'image is closed', this.host.name);
      if (opts.signal?.aborted) throw new AbortError('exclusive_lock', opts.signal.reason);
      if (this.state === 'locked') {
        this.admissions++;
        return;
      }
      if (this.releasing) {
        await this.bounded(this.releasing.catch(() => undefined), deadline, opts.signal);
        continue;
      }
      // one acquisition at a time; later callers wait for it within their own deadline and signal
      const mine = !this.acquiring;
      this.acquiring ??= this.tryAcquire(deadline, opts).finally(() => (this.acquiring = undefined));
      try {
        await (mine ? this.acquiring : this.bounded(this.acquiring, deadline, opts.signal));
      } catch (e) {
        // another caller's attempt ran out of its time or was aborted: ours goes on
        const theirs = !mine && e instanceof CephError && (e.code === 'ETIMEDOUT' || e.code === 'ECANCELED');
        if (!theirs || Date.now() >= deadline || opts.signal?.aborted) throw e;
      }
    }
  }

  /**
   * acquire() for an op whose end the caller reports (metadata changes: snapshots, resize):
   * a release requested meanwhile waits until the returned function is called.
   */
  async acquireHeld(opts: CallOptions = {}): Promise<() => void> {
    await this.acquire(opts);
    this.holds++;
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.holds--;
      if (this.holds === 0) for (const w of [...this.holdWaiters]) w();
    };
  }

  private async bounded<T>(p: Promise<T>, deadline: number, signal: AbortSignal | undefined): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const guard = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new TimeoutError('exclusive_lock acquire', Math.max(0, deadline - Date.now()), this.host.name)), Math.max(0, deadline - Date.now()));
      onAbort = () => reject(new AbortError('exclusive_lock', signal?.reason));
      if (signal?.aborted) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([p, guard]);
    } finally {
      clearTimeout(timer);
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    }
  }

  private remaining(deadline: number): number {
    const ms = deadline - Date.now();
    if (ms <= 0) throw new TimeoutError('exclusive_lock acquire', 0, this.host.name);
    return ms;
  }

  private callOpts(deadline: number, signal: AbortSignal | undefined): CallOptions {
    return { timeoutMs: Math.min(this.remaining(deadline), 30_000), ...(signal ? { signal } : {}) };
  }

  /** One acquisition: loops until the lock is ours (or fails). */
  private async tryAcquire(deadline: number, opts: CallOptions): Promise<void> {
    const io = this.host.io;
    const oid = this.host.headerOid;
    const signal = opts.signal;
    this.state = 'acquiring';
    try {
      for (;;) {
        const co = this.callOpts(deadline, signal);
        const watch = await this.ensureWatch(co);
        const cookie = lockCookie(watch.cookie);
        try {
          await call(io, oid, L.lock({ name: RBD_LOCK_NAME, type: L.LockType.EXCLUSIVE, cookie, tag: WATCHER_LOCK_TAG }), co);
        } catch (e) {
          // EEXIST: this very (client, cookie) holds it already
          if (!(e instanceof CephError) || (e.code !== 'EBUSY' && e.code !== 'EEXIST')) throw e;
          if (e.code === 'EBUSY') {
            await this.handleBusy(cookie, deadline, signal);
            continue;
          }
        }
        if (this.watch !== watch) continue; // the watch was lost meanwhile: the lock is tied to a dead handle
        this.state = 'locked';
        this.owner = this.clientId;
        // ExclusiveLock post-acquire: announce (librbd does not wait for the acks), then the image catches up
        void io.notify(oid, encodeNotifyMessage({ op: NotifyOp.ACQUIRED_LOCK, clientId: this.clientId! }), { timeoutMs: NOTIFY_TIMEOUT_MS }).catch(() => undefined);
        await this.host.onAcquired(this.callOpts(deadline, signal));
        return;
      }
    } catch (e) {
      if (this.state === 'acquiring') this.state = 'unlocked';
      throw e;
    }
  }

  /** The lock is held: find out by whom and what to do (GetLockerRequest, BreakRequest, REQUEST_LOCK). */
  private async handleBusy(ourCookie: string, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    const io = this.host.io;
    const oid = this.host.headerOid;
    const info = await call(io, oid, L.getInfo(RBD_LOCK_NAME), this.callOpts(deadline, signal));
    const locker = info.lockers[0];
    if (!locker) return; // released meanwhile: try again
    const handle = parseLockCookie(locker.cookie);
    if (info.type !== L.LockType.EXCLUSIVE || info.tag !== WATCHER_LOCK_TAG || handle === undefined || info.lockers.length > 1) {
      throw lockError('EBUSY', `image is locked by a non-librbd lock (cookie "${locker.cookie}", tag "${info.tag}", client.${locker.entity.num})`, this.host.name);
    }
    const me = this.host.io.cluster.globalId;
    if (locker.entity.num === me && locker.cookie === ourCookie) return; // ours after all (EEXIST path next time)
    const watchers = await io.listWatchers(oid, this.callOpts(deadline, signal));
    // BreakRequest: alive iff a watcher has the locker's address (legacy form, the OSD types them
    // differently: "v1:" in the lock, "any:" in the watch list) and the cookie's handle
    const alive = watchers.some((w) => L.legacyAddr(w.addr) === L.legacyAddr(locker.addr) && w.cookie === handle);
    if (!alive) {
      await this.breakDeadOwner(locker, deadline, signal);
      return;
    }
    await this.requestLock(locker, deadline, signal);
  }

  /** managed_lock/BreakRequest: the locker must be unchanged; blocklist it, then break_lock. */
  private async breakDeadOwner(locker: L.Locker, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    const io = this.host.io;
    const oid = this.host.headerOid;
    const again = await call(io, oid, L.getInfo(RBD_LOCK_NAME), this.callOpts(deadline, signal));
    const now = again.lockers[0];
    if (!now || now.cookie !== locker.cookie || now.entity.num !== locker.entity.num || now.addr !== locker.addr) return;
    if (this.opts.blocklistOnBreakLock ?? true) {
      if (locker.entity.num === io.cluster.globalId) throw lockError('EINVAL', 'refusing to blocklist ourselves', this.host.name);
      const cmd: Record<string, unknown> = { prefix: 'osd blocklist', blocklistop: 'add', addr: locker.addr };
      if (this.opts.blocklistExpireSeconds) cmd.expire = this.opts.blocklistExpireSeconds;
      const r = await io.cluster.monCommand(cmd, this.callOpts(deadline, signal));
      if (r.rc < 0) throw CephError.fromResult(r.rc, { op: 'osd blocklist add', target: locker.addr }, r.outs || undefined);
    }
    await call(io, oid, L.breakLock(RBD_LOCK_NAME, locker.entity, locker.cookie), this.callOpts(deadline, signal)).catch((e: unknown) => {
      if (!(e instanceof CephError && e.code === 'ENOENT')) throw e;
    });
  }

  /** ImageWatcher::notify_request_lock: ask the owner; 0 → wait for its RELEASED_LOCK, <0 → fail. */
  private async requestLock(locker: L.Locker, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    const me = this.clientId!;
    // listen before asking: the owner may release before our notify completes
    let released = false;
    let wakeWaiter: (() => void) | undefined;
    const onReleased = (): void => {
      released = true;
      wakeWaiter?.();
    };
    this.wakers.add(onReleased);
    try {
      let result: number | undefined;
      try {
        const notify = this.host.io.notify(this.host.headerOid, encodeNotifyMessage({ op: NotifyOp.REQUEST_LOCK, clientId: me, force: false }), {
          timeoutMs: Math.min(NOTIFY_TIMEOUT_MS, this.remaining(deadline)),
          ...(signal ? { signal } : {}),
        });
        const r = await this.bounded(notify, deadline, signal);
        // Notifier / ImageWatcher::prepare_response: exactly one non-empty reply is the owner's
        const replies = r.acks.filter((a) => a.payload.length > 0);
        if (replies.length === 1) result = decodeResponseMessage(replies[0]!.payload);
      } catch (e) {
        if (!(e instanceof CephError && e.code === 'ETIMEDOUT' && Date.now() < deadline)) throw e;
      }
      if (result !== undefined && result < 0) {
        if (result === -errnoNumber('EROFS')) {
          throw lockError('EROFS', `the lock owner client.${locker.entity.num} (${locker.addr}) refuses to release the exclusive lock`, this.host.name);
        }
        throw CephError.fromResult(result, { op: 'exclusive_lock request', image: this.host.name });
      }
      if (released) return;
      // 0: the owner will release, wait for its RELEASED_LOCK (then ask again if it never comes);
      // no answer: librbd treats the owner as possibly dead and re-checks shortly
      await pause(result === 0 ? REQUEST_RETRY_MS : 500, deadline, signal, (wake) => {
        wakeWaiter = wake;
        return () => (wakeWaiter = undefined);
      });
    } finally {
      this.wakers.delete(onReleased);
    }
  }

  // ---- release ---------------------------------------------------------------------------------

  /**
   * Give the lock up: stop admitting writes (they wait in acquire), let admitted writes finish
   * (flush), unlock, announce RELEASED_LOCK. A no-op when not the owner.
   */
  release(opts: CallOptions = {}): Promise<void> {
    if (this.releasing) return this.releasing;
    if (this.state !== 'locked' && !this.acquiring) return Promise.resolve();
    this.releasing = this.doRelease(opts).finally(() => {
      this.releasing = undefined;
    });
    return this.releasing;
  }

  private async doRelease(opts: CallOptions): Promise<void> {
    // a request that arrives while we are still acquiring: let the acquisition and the writes
    // waiting for it through first, else two clients could trade the lock without progress
    if (this.acquiring) await this.acquiring.catch(() => undefined);
    if (this.state !== 'locked') return;
    this.state = 'releasing';
    // held ops (acquireHeld) finish first
    while (this.holds > 0) await new Promise<void>((r) => this.holdWaiters.add(r)).finally(() => this.holdWaiters.clear());
    // quiesce: admitted writes reach the in-flight set within a turn of the event loop
    for (;;) {
      const seen = this.admissions;
      await new Promise((r) => setImmediate(r));
      await this.host.flush();
      await new Promise((r) => setImmediate(r));
      if (this.host.idle() && seen === this.admissions) break;
    }
    const cookie = this.cookie;
    await this.host.beforeRelease?.(opts).catch(() => undefined);
    this.host.onReleased();
    try {
      if (cookie) {
        await call(this.host.io, this.host.headerOid, L.unlock(RBD_LOCK_NAME, cookie), opts).catch(ignoring('ENOENT'));
      }
    } finally {
      if (this.state === 'releasing') this.state = 'unlocked';
      this.owner = undefined;
    }
    const me = this.clientId;
    if (me) {
      await this.host.io
        .notify(this.host.headerOid, encodeNotifyMessage({ op: NotifyOp.RELEASED_LOCK, clientId: me }), { timeoutMs: NOTIFY_TIMEOUT_MS })
        .catch(() => undefined);
    }
  }

  /** Release if held, stop watching; the lock object is unusable after. */
  async shutdown(opts: CallOptions = {}): Promise<void> {
    if (this.state === 'shutdown') return;
    if (this.acquiring) await this.acquiring.catch(() => undefined);
    await this.release(opts).catch(() => undefined);
    this.state = 'shutdown';
    this.wake();
    const w = this.watch ?? (this.watching ? await this.watching.catch(() => undefined) : undefined);
    this.watch = undefined;
    await w?.unwatch(opts).catch(() => undefined);
  }
}
