// The RBD exclusive lock as librbd's ManagedLock / ExclusiveLock run it (src/librbd/ManagedLock.cc,
// managed_lock/{AcquireRequest,BreakRequest}.cc; docs/rbd-format.md §7.6): the cls lock `rbd_lock`
// on the header, EXCLUSIVE, cookie "auto <watch handle>", tag "internal"; a live holder is asked
// with REQUEST_LOCK (through the image watcher) and we wait for its RELEASED_LOCK; a dead holder
// (no header watch from its address with its handle) is blocklisted and its lock broken; we give
// the lock up when asked, after flushing, and announce ACQUIRED_LOCK / RELEASED_LOCK.

import { AbortError, bestEffort, cephError, CephError, errnoNumber, ignoring, isErrno, TimeoutError } from '../encoding/errno.js';
import { waitFor, withDeadline } from '../common/wait.js';
import type { CallOptions } from '../rados/ioctx.js';
import { call } from './cls/exec.js';
import * as L from './cls/lock.js';
import { RBD_LOCK_NAME } from './names.js';
import { NOTIFY_TIMEOUT_MS, type ImageWatcher } from './image-watcher.js';
import { decodeResponseMessage, encodeResponseMessage, NotifyOp, type ClientId, type NotifyMessage } from './watch-notify.js';

/** ManagedLock WATCHER_LOCK_TAG */
export const WATCHER_LOCK_TAG = 'internal';
const COOKIE_PREFIX = 'auto ';
/** how long a requester waits for RELEASED_LOCK before asking again (librbd: client_notify_timeout) */
const REQUEST_RETRY_MS = 5000;
const DEFAULT_ACQUIRE_TIMEOUT_MS = 30_000;
/** how long a holder that released on request leaves the requester to take the lock first */
const YIELD_MS = 50;

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
  /** the image's header watcher: the lock's cookie is its watch handle */
  readonly watcher: ImageWatcher;
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
  /** the lock was lost, not given up (the watch died: blocklisted, header gone) */
  onLost?(err: CephError): void;
}

export interface ExclusiveLockOptions {
  /** rbd_blocklist_on_break_lock (default true) */
  blocklistOnBreakLock?: boolean;
  /** rbd_blocklist_expire_seconds (0 = the monitor's default) */
  blocklistExpireSeconds?: number;
}

export type LockState = 'unlocked' | 'acquiring' | 'locked' | 'releasing' | 'shutdown';

/** Sleep `ms` (at most until `deadline`, epoch ms), or until `wake` is called; the signal aborts it. */
function pause(ms: number, deadline: number, signal: AbortSignal | undefined, register: (wake: () => void) => () => void): Promise<void> {
  return waitFor<void>('exclusive_lock', { signal }, (resolve) => {
    const timer = setTimeout(resolve, Math.max(0, Math.min(ms, deadline - Date.now())));
    const unregister = register(resolve);
    return () => {
      clearTimeout(timer);
      unregister();
    };
  });
}

export class ExclusiveLock {
  state: LockState = 'unlocked';
  /** the lock owner last announced by ACQUIRED_LOCK (undefined after RELEASED_LOCK) */
  owner: ClientId | undefined;
  private acquiring: Promise<void> | undefined;
  private releasing: Promise<void> | undefined;
  /** wakers of requesters waiting for a RELEASED_LOCK, an ACQUIRED_LOCK (a new owner to ask) or a lost watch */
  private readonly wakers = new Set<(released: boolean) => void>();
  /** lock requests in a row that no owner answered (the retry backs off) */
  private unanswered = 0;
  /** released for a requester: until then our next acquisition leaves it the first try */
  private yieldTo = 0;
  /** beforeWrite admissions, to let admitted writes reach the in-flight set before a release */
  private admissions = 0;
  /** ops admitted with acquireHeld() and not yet done: a release waits for them */
  private holds = 0;
  private readonly holdWaiters = new Set<() => void>();

  private readonly watcher: ImageWatcher;

  constructor(
    private readonly host: ExclusiveLockHost,
    private readonly opts: ExclusiveLockOptions = {},
  ) {
    this.watcher = host.watcher;
    this.watcher.setLockHandler({ handleNotify: (m) => this.handleNotify(m), watchLost: (e) => this.watchLost(e) });
  }

