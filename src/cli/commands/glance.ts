// rbd-ts glance add FILE [--pool P] [--image-id IMAGE_ID] [--chunk-size MiB] [--glance-url URL]
// rbd-ts glance rm LOCATION
// The Glance rbd store from the command line: `add` stores a file as glance_store does (image
// named by the id, protected `snap`) and prints the location, size and checksums; with
// --glance-url it also registers the location in Glance. `rm` deletes a location (EBUSY while
// clones exist). Options and the cephx user (--id, -n/--name) as for every rbd-ts command.

import { createReadStream, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { bestEffort } from '../../encoding/errno.js';
import { GlanceClient } from '../../glance/glance-client.js';
import { RbdStore } from '../../glance/store.js';
import { printJson, usageError } from '../output.js';
import type { CommandContext } from './common.js';

type Options = Pick<CommandContext, 'opt'>;

export function glanceUrl(ctx: Options): string | undefined {
  return ctx.opt('glance-url') ?? process.env['OS_IMAGE_URL'] ?? process.env['GLANCE_URL'];
}

export function glanceClient(ctx: Options): GlanceClient | undefined {
  const url = glanceUrl(ctx);
  const token = ctx.opt('token') ?? process.env['OS_AUTH_TOKEN'];
  return url ? new GlanceClient(url, token ? { token } : {}) : undefined;
}

export async function glanceAddCommand(ctx: CommandContext): Promise<void> {
  const [file, extra] = ctx.positional;
  if (!file || extra) throw usageError('glance add takes one FILE');
  const size = statSync(file).size;
  const rados = await ctx.rados();
  const chunk = ctx.opt('chunk-size');
  const store = new RbdStore(rados, { pool: ctx.opt('pool') ?? 'images', ...(chunk ? { chunkSizeMiB: Number(chunk) } : {}) });
  const id = ctx.opt('image-id') ?? randomUUID();
  const r = await store.add(id, createReadStream(file, { highWaterMark: 4 << 20 }), { size });
  let glanceId: string | undefined;
  const glance = glanceClient(ctx);
  if (glance) {
    const g = await glance.createImage({ name: file.split('/').pop() ?? id, disk_format: 'raw', container_format: 'bare' });
    await glance.addLocation(g.id, r.location, { store: 'ceph' }).catch(async (e: unknown) => {
      await glance.deleteImage(g.id).catch(bestEffort);
      throw e;
    });
    glanceId = g.id;
  }
  if (ctx.format === 'json') printJson({ ...r, id, ...(glanceId ? { glance_id: glanceId } : {}) }, ctx.pretty);
  else {
    process.stdout.write(`location: ${r.location}\nsize:     ${r.size}\nchecksum: ${r.checksum}\n${r.hashAlgo}:   ${r.multihash}\n`);
    if (glanceId) process.stdout.write(`glance image: ${glanceId}\n`);
  }
}

export async function glanceRmCommand(ctx: CommandContext): Promise<void> {
  const [location, extra] = ctx.positional;
  if (!location || extra) throw usageError('glance rm takes one LOCATION');
  const rados = await ctx.rados();
  await new RbdStore(rados, { pool: ctx.opt('pool') ?? 'images' }).delete(location);
}
