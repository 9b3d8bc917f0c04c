// The Nova side (nova/storage/rbd_utils.py and the libvirt Rbd image backend, over rbd-ts): a
// VM disk is a copy-on-write clone of the Glance image's protected snapshot when the image is
// cloneable (its location parses, names this cluster's fsid, disk_format is raw, and the image
// opens read-only at the snapshot with this client's caps); otherwise the image is downloaded
// from the Glance API and imported. Also direct snapshots (snapshot, clone into the image pool,
// flatten, `snap`, protect), flatten, batch clones and disk clean-up.

import { performance } from 'node:perf_hooks';
import { bestEffort, cephError, isErrno } from '../encoding/errno.js';
import type { CallOptions } from '../rados/ioctx.js';
import type { Rados } from '../rados/rados.js';
import { Feature, Image, RBD, RBD_DEFAULT_FEATURES, rbdOptions } from '../rbd/index.js';
import type { GlanceClient, GlanceImage } from './glance-client.js';
import { formatLocation, isLocation, parseLocation, type RbdLocation } from './location.js';
import { SNAP } from './store.js';

export type Cloneability = { cloneable: true; location: RbdLocation; /** the snapshot's size */ size: number } | { cloneable: false; reason: string };

/** How disks of one image are made: resolved once (Glance lookup, cloneability), used per disk. */
export type DiskPlan = { path: 'clone'; url: string; location: RbdLocation; parentSize: number } | { path: 'copy'; meta: GlanceImage; reason: string };

export interface DiskOptions extends CallOptions {
  /** grow the disk to this size when larger than the image */
  size?: number;
  /** clone format (default 'auto', as rbd_default_clone_format) */
  cloneFormat?: 1 | 2 | 'auto';
}

export interface DiskResult {
  /** pool/name */
  disk: string;
  path: 'clone' | 'copy';
  /** why the copy path was taken (every location's reason), or the location cloned */
  reason: string;
  /** the location cloned (clone path) */
  location?: string;
  size: number;
  ms: number;
}

export interface BootManyResult {
  disks: DiskResult[];
  totalMs: number;
  disksPerSecond: number;
}

export interface NovaOptions {
  /** the Glance API (needed for image ids and the copy path) */
  glance?: GlanceClient;
  /** chunks in flight on the copy path (default 16, as importImage) */
  copyConcurrency?: number;
  /** download retries on the copy path (Nova's [glance] num_retries, default 3) */
  downloadRetries?: number;
}

/** librbd/Nova's feature choice: the client's rbd_default_features (61 when unset, layering when 0). */
function clientFeatures(rados: Rados): number {
  return (rbdOptions(rados.config).defaultFeatures ?? RBD_DEFAULT_FEATURES) || Feature.LAYERING;
}

export class NovaHandler {
  readonly glance: GlanceClient | undefined;

  constructor(
    readonly rados: Rados,
    readonly options: NovaOptions = {},
  ) {
    this.glance = options.glance;
  }

  private get client(): string {
    return this.rados.config.name ? `client.${this.rados.config.name.id}` : 'this client';
  }

  /** rbd_utils.is_cloneable: why a location can or cannot be cloned by this client. */
  async isCloneable(location: string, imageMeta: Pick<GlanceImage, 'disk_format'> = { disk_format: 'raw' }, opts: CallOptions = {}): Promise<Cloneability> {
    let loc: RbdLocation;
    try {
      loc = parseLocation(location);
    } catch (e) {
      return { cloneable: false, reason: (e as Error).message };
    }
    if (loc.fsid === undefined || loc.pool === undefined || loc.snapshot === undefined) {
      return { cloneable: false, reason: `${location} is not an rbd snapshot (rbd://<fsid>/<pool>/<image>/<snap> needed)` };
    }
    if (loc.fsid !== this.rados.fsid) return { cloneable: false, reason: `image is in another cluster (fsid ${loc.fsid}, this cluster ${this.rados.fsid})` };
    if (imageMeta.disk_format !== 'raw') return { cloneable: false, reason: `image is not raw format (disk_format ${imageMeta.disk_format ?? 'unset'})` };
    let size: number;
    try {
      const io = await this.rados.openIoctx(loc.pool);
      const img = await Image.open(io, loc.image, { ...opts, snapshot: loc.snapshot });
      size = img.currentSize;
      await img.close();
    } catch (e) {
      if (isErrno(e, 'EPERM', 'EACCES')) return { cloneable: false, reason: `pool ${loc.pool} is not readable by ${this.client} (${e.code})` };
      return { cloneable: false, reason: `cannot open ${loc.pool}/${loc.image}@${loc.snapshot}: ${(e as Error).message}` };
    }
    return { cloneable: true, location: loc, size };
  }

