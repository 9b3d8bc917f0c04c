// rbd-ts glance add FILE [--pool P] [--id IMAGE_ID] [--chunk-size MiB] [--glance-url URL]
// rbd-ts glance rm LOCATION
// The Glance rbd store from the command line: `add` stores a file as glance_store does (image
// named by the id, protected `snap`) and prints the location, size and checksums; with
// --glance-url it also registers the location in Glance. `rm` deletes a location (EBUSY while
// clones exist). The cephx user is given with -n/--name here: --id is the image id.

import { createReadStream, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { GlanceClient } from '../../glance/glance-client.js';
import { RbdStore } from '../../glance/store.js';
import type { ConnectOptions } from '../../rados/rados.js';
import { ALL_OPTIONS, parseArgs, type ParsedArgs } from '../args.js';
import { parseFormat, printJson, runCommand, usageError } from '../output.js';

export type ConnectFrom = (p: ParsedArgs) => ConnectOptions;

export interface ToolArgs {
  positional: string[];
  /** this tool's own options (--pool, --count, ...) */
  own: Map<string, string>;
  /** everything else, parsed as the rbd-ts global options */
  rest: ParsedArgs;
}

/** Take this tool's options out of argv (they are not rbd's), parse the rest as global options. */
export function splitArgs(argv: readonly string[], own: readonly string[], flags: readonly string[] = []): ToolArgs {
  const mine = new Map<string, string>();
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const m = /^--([a-z-]+)(?:=(.*))?$/.exec(a);
    if (m && flags.includes(m[1]!)) {
      mine.set(m[1]!, 'true');
    } else if (m && own.includes(m[1]!)) {
      const v = m[2] ?? argv[++i];
      if (v === undefined) throw usageError(`option --${m[1]} needs a value`);
      mine.set(m[1]!, v);
    } else {
      rest.push(a);
    }
  }
  const p = parseArgs(rest, ALL_OPTIONS);
  return { positional: p.positional, own: mine, rest: p };
}

export function glanceUrl(a: ToolArgs): string | undefined {
  return a.own.get('glance-url') ?? process.env['OS_IMAGE_URL'] ?? process.env['GLANCE_URL'];
}

export function glanceClient(a: ToolArgs): GlanceClient | undefined {
  const url = glanceUrl(a);
  const token = a.own.get('token') ?? process.env['OS_AUTH_TOKEN'];
  return url ? new GlanceClient(url, token ? { token } : {}) : undefined;
}

export const GLANCE_USAGE = `usage:
  rbd-ts glance add FILE [--pool images] [--id IMAGE_ID] [--chunk-size 8] [--glance-url URL] [--format json]
        store FILE as Glance's rbd store does (image IMAGE_ID, protected snapshot 'snap'); prints the location;
        with --glance-url (or $OS_IMAGE_URL) also registers it as a Glance image
  rbd-ts glance rm LOCATION
        delete an rbd://fsid/pool/image/snap location (refused with EBUSY while clones exist)
  connection options as for every rbd-ts command (-c, -k, -n/--name, -m); --id is the image id here
`;

export async function glanceMain(argv: readonly string[], connectFrom: ConnectFrom): Promise<number> {
  return runCommand(async (connect) => {
    const [verb, ...args] = argv;
    if (!verb || verb === 'help' || verb === '--help' || verb === '-h') {
      process.stdout.write(GLANCE_USAGE);
      return verb ? 0 : 22;
    }
    const a = splitArgs(args, ['pool', 'id', 'chunk-size', 'glance-url', 'token', 'format']);
    const format = parseFormat(a.own.get('format'));
    if (verb === 'add') {
      const [file, extra] = a.positional;
      if (!file || extra) throw usageError('glance add takes one FILE');
      const size = statSync(file).size;
      const rados = await connect(connectFrom(a.rest));
      const chunk = a.own.get('chunk-size');
      const store = new RbdStore(rados, { pool: a.own.get('pool') ?? 'images', ...(chunk ? { chunkSizeMiB: Number(chunk) } : {}) });
      const id = a.own.get('id') ?? randomUUID();
      const r = await store.add(id, createReadStream(file, { highWaterMark: 4 << 20 }), { size });
      let glanceId: string | undefined;
      const glance = glanceClient(a);
      if (glance) {
        const g = await glance.createImage({ name: file.split('/').pop() ?? id, disk_format: 'raw', container_format: 'bare' });
        await glance.addLocation(g.id, r.location, { store: 'ceph' }).catch(async (e: unknown) => {
          await glance.deleteImage(g.id).catch(() => undefined);
          throw e;
        });
        glanceId = g.id;
      }
      if (format === 'json') printJson({ ...r, id, ...(glanceId ? { glance_id: glanceId } : {}) }, false);
      else {
        process.stdout.write(`location: ${r.location}\nsize:     ${r.size}\nchecksum: ${r.checksum}\n${r.hashAlgo}:   ${r.multihash}\n`);
        if (glanceId) process.stdout.write(`glance image: ${glanceId}\n`);
      }
      return 0;
    }
    if (verb === 'rm' || verb === 'remove') {
      const [location, extra] = a.positional;
      if (!location || extra) throw usageError('glance rm takes one LOCATION');
      const rados = await connect(connectFrom(a.rest));
      await new RbdStore(rados, { pool: a.own.get('pool') ?? 'images' }).delete(location);
      return 0;
    }
    throw usageError(`unknown command 'glance ${verb}' (see rbd-ts glance help)`);
  });
}


