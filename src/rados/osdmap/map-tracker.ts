// OSDMapTracker: keeps the current OSDMap of a MonClient's cluster (Objecter::handle_osd_map,
// src/osdc/Objecter.cc; docs/osdmap-crush.md §5.3).
//
// - start(): asks for the latest full map (sub "osdmap" from 0, one-time); once a map is
//   held, keeps a continuous subscription from epoch + 1 (renewed with the current epoch
//   whenever the mon session changes, so a new mon resumes where we are).
// - Each MOSDMap: incrementals are applied in epoch order from current + 1; a full map is
//   used for an epoch that has no incremental; with no map yet the newest full map in the
//   message is the starting point. An epoch the message cannot supply (a gap, or a bad
//   incremental) makes it jump to the newest later full map in the message; failing
//   that, it asks for the latest full map (sub from 0, one-time): the mon remembers what
//   it sent this session and would skip those epochs if asked for them again. 'map' is
//   then emitted for the epoch jumped to, not for the skipped ones.
// - When the message says the sender has newer epochs than it carried (one-time replies
//   hold at most osd_map_message_max), the rest is asked for at once.
// - 'map' is emitted after every new epoch, in order.
// - Nothing here throws. A malformed message or a bad map: the previous map stays current,
//   an 'error' event is emitted (or the `log` option called when nobody listens for
//   'error') and a full map is requested (at most once per recoverIntervalMs). A message
//   for another fsid is reported the same way and otherwise ignored.

import { EventEmitter } from 'node:events';
import { cephError } from '../../encoding/errno.js';
import { waitFor, type WaitOptions } from '../../common/wait.js';
import type { Message } from '../../msgr2/message.js';
import type { MonClient } from '../../mon/mon-client.js';
import { SUBSCRIBE_ONETIME } from '../../mon/messages/mon-subscribe.js';
import { decodeMOSDMap, mosdmapRange, type MOSDMap } from './mosdmap.js';
import { OSDMap } from './osdmap.js';

export interface OSDMapTrackerEvents {
  /** a new current map (emitted once per epoch, in order) */
  map: [OSDMap];
  /** a map message that could not be used; the previous map is kept */
  error: [Error];
}

export interface OSDMapTrackerOptions {
  /** called with errors when no 'error' listener is attached (default: ignore) */
  log?: (msg: string, err?: unknown) => void;
  /** verify map CRCs (default true) */
  verifyCrc?: boolean;
  /** least time between two full-map requests made to recover from bad input (default 1000) */
  recoverIntervalMs?: number;
}

export type WaitOpts = WaitOptions;

const DEFAULT_WAIT_MS = 30_000;
const RECOVER_INTERVAL_MS = 1000;

interface Waiter {
  epoch: number;
  resolve: (m: OSDMap) => void;
  reject: (e: Error) => void;
}

/** The part of MonClient the tracker uses (a MonClient, or a test double). */
export type MonClientLike = Pick<MonClient, 'subscribe' | 'unsubscribe' | 'getVersion' | 'on' | 'off'> & { readonly fsid: string | undefined };

