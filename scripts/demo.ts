// The main job (run by scripts/demo.sh, which provides a cluster and a real glance-api):
// upload a non-zero image through the Glance API, make N disks by clone (Nova's path, bounded
// parallelism) and 1 by copy (download from Glance + import, Nova's fallback), print the time
// per disk for each path and the copy / clone ratio, check a clone's bytes equal the image's
// (md5), clean up the disks and the image.
//
//   node --import=tsx scripts/demo.ts --conf CEPH_CONF --glance-url URL [--size-mib 256]
//        [--clones 20] [--parallel 4] [--pool rbd] [--boot-many N] [--json FILE]

import { createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { GlanceClient } from '../src/glance/glance-client.js';
import { NovaHandler, type DiskResult } from '../src/glance/nova.js';
import { Rados } from '../src/rados/rados.js';
import { Image } from '../src/rbd/image.js';

const MiB = 1 << 20;
const { values: o } = parseArgs({
  options: {
    conf: { type: 'string', default: process.env['CEPH_CONF'] },
    'glance-url': { type: 'string', default: process.env['OS_IMAGE_URL'] },
    'size-mib': { type: 'string', default: '256' },
    clones: { type: 'string', default: '20' },
    parallel: { type: 'string', default: '4' },
    pool: { type: 'string', default: 'rbd' },
    'boot-many': { type: 'string', default: '0' },
    json: { type: 'string' },
  },
});
if (!o.conf || !o['glance-url']) {
  process.stderr.write('usage: demo.ts --conf CEPH_CONF --glance-url URL [--size-mib 256] [--clones 20] [--parallel 4]\n');
  process.exit(22);
}
const sizeMiB = Number(o['size-mib']);
const clones = Number(o.clones);
const parallel = Number(o.parallel);
const pool = o.pool!;
const bootMany = Number(o['boot-many']);
const say = (s: string) => process.stdout.write(s + '\n');
const ms = (t0: number) => performance.now() - t0;

/** The image: non-zero pseudo-random bytes, streamed in 8 MiB pieces (never all in memory). */
async function* imageBytes(size: number, md5: ReturnType<typeof createHash>): AsyncGenerator<Buffer> {
  const seed = randomBytes(MiB);
  for (let off = 0, i = 0; off < size; off += 8 * MiB, i++) {
    const piece = Buffer.allocUnsafe(Math.min(8 * MiB, size - off));
    for (let p = 0; p < piece.length; p += MiB) seed.copy(piece, p);
    piece.writeUInt32LE(i, 0); // every 8 MiB piece differs
    piece[piece.length - 1] = 1;
    md5.update(piece);
    yield piece;
  }
}

async function md5OfImage(rados: Rados, name: string): Promise<string> {
  const img = await Image.open(await rados.openIoctx(pool), name, { readOnly: true });
  const h = createHash('md5');
  const size = img.currentSize;
  const step = 8 * MiB;
  const ahead: Promise<Buffer>[] = [];
  let next = 0;
  const fill = () => {
    while (ahead.length < 4 && next < size) {
      ahead.push(img.read(next, Math.min(step, size - next)));
      next += step;
    }
  };
  fill();
  while (ahead.length) {
    h.update(await ahead.shift()!);
    fill();
  }
  await img.close();
  return h.digest('hex');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function table(rows: string[][]): string {
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]!) : c.padStart(w[i]!))).join('  ')).join('\n');
}

