// MonClient: finds a live mon (hunting across every known address, a few in parallel),
// authenticates with cephx, keeps the session alive (KEEPALIVE2), renews tickets,
// keeps subscriptions (monmap, osdmap, ...) and runs commands. When its mon dies it
// hunts again and resends what was unanswered; callers see no error unless every mon
// stays unreachable past their timeout.

import { EventEmitter } from 'node:events';
import { hostname as osHostname } from 'node:os';
import { randomInt } from 'node:crypto';
import type { CephxClient } from '../auth/cephx.js';
import { AbortError, CephError, TimeoutError, cephError, ignoring, isErrno } from '../encoding/errno.js';
import { sleep, waitFor, type WaitOptions } from '../common/wait.js';
import { AddrType, EntityType, addrToString, type EntityAddr } from '../encoding/types.js';
import { AuthMethod, ConMode, modeName } from '../msgr2/auth-handler.js';
import { Connection } from '../msgr2/connection.js';
import { MsgType } from '../msgr2/msg-types.js';
import { Priority, type Message, type OutMessage } from '../msgr2/message.js';
import { decodeMAuthReply, encodeMAuth } from './messages/auth.js';
import { decodeMonCommandAck, encodeMonCommand } from './messages/mon-command.js';
import { decodeMonGetVersionReply, encodeMonGetVersion } from './messages/mon-get-version.js';
import { decodeMPoolOpReply, encodeMPoolOp, type MPoolOpReply } from './messages/pool-op.js';
import { SUBSCRIBE_ONETIME, encodeMonSubscribe, type SubscribeItem } from './messages/mon-subscribe.js';
import { decodeMMonMap, monV2Addr, type MonMap } from './monmap.js';

export interface MonClientOptions {
  /** initial mon addresses (v2), from mon_host; replaced by the monmap once known */
  monAddrs: EntityAddr[];
  cephx: CephxClient;
  /** ms_mon_client_mode, as CEPH_CON_MODE_* in order of preference */
  modes: readonly number[];
  /** this process's messenger nonce */
  myNonce: number;
  nextGlobalSeq: () => bigint;
  /** per-connection handshake timeout (ms_connection_ready_timeout) */
  connectTimeoutMs?: number;
  /** mon_client_hunt_interval: how long one hunting round waits */
  huntIntervalMs?: number;
  /** mon_client_hunt_parallel */
  huntParallel?: number;
  /** mon_client_ping_interval / mon_client_ping_timeout */
  pingIntervalMs?: number;
  pingTimeoutMs?: number;
  /** ms_inject_socket_failures (0: off) */
  injectSocketFailures?: number;
}

export interface MonCommandResult {
  rc: number;
  outs: string;
  outbl: Buffer;
}

export type { WaitOptions };

interface Pending<T> {
  msg: () => OutMessage;
  resolve: (v: T) => void;
  reject: (e: Error) => void;
}

export interface MonClientEvents {
  monmap: [MonMap];
  /** raw MOSDMap messages, for the OSDMap layer to decode */
  osdmap: [Message];
  /** any other message from the mon */
  message: [Message];
  /** every message received, before it is handled (tracing, fixture capture) */
  rx: [Message];
  /** a session to a mon is ready (first or after hunting) */
  session: [{ mon: string; addr: EntityAddr; conMode: number }];
}

const DEFAULT_COMMAND_TIMEOUT = 30_000;

export class MonClient extends EventEmitter<MonClientEvents> {
  private con: Connection | undefined;
  private monName = '';
  monmap: MonMap | undefined;
  private readonly subs = new Map<string, SubscribeItem>();
  private readonly commands = new Map<bigint, Pending<MonCommandResult>>();
  private readonly versions = new Map<bigint, Pending<{ version: number; oldestVersion: number }>>();
  private readonly poolOps = new Map<bigint, Pending<MPoolOpReply>>();
  private lastTid = 0n;
  private lastHandle = 0n;
  private hunting: Promise<void> | undefined;
  private stopped = false;
  private pingTimer: NodeJS.Timeout | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private renewInFlight = false;
  private readonly hostname = osHostname();
  private monmapWaiters: Array<() => void> = [];

