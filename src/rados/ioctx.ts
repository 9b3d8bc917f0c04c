// IoCtx: the per-pool object API (python-rados names in camelCase). Each call builds the
// sub-ops of one MOSDOp (src/rados/op-builder.ts) and hands it to the objecter.

import type { ResolvedConfig } from '../config/client-config.js';
import { Decoder } from '../encoding/decoder.js';
import { CephError, cephError } from '../encoding/errno.js';
import { addrToString, decodeEntityAddr, decodeEntityNameT, decodeUTime, entityTypeName, utimeToDate } from '../encoding/types.js';
import type { ObjectLocator, SnapContext } from './messages/osd-op.js';
import { CEPH_NOSNAP, OsdFlag, OsdOpCode } from './osd-ops.js';
import { ALL_NSPACES, DEFAULT_HOBJECT, decodePgNlsResponse } from './messages/pgnls.js';
import type { NotifyResult, Objecter, WatchCallbacks } from './objecter.js';
import { ReadOp, WriteOp, type ObjectOperation } from './op-builder.js';

/** The messenger's pooled I/O buffers: take one, give back a read's result or a written chunk (src/msgr2/read-buffers.ts). */
export { recycle as recycleReadBuffer, takeReadBuffer } from '../msgr2/read-buffers.js';

export interface CallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface StatResult {
  size: number;
  mtime: Date;
}

export interface OmapPage {
  entries: Map<string, Buffer>;
  more: boolean;
}

export interface IoCtxHost {
  objecter: Objecter;
  /** MPoolOp CREATE_UNMANAGED_SNAP: a new snap id, once the map that knows it is here */
  createSelfManagedSnap(pool: number, opts: CallOptions): Promise<bigint>;
  removeSelfManagedSnap(pool: number, snapid: bigint, opts: CallOptions): Promise<void>;
  pgNum(pool: number): number;
  /** the cluster handle's own view, for layers above (RBD) */
  cluster: ClusterView;
}

/** What an IoCtx can tell about its cluster. */
export interface ClusterView {
  /** this client's global id (client.<id>) */
  readonly globalId: bigint;
  openIoctx(pool: string | number, opts?: { namespace?: string }): Promise<IoCtx>;
  /** pool id → name from the current OSDMap */
  poolName(id: number): string | undefined;
  /** every pool id in the current OSDMap */
  poolIds(): number[];
  /** the OSDMap's require_min_compat_client (CephRelease number: luminous 12, mimic 13) */
  requireMinCompatClient(): number;
  /** a mon command (rc 0 or a negative errno), e.g. `osd blocklist add` when breaking a dead owner's lock */
  monCommand(cmd: object, opts?: CallOptions): Promise<{ rc: number; outs: string; outbl: Buffer }>;
  /** the client's configuration (options given to connect > environment > conf file) */
  readonly config: Pick<ResolvedConfig, 'get' | 'getBool' | 'getInteger' | 'getSize'>;
}

export interface WatcherInfo {
  /** client.<gid> */
  name: string;
  gid: bigint;
  cookie: bigint;
  timeoutSeconds: number;
  addr: string;
}

export class IoCtx {
  /** reads go to this snap id (CEPH_NOSNAP = head) */
  readSnap: bigint = CEPH_NOSNAP;
  /** writes carry this snap context */
  snapc: SnapContext = { seq: 0n, snaps: [] };

  /** @internal IoCtxs come from Rados.openIoctx */
  constructor(
    private readonly host: IoCtxHost,
    readonly poolId: number,
    readonly poolName: string,
    readonly namespace = '',
  ) {}

  get cluster(): ClusterView {
    return this.host.cluster;
  }

  get oloc(): ObjectLocator {
    return this.namespace ? { pool: this.poolId, nspace: this.namespace } : { pool: this.poolId };
  }

