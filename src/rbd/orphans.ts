// What no image owns, found by scanning a pool namespace, and its removal: an rbd-ts addition
// (`rbd` has no such scan). Clients killed mid-create or mid-remove (rbd-ts before it ordered
// its writes, librbd too) leave
//  - 'image': headers, object maps, data objects whose id no name leads to (neither the
//    directory, an rbd_id.<name> nor the trash names it): nothing finds them by name;
//  - 'name': a name that leads to no whole image: rbd_id.<name> without a directory entry, or
//    a directory entry without rbd_id.<name> or without a header; `RBD.remove` by name removes it;
//  - 'id': rbd_id.<name> naming an image the directory knows by another name (a rename cut
//    short): only that object goes;
//  - 'child': a parent snapshot's record of a clone (child_attach, rbd_children) whose header
//    is gone: it keeps the snapshot from being unprotected or removed.
// Each is confirmed after the scan (stat, a second read of the record) and reported only when
// its objects are at least `minAgeMs` old: an image being made (name first, then the header)
// or removed (header first, then the name) looks like debris for a moment.

import { bestEffort, isErrno, ignoring } from '../encoding/errno.js';
import type { CallOptions, IoCtx } from '../rados/ioctx.js';
import { call } from './cls/exec.js';
import * as R from './cls/rbd.js';
import { fanOut, opsBudget } from './fan-out.js';
import { ImageCtx } from './image-ctx.js';
import { RBD_CHILDREN, RBD_DIRECTORY, RBD_TRASH, headerObject, idObject } from './names.js';
import { detachChild, purgeObjects, removeImage } from './remove.js';

/** Objects younger than this are not reported unless told otherwise (ms). */
export const ORPHAN_MIN_AGE_MS = 60_000;

const gone = ignoring('ENOENT');
/** reads in flight during a scan */
const SCAN_OPS = 16;
/** rbd_directory's dir_list and rbd_trash's omap page size */
const PAGE = 1024;

export type OrphanKind = 'image' | 'name' | 'id' | 'child';

/** Something no image owns (see listOrphans). */
export interface Orphan {
  kind: OrphanKind;
  /** the image id ('child': the missing clone's) */
  id: string;
  /** 'name' and 'id': the image name */
  name?: string;
  /** 'image': the parent its header names, if any; 'child': the parent snapshot holding the record */
  parent?: R.ParentImageSpec;
  /** 'child': the record's clone format (1: rbd_children, 2: the parent header's child_attach) */
  cloneFormat?: 1 | 2;
  /** 'child': where the missing clone lived (the record's pool and namespace) */
  child?: { poolId: number; poolNamespace: string };
  /** the objects found ('child': the object holding the record) */
  objects: string[];
  /** the newest modification time of the objects that date it */
  mtime: Date;
  /** what is wrong, in words */
  detail: string;
}

export interface OrphanScanOptions extends CallOptions {
  /** report only what is at least this old (default 60 000 ms) */
  minAgeMs?: number;
}

export interface RemoveOrphansOptions extends OrphanScanOptions {
  /** remove nothing: report what would be removed and what would be skipped */
  dryRun?: boolean;
}

/** An orphan left in place, and why. */
export interface SkippedOrphan extends Orphan {
  reason: string;
}

export interface OrphanRemoval {
  /** removed (with dryRun: would be removed) */
  removed: Orphan[];
  skipped: SkippedOrphan[];
}

/** What an object of a format-2 image is, from its name. */
type Piece = { type: 'header' | 'object-map' | 'data'; id: string } | { type: 'rbd-id'; name: string };

