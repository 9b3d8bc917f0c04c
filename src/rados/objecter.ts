// The objecter: turns an op on an object into a MOSDOp sent to the acting primary of the
// object's PG (computed from the current OSDMap), matches replies by tid, and resends when
// a new map moves the target, when the OSD session resets, or when an OSD lifts a backoff.
// A resent op keeps its tid (the OSD's reqid is client.<global_id>:<tid>, so a write that
// already applied is answered from the PG log, not applied twice) and carries
// retry_attempt + 1 with the RETRY flag.
//
// It also keeps watches registered (linger ops: WATCH, PING, RECONNECT) and routes
// MWatchNotify events to watchers and notifiers.

import { EventEmitter } from 'node:events';
import type { CephxClient } from '../auth/cephx.js';
import { AbortError, CephError, TimeoutError, bestEffort, cephError, ignoring } from '../encoding/errno.js';
import { waitFor, withDeadline } from '../common/wait.js';
import { EntityType, addrEquals, utimeNow, type EntityAddr, type UTime } from '../encoding/types.js';
import { Connection } from '../msgr2/connection.js';
import { CEPH_FEATURES_ALL } from '../msgr2/features.js';
import { MsgType } from '../msgr2/msg-types.js';
import type { Message } from '../msgr2/message.js';
import { BackoffOp, decodeMOSDBackoff, encodeBackoffAck, type MOSDBackoff } from './messages/osd-backoff.js';
import { encodeMOSDOp, type ObjectLocator, type PgId, type SnapContext } from './messages/osd-op.js';
import { decodeMOSDOpReply, type MOSDOpReply, type OpReplyOp } from './messages/osd-op-reply.js';
import { WatchEvent, decodeMWatchNotify, decodeNotifyComplete, encodeNotifyAckInput, encodeNotifyInput, type NotifyAck } from './messages/watch-notify.js';
import { CEPH_NOSNAP, OsdFlag, OsdOpCode, WatchOp, isWriteOp, osdOpName, type OSDOp } from './osd-ops.js';
import { Throttle } from './throttle.js';

/** What the objecter needs from an OSDMap. */
export interface OsdMapView {
  readonly epoch: number;
  poolExists(pool: number): boolean;
  /** pool FULL (or the cluster-wide full flag) */
  poolFull(pool: number): boolean;
  /** what of a pool decides a PG's interval (PastIntervals::is_new_interval) and fullness */
  pool(pool: number): PoolView | undefined;
  /** object → PG → up and acting sets and primaries; primary -1 when no OSD of the PG is up */
  target(oloc: ObjectLocator, oid: string): PgPlacement & { pgid: PgId; hash: number };
  /** a PG's up and acting sets (PG ops such as PGNLS) */
  targetPg(pgid: PgId): PgPlacement;
  pgNum(pool: number): number;
  osdAddr(osd: number): EntityAddr | undefined;
  osdUp(osd: number): boolean;
  /** a client address (by its nonce, or its whole IP) is in the map's blocklist */
  blocklisted(nonce: number, ip: string | undefined): boolean;
}

export interface PgPlacement {
  /** acting primary */
  primary: number;
  acting: number[];
  up: number[];
  upPrimary: number;
}

export interface PoolView {
  size: number;
  minSize: number;
  pgNum: number;
  pgNumPending: number;
  /** ops sent before this epoch are dropped by the OSD and must be resent (pg_pool_t::last_force_op_resend) */
  lastForceOpResend: number;
}

/** Where maps come from. */
export interface MapSource extends EventEmitter {
  readonly current: OsdMapView | undefined;
  waitForMap(opts: { timeoutMs?: number; signal?: AbortSignal }): Promise<OsdMapView>;
  /** ask the mons for anything newer than what we have */
  requestNewer(): void;
}

export interface ObjecterOptions {
  cephx: CephxClient;
  maps: MapSource;
  myNonce: number;
  nextGlobalSeq: () => bigint;
  /** ms_client_mode as CEPH_CON_MODE_* */
  modes: readonly number[];
  /** rados_osd_op_timeout (default 60 s) */
  opTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** objecter_inflight_ops / objecter_inflight_op_bytes */
  maxInflightOps?: number;
  maxInflightBytes?: number;
  /** how often watches are pinged (objecter_tick_interval) */
  tickMs?: number;
  /** ms_inject_socket_failures (0: off) */
  injectSocketFailures?: number;
}

