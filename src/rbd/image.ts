// The public handle of an open format-2 image (python-rbd's Image): read-only views of its
// state (an ImageCtx), the image I/O, snapshots, resize, flatten, info. Changes are taken
// under the exclusive lock on exclusive-lock images; every metadata change ends with the
// HEADER_UPDATE notify that makes librbd clients refresh, and a HEADER_UPDATE from another
// client makes this handle refresh before its next operation (librbd's ImageState).

import { EventEmitter } from 'node:events';
import { bestEffort, cephError, isErrno, ignoring } from '../encoding/errno.js';
import { utimeToDate, type UTime } from '../encoding/types.js';
import { withDeadline } from '../common/wait.js';
import type { CallOptions, IoCtx } from '../rados/ioctx.js';
import { CEPH_NOSNAP } from '../rados/osd-ops.js';
import { call } from './cls/exec.js';
import * as R from './cls/rbd.js';
import { ExclusiveLock } from './exclusive-lock.js';
import { Feature, OpFeature, featureNames, flagNames, opFeatureNames } from './features.js';
import { ImageCtx, type SnapState } from './image-ctx.js';
import { ImageIo } from './image-io.js';
import { ImageWatcher, notifyHeaderUpdate } from './image-watcher.js';
import { objectCount, type Layout } from './layout.js';
import { headerObject, idObject } from './names.js';
import { ObjectMap } from './object-map.js';
import { detachChild } from './remove.js';
import * as S from './snapshots.js';
import { ImageReadStream, ImageWriteStream, type ImageReadStreamOptions, type ImageWriteStreamOptions } from './stream.js';
import type { ChildInfo, ImageStat, ParentInfo, RbdInfoJson, SnapInfo } from './types.js';

export interface OpenOptions extends CallOptions {
  /** open at this snapshot (read-only) */
  snapshot?: string;
  /** open at this snapshot id (read-only) */
  snapId?: bigint;
  readOnly?: boolean;
}

export interface FlattenOptions extends CallOptions {
  /** objects done so far, and the total */
  onProgress?: (done: number, total: number) => void;
}

export interface ResizeOptions extends CallOptions {
  /** false: refuse to shrink (EINVAL), as `rbd resize` without --allow-shrink */
  allowShrink?: boolean;
}

/**
 * An open image. Events: 'lock-lost' (CephError) when the exclusive lock this handle held is
 * lost rather than given up: its header watch died (blocklisted, header removed).
 */
export class Image extends EventEmitter {
  private readonly ctx: ImageCtx;
  private readonly map: ObjectMap;
  private readonly imageIo: ImageIo;
  private readonly snapHost: S.SnapshotHost;
  /** the header watch, from the first change of an exclusive-lock image on */
  private watcher: ImageWatcher | undefined;
  private exclusiveLock: ExclusiveLock | undefined;
  /** HEADER_UPDATEs seen, and how many of them the last refresh covered (ImageState) */
  private updateSeq = 0;
  private refreshedSeq = 0;
  private closed = false;
  /** set while a change holds writes back (snapshot create, rollback, resize) */
  private writesBlocked: Promise<void> | undefined;

  private constructor(ctx: ImageCtx) {
    super();
    this.ctx = ctx;
    this.map = new ObjectMap(ctx);
    this.imageIo = new ImageIo(ctx, this.map);
    this.snapHost = { ctx, map: this.map, io: this.imageIo, refreshAndNotify: (o) => this.refreshAndNotify(o) };
  }

  /** Open an image by name (python-rbd Image(ioctx, name, snapshot, read_only)). */
  static async open(io: IoCtx, name: string, opts: OpenOptions = {}): Promise<Image> {
    const id = await call(io, idObject(name), R.getId(), opts).catch((e: unknown) => {
      if (isErrno(e, 'ENOENT')) throw cephError('ENOENT', `image ${name} does not exist`, { op: 'open', image: name });
      throw e;
    });
    return Image.openById(io, id, name, opts);
  }

