// `rbd-ts import`, `export` and `flatten`: rbd's arguments, messages and exit statuses
// (import: "image creation failed" / "import failed: (17) File exists"; export: "export
// error: ..."; flatten: "flatten error: ..."), and rbd's progress line on stderr
// ("Importing image: 42% complete...done.") when stderr is a TTY and --no-progress is not given.

import { basename } from 'node:path';
import { CephError } from '../../encoding/errno.js';
import { Image } from '../../rbd/image.js';
import { exportImage, importImage } from '../../rbd/import-export.js';
import { CliError, errorText, failed } from '../output.js';
import { resolveImageSpec } from '../spec.js';
import { imageOptions, openImage, openImageAt, openPool, type CommandContext } from './common.js';

const EINVAL = 22;

/** rbd's ProgressContext: "\r<op>: N% complete..." then "done." or "failed." */
export class Progress {
  private last = -1;
  constructor(
    readonly operation: string,
    readonly enabled: boolean,
    private readonly out: NodeJS.WritableStream = process.stderr,
  ) {}

  /** rbd prints whole percents, only when the figure changes */
  update(done: number, total: number): void {
    if (!this.enabled || total <= 0) return;
    const pc = Math.min(100, Math.floor((done * 100) / total));
    if (pc === this.last) return;
    this.last = pc;
    this.out.write(`\r${this.operation}: ${pc}% complete...`);
  }

  finish(): void {
    if (this.enabled) this.out.write(`\r${this.operation}: 100% complete...done.\n`);
  }

  fail(): void {
    if (this.enabled) this.out.write(`\r${this.operation}: ${Math.max(0, this.last)}% complete...failed.\n`);
  }
}

function progressWanted(ctx: CommandContext): boolean {
  return !ctx.flag('no-progress') && process.stderr.isTTY === true;
}

function errnoOf(e: unknown): number {
  if (e instanceof CephError) return e.errno;
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOENT' ? 2 : code === 'EACCES' ? 13 : code === 'EISDIR' ? 21 : code === 'EEXIST' ? 17 : 5;
}

// ---- import ------------------------------------------------------------------------------------

export async function importCommand(ctx: CommandContext): Promise<void> {
  const path = ctx.positional[0];
  if (!path) throw new CliError('path was not specified', EINVAL);
  const format = ctx.opt('image-format');
  if (format !== undefined && format !== '2') {
    if (format === '1') ctx.warn('image format 1 is deprecated');
    throw new CliError(`import failed: (${EINVAL}) ${errorText(EINVAL)}`, EINVAL);
  }
  // the destination defaults to the file's name (rbd: basename of the path)
  const dest = resolveImageSpec(ctx.opt, ctx.positional, { index: 1 }, { dest: true, snap: 'none', validation: 'full', required: path === '-' });
  if (!dest.image) dest.image = basename(path);
  const rados = await ctx.rados();
  const opts = imageOptions(ctx, rados, false);
  const io = await openPool(ctx, dest.pool, dest.namespace);
  const progress = new Progress('Importing image', progressWanted(ctx));
  try {
    await importImage(io, dest.image, path === '-' ? { fd: 0 } : path, { ...opts, onProgress: (d, t) => progress.update(d, t) });
  } catch (e) {
    if (e instanceof CephError && e.op === 'import' && e.cause !== undefined && !(e.cause instanceof CephError)) {
      progress.fail();
      ctx.warn(`error opening ${path}`);
    } else {
      if (e instanceof CephError && e.op === 'create') ctx.warn('image creation failed');
      progress.fail();
    }
    const n = errnoOf(e);
    throw new CliError(`import failed: (${n}) ${errorText(n)}`, n > 0 && n < 256 ? n : 1);
  }
  progress.finish();
}

// ---- export ------------------------------------------------------------------------------------

export async function exportCommand(ctx: CommandContext): Promise<void> {
  const cursor = { index: 0 };
  const ref = resolveImageSpec(ctx.opt, ctx.positional, cursor, { snap: 'permitted', validation: 'none' });
  // the file defaults to the image's name, as rbd's export does
  const path = ctx.positional[cursor.index] ?? ref.image;
  const io = await openPool(ctx, ref.pool, ref.namespace);
  const img = await openImageAt(io, ref);
  const progress = new Progress('Exporting image', progressWanted(ctx) && path !== '-');
  try {
    await exportImage(img, path, { exclusive: true, onProgress: (d, t) => progress.update(d, t) });
  } catch (e) {
    progress.fail();
    const n = errnoOf(e);
    throw new CliError(`export error: (${n}) ${errorText(n)}`, n > 0 && n < 256 ? n : 1);
  } finally {
    await img.close();
  }
  progress.finish();
}

// ---- flatten -----------------------------------------------------------------------------------

export async function flattenCommand(ctx: CommandContext): Promise<void> {
  const ref = resolveImageSpec(ctx.opt, ctx.positional, { index: 0 }, { snap: 'none', validation: 'none' });
  const io = await openPool(ctx, ref.pool, ref.namespace);
  const img: Image = await openImage(io, ref.image, true);
  const progress = new Progress('Image flatten', progressWanted(ctx));
  try {
    await img.flatten({ onProgress: (d, t) => progress.update(d, t) });
  } catch (e) {
    progress.fail();
    throw failed('flatten error', e);
  } finally {
    await img.close();
  }
  progress.finish();
}