export interface OpRequest {
  oid: string;
  oloc: ObjectLocator;
  ops: OSDOp[];
  /** read at this snap id (default head) */
  snapid?: bigint;
  /** write snap context */
  snapc?: SnapContext;
  mtime?: UTime;
  /**
   * a write (librados: an ObjectWriteOperation), whatever its op codes: a class method call
   * is a read by its code but writes when the caller says so. Default: any op code that writes.
   */
  write?: boolean;
  /** extra MOSDOp flags (e.g. RETURNVEC, FULL_TRY) */
  flags?: number;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** wait for a full pool to have room instead of trying (and failing with ENOSPC or EDQUOT) */
  waitIfFull?: boolean;
  /** a PG op: sent to this PG rather than to an object's PG */
  pgid?: PgId;
}

export interface OpResult {
  /** 0 or a negative errno, as the OSD answered */
  result: number;
  ops: OpReplyOp[];
  /** the object's user version after the op */
  version: bigint;
  epoch: number;
}

/** Where an op (or a watch) went, and the interval it went in (Objecter::op_target_t). */
export interface OpTarget extends PgPlacement {
  /** the acting primary the op is sent to (-1: none) */
  osd: number;
  pgid: PgId;
  hash: number;
  epoch: number;
  size: number;
  minSize: number;
  pgNum: number;
  pgNumPending: number;
  /** the pool (or cluster) is full */
  full: boolean;
}

const sameOsds = (a: number[], b: number[]) => a.length === b.length && a.every((o, i) => o === b[i]);

/**
 * Must an op (or watch) targeted at `prev` be sent again under `next`? The OSD drops an op
 * sent in an epoch before its PG's same_primary_since, last_epoch_split or the pool's
 * last_force_op_resend (PG::can_discard_op) and expects the client to resend, as
 * Objecter::_calc_target does: on a new PG or acting primary, a split or merge (any change of
 * pg_num or pg_num_pending), a forced resend, and for lingers (`anyChange`) on any new interval
 * (PastIntervals::is_new_interval: up, acting, primaries, size, min_size). Acting-set changes
 * resend ops too: a stricter rule than librados's, and harmless (a resent op keeps its tid).
 */
export function needsResend(prev: OpTarget | undefined, next: OpTarget, lastForceOpResend: number, anyChange: boolean): boolean {
  if (!prev) return true;
  if (prev.pgid.seed !== next.pgid.seed || prev.osd !== next.osd || !sameOsds(prev.acting, next.acting)) return true;
  if (prev.pgNum !== next.pgNum || prev.pgNumPending !== next.pgNumPending) return true;
  if (lastForceOpResend > prev.epoch) return true;
  // the OSD drops writes sent before the pool was marked full (last_epoch_marked_full)
  if (next.full && !prev.full) return true;
  if (!anyChange) return false;
  return prev.upPrimary !== next.upPrimary || !sameOsds(prev.up, next.up) || prev.size !== next.size || prev.minSize !== next.minSize;
}

class Op {
  attempt = -1;
  session: OSDSession | undefined;
  target: OpTarget | undefined;
  /** the connection this attempt went out on */
  sentOn: Connection | undefined;
  done = false;
  constructor(
    readonly tid: bigint,
    readonly req: OpRequest,
    readonly write: boolean,
    readonly bytes: number,
    readonly resolve: (r: OpResult) => void,
    readonly reject: (e: Error) => void,
  ) {}

  get name(): string {
    return opName(this.req);
  }
}

/** What an op is called in its errors: its OSD ops, 'read', 'write+setxattr', ... */
const opName = (req: OpRequest): string => req.ops.map((o) => osdOpName(o.op)).join('+');

class OSDSession {
  con: Connection | undefined;
  connecting = false;
  readonly ops = new Set<Op>();
  readonly lingers = new Set<Linger>();
  /** active backoffs: key `${pool}.${seed}` → ids */
  readonly backoffs = new Map<string, Set<bigint>>();
  retryTimer: NodeJS.Timeout | undefined;
  failures = 0;
  constructor(
    readonly osd: number,
    public addr: EntityAddr,
  ) {}
}