  constructor(readonly opts: MonClientOptions) {
    super();
  }

  /** The mon this client is talking to, and how. */
  get session(): { mon: string; addr: EntityAddr; conMode: number; connectedAt: number } | undefined {
    if (!this.con || this.con.isClosed) return undefined;
    return { mon: this.monName, addr: this.con.opts.peer, conMode: this.con.conMode, connectedAt: this.con.connectedAt };
  }

  get globalId(): bigint {
    return this.opts.cephx.globalId;
  }

  get fsid(): string | undefined {
    return this.monmap?.fsid;
  }

  /**
   * Hunt for a mon, authenticate, and wait for the monmap. Rejects with the
   * authentication error at once (EACCES), or with ETIMEDOUT when no mon answers.
   */
  async connect(opts: WaitOptions = {}): Promise<void> {
    const timeoutMs = opts.timeoutMs ?? 30_000;
    this.subs.set('monmap', { start: 0, flags: 0 });
    await this.bounded('connect', timeoutMs, opts.signal, async (signal) => {
      await this.hunt(signal);
      if (!this.monmap) {
        await waitFor<void>('connect', { signal }, (resolve) => {
          this.monmapWaiters.push(resolve);
          return () => (this.monmapWaiters = this.monmapWaiters.filter((w) => w !== resolve));
        });
      }
    });
    this.schedulePing();
  }

  /**
   * `fn` bounded by a deadline and the caller's signal. The signal `fn` gets stops its work
   * (the hunt) once the wait gives up: aborted with the TimeoutError, or with the caller's
   * reason.
   */
  private async bounded<T>(op: string, timeoutMs: number, signal: AbortSignal | undefined, fn: (s: AbortSignal) => Promise<T>): Promise<T> {
    const ac = new AbortController();
    try {
      return await waitFor<T>(
        op,
        { timeoutMs, signal },
        (resolve, reject) => void fn(ac.signal).then(resolve, reject),
        () => this.targetsDescription(),
      );
    } catch (e) {
      if (e instanceof TimeoutError) ac.abort(e);
      else if (signal?.aborted) ac.abort(signal.reason);
      throw e;
    }
  }

  private targetsDescription(): string {
    return this.huntTargets()
      .map((t) => addrToString(t.addr))
      .join(',');
  }

  private huntTargets(): Array<{ name: string; addr: EntityAddr }> {
    if (this.monmap) {
      const out: Array<{ name: string; addr: EntityAddr }> = [];
      for (const name of this.monmap.ranks) {
        const info = this.monmap.mons.get(name);
        const a = info && monV2Addr(info);
        if (a) out.push({ name, addr: a });
      }
      if (out.length) return out;
    }
    return this.opts.monAddrs.filter((a) => a.type === AddrType.MSGR2).map((addr, i) => ({ name: `mon${i}`, addr }));
  }

  /** One hunt at a time; everyone waits on the same one. */
  private hunt(signal?: AbortSignal): Promise<void> {
    if (!this.hunting) {
      this.hunting = this.doHunt(signal).finally(() => {
        this.hunting = undefined;
      });
    }
    return this.hunting;
  }

