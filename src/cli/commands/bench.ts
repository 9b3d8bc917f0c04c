// `rbd-ts bench-clone [--pool P] [--sizes 64M,256M] [--count N] [--depth 16] [--format json]`:
// how much faster a copy-on-write clone makes a new disk than writing the disk's objects,
// from rbd-ts alone (nothing under src/ loads librbd; `npm run bench` adds librbd and
// `rados bench`). For each size: a parent filled with non-zero data (4 MiB objects, `depth`
// in flight), snapshot `s` protected; `count` clones per format (1 and 2), each removed right
// after it is timed; then, with the parent removed, one copy made by bulk object writes of the
// same bytes. Everything it creates is removed before it returns.
//
// The rbd-ts primitives (fill, bulk copy, timed clone, parent teardown) are exported: the
// bench/ harness times the same code paths.

import { randomBytes } from 'node:crypto';
import { CephError, errnoNumber } from '../../encoding/errno.js';
import type { CallOptions, IoCtx } from '../../rados/ioctx.js';
import { Image } from '../../rbd/image.js';
import { RBD } from '../../rbd/rbd.js';
import type { CreateOptions } from '../../rbd/types.js';
import { formatTable, printJson, usageError } from '../output.js';
import { parseSize, parseUnsigned } from '../spec.js';
import { defaultPool, openPool, type CommandContext } from './common.js';

/** librbd's default object size (order 22): the unit of every bulk write */
export const OBJECT_BYTES = 4 << 20;

/** A 4 MiB chunk of non-zero bytes (random: nothing compresses or dedups it). */
export function dataChunk(bytes = OBJECT_BYTES): Buffer {
  const b = randomBytes(bytes);
  for (let i = 0; i < b.length; i++) if (b[i] === 0) b[i] = 1;
  return b;
}

/**
 * Write `size` bytes of `chunk` repeated over `img` from offset 0, `depth` object-sized writes
 * in flight (one async worker per slot), then flush.
 */
export async function fillImage(img: Image, size: number, chunk: Buffer, depth: number, opts: CallOptions = {}): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < size) {
      const off = next;
      next += chunk.length;
      const len = Math.min(chunk.length, size - off);
      await img.write(len === chunk.length ? chunk : chunk.subarray(0, len), off, opts);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, depth) }, worker));
  await img.flush();
}

/** Make a disk by bulk object writes: create `name`, write every byte, close. Returns ms. */
export async function bulkCopy(io: IoCtx, name: string, size: number, chunk: Buffer, depth: number, create: CreateOptions = {}): Promise<number> {
  const t0 = performance.now();
  await RBD.create(io, name, size, create);
  const img = await Image.open(io, name, create);
  try {
    await fillImage(img, size, chunk, depth, create);
  } finally {
    await img.close();
  }
  return performance.now() - t0;
}

/** Make a disk by clone of parent@snap. Returns ms. */
export async function timedClone(io: IoCtx, parent: string, snap: string, name: string, format: 1 | 2, opts: CallOptions = {}): Promise<number> {
  const t0 = performance.now();
  await RBD.clone(io, parent, snap, io, name, { cloneFormat: format, ...opts });
  return performance.now() - t0;
}

/** Create parent `name` of `size`, filled, with snapshot `snap` protected. */
export async function makeParent(io: IoCtx, name: string, size: number, snap: string, chunk: Buffer, depth: number, opts: CallOptions = {}): Promise<void> {
  await RBD.create(io, name, size, opts);
  const img = await Image.open(io, name, opts);
  try {
    await fillImage(img, size, chunk, depth, opts);
    await img.createSnap(snap, opts);
    await img.protectSnap(snap, opts);
  } finally {
    await img.close();
  }
}

/** Remove an image if it exists (ENOENT is fine). */
export async function removeIfExists(io: IoCtx, name: string, opts: CallOptions = {}): Promise<void> {
  try {
    await RBD.remove(io, name, opts);
  } catch (e) {
    if (!(e instanceof CephError && e.code === 'ENOENT')) throw e;
  }
}

/** Unprotect and remove every snapshot of `name`, then remove it (its clones must be gone). */
export async function removeParent(io: IoCtx, name: string, opts: CallOptions = {}): Promise<void> {
  let img: Image;
  try {
    img = await Image.open(io, name, opts);
  } catch (e) {
    if (e instanceof CephError && e.code === 'ENOENT') return;
    throw e;
  }
  try {
    for (const s of img.listSnaps()) {
      if (s.namespace !== 'user') continue;
      if (img.isProtectedSnap(s.name)) await img.unprotectSnap(s.name, opts);
      await img.removeSnap(s.name, opts);
    }
  } finally {
    await img.close();
  }
  await RBD.remove(io, name, opts);
}

/** nearest-rank percentile (p in [0, 1]) */
function pct(xs: readonly number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(p * s.length) - 1))]! : NaN;
}