export interface WatchCallbacks {
  /** a notify arrived; the returned buffer is sent back as this watcher's reply */
  onNotify: (e: { notifyId: bigint; notifierGid: bigint; payload: Buffer }) => Buffer | void | Promise<Buffer | void>;
  /** the watch was lost and could not be re-established, or was disconnected */
  onError?: (err: CephError) => void;
}

class Linger {
  registered = false;
  gen = 0;
  pinging = false;
  session: OSDSession | undefined;
  target: OpTarget | undefined;
  constructor(
    readonly cookie: bigint,
    readonly oid: string,
    readonly oloc: ObjectLocator,
    readonly cb: WatchCallbacks,
  ) {}
}

/** A notify the OSD accepted, waiting for its NOTIFY_COMPLETE. */
interface PendingNotify {
  oloc: ObjectLocator;
  oid: string;
  complete: (r: NotifyResult) => void;
  /** where the notify went, once accepted */
  target?: OpTarget;
  /** send it again (a new notify with the same cookie) */
  resend?: () => void;
}

export interface NotifyResult {
  acks: NotifyAck[];
  timeouts: Array<{ gid: bigint; cookie: bigint }>;
  /** 0, or -ETIMEDOUT when some watchers did not answer in time */
  returnCode: number;
}

const pgKey = (p: PgId) => `${p.pool}.${p.seed}`;

/** The OSD answers -EBLOCKLISTED (108, ESHUTDOWN's number) to a blocklisted client's ops. */
const EBLOCKLISTED = 108;

function blocklistedError(op: string, object?: string, pool?: number): CephError {
  return cephError('EBLOCKLISTED', 'this client is blocklisted; open a new cluster handle', {
    op,
    ...(object !== undefined ? { object } : {}),
    ...(pool !== undefined ? { pool } : {}),
  });
}

/** Where `map` places an object (or a PG, for PG ops), with the interval's pool fields. */
function placement(map: OsdMapView, oloc: ObjectLocator, oid: string, pgid?: PgId): OpTarget {
  const t = pgid ? { pgid, hash: pgid.seed, ...map.targetPg(pgid) } : map.target(oloc, oid);
  const pool = map.pool(oloc.pool);
  return {
    osd: t.primary,
    primary: t.primary,
    acting: t.acting,
    up: t.up,
    upPrimary: t.upPrimary,
    pgid: t.pgid,
    hash: t.hash,
    epoch: map.epoch,
    size: pool?.size ?? 0,
    minSize: pool?.minSize ?? 0,
    pgNum: pool?.pgNum ?? 0,
    pgNumPending: pool?.pgNumPending ?? 0,
    full: map.poolFull(oloc.pool),
  };
}

export class Objecter extends EventEmitter {
  private lastTid = 0n;
  private lastCookie = 0n;
  private readonly ops = new Map<bigint, Op>();
  private readonly sessions = new Map<number, OSDSession>();
  private readonly lingers = new Map<bigint, Linger>();
  private readonly notifies = new Map<bigint, PendingNotify>();
  private readonly throttle: Throttle;
  private readonly tick: NodeJS.Timeout;
  private stopped = false;
  /** set once the OSDs (or the map) say this client is blocklisted: every op fails with it */
  private blocklist: CephError | undefined;
  /** counters for tests and benchmarks */
  readonly stats = { sent: 0, resent: 0, replies: 0, mapChanges: 0 };
  private readonly onMap = (map: OsdMapView) => this.handleMap(map);

  constructor(readonly opts: ObjecterOptions) {
    super();
    this.throttle = new Throttle(opts.maxInflightOps ?? 1024, opts.maxInflightBytes ?? 100 * 1024 * 1024);
    opts.maps.on('map', this.onMap);
    this.tick = setInterval(() => this.onTick(), opts.tickMs ?? 5000);
    this.tick.unref();
  }

  get inflight(): number {
    return this.ops.size;
  }

  // ---- submitting ops ---------------------------------------------------------------

