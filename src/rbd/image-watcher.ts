// The image watcher (librbd ImageWatcher): one watch on rbd_header.<id> per open handle that
// writes, the notifies that arrive on it decoded in one place, and the notifies an image
// sends. HEADER_UPDATE goes to the header-update listeners (the image refreshes before its
// next op, as librbd's ImageState does); lock messages (ACQUIRED_LOCK, RELEASED_LOCK,
// REQUEST_LOCK) and the operations librbd asks a lock owner to run go to the exclusive lock,
// whose answer becomes the notify ack (a ResponseMessage).

import { bestEffort, cephError, ignoring, type CephError } from '../encoding/errno.js';
import type { CallOptions, IoCtx, Watch } from '../rados/ioctx.js';
import { decodeNotifyMessage, encodeNotifyMessage, HEADER_UPDATE_NOTIFY, NotifyOp, type ClientId, type NotifyMessage } from './watch-notify.js';

/** librbd and the kernel notify with a 5 s timeout */
export const NOTIFY_TIMEOUT_MS = 5000;

/** What the exclusive lock does with the notifies addressed to it. */
export interface LockNotifyHandler {
  /** a lock message or an operation request: the ack payload to send back, if any */
  handleNotify(m: NotifyMessage): Buffer | undefined;
  /** the watch is gone and could not be re-established (blocklisted, header removed, ...) */
  watchLost(err: CephError): void;
}

/**
 * HEADER_UPDATE to the watchers of an image's header (librbd clients holding it open refresh);
 * nobody watching (ENOENT, ETIMEDOUT of a dead watcher) is fine.
 */
export async function notifyHeaderUpdate(io: IoCtx, headerOid: string): Promise<void> {
  await io.notify(headerOid, HEADER_UPDATE_NOTIFY, { timeoutMs: NOTIFY_TIMEOUT_MS }).catch(ignoring('ETIMEDOUT', 'ENOENT'));
}

export class ImageWatcher {
  private watch: Watch | undefined;
  private watching: Promise<Watch> | undefined;
  private closed = false;
  private readonly headerListeners = new Set<() => void>();
  private lockHandler: LockNotifyHandler | undefined;

  constructor(
    readonly io: IoCtx,
    readonly headerOid: string,
    private readonly imageName: string,
  ) {}

  /** Watch the header (lazily, once; again after the watch was lost). */
  async register(opts: CallOptions = {}): Promise<Watch> {
    if (this.closed) throw cephError('ESHUTDOWN', 'image is closed', { op: 'watch', image: this.imageName });
    if (this.watch) return this.watch;
    this.watching ??= this.io.watch(this.headerOid, { onNotify: (n) => this.handlePayload(n.payload), onError: (e) => this.handleLost(e) }, opts).then(
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

  /** The live watch, if registered. */
  get current(): Watch | undefined {
    return this.watch;
  }

  /** This client's ClientId (gid + watch handle) while the watch is up. */
  get clientId(): ClientId | undefined {
    return this.watch ? { gid: this.io.cluster.globalId, handle: this.watch.cookie } : undefined;
  }

  /** Run `fn` on every HEADER_UPDATE; returns the unsubscribe function. */
  onHeaderUpdate(fn: () => void): () => void {
    this.headerListeners.add(fn);
    return () => this.headerListeners.delete(fn);
  }

  /** The exclusive lock takes the lock messages (one handler). */
  setLockHandler(h: LockNotifyHandler | undefined): void {
    this.lockHandler = h;
  }

  /** ImageWatcher::handle_payload: decode, dispatch, and the ack to send (if any). */
  handlePayload(payload: Buffer): Buffer | undefined {
    let m: NotifyMessage;
    try {
      m = decodeNotifyMessage(payload);
    } catch {
      return undefined; // not a message of ours: a plain ack
    }
    if (m.op === NotifyOp.HEADER_UPDATE) {
      for (const fn of [...this.headerListeners]) fn();
      return undefined;
    }
    return this.lockHandler?.handleNotify(m);
  }

  private handleLost(err: CephError): void {
    this.watch = undefined;
    this.lockHandler?.watchLost(err);
  }

  /** Send a lock message (ACQUIRED_LOCK, RELEASED_LOCK, REQUEST_LOCK); resolves with the notify's acks. */
  send(m: NotifyMessage, opts: CallOptions = {}) {
    return this.io.notify(this.headerOid, encodeNotifyMessage(m), { timeoutMs: NOTIFY_TIMEOUT_MS, ...opts });
  }

  /** HEADER_UPDATE to the other watchers. */
  notifyHeaderUpdate(): Promise<void> {
    return notifyHeaderUpdate(this.io, this.headerOid);
  }

  /** Stop watching; the watcher is unusable after. */
  async unregister(opts: CallOptions = {}): Promise<void> {
    this.closed = true;
    const w = this.watch ?? (this.watching ? await this.watching.catch(bestEffort) : undefined);
    this.watch = undefined;
    await w?.unwatch(opts).catch(bestEffort);
  }
}