  /** Open an image whose id is known (its name is looked up if not given). */
  static async openById(io: IoCtx, id: string, name?: string, opts: OpenOptions = {}): Promise<Image> {
    const nm = name ?? (await S.imageName(io, id, opts).catch(bestEffort)) ?? id;
    const ctx = new ImageCtx(io, nm, id, !!(opts.readOnly || opts.snapshot || opts.snapId !== undefined));
    const img = new Image(ctx);
    await img.refresh(opts);
    if (opts.snapshot !== undefined) {
      ctx.snapId = ctx.userSnap(opts.snapshot, 'open').id;
    } else if (opts.snapId !== undefined) {
      if (!ctx.snaps.some((x) => x.id === opts.snapId)) throw ctx.error('ENOENT', `snapshot id ${opts.snapId} does not exist`, 'open');
      ctx.snapId = opts.snapId;
    }
    if (ctx.snapId !== CEPH_NOSNAP) await img.map.load(opts);
    return img;
  }

  // ---- state (read-only) -----------------------------------------------------------------------

  get io(): IoCtx {
    return this.ctx.io;
  }
  get name(): string {
    return this.ctx.name;
  }
  get id(): string {
    return this.ctx.id;
  }
  get readOnly(): boolean {
    return this.ctx.readOnly;
  }
  get headerOid(): string {
    return this.ctx.headerOid;
  }
  /** the head's size */
  get size(): number {
    return this.ctx.size;
  }
  /** size at the open snapshot (or the head) */
  get currentSize(): number {
    return this.ctx.currentSize;
  }
  get features(): number {
    return this.ctx.features;
  }
  get flags(): number {
    return this.ctx.flags;
  }
  get opFeatures(): number {
    return this.ctx.opFeatures;
  }
  get objectPrefix(): string {
    return this.ctx.objectPrefix;
  }
  get dataPoolId(): number {
    return this.ctx.dataPoolId;
  }
  get layout(): Readonly<Layout> {
    return this.ctx.layout;
  }
  get snapc(): { readonly seq: bigint; readonly snaps: readonly bigint[] } {
    return this.ctx.snapc;
  }
  /** every snapshot, all namespaces, by id */
  get snaps(): readonly SnapState[] {
    return this.ctx.snaps;
  }
  get parent(): Readonly<R.ParentImageSpec> | undefined {
    return this.ctx.parent;
  }
  get parentOverlap(): number | undefined {
    return this.ctx.parentOverlap;
  }
  get created(): UTime {
    return this.ctx.created;
  }
  get accessed(): UTime {
    return this.ctx.accessed;
  }
  get modified(): UTime {
    return this.ctx.modified;
  }
  /** the snapshot this handle is open at (CEPH_NOSNAP: the head) */
  get snapId(): bigint {
    return this.ctx.snapId;
  }

  /** Re-read the header: size, features, snapshots, parent (librbd's refresh). */
  async refresh(opts: CallOptions = {}): Promise<void> {
    const seq = this.updateSeq;
    await this.ctx.refresh(opts);
    this.refreshedSeq = seq;
  }

  /** Refresh if another client announced a header change since the last refresh. */
  private async refreshIfNeeded(opts: CallOptions): Promise<void> {
    if (this.refreshedSeq !== this.updateSeq) await this.refresh(opts);
  }

  private async refreshAndNotify(opts: CallOptions): Promise<void> {
    await this.refresh(opts);
    await this.notifyUpdate();
  }

  /** Tell watchers (librbd clients holding the image open) to refresh. */
  notifyUpdate(): Promise<void> {
    return notifyHeaderUpdate(this.ctx.io, this.ctx.headerOid);
  }

  private checkOpen(op: string): void {
    if (this.closed) throw this.ctx.error('ESHUTDOWN', 'image is closed', op);
  }

  private checkWritable(op: string): void {
    this.checkOpen(op);
    if (this.ctx.readOnly) throw this.ctx.error('EROFS', 'image is open read-only', op);
  }

