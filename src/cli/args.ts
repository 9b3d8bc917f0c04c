// Command-line parsing in the style of the `rbd` command: global options anywhere on the
// line (-c/--conf, -k/--keyring, --id, -n/--name, -m/--mon-host, --format), `--opt value`
// or `--opt=value`, and Ceph config options given as `--some_option value`.

import { CephError, errnoNumber } from '../encoding/errno.js';
import type { ConnectOptions } from '../rados/rados.js';

export interface OptionSpec {
  /** long name without dashes, e.g. 'conf' */
  name: string;
  short?: string;
  /** takes a value */
  value?: boolean;
  /** may be given more than once */
  multiple?: boolean;
  help?: string;
}

export interface ParsedArgs {
  positional: string[];
  options: Map<string, string[]>;
}

export const GLOBAL_OPTIONS: OptionSpec[] = [
  { name: 'conf', short: 'c', value: true, help: 'path to ceph.conf (default: $CEPH_CONF, /etc/ceph/ceph.conf)' },
  { name: 'keyring', short: 'k', value: true, help: 'path to the keyring' },
  { name: 'id', short: 'i', value: true, help: 'client id (without "client.")' },
  { name: 'user', value: true, help: 'same as --id' },
  { name: 'name', short: 'n', value: true, help: 'client name, e.g. client.admin' },
  { name: 'mon-host', short: 'm', value: true, help: 'monitor address(es)' },
  { name: 'cluster', value: true, help: 'cluster name (default ceph)' },
  { name: 'format', value: true, help: 'output format: plain or json' },
  { name: 'pretty-format', help: 'indent JSON output' },
  { name: 'timeout', value: true, help: 'seconds to wait for the cluster (default 30)' },
  { name: 'help', short: 'h', help: 'show help' },
];

/**
 * The options of the image commands (rbd's names). Value options are `multiple` so that a
 * repeated one can be refused as rbd refuses it; each command lists those it accepts.
 */
export const COMMAND_OPTIONS: OptionSpec[] = [
  { name: 'pool', short: 'p', value: true, multiple: true, help: 'pool name' },
  { name: 'namespace', value: true, multiple: true, help: 'namespace name' },
  { name: 'image', value: true, multiple: true, help: 'image name' },
  { name: 'snap', value: true, multiple: true, help: 'snapshot name' },
  { name: 'dest-pool', value: true, multiple: true, help: 'destination pool name' },
  { name: 'dest-namespace', value: true, multiple: true, help: 'destination namespace name' },
  { name: 'dest', value: true, multiple: true, help: 'destination image name' },
  { name: 'dest-snap', value: true, multiple: true, help: 'destination snapshot name' },
  { name: 'size', short: 's', value: true, multiple: true, help: 'image size (in M/G/T) [default: M]' },
  { name: 'object-size', value: true, multiple: true, help: 'object size in B/K/M [4K <= object size <= 32M]' },
  { name: 'order', value: true, multiple: true, help: 'object order [12 <= order <= 25] (deprecated)' },
  { name: 'image-feature', value: true, multiple: true, help: 'image features (repeatable, comma lists)' },
  { name: 'stripe-unit', value: true, multiple: true, help: 'stripe unit in B/K/M' },
  { name: 'stripe-count', value: true, multiple: true, help: 'stripe count' },
  { name: 'data-pool', value: true, multiple: true, help: 'data pool' },
  { name: 'long', short: 'l', help: 'long listing format' },
  { name: 'all', short: 'a', help: 'list all children (include trash)' },
  { name: 'allow-shrink', help: 'permit shrinking' },
  { name: 'no-progress', help: 'disable progress output' },
  { name: 'image-format', value: true, multiple: true, help: 'image format [default: 2] (import; only 2)' },
  { name: 'sizes', value: true, multiple: true, help: 'bench-clone: parent sizes, e.g. 64M,256M,1G' },
  { name: 'count', value: true, multiple: true, help: 'bench-clone: clones per format and size; nova boot-many: disks' },
  { name: 'depth', value: true, multiple: true, help: 'bench-clone: object writes in flight (default 16)' },
  { name: 'image-id', value: true, multiple: true, help: 'glance add: the image id (default a new UUID)' },
  { name: 'chunk-size', value: true, multiple: true, help: 'glance add: object size in MiB (rbd_store_chunk_size, default 8)' },
  { name: 'glance-url', value: true, multiple: true, help: 'glance, nova: Glance API URL (default $OS_IMAGE_URL)' },
  { name: 'token', value: true, multiple: true, help: 'glance, nova: Keystone token (default $OS_AUTH_TOKEN)' },
  { name: 'parallel', value: true, multiple: true, help: 'nova boot-many: disks made at once (default 8)' },
  { name: 'prefix', value: true, multiple: true, help: 'nova boot-many: disk name prefix (default vm-<time>-)' },
  { name: 'older-than', value: true, multiple: true, help: 'orphans: only what is at least this many seconds old (default 60)' },
  { name: 'dry-run', help: 'orphans rm: remove nothing, print what would go' },
];