  /** Send an op and resolve with the OSD's reply (result may be a negative errno). */
  async submit(req: OpRequest): Promise<OpResult> {
    if (this.stopped) throw cephError('ESHUTDOWN', 'cluster handle is shut down', { op: 'osd_op', object: req.oid });
    if (this.blocklist) throw blocklistedError(opName(req), req.oid, req.oloc.pool);
    const write = req.write ?? req.ops.some((o) => isWriteOp(o.op));
    let bytes = 0;
    for (const o of req.ops) bytes += o.indata?.length ?? 0;
    const timeoutMs = req.timeoutMs ?? this.opts.opTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    await this.throttle.acquire(bytes, { timeoutMs, ...(req.signal ? { signal: req.signal } : {}) });
    try {
      const map = await this.opts.maps.waitForMap({ timeoutMs: Math.max(1, deadline - Date.now()), ...(req.signal ? { signal: req.signal } : {}) });
      return await waitFor<OpResult>(
        opName(req),
        { timeoutMs: Math.max(1, deadline - Date.now()), signal: req.signal },
        (resolve, reject) => {
          const op = new Op(++this.lastTid, req, write, bytes, resolve, reject);
          this.ops.set(op.tid, op);
          this.target(op, map);
          // answered, failed, timed out or aborted: the op is no longer tracked
          return () => {
            op.done = true;
            this.ops.delete(op.tid);
            op.session?.ops.delete(op);
          };
        },
        () => `${req.oid} (pool ${req.oloc.pool})`,
      );
    } finally {
      this.throttle.release(bytes);
    }
  }

  /** Compute the target from `map` and send (or park the op until a map gives it one). */
  private target(op: Op, map: OsdMapView): void {
    if (op.done) return;
    const { req } = op;
    if (!map.poolExists(req.oloc.pool)) {
      this.finish(op, cephError('ENOENT', `pool ${req.oloc.pool} does not exist`, { op: op.name, object: req.oid, pool: req.oloc.pool }));
      return;
    }
    if (req.pgid && req.pgid.seed >= map.pgNum(req.oloc.pool)) {
      this.finish(
        op,
        cephError('ESTALE', `pg ${req.pgid.pool}.${req.pgid.seed.toString(16)} no longer exists`, { op: op.name, object: req.oid, pool: req.oloc.pool }),
      );
      return;
    }
    const next = placement(map, req.oloc, req.oid, req.pgid);
    const moved = needsResend(op.target, next, map.pool(req.oloc.pool)?.lastForceOpResend ?? 0, false);
    op.target = next;
    if (!moved && op.sentOn && !op.sentOn.isClosed) return; // still where it should be
    if (op.session && op.session.osd !== next.osd) {
      op.session.ops.delete(op);
      op.session = undefined;
    }
    if (next.osd < 0 || (op.write && next.full && req.waitIfFull)) {
      // no primary (or waiting for room): parked until a map changes that
      op.sentOn = undefined;
      return;
    }
    const s = this.session(next.osd, map);
    if (!s) {
      op.sentOn = undefined;
      return;
    }
    op.session = s;
    s.ops.add(op);
    op.sentOn = undefined;
    this.trySend(op);
  }

  private session(osd: number, map: OsdMapView): OSDSession | undefined {
    const addr = map.osdAddr(osd);
    if (!addr || !map.osdUp(osd)) return undefined;
    let s = this.sessions.get(osd);
    if (s && !addrEquals(s.addr, addr)) {
      // the OSD restarted on another address/nonce: drop the old connection
      s.addr = addr;
      s.con?.close();
      s.con = undefined;
    }
    if (!s) {
      s = new OSDSession(osd, addr);
      this.sessions.set(osd, s);
    }
    this.ensureConnected(s);
    return s;
  }

  private ensureConnected(s: OSDSession): void {
    if (this.stopped || s.connecting || (s.con && !s.con.isClosed) || s.retryTimer) return;
    s.connecting = true;
    Connection.open({
      peer: s.addr,
      peerType: EntityType.OSD,
      auth: this.opts.cephx.serviceHandler(EntityType.OSD),
      modes: this.opts.modes,
      myNonce: this.opts.myNonce,
      globalSeq: this.opts.nextGlobalSeq(),
      gid: this.opts.cephx.globalId,
      timeoutMs: this.opts.connectTimeoutMs ?? 10_000,
      injectSocketFailures: this.opts.injectSocketFailures ?? 0,
    }).then(
      (con) => {
        s.connecting = false;
        if (this.stopped || this.sessions.get(s.osd) !== s || !addrEquals(con.opts.peer, s.addr)) {
          con.close();
          this.ensureConnected(s);
          return;
        }
        s.con = con;
        s.failures = 0;
        con.on('message', (m) => this.handleMessage(s, m));
        con.on('close', () => this.sessionReset(s, con));
        for (const op of s.ops) this.trySend(op);
        for (const l of s.lingers) this.sendLinger(l, true);
      },
      (err: Error) => {
        s.connecting = false;
        s.failures++;
        this.emit('sessionError', { osd: s.osd, error: err });
        // a map may say the OSD is down or elsewhere; ask for news and retry with backoff
        this.opts.maps.requestNewer();
        const delay = Math.min(15_000, 200 * 2 ** Math.min(s.failures - 1, 6));
        s.retryTimer = setTimeout(() => {
          s.retryTimer = undefined;
          if (s.ops.size || s.lingers.size) this.ensureConnected(s);
        }, delay);
        s.retryTimer.unref();
      },
    );
  }