  private checkExtent(offset: number, length: number, op: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw this.ctx.error('EINVAL', `bad extent ${offset}~${length}`, op);
    }
  }

  // ---- info ------------------------------------------------------------------------------------

  stat(): ImageStat {
    const size = this.ctx.currentSize;
    return {
      size,
      objSize: this.ctx.layout.objectSize,
      numObjs: objectCount(this.ctx.layout, size),
      order: this.ctx.layout.order,
      blockNamePrefix: this.ctx.objectPrefix,
      parentPool: this.ctx.parent?.poolId ?? -1,
      parentName: '',
    };
  }

  /** Every field `rbd info --format json` prints, same keys and values. */
  async info(opts: CallOptions = {}): Promise<RbdInfoJson> {
    const { ctx } = this;
    const fmt = (t: UTime) => ctime(utimeToDate(t));
    const size = ctx.currentSize;
    const j: RbdInfoJson = {
      name: ctx.name,
      id: ctx.id,
      size,
      objects: objectCount(ctx.layout, size),
      order: ctx.layout.order,
      object_size: ctx.layout.objectSize,
      snapshot_count: ctx.snaps.filter((s) => s.namespace.type === R.SnapNamespaceType.USER).length,
      block_name_prefix: ctx.objectPrefix,
      format: 2,
      features: featureNames(ctx.features),
      op_features: opFeatureNames(ctx.opFeatures),
      flags: flagNames(ctx.currentFlags),
      create_timestamp: fmt(ctx.created),
      access_timestamp: fmt(ctx.accessed),
      modify_timestamp: fmt(ctx.modified),
    };
    if (ctx.dataPoolId >= 0) j.data_pool = ctx.io.cluster.poolName(ctx.dataPoolId) ?? String(ctx.dataPoolId);
    if (ctx.features & Feature.STRIPINGV2) {
      j.stripe_unit = ctx.layout.stripeUnit;
      j.stripe_count = ctx.layout.stripeCount;
    }
    const p = await this.parentInfo(opts);
    if (p) {
      j.parent = { pool: p.pool, pool_namespace: p.poolNamespace, image: p.image, id: p.imageId, snapshot: p.snapshot, trash: p.trash, overlap: p.overlap };
    }
    if (ctx.openSnap) j.protected = ctx.openSnap.protection === R.Protection.PROTECTED ? 'true' : 'false';
    return j;
  }

  /** The parent of the head (or of the open snapshot): pool, image, snapshot, overlap. */
  async parentInfo(opts: CallOptions = {}): Promise<ParentInfo | undefined> {
    const spec = this.ctx.parent;
    const overlap = this.ctx.rawOverlap;
    if (!spec || overlap === undefined) return undefined;
    const cluster = this.ctx.io.cluster;
    const pio = await cluster.openIoctx(spec.poolId, { namespace: spec.poolNamespace });
    const image = await S.imageName(pio, spec.imageId, opts);
    // a snapshot in the trash namespace goes by its trash name (a uuid), as rbd prints it
    const si = await call(pio, headerObject(spec.imageId), R.snapshotGet(spec.snapId), opts).catch((e: unknown) => {
      if (!isErrno(e, 'ENOENT')) throw e;
      return undefined;
    });
    return {
      poolId: spec.poolId,
      pool: cluster.poolName(spec.poolId) ?? String(spec.poolId),
      poolNamespace: spec.poolNamespace,
      image: image ?? '',
      imageId: spec.imageId,
      snapshot: si?.name ?? '',
      snapId: spec.snapId,
      overlap,
      trash: image === undefined,
    };
  }

  // ---- snapshots -------------------------------------------------------------------------------

  /** The user snapshots, oldest first. */
  listSnaps(): SnapInfo[] {
    return this.ctx.snaps.filter((s) => s.namespace.type === R.SnapNamespaceType.USER).map(S.snapInfo);
  }

  /** A handle on one snapshot (go-ceph's Snapshot); ENOENT if there is none by that name. */
  getSnapshot(name: string): Snapshot {
    this.ctx.userSnap(name, 'snap_get');
    return new Snapshot(this, name);
  }

  /** Create a snapshot; resolves with its id. */
  createSnap(name: string, opts: CallOptions = {}): Promise<bigint> {
    return this.change('snap_create', opts, () => S.createSnap(this.snapHost, name, opts), true);
  }

  /** Remove a snapshot (into the trash namespace while clone-v2 children still need it). */
  removeSnap(name: string, opts: CallOptions = {}): Promise<void> {
    return this.change('snap_remove', opts, () => S.removeSnap(this.snapHost, name, opts));
  }

  renameSnap(src: string, dst: string, opts: CallOptions = {}): Promise<void> {
    return this.change('snap_rename', opts, () => S.renameSnap(this.snapHost, src, dst, opts));
  }

  protectSnap(name: string, opts: CallOptions = {}): Promise<void> {
    return this.change('snap_protect', opts, () => S.protectSnap(this.snapHost, name, opts));
  }

  /** Unprotect: EBUSY while clones (format 1 in any pool, or format 2) exist. */
  unprotectSnap(name: string, opts: CallOptions = {}): Promise<void> {
    return this.change('snap_unprotect', opts, () => S.unprotectSnap(this.snapHost, name, opts));
  }

  isProtectedSnap(name: string): boolean {
    return this.ctx.userSnap(name, 'snap_is_protected').protection === R.Protection.PROTECTED;
  }

  /** Roll every data object back to the snapshot, then the size. */
  rollbackToSnap(name: string, opts: CallOptions = {}): Promise<void> {
    return this.change('snap_rollback', opts, () => S.rollbackToSnap(this.snapHost, name, opts), true);
  }

  /**
   * Clones of a snapshot (format 1 from every pool's rbd_children, format 2 from the header);
   * without a name, of the snapshot the handle is open at, or at the head of every snapshot,
   * those in the trash namespace too (librbd api::Image::list_children).
   */
  async listChildren(snapName?: string, opts: CallOptions = {}): Promise<ChildInfo[]> {
    if (snapName !== undefined) return S.listChildren(this.ctx, this.ctx.userSnap(snapName, 'list_children').id, opts);
    if (this.ctx.snapId !== CEPH_NOSNAP) return S.listChildren(this.ctx, this.ctx.snapId, opts);
    const seen = new Map<string, ChildInfo>();
    for (const s of this.ctx.snaps) {
      for (const c of await S.listChildren(this.ctx, s.id, opts)) seen.set(`${c.poolId}/${c.poolNamespace}/${c.imageId}`, c);
    }
    return [...seen.values()].sort((a, b) => a.pool.localeCompare(b.pool) || a.poolNamespace.localeCompare(b.poolNamespace) || a.image.localeCompare(b.image));
  }

  // ---- resize, flatten -------------------------------------------------------------------------

  resize(size: number, opts: ResizeOptions = {}): Promise<void> {
    return this.change(
      'resize',
      opts,
      async () => {
        const { ctx, map } = this;
        if (!Number.isSafeInteger(size) || size < 0) throw ctx.error('EINVAL', `bad size ${size}`, 'resize');
        await this.refresh(opts);
        if (size === ctx.size) return;
        const newCount = objectCount(ctx.layout, size);
        if (size > ctx.size) {
          await map.resize(newCount, opts);
          await call(ctx.io, ctx.headerOid, R.setSize(size), opts);
        } else {
          if (opts.allowShrink === false) throw ctx.error('EINVAL', 'shrinking is not allowed', 'resize');
          // librbd TrimRequest: the trimmed objects' entries EXISTS → PENDING before, → NONEXISTENT
          // after (object_map_resize refuses, ESTALE, to drop entries that are not NONEXISTENT)
          const oldCount = objectCount(ctx.layout, ctx.size);
          await map.beginRemove(newCount, oldCount, opts);
          // the object truncated at the new end is written: EXISTS_CLEAN → EXISTS (fast-diff sees the change)
          if (ctx.layout.stripeCount === 1 && size % ctx.layout.objectSize !== 0) await map.markDirty(newCount - 1, opts);
          await this.imageIo.trim(size, opts);
          await map.endRemove(newCount, oldCount, opts);
          await call(ctx.io, ctx.headerOid, R.setSize(size), opts);
          await map.resize(newCount, opts);
        }
        await this.refreshAndNotify(opts);
      },
      true,
    );
  }

  /**
   * Copy the parent's data into this clone and detach it (librbd's flatten): every object
   * within the parent overlap that the child lacks gets the parent's bytes copied up
   * (rbd_concurrent_management_ops at once), then the child record goes (clone v2:
   * child_detach on the parent snapshot; v1: rbd_children), then parent_detach on the header.
   */
  async flatten(opts: FlattenOptions = {}): Promise<void> {
    this.checkWritable('flatten');
    if (this.ctx.snapId !== CEPH_NOSNAP) throw this.ctx.error('EROFS', 'cannot flatten a snapshot', 'flatten');
    return this.change('flatten', opts, async () => {
      const { ctx } = this;
      const spec = ctx.parent;
      if (!spec) throw ctx.error('EINVAL', 'image has no parent', 'flatten');
      await this.imageIo.copyupAll(opts.onProgress, opts);
      // snapshots without deep-flatten still read through the parent: keep the child record
      if (ctx.features & Feature.DEEP_FLATTEN || ctx.snaps.length === 0) {
        await detachChild(ctx.io, ctx.id, spec, (ctx.opFeatures & OpFeature.CLONE_CHILD) !== 0, opts);
      }
      await call(ctx.io, ctx.headerOid, R.parentDetach(), opts).catch(ignoring('ENOENT'));
      this.imageIo.dropParent();
      await this.refreshAndNotify(opts);
    });
  }

  // ---- I/O -------------------------------------------------------------------------------------

  /**
   * Read image bytes (clipped at the image size). Objects the image lacks read from the
   * parent within the overlap (recursively through clone chains) and as zeros elsewhere.
   */
  async read(offset: number, length: number, opts: CallOptions = {}): Promise<Buffer> {
    this.checkOpen('read');
    this.checkExtent(offset, length, 'read');
    await this.refreshIfNeeded(opts); // a librbd client changed the header (resize, snapshot)
    return this.imageIo.read(offset, length, opts);
  }

  /**
   * Write `data` at `offset` (within the image size), striped over the data objects, with
   * the image's snap context. In a clone, the first write to an object the child lacks
   * copies the parent's bytes up together with the write (rbd.copyup + write in one op).
   * On exclusive-lock images the lock is taken first (asked of its librbd owner if need be).
   */
  async write(data: Buffer, offset: number, opts: CallOptions = {}): Promise<void> {
    this.checkWritable('write');
    this.checkExtent(offset, data.length, 'write');
    if (data.length === 0) return;
    await this.beforeWrite(opts); // may refresh: the size checked next is current
    this.checkWithin(offset, data.length, 'write');
    await this.admitWrite(opts, () => this.imageIo.write(data, offset, opts));
  }

  /** Make image bytes read as zeros without revealing a parent's data (see ImageIo.writeZeroes). */
  async writeZeroes(offset: number, length: number, opts: CallOptions = {}): Promise<void> {
    this.checkWritable('write_zeroes');
    this.checkExtent(offset, length, 'write_zeroes');
    if (length === 0) return;
    await this.beforeWrite(opts);
    this.checkWithin(offset, length, 'write_zeroes');
    await this.admitWrite(opts, () => this.imageIo.writeZeroes(offset, length, opts));
  }

  /**
   * Discard, as librbd does with its defaults (rbd_discard_granularity_bytes 64 KiB,
   * rbd_skip_partial_discard true): only the 64 KiB-aligned part of the range is zeroed.
   */
  async discard(offset: number, length: number, opts: CallOptions = {}): Promise<void> {
    const g = 64 * 1024;
    const size = this.ctx.size;
    const start = Math.ceil(offset / g) * g;
    const end = Math.min(Math.floor((offset + length) / g) * g, size);
    const tail = offset + length >= size ? size : end; // the image's last bytes count as aligned
    if (tail > start) await this.writeZeroes(start, tail - start, opts);
  }

  private checkWithin(offset: number, length: number, op: string): void {
    if (offset + length > this.ctx.size) throw this.ctx.error('EINVAL', `extent ${offset}~${length} beyond the image size ${this.ctx.size}`, op);
  }

  /**
   * Do now what a write of [offset, offset + length) does before its data: take the exclusive
   * lock and mark its objects EXISTS in the object map, one update per run of adjacent
   * objects. A bulk writer (import) calls it for chunks it has read ahead, so the update's
   * round trip, which queues on the OSD session behind the data already sent, overlaps
   * the writes in flight instead of delaying each chunk's write. Only for extents that will
   * be written: the map would otherwise say "exists" where no object is.
   */
  async prepareWrite(offset: number, length: number, opts: CallOptions = {}): Promise<void> {
    this.checkWritable('write');
    this.checkExtent(offset, length, 'write');
    await this.beforeWrite(opts);
    await this.admitWrite(opts, () => this.imageIo.prepareWrite(offset, length, opts));
  }

  // ---- streams (stream.ts) ---------------------------------------------------------------------

  /** A Readable of the image's bytes (at the open snapshot), with backpressure. */
  createReadStream(opts: ImageReadStreamOptions = {}): ImageReadStream {
    return new ImageReadStream(this, opts);
  }

  /** A Writable into the image; writes go out striped, with a bound on bytes in flight. */
  createWriteStream(opts: ImageWriteStreamOptions = {}): ImageWriteStream {
    return new ImageWriteStream(this, opts);
  }

  // ---- the exclusive lock, flush, close --------------------------------------------------------

  /** Wait for every object op this handle has in flight (writes are acknowledged only once stable). */
  async flush(): Promise<void> {
    this.checkOpen('flush');
    await this.imageIo.flush();
  }

  /** The header watcher, created once; HEADER_UPDATEs mark the handle for a refresh. */
  private headerWatcher(): ImageWatcher {
    if (!this.watcher) {
      this.watcher = new ImageWatcher(this.ctx.io, this.ctx.headerOid, this.ctx.name);
      this.watcher.onHeaderUpdate(() => void this.updateSeq++);
    }
    return this.watcher;
  }

  /**
   * Before any change to the image (data or metadata): on exclusive-lock images the lock is
   * taken here. `held`: the caller reports its end (metadata changes), see acquireHeld.
   */
  private async beforeWrite(opts: CallOptions, held = false): Promise<() => void> {
    const none = () => undefined;
    const { ctx } = this;
    if (ctx.readOnly || !(ctx.features & Feature.EXCLUSIVE_LOCK)) return none;
    const watcher = this.headerWatcher();
    this.exclusiveLock ??= new ExclusiveLock(
      {
        watcher,
        get name() {
          return ctx.name;
        },
        flush: () => this.imageIo.flush(),
        idle: () => this.imageIo.idle,
        onAcquired: async (o) => {
          await this.refresh(o);
          await this.map.acquired(o); // the head map is now ours to trust
        },
        beforeRelease: (o) => this.map.beforeRelease(o),
        onReleased: () => this.map.released(),
        onLost: (e) => this.emit('lock-lost', e),
      },
      { blocklistOnBreakLock: ctx.options.blocklistOnBreakLock, blocklistExpireSeconds: ctx.options.blocklistExpireSeconds },
    );
    await watcher.register(opts);
    await this.refreshIfNeeded(opts);
    if (!(ctx.features & Feature.EXCLUSIVE_LOCK)) return none; // the feature was turned off
    if (held) return this.exclusiveLock.acquireHeld(opts);
    await this.exclusiveLock.acquire(opts);
    return none;
  }

  /**
   * A metadata change (snapshots, resize, flatten) run as one unit under the exclusive lock:
   * a release another client asks for meanwhile waits until it is done (data writes are
   * covered by flush() instead).
   */
  /**
   * Run an image write once no change holds writes back (librbd's ImageDispatcher
   * block_writes), in the in-flight set from the moment it is admitted: a change that blocks
   * writes then waits for it.
   */
  private async admitWrite(opts: CallOptions, run: () => Promise<void>): Promise<void> {
    while (this.writesBlocked) await withDeadline(this.writesBlocked, 'write', opts, this.ctx.name);
    const p = run();
    const untrack = this.imageIo.track(p.catch(bestEffort));
    try {
      await p;
    } finally {
      untrack();
    }
  }

  /**
   * A metadata change under the exclusive lock (see beforeWrite). `blockWrites`: writes in
   * flight finish first and new ones wait until it is done, as librbd does for snapshot
   * create, rollback and resize: a write is wholly before the new snap context or wholly after.
   */
  private async change<T>(op: string, opts: CallOptions, fn: () => Promise<T>, blockWrites = false): Promise<T> {
    this.checkWritable(op);
    const done = await this.beforeWrite(opts, true);
    let unblock: (() => void) | undefined;
    try {
      if (blockWrites) {
        while (this.writesBlocked) await withDeadline(this.writesBlocked, op, opts, this.ctx.name);
        this.writesBlocked = new Promise<void>((r) => (unblock = r));
        await this.imageIo.flush();
      }
      return await fn();
    } finally {
      if (unblock) {
        this.writesBlocked = undefined;
        unblock();
      }
      done();
    }
  }

  /** Flush, give up the exclusive lock if held, stop watching; the handle is unusable after. */
  async close(opts: CallOptions = {}): Promise<void> {
    if (this.closed) return;
    await this.imageIo.flush().catch(bestEffort);
    // release (RELEASED_LOCK notify), then unwatch
    const bounded = { timeoutMs: opts.timeoutMs ?? 10_000, ...(opts.signal ? { signal: opts.signal } : {}) };
    await this.exclusiveLock?.shutdown(bounded);
    await this.watcher?.unregister(bounded);
    this.closed = true;
  }
}