function classify(oid: string): Piece | undefined {
  if (oid.startsWith('rbd_header.')) return { type: 'header', id: oid.slice(11) };
  if (oid.startsWith('rbd_id.')) return { type: 'rbd-id', name: oid.slice(7) };
  let m = /^rbd_object_map\.([^.]+)(?:\.[0-9a-f]{16})?$/.exec(oid);
  if (m) return { type: 'object-map', id: m[1]! };
  // rbd_data.<id>.<objno>; rbd_data.<pool>.<id>.<objno> belongs to another pool's image (a data pool): not judged here
  m = /^rbd_data\.([^.]+)\.[0-9a-f]{16}$/.exec(oid);
  if (m) return { type: 'data', id: m[1]! };
  return undefined;
}

interface Owners {
  /** the directory: name -> id */
  dir: Map<string, string>;
  /** ids in the trash */
  trash: Set<string>;
  /** ids in the directory or the trash */
  ids: Set<string>;
}

/** The directory (dir_list) and the trash's ids (omap keys id_<id>). */
async function readOwners(io: IoCtx, opts: CallOptions): Promise<Owners> {
  const dir = new Map<string, string>();
  for (let after = ''; ; ) {
    const page = await call(io, RBD_DIRECTORY, R.dirList(after, PAGE), opts).catch(gone);
    if (!page) break;
    for (const [name, id] of page) dir.set(name, id);
    if (page.size < PAGE) break;
    after = [...page.keys()].at(-1)!;
  }
  const trash = new Set<string>();
  for (let after = ''; ; ) {
    const page = await io.getOmapKeys(RBD_TRASH, { ...opts, startAfter: after, maxReturn: PAGE }).catch(gone);
    if (!page) break;
    for (const k of page.keys) if (k.startsWith('id_')) trash.add(k.slice(3));
    if (!page.more || !page.keys.length) break;
    after = page.keys.at(-1)!;
  }
  return { dir, trash, ids: new Set([...dir.values(), ...trash]) };
}

/** The newest mtime of the objects that exist (undefined: none does any more). */
async function newest(io: IoCtx, oids: readonly string[], opts: CallOptions): Promise<Date | undefined> {
  const times = await Promise.all(oids.map((oid) => io.stat(oid, opts).then((s) => s.mtime, gone)));
  return times.reduce<Date | undefined>((a, t) => (t && (!a || t > a) ? t : a), undefined);
}

/** Run `fn` on each item, SCAN_OPS at a time. */
async function each<T>(items: Iterable<T>, fn: (item: T) => Promise<void>, opts: CallOptions): Promise<void> {
  await fanOut(items, opsBudget(SCAN_OPS), fn, opts);
}

const callOptions = (o: CallOptions): CallOptions => ({
  ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
  ...(o.signal ? { signal: o.signal } : {}),
});

/**
 * The orphans of this pool namespace (see the kinds above), at least `minAgeMs` old. The
 * directory and the trash are read before and after the listing, so an image made meanwhile
 * counts as owned; each orphan is confirmed once the scan is done.
 */
