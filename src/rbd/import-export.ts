// Import a file, buffer or stream into a new image, and export an image (or snapshot) to a
// file or stream, as `rbd import` / `rbd export` do:
// - import is concurrent (chunks of one stripe period, whole objects, several in flight) and
//   sparse: an all-zero chunk is not written, the fresh image already reads zeros there
//   (rbd's import skips zero blocks the same way); a source of unknown size grows the image as
//   it goes and trims it to the bytes read at the end (rbd import from stdin); any failure
//   removes the half-made image.
// - export reads ahead a bounded number of chunks; into a file it leaves holes where the
//   image reads zeros (seek over them, ftruncate at the end), as rbd export does.

import { open as openFile, stat } from 'node:fs/promises';
import { once, setMaxListeners } from 'node:events';
import { createReadStream, fstatSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AbortError, bestEffort, cephError, CephError, systemErrno } from '../encoding/errno.js';
import { recycleReadBuffer, takeReadBuffer, type CallOptions, type IoCtx } from '../rados/ioctx.js';
import { Image } from './image.js';
import { ioOptions } from './options.js';
import { pipeChunks } from './pipe-source.js';
import { createImage } from './create.js';
import { removeImage } from './remove.js';
import { ImageWriteStream, isZero, stripePeriod } from './stream.js';
import { mapExtent } from './striper.js';
import type { CreateOptions } from './types.js';

/**
 * A file path, the bytes, a stream, or an open file descriptor (`{ fd: 0 }` for stdin: a pipe
 * or socket is read straight into pooled buffers (pipe-source.ts), anything else as a stream;
 * the fd is closed at the end).
 */
export type ImportSource = string | Buffer | Readable | AsyncIterable<Buffer> | { fd: number };

export interface ImportOptions extends CreateOptions {
  /** image size when the source's is unknown (a stream): the image starts at it and grows as it is read */
  size?: number;
  /** chunks (stripe periods) in flight (default: the client's rbd_concurrent_management_ops, 10 unless set, as rbd import) */
  concurrency?: number;
  /** do not write all-zero chunks (default true) */
  sparse?: boolean;
  /** bytes of the source consumed so far, and the total (0 when unknown) */
  onProgress?: (done: number, total: number) => void;
}

export interface ImportResult {
  /** the image's size */
  size: number;
  /** bytes written to data objects (zero chunks excluded) */
  bytesWritten: number;
  /** data objects written */
  objectsWritten: number;
}

export interface ExportOptions extends CallOptions {
  /** chunks read ahead (default: the client's rbd_concurrent_management_ops, 10 unless set, as rbd export) */
  readAhead?: number;
  /** bytes per read (default the stripe period) */
  chunkSize?: number;
  /** leave holes in a file destination where the image reads zeros (default true) */
  sparse?: boolean;
  /** fail with EEXIST if the destination file exists (as `rbd export` does) */
  exclusive?: boolean;
  onProgress?: (done: number, total: number) => void;
}

/** The source as an async iterable of buffers (`pooled`: chunks from takeReadBuffer, the importer's), and its size if known. */
async function openSource(
  source: ImportSource,
  chunk: number,
  name: string,
  signal?: AbortSignal,
): Promise<{ data?: AsyncIterable<Buffer>; file?: string; size: number | undefined; pooled?: boolean }> {
  if (typeof source === 'string') {
    let st;
    try {
      st = await stat(source);
    } catch (e) {
      throw cephError(systemErrno(e), `cannot open ${source}: ${(e as Error).message}`, { op: 'import', image: name, cause: e });
    }
    // a regular file is read with positional reads into reused buffers (copyFile); others stream
    if (st.isFile()) return { file: source, size: st.size };
    return { data: createReadStream(source, { highWaterMark: chunk }), size: undefined };
  }
  if (isFdSource(source)) {
    let st;
    try {
      st = fstatSync(source.fd);
    } catch (e) {
      throw cephError(systemErrno(e), `cannot read fd ${source.fd}: ${(e as Error).message}`, { op: 'import', image: name, cause: e });
    }
    if (st.isFIFO() || st.isSocket()) return { data: pipeChunks(source.fd, chunk, signal), size: undefined, pooled: true };
    return { data: createReadStream('', { fd: source.fd, highWaterMark: chunk }), size: undefined };
  }
  if (Buffer.isBuffer(source)) {
    const buf = source;
    return {
      data: (function* () {
        for (let o = 0; o < buf.length; o += chunk) yield buf.subarray(o, o + chunk);
      })() as unknown as AsyncIterable<Buffer>,
      size: buf.length,
    };
  }
  return { data: source as AsyncIterable<Buffer>, size: undefined };
}

function isFdSource(s: ImportSource): s is { fd: number } {
  return typeof s === 'object' && !Buffer.isBuffer(s) && typeof (s as { fd?: unknown }).fd === 'number' && !(Symbol.asyncIterator in s);
}

/** Chunks read (and their objects marked in the object map) ahead of the writes. */
const READ_AHEAD = 8;

