// rbd's image verbs: create, ls [-l], info, rm, resize, rename, clone, children — same
// syntax, JSON with the same keys and types, plain text as rbd lays it out, and rbd's
// error lines and exit statuses.

import { bestEffort, CephError } from '../../encoding/errno.js';
import { RBD } from '../../rbd/rbd.js';
import type { Image } from '../../rbd/image.js';
import type { ChildInfo, RbdInfoJson } from '../../rbd/types.js';
import { CliError, failed, formatBytes, formatTable, printJson } from '../output.js';
import { formatSpec, parseSize, resolveImageSpec, resolvePoolSpec } from '../spec.js';
import { imageOptions, librbdOptions, lockType, openImage, openImageAt, openPool, type CommandContext } from './common.js';

const EINVAL = 22;

function requireSize(ctx: CommandContext): number {
  const s = ctx.opt('size');
  if (s === undefined) throw new CliError('must specify --size <M/G/T>', EINVAL);
  return parseSize(s);
}

// ---- create ---------------------------------------------------------------------------------

export async function createCommand(ctx: CommandContext): Promise<void> {
  const ref = resolveImageSpec(ctx.opt, ctx.positional, { index: 0 }, { snap: 'none', validation: 'full' });
  const size = requireSize(ctx);
  const rados = await ctx.rados();
  const opts = imageOptions(ctx, rados, false);
  const io = await openPool(ctx, ref.pool, ref.namespace);
  try {
    await RBD.create(io, ref.image, size, opts);
  } catch (e) {
    throw failed('create error', e);
  }
}

// ---- ls -----------------------------------------------------------------------------------

export async function listCommand(ctx: CommandContext): Promise<void> {
  const { pool, namespace } = resolvePoolSpec(ctx.opt, ctx.positional, { index: 0 });
  const io = await openPool(ctx, pool, namespace);
  let names: string[];
  try {
    names = await RBD.list(io);
  } catch (e) {
    throw failed('listing images failed', e);
  }
  if (!ctx.flag('long')) {
    if (ctx.format === 'json') printJson(names, ctx.pretty);
    else if (names.length) process.stdout.write(names.join('\n') + '\n');
    return;
  }
  const entries: Array<Record<string, unknown>> = [];
  const rows: string[][] = [];
  for (const name of names) {
    let img: Image;
    try {
      img = await openImage(io, name);
    } catch (e) {
      if (e instanceof CliError && e.status === 2) continue; // removed meanwhile
      throw e;
    }
    const [parent, lock] = await Promise.all([img.parentInfo(), lockType(io, img.headerOid)]);
    const parentJson = (p: typeof parent) => (p ? { parent: { pool: p.pool, pool_namespace: p.poolNamespace, image: p.image, snapshot: p.snapshot } } : {});
    const parentText = (p: typeof parent) => (p ? formatSpec(p.pool, p.poolNamespace, p.image, p.snapshot) + (p.trash ? ` (trash ${p.imageId})` : '') : '');
    entries.push({ image: name, id: img.id, size: img.size, ...parentJson(parent), format: 2, ...(lock ? { lock_type: lock } : {}) });
    rows.push([name, formatBytes(img.size), parentText(parent), '2', '', lock ? (lock === 'exclusive' ? 'excl' : 'shr') : '']);
    const snaps = img.listSnaps();
    const atSnaps = await Promise.all(snaps.map((s) => openImageAt(io, { pool, namespace, image: name, snap: s.name }).catch(bestEffort)));
    for (const [i, s] of snaps.entries()) {
      const at = atSnaps[i];
      if (!at) continue;
      const sp = await at.parentInfo();
      entries.push({
        image: name,
        id: img.id,
        snapshot: s.name,
        snapshot_id: Number(s.id),
        size: s.size,
        ...parentJson(sp),
        format: 2,
        protected: s.protected ? 'true' : 'false',
      });
      rows.push([`${name}@${s.name}`, formatBytes(s.size), parentText(sp), '2', s.protected ? 'yes' : '', '']);
      await at.close();
    }
    await img.close();
  }
  if (ctx.format === 'json') printJson(entries, ctx.pretty);
  else if (rows.length) {
    process.stdout.write(
      formatTable(
        [
          { header: 'NAME' },
          { header: 'SIZE', align: 'right' },
          { header: 'PARENT' },
          { header: 'FMT', align: 'right' },
          { header: 'PROT' },
          { header: 'LOCK' },
        ],
        rows,
      ),
    );
  }
}