  private async doHunt(signal?: AbortSignal): Promise<void> {
    const targets = this.huntTargets();
    if (targets.length === 0) throw cephError('EINVAL', 'no msgr2 monitor addresses to connect to', { op: 'connect' });
    let lastError: Error | undefined;
    let round = 0;
    while (!this.stopped) {
      if (signal?.aborted) throw abortError('connect', signal.reason);
      // try a few mons at once, starting at a random one; first ready session wins
      const parallel = Math.min(this.opts.huntParallel ?? 3, targets.length);
      const start = randomInt(targets.length);
      const batch = Array.from({ length: parallel }, (_, i) => targets[(start + i) % targets.length]!);
      try {
        const { con, name } = await this.firstReady(batch, signal);
        this.adopt(con, name);
        return;
      } catch (e) {
        lastError = e as Error;
        if (isErrno(e, 'EACCES', 'ECANCELED')) throw e;
      }
      round++;
      const backoff = Math.min(this.opts.huntIntervalMs ?? 3000, 200 * 2 ** Math.min(round, 4));
      // an abort ends the backoff early; the loop's check reports it
      await sleep(backoff, signal).catch(ignoring('ECANCELED'));
    }
    throw lastError ?? cephError('ESHUTDOWN', 'mon client shut down', { op: 'connect' });
  }

  private firstReady(batch: Array<{ name: string; addr: EntityAddr }>, signal?: AbortSignal): Promise<{ con: Connection; name: string }> {
    return new Promise((resolve, reject) => {
      let pending = batch.length;
      let won = false;
      const errors: Error[] = [];
      for (const t of batch) {
        const auth = this.opts.cephx.monHandler();
        const attempt = Connection.open({
          peer: t.addr,
          peerType: EntityType.MON,
          auth,
          modes: this.opts.modes,
          myNonce: this.opts.myNonce,
          globalSeq: this.opts.nextGlobalSeq(),
          gid: -1n,
          timeoutMs: this.opts.connectTimeoutMs ?? 10_000,
          injectSocketFailures: this.opts.injectSocketFailures ?? 0,
          ...(signal ? { signal } : {}),
        });
        attempt.then(
          (con) => {
            if (won || this.stopped) {
              con.close();
            } else {
              won = true;
              auth.commit();
              resolve({ con, name: t.name });
            }
            if (--pending === 0 && !won) reject(pickError(errors));
          },
          (e: Error) => {
            errors.push(e);
            if (--pending === 0 && !won) reject(pickError(errors));
          },
        );
      }
    });
  }

  private adopt(con: Connection, name: string): void {
    this.con = con;
    this.monName = name;
    con.on('message', (m) => this.handle(m));
    con.on('close', (err) => this.onSessionClosed(con, err));
    this.emit('session', { mon: name, addr: con.opts.peer, conMode: con.conMode });
    // (re)establish subscriptions and resend what is unanswered
    this.sendSubscribe();
    for (const p of this.commands.values()) this.trySend(p.msg());
    for (const p of this.versions.values()) this.trySend(p.msg());
    for (const p of this.poolOps.values()) this.trySend(p.msg());
    this.scheduleRenewal();
  }

  private onSessionClosed(con: Connection, _err: Error | undefined): void {
    if (this.con !== con) return;
    this.con = undefined;
    if (this.stopped) return;
    this.hunt().catch(() => {
      // the waiters' own deadlines report the failure; keep trying in the background
      if (!this.stopped) setTimeout(() => this.reconnectSoon(), 1000).unref();
    });
  }

  private reconnectSoon(): void {
    if (this.stopped || this.con || this.hunting) return;
    this.hunt().catch(() => {
      if (!this.stopped) setTimeout(() => this.reconnectSoon(), 2000).unref();
    });
  }

  private trySend(m: OutMessage): boolean {
    const con = this.con;
    if (!con || con.isClosed) return false;
    try {
      con.send({ priority: Priority.DEFAULT, ...m });
      return true;
    } catch {
      return false;
    }
  }

  private sendSubscribe(): void {
    if (this.subs.size === 0) return;
    this.trySend(encodeMonSubscribe(this.subs, this.hostname));
    // one-time subscriptions are satisfied by the next map; don't repeat them
    for (const [k, v] of this.subs) if (v.flags & SUBSCRIBE_ONETIME) this.subs.delete(k);
  }