export interface BenchCloneRow {
  size: number;
  clone: Record<'1' | '2', { n: number; p50: number; p95: number; p99: number; min: number; max: number; samplesMs: number[] }>;
  copyMs: number;
  copyMBs: number;
  /** copy time / format-2 clone p50 */
  copyOverClone: number;
}

export interface BenchCloneOptions extends CallOptions {
  pool: string;
  sizes: number[];
  count: number;
  depth: number;
  warmup?: number;
  /** progress lines */
  log?: (line: string) => void;
}

/** The `bench-clone` run: rbd-ts clone latency per format against one bulk copy, per size. */
export async function benchClone(io: IoCtx, o: BenchCloneOptions): Promise<BenchCloneRow[]> {
  const tag = `bench-clone-${process.pid.toString(36)}-${Date.now().toString(36)}`;
  const chunk = dataChunk();
  const call: CallOptions = { ...(o.timeoutMs !== undefined && { timeoutMs: o.timeoutMs }), ...(o.signal && { signal: o.signal }) };
  const rows: BenchCloneRow[] = [];
  for (const size of o.sizes) {
    const parent = `${tag}-p${size}`;
    try {
      o.log?.(`parent ${parent}: ${size} bytes, filling`);
      await makeParent(io, parent, size, 's', chunk, o.depth, call);
      const ms: Record<'1' | '2', number[]> = { '1': [], '2': [] };
      const warm = o.warmup ?? 2;
      for (let i = -warm; i < o.count; i++) {
        for (const f of [1, 2] as const) {
          const name = `${parent}-c${f}-${i + warm}`;
          const t = await timedClone(io, parent, 's', name, f, call);
          await RBD.remove(io, name, call);
          if (i >= 0) ms[f === 1 ? '1' : '2'].push(t);
        }
      }
      // the copy needs no parent: free its space first (a memstore OSD keeps everything in RAM)
      await removeParent(io, parent, call);
      const copy = `${parent}-copy`;
      let copyMs: number;
      try {
        copyMs = await bulkCopy(io, copy, size, chunk, o.depth, call);
      } finally {
        await removeIfExists(io, copy, call);
      }
      const sum = (xs: number[]) => ({
        n: xs.length,
        p50: pct(xs, 0.5),
        p95: pct(xs, 0.95),
        p99: pct(xs, 0.99),
        min: Math.min(...xs),
        max: Math.max(...xs),
        samplesMs: xs,
      });
      const clone = { '1': sum(ms['1']), '2': sum(ms['2']) };
      rows.push({ size, clone, copyMs, copyMBs: size / 1e6 / (copyMs / 1000), copyOverClone: copyMs / clone['2'].p50 });
    } finally {
      await removeParent(io, parent, call);
    }
  }
  return rows;
}

export async function benchCloneCommand(ctx: CommandContext): Promise<void> {
  if (ctx.positional.length) throw usageError('bench-clone takes no image spec');
  const sizes = (ctx.opt('sizes') ?? '64M,256M').split(',').map((s) => parseSize(s.trim(), 'sizes'));
  const count = parseUnsigned(ctx.opt('count') ?? '30', 'count');
  const depth = parseUnsigned(ctx.opt('depth') ?? '16', 'depth');
  if (count < 1 || depth < 1 || sizes.some((s) => s < 1))
    throw new CephError(errnoNumber('EINVAL'), '--count, --depth and --sizes must be positive', { op: 'parse arguments' });
  const rados = await ctx.rados();
  const pool = ctx.opt('pool') ?? defaultPool(rados);
  const io = await openPool(ctx, pool, ctx.opt('namespace') ?? '');
  const rows = await benchClone(io, { pool, sizes, count, depth, log: ctx.format === 'json' ? undefined : (l) => process.stderr.write(l + '\n') });
  if (ctx.format === 'json') {
    printJson({ pool, count, depth, rows }, ctx.pretty);
    return;
  }
  const f = (x: number, d = 2) => x.toFixed(d);
  const table = formatTable(
    [
      { header: 'SIZE' },
      { header: 'CLONE1 P50 MS', align: 'right' },
      { header: 'CLONE2 P50 MS', align: 'right' },
      { header: 'CLONE2 P95 MS', align: 'right' },
      { header: 'CLONE2 P99 MS', align: 'right' },
      { header: 'COPY MS', align: 'right' },
      { header: 'COPY MB/S', align: 'right' },
      { header: 'COPY/CLONE', align: 'right' },
    ],
    rows.map((r) => [
      `${r.size / 2 ** 20} MiB`,
      f(r.clone['1'].p50),
      f(r.clone['2'].p50),
      f(r.clone['2'].p95),
      f(r.clone['2'].p99),
      f(r.copyMs, 0),
      f(r.copyMBs, 1),
      `${f(r.copyOverClone, 0)}x`,
    ]),
  );
  process.stdout.write(`rbd-ts, pool ${pool}, ${count} clones per format and size, copy by 4 MiB writes ${depth} in flight\n` + table);
}