  get isLockOwner(): boolean {
    return this.state === 'locked';
  }

  /** This client's ClientId (gid + header watch handle); undefined before the watch. */
  get clientId(): ClientId | undefined {
    return this.watcher.clientId;
  }

  get cookie(): string | undefined {
    const w = this.watcher.current;
    return w ? lockCookie(w.cookie) : undefined;
  }

  // ---- notifies from the image watcher --------------------------------------------------------

  /** The watch could not be re-established: a lock taken with its handle is as good as lost. */
  private watchLost(err: CephError): void {
    if (this.state === 'locked' || this.state === 'releasing') {
      this.state = 'unlocked';
      this.owner = undefined;
      this.host.onReleased();
      this.host.onLost?.(err);
    }
    this.wake(false);
  }

  private wake(released: boolean): void {
    for (const w of [...this.wakers]) w(released);
  }

  /** ImageWatcher::handle_payload for lock messages and operation requests: our answer. */
  private handleNotify(m: NotifyMessage): Buffer | undefined {
    const me = this.clientId;
    const owner = this.state === 'locked' || this.state === 'releasing';
    switch (m.op) {
      case NotifyOp.ACQUIRED_LOCK:
        if ('clientId' in m) this.owner = m.clientId;
        // a requester that got no answer (the owner was still acquiring) asks the new owner now
        this.wake(false);
        return undefined;
      case NotifyOp.RELEASED_LOCK:
        this.owner = undefined;
        this.wake(true);
        return undefined;
      case NotifyOp.REQUEST_LOCK: {
        if (!('clientId' in m)) return undefined;
        if (me && m.clientId.gid === me.gid && m.clientId.handle === me.handle) return undefined; // our own request
        if (!owner) return undefined;
        // librbd's automatic policy: accept, answer 0, then release once in-flight writes are done
        this.yieldTo = Date.now() + YIELD_MS;
        void this.release({ timeoutMs: DEFAULT_ACQUIRE_TIMEOUT_MS }).catch(bestEffort);
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
      if (this.state === 'shutdown') throw cephError('ESHUTDOWN', 'image is closed', { op: 'exclusive_lock', image: this.host.name });
      if (opts.signal?.aborted) throw new AbortError('exclusive_lock', opts.signal.reason);
      if (this.state === 'locked') {
        this.admissions++;
        return;
      }
      if (this.releasing) {
        await this.bounded(this.releasing.catch(bestEffort), deadline, opts.signal);
        continue;
      }
      // one acquisition at a time; later callers wait for it within their own deadline and signal
      const mine = !this.acquiring;
      this.acquiring ??= this.tryAcquire(deadline, opts).finally(() => (this.acquiring = undefined));
      try {
        await (mine ? this.acquiring : this.bounded(this.acquiring, deadline, opts.signal));
      } catch (e) {
        // another caller's attempt ran out of its time or was aborted: ours goes on
        const theirs = !mine && isErrno(e, 'ETIMEDOUT', 'ECANCELED');
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

  private bounded<T>(p: Promise<T>, deadline: number, signal: AbortSignal | undefined): Promise<T> {
    return withDeadline(p, 'exclusive_lock acquire', { timeoutMs: Math.max(0, deadline - Date.now()), signal }, this.host.name);
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
    const io = this.watcher.io;
    const oid = this.watcher.headerOid;
    const signal = opts.signal;
    this.state = 'acquiring';
    try {
      // released because someone asked: let them take it before we ask back (librbd's releaser
      // loses the race by its GetLockerRequest round trip; without this, we would win every
      // race and a librbd writer would wait for a turn)
      if (this.yieldTo > Date.now()) {
        const until = Math.min(this.yieldTo, deadline);
        await pause(until - Date.now(), deadline, signal, (wake) => {
          const w = (released: boolean) => void (released || wake());
          this.wakers.add(w);
          return () => this.wakers.delete(w);
        });
      }
      this.yieldTo = 0;
      for (;;) {
        const co = this.callOpts(deadline, signal);
        const watch = await this.watcher.register(co);
        const cookie = lockCookie(watch.cookie);
        try {
          await call(io, oid, L.lock({ name: RBD_LOCK_NAME, type: L.LockType.EXCLUSIVE, cookie, tag: WATCHER_LOCK_TAG }), co);
        } catch (e) {
          // EEXIST: this very (client, cookie) holds it already
          if (!isErrno(e, 'EBUSY', 'EEXIST')) throw e;
          if (e.code === 'EBUSY') {
            await this.handleBusy(cookie, deadline, signal);
            continue;
          }
        }
        if (this.watcher.current !== watch) continue; // the watch was lost meanwhile: the lock is tied to a dead handle
        this.state = 'locked';
        this.owner = this.clientId;
        // ExclusiveLock post-acquire: announce (librbd does not wait for the acks), then the image catches up
        void this.watcher.send({ op: NotifyOp.ACQUIRED_LOCK, clientId: this.clientId! }).catch(bestEffort);
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
    const io = this.watcher.io;
    const oid = this.watcher.headerOid;
    // an owner that announced itself (ACQUIRED_LOCK, no RELEASED_LOCK since) is alive: ask it at
    // once, as librbd's requester does after its lock call fails, without looking the lock up;
    // if it does not answer, forget it and look (it may have died since)
    const announced = this.owner;
    const mine = this.clientId;
    if (announced && !(mine && announced.gid === mine.gid && announced.handle === mine.handle)) {
      if ((await this.requestLock(`client.${announced.gid}`, deadline, signal)) === 'unanswered') this.owner = undefined;
      return;
    }
    const info = await call(io, oid, L.getInfo(RBD_LOCK_NAME), this.callOpts(deadline, signal));
    const locker = info.lockers[0];
    if (!locker) return; // released meanwhile: try again
    const handle = parseLockCookie(locker.cookie);
    if (info.type !== L.LockType.EXCLUSIVE || info.tag !== WATCHER_LOCK_TAG || handle === undefined || info.lockers.length > 1) {
      throw cephError('EBUSY', `image is locked by a non-librbd lock (cookie "${locker.cookie}", tag "${info.tag}", client.${locker.entity.num})`, {
        op: 'exclusive_lock',
        image: this.host.name,
      });
    }
    const me = io.cluster.globalId;
    if (locker.entity.num === me && locker.cookie === ourCookie) return; // ours after all (EEXIST path next time)
    const watchers = await io.listWatchers(oid, this.callOpts(deadline, signal));
    // BreakRequest: alive iff a watcher has the locker's address (legacy form, the OSD types them
    // differently: "v1:" in the lock, "any:" in the watch list) and the cookie's handle
    const alive = watchers.some((w) => L.legacyAddr(w.addr) === L.legacyAddr(locker.addr) && w.cookie === handle);
    if (!alive) {
      await this.breakDeadOwner(locker, deadline, signal);
      return;
    }
    if ((await this.requestLock(`client.${locker.entity.num} (${locker.addr})`, deadline, signal)) === 'unanswered') this.owner = undefined;
  }

  /** managed_lock/BreakRequest: the locker must be unchanged; blocklist it, then break_lock. */
  private async breakDeadOwner(locker: L.Locker, deadline: number, signal: AbortSignal | undefined): Promise<void> {
    const io = this.watcher.io;
    const oid = this.watcher.headerOid;
    const again = await call(io, oid, L.getInfo(RBD_LOCK_NAME), this.callOpts(deadline, signal));
    const now = again.lockers[0];
    if (!now || now.cookie !== locker.cookie || now.entity.num !== locker.entity.num || now.addr !== locker.addr) return;
    if (this.opts.blocklistOnBreakLock ?? true) {
      if (locker.entity.num === io.cluster.globalId)
        throw cephError('EINVAL', 'refusing to blocklist ourselves', { op: 'exclusive_lock', image: this.host.name });
      const cmd: Record<string, unknown> = { prefix: 'osd blocklist', blocklistop: 'add', addr: locker.addr };
      if (this.opts.blocklistExpireSeconds) cmd.expire = this.opts.blocklistExpireSeconds;
      const r = await io.cluster.monCommand(cmd, this.callOpts(deadline, signal));
      if (r.rc < 0) throw CephError.fromResult(r.rc, { op: 'osd blocklist add', target: locker.addr }, r.outs || undefined);
    }
    await call(io, oid, L.breakLock(RBD_LOCK_NAME, locker.entity, locker.cookie), this.callOpts(deadline, signal)).catch(ignoring('ENOENT'));
  }

  /**
   * ImageWatcher::notify_request_lock: ask the owner (`owner` names it in errors); 0 → wait for
   * its RELEASED_LOCK, <0 → fail. 'unanswered' when no owner answered.
   */
  private async requestLock(owner: string, deadline: number, signal: AbortSignal | undefined): Promise<'answered' | 'unanswered'> {
    const me = this.clientId!;
    // listen before asking: the owner may release before our notify completes
    let released = false;
    let announced = false;
    let wakeWaiter: (() => void) | undefined;
    const onReleased = (r: boolean): void => {
      if (r) released = true;
      else announced = true;
      wakeWaiter?.();
    };
    this.wakers.add(onReleased);
    try {
      let result: number | undefined;
      try {
        const notify = this.watcher.send(
          { op: NotifyOp.REQUEST_LOCK, clientId: me, force: false },
          {
            timeoutMs: Math.min(NOTIFY_TIMEOUT_MS, this.remaining(deadline)),
            ...(signal ? { signal } : {}),
          },
        );
        const r = await this.bounded(notify, deadline, signal);
        // Notifier / ImageWatcher::prepare_response: exactly one non-empty reply is the owner's
        const replies = r.acks.filter((a) => a.payload.length > 0);
        if (replies.length === 1) result = decodeResponseMessage(replies[0]!.payload);
      } catch (e) {
        if (!(isErrno(e, 'ETIMEDOUT') && Date.now() < deadline)) throw e;
      }
      if (result !== undefined && result < 0) {
        if (result === -errnoNumber('EROFS')) {
          throw cephError('EROFS', `the lock owner ${owner} refuses to release the exclusive lock`, {
            op: 'exclusive_lock',
            image: this.host.name,
          });
        }
        throw CephError.fromResult(result, { op: 'exclusive_lock request', image: this.host.name });
      }
      const answer = result === undefined ? 'unanswered' : 'answered';
      this.unanswered = result === undefined ? this.unanswered + 1 : 0;
      if (released || (result === undefined && announced)) return answer;
      // 0: the owner will release, wait for its RELEASED_LOCK (then ask again if it never comes).
      // No answer: the owner is still between its lock call and owning (librbd answers only
      // once its post-acquire steps are done) or dead; librbd's requester retries at once
      // (handle_request_lock on ETIMEDOUT), we after 10 ms doubling to 500 ms, or on a lock message
      const retry = Math.min(500, 10 * 2 ** Math.min(this.unanswered - 1, 6));
      await pause(result === 0 ? REQUEST_RETRY_MS : retry, deadline, signal, (wake) => {
        wakeWaiter = wake;
        return () => (wakeWaiter = undefined);
      });
      return answer;
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
    if (this.acquiring) await this.acquiring.catch(bestEffort);
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
    await this.host.beforeRelease?.(opts).catch(bestEffort);
    this.host.onReleased();
    try {
      if (cookie) {
        await call(this.watcher.io, this.watcher.headerOid, L.unlock(RBD_LOCK_NAME, cookie), opts).catch(ignoring('ENOENT'));
      }
    } finally {
      if (this.state === 'releasing') this.state = 'unlocked';
      this.owner = undefined;
    }
    const me = this.clientId;
    if (me) {
      await this.watcher.send({ op: NotifyOp.RELEASED_LOCK, clientId: me }).catch(bestEffort);
    }
  }

  /** Release if held and stop answering lock messages; the lock object is unusable after. */
  async shutdown(opts: CallOptions = {}): Promise<void> {
    if (this.state === 'shutdown') return;
    if (this.acquiring) await this.acquiring.catch(bestEffort);
    await this.release(opts).catch(bestEffort);
    this.state = 'shutdown';
    this.wake(false);
    this.watcher.setLockHandler(undefined);
  }
}
