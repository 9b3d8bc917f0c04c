// The cluster handle (python-rados `Rados`, in camelCase): reads the configuration,
// authenticates through a MonClient and answers mon commands. The objecter and IoCtx
// hang off this handle.

import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { CephxClient } from '../auth/cephx.js';
import { ENTITY_TYPE_NUMBERS } from '../config/entity-name.js';
import { resolveClientConfig, type ClientOptions, type ResolvedConfig } from '../config/client-config.js';
import type { MonAddr } from '../config/mon-host.js';
import { CephError, cephError } from '../encoding/errno.js';
import { AddrType, addrToString, makeAddr, type EntityAddr } from '../encoding/types.js';
import { modeName, parseModeList } from '../msgr2/auth-handler.js';
import { MonClient, type MonCommandResult, type WaitOptions } from '../mon/mon-client.js';
import type { MonMap } from '../mon/monmap.js';
import { PoolOpCode } from '../mon/messages/pool-op.js';
import { Decoder } from '../encoding/decoder.js';
import { IoCtx, type CallOptions, type ClusterView } from './ioctx.js';
import { Objecter } from './objecter.js';
import { OSDMapTracker } from './osdmap/map-tracker.js';
import type { OSDMap } from './osdmap/osdmap.js';
import type { ObjectLocation } from './osdmap/placement.js';
import { TrackerMapSource } from './map-source.js';

export interface ConnectOptions extends ClientOptions {
  /** how long connect() may take in all (Ceph's client_mount_timeout; default 30 s) */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface MonStatus {
  name: string;
  rank: number;
  addr: string;
}

export interface ClusterStatus {
  fsid: string;
  name: string;
  globalId: string;
  mons: MonStatus[];
  monmapEpoch: number;
  osdmapEpoch: number;
  /** the mon the session is with */
  sessionMon: string;
  /** 'crc' or 'secure' */
  authMode: string;
  /** connect + authenticate + monmap, in milliseconds */
  connectMs: number;
}

function toEntityAddr(a: MonAddr): EntityAddr {
  return makeAddr(AddrType.MSGR2, a.host, a.port, 0);
}

/** Per-handle messenger identity: the nonce every connection announces, and global_seq. */
class Messenger {
  /** the same on every connection of this handle */
  readonly nonce = randomInt(1, 2 ** 31);
  private globalSeq = 0n;
  nextGlobalSeq = (): bigint => ++this.globalSeq;
}

interface DataPath {
  tracker: OSDMapTracker;
  objecter: Objecter;
}

/**
 * A cluster handle (librados RadosClient). Events: 'blocklisted' (CephError EBLOCKLISTED) once
 * the OSDs refuse this client; every op then fails with it, and a new handle is needed.
 */
export class Rados extends EventEmitter {
  private closed = false;
  connectMs = 0;
  private dataPath: Promise<DataPath> | undefined;

  private constructor(
    readonly config: ResolvedConfig,
    /** @internal the cephx client (tests and benchmarks reach it; not part of the published API) */
    readonly cephx: CephxClient,
    /** @internal */
    readonly msgr: Messenger,
    /** @internal the MonClient */
    readonly monc: MonClient,
  ) {
    super();
  }

  /** Read the configuration, find a mon, authenticate, fetch the monmap. */
  static async connect(opts: ConnectOptions = {}): Promise<Rados> {
    const config = await resolveClientConfig(opts);
    const type = ENTITY_TYPE_NUMBERS[config.name.type];
    if (type === undefined) throw cephError('EINVAL', `bad entity type ${config.name.type}`, { op: 'connect' });
    const cephx = new CephxClient({ type, id: config.name.id }, config.key);
    const monModes = parseModeList(config.get('ms_mon_client_mode') ?? 'secure crc');
    const monAddrs = config.monAddrs.flatMap((vec) => vec.filter((a) => a.type === 'v2').map(toEntityAddr));
    if (monAddrs.length === 0) {
      throw cephError('EINVAL', 'no msgr2 (v2) monitor address in mon_host; this client speaks msgr2 only', { op: 'connect' });
    }
    const msgr = new Messenger();
    const monc = new MonClient({
      monAddrs,
      cephx,
      modes: monModes,
      myNonce: msgr.nonce,
      nextGlobalSeq: msgr.nextGlobalSeq,
      connectTimeoutMs: secondsOption(config, 'ms_connection_ready_timeout', 10),
      huntIntervalMs: secondsOption(config, 'mon_client_hunt_interval', 3),
      pingIntervalMs: secondsOption(config, 'mon_client_ping_interval', 10),
      pingTimeoutMs: secondsOption(config, 'mon_client_ping_timeout', 30),
      injectSocketFailures: injectSocketFailures(config),
    });
    const rados = new Rados(config, cephx, msgr, monc);
    const timeoutMs = opts.timeoutMs ?? secondsOption(config, 'client_mount_timeout', 30);
    const t0 = performance.now();
    try {
      await monc.connect({ timeoutMs, ...(opts.signal ? { signal: opts.signal } : {}) });
    } catch (e) {
      monc.shutdown();
      throw e;
    }
    rados.connectMs = performance.now() - t0;
    return rados;
  }