  /**
   * Subscribe to a map ("osdmap", "monmap", "config", "mgrmap"). start 0 asks for the
   * latest full map; epoch e+1 for incrementals after e. Without ONETIME the mon keeps
   * sending new maps as they are committed.
   */
  subscribe(what: string, start = 0, flags = 0): void {
    this.subs.set(what, { start, flags });
    this.trySend(encodeMonSubscribe(new Map([[what, { start, flags }]]), this.hostname));
    if (flags & SUBSCRIBE_ONETIME) this.subs.delete(what);
  }

  unsubscribe(what: string): void {
    this.subs.delete(what);
  }

  private handle(m: Message): void {
    this.emit('rx', m);
    try {
      switch (m.header.type) {
        case MsgType.MON_MAP: {
          const map = decodeMMonMap(m);
          this.monmap = map;
          const waiters = this.monmapWaiters;
          this.monmapWaiters = [];
          for (const w of waiters) w();
          this.emit('monmap', map);
          // keep the monmap subscription moving forward
          if (this.subs.has('monmap')) this.subs.set('monmap', { start: map.epoch + 1, flags: 0 });
          return;
        }
        case MsgType.OSD_MAP:
          this.emit('osdmap', m);
          return;
        case MsgType.MON_COMMAND_ACK: {
          const ack = decodeMonCommandAck(m);
          this.commands.get(ack.tid)?.resolve({ rc: ack.r, outs: ack.rs, outbl: Buffer.from(ack.outbl) });
          return;
        }
        case MsgType.MON_GET_VERSION_REPLY: {
          const r = decodeMonGetVersionReply(m);
          this.versions.get(r.handle)?.resolve({ version: r.version, oldestVersion: r.oldestVersion });
          return;
        }
        case MsgType.POOLOP_REPLY: {
          const r = decodeMPoolOpReply(m);
          this.poolOps.get(r.tid)?.resolve(r);
          return;
        }
        case MsgType.AUTH_REPLY: {
          this.renewInFlight = false;
          const r = decodeMAuthReply(m);
          if (r.result === 0) this.opts.cephx.handleRenewReply(r.resultBl);
          this.scheduleRenewal();
          return;
        }
        default:
          this.emit('message', m);
      }
    } catch (e) {
      // a malformed message faults the session (lossy): hunt and resend
      this.con?.close(e as Error);
    }
  }

  private track<T>(map: Map<bigint, Pending<T>>, key: bigint, msg: () => OutMessage, op: string, opts: WaitOptions): Promise<T> {
    if (this.stopped) return Promise.reject(cephError('ESHUTDOWN', 'mon client is shut down', { op }));
    return waitFor<T>(
      op,
      { timeoutMs: opts.timeoutMs ?? DEFAULT_COMMAND_TIMEOUT, signal: opts.signal },
      (resolve, reject) => {
        const first = msg(); // may throw: before anything is registered
        map.set(key, { msg, resolve, reject });
        if (!this.trySend(first) && !this.hunting && !this.stopped) this.reconnectSoon();
        return () => map.delete(key);
      },
      () => this.monName || this.targetsDescription(),
    );
  }

  /**
   * Run a mon command: JSON in, {rc, outs, outbl} out (rc is 0 or a negative errno, as
   * librados returns it). Resent to the next mon if the session drops.
   */
  async command(cmd: object | string, opts: WaitOptions & { inbuf?: Buffer } = {}): Promise<MonCommandResult> {
    const fsid = this.fsid;
    if (!fsid) throw cephError('ENOTCONN', 'not connected to a mon', { op: 'mon_command' });
    const json = typeof cmd === 'string' ? cmd : JSON.stringify(cmd);
    const tid = ++this.lastTid;
    const msg = () => encodeMonCommand({ tid, fsid, cmd: [json], ...(opts.inbuf ? { inbuf: opts.inbuf } : {}) });
    return this.track(this.commands, tid, msg, 'mon_command', opts);
  }

