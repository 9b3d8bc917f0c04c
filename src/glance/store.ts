// The Glance rbd image store (what glance_store's rbd driver does, over rbd-ts): an image is an
// RBD image named by the Glance image id, object size = the store's chunk size, its data in a
// protected snapshot `snap`; the location is rbd://<fsid>/<pool>/<image>/snap.
// add: create, write (growing while writing when the size is unknown), md5 + multihash on the
// way, snapshot, protect; a failure midway removes what was created. delete: refuse with EBUSY
// while the snapshot has clones (glance_store's InUseByStore), else unprotect, remove the
// snapshot, remove the image.

import { createHash, type Hash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { bestEffort, cephError, isErrno } from '../encoding/errno.js';
import type { CallOptions, IoCtx } from '../rados/ioctx.js';
import type { Rados } from '../rados/rados.js';
import { Feature, Image, RBD, rbdOptions } from '../rbd/index.js';
import { formatLocation, parseLocation, type RbdLocation } from './location.js';

const MiB = 1 << 20;
/** glance_store's snapshot name */
export const SNAP = 'snap';

/** What an image's bytes can come from. */
export type ImageSource = Buffer | Uint8Array | AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface StoreConfig {
  /** rbd_store_pool (default 'images') */
  pool?: string;
  /** rbd_store_chunk_size in MiB: the object size (default 8) */
  chunkSizeMiB?: number;
  /** image features; default the client's rbd_default_features, else layering only (as glance_store) */
  features?: number | readonly string[];
}

export interface AddOptions extends CallOptions {
  /** the image size when known (0 or absent: unknown, the image grows while writing) */
  size?: number;
  pool?: string;
  chunkSizeMiB?: number;
  features?: number | readonly string[];
  /** multihash algorithm (Glance's hashing_algorithm, default sha512) */
  hashAlgo?: string;
  /** chunks in flight (default 8) */
  concurrency?: number;
}

export interface AddResult {
  location: string;
  size: number;
  /** md5 hex (Glance's `checksum`) */
  checksum: string;
  /** hex digest with `hashAlgo` (Glance's `os_hash_value`) */
  multihash: string;
  hashAlgo: string;
}

export interface GetResult {
  stream: Readable;
  size: number;
}

/** Split a source into buffers of exactly `size` bytes (the last may be shorter). */
export async function* chunked(source: ImageSource, size: number): AsyncGenerator<Buffer> {
  if (source instanceof Uint8Array) {
    const b = Buffer.from(source.buffer, source.byteOffset, source.byteLength);
    for (let o = 0; o < b.length; o += size) yield b.subarray(o, Math.min(o + size, b.length));
    return;
  }
  let parts: Buffer[] = [];
  let have = 0;
  for await (const piece of source as AsyncIterable<Uint8Array>) {
    let p = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
    while (p.length > 0) {
      const take = Math.min(size - have, p.length);
      parts.push(p.subarray(0, take));
      have += take;
      p = p.subarray(take);
      if (have === size) {
        yield parts.length === 1 ? Buffer.from(parts[0]!) : Buffer.concat(parts, have);
        parts = [];
        have = 0;
      }
    }
  }
  if (have > 0) yield Buffer.concat(parts, have);
}

/** The image store of one pool, on one cluster handle. */
export class RbdStore {
  readonly pool: string;
  readonly chunkSizeMiB: number;
  private readonly features: number | readonly string[] | undefined;

  constructor(
    readonly rados: Rados,
    config: StoreConfig = {},
  ) {
    this.pool = config.pool ?? 'images';
    this.chunkSizeMiB = config.chunkSizeMiB ?? 8;
    this.features = config.features;
  }

  /** The features glance_store uses: the client's rbd_default_features, or layering when unset/0. */
  private defaultFeatures(): number {
    return rbdOptions(this.rados.config).defaultFeatures || Feature.LAYERING;
  }

  /** Resolve a location to (ioctx, image, snapshot), refusing another cluster's. */
  async resolve(location: string | RbdLocation, op: string): Promise<{ io: IoCtx; loc: RbdLocation; url: string }> {
    const loc = typeof location === 'string' ? parseLocation(location) : location;
    const url = typeof location === 'string' ? location : formatLocation(location);
    if (loc.fsid !== undefined && loc.fsid !== this.rados.fsid) {
      throw cephError('EXDEV', `location belongs to cluster ${loc.fsid}, this is ${this.rados.fsid}`, { op, target: url });
    }
    const io = await this.rados.openIoctx(loc.pool ?? this.pool);
    return { io, loc, url };
  }

  /**
   * Store an image: create `imageId` (object size = chunk size), write the data, hash it,
   * snapshot `snap`, protect it. EEXIST when an image with that id exists (glance's Duplicate).
   */
  async add(imageId: string, source: ImageSource, opts: AddOptions = {}): Promise<AddResult> {
    const op = 'store.add';
    const pool = opts.pool ?? this.pool;
    const io = await this.rados.openIoctx(pool);
    const chunk = (opts.chunkSizeMiB ?? this.chunkSizeMiB) * MiB;
    const hashAlgo = opts.hashAlgo ?? 'sha512';
    const known = opts.size ?? (source instanceof Uint8Array ? source.byteLength : 0);
    const call: CallOptions = { ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
    const md5: Hash = createHash('md5');
    const multi: Hash = createHash(hashAlgo);
    let size = 0;
    // glance_store hashes every chunk on its way to the image
    async function* hashing(): AsyncGenerator<Buffer> {
      for await (const b of chunked(source, chunk)) {
        md5.update(b);
        multi.update(b);
        size += b.length;
        yield b;
      }
    }
    try {
      // create (object size = chunk size), write (growing when the size is unknown); a failure removes the image.
      // Not sparse: glance_store writes every chunk, zeros included.
      await RBD.import(io, imageId, hashing(), {
        ...call,
        ...(known ? { size: known } : {}),
        objectSize: chunk,
        features: opts.features ?? this.features ?? this.defaultFeatures(),
        concurrency: opts.concurrency ?? 8,
        sparse: false,
      });
    } catch (e) {
      if (isErrno(e, 'EEXIST')) throw cephError('EEXIST', `RBD image ${imageId} already exists`, { op, image: imageId, pool, cause: e });
      throw e;
    }
    let image: Image | undefined;
    let snapped = false;
    try {
      if (known && size !== known) throw cephError('EIO', `source gave ${size} bytes, ${known} expected`, { op, image: imageId });
      image = await Image.open(io, imageId, call);
      await image.createSnap(SNAP, call);
      snapped = true;
      await image.protectSnap(SNAP, call);
      await image.close();
      image = undefined;
      return {
        location: formatLocation({ fsid: this.rados.fsid, pool, image: imageId, snapshot: SNAP }),
        size,
        checksum: md5.digest('hex'),
        multihash: multi.digest('hex'),
        hashAlgo,
      };
    } catch (e) {
      // remove what this call created (never an image that was there before)
      await this.removeCreated(io, imageId, image, snapped).catch(bestEffort);
      throw e;
    }
  }

  private async removeCreated(io: IoCtx, imageId: string, image: Image | undefined, snapped: boolean): Promise<void> {
    const h = image ?? (await Image.open(io, imageId));
    await h.flush().catch(bestEffort); // its data is about to go anyway
    if (snapped || h.listSnaps().some((s) => s.name === SNAP)) {
      await h.refresh();
      if (h.isProtectedSnap(SNAP)) await h.unprotectSnap(SNAP);
      await h.removeSnap(SNAP);
    }
    await h.close();
    await RBD.remove(io, imageId);
  }

  /** Open the location's image at its snapshot (read-only). ENOENT for an unknown location. */
  async open(location: string | RbdLocation, opts: CallOptions = {}): Promise<Image> {
    const { io, loc } = await this.resolve(location, 'store.get');
    return Image.open(io, loc.image, { ...opts, ...(loc.snapshot ? { snapshot: loc.snapshot } : { readOnly: true }) });
  }

  /** The image's bytes, streamed (object-sized reads, a few ahead), and its size. */
  async get(location: string | RbdLocation, opts: CallOptions & { prefetch?: number } = {}): Promise<GetResult> {
    const image = await this.open(location, opts);
    const size = image.currentSize;
    const stream = image.createReadStream({ readAhead: opts.prefetch ?? 4, ...opts });
    stream.once('close', () => void image.close().catch(bestEffort)); // the reader is gone: nobody to tell
    return { stream, size };
  }

  async getSize(location: string | RbdLocation, opts: CallOptions = {}): Promise<number> {
    const image = await this.open(location, opts);
    try {
      return image.currentSize;
    } finally {
      await image.close();
    }
  }

  /**
   * Delete the image of a location: EBUSY (nothing changed) while its snapshot has clones,
   * ENOENT for an unknown one; else unprotect, remove the snapshot, remove the image.
   */
  async delete(location: string | RbdLocation, opts: CallOptions = {}): Promise<void> {
    const op = 'store.delete';
    const { io, loc, url } = await this.resolve(location, op);
    const image = await Image.open(io, loc.image, opts);
    try {
      if (loc.snapshot) {
        if (!image.listSnaps().some((s) => s.name === loc.snapshot)) {
          throw cephError('ENOENT', `snapshot ${loc.snapshot} does not exist`, { op, image: loc.image, target: url });
        }
        const children = await image.listChildren(loc.snapshot, opts);
        if (children.length) {
          const names = children.map((c) => `${c.pool}/${c.poolNamespace ? c.poolNamespace + '/' : ''}${c.image}`).join(', ');
          throw cephError('EBUSY', `image is in use: snapshot ${loc.snapshot} has ${children.length} clone(s) (${names})`, {
            op,
            image: loc.image,
            target: url,
          });
        }
        if (image.isProtectedSnap(loc.snapshot)) await image.unprotectSnap(loc.snapshot, opts);
        await image.removeSnap(loc.snapshot, opts);
      }
      if (image.listSnaps().length) {
        throw cephError(
          'EBUSY',
          `image is in use: it has other snapshots (${image
            .listSnaps()
            .map((s) => s.name)
            .join(', ')})`,
          { op, image: loc.image, target: url },
        );
      }
    } finally {
      await image.close();
    }
    await RBD.remove(io, loc.image, opts);
  }
}