  private sessionReset(s: OSDSession, con: Connection): void {
    if (s.con !== con) return;
    s.con = undefined;
    s.backoffs.clear();
    if (this.stopped) return;
    for (const n of this.notifies.values()) if (n.resend && n.target?.osd === s.osd) n.resend();
    if (s.ops.size || s.lingers.size) this.ensureConnected(s);
  }

  private blocked(s: OSDSession, pgid: PgId): boolean {
    const b = s.backoffs.get(pgKey(pgid));
    return !!b && b.size > 0;
  }

  private trySend(op: Op): void {
    const s = op.session;
    const t = op.target;
    if (op.done || !s || !t || !s.con || s.con.isClosed || op.sentOn === s.con) return;
    if (this.blocked(s, t.pgid)) return;
    op.attempt++;
    // librados sets ONDISK on every op, reads included (0x400014 for a read)
    let flags = OsdFlag.ONDISK | (op.write ? OsdFlag.WRITE : OsdFlag.READ) | OsdFlag.KNOWN_REDIR | (op.req.flags ?? 0);
    if (op.attempt > 0) flags |= OsdFlag.RETRY;
    // a write to a full pool goes out as FULL_TRY: the OSD applies it if it frees or needs no
    // space and otherwise answers ENOSPC, or EDQUOT for a quota, at once (PrimaryLogPG::
    // prepare_transaction); without the flag it would drop the op and leave us waiting
    if (op.write && t.full) flags |= OsdFlag.FULL_TRY;
    try {
      s.con.send(
        encodeMOSDOp({
          tid: op.tid,
          pgid: t.pgid,
          hash: t.hash,
          epoch: t.epoch,
          flags,
          mtime: op.req.mtime ?? (op.write ? utimeNow() : { sec: 0, nsec: 0 }),
          oloc: op.req.oloc,
          oid: op.req.oid,
          ops: op.req.ops,
          snapid: op.req.snapid ?? CEPH_NOSNAP,
          snapc: op.req.snapc ?? { seq: 0n, snaps: [] },
          retryAttempt: op.attempt,
          features: CEPH_FEATURES_ALL,
        }),
      );
      op.sentOn = s.con;
      this.stats.sent++;
      if (op.attempt > 0) this.stats.resent++;
    } catch {
      // the connection closed under us; the reset handler resends
    }
  }

  /** Settle the op's wait (whose unregister, in submit, retires the op). */
  private finish(op: Op, outcome: OpResult | Error): void {
    if (outcome instanceof Error) op.reject(outcome);
    else op.resolve(outcome);
  }

  // ---- incoming ------------------------------------------------------------------------

  private handleMessage(s: OSDSession, m: Message): void {
    try {
      switch (m.header.type) {
        case MsgType.OSD_OPREPLY:
          this.handleReply(s, decodeMOSDOpReply(m));
          return;
        case MsgType.WATCH_NOTIFY:
          this.handleWatchNotify(m);
          return;
        case MsgType.OSD_BACKOFF:
          this.handleBackoff(s, decodeMOSDBackoff(m));
          return;
        case MsgType.OSD_MAP:
          return; // maps come from the mons
        default:
          return;
      }
    } catch (e) {
      // malformed message: drop the session (lossy) and resend on a fresh one
      s.con?.close(e as Error);
    }
  }