  /** MPoolOp: a pool operation through the mon (e.g. self-managed snap ids). */
  async poolOp(pool: number, op: number, o: WaitOptions & { snapid?: bigint; name?: string } = {}): Promise<MPoolOpReply> {
    const fsid = this.fsid;
    if (!fsid) throw cephError('ENOTCONN', 'not connected to a mon', { op: 'pool_op' });
    const tid = ++this.lastTid;
    const msg = () => encodeMPoolOp({ tid, fsid, pool, op, ...(o.snapid !== undefined ? { snapid: o.snapid } : {}), ...(o.name ? { name: o.name } : {}) });
    return this.track(this.poolOps, tid, msg, 'pool_op', o);
  }

  /** MMonGetVersion: the latest and oldest epochs of a map ("osdmap", "monmap", ...). */
  async getVersion(what: string, opts: WaitOptions = {}): Promise<{ version: number; oldestVersion: number }> {
    const handle = ++this.lastHandle;
    return this.track(this.versions, handle, () => encodeMonGetVersion(handle, what), 'mon_get_version', opts);
  }

  // ---- keepalive and ticket renewal ---------------------------------------------

  private schedulePing(): void {
    clearInterval(this.pingTimer);
    const interval = this.opts.pingIntervalMs ?? 10_000;
    const timeout = this.opts.pingTimeoutMs ?? 30_000;
    this.pingTimer = setInterval(() => {
      const con = this.con;
      if (!con || con.isClosed) return;
      if (Date.now() - con.lastRx > timeout) {
        con.close(new TimeoutError('mon keepalive', timeout, this.monName));
        return;
      }
      try {
        con.sendKeepalive();
      } catch {
        /* closed meanwhile: the close handler hunts */
      }
    }, interval);
    this.pingTimer.unref();
  }

  private scheduleRenewal(): void {
    clearTimeout(this.renewTimer);
    const next = this.opts.cephx.nextRenewal();
    if (next === undefined) return;
    const delay = Math.max(1000, next - Date.now());
    this.renewTimer = setTimeout(() => this.renewTickets(), Math.min(delay, 2 ** 31 - 1));
    this.renewTimer.unref();
  }

  /** Ask the mon for fresh service tickets (CEPHX_GET_PRINCIPAL_SESSION_KEY) when due. */
  renewTickets(force = false): boolean {
    const keys = force ? this.opts.cephx.wantKeys & ~EntityType.AUTH : this.opts.cephx.needRenewal();
    if (!keys || this.renewInFlight) return false;
    const payload = this.opts.cephx.buildRenewRequest(keys);
    const sent = this.trySend(encodeMAuth(AuthMethod.CEPHX, payload, this.monmap?.epoch ?? 0, ++this.lastTid));
    this.renewInFlight = sent;
    return sent;
  }

  describeMode(): string {
    return modeName(this.con?.conMode ?? ConMode.UNKNOWN);
  }

  /** Close the session and every timer; pending calls fail with ESHUTDOWN. */
  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.pingTimer);
    clearTimeout(this.renewTimer);
    const err = cephError('ESHUTDOWN', 'mon client shut down', { op: 'shutdown' });
    for (const map of [this.commands, this.versions, this.poolOps] as Array<Map<bigint, Pending<unknown>>>) {
      for (const p of [...map.values()]) p.reject(err);
    }
    this.con?.close();
    this.con = undefined;
  }
}

/** Our own deadline errors pass through; any other abort reason becomes ECANCELED. */
function abortError(op: string, reason: unknown): CephError {
  return reason instanceof CephError ? reason : new AbortError(op, reason);
}

function pickError(errors: Error[]): Error {
  // an authentication verdict beats a network failure
  return errors.find((e) => isErrno(e, 'EACCES')) ?? errors[errors.length - 1] ?? new Error('no mon reachable');
}