// ---- info ---------------------------------------------------------------------------------

/** rbd info's key order (Image.info() has the same keys and values). */
const INFO_KEYS: ReadonlyArray<keyof RbdInfoJson> = [
  'name',
  'id',
  'size',
  'objects',
  'order',
  'object_size',
  'snapshot_count',
  'data_pool',
  'block_name_prefix',
  'format',
  'features',
  'op_features',
  'flags',
  'create_timestamp',
  'access_timestamp',
  'modify_timestamp',
  'protected',
  'parent',
  'stripe_unit',
  'stripe_count',
];

export function orderInfo(j: RbdInfoJson): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of INFO_KEYS) if (j[k] !== undefined) out[k] = j[k];
  for (const [k, v] of Object.entries(j)) if (!(k in out)) out[k] = v;
  return out;
}

export function infoText(j: RbdInfoJson): string {
  const lines = [
    `rbd image '${j.name}':`,
    `\tsize ${formatBytes(j.size)} in ${j.objects} objects`,
    `\torder ${j.order} (${formatBytes(j.object_size)} objects)`,
    `\tsnapshot_count: ${j.snapshot_count}`,
    `\tid: ${j.id}`,
  ];
  if (j.data_pool !== undefined) lines.push(`\tdata_pool: ${j.data_pool}`);
  lines.push(
    `\tblock_name_prefix: ${j.block_name_prefix}`,
    `\tformat: ${j.format}`,
    `\tfeatures: ${j.features.join(', ')}`,
    `\top_features: ${j.op_features.join(', ')}`,
    `\tflags: ${j.flags.join(', ')}`,
    `\tcreate_timestamp: ${j.create_timestamp}`,
    `\taccess_timestamp: ${j.access_timestamp}`,
    `\tmodify_timestamp: ${j.modify_timestamp}`,
  );
  if (j.protected !== undefined) lines.push(`\tprotected: ${j.protected === 'true' ? 'True' : 'False'}`);
  if (j.parent) {
    const p = j.parent;
    lines.push(
      `\tparent: ${formatSpec(p.pool, p.pool_namespace, p.image, p.snapshot)}${p.trash ? ` (trash ${p.id})` : ''}`,
      `\toverlap: ${formatBytes(p.overlap)}`,
    );
  }
  if (j.stripe_unit !== undefined) lines.push(`\tstripe unit: ${formatBytes(j.stripe_unit)}`, `\tstripe count: ${j.stripe_count ?? 0}`);
  return lines.join('\n') + '\n';
}

export async function infoCommand(ctx: CommandContext): Promise<void> {
  const ref = resolveImageSpec(ctx.opt, ctx.positional, { index: 0 }, { snap: 'permitted', validation: 'none' });
  const io = await openPool(ctx, ref.pool, ref.namespace);
  const img = await openImageAt(io, ref);
  let j: RbdInfoJson;
  try {
    j = await img.info();
  } catch (e) {
    throw failed('error getting image info', e);
  }
  if (ctx.format === 'json') printJson(orderInfo(j), ctx.pretty);
  else process.stdout.write(infoText(j));
}

// ---- rm -----------------------------------------------------------------------------------

export async function removeCommand(ctx: CommandContext): Promise<void> {
  const ref = resolveImageSpec(ctx.opt, ctx.positional, { index: 0 }, { snap: 'none', validation: 'none' });
  const io = await openPool(ctx, ref.pool, ref.namespace);
  try {
    await RBD.remove(io, ref.image);
  } catch (e) {
    if (e instanceof CephError && e.code === 'ENOTEMPTY') {
      throw new CliError("image has snapshots - these must be deleted with 'rbd snap purge' before the image can be removed.", e.errno);
    }
    if (e instanceof CephError && e.code === 'EBUSY') {
      throw new CliError(
        'error: image still has watchers. This means the image is still open or the client using it crashed. Try again after closing/unmapping it or waiting 30s for the crashed client to timeout.',
        e.errno,
      );
    }
    throw failed('delete error', e);
  }
}

