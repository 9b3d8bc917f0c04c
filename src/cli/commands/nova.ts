// rbd-ts nova create-disk IMAGE_ID_OR_LOCATION POOL/DISK [--size S] [--glance-url URL]
// rbd-ts nova boot-many IMAGE --count N [--parallel P] [--pool rbd] [--prefix NAME-] [--size S]
// rbd-ts nova cleanup POOL PREFIX
// The Nova side: a disk is a clone of the image's protected snapshot when cloneable, else a
// download from Glance and an import; the line printed says which path and why.

import { performance } from 'node:perf_hooks';
import { NovaHandler, type DiskResult } from '../../glance/nova.js';
import { parseFormat, printJson, runCommand, usageError } from '../output.js';
import { parseSize, parseUnsigned } from '../spec.js';
import { glanceClient, splitArgs, type ConnectFrom } from './glance.js';

export const NOVA_USAGE = `usage:
  rbd-ts nova create-disk IMAGE_ID_OR_LOCATION POOL/DISK [--size SIZE] [--glance-url URL] [--format json]
        clone the image's snapshot as POOL/DISK when cloneable, else download it from Glance and import it
  rbd-ts nova boot-many IMAGE --count N [--parallel P] [--pool rbd] [--prefix vm-] [--size SIZE] [--glance-url URL]
        N disks from one image, at most P at once (default 8); prints each disk and the total
  rbd-ts nova cleanup POOL PREFIX
        remove every image of POOL whose name starts with PREFIX
  IMAGE is a Glance image id (needs --glance-url or $OS_IMAGE_URL; --token or $OS_AUTH_TOKEN if Keystone)
  or an rbd://fsid/pool/image/snap location; SIZE as rbd --size (plain numbers are MiB)
`;

function line(d: DiskResult): string {
  return `${d.disk}: ${d.path} in ${d.ms.toFixed(1)} ms, ${d.size} bytes (${d.reason})\n`;
}

export async function novaMain(argv: readonly string[], connectFrom: ConnectFrom): Promise<number> {
  return runCommand(async (connectWith) => {
    const [verb, ...args] = argv;
    if (!verb || verb === 'help' || verb === '--help' || verb === '-h') {
      process.stdout.write(NOVA_USAGE);
      return verb ? 0 : 22;
    }
    const a = splitArgs(args, ['size', 'glance-url', 'token', 'count', 'parallel', 'pool', 'prefix', 'format']);
    const format = parseFormat(a.own.get('format'));
    const size = a.own.has('size') ? parseSize(a.own.get('size')!) : undefined;
    const connect = () => connectWith(connectFrom(a.rest));
    if (verb === 'create-disk') {
      const [image, target, extra] = a.positional;
      if (!image || !target || extra) throw usageError('nova create-disk takes IMAGE_ID_OR_LOCATION and POOL/DISK');
      const slash = target.indexOf('/');
      const [pool, disk] = slash > 0 ? [target.slice(0, slash), target.slice(slash + 1)] : [a.own.get('pool') ?? 'rbd', target];
      if (!disk || disk.includes('/')) throw usageError(`bad disk spec '${target}' (POOL/DISK)`);
      const glance = glanceClient(a);
      const nova = new NovaHandler(await connect(), glance ? { glance } : {});
      const d = await nova.createDisk(image, pool, disk, size !== undefined ? { size } : {});
      if (format === 'json') printJson(d, false);
      else process.stdout.write(line(d));
      return 0;
    }
    if (verb === 'boot-many') {
      const [image, extra] = a.positional;
      if (!image || extra) throw usageError('nova boot-many takes one IMAGE');
      if (!a.own.has('count')) throw usageError('nova boot-many needs --count N');
      const count = parseUnsigned(a.own.get('count')!, 'count');
      const parallel = a.own.has('parallel') ? parseUnsigned(a.own.get('parallel')!, 'parallel') : 8;
      const pool = a.own.get('pool') ?? 'rbd';
      const prefix = a.own.get('prefix') ?? `vm-${Date.now().toString(36)}-`;
      const glance = glanceClient(a);
      const nova = new NovaHandler(await connect(), glance ? { glance } : {});
      const t0 = performance.now();
      const r = await nova.bootMany(image, pool, prefix, count, {
        parallel,
        ...(size !== undefined ? { size } : {}),
        onDisk: (d) => {
          if (format !== 'json') process.stdout.write(line(d));
        },
      });
      if (format === 'json') printJson(r, false);
      else {
        const paths = r.disks.reduce((m, d) => m.set(d.path, (m.get(d.path) ?? 0) + 1), new Map<string, number>());
        process.stdout.write(
          `${count} disks (${[...paths].map(([k, v]) => `${v} ${k}`).join(', ')}) in ${(performance.now() - t0).toFixed(0)} ms, ` +
            `${r.disksPerSecond.toFixed(1)} disks/s, parallel ${parallel}; remove them with: rbd-ts nova cleanup ${pool} ${prefix}\n`,
        );
      }
      return 0;
    }
    if (verb === 'cleanup') {
      const [pool, prefix, extra] = a.positional;
      if (!pool || !prefix || extra) throw usageError('nova cleanup takes POOL and PREFIX');
      const nova = new NovaHandler(await connect());
      const removed = await nova.cleanupDisks(pool, prefix);
      if (format === 'json') printJson(removed, false);
      else process.stdout.write(`removed ${removed.length} image(s)\n`);
      return 0;
    }
    throw usageError(`unknown command 'nova ${verb}' (see rbd-ts nova help)`);
  });
}
