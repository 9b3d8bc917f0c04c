// Pool-level RBD operations (python-rbd's `RBD`), a facade over the requests that do them:
// create (create.ts), remove (remove.ts), clone (clone.ts), import / export
// (import-export.ts), the orphan scan rbd lacks (orphans.ts); list and rename are small
// enough to live here.

import { bestEffort, cephError, ignoring, isErrno } from '../encoding/errno.js';
import type { CallOptions, IoCtx } from '../rados/ioctx.js';
import { call, writeOp } from './cls/exec.js';
import * as R from './cls/rbd.js';
import { cloneImage } from './clone.js';
import { createImage, validName } from './create.js';
import { notifyHeaderUpdate } from './image-watcher.js';
import { exportImage, importImage } from './import-export.js';
import { listOrphans, removeOrphans } from './orphans.js';
import { RBD_DIRECTORY, headerObject, idObject } from './names.js';
import { removeImage } from './remove.js';

/** rbd_directory's dir_list page size */
const LIST_PAGE = 1024;

export const RBD = {
  /** Create a format-2 image (librbd's defaults and validation; the client's rbd_default_* options). */
  create: createImage,

  /** Image names in this pool/namespace, sorted. */
  async list(io: IoCtx, opts: CallOptions = {}): Promise<string[]> {
    const names: string[] = [];
    let after = '';
    for (;;) {
      const page = await call(io, RBD_DIRECTORY, R.dirList(after, LIST_PAGE), opts).catch(ignoring('ENOENT'));
      if (!page) return names;
      names.push(...page.keys());
      if (page.size < LIST_PAGE) break;
      after = names[names.length - 1]!;
    }
    return names.sort();
  },

  /**
   * Remove an image: ENOTEMPTY while it has snapshots, EBUSY while another client watches
   * its header; then data objects, child link, header, object map, id, directory entry. The
   * id comes from rbd_id.<name>, else the directory: a name left by an interrupted create
   * (either alone, or both without a header) is removed too.
   */
  remove: removeImage,

  /** Rename an image: the new rbd_id first (exclusive), then the directory, then the old rbd_id goes. */
  async rename(io: IoCtx, src: string, dst: string, opts: CallOptions = {}): Promise<void> {
    validName(dst, 'rename');
    const exists = (name: string) => cephError('EEXIST', `image ${name} already exists`, { op: 'rename', image: name });
    const id = await call(io, idObject(src), R.getId(), opts).catch((e: unknown) => {
      if (isErrno(e, 'ENOENT')) throw cephError('ENOENT', `image ${src} does not exist`, { op: 'rename', image: src });
      throw e;
    });
    await io.operate(idObject(dst), writeOp([R.setId(id)], { createExclusive: true }), opts).catch((e: unknown) => {
      throw isErrno(e, 'EEXIST') ? exists(dst) : e;
    });
    try {
      await call(io, RBD_DIRECTORY, R.dirRenameImage(src, dst, id), opts);
    } catch (e) {
      await io.remove(idObject(dst)).catch(ignoring('ENOENT'));
      throw isErrno(e, 'EEXIST') ? exists(dst) : e;
    }
    await io.remove(idObject(src), opts).catch(ignoring('ENOENT'));
    await notifyHeaderUpdate(io, headerObject(id)).catch(bestEffort);
  },

  /**
   * Clone a snapshot of `parentName` into `childName` (copy-on-write). Format 1 needs a
   * protected snapshot and registers the child in rbd_children; format 2 attaches the
   * child to the parent's header. Any failure removes the partial child.
   */
  clone: cloneImage,

  /**
   * What no image owns in this pool namespace, at least `minAgeMs` (default 60 s) old:
   * nameless headers, object maps and data ('image'), names without a directory entry,
   * rbd_id or header ('name'), stale rbd_id objects ('id'), clone records on a snapshot whose
   * child header is gone ('child'). rbd has no such scan.
   */
  listOrphans,
  /** Remove what listOrphans finds, each completely ({ dryRun }: only report). */
  removeOrphans,

  /** Import a file, Buffer, stream or file descriptor ({ fd: 0 }: stdin) into a new image. */
  import: importImage,
  /** Export an open image (or snapshot) to a file, '-' or a Writable. */
  export: exportImage,
};