export class OSDMapTracker extends EventEmitter<OSDMapTrackerEvents> {
  private map: OSDMap | undefined;
  private waiters = new Set<Waiter>();
  private started = false;
  private stopped = false;
  /** what we last asked the mon for */
  private sub: { start: number; onetime: boolean } | undefined;
  /** the newest epoch any message said the sender has */
  private newestSeen = 0;
  private lastRecoverRequest = 0;
  private fullTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly monc: MonClientLike,
    readonly opts: OSDMapTrackerOptions = {},
  ) {
    super();
  }

  /** The current map, if any. */
  get current(): OSDMap | undefined {
    return this.map;
  }

  get epoch(): number {
    return this.map?.epoch ?? 0;
  }

  /** Start listening and ask for the latest full map. Idempotent. */
  start(): this {
    if (this.started || this.stopped) return this;
    this.started = true;
    this.monc.on('osdmap', this.onMessage);
    this.monc.on('session', this.onSession);
    this.requestFull(false);
    return this;
  }

  /** Detach from the MonClient; pending waits reject with ESHUTDOWN. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.fullTimer);
    this.fullTimer = undefined;
    this.monc.off('osdmap', this.onMessage);
    this.monc.off('session', this.onSession);
    this.monc.unsubscribe('osdmap');
    const err = cephError('ESHUTDOWN', 'osdmap tracker stopped', { op: 'wait_for_osdmap' });
    for (const w of [...this.waiters]) w.reject(err);
  }

  /** Ask the mon for anything newer than the current map (Objecter::maybe_request_map). */
  requestNewer(): void {
    if (this.stopped) return;
    if (!this.map) this.requestFull(false);
    else this.subscribeFrom(this.map.epoch + 1, false);
  }

  /** Resolves with the first map (or the current one). */
  waitForMap(opts: WaitOpts = {}): Promise<OSDMap> {
    return this.waitForEpoch(1, opts);
  }

  /** Resolves once the current map's epoch is ≥ `epoch`. */
  waitForEpoch(epoch: number, opts: WaitOpts = {}): Promise<OSDMap> {
    const op = 'wait_for_osdmap';
    if (this.map && this.map.epoch >= epoch) return Promise.resolve(this.map);
    if (this.stopped) return Promise.reject(cephError('ESHUTDOWN', 'osdmap tracker stopped', { op }));
    return waitFor<OSDMap>(
      op,
      { timeoutMs: opts.timeoutMs ?? DEFAULT_WAIT_MS, signal: opts.signal },
      (resolve, reject) => {
        const w: Waiter = { epoch, resolve, reject };
        this.waiters.add(w);
        return () => this.waiters.delete(w);
      },
      () => `osdmap e${epoch} (have e${this.epoch})`,
    );
  }

  /** Ask the mons for the latest epoch (MMonGetVersion) and wait until we have it. */
  async waitForLatest(opts: WaitOpts = {}): Promise<OSDMap> {
    const started = Date.now();
    const { version } = await this.monc.getVersion('osdmap', opts);
    if (this.epoch < version) this.requestNewer();
    const left = opts.timeoutMs === undefined ? undefined : Math.max(1, opts.timeoutMs - (Date.now() - started));
    return this.waitForEpoch(version, { ...opts, ...(left !== undefined ? { timeoutMs: left } : {}) });
  }

  /** Feed one MOSDMap (what the MonClient's 'osdmap' event carries). Never throws. */
  handleMessage(m: Message): void {
    this.onMessage(m);
  }

  // ---- internals -------------------------------------------------------------------

  private readonly onSession = (): void => {
    if (this.stopped) return;
    // the new mon knows nothing of our subscription: renew it where we are
    if (this.map) this.subscribeFrom(this.map.epoch + 1, false);
    else this.requestFull(false);
  };

  /**
   * Ask for the latest full map. Requests made to recover from bad input are spaced by
   * recoverIntervalMs, so a map we cannot use does not cause a request storm.
   */
  private requestFull(recover = true): void {
    if (this.stopped || this.fullTimer) return;
    const wait = recover ? this.lastRecoverRequest + (this.opts.recoverIntervalMs ?? RECOVER_INTERVAL_MS) - Date.now() : 0;
    if (wait > 0) {
      this.fullTimer = setTimeout(() => {
        this.fullTimer = undefined;
        this.requestFull(recover);
      }, wait);
      this.fullTimer.unref?.();
      return;
    }
    if (recover) this.lastRecoverRequest = Date.now();
    this.sub = { start: 0, onetime: true };
    this.monc.subscribe('osdmap', 0, SUBSCRIBE_ONETIME);
  }

  private subscribeFrom(start: number, onetime: boolean): void {
    this.sub = { start, onetime };
    this.monc.subscribe('osdmap', start, onetime ? SUBSCRIBE_ONETIME : 0);
  }

  private fail(err: unknown, what: string): void {
    const e = err instanceof Error ? err : new Error(String(err));
    if (this.listenerCount('error') > 0) {
      try {
        this.emit('error', e);
      } catch {
        // a throwing listener must not take the tracker down
      }
    } else {
      this.opts.log?.(`osdmap: ${what}: ${e.message}`, e);
    }
  }

  private readonly onMessage = (m: Message): void => {
    if (this.stopped) return;
    try {
      this.process(m);
    } catch (e) {
      // defensive: process() handles its own errors; nothing may escape into the MonClient
      this.fail(e, 'unexpected');
    }
  };

  private process(m: Message): void {
    let msg: MOSDMap;
    try {
      msg = decodeMOSDMap(m);
    } catch (e) {
      this.fail(e, 'malformed MOSDMap');
      this.requestFull();
      return;
    }
    const fsid = this.monc.fsid ?? this.map?.fsid;
    if (fsid && msg.fsid !== fsid) {
      this.fail(cephError('EINVAL', `MOSDMap for fsid ${msg.fsid}, cluster is ${fsid}`, { op: 'handle_osd_map' }), 'foreign map');
      return;
    }
    if (msg.newest > this.newestSeen) this.newestSeen = msg.newest;
    const { last } = mosdmapRange(msg);
    if (last === 0 || (this.map && last <= this.map.epoch)) return;

    const verifyCrc = this.opts.verifyCrc ?? true;
    let cur = this.map;
    if (!cur) {
      // start from the newest full map in the message
      const fulls = [...msg.maps.keys()].sort((a, b) => b - a);
      for (const e of fulls) {
        cur = this.decodeFull(msg.maps.get(e)!, e, verifyCrc);
        if (cur) break;
      }
      if (!cur) {
        this.requestFull();
        return;
      }
      this.adopt(cur);
    }
    for (let e = cur.epoch + 1; e <= last; e = cur.epoch + 1) {
      const inc = msg.incrementals.get(e);
      const full = msg.maps.get(e);
      let next: OSDMap | undefined;
      if (inc) {
        try {
          next = cur.applyIncremental(inc, { verifyCrc });
        } catch (err) {
          this.fail(err, `incremental e${e}`);
        }
      }
      if (!next && full) next = this.decodeFull(full, e, verifyCrc);
      if (!next) {
        // e is missing (a gap) or unusable: jump to the newest later full map the
        // message has, if any (the epochs in between are skipped)
        for (const later of [...msg.maps.keys()].filter((x) => x > e).sort((a, b) => b - a)) {
          next = this.decodeFull(msg.maps.get(later)!, later, verifyCrc);
          if (next) break;
        }
      }
      if (!next) {
        // The mon remembers per session the newest epoch it sent (MonSession::osd_epoch)
        // and would not send e again if asked from e: start over from the latest full map.
        if (!inc && !full) {
          this.fail(cephError('EAGAIN', `MOSDMap skips from e${cur.epoch} to e${mosdmapRange(msg).first}`, { op: 'handle_osd_map' }), 'gap');
        }
        this.requestFull();
        return;
      }
      cur = next;
      this.adopt(cur);
    }
    // keep a continuous subscription going from where we are; and when the sender has
    // newer epochs than this message carried (a one-time reply holds at most
    // osd_map_message_max of them), ask for the rest now
    if (!this.sub || this.sub.onetime || this.newestSeen > cur.epoch) this.subscribeFrom(cur.epoch + 1, false);
  }

  private decodeFull(buf: Buffer, epoch: number, verifyCrc: boolean): OSDMap | undefined {
    try {
      const m = OSDMap.decode(buf, { verifyCrc });
      if (m.epoch !== epoch) throw cephError('EINVAL', `full map sent as epoch ${epoch} says epoch ${m.epoch}`, { op: 'handle_osd_map' });
      return m;
    } catch (err) {
      this.fail(err, `full map e${epoch}`);
      return undefined;
    }
  }

  private adopt(map: OSDMap): void {
    this.map = map;
    for (const w of [...this.waiters]) {
      if (map.epoch >= w.epoch) w.resolve(map);
    }
    try {
      this.emit('map', map);
    } catch (e) {
      this.fail(e, "a 'map' listener threw");
    }
  }
}