const rados = await Rados.connect({ conf: o.conf, timeoutMs: 30_000 });
const glance = new GlanceClient(o['glance-url']);
const nova = new NovaHandler(rados, { glance });
const prefix = `demo-${Date.now().toString(36)}-`;
let imageId: string | undefined;
let failed = false;
try {
  say(`cluster ${rados.fsid}, Glance ${o['glance-url']}, disks in pool '${pool}'`);
  // 1. upload through the Glance API (Glance's own rbd driver stores it: image + protected snap)
  const size = sizeMiB * MiB;
  const md5 = createHash('md5');
  let t0 = performance.now();
  const created = await glance.createImage({ name: `rbd-ts-demo-${sizeMiB}MiB`, disk_format: 'raw', container_format: 'bare' });
  imageId = created.id;
  await glance.upload(created.id, imageBytes(size, md5), { size });
  const meta = await glance.showImage(created.id);
  const imageMd5 = md5.digest('hex');
  const uploadMs = ms(t0);
  if (meta.checksum !== imageMd5) throw new Error(`Glance's checksum ${meta.checksum} is not the uploaded bytes' ${imageMd5}`);
  say(`uploaded ${sizeMiB} MiB through Glance in ${(uploadMs / 1000).toFixed(2)} s: image ${meta.id}, ${meta.direct_url}`);

  // 2. N disks by clone (as `nova boot` of N instances: Glance lookup, is_cloneable, clone)
  t0 = performance.now();
  const many = await nova.bootMany(meta.id, pool, prefix + 'clone-', clones, { parallel });
  const cloneTotal = ms(t0);
  const cloneTimes = many.disks.map((d) => d.ms);
  if (!many.disks.every((d) => d.path === 'clone')) throw new Error(`not every disk was cloned: ${many.disks.find((d) => d.path !== 'clone')?.reason}`);

  // 3. one disk by copy (Nova's fallback: download from Glance, md5 checked, import)
  t0 = performance.now();
  const copySize = await nova.copyFromGlance(meta, pool, prefix + 'copy');
  const copy: DiskResult = { disk: `${pool}/${prefix}copy`, path: 'copy', reason: 'forced', size: copySize, ms: ms(t0) };

  const cloneMed = median(cloneTimes);
  say('');
  say(
    table([
      ['path', 'disks', 'per disk (median)', 'min', 'max', 'wall'],
      [
        'clone',
        String(clones),
        `${cloneMed.toFixed(1)} ms`,
        `${Math.min(...cloneTimes).toFixed(1)} ms`,
        `${Math.max(...cloneTimes).toFixed(1)} ms`,
        `${(cloneTotal / 1000).toFixed(2)} s (parallel ${parallel})`,
      ],
      ['copy', '1', `${copy.ms.toFixed(1)} ms`, '', '', `${(copy.ms / 1000).toFixed(2)} s`],
    ]),
  );
  say(`copy / clone per disk: ${(copy.ms / cloneMed).toFixed(0)}x  (${sizeMiB} MiB image; a clone's time does not grow with the image)`);
  say('');

  // 4. bytes: a clone (read through its parent) and the copy equal the image
  const [cloneMd5, copyMd5] = await Promise.all([md5OfImage(rados, `${prefix}clone-${clones}`), md5OfImage(rados, `${prefix}copy`)]);
  say(
    `md5 image ${imageMd5}\n    clone ${cloneMd5} ${cloneMd5 === imageMd5 ? 'ok' : 'DIFFERENT'}\n    copy  ${copyMd5} ${copyMd5 === imageMd5 ? 'ok' : 'DIFFERENT'}`,
  );
  if (cloneMd5 !== imageMd5 || copyMd5 !== imageMd5) failed = true;

  let boot: { count: number; totalMs: number; disksPerSecond: number } | undefined;
  if (bootMany > 0) {
    const r = await nova.bootMany(meta.id, pool, prefix + 'many-', bootMany, { parallel: Math.max(parallel, 8) });
    boot = { count: bootMany, totalMs: r.totalMs, disksPerSecond: r.disksPerSecond };
    say(`boot-many ${bootMany} disks: ${(r.totalMs / 1000).toFixed(2)} s, ${r.disksPerSecond.toFixed(1)} disks/s`);
  }
  if (o.json) {
    writeFileSync(
      o.json,
      JSON.stringify(
        { sizeMiB, uploadMs, clones, parallel, cloneTimes, cloneMedianMs: cloneMed, cloneWallMs: cloneTotal, copyMs: copy.ms, ratio: copy.ms / cloneMed, boot },
        null,
        2,
      ),
    );
  }
} catch (e) {
  failed = true;
  process.stderr.write(`demo failed: ${(e as Error).message}\n`);
} finally {
  // 5. clean up: the disks, then the image (Glance deletes the RBD image once no clone is left)
  const t0 = performance.now();
  const removed = await nova.cleanupDisks(pool, prefix).catch((e: unknown) => (process.stderr.write(`cleanup: ${(e as Error).message}\n`), []));
  if (imageId) await glance.deleteImage(imageId).catch((e: unknown) => process.stderr.write(`cleanup: ${(e as Error).message}\n`));
  say(`cleaned up ${removed.length} disks and the Glance image in ${(ms(t0) / 1000).toFixed(2)} s`);
  rados.shutdown();
}
process.exitCode = failed ? 1 : 0;