/**
 * A regular file into a fresh image: positional reads into a fixed pool of period-sized
 * buffers (no allocation per chunk), at most `concurrency` writes in flight; a buffer is
 * reused once its write is acknowledged. Up to READ_AHEAD chunks are read ahead of the
 * writes, and for each non-zero one the image does what precedes its write (prepareWrite:
 * the object map update, whose round trip waits on the OSD session behind the data already
 * sent: ~13 ms each at 10 writes of 4 MiB in flight, on the critical path of every chunk
 * when made just before its write; 1 GiB in process, medians of 5 alternating: read ahead 0
 * 1.16 s, 4 1.08 s, 8 1.06 s, an image without object map 1.03 s). The buffers come from
 * the messenger's pool (takeReadBuffer): the data crc reads them in place, being
 * page-aligned they take the kernel's copy from the page cache faster (1 GiB: 0.075 s
 * against 0.137 s of kernel CPU into an ordinary buffer, on the dev VM), and they go back to
 * the pool for later reads and imports once every write is acknowledged (all bytes sent).
 */
async function copyFile(
  img: Image,
  path: string,
  size: number,
  o: { concurrency: number; skipZeroes: boolean; onProgress?: (done: number, total: number) => void; timeoutMs?: number; signal?: AbortSignal },
): Promise<{ bytes: number; objects: number }> {
  const period = stripePeriod(img.layout);
  const signal = o.signal && AbortSignal.any([o.signal]);
  if (signal) setMaxListeners(0, signal); // every write in flight listens on it
  const call = { timeoutMs: o.timeoutMs, signal };
  const fh = await openFile(path, 'r');
  const free = Array.from({ length: Math.min(o.concurrency + READ_AHEAD, Math.ceil(size / period) || 1) }, () => takeReadBuffer(period));
  const inFlight = new Set<Promise<void>>();
  /** chunks read, in file order, not yet written */
  const ready: Array<{ off: number; data: Buffer; buf: Buffer; zero: boolean }> = [];
  let failed: unknown;
  let readAt = 0;
  let done = 0;
  let bytes = 0;
  let objects = 0;
  const readChunk = async (): Promise<void> => {
    const buf = free.pop()!;
    const off = readAt;
    const len = Math.min(period, size - off);
    readAt += len;
    for (let got = 0; got < len; ) {
      const { bytesRead } = await fh.read(buf, got, len - got, off + got);
      if (bytesRead === 0) throw cephError('EIO', `${path} ended at ${off + got} bytes, expected ${size}`, { op: 'import', image: img.name });
      got += bytesRead;
    }
    const data = buf.subarray(0, len);
    // a fresh image reads zeros there already (rbd import skips zero blocks)
    const zero = o.skipZeroes && isZero(data);
    if (!zero) img.prepareWrite(off, len, call).catch((e: unknown) => void (failed ??= e));
    ready.push({ off, data, buf, zero });
  };
  try {
    while ((readAt < size || ready.length) && failed === undefined) {
      if (o.signal?.aborted) throw new AbortError('import', o.signal.reason);
      while (readAt < size && free.length && ready.length <= READ_AHEAD) await readChunk();
      if (!ready.length) {
        await Promise.race(inFlight); // every buffer is out with a write
        continue;
      }
      const { off, data, buf, zero } = ready.shift()!;
      const len = data.length;
      if (zero) {
        free.push(buf);
        done += len;
        o.onProgress?.(done, size);
        continue;
      }
      while (inFlight.size >= o.concurrency) await Promise.race(inFlight);
      if (failed !== undefined) break;
      const p: Promise<void> = img
        .write(data, off, call)
        .then(
          () => {
            bytes += len;
            objects += mapExtent(img.layout, off, len).length;
            done += len;
            o.onProgress?.(done, size);
          },
          (e: unknown) => void (failed ??= e),
        )
        .finally(() => {
          inFlight.delete(p);
          free.push(buf);
        });
      inFlight.add(p);
    }
  } finally {
    // writes already sent finish before their buffers (and the file) go away; so do the
    // object map updates of chunks read ahead (flush waits for them)
    await Promise.allSettled([...inFlight]);
    await img.flush().catch(bestEffort);
    await fh.close();
  }
  if (failed !== undefined) throw failed; // a failed write's bytes may still sit in a socket queue: no recycling
  for (const buf of free) recycleReadBuffer(buf);
  for (const c of ready) recycleReadBuffer(c.buf);
  return { bytes, objects };
}

/**
 * Create image `name` and fill it from `source` (a file path, Buffer, Readable or
 * AsyncIterable<Buffer>). The image is removed again if anything fails.
 */
