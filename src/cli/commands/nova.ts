// rbd-ts nova create-disk IMAGE_ID_OR_LOCATION POOL/DISK [--size S] [--glance-url URL]
// rbd-ts nova boot-many IMAGE --count N [--parallel P] [--pool rbd] [--prefix NAME-] [--size S]
// rbd-ts nova cleanup POOL PREFIX
// The Nova side: a disk is a clone of the image's protected snapshot when cloneable, else a
// download from Glance and an import; the line printed says which path and why.

import { performance } from 'node:perf_hooks';
import { NovaHandler, type DiskResult } from '../../glance/nova.js';
import { printJson, usageError } from '../output.js';
import { parseSize, parseUnsigned } from '../spec.js';
import type { CommandContext } from './common.js';
import { glanceClient } from './glance.js';

function line(d: DiskResult): string {
  return `${d.disk}: ${d.path} in ${d.ms.toFixed(1)} ms, ${d.size} bytes (${d.reason})\n`;
}

function diskSize(ctx: CommandContext): number | undefined {
  const s = ctx.opt('size');
  return s !== undefined ? parseSize(s) : undefined;
}

export async function novaCreateDiskCommand(ctx: CommandContext): Promise<void> {
  const [image, target, extra] = ctx.positional;
  if (!image || !target || extra) throw usageError('nova create-disk takes IMAGE_ID_OR_LOCATION and POOL/DISK');
  const size = diskSize(ctx);
  const slash = target.indexOf('/');
  const [pool, disk] = slash > 0 ? [target.slice(0, slash), target.slice(slash + 1)] : [ctx.opt('pool') ?? 'rbd', target];
  if (!disk || disk.includes('/')) throw usageError(`bad disk spec '${target}' (POOL/DISK)`);
  const glance = glanceClient(ctx);
  const nova = new NovaHandler(await ctx.rados(), glance ? { glance } : {});
  const d = await nova.createDisk(image, pool, disk, size !== undefined ? { size } : {});
  if (ctx.format === 'json') printJson(d, ctx.pretty);
  else process.stdout.write(line(d));
}

export async function novaBootManyCommand(ctx: CommandContext): Promise<void> {
  const [image, extra] = ctx.positional;
  if (!image || extra) throw usageError('nova boot-many takes one IMAGE');
  const size = diskSize(ctx);
  const countArg = ctx.opt('count');
  if (countArg === undefined) throw usageError('nova boot-many needs --count N');
  const count = parseUnsigned(countArg, 'count');
  const parallelArg = ctx.opt('parallel');
  const parallel = parallelArg !== undefined ? parseUnsigned(parallelArg, 'parallel') : 8;
  const pool = ctx.opt('pool') ?? 'rbd';
  const prefix = ctx.opt('prefix') ?? `vm-${Date.now().toString(36)}-`;
  const glance = glanceClient(ctx);
  const nova = new NovaHandler(await ctx.rados(), glance ? { glance } : {});
  const t0 = performance.now();
  const r = await nova.bootMany(image, pool, prefix, count, {
    parallel,
    ...(size !== undefined ? { size } : {}),
    onDisk: (d) => {
      if (ctx.format !== 'json') process.stdout.write(line(d));
    },
  });
  if (ctx.format === 'json') printJson(r, ctx.pretty);
  else {
    const paths = r.disks.reduce((m, d) => m.set(d.path, (m.get(d.path) ?? 0) + 1), new Map<string, number>());
    process.stdout.write(
      `${count} disks (${[...paths].map(([k, v]) => `${v} ${k}`).join(', ')}) in ${(performance.now() - t0).toFixed(0)} ms, ` +
        `${r.disksPerSecond.toFixed(1)} disks/s, parallel ${parallel}; remove them with: rbd-ts nova cleanup ${pool} ${prefix}\n`,
    );
  }
}

export async function novaCleanupCommand(ctx: CommandContext): Promise<void> {
  const [pool, prefix, extra] = ctx.positional;
  if (!pool || !prefix || extra) throw usageError('nova cleanup takes POOL and PREFIX');
  const nova = new NovaHandler(await ctx.rados());
  const removed = await nova.cleanupDisks(pool, prefix);
  if (ctx.format === 'json') printJson(removed, ctx.pretty);
  else process.stdout.write(`removed ${removed.length} image(s)\n`);
}