  /** rbd_utils.clone + resize: clone the location's snapshot as pool/diskName, grown to `size` if larger. */
  async cloneImage(location: string | RbdLocation, pool: string, diskName: string, opts: DiskOptions & { parentSize?: number } = {}): Promise<number> {
    const loc = typeof location === 'string' ? parseLocation(location) : location;
    if (!loc.pool || !loc.snapshot)
      throw cephError('EINVAL', `cannot clone ${typeof location === 'string' ? location : loc.image}: no pool/snapshot in the location`, { op: 'clone' });
    const call = callOpts(opts);
    const [pio, cio] = await Promise.all([this.rados.openIoctx(loc.pool), this.rados.openIoctx(pool)]);
    await RBD.clone(pio, loc.image, loc.snapshot, cio, diskName, {
      ...call,
      features: clientFeatures(this.rados),
      ...(opts.cloneFormat !== undefined ? { cloneFormat: opts.cloneFormat } : {}),
    });
    if (opts.parentSize !== undefined && (opts.size === undefined || opts.size <= opts.parentSize)) return opts.parentSize;
    if (opts.size === undefined) {
      const img = await Image.open(cio, diskName, { ...call, readOnly: true });
      await img.close();
      return img.currentSize;
    }
    const img = await Image.open(cio, diskName, call);
    try {
      if (opts.size > img.currentSize) await img.resize(opts.size, call);
      return img.currentSize;
    } finally {
      await img.close();
    }
  }

  /**
   * Decide how disks of `image` (a Glance image id or an rbd:// location) are made: the first
   * cloneable location (Nova tries each), else the copy path with every location's reason.
   */
  async plan(image: string, opts: CallOptions = {}): Promise<DiskPlan> {
    let meta: GlanceImage | undefined;
    let locations: string[];
    if (isLocation(image)) {
      locations = [image];
    } else {
      if (!this.glance) throw cephError('EINVAL', `'${image}' is not an rbd:// location and no Glance API was given`, { op: 'create_disk', target: image });
      meta = await this.glance.showImage(image, callOpts(opts));
      if (meta.status !== 'active') throw cephError('EAGAIN', `Glance image ${image} is ${meta.status}, not active`, { op: 'create_disk', target: image });
      locations = meta.locations?.length ? meta.locations.map((l) => l.url) : meta.direct_url ? [meta.direct_url] : [];
    }
    const reasons: string[] = [];
    for (const url of locations) {
      const check = await this.isCloneable(url, meta ?? { disk_format: 'raw' }, callOpts(opts));
      if (check.cloneable) return { path: 'clone', url, location: check.location, parentSize: check.size };
      reasons.push(check.reason);
    }
    if (!locations.length) reasons.push('Glance shows no location (show_image_direct_url / show_multiple_locations off, or another store)');
    if (!meta || !this.glance)
      throw cephError('EINVAL', `cannot clone ${image}: ${reasons.join('; ')}; and no Glance API to download it from`, { op: 'create_disk', target: image });
    return { path: 'copy', meta, reason: reasons.join('; ') };
  }