  /** Same pool, another namespace. */
  withNamespace(nspace: string): IoCtx {
    const io = new IoCtx(this.host, this.poolId, this.poolName, nspace);
    io.readSnap = this.readSnap;
    io.snapc = this.snapc;
    return io;
  }

  /** Reads at a snapshot id (python-rados set_read; CEPH_NOSNAP for head). */
  setReadSnap(snapid: bigint): void {
    this.readSnap = snapid;
  }

  /** The snap context writes carry (python-rados set_self_managed_snap_write). */
  setSnapContext(seq: bigint, snaps: bigint[]): void {
    this.snapc = { seq, snaps: [...snaps].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)) };
  }

  /**
   * Run a compound operation on one object: all sub-ops in one MOSDOp, applied
   * atomically by the OSD. Throws on a negative result; returns the per-op outputs.
   */
  async operate(oid: string, op: ObjectOperation, opts: CallOptions = {}): Promise<{ ops: Array<{ rval: number; outdata: Buffer }>; version: bigint }> {
    if (op.ops.length === 0) throw cephError('EINVAL', 'empty operation', { op: 'operate', object: oid });
    const write = op instanceof WriteOp;
    const r = await this.host.objecter.submit({
      oid,
      oloc: this.oloc,
      ops: op.ops,
      write,
      ...(write ? { snapc: this.snapc } : { snapid: this.readSnap }),
      ...(op.flags ? { flags: op.flags } : {}),
      ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
      ...(opts.signal ? { signal: opts.signal } : {}),
    });
    if (r.result < 0) {
      const failed = r.ops.findIndex((o) => o.rval < 0);
      const name = op.ops.map((o, i) => (i === failed ? `[${op.describe(i)}]` : op.describe(i))).join('+');
      throw CephError.fromResult(r.result, { op: name, object: oid, pool: this.poolName });
    }
    return { ops: r.ops.map((o) => ({ rval: o.rval, outdata: o.outdata })), version: r.version };
  }

  // ---- data ------------------------------------------------------------------------------

  async read(oid: string, length = 8192, offset = 0, opts: CallOptions = {}): Promise<Buffer> {
    const r = await this.operate(oid, new ReadOp().read(offset, length), opts);
    return r.ops[0]!.outdata;
  }

  async write(oid: string, data: Buffer, offset = 0, opts: CallOptions = {}): Promise<void> {
    await this.operate(oid, new WriteOp().write(data, offset), opts);
  }

  async writeFull(oid: string, data: Buffer, opts: CallOptions = {}): Promise<void> {
    await this.operate(oid, new WriteOp().writeFull(data), opts);
  }

  async append(oid: string, data: Buffer, opts: CallOptions = {}): Promise<void> {
    await this.operate(oid, new WriteOp().append(data), opts);
  }

  async truncate(oid: string, size: number, opts: CallOptions = {}): Promise<void> {
    await this.operate(oid, new WriteOp().truncate(size), opts);
  }

  async zero(oid: string, offset: number, length: number, opts: CallOptions = {}): Promise<void> {
    if (length === 0) return;
    await this.operate(oid, new WriteOp().zero(offset, length), opts);
  }

  async stat(oid: string, opts: CallOptions = {}): Promise<StatResult> {
    const r = await this.operate(oid, new ReadOp().stat(), opts);
    const d = new Decoder(r.ops[0]!.outdata, 0, r.ops[0]!.outdata.length, 'stat');
    const size = d.u64n();
    const mtime = utimeToDate(decodeUTime(d));
    return { size, mtime };
  }

  async remove(oid: string, opts: CallOptions = {}): Promise<void> {
    await this.operate(oid, new WriteOp().remove(), opts);
  }

  /** Create an empty object; `exclusive` fails with EEXIST if it exists. */
  async create(oid: string, exclusive = false, opts: CallOptions = {}): Promise<void> {
    await this.operate(oid, new WriteOp().create(exclusive), opts);
  }

  // ---- xattrs ----------------------------------------------------------------------------

  async getXattr(oid: string, name: string, opts: CallOptions = {}): Promise<Buffer> {
    const r = await this.operate(oid, new ReadOp().getXattr(name), opts);
    return r.ops[0]!.outdata;
  }

  async getXattrs(oid: string, opts: CallOptions = {}): Promise<Map<string, Buffer>> {
    const r = await this.operate(oid, new ReadOp().getXattrs(), opts);
    const out = r.ops[0]!.outdata;
    const d = new Decoder(out, 0, out.length, 'getxattrs');
    return d.map(
      (x) => x.string(),
      (x) => Buffer.from(x.bufferlist()),
      8,
    );
  }

  async setXattr(oid: string, name: string, value: Buffer, opts: CallOptions = {}): Promise<void> {
    await this.operate(oid, new WriteOp().setXattr(name, value), opts);
  }

  async rmXattr(oid: string, name: string, opts: CallOptions = {}): Promise<void> {
    await this.operate(oid, new WriteOp().rmXattr(name), opts);
  }

  // ---- omap ------------------------------------------------------------------------------

  async getOmapVals(oid: string, o: { startAfter?: string; filterPrefix?: string; maxReturn?: number } & CallOptions = {}): Promise<OmapPage> {
    const r = await this.operate(oid, new ReadOp().getOmapVals(o.startAfter ?? '', o.filterPrefix ?? '', o.maxReturn ?? 512), o);
    return ReadOp.decodeOmapVals(r.ops[0]!.outdata);
  }

  async getOmapKeys(oid: string, o: { startAfter?: string; maxReturn?: number } & CallOptions = {}): Promise<{ keys: string[]; more: boolean }> {
    const r = await this.operate(oid, new ReadOp().getOmapKeys(o.startAfter ?? '', o.maxReturn ?? 512), o);
    return ReadOp.decodeOmapKeys(r.ops[0]!.outdata);
  }

  async getOmapValsByKeys(oid: string, keys: readonly string[], opts: CallOptions = {}): Promise<Map<string, Buffer>> {
    const r = await this.operate(oid, new ReadOp().getOmapValsByKeys(keys), opts);
    return ReadOp.decodeOmapValsByKeys(r.ops[0]!.outdata);
  }

  async setOmap(oid: string, kv: Map<string, Buffer> | Record<string, Buffer>, opts: CallOptions = {}): Promise<void> {
    await this.operate(oid, new WriteOp().setOmap(kv), opts);
  }

  async removeOmapKeys(oid: string, keys: readonly string[], opts: CallOptions = {}): Promise<void> {
    await this.operate(oid, new WriteOp().removeOmapKeys(keys), opts);
  }

  async clearOmap(oid: string, opts: CallOptions = {}): Promise<void> {
    await this.operate(oid, new WriteOp().clearOmap(), opts);
  }

  // ---- object classes --------------------------------------------------------------------

  /**
   * Call a method of an object class (`cls`): input bytes in, output bytes out. A read
   * method runs as a read op; `write: true` sends it as a write (with RETURNVEC so the
   * output comes back).
   */
  async execute(oid: string, cls: string, method: string, input: Buffer = Buffer.alloc(0), opts: CallOptions & { write?: boolean } = {}): Promise<Buffer> {
    const op = opts.write ? new WriteOp().call(cls, method, input).returnVec() : new ReadOp().call(cls, method, input);
    const r = await this.operate(oid, op, opts);
    return r.ops[0]!.outdata;
  }

  /** The watchers of an object (LIST_WATCHERS). */
  async listWatchers(oid: string, opts: CallOptions = {}): Promise<WatcherInfo[]> {
    const r = await this.operate(oid, new ReadOp().listWatchers(), opts);
    const out = r.ops[0]!.outdata;
    const d = new Decoder(out, 0, out.length, 'list_watchers');
    return d.versioned(1, 'obj_list_watch_response_t', (x) =>
      x.list(
        (y) =>
          y.versioned(2, 'watch_item_t', (w, v) => {
            const n = decodeEntityNameT(w);
            const cookie = w.u64();
            const timeoutSeconds = w.u32();
            const addr = v >= 2 ? addrToString(decodeEntityAddr(w)) : '';
            return { name: `${entityTypeName(n.type)}.${n.num}`, gid: n.num, cookie, timeoutSeconds, addr };
          }),
        6,
      ),
    );
  }

  // ---- listing ----------------------------------------------------------------------------

  /**
   * Every object of this namespace (or of all namespaces with `allNamespaces`), PG by PG
   * with PGNLS; yields as pages arrive.
   */
  async *listObjects(o: { allNamespaces?: boolean; pageSize?: number } & CallOptions = {}): AsyncGenerator<{ oid: string; nspace: string; locator: string }> {
    const pgNum = this.host.pgNum(this.poolId);
    const oloc: ObjectLocator = { pool: this.poolId, nspace: o.allNamespaces ? ALL_NSPACES : this.namespace };
    for (let seed = 0; seed < pgNum; seed++) {
      let cursor = DEFAULT_HOBJECT;
      for (;;) {
        const r = await this.host.objecter.submit({
          oid: '',
          oloc,
          pgid: { pool: this.poolId, seed },
          ops: [{ op: OsdOpCode.PGNLS, pgls: { count: o.pageSize ?? 1024, startEpoch: 0 }, indata: cursor }],
          flags: OsdFlag.PGOP,
          snapid: CEPH_NOSNAP,
          ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
          ...(o.signal ? { signal: o.signal } : {}),
        });
        if (r.result < 0) throw CephError.fromResult(r.result, { op: 'pgnls', pool: this.poolName });
        const page = decodePgNlsResponse(r.ops[0]!.outdata);
        for (const e of page.entries) yield e;
        // result 1: the PG is exhausted (the handle then points at the next PG's start)
        if (r.result === 1 || page.handleIsMax) break;
        cursor = page.handle;
      }
    }
  }

  // ---- self-managed snapshots -------------------------------------------------------------

  /** Allocate a self-managed snap id in this pool (through the mon). */
  createSelfManagedSnap(opts: CallOptions = {}): Promise<bigint> {
    return this.host.createSelfManagedSnap(this.poolId, opts);
  }

  /** Release a self-managed snap id; the OSDs trim its clones. */
  removeSelfManagedSnap(snapid: bigint, opts: CallOptions = {}): Promise<void> {
    return this.host.removeSelfManagedSnap(this.poolId, snapid, opts);
  }

  // ---- watch / notify --------------------------------------------------------------------

  /** Watch an object; the callback's return value is the notify reply. Returns a handle. */
  async watch(oid: string, cb: WatchCallbacks['onNotify'] | WatchCallbacks, opts: CallOptions = {}): Promise<Watch> {
    const callbacks = typeof cb === 'function' ? { onNotify: cb } : cb;
    const cookie = await this.host.objecter.watch(this.oloc, oid, callbacks, opts);
    return new Watch(this.host.objecter, cookie, oid);
  }

  /** Notify an object's watchers and collect their replies. */
  async notify(oid: string, msg: Buffer | string = Buffer.alloc(0), opts: CallOptions = {}): Promise<NotifyResult> {
    const payload = typeof msg === 'string' ? Buffer.from(msg) : msg;
    return this.host.objecter.notify(this.oloc, oid, payload, opts);
  }
}

export class Watch {
  private closed = false;
  /** @internal watches come from IoCtx.watch */
  constructor(
    private readonly objecter: Objecter,
    readonly cookie: bigint,
    readonly oid: string,
  ) {}

  async unwatch(opts: CallOptions = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.objecter.unwatch(this.cookie, opts);
  }
}