  /** The cluster fsid, from the monmap. */
  get fsid(): string {
    return this.monc.fsid!;
  }

  /** @internal */
  get monmap(): MonMap {
    return this.monc.monmap!;
  }

  /** client.<global_id> */
  get instanceName(): string {
    return `client.${this.cephx.globalId}`;
  }

  private checkOpen(op: string): void {
    if (this.closed) throw cephError('ESHUTDOWN', 'cluster handle is shut down', { op });
  }

  /**
   * A mon command: JSON in, `{ rc, outs, outbl }` out. rc is 0 or a negative errno,
   * as python-rados returns it; `monCommandJson` throws instead.
   */
  async monCommand(cmd: object | string, opts: WaitOptions & { inbuf?: Buffer } = {}): Promise<MonCommandResult> {
    this.checkOpen('mon_command');
    return this.monc.command(cmd, opts);
  }

  /** A mon command whose failure throws a CephError and whose JSON output is parsed. */
  async monCommandJson<T = unknown>(cmd: Record<string, unknown>, opts: WaitOptions = {}): Promise<T> {
    const r = await this.monCommand({ format: 'json', ...cmd }, opts);
    if (r.rc < 0) throw CephError.fromResult(r.rc, { op: String(cmd.prefix ?? 'mon_command') }, r.outs || undefined);
    const text = r.outbl.toString('utf8');
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /** What `rbd-ts status` prints. */
  async status(opts: WaitOptions = {}): Promise<ClusterStatus> {
    this.checkOpen('status');
    const osdmap = await this.monc.getVersion('osdmap', opts);
    const mm = this.monmap;
    const session = this.monc.session;
    const mons: MonStatus[] = mm.ranks.map((name, rank) => {
      const info = mm.mons.get(name)!;
      return { name, rank, addr: info.addrs.map((a) => addrToString(a)).join(',') };
    });
    let sessionMon = '';
    if (session) {
      const hit = mm.ranks.find((n) => mm.mons.get(n)?.addrs.some((a) => a.ip === session.addr.ip && a.port === session.addr.port));
      sessionMon = hit ?? addrToString(session.addr);
    }
    return {
      fsid: mm.fsid,
      name: `${this.config.name.type}.${this.config.name.id}`,
      globalId: this.cephx.globalId.toString(),
      mons,
      monmapEpoch: mm.epoch,
      osdmapEpoch: osdmap.version,
      sessionMon,
      authMode: modeName(session?.conMode ?? 0),
      connectMs: Math.round(this.connectMs * 100) / 100,
    };
  }

  // ---- the data path: OSD maps and the objecter, started on first use ---------------

  private startDataPath(): Promise<DataPath> {
    if (!this.dataPath) {
      const tracker = new OSDMapTracker(this.monc).start();
      const maps = new TrackerMapSource(tracker);
      const objecter = new Objecter({
        cephx: this.cephx,
        maps,
        myNonce: this.msgr.nonce,
        nextGlobalSeq: this.msgr.nextGlobalSeq,
        modes: parseModeList(this.config.get('ms_client_mode') ?? 'crc secure'),
        opTimeoutMs: secondsOption(this.config, 'rados_osd_op_timeout', 60) || 60_000,
        connectTimeoutMs: secondsOption(this.config, 'ms_connection_ready_timeout', 10),
        injectSocketFailures: injectSocketFailures(this.config),
      });
      objecter.on('blocklisted', (e: CephError) => this.emit('blocklisted', e));
      const dp = { tracker, objecter };
      this.dataPath = tracker.waitForMap({ timeoutMs: 30_000 }).then(
        () => dp,
        (e: unknown) => {
          this.dataPath = undefined;
          objecter.shutdown();
          tracker.stop();
          throw e;
        },
      );
    }
    return this.dataPath;
  }

  /** @internal The current OSDMap (fetched on first use). */
  async osdmap(opts: CallOptions = {}): Promise<OSDMap> {
    this.checkOpen('osdmap');
    const { tracker } = await this.startDataPath();
    return tracker.waitForMap(opts);
  }

  /** @internal The objecter (fetches the OSDMap on first use). */
  async objecter(): Promise<Objecter> {
    this.checkOpen('objecter');
    return (await this.startDataPath()).objecter;
  }

  private async poolId(pool: string | number, op: string): Promise<{ id: number; name: string; map: OSDMap }> {
    let map = await this.osdmap();
    const find = (m: OSDMap) =>
      typeof pool === 'number'
        ? m.getPool(pool)
          ? { id: pool, name: m.poolNames.get(pool) ?? String(pool) }
          : undefined
        : (() => {
            const p = m.poolByName(pool);
            return p ? { id: p.id, name: pool } : undefined;
          })();
    let hit = find(map);
    if (!hit) {
      // a pool created a moment ago may be in a newer map than ours
      const latest = await this.monc.getVersion('osdmap');
      if (latest.version > map.epoch) {
        const { tracker } = await this.startDataPath();
        tracker.requestNewer();
        map = await tracker.waitForEpoch(latest.version, { timeoutMs: 10_000 });
        hit = find(map);
      }
    }
    if (!hit) throw cephError('ENOENT', `pool ${pool} does not exist`, { op, pool });
    return { ...hit, map };
  }

  /** An IoCtx on a pool (by name or id), optionally in a namespace. */
  async openIoctx(pool: string | number, opts: { namespace?: string } = {}): Promise<IoCtx> {
    this.checkOpen('open_ioctx');
    const { id, name } = await this.poolId(pool, 'open_ioctx');
    const { objecter, tracker } = await this.startDataPath();
    const host = {
      objecter,
      cluster: this.clusterView(tracker),
      pgNum: (p: number) => tracker.current?.getPool(p)?.pgNum ?? 0,
      createSelfManagedSnap: (p: number, o: CallOptions) => this.createSelfManagedSnap(p, o),
      removeSelfManagedSnap: (p: number, snap: bigint, o: CallOptions) => this.removeSelfManagedSnap(p, snap, o),
    };
    return new IoCtx(host, id, name, opts.namespace ?? '');
  }

  private clusterView(tracker: OSDMapTracker): ClusterView {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const rados = this;
    return {
      get globalId() {
        return rados.cephx.globalId;
      },
      openIoctx: (pool, o) => this.openIoctx(pool, o),
      poolName: (id) => tracker.current?.poolNames.get(id),
      poolIds: () => [...(tracker.current?.poolNames.keys() ?? [])],
      requireMinCompatClient: () => tracker.current?.requireMinCompatClient ?? 0,
      monCommand: (cmd, o) => this.monCommand(cmd, o),
      config: this.config,
    };
  }

  /** What `ceph osd map POOL OBJECT [NAMESPACE]` prints, computed from our OSDMap. */
  async objectLocation(pool: string | number, oid: string, opts: { nspace?: string; key?: string } = {}): Promise<ObjectLocation> {
    const { id, map } = await this.poolId(pool, 'object_location');
    return map.objectLocation(id, oid, opts);
  }

  /** Allocate a self-managed snap id (MPoolOp to the mon); waits for the map that has it. */
  async createSelfManagedSnap(pool: number, opts: CallOptions = {}): Promise<bigint> {
    const r = await this.monc.poolOp(pool, PoolOpCode.CREATE_UNMANAGED_SNAP, opts);
    if (r.replyCode < 0) throw CephError.fromResult(r.replyCode, { op: 'selfmanaged_snap_create', pool });
    if (!r.data || r.data.length < 8) throw cephError('EPROTO', 'no snap id in the pool op reply', { op: 'selfmanaged_snap_create', pool });
    const snap = new Decoder(r.data, 0, r.data.length, 'snapid').u64();
    const { tracker } = await this.startDataPath();
    if (r.epoch > tracker.epoch) {
      tracker.requestNewer();
      await tracker.waitForEpoch(r.epoch, opts);
    }
    return snap;
  }

  async removeSelfManagedSnap(pool: number, snapid: bigint, opts: CallOptions = {}): Promise<void> {
    const r = await this.monc.poolOp(pool, PoolOpCode.DELETE_UNMANAGED_SNAP, { ...opts, snapid });
    if (r.replyCode < 0) throw CephError.fromResult(r.replyCode, { op: 'selfmanaged_snap_remove', pool });
  }

  /** Close every session and timer; the process can exit by itself afterwards. */
  shutdown(): void {
    if (this.closed) return;
    this.closed = true;
    const dp = this.dataPath;
    this.dataPath = undefined;
    dp?.then(
      ({ objecter, tracker }) => {
        objecter.shutdown();
        tracker.stop();
      },
      () => undefined,
    );
    this.monc.shutdown();
  }
}

/** ms_inject_socket_failures: one socket read or write in N fails (a dev option for fault tests; 0 = off) */
function injectSocketFailures(config: ResolvedConfig): number {
  const n = config.getInteger('ms_inject_socket_failures') ?? 0;
  if (!Number.isSafeInteger(n) || n < 0) throw cephError('EINVAL', `ms_inject_socket_failures must be a count >= 0, not ${n}`, { op: 'connect' });
  return n;
}

function secondsOption(config: ResolvedConfig, name: string, dflt: number): number {
  let v: number | undefined;
  try {
    v = config.getSeconds(name);
  } catch {
    v = undefined;
  }
  return Math.round((v ?? dflt) * 1000);
}