export async function listOrphans(io: IoCtx, o: OrphanScanOptions = {}): Promise<Orphan[]> {
  const opts = callOptions(o);
  const minAgeMs = o.minAgeMs ?? ORPHAN_MIN_AGE_MS;
  const before = await readOwners(io, opts);
  const headers = new Set<string>();
  const rbdIds = new Set<string>();
  /** objects of ids the directory and trash did not own before the listing */
  const unowned = new Map<string, string[]>();
  for await (const { oid } of io.listObjects(opts)) {
    const p = classify(oid);
    if (!p) continue;
    if (p.type === 'rbd-id') {
      rbdIds.add(p.name);
      continue;
    }
    if (p.type === 'header') headers.add(p.id);
    if (before.ids.has(p.id)) continue;
    const list = unowned.get(p.id) ?? [];
    list.push(oid);
    unowned.set(p.id, list);
  }
  const after = await readOwners(io, opts);
  const owned = new Set([...before.ids, ...after.ids]);
  const inDir = (name: string) => before.dir.has(name) || after.dir.has(name);
  const found: Orphan[] = [];
  /** Report `orphan` if the objects that date it (in `where`, default this namespace) are old enough. */
  const add = async (orphan: Omit<Orphan, 'mtime'>, dating: readonly string[], where: IoCtx = io) => {
    const mtime = await newest(where, dating, opts);
    if (mtime && Date.now() - mtime.getTime() >= minAgeMs) found.push({ ...orphan, mtime });
  };

  // every rbd_id.<name>'s id: those without a directory entry are debris; all own their ids
  const named = new Map<string, string>();
  const unlisted = [...rbdIds].filter((n) => !inDir(n));
  // all of them only if some listed id is still unowned (the directory names the others' ids)
  const toRead = [...unowned.keys()].some((id) => !owned.has(id)) ? [...rbdIds] : unlisted;
  await each(
    toRead,
    async (name) => {
      const id = await call(io, idObject(name), R.getId(), opts).catch(gone);
      if (id !== undefined) named.set(name, id);
    },
    opts,
  );
  for (const id of named.values()) owned.add(id);
  const dirOwned = new Set([...before.dir.values(), ...after.dir.values(), ...after.ids]);
  await each(
    unlisted,
    async (name) => {
      const id = named.get(name);
      if (id === undefined) return;
      if (dirOwned.has(id)) {
        const other = [...after.dir].find(([, v]) => v === id)?.[0];
        await add(
          { kind: 'id', id, name, objects: [idObject(name)], detail: `rbd_id of image ${id}, which ${other ? `is named ${other}` : 'is in the trash'}` },
          [idObject(name)],
        );
        return;
      }
      const objects = [idObject(name), ...(unowned.get(id) ?? [])];
      await add({ kind: 'name', id, name, objects, detail: 'no directory entry' }, [idObject(name)]);
    },
    opts,
  );

  // directory entries (in both reads) without rbd_id.<name> or without a header; not those of
  // images in the trash (a move to the trash cut short: the trash owns them)
  const trash = new Set([...before.trash, ...after.trash]);
  const entries = [...after.dir].filter(([name, id]) => before.dir.get(name) === id && !trash.has(id) && (!rbdIds.has(name) || !headers.has(id)));
  await each(
    entries,
    async ([name, id]) => {
      const [hasId, hasHeader] = await Promise.all([idObject(name), headerObject(id)].map((oid) => io.stat(oid, opts).then(() => true, gone)));
      if (hasId && hasHeader) return; // made meanwhile
      const detail = !hasHeader ? (hasId ? 'no header' : 'no header, no rbd_id') : 'no rbd_id';
      const objects = [...(hasId ? [idObject(name)] : []), ...(hasHeader ? [headerObject(id)] : [])];
      // dated by what was made with the entry (rbd_id) or after it (the header), else the directory's last change
      await add({ kind: 'name', id, name, objects, detail }, [hasId ? idObject(name) : hasHeader ? headerObject(id) : RBD_DIRECTORY]);
    },
    opts,
  );

  // headers, object maps and data of ids no name and no trash entry leads to
  await each(
    [...unowned].filter(([id]) => !owned.has(id)),
    async ([id, objects]) => {
      const meta = objects.filter((x) => !x.startsWith('rbd_data.'));
      const ctx = meta.includes(headerObject(id)) ? await loadHeader(io, id, opts).catch(bestEffort) : undefined;
      const data = objects.length - meta.length;
      const what = [
        ...(ctx ? ['header'] : meta.includes(headerObject(id)) ? ['unreadable header'] : []),
        ...(meta.some((x) => x.startsWith('rbd_object_map.')) ? [`${meta.filter((x) => x.startsWith('rbd_object_map.')).length} object map(s)`] : []),
        ...(data ? [`${data} data object(s)`] : []),
      ];
      const orphan: Omit<Orphan, 'mtime'> = { kind: 'image', id, objects, detail: `${what.join(', ')}; no name` };
      if (ctx?.parent) orphan.parent = ctx.parent;
      await add(orphan, meta.length ? meta : objects);
    },
    opts,
  );

  // records of clones on this namespace's snapshots whose child header is gone
  await each(
    headers,
    async (id) => {
      for (const [orphan, dating, where] of await danglingChildren(io, id, opts)) await add(orphan, dating, where);
    },
    opts,
  );

  const order: OrphanKind[] = ['child', 'image', 'name', 'id'];
  return found.sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || a.id.localeCompare(b.id) || (a.name ?? '').localeCompare(b.name ?? ''));
}