  /** Make one disk following a plan. */
  async makeDisk(plan: DiskPlan, pool: string, diskName: string, opts: DiskOptions = {}): Promise<DiskResult> {
    const t0 = performance.now();
    const disk = `${pool}/${diskName}`;
    if (plan.path === 'clone') {
      const size = await this.cloneImage(plan.location, pool, diskName, { ...opts, parentSize: plan.parentSize });
      return { disk, path: 'clone', reason: `cloned ${plan.url}`, location: plan.url, size, ms: performance.now() - t0 };
    }
    const size = await this.copyFromGlance(plan.meta, pool, diskName, opts);
    return { disk, path: 'copy', reason: plan.reason, size, ms: performance.now() - t0 };
  }

  /**
   * Make a disk from a Glance image id (or an rbd:// location): clone when a location is
   * cloneable, otherwise download the image from Glance and import it. Says which path and why;
   * `ms` counts the Glance lookup and the checks too.
   */
  async createDisk(image: string, pool: string, diskName: string, opts: DiskOptions = {}): Promise<DiskResult> {
    const t0 = performance.now();
    const d = await this.makeDisk(await this.plan(image, opts), pool, diskName, opts);
    return { ...d, ms: performance.now() - t0 };
  }

  /** The copy path: download the image through the Glance API (md5 checked) and write it into a new image. */
  async copyFromGlance(meta: GlanceImage, pool: string, diskName: string, opts: DiskOptions = {}): Promise<number> {
    // Nova retries a failed Glance download ([glance] num_retries, default 3): a short or
    // corrupt transfer (EIO / EBADMSG from the download stream) starts over on a fresh disk
    const retries = this.options.downloadRetries ?? 3;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.copyOnce(meta, pool, diskName, opts);
      } catch (e) {
        const transfer = isErrno(e, 'EIO', 'EBADMSG') && e.op === 'glance.download';
        if (!transfer || attempt >= retries) throw e;
        opts.signal?.throwIfAborted();
      }
    }
  }

  private async copyOnce(meta: GlanceImage, pool: string, diskName: string, opts: DiskOptions): Promise<number> {
    if (!this.glance) throw cephError('EINVAL', 'no Glance API', { op: 'copy', target: meta.id });
    const call = callOpts(opts);
    const io = await this.rados.openIoctx(pool);
    const { stream, size: len } = await this.glance.download(meta.id, { ...call, ...(meta.checksum ? { expectMd5: meta.checksum } : {}) });
    const known = len ?? meta.size ?? undefined;
    try {
      // Nova's `rbd import`: sparse, the image removed again if anything fails
      await RBD.import(io, diskName, stream, {
        ...call,
        ...(known ? { size: known } : {}),
        features: clientFeatures(this.rados),
        concurrency: this.options.copyConcurrency ?? 16,
      });
    } finally {
      stream.destroy();
    }
    const img = await Image.open(io, diskName, call);
    try {
      if (opts.size !== undefined && opts.size > img.currentSize) await img.resize(opts.size, call);
      return img.currentSize;
    } finally {
      await img.close();
    }
  }

  /** Copy the parent's data into the disk and detach it (Image.flatten). */
  async flatten(pool: string, disk: string, opts: CallOptions & { onProgress?: (done: number, total: number) => void } = {}): Promise<void> {
    const img = await Image.open(await this.rados.openIoctx(pool), disk, callOpts(opts));
    try {
      await img.flatten(opts);
    } finally {
      await img.close();
    }
  }

  /**
   * Nova's direct_snapshot: snapshot the disk (protected), clone it into the image pool as
   * `imageId`, flatten the clone, drop the disk's temporary snapshot, snapshot the new image
   * `snap` and protect it. Returns the new image's location.
   */
  async directSnapshot(
    pool: string,
    disk: string,
    imagePool: string,
    imageId: string,
    opts: CallOptions & { snapName?: string; cloneFormat?: 1 | 2 | 'auto' } = {},
  ): Promise<string> {
    const call = callOpts(opts);
    const snapName = opts.snapName ?? `snapshot-${imageId}`;
    const [dio, iio] = await Promise.all([this.rados.openIoctx(pool), this.rados.openIoctx(imagePool)]);
    const src = await Image.open(dio, disk, call);
    let cloned = false;
    try {
      await src.createSnap(snapName, call);
      await src.protectSnap(snapName, call);
      await RBD.clone(dio, disk, snapName, iio, imageId, {
        ...call,
        features: clientFeatures(this.rados),
        ...(opts.cloneFormat !== undefined ? { cloneFormat: opts.cloneFormat } : {}),
      });
      cloned = true;
      const img = await Image.open(iio, imageId, call);
      try {
        await img.flatten(call);
      } finally {
        await img.close();
      }
    } catch (e) {
      if (cloned) await RBD.remove(iio, imageId).catch(bestEffort);
      throw e;
    } finally {
      // always drop the temporary snapshot on the disk (Nova's cleanup, with force)
      await src.refresh().catch(bestEffort);
      if (src.listSnaps().some((s) => s.name === snapName)) {
        if (src.isProtectedSnap(snapName)) await src.unprotectSnap(snapName).catch(bestEffort);
        await src.removeSnap(snapName).catch(bestEffort);
      }
      await src.close();
    }
    const img = await Image.open(iio, imageId, call);
    try {
      await img.createSnap(SNAP, call);
      await img.protectSnap(SNAP, call);
    } finally {
      await img.close();
    }
    return formatLocation({ fsid: this.rados.fsid, pool: imagePool, image: imageId, snapshot: SNAP });
  }

  /** N disks `prefix`-1..N from one image, at most `parallel` at once (the batch clone). */
  async bootMany(
    image: string,
    pool: string,
    prefix: string,
    count: number,
    opts: DiskOptions & { parallel?: number; onDisk?: (d: DiskResult) => void } = {},
  ): Promise<BootManyResult> {
    if (!Number.isInteger(count) || count < 1) throw cephError('EINVAL', `bad count ${count}`, { op: 'boot_many' });
    const parallel = Math.max(1, opts.parallel ?? 8);
    const t0 = performance.now();
    // resolve the image once (Glance lookup, cloneability): every disk then takes the same path
    const plan = await this.plan(image, opts);
    const disks: DiskResult[] = new Array<DiskResult>(count);
    let next = 0;
    let failed: unknown;
    const worker = async () => {
      while (failed === undefined && next < count) {
        const i = next++;
        try {
          const d = await this.makeDisk(plan, pool, `${prefix}${i + 1}`, opts);
          disks[i] = d;
          opts.onDisk?.(d);
        } catch (e) {
          failed ??= e;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
    if (failed !== undefined) throw failed;
    const totalMs = performance.now() - t0;
    return { disks, totalMs, disksPerSecond: count / (totalMs / 1000) };
  }

  /** Remove every image of `pool` whose name starts with `prefix` (Nova's cleanup_volumes); returns the names. */
  async cleanupDisks(pool: string, prefix: string, opts: CallOptions & { parallel?: number } = {}): Promise<string[]> {
    if (!prefix) throw cephError('EINVAL', 'an empty prefix would remove every image of the pool', { op: 'cleanup_disks', target: pool });
    const io = await this.rados.openIoctx(pool);
    const names = (await RBD.list(io, callOpts(opts))).filter((n) => n.startsWith(prefix));
    let next = 0;
    let failed: unknown;
    const worker = async () => {
      while (next < names.length) {
        const n = names[next++]!;
        await RBD.remove(io, n, callOpts(opts)).catch((e: unknown) => {
          if (!isErrno(e, 'ENOENT')) failed ??= e;
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(opts.parallel ?? 8, names.length) }, worker));
    if (failed !== undefined) throw failed;
    return names;
  }
}

function callOpts(o: CallOptions): CallOptions {
  return { ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}), ...(o.signal ? { signal: o.signal } : {}) };
}