export async function importImage(io: IoCtx, name: string, source: ImportSource, opts: ImportOptions = {}): Promise<ImportResult> {
  const { size: wanted, concurrency, sparse, onProgress, ...create } = opts;
  // the layout decides the chunk size before the image exists
  const order = create.objectSize !== undefined ? Math.log2(create.objectSize) : (create.order ?? ioOptions(io).defaultOrder);
  const period = Number.isInteger(order) && order > 0 && order < 40 ? 2 ** order * Math.max(1, create.stripeCount ?? 1) : 4 << 20;
  const { data, file, size: known, pooled } = await openSource(source, period, name, opts.signal);
  const size = known ?? wanted;
  const grow = known === undefined;
  await createImage(io, name, size ?? 0, create);
  let img: Image | undefined;
  try {
    img = await Image.open(io, name, { timeoutMs: opts.timeoutMs, signal: opts.signal });
    if (file !== undefined) {
      const r = await copyFile(img, file, known!, {
        concurrency: concurrency ?? ioOptions(io).concurrentManagementOps,
        skipZeroes: sparse ?? true,
        onProgress,
        timeoutMs: opts.timeoutMs,
        signal: opts.signal,
      });
      await img.flush();
      const result = { size: img.size, bytesWritten: r.bytes, objectsWritten: r.objects };
      await img.close();
      return result;
    }
    const ws = new ImageWriteStream(img, {
      concurrency: concurrency ?? ioOptions(io).concurrentManagementOps,
      skipZeroes: sparse ?? true,
      grow,
      timeoutMs: opts.timeoutMs,
      signal: opts.signal,
      onChunk: onProgress ? (done) => onProgress(done, size ?? 0) : undefined,
      recycleInput: pooled,
    });
    await pipeline(data!, ws, opts.signal ? { signal: opts.signal } : {});
    await img.flush();
    if (grow && img.size !== ws.bytesAccepted) {
      // unknown size: what was read is the size (rbd import trims the last resize the same way)
      await img.resize(Math.max(ws.bytesAccepted, size ?? 0), { allowShrink: true, timeoutMs: opts.timeoutMs, signal: opts.signal });
    }
    const result = { size: img.size, bytesWritten: ws.stats.bytes, objectsWritten: ws.stats.objects };
    await img.close();
    return result;
  } catch (e) {
    await img?.close().catch(bestEffort);
    await removeImage(io, name, { timeoutMs: 60_000 }).catch(bestEffort);
    if (e instanceof CephError) throw e;
    if (opts.signal?.aborted) throw new AbortError('import', opts.signal.reason);
    throw cephError('EIO', `import failed: ${(e as Error)?.message ?? String(e)}`, { op: 'import', image: name });
  }
}

/**
 * Write the image's bytes (at the snapshot it is open at) to `dest`: a file path (sparse:
 * holes where the image reads zeros), '-' (stdout) or a Writable. Returns the bytes exported.
 */
export async function exportImage(image: Image, dest: string | Writable, opts: ExportOptions = {}): Promise<number> {
  const size = image.currentSize;
  const chunkSize = opts.chunkSize ?? stripePeriod(image.layout);
  const rs = image.createReadStream({
    readAhead: opts.readAhead ?? ioOptions(image.io).concurrentManagementOps,
    chunkSize,
    timeoutMs: opts.timeoutMs,
    signal: opts.signal,
  });
  let done = 0;
  if (typeof dest === 'string' && dest !== '-') {
    let fh;
    try {
      fh = await openFile(dest, opts.exclusive ? 'wx' : 'w');
    } catch (e) {
      rs.destroy();
      throw cephError(systemErrno(e), `cannot open ${dest}: ${(e as Error).message}`, { op: 'export', image: image.name, cause: e });
    }
    try {
      const sparse = opts.sparse ?? true;
      for await (const buf of rs as AsyncIterable<Buffer>) {
        // positional writes; an all-zero chunk is left as a hole (the final ftruncate sets the size)
        if (!(sparse && isZero(buf))) {
          let at = 0;
          while (at < buf.length) at += (await fh.write(buf, at, buf.length - at, done + at)).bytesWritten;
        }
        done += buf.length;
        recycleReadBuffer(buf); // written: its memory can take a later read
        opts.onProgress?.(done, size);
      }
      await fh.truncate(done);
    } finally {
      await fh.close();
    }
    return done;
  }
  const out: Writable = dest === '-' ? process.stdout : (dest as Writable);
  // stdout is done with a chunk when its write calls back; a caller's Writable may keep chunks
  const recycleAfter = out === process.stdout ? (buf: Buffer) => () => recycleReadBuffer(buf) : undefined;
  try {
    for await (const buf of rs as AsyncIterable<Buffer>) {
      if (!out.write(buf, recycleAfter?.(buf))) await untilEvent(out, 'drain');
      done += buf.length;
      opts.onProgress?.(done, size);
    }
  } catch (e) {
    rs.destroy();
    throw e;
  }
  if (out !== process.stdout) {
    out.end();
    if (!out.writableFinished) await untilEvent(out, 'finish');
  }
  return done;
}

/** Resolves on `event`, rejects on 'error'; leaves no listener behind either way. */
async function untilEvent(out: Writable, event: string): Promise<void> {
  const ac = new AbortController();
  try {
    await Promise.race([once(out, event, { signal: ac.signal }), once(out, 'error', { signal: ac.signal }).then(([e]) => Promise.reject(e))]);
  } finally {
    ac.abort();
  }
}
