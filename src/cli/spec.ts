// What the `rbd` command does to its arguments before it talks to the cluster (tools/rbd
// Utils.cc, ArgumentTypes.cc, Pacific): image specs `[pool/[namespace/]]image[@snap]`
// with --pool/--namespace/--image/--snap (and the --dest-* twins), pool specs, sizes with
// IEC units, orders, feature lists. Pure functions: no I/O.

import { FEATURES_ALL, featureNames } from '../rbd/features.js';
import { CliError, usageError } from './output.js';

const EINVAL = 22;

// ---- numbers ------------------------------------------------------------------------------

const UNIT_SHIFT: Record<string, number> = { B: 0, K: 10, M: 20, G: 30, T: 40, P: 50, E: 60 };
const U64_MAX = (1n << 64n) - 1n;

/**
 * Ceph's strict_iec_cast<uint64_t>: digits with an optional sign, then at most two unit
 * characters of which only the first counts (B, K, M, G, T, P, E; "Bi" is refused).
 * Undefined when Ceph would report a parse error.
 */
export function parseIec(s: string): bigint | undefined {
  if (!s) return undefined;
  const u = s.search(/[^0-9+-]/);
  let digits = s;
  let shift = 0;
  if (u >= 0) {
    digits = s.slice(0, u);
    const unit = s.slice(u);
    if (unit.endsWith('i') && unit.startsWith('B')) return undefined;
    if (unit.length > 2) return undefined;
    const m = UNIT_SHIFT[unit[0]!];
    if (m === undefined) return undefined;
    shift = m;
  }
  if (!/^[+-]?\d+$/.test(digits)) return undefined; // strtoll must consume everything
  const n = BigInt(digits);
  if (n > (1n << 63n) - 1n) return undefined; // strtoll overflow
  if (n < 0n) return undefined;
  if (n > U64_MAX >> BigInt(shift)) return undefined;
  return n << BigInt(shift);
}

function invalidValue(option: string, value?: string): CliError {
  return usageError(value === undefined ? `the argument for option '--${option}' is invalid` : `the argument ('${value}') for option '--${option}' is invalid`);
}

/** A byte count as --object-size and --stripe-unit take it: bytes unless a unit is given. */
export function parseBytes(s: string, option: string): number {
  const n = parseIec(s);
  if (n === undefined) throw invalidValue(option);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new CliError(`--${option} ${s} is too large`, EINVAL);
  return Number(n);
}

/**
 * --size / -s: IEC units, and a plain number means MiB (rbd's ImageSize; the shift wraps
 * at 64 bits as rbd's does). rbd-ts sizes are JavaScript numbers: at most 2^53-1 bytes.
 */
export function parseSize(s: string, option = 'size'): number {
  let n = parseIec(s);
  if (n === undefined) throw invalidValue(option);
  if (/\d$/.test(s)) n = BigInt.asUintN(64, n << 20n);
  if (n > BigInt(Number.MAX_SAFE_INTEGER)) throw new CliError(`size ${s} is too large (rbd-ts handles up to 2^53-1 bytes)`, EINVAL);
  return Number(n);
}

/** --order: 12..25 (rbd's ImageOrder validator). */
export function parseOrder(s: string): number {
  if (!/^\+?\d+$/.test(s)) throw invalidValue('order');
  const n = Number(s.replace(/^\+/, ''));
  if (n < 12 || n > 25) throw invalidValue('order');
  return n;
}

/** An unsigned integer option (boost lexical_cast<uint64_t>), e.g. --stripe-count. */
export function parseUnsigned(s: string, option: string): number {
  if (!s) throw invalidValue(option);
  if (!/^[+-]?\d+$/.test(s)) throw invalidValue(option, s);
  const n = Number(s);
  if (!Number.isSafeInteger(n)) throw new CliError(`--${option} ${s} is too large`, EINVAL);
  return n;
}

/**
 * The order for --object-size as rbd computes it: round(log2(size)); 0 means "the default"
 * (librbd ignores order 0), and a size of 0 gives an order librbd refuses (EDOM).
 */
export function orderForObjectSize(objectSize: number): number {
  if (objectSize === 0) return 64;
  return Math.round(Math.log2(objectSize));
}

/** rbd's feature names (--image-feature) and their bits. */
const FEATURE_BITS: ReadonlyMap<string, number> = (() => {
  const m = new Map<string, number>();
  for (let b = 0; b < 31; b++) {
    const name = FEATURES_ALL & (1 << b) ? featureNames(1 << b)[0] : undefined;
    if (name) m.set(name, 1 << b);
  }
  return m;
})();

/** Feature names (rbd's --image-feature; repeatable, each a comma list) to bits. */
export function parseFeatureNames(values: readonly string[]): number {
  let bits = 0;
  for (const v of values) {
    for (const token of v.split(',')) {
      if (!token) continue;
      const bit = FEATURE_BITS.get(token);
      if (bit === undefined) throw invalidValue('image-feature');
      bits |= bit;
    }
  }
  return bits;
}

// ---- specs --------------------------------------------------------------------------------

/** How strictly a spec is read (rbd's SpecValidation): full for names being created. */
export type SpecValidation = 'full' | 'snap' | 'none';
/** Whether a command takes a snapshot name. */
export type SnapPresence = 'none' | 'permitted' | 'required';

