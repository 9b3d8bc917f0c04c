// What the image commands share: the command context (options, positional specs, a
// lazily connected cluster), opening pools and images with rbd's error lines, and the
// image-creation options rbd reads from --order/--object-size/--image-feature/... and
// from the rbd_default_* configuration.

import { CephError, isErrno } from '../../encoding/errno.js';
import { Encoder } from '../../encoding/encoder.js';
import type { IoCtx } from '../../rados/ioctx.js';
import type { Rados } from '../../rados/rados.js';
import { Image } from '../../rbd/image.js';
import { rbdOptions, type RbdOptions } from '../../rbd/options.js';
import type { CreateOptions } from '../../rbd/types.js';
import { CliError, failed, type Format } from '../output.js';
import { orderForObjectSize, parseBytes, parseFeatureNames, parseOrder, parseUnsigned, type ImageRef, type OptionLookup } from '../spec.js';

export interface CommandContext {
  /** positional arguments after the command words */
  positional: string[];
  format: Format;
  pretty: boolean;
  /** last value of an option */
  opt: OptionLookup;
  /** every value of an option */
  all(name: string): string[];
  flag(name: string): boolean;
  /** connect (once) */
  rados(): Promise<Rados>;
  /** a warning line on stderr, as rbd prints some */
  warn(line: string): void;
}

const ENOENT = 2;
const EINVAL = 22;

/**
 * The client's librbd options (rbd_default_*); one rbdOptions refuses (an invalid
 * rbd_default_clone_format or rbd_default_features) is the CLI's EINVAL error.
 */
export function librbdOptions(rados: Rados): RbdOptions {
  try {
    return rbdOptions(rados.config);
  } catch (e) {
    // the message without the errno suffix: the CLI prints its own
    if (isErrno(e, 'EINVAL') && e.op === 'rbd options')
      throw new CliError(e.message.replace(/^rbd options \S+: /, '').replace(/ \(EINVAL, errno 22\)$/, ''), EINVAL);
    throw e;
  }
}

/** rbd_default_pool, else 'rbd'. */
export function defaultPool(rados: Rados): string {
  return librbdOptions(rados).defaultPool;
}

/**
 * An IoCtx on `pool` ('' = the default pool) and namespace, as rbd's init_io_ctx: a
 * missing pool is "error opening pool", a missing namespace "namespace ... does not exist."
 */
export async function openPool(ctx: CommandContext, pool: string, namespace: string): Promise<IoCtx> {
  const rados = await ctx.rados();
  const name = pool || defaultPool(rados);
  let io: IoCtx;
  try {
    io = await rados.openIoctx(name);
  } catch (e) {
    throw failed(`error opening pool '${name}'`, e);
  }
  if (!namespace) return io;
  // librbd's namespace_exists: the namespace's rbd_directory is there
  try {
    await io.withNamespace(namespace).stat('rbd_directory');
  } catch (e) {
    if (e instanceof CephError && e.errno === ENOENT) throw new CliError(`namespace '${namespace}' does not exist.`, ENOENT);
    throw failed('error asserting namespace', e);
  }
  return io.withNamespace(namespace);
}

/** Open an image (at its head, read-only unless `write`) with rbd's "error opening image" line. */
export async function openImage(io: IoCtx, name: string, write = false): Promise<Image> {
  try {
    return await Image.open(io, name, { readOnly: !write });
  } catch (e) {
    throw failed(`error opening image ${name}`, e);
  }
}

/** Open an image at a snapshot: rbd's open, then "error setting snapshot context". */
export async function openImageAt(io: IoCtx, ref: ImageRef): Promise<Image> {
  const head = await openImage(io, ref.image);
  if (!ref.snap) return head;
  await head.close();
  if (!head.listSnaps().some((s) => s.name === ref.snap)) throw new CliError(`error setting snapshot context: (2) No such file or directory`, ENOENT);
  try {
    return await Image.openById(io, head.id, head.name, { snapshot: ref.snap });
  } catch (e) {
    throw failed('error setting snapshot context', e);
  }
}

/** rbd refuses a value option given twice (boost's check_first_occurrence). */
export function checkSingle(ctx: CommandContext, names: readonly string[]): void {
  for (const n of names) {
    if (ctx.all(n).length > 1) throw new CliError(`option '--${n}' cannot be specified more than once`, 1);
  }
}

/**
 * CreateOptions from the command line as rbd's get_image_options builds them, with the
 * rbd_default_* configuration where librbd would use it (features, order, striping and
 * data pool for create; a clone takes what it does not set from its parent).
 */
export function imageOptions(ctx: CommandContext, rados: Rados, forClone: boolean): CreateOptions {
  const o: CreateOptions = {};
  const d = librbdOptions(rados);
  const order = ctx.opt('order');
  const objectSize = ctx.opt('object-size');
  if (order !== undefined) {
    o.order = parseOrder(order);
    ctx.warn('--order is deprecated, use --object-size');
  } else if (objectSize !== undefined) {
    const n = orderForObjectSize(parseBytes(objectSize, 'object-size'));
    if (n !== 0) o.order = n; // librbd takes order 0 as "the default"
  } else if (!forClone) {
    o.order = d.defaultOrder; // rbd_default_order, 22 when 0 or unset (librbd's "the default")
  }
  const features = ctx.all('image-feature');
  if (features.length) o.features = parseFeatureNames(features);
  else if (!forClone && d.defaultFeatures !== undefined) o.features = d.defaultFeatures;
  const su = ctx.opt('stripe-unit');
  const sc = ctx.opt('stripe-count');
  if (su !== undefined || sc !== undefined) {
    o.stripeUnit = su !== undefined ? parseBytes(su, 'stripe-unit') : 0;
    o.stripeCount = sc !== undefined ? parseUnsigned(sc, 'stripe-count') : 0;
  } else if (!forClone && (d.defaultStripeUnit || d.defaultStripeCount)) {
    o.stripeUnit = d.defaultStripeUnit;
    o.stripeCount = d.defaultStripeCount;
  }
  const dataPool = ctx.opt('data-pool') ?? d.defaultDataPool;
  if (dataPool) o.dataPool = dataPool;
  return o;
}

/**
 * "excl" / "shr" for an image's header lock (cls lock get_info on rbd_lock), as `rbd ls -l`
 * shows it; undefined when nobody holds it.
 */
export async function lockType(io: IoCtx, headerOid: string): Promise<'exclusive' | 'shared' | undefined> {
  const input = new Encoder(32).versioned(1, 1, (e) => e.string('rbd_lock')).toBuffer();
  let out: Buffer;
  try {
    out = await io.execute(headerOid, 'lock', 'get_info', input);
  } catch (e) {
    if (e instanceof CephError && (e.code === 'ENOENT' || e.code === 'EOPNOTSUPP')) return undefined;
    throw e;
  }
  // cls_lock_get_info_reply: ENCODE_START(1,1) { map<locker_id_t, locker_info_t>, u8 lock_type, string tag }
  if (out.length < 10) return undefined;
  let pos = 6;
  const n = out.readUInt32LE(pos);
  pos += 4;
  if (n === 0) return undefined;
  for (let i = 0; i < 2 * n; i++) pos += 6 + out.readUInt32LE(pos + 2); // two versioned structs per entry
  return out[pos] === 1 ? 'exclusive' : 'shared';
}
