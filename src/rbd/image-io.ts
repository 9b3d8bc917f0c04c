// Image I/O (librbd io/ImageRequest): an image extent is mapped to object extents (the
// striper), each object gets an object request (object-request.ts), and the requests fan out
// within the handle's budget. Reads of objects the image lacks go to the parent within the
// overlap (recursively through clone chains) and read as zeros elsewhere. The data-side loops
// of flatten, trim (shrink, remove) and rollback live here too.

import { bestEffort, ignoring, isErrno } from '../encoding/errno.js';
import { recycleReadBuffer, type CallOptions, type IoCtx } from '../rados/ioctx.js';
import { WriteOp } from '../rados/op-builder.js';
import { Throttle } from '../rados/throttle.js';
import { fanOut, opsBudget } from './fan-out.js';
import { ImageCtx } from './image-ctx.js';
import { objectCount } from './layout.js';
import { dataObject } from './names.js';
import { ObjectMap } from './object-map.js';
import { decideRead, decideWrite, ObjectWriteRequest, type ImageOpKind, type ObjectRequestEnv } from './object-request.js';
import { mapExtent, type ObjectExtent } from './striper.js';

export class ImageIo {
  private budget: Throttle | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private parent: Promise<ImageIo> | undefined;

  constructor(
    readonly ctx: ImageCtx,
    readonly map: ObjectMap,
  ) {}

  /**
   * Open an image read-only at a snapshot (how a clone opens its parent): header, snapshot,
   * the snapshot's object map.
   */
  static async openAt(io: IoCtx, id: string, snapId: bigint, opts: CallOptions = {}): Promise<ImageIo> {
    const ctx = new ImageCtx(io, id, id, true);
    await ctx.refresh(opts);
    if (!ctx.snaps.some((s) => s.id === snapId)) throw ctx.error('ENOENT', `snapshot id ${snapId} does not exist`, 'open');
    ctx.snapId = snapId;
    const map = new ObjectMap(ctx);
    await map.load(opts);
    return new ImageIo(ctx, map);
  }

  /**
   * The handle's I/O budget: objects and bytes in flight, 16 objects and 64 MiB, or more when
   * rbd_concurrent_management_ops asks import / export / flatten for more.
   */
  get throttle(): Throttle {
    if (!this.budget) {
      const ops = Math.max(16, this.ctx.options.concurrentManagementOps);
      this.budget = new Throttle(ops, Math.max(64 << 20, ops * (4 << 20)));
    }
    return this.budget;
  }

  /** Keep `p` in the in-flight set until it settles (flush() and a lock release wait for it). */
  track(p: Promise<unknown>): () => void {
    this.inFlight.add(p);
    return () => void this.inFlight.delete(p);
  }

  get idle(): boolean {
    return this.inFlight.size === 0;
  }

  /** Wait for every object op in flight (writes are acknowledged only once stable). */
  async flush(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }

  private eachObject(extents: ObjectExtent[], fn: (ex: ObjectExtent) => Promise<void>, opts: CallOptions): Promise<void> {
    return fanOut(extents, this.throttle, fn, { ...opts, bytes: (ex) => ex.length, track: (p) => this.track(p) });
  }

  /** The parent, opened read-only at the parent snapshot (cached until the parent changes). */
  private openParent(): Promise<ImageIo> | undefined {
    const spec = this.ctx.parent;
    if (!spec) return undefined;
    this.parent ??= this.ctx.io.cluster.openIoctx(spec.poolId, { namespace: spec.poolNamespace }).then((pio) => ImageIo.openAt(pio, spec.imageId, spec.snapId));
    return this.parent;
  }

  /** Forget the opened parent (after flatten or a refresh that changed it). */
  dropParent(): void {
    this.parent = undefined;
  }

  private env(overlap: number): ObjectRequestEnv {
    return {
      ctx: this.ctx,
      map: this.map,
      overlap,
      readParent: async (offset, length, opts) => (await this.openParent()!).read(offset, length, opts),
    };
  }