// ---- resize -------------------------------------------------------------------------------

export async function resizeCommand(ctx: CommandContext): Promise<void> {
  const ref = resolveImageSpec(ctx.opt, ctx.positional, { index: 0 }, { snap: 'none', validation: 'none' });
  const size = requireSize(ctx);
  const io = await openPool(ctx, ref.pool, ref.namespace);
  const img = await openImage(io, ref.image, true);
  try {
    if (size < img.size && !ctx.flag('allow-shrink')) throw new CliError('shrinking an image is only allowed with the --allow-shrink flag', EINVAL);
    try {
      await img.resize(size, { allowShrink: ctx.flag('allow-shrink') });
    } catch (e) {
      throw failed('resize error', e);
    }
  } finally {
    await img.close();
  }
}

// ---- rename -------------------------------------------------------------------------------

export async function renameCommand(ctx: CommandContext): Promise<void> {
  const cursor = { index: 0 };
  const src = resolveImageSpec(ctx.opt, ctx.positional, cursor, { snap: 'none', validation: 'none' });
  const dst = resolveImageSpec(ctx.opt, ctx.positional, cursor, {
    dest: true,
    snap: 'none',
    validation: 'full',
    initial: { pool: src.pool, namespace: src.namespace },
  });
  // rbd compares the pools as given (before the default pool is filled in)
  if (src.pool !== dst.pool) throw new CliError(`mv/rename across pools not supported (source pool: ${src.pool} dest pool: ${dst.pool})`, EINVAL);
  if (src.namespace !== dst.namespace) {
    throw new CliError(`mv/rename across namespaces not supported (source namespace: ${src.namespace} dest namespace: ${dst.namespace})`, EINVAL);
  }
  const io = await openPool(ctx, src.pool, src.namespace);
  try {
    await RBD.rename(io, src.image, dst.image);
  } catch (e) {
    throw failed('rename error', e);
  }
}

// ---- clone --------------------------------------------------------------------------------

export async function cloneCommand(ctx: CommandContext): Promise<void> {
  const cursor = { index: 0 };
  const src = resolveImageSpec(ctx.opt, ctx.positional, cursor, { snap: 'required', validation: 'none' });
  const dst = resolveImageSpec(ctx.opt, ctx.positional, cursor, { dest: true, snap: 'none', validation: 'full' });
  const rados = await ctx.rados();
  const opts = imageOptions(ctx, rados, true);
  const format = librbdOptions(rados).defaultCloneFormat; // rbd_default_clone_format: 1, 2 or auto
  const pio = await openPool(ctx, src.pool, src.namespace);
  const cio = await openPool(ctx, dst.pool, dst.namespace);
  try {
    await RBD.clone(pio, src.image, src.snap, cio, dst.image, { ...opts, cloneFormat: format });
  } catch (e) {
    throw failed('clone error', e);
  }
}

// ---- children -----------------------------------------------------------------------------

export async function childrenCommand(ctx: CommandContext): Promise<void> {
  const ref = resolveImageSpec(ctx.opt, ctx.positional, { index: 0 }, { snap: 'permitted', validation: 'none' });
  const io = await openPool(ctx, ref.pool, ref.namespace);
  const img = await openImageAt(io, ref);
  let children: ChildInfo[];
  try {
    // at the head: the children of every snapshot, those in the trash namespace too
    children = await img.listChildren(ref.snap || undefined);
  } catch (e) {
    throw failed('listing children failed', e);
  }
  const all = ctx.flag('all');
  if (!all) children = children.filter((c) => !c.trash);
  if (ctx.format === 'json') {
    printJson(
      children.map((c) => ({ pool: c.pool, pool_namespace: c.poolNamespace, image: c.image, ...(all ? { id: c.imageId, trash: c.trash } : {}) })),
      ctx.pretty,
    );
    return;
  }
  const lines = children.map((c) => formatSpec(c.pool, c.poolNamespace, c.image) + (c.trash ? ` (trash ${c.imageId})` : ''));
  if (lines.length) process.stdout.write(lines.join('\n') + '\n');
}