export const ALL_OPTIONS: OptionSpec[] = [...GLOBAL_OPTIONS, ...COMMAND_OPTIONS];

function usageError(message: string): CephError {
  return new CephError(errnoNumber('EINVAL'), message, { op: 'parse arguments' });
}

/** Option names treat '-' and '_' alike, as Ceph does. */
const norm = (s: string) => s.replace(/_/g, '-');

export function parseArgs(argv: readonly string[], specs: readonly OptionSpec[]): ParsedArgs {
  const byLong = new Map(specs.map((s) => [norm(s.name), s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short!, s]));
  const positional: string[] = [];
  const options = new Map<string, string[]>();
  const put = (spec: OptionSpec | undefined, name: string, value: string) => {
    const key = spec ? spec.name : name;
    const list = options.get(key) ?? [];
    if (spec && !spec.multiple) list.length = 0;
    list.push(value);
    options.set(key, list);
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      const raw = norm(eq >= 0 ? arg.slice(2, eq) : arg.slice(2));
      const spec = byLong.get(raw);
      // unknown --foo_bar options are Ceph config options and always take a value
      const takesValue = spec ? !!spec.value : true;
      if (!takesValue) {
        if (eq >= 0) throw usageError(`option --${raw} takes no value`);
        put(spec, raw, 'true');
        continue;
      }
      let value: string | undefined = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined) throw usageError(`option --${raw} needs a value`);
      put(spec, raw.replace(/-/g, '_'), value);
      if (spec) {
        const l = options.get(spec.name)!;
        l[l.length - 1] = value;
      }
      continue;
    }
    if (arg.startsWith('-') && arg.length > 1 && !/^-\d/.test(arg)) {
      const spec = byShort.get(arg.slice(1, 2));
      if (!spec) throw usageError(`unknown option ${arg}`);
      if (!spec.value) {
        if (arg.length > 2) throw usageError(`option ${arg.slice(0, 2)} takes no value`);
        put(spec, spec.name, 'true');
        continue;
      }
      const value = arg.length > 2 ? arg.slice(2) : argv[++i];
      if (value === undefined) throw usageError(`option ${arg} needs a value`);
      put(spec, spec.name, value);
      continue;
    }
    positional.push(arg);
  }
  return { positional, options };
}

export function opt(p: ParsedArgs, name: string): string | undefined {
  const l = p.options.get(name);
  return l ? l[l.length - 1] : undefined;
}

export function flag(p: ParsedArgs, name: string): boolean {
  return p.options.has(name);
}

/** The connection from the global options, whatever the command (rbd: common_init's CephInitParameters and the config). */
export function connectOptions(p: ParsedArgs): ConnectOptions {
  const o: ConnectOptions = {};
  const conf = opt(p, 'conf');
  if (conf) o.conf = conf;
  const keyring = opt(p, 'keyring');
  if (keyring) o.keyring = keyring;
  const id = opt(p, 'id') ?? opt(p, 'user');
  if (id) o.id = id;
  const name = opt(p, 'name');
  if (name) o.name = name;
  const mon = opt(p, 'mon-host');
  if (mon) o.monHost = mon;
  const cluster = opt(p, 'cluster');
  if (cluster) o.cluster = cluster;
  const timeout = opt(p, 'timeout');
  if (timeout) {
    const s = Number(timeout);
    if (!Number.isFinite(s) || s <= 0) throw usageError(`bad --timeout '${timeout}'`);
    o.timeoutMs = s * 1000;
  }
  const overrides = configOverrides(p, ALL_OPTIONS);
  if (Object.keys(overrides).length) o.options = overrides;
  return o;
}

/** Ceph config options given on the command line (anything not a known option). */
export function configOverrides(p: ParsedArgs, specs: readonly OptionSpec[]): Record<string, string> {
  const known = new Set(specs.map((s) => s.name));
  const out: Record<string, string> = {};
  for (const [k, v] of p.options) if (!known.has(k)) out[k] = v[v.length - 1]!;
  return out;
}