  private handleReply(s: OSDSession, r: MOSDOpReply): void {
    const op = this.ops.get(r.tid);
    if (!op || op.session !== s) return;
    if (r.retryAttempt >= 0 && r.retryAttempt !== op.attempt) return; // an older attempt's answer
    if (r.redirect) {
      // resend to the object the OSD names (cache tiering; rare in practice)
      op.req.oloc = { pool: r.redirect.pool, ...(r.redirect.key ? { key: r.redirect.key } : {}), ...(r.redirect.nspace ? { nspace: r.redirect.nspace } : {}) };
      if (r.redirect.object) (op.req as { oid: string }).oid = r.redirect.object;
      op.target = undefined;
      const map = this.opts.maps.current;
      if (map) this.target(op, map);
      return;
    }
    this.stats.replies++;
    if (r.result === -EBLOCKLISTED) {
      this.finish(op, blocklistedError(op.name, op.req.oid, op.req.oloc.pool));
      this.blocklisted();
      return;
    }
    // outdata is a view of a frame nobody reuses: big results (object data) are handed on as
    // they are; small ones are copied so they do not pin the whole frame (or socket chunk)
    const ops = r.ops.map((o) => ({
      op: o.op,
      rval: o.rval,
      outdata: o.outdata.length * 2 < o.outdata.buffer.byteLength ? Buffer.from(o.outdata) : o.outdata,
    }));
    this.finish(op, { result: r.result, ops, version: r.userVersion, epoch: r.epoch });
  }

  private handleBackoff(s: OSDSession, b: MOSDBackoff): void {
    const key = pgKey(b.pgid);
    if (b.op === BackoffOp.BLOCK) {
      let set = s.backoffs.get(key);
      if (!set) s.backoffs.set(key, (set = new Set()));
      set.add(b.id);
      s.con?.send(encodeBackoffAck(b, this.opts.maps.current?.epoch ?? b.epoch));
    } else if (b.op === BackoffOp.UNBLOCK) {
      const set = s.backoffs.get(key);
      set?.delete(b.id);
      if (!set?.size) s.backoffs.delete(key);
      // ops held for this PG go out now (those sent before the block are resent)
      for (const op of s.ops) {
        if (op.target && pgKey(op.target.pgid) === key) {
          op.sentOn = undefined;
          this.trySend(op);
        }
      }
    }
  }

  private handleMap(map: OsdMapView): void {
    this.stats.mapChanges++;
    if (!this.blocklist && map.blocklisted(this.opts.myNonce, this.myIp())) {
      this.blocklisted();
      return;
    }
    for (const op of [...this.ops.values()]) this.target(op, map);
    for (const l of this.lingers.values()) this.targetLinger(l, map);
    for (const n of this.notifies.values()) {
      if (!n.resend || !n.target || !map.poolExists(n.oloc.pool)) continue;
      const next = placement(map, n.oloc, n.oid);
      const again = needsResend(n.target, next, map.pool(n.oloc.pool)?.lastForceOpResend ?? 0, true);
      n.target = next;
      if (again) n.resend();
    }
    // drop sessions to OSDs that went down; their ops were retargeted above
    for (const [osd, s] of this.sessions) {
      if (!map.osdUp(osd) && !s.ops.size && !s.lingers.size) {
        s.con?.close();
        clearTimeout(s.retryTimer);
        this.sessions.delete(osd);
      }
    }
  }

  /** The IP the OSDs see us at (learned on a connection), for IP-wide blocklist entries. */
  private myIp(): string | undefined {
    for (const s of this.sessions.values()) if (s.con?.myAddr) return s.con.myAddr.ip;
    return undefined;
  }

  /**
   * Blocklisted (`ceph osd blocklist add`, or a lock broken by another client): the OSDs refuse
   * this client for good. Every op in flight fails with EBLOCKLISTED now, as will every later
   * one; watchers learn their watch is lost; 'blocklisted' is emitted once.
   */
  private blocklisted(): void {
    if (this.blocklist) return;
    const err = blocklistedError('osd_op');
    this.blocklist = err;
    for (const op of [...this.ops.values()]) this.finish(op, blocklistedError(op.name, op.req.oid, op.req.oloc.pool));
    const lingers = [...this.lingers.values()];
    this.lingers.clear();
    for (const s of this.sessions.values()) s.lingers.clear();
    for (const l of lingers) l.cb.onError?.(blocklistedError('watch', l.oid, l.oloc.pool));
    this.emit('blocklisted', err);
  }

  /** Whether the OSDs have refused this client as blocklisted. */
  get isBlocklisted(): boolean {
    return this.blocklist !== undefined;
  }