/** An image's state by id; undefined when its header is missing (other errors are thrown). */
async function loadHeader(io: IoCtx, id: string, opts: CallOptions): Promise<ImageCtx | undefined> {
  const ctx = new ImageCtx(io, id, id, false);
  return ctx.refresh(opts).then(() => ctx, gone);
}

/** An ioctx on a pool (and namespace), undefined if the pool is gone. */
async function poolIoctx(io: IoCtx, poolId: number, namespace: string): Promise<IoCtx | undefined> {
  return io.cluster.openIoctx(poolId, { namespace }).catch(gone);
}

/**
 * The child records on image `id`'s snapshots whose child has no header: clone v2 in the
 * header (snapshots with children), v1 in every pool's rbd_children (protected snapshots).
 * A record is read again after the header was found missing: removals detach first, so one
 * still there is debris. Each comes with the objects that date it and their IoCtx.
 */
async function danglingChildren(io: IoCtx, id: string, opts: CallOptions): Promise<Array<[Omit<Orphan, 'mtime'>, string[], IoCtx]>> {
  const ctx = await loadHeader(io, id, opts).catch(bestEffort);
  if (!ctx) return [];
  const out: Array<[Omit<Orphan, 'mtime'>, string[], IoCtx]> = [];
  const noHeader = async (cio: IoCtx | undefined, childId: string) => !cio || (await cio.stat(headerObject(childId), opts).then(() => false, gone)) !== false;
  const where = (poolId: number, ns: string) => `${io.cluster.poolName(poolId) ?? poolId}${ns ? '/' + ns : ''}`;
  for (const s of ctx.snaps) {
    const parent: R.ParentImageSpec = { poolId: io.poolId, poolNamespace: io.namespace, imageId: id, snapId: s.id };
    if (s.childCount > 0) {
      const records = () => call(io, ctx.headerOid, R.childrenList(s.id), opts).catch(gone);
      for (const c of (await records()) ?? []) {
        if (!(await noHeader(await poolIoctx(io, c.poolId, c.poolNamespace), c.imageId))) continue;
        const same = (x: R.ChildImageSpec) => x.poolId === c.poolId && x.poolNamespace === c.poolNamespace && x.imageId === c.imageId;
        if (!((await records()) ?? []).some(same)) continue;
        const child = { poolId: c.poolId, poolNamespace: c.poolNamespace };
        const detail = `clone v2 record of ${where(c.poolId, c.poolNamespace)} image ${c.imageId}, which has no header`;
        out.push([{ kind: 'child', id: c.imageId, parent, cloneFormat: 2, child, objects: [ctx.headerOid], detail }, [ctx.headerOid], io]);
      }
    }
    if (s.protection === R.Protection.UNPROTECTED) continue;
    for (const poolId of io.cluster.poolIds()) {
      // a format 1 clone and its record live in its parent's namespace, in any pool
      const cio = await poolIoctx(io, poolId, io.namespace);
      if (!cio) continue;
      const records = () => call(cio, RBD_CHILDREN, R.getChildren({ ...parent, poolNamespace: '' }), opts).catch(ignoring('ENOENT', 'EOPNOTSUPP'));
      for (const childId of (await records()) ?? []) {
        if (!(await noHeader(cio, childId))) continue;
        if (!((await records()) ?? []).includes(childId)) continue;
        const child = { poolId, poolNamespace: io.namespace };
        const detail = `clone v1 record (rbd_children of ${where(poolId, io.namespace)}) of image ${childId}, which has no header`;
        out.push([{ kind: 'child', id: childId, parent, cloneFormat: 1, child, objects: [RBD_CHILDREN], detail }, [RBD_CHILDREN], cio]);
      }
    }
  }
  return out;
}