  // ---- read ------------------------------------------------------------------------------------

  /** Image bytes [offset, offset + length), already clipped to the size by the caller. */
  async read(offset: number, length: number, opts: CallOptions): Promise<Buffer> {
    const len = Math.max(0, Math.min(length, this.ctx.currentSize - offset));
    if (len === 0) return Buffer.alloc(0);
    let buf: Buffer | undefined; // allocated only when the answer is assembled from pieces
    const out = (): Buffer => (buf ??= Buffer.alloc(len));
    const dio = await this.ctx.readIoctx();
    const overlap = this.ctx.overlap;
    const extents = mapExtent(this.ctx.layout, offset, len);
    let whole: Buffer | undefined;
    const readObject = async (ex: ObjectExtent): Promise<void> => {
      // OBJECT
      let data: Buffer | undefined;
      if (decideRead(this.map.state(ex.objno)) === 'object') {
        try {
          data = await dio.read(dataObject(this.ctx.objectPrefix, ex.objno), ex.length, ex.offset, opts);
        } catch (e) {
          if (!isErrno(e, 'ENOENT')) throw e;
        }
      }
      if (data) {
        // the whole range in one object, read in full: its bytes are the answer (no copy)
        if (extents.length === 1 && ex.imageExtents.length === 1 && data.length === len) return void (whole = data);
        // object bytes are contiguous; scatter them to their image positions (short = zeros)
        let at = 0;
        for (const [imgOff, l] of ex.imageExtents) {
          if (at < data.length) data.copy(out(), imgOff - offset, at, Math.min(data.length, at + l));
          at += l;
        }
        recycleReadBuffer(data); // copied out: its memory can take another read
        return;
      }
      // PARENT
      const parent = overlap > 0 ? this.openParent() : undefined;
      if (!parent) return;
      const p = await parent;
      for (const [imgOff, l] of ex.imageExtents) {
        const n = Math.min(l, overlap - imgOff);
        if (n <= 0) continue;
        const from = await p.read(imgOff, n, opts);
        from.copy(out(), imgOff - offset);
        recycleReadBuffer(from);
      }
    };
    await this.eachObject(extents, readObject, opts);
    return whole ?? out();
  }

  // ---- write, write-zeroes ---------------------------------------------------------------------

  /** Run one object request per object extent of [offset, offset + length) for `kind`. */
  private async writeObjects(
    kind: Exclude<ImageOpKind, 'flatten'>,
    offset: number,
    length: number,
    data: Buffer | undefined,
    opts: CallOptions,
  ): Promise<void> {
    const dio = await this.ctx.writeIoctx();
    const overlap = this.ctx.overlap;
    const os = this.ctx.layout.objectSize;
    const env = this.env(overlap);
    const one = async (ex: ObjectExtent): Promise<void> => {
      const d = decideWrite(
        kind,
        { offset: ex.offset, length: ex.length, objectSize: os },
        this.map.state(ex.objno),
        this.ctx.hasParentData(ex.objno, overlap),
        this.ctx.snapc.snaps.length > 0,
      );
      const op = new WriteOp();
      switch (d.action) {
        case 'write': {
          const parts = ex.imageExtents.map(([o, l]) => data!.subarray(o - offset, o - offset + l));
          op.write(parts.length === 1 ? parts[0]! : Buffer.concat(parts), ex.offset);
          break;
        }
        case 'hide':
          op.create(false).truncate(0);
          break;
        case 'truncate':
          op.truncate(ex.offset);
          break;
        case 'zero':
          op.zero(ex.offset, ex.length);
          break;
      }
      await new ObjectWriteRequest(env, dio, ex.objno, d, op).run(opts);
    };
    await this.eachObject(mapExtent(this.ctx.layout, offset, length), one, opts);
  }