  // ---- watch / notify -------------------------------------------------------------------

  /** Register a watch on an object; resolves once the OSD accepted it. */
  async watch(oloc: ObjectLocator, oid: string, cb: WatchCallbacks, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<bigint> {
    const cookie = ++this.lastCookie;
    const l = new Linger(cookie, oid, oloc, cb);
    this.lingers.set(cookie, l);
    try {
      await this.lingerOp(l, WatchOp.WATCH, opts);
      l.registered = true;
      const map = this.opts.maps.current;
      if (map) this.targetLinger(l, map);
      return cookie;
    } catch (e) {
      this.lingers.delete(cookie);
      // a watch abandoned (deadline, abort) may still have reached the OSD: take it back there
      if (e instanceof TimeoutError || e instanceof AbortError) void this.lingerOp(l, WatchOp.UNWATCH, { timeoutMs: 10_000 }).catch(bestEffort);
      throw e;
    }
  }

  async unwatch(cookie: bigint, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    const l = this.lingers.get(cookie);
    if (!l) throw cephError('ENOENT', `no watch with cookie ${cookie}`, { op: 'unwatch' });
    this.lingers.delete(cookie);
    l.session?.lingers.delete(l);
    await this.lingerOp(l, WatchOp.UNWATCH, opts).catch(ignoring('ENOENT', 'ENOTCONN'));
  }

  private async lingerOp(l: Linger, watchOp: number, opts: { timeoutMs?: number; signal?: AbortSignal }): Promise<void> {
    const r = await this.submit({
      oid: l.oid,
      oloc: l.oloc,
      ops: [{ op: OsdOpCode.WATCH, watch: { cookie: l.cookie, op: watchOp, gen: l.gen, timeout: 0 } }],
      ...opts,
    });
    if (r.result < 0) throw CephError.fromResult(r.result, { op: watchOp === WatchOp.UNWATCH ? 'unwatch' : 'watch', object: l.oid, pool: l.oloc.pool });
  }

  private targetLinger(l: Linger, map: OsdMapView): void {
    if (!l.registered || !map.poolExists(l.oloc.pool)) return;
    const next = placement(map, l.oloc, l.oid);
    // a new interval of the watch's PG (a replica's restart included): the primary may have
    // lost the watch (Objecter::_calc_target with any_change, then _send_linger)
    const moved = needsResend(l.target, next, map.pool(l.oloc.pool)?.lastForceOpResend ?? 0, true);
    l.target = next;
    if (!moved) return;
    l.session?.lingers.delete(l);
    l.session = next.osd >= 0 ? this.session(next.osd, map) : undefined;
    if (l.session) {
      l.session.lingers.add(l);
      if (l.session.con && !l.session.con.isClosed) this.sendLinger(l, true);
    }
  }

  /** Re-establish a watch after a session reset or a move (WATCH op RECONNECT). */
  private sendLinger(l: Linger, reconnect: boolean): void {
    if (!this.lingers.has(l.cookie)) return;
    if (reconnect) l.gen++;
    this.submit({
      oid: l.oid,
      oloc: l.oloc,
      ops: [{ op: OsdOpCode.WATCH, watch: { cookie: l.cookie, op: reconnect ? WatchOp.RECONNECT : WatchOp.WATCH, gen: l.gen, timeout: 0 } }],
    }).then(
      (r) => {
        if (r.result < 0) this.lingerFailed(l, CephError.fromResult(r.result, { op: 'watch', object: l.oid }));
        else l.registered = true;
      },
      (e: CephError) => this.lingerFailed(l, e),
    );
  }

  private lingerFailed(l: Linger, err: CephError): void {
    if (!this.lingers.has(l.cookie)) return;
    if (err.code === 'ENOTCONN' || err.code === 'ETIMEDOUT') {
      // the OSD forgot the watch: register it afresh
      this.sendLinger(l, false);
      return;
    }
    l.cb.onError?.(err);
  }

  private onTick(): void {
    for (const l of this.lingers.values()) {
      if (!l.registered || l.pinging || !l.session?.con || l.session.con.isClosed) continue;
      l.pinging = true;
      this.submit({
        oid: l.oid,
        oloc: l.oloc,
        ops: [{ op: OsdOpCode.WATCH, watch: { cookie: l.cookie, op: WatchOp.PING, gen: l.gen } }],
        flags: 0,
        timeoutMs: 30_000,
      }).then(
        (r) => {
          l.pinging = false;
          if (r.result < 0) this.lingerFailed(l, CephError.fromResult(r.result, { op: 'watch ping', object: l.oid }));
        },
        (e: CephError) => {
          l.pinging = false;
          // an unanswered ping: the watch may be gone, register it again (linger_check)
          this.lingerFailed(l, e);
        },
      );
    }
  }

  private handleWatchNotify(m: Message): void {
    const n = decodeMWatchNotify(m);
    if (n.opcode === WatchEvent.NOTIFY_COMPLETE) {
      const pending = this.notifies.get(n.cookie);
      if (pending) {
        const { acks, timeouts } = decodeNotifyComplete(n.data);
        pending.complete({ acks, timeouts, returnCode: n.returnCode });
      }
      return;
    }
    const l = this.lingers.get(n.cookie);
    if (!l) return;
    if (n.opcode === WatchEvent.DISCONNECT) {
      l.registered = false;
      this.sendLinger(l, false);
      return;
    }
    if (n.opcode === WatchEvent.NOTIFY) {
      // a watcher whose callback fails still acks (with an empty reply); a lost ack is the
      // notifier's timeout to report
      Promise.resolve()
        .then(() => l.cb.onNotify({ notifyId: n.notifyId, notifierGid: n.notifierGid, payload: n.payload }))
        .catch(bestEffort)
        .then((reply) =>
          this.submit({
            oid: l.oid,
            oloc: l.oloc,
            ops: [{ op: OsdOpCode.NOTIFY_ACK, indata: encodeNotifyAckInput(n.notifyId, l.cookie, reply ?? Buffer.alloc(0)) }],
          }),
        )
        .catch(bestEffort);
    }
  }

  /** Notify the watchers of an object and wait for their acks (or their timeout). */
  async notify(oloc: ObjectLocator, oid: string, payload: Buffer, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<NotifyResult> {
    const cookie = ++this.lastCookie;
    const timeoutSec = Math.max(1, Math.ceil((opts.timeoutMs ?? 10_000) / 1000));
    let complete!: (r: NotifyResult) => void;
    const completed = new Promise<NotifyResult>((res) => (complete = res));
    const pending: PendingNotify = { oloc, oid, complete };
    this.notifies.set(cookie, pending);
    const send = () =>
      this.submit({
        oid,
        oloc,
        ops: [{ op: OsdOpCode.NOTIFY, notify: { cookie }, indata: encodeNotifyInput(timeoutSec, payload) }],
        ...opts,
      });
    try {
      const r = await send();
      if (r.result < 0) throw CephError.fromResult(r.result, { op: 'notify', object: oid, pool: oloc.pool });
      // NOTIFY_COMPLETE comes on the primary's (lossy) session: if that session resets, or the
      // PG starts a new interval, before it does, the notify goes again (librados resends its
      // notify linger op); watchers may then see it twice
      const map = this.opts.maps.current;
      if (map) pending.target = placement(map, oloc, oid);
      pending.resend = () => void send().catch(bestEffort);
      return await withDeadline(completed, 'notify', { timeoutMs: timeoutSec * 1000 + 5000 }, oid);
    } finally {
      this.notifies.delete(cookie);
    }
  }

  /**
   * Drop every OSD connection as a network fault would (lossy sessions): unanswered ops
   * and watches go out again on fresh connections. For tests and forced reconnects.
   */
  faultSessions(): number {
    let n = 0;
    for (const s of this.sessions.values()) {
      if (s.con && !s.con.isClosed) {
        s.con.close(cephError('ECONNRESET', 'session reset by request', { op: 'fault', target: `osd.${s.osd}` }));
        n++;
      }
    }
    return n;
  }

  /** Stop: fail every op, close every session and timer. */
  shutdown(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.tick);
    this.opts.maps.off('map', this.onMap);
    const err = cephError('ESHUTDOWN', 'cluster handle is shut down', { op: 'shutdown' });
    for (const op of [...this.ops.values()]) this.finish(op, err);
    for (const s of this.sessions.values()) {
      clearTimeout(s.retryTimer);
      s.con?.close();
    }
    this.sessions.clear();
    this.lingers.clear();
  }
}