/** Why an orphan must stay (dry run and removal alike), if it must. */
async function mustStay(io: IoCtx, orphan: Orphan, ctx: ImageCtx | undefined, opts: CallOptions): Promise<string | undefined> {
  if (orphan.kind !== 'image' || !ctx) return undefined;
  const parentOf = ctx.snaps.find((s) => s.childCount > 0 || s.protection !== R.Protection.UNPROTECTED);
  if (parentOf) return `snapshot ${parentOf.name} is protected or has clones`;
  const me = io.cluster.globalId;
  const watchers = (await io.listWatchers(ctx.headerOid, opts).catch(() => [])).filter((w) => w.gid !== me);
  if (watchers.length) return `header watched by ${watchers.map((w) => w.name).join(', ')}`;
  return undefined;
}

/** Remove one orphan completely (see removeOrphans). */
async function removeOrphan(io: IoCtx, orphan: Orphan, ctx: ImageCtx | undefined, opts: CallOptions): Promise<void> {
  switch (orphan.kind) {
    case 'name':
      await removeImage(io, orphan.name!, opts).catch(gone);
      return;
    case 'id':
      await io.remove(idObject(orphan.name!), opts).catch(gone);
      return;
    case 'child': {
      // detachChild takes the child's pool and namespace from its IoCtx
      const cio = await poolIoctx(io, orphan.child!.poolId, orphan.child!.poolNamespace);
      if (cio) await detachChild(cio, orphan.id, orphan.parent!, orphan.cloneFormat === 2, opts);
      return;
    }
    case 'image': {
      // data, the record on the parent the header names, header, object maps (purgeObjects), then
      // whatever else was listed (object maps of unknown snapshots, data beyond the size)
      await purgeObjects(io, orphan.id, ctx, opts);
      await each(orphan.objects, (oid) => io.remove(oid, opts).catch(gone), opts);
      // the snapshots' ids: the OSDs then trim their clones of the data objects
      if (ctx?.snaps.length) {
        const dio = await ctx.dataIoctx();
        for (const s of ctx.snaps) await dio.removeSelfManagedSnap(s.id, opts).catch(bestEffort);
      }
      return;
    }
  }
}

/**
 * Remove what listOrphans finds, each completely: an image's data objects, the record on the
 * parent its header names, object maps and header (kept while one of its snapshots is protected
 * or has clones, or another client watches it); a name through RBD.remove; a stale rbd_id; a
 * clone record through child_detach / remove_child (and the parent's trashed snapshot that
 * waited for it). With `dryRun` nothing changes.
 */
export async function removeOrphans(io: IoCtx, o: RemoveOrphansOptions = {}): Promise<OrphanRemoval> {
  const opts = callOptions(o);
  const out: OrphanRemoval = { removed: [], skipped: [] };
  for (const orphan of await listOrphans(io, o)) {
    let ctx: ImageCtx | undefined;
    try {
      ctx = orphan.kind === 'image' ? await loadHeader(io, orphan.id, opts) : undefined;
    } catch (e) {
      // what the header holds (a parent to detach from, snapshots) is unknown: it stays
      if (!isErrno(e)) throw e;
      out.skipped.push({ ...orphan, reason: `header unreadable: ${e.message}` });
      continue;
    }
    const reason = await mustStay(io, orphan, ctx, opts);
    if (reason) {
      out.skipped.push({ ...orphan, reason });
      continue;
    }
    if (!o.dryRun) {
      try {
        await removeOrphan(io, orphan, ctx, opts);
      } catch (e) {
        if (!isErrno(e)) throw e;
        out.skipped.push({ ...orphan, reason: e.message });
        continue;
      }
    }
    out.removed.push(orphan);
  }
  return out;
}