  /** Write `data` at `offset`, striped, with the image's snap context (copy-up where needed). */
  write(data: Buffer, offset: number, opts: CallOptions): Promise<void> {
    return this.writeObjects('write', offset, data.length, data, opts);
  }

  /**
   * Make bytes read as zeros without revealing a parent's data: whole objects are removed
   * (or, where the parent has data, replaced by an empty object that hides it), tails
   * truncated, interiors zeroed; a clone's object gets the parent's bytes copied up first.
   */
  writeZeroes(offset: number, length: number, opts: CallOptions): Promise<void> {
    return this.writeObjects('zero', offset, length, undefined, opts);
  }

  /**
   * Mark the objects of [offset, offset + length) EXISTS now, one map update per run of
   * adjacent objects (see Image.prepareWrite); tracked so flush() waits for them.
   */
  async prepareWrite(offset: number, length: number, opts: CallOptions): Promise<void> {
    if (!this.map.enabled || length === 0) return;
    const runs = this.map.markRuns(
      mapExtent(this.ctx.layout, offset, length).map((ex) => ex.objno),
      opts,
    );
    await Promise.all(
      runs.map((p) => {
        const untrack = this.track(p.catch(bestEffort).then(() => untrack()));
        return p;
      }),
    );
  }

  // ---- management loops: flatten, trim, rollback -----------------------------------------------

  /** Copy up every object within the overlap that the child lacks (rbd_concurrent_management_ops at once). */
  async copyupAll(onProgress: ((done: number, total: number) => void) | undefined, opts: CallOptions): Promise<void> {
    const overlap = this.ctx.overlap;
    const total = objectCount(this.ctx.layout, overlap);
    const dio = await this.ctx.writeIoctx();
    const env = this.env(overlap);
    const os = this.ctx.layout.objectSize;
    let done = 0;
    const one = async (objno: number): Promise<void> => {
      const d = decideWrite('flatten', { offset: 0, length: os, objectSize: os }, this.map.state(objno), this.ctx.hasParentData(objno, overlap));
      await new ObjectWriteRequest(env, dio, objno, d, new WriteOp()).run(opts);
      done++;
      onProgress?.(done, total);
    };
    await fanOut(range(0, total), opsBudget(this.ctx.options.concurrentManagementOps), one, { ...opts, track: (p) => this.track(p) });
  }

  /** Remove (or truncate) the data objects beyond `size` (the head's current size; simple layouts truncate). */
  async trim(size: number, opts: CallOptions): Promise<void> {
    const dio = await this.ctx.writeIoctx();
    const l = this.ctx.layout;
    const keep = objectCount(l, size);
    const gone = ignoring('ENOENT');
    const remove = (objno: number) => dio.remove(dataObject(this.ctx.objectPrefix, objno), opts).catch(gone);
    await fanOut(range(keep, objectCount(l, this.ctx.size)), opsBudget(this.ctx.options.concurrentManagementOps), remove, opts);
    if (l.stripeCount === 1 && size % l.objectSize !== 0 && keep > 0) {
      await dio.truncate(dataObject(this.ctx.objectPrefix, keep - 1), size % l.objectSize, opts).catch(gone);
    }
  }

  /** Roll every data object of the larger of both sizes back to the snapshot (objects missing: fine). */
  async rollback(snapId: bigint, snapSize: number, opts: CallOptions): Promise<void> {
    const dio = await this.ctx.writeIoctx();
    const n = objectCount(this.ctx.layout, Math.max(this.ctx.size, snapSize));
    const one = (objno: number) =>
      dio.operate(dataObject(this.ctx.objectPrefix, objno), new WriteOp().rollback(snapId), opts).then(() => undefined, ignoring('ENOENT'));
    await fanOut(range(0, n), opsBudget(this.ctx.options.concurrentManagementOps), one, opts);
  }
}

function* range(from: number, to: number): Generator<number> {
  for (let i = from; i < to; i++) yield i;
}