/** A snapshot of an open image (go-ceph's Snapshot): the image's snapshot calls, by name. */
export class Snapshot {
  constructor(
    readonly image: Image,
    readonly name: string,
  ) {}

  get info(): SnapInfo {
    const s = this.image.listSnaps().find((x) => x.name === this.name);
    if (!s) throw cephError('ENOENT', `snapshot ${this.name} does not exist`, { op: 'snap_get', image: this.image.name });
    return s;
  }
  remove(opts?: CallOptions): Promise<void> {
    return this.image.removeSnap(this.name, opts);
  }
  rollback(opts?: CallOptions): Promise<void> {
    return this.image.rollbackToSnap(this.name, opts);
  }
  protect(opts?: CallOptions): Promise<void> {
    return this.image.protectSnap(this.name, opts);
  }
  unprotect(opts?: CallOptions): Promise<void> {
    return this.image.unprotectSnap(this.name, opts);
  }
  isProtected(): boolean {
    return this.image.isProtectedSnap(this.name);
  }
  listChildren(opts?: CallOptions): Promise<ChildInfo[]> {
    return this.image.listChildren(this.name, opts);
  }
}

/** ctime(3) as `rbd` prints timestamps: "Tue Nov 24 11:41:19 2026" (local time). */
export function ctime(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getDay()]} ${months[d.getMonth()]} ${String(d.getDate()).padStart(2, ' ')} ${p2(d.getHours())}:${p2(d.getMinutes())}:${p2(d.getSeconds())} ${d.getFullYear()}`;
}