const SPEC_PATTERNS: Record<SpecValidation, RegExp> = {
  full: /^(?:([^/@]+)\/(?:([^/@]+)\/)?)?([^/@]+)(?:@([^/@]+))?$/,
  snap: /^(?:([^/]+)\/(?:([^/@]+)\/)?)?([^@]+)(?:@([^/@]+))?$/,
  none: /^(?:([^/]+)\/(?:([^/@]+)\/)?)?([^@]+)(?:@(.+))?$/s,
};

export interface Spec {
  pool?: string;
  namespace?: string;
  image: string;
  snap?: string;
}

/** Split `[pool/[namespace/]]image[@snap]` (rbd's extract_spec). */
export function extractSpec(spec: string, validation: SpecValidation): Spec {
  const m = SPEC_PATTERNS[validation].exec(spec);
  if (!m) throw new CliError(`invalid spec '${spec}'`, EINVAL);
  const out: Spec = { image: m[3]! };
  if (m[1] !== undefined) out.pool = m[1];
  if (m[2] !== undefined) out.namespace = m[2];
  if (m[4] !== undefined) out.snap = m[4];
  return out;
}

/** The option values a spec is resolved against (command options, last value each). */
export type OptionLookup = (name: string) => string | undefined;

export interface ImageRef {
  /** as given; '' means the default pool (rbd_default_pool), chosen when it is opened */
  pool: string;
  namespace: string;
  image: string;
  /** '' when none */
  snap: string;
}

export interface ResolveOptions {
  /** the --dest-* options and "destination" in messages */
  dest?: boolean;
  snap: SnapPresence;
  validation: SpecValidation;
  /** image name required (default true) */
  required?: boolean;
  /** starting values (rbd's rename and snap rename start the destination from the source) */
  initial?: Partial<ImageRef>;
}

/**
 * rbd's get_pool_image_snapshot_names: --pool/--namespace/--image/--snap (or --dest-pool,
 * --dest-namespace, --dest, --dest-snap) first; the next positional spec is read only when
 * no image name was given as an option, and what it names wins over the options.
 * `cursor.index` is advanced past a consumed positional.
 */
export function resolveImageSpec(get: OptionLookup, positional: readonly string[], cursor: { index: number }, o: ResolveOptions): ImageRef {
  const dest = !!o.dest;
  const ref: ImageRef = { pool: '', namespace: '', image: '', snap: '', ...o.initial };
  const pool = get(dest ? 'dest-pool' : 'pool');
  if (pool !== undefined) ref.pool = pool;
  const ns = get(dest ? 'dest-namespace' : 'namespace');
  if (ns !== undefined) ref.namespace = ns;
  const image = get(dest ? 'dest' : 'image');
  if (image !== undefined) ref.image = image;
  const snap = get(dest ? 'dest-snap' : 'snap');
  if (snap !== undefined) ref.snap = snap;

  const prefix = dest ? 'destination ' : '';
  if (!ref.image) {
    const spec = positional[cursor.index++] ?? '';
    if (spec) {
      const s = extractSpec(spec, o.validation);
      if (s.pool !== undefined) ref.pool = s.pool;
      if (s.namespace !== undefined) ref.namespace = s.namespace;
      ref.image = s.image;
      if (s.snap !== undefined) ref.snap = s.snap;
    }
  }
  if ((o.required ?? true) && !ref.image) throw new CliError(`${prefix}image name was not specified`, EINVAL);
  if (o.validation === 'full' && /[@/]/.test(ref.pool)) throw new CliError(`invalid pool name '${ref.pool}'`, EINVAL);
  if (ref.namespace && /[@/]/.test(ref.namespace)) throw new CliError(`invalid namespace name '${ref.namespace}'`, EINVAL);
  if (o.snap === 'none' && ref.snap) throw new CliError(`${prefix}snapshot name specified for a command that doesn't use it`, EINVAL);
  if (o.snap === 'required' && !ref.snap) throw new CliError(`${prefix}snapshot name was not specified`, EINVAL);
  if (o.validation === 'snap' && /[@/]/.test(ref.snap)) throw new CliError(`invalid snap name '${ref.snap}'`, EINVAL);
  return ref;
}

/** `ls`'s pool spec `pool[/namespace]` (rbd's get_pool_and_namespace_names: --pool wins). */
export function resolvePoolSpec(get: OptionLookup, positional: readonly string[], cursor: { index: number }): { pool: string; namespace: string } {
  let namespace = get('namespace') ?? '';
  let pool = get('pool');
  if (pool === undefined) {
    pool = positional[cursor.index] ?? '';
    if (pool) {
      const slash = pool.lastIndexOf('/');
      if (slash >= 0) {
        namespace = pool.slice(slash + 1);
        pool = pool.slice(0, slash);
      }
      cursor.index++;
    }
  }
  if (/[@/]/.test(namespace)) throw new CliError(`invalid namespace '${namespace}'`, EINVAL);
  return { pool, namespace };
}

/** `pool/[namespace/]image[@snap]` as rbd prints it. */
export function formatSpec(pool: string, namespace: string, image: string, snap?: string): string {
  return `${pool}/${namespace ? namespace + '/' : ''}${image}${snap ? '@' + snap : ''}`;
}
