// rbd's snapshot verbs: snap create (add), ls (list), rm (remove), rename, protect,
// unprotect, rollback (revert) — rbd's syntax, output and error lines.

import { CephError } from '../../encoding/errno.js';
import { ctime, type Image } from '../../rbd/image.js';
import { CliError, failed, formatBytes, formatTable, printJson } from '../output.js';
import { resolveImageSpec, type ImageRef, type SnapPresence, type SpecValidation } from '../spec.js';
import { openImage, openPool, type CommandContext } from './common.js';

const EINVAL = 22;
const EBUSY = 16;

async function open(ctx: CommandContext, snap: SnapPresence, validation: SpecValidation, write: boolean): Promise<{ ref: ImageRef; img: Image }> {
  const ref = resolveImageSpec(ctx.opt, ctx.positional, { index: 0 }, { snap, validation });
  const io = await openPool(ctx, ref.pool, ref.namespace);
  return { ref, img: await openImage(io, ref.image, write) };
}

async function withImage(ctx: CommandContext, validation: SpecValidation, what: string, act: (img: Image, ref: ImageRef) => Promise<unknown>): Promise<void> {
  const { ref, img } = await open(ctx, 'required', validation, true);
  try {
    await act(img, ref);
  } catch (e) {
    throw failed(what, e);
  } finally {
    await img.close();
  }
}

export async function snapCreateCommand(ctx: CommandContext): Promise<void> {
  await withImage(ctx, 'snap', 'failed to create snapshot', (img, ref) => img.createSnap(ref.snap));
}

export async function snapListCommand(ctx: CommandContext): Promise<void> {
  const { img } = await open(ctx, 'none', 'none', false);
  const snaps = img.listSnaps();
  await img.close();
  if (ctx.format === 'json') {
    printJson(
      snaps.map((s) => ({ id: Number(s.id), name: s.name, size: s.size, protected: s.protected ? 'true' : 'false', timestamp: ctime(s.timestamp) })),
      ctx.pretty,
    );
    return;
  }
  if (!snaps.length) return;
  process.stdout.write(
    formatTable(
      [{ header: 'SNAPID', align: 'right' }, { header: 'NAME' }, { header: 'SIZE', align: 'right' }, { header: 'PROTECTED' }, { header: 'TIMESTAMP' }],
      snaps.map((s) => [String(s.id), s.name, formatBytes(s.size), s.protected ? 'yes' : '', ctime(s.timestamp)]),
    ),
  );
}

export async function snapRemoveCommand(ctx: CommandContext): Promise<void> {
  const { ref, img } = await open(ctx, 'required', 'none', true);
  try {
    await img.removeSnap(ref.snap);
  } catch (e) {
    if (e instanceof CephError && e.code === 'EBUSY' && img.isProtectedSnap(ref.snap))
      throw new CliError(`snapshot '${ref.snap}' is protected from removal.`, EBUSY);
    throw failed('failed to remove snapshot', e);
  } finally {
    await img.close();
  }
}

export async function snapRenameCommand(ctx: CommandContext): Promise<void> {
  const cursor = { index: 0 };
  const src = resolveImageSpec(ctx.opt, ctx.positional, cursor, { snap: 'required', validation: 'none' });
  const dst = resolveImageSpec(ctx.opt, ctx.positional, cursor, {
    dest: true,
    snap: 'required',
    validation: 'snap',
    initial: { pool: src.pool, namespace: src.namespace },
  });
  if (src.pool !== dst.pool) throw new CliError('source and destination pool must be the same', EINVAL);
  if (src.namespace !== dst.namespace) throw new CliError('source and destination namespace must be the same', EINVAL);
  if (src.image !== dst.image) throw new CliError('source and destination image name must be the same', EINVAL);
  const io = await openPool(ctx, src.pool, src.namespace);
  const img = await openImage(io, src.image, true);
  try {
    await img.renameSnap(src.snap, dst.snap);
  } catch (e) {
    throw failed('renaming snap failed', e);
  } finally {
    await img.close();
  }
}

export async function snapProtectCommand(ctx: CommandContext): Promise<void> {
  const { ref, img } = await open(ctx, 'required', 'none', true);
  try {
    if (img.listSnaps().find((s) => s.name === ref.snap)?.protected) throw new CliError('snap is already protected', EBUSY);
    try {
      await img.protectSnap(ref.snap);
    } catch (e) {
      throw failed('protecting snap failed', e);
    }
  } finally {
    await img.close();
  }
}

export async function snapUnprotectCommand(ctx: CommandContext): Promise<void> {
  const { ref, img } = await open(ctx, 'required', 'none', true);
  try {
    const s = img.listSnaps().find((x) => x.name === ref.snap);
    if (s && !s.protected) throw new CliError('snap is already unprotected', EINVAL);
    try {
      await img.unprotectSnap(ref.snap);
    } catch (e) {
      throw failed('unprotecting snap failed', e);
    }
  } finally {
    await img.close();
  }
}

export async function snapRollbackCommand(ctx: CommandContext): Promise<void> {
  await withImage(ctx, 'none', 'rollback failed', (img, ref) => img.rollbackToSnap(ref.snap));
}
