// Object → PG → OSDs (docs/osdmap-crush.md §9; src/osd/OSDMap.cc map_to_pg, _pg_to_raw_osds,
// _apply_upmap, _raw_to_up_osds, _apply_primary_affinity, _get_temp_osds,
// _pg_to_up_acting_osds). Pure functions over the map's data; OSDMap exposes them as methods.

import { cephError } from '../../encoding/errno.js';
import type { CrushMap } from '../crush/types.js';
import { chooseArgsFor, crushDoRule, findRule } from '../crush/mapper.js';
import { crushHash32_2, StrHash } from './hash.js';
import { PoolFlag, stableMod, type PgPool } from './pg-pool.js';

export { strHashLinux, strHashRjenkins, crushHash32_2 } from './hash.js';
export { stableMod } from './pg-pool.js';

/** CRUSH_ITEM_NONE: a hole in an erasure-coded set */
export const CRUSH_ITEM_NONE = 0x7fffffff;

/** osd_state bits (include/rados.h CEPH_OSD_*) */
export const OsdState = {
  EXISTS: 1 << 0,
  UP: 1 << 1,
  AUTOOUT: 1 << 2,
  NEW: 1 << 3,
  FULL: 1 << 4,
  NEARFULL: 1 << 5,
  BACKFILLFULL: 1 << 6,
  DESTROYED: 1 << 7,
  NOUP: 1 << 8,
  NODOWN: 1 << 9,
  NOIN: 1 << 10,
  NOOUT: 1 << 11,
  /** unconfirmed value (not in the rados.h copies read) */
  STOP: 1 << 12,
} as const;

export const CEPH_OSD_IN = 0x10000;
export const CEPH_OSD_OUT = 0;
export const DEFAULT_PRIMARY_AFFINITY = 0x10000;
export const MAX_PRIMARY_AFFINITY = 0x10000;

/** A placement group: pool id and seed (ps). */
export interface PgId {
  pool: number;
  seed: number;
}

/** "1.6": pool in decimal, seed in hex, as Ceph prints a pg_t. Also the key of pg maps. */
export function pgKey(pool: number, seed: number): string {
  return `${pool}.${(seed >>> 0).toString(16)}`;
}

export function formatPgId(pg: PgId): string {
  return pgKey(pg.pool, pg.seed);
}

export function parsePgId(s: string): PgId {
  const m = /^(-?\d+)\.([0-9a-fA-F]{1,8})$/.exec(s);
  if (!m) throw cephError('EINVAL', `bad pgid '${s}'`, { op: 'parse_pgid' });
  return { pool: Number(m[1]), seed: parseInt(m[2]!, 16) };
}

/** What placement reads from a map (OSDMap implements it). */
export interface PlacementMap {
  readonly epoch: number;
  readonly pools: ReadonlyMap<number, PgPool>;
  readonly poolNames: ReadonlyMap<number, string>;
  readonly maxOsd: number;
  readonly osdState: readonly number[];
  readonly osdWeight: readonly number[];
  /** undefined = every OSD has the default affinity */
  readonly osdPrimaryAffinity: readonly number[] | undefined;
  readonly pgTemp: ReadonlyMap<string, readonly number[]>;
  readonly primaryTemp: ReadonlyMap<string, number>;
  readonly pgUpmap: ReadonlyMap<string, readonly number[]>;
  readonly pgUpmapItems: ReadonlyMap<string, ReadonlyArray<readonly [number, number]>>;
  /** Reef+ only; always empty on a Pacific cluster */
  readonly pgUpmapPrimaries: ReadonlyMap<string, number>;
  readonly crush: CrushMap;
}

export interface LocatorOptions {
  /** namespace (UTF-8 string or raw bytes); empty = default namespace */
  nspace?: string | Uint8Array;
  /** locator key: hashed instead of the object name when non-empty */
  key?: string | Uint8Array;
  /** explicit hash (object_locator_t::hash >= 0): used as the raw seed as it is */
  hash?: number;
}

export interface ObjectPg {
  /** the PG: raw hash reduced by stable_mod(pg_num) */
  pgid: PgId;
  /** the full 32-bit hash (the raw pg's seed; MOSDOp's hash field) */
  rawHash: number;
}

export interface UpActing {
  up: number[];
  upPrimary: number;
  acting: number[];
  actingPrimary: number;
}

export interface RawOsds {
  /** CRUSH output with nonexistent OSDs removed (replicated) or NONE'd (erasure) */
  raw: number[];
  /** placement seed fed to CRUSH */
  pps: number;
}

const bytesOf = (s: string | Uint8Array): Uint8Array => (typeof s === 'string' ? Buffer.from(s, 'utf8') : s);

/** object_locator_to_pg: object name (+ namespace / key / explicit hash) → PG. */
export function objectLocator(map: PlacementMap, poolId: number, oid: string | Uint8Array, opts: LocatorOptions = {}): ObjectPg {
  const pool = map.pools.get(poolId);
  if (!pool) throw cephError('ENOENT', `pool ${poolId} does not exist`, { op: 'object_locator_to_pg', pool: poolId });
  let raw: number;
  if (opts.hash !== undefined && opts.hash >= 0) {
    raw = opts.hash >>> 0;
  } else {
    if (pool.objectHash !== StrHash.RJENKINS && pool.objectHash !== StrHash.LINUX) {
      throw cephError('EOPNOTSUPP', `pool ${poolId} uses unknown object hash ${pool.objectHash}`, { op: 'object_locator_to_pg', pool: poolId });
    }
    const key = opts.key !== undefined && bytesOf(opts.key).length > 0 ? bytesOf(opts.key) : bytesOf(oid);
    const ns = opts.nspace !== undefined ? bytesOf(opts.nspace) : undefined;
    raw = pool.hashKey(key, ns);
  }
  return { pgid: { pool: poolId, seed: pool.rawPgToPg(raw) }, rawHash: raw };
}

/** raw_pg_to_pps: the CRUSH input for a PG (any ps that reduces to it gives the same value). */
export function rawPgToPps(pool: PgPool, poolId: number, ps: number): number {
  const s = stableMod(ps, pool.pgpNum, pool.pgpNumMask);
  if (pool.hasFlag(PoolFlag.HASHPSPOOL)) return crushHash32_2(s, poolId >>> 0);
  return (s + poolId) >>> 0;
}

export function osdExists(map: PlacementMap, o: number): boolean {
  return o >= 0 && o < map.maxOsd && (map.osdState[o]! & OsdState.EXISTS) !== 0;
}

export function osdIsUp(map: PlacementMap, o: number): boolean {
  return osdExists(map, o) && (map.osdState[o]! & OsdState.UP) !== 0;
}

/** _pg_to_raw_osds: CRUSH, then drop (replicated) or NONE (erasure) nonexistent OSDs. */
export function pgToRawOsds(map: PlacementMap, pool: PgPool, poolId: number, ps: number): RawOsds {
  const pps = rawPgToPps(pool, poolId, ps);
  let raw: number[] = [];
  const ruleno = findRule(map.crush, pool.crushRule, pool.type, pool.size);
  if (ruleno >= 0) {
    // the pool's own weight set, else the default (-1) one
    // (CrushWrapper::choose_args_get_with_fallback)
    raw = crushDoRule(map.crush, ruleno, pps, pool.size, map.osdWeight, chooseArgsFor(map.crush, poolId));
  }
  if (pool.canShiftOsds()) {
    raw = raw.filter((o) => osdExists(map, o));
  } else {
    raw = raw.map((o) => (osdExists(map, o) ? o : CRUSH_ITEM_NONE));
  }
  return { raw, pps };
}

export function pickPrimary(osds: readonly number[]): number {
  for (const o of osds) if (o !== CRUSH_ITEM_NONE) return o;
  return -1;
}

const isOutTarget = (map: PlacementMap, o: number): boolean => o !== CRUSH_ITEM_NONE && o >= 0 && o < map.maxOsd && map.osdWeight[o] === 0;

/** _apply_upmap: pg_upmap, then pg_upmap_items (then Reef's pg_upmap_primaries). */
export function applyUpmap(map: PlacementMap, pool: PgPool, poolId: number, ps: number, raw: number[]): number[] {
  const key = pgKey(poolId, pool.rawPgToPg(ps));
  const full = map.pgUpmap.get(key);
  if (full) {
    // an explicit mapping onto an out OSD is ignored, and so is everything after it
    for (const o of full) if (isOutTarget(map, o)) return raw;
    raw = [...full];
  }
  const items = map.pgUpmapItems.get(key);
  if (items) {
    for (const [from, to] of items) {
      let exists = false;
      let pos = -1;
      for (let i = 0; i < raw.length; i++) {
        const o = raw[i]!;
        if (o === to) {
          exists = true;
          break;
        }
        if (o === from && pos < 0 && !isOutTarget(map, to)) pos = i;
      }
      if (!exists && pos >= 0) raw[pos] = to;
    }
  }
  const prim = map.pgUpmapPrimaries.get(key);
  if (prim !== undefined && prim !== CRUSH_ITEM_NONE && prim >= 0 && prim < map.maxOsd && map.osdWeight[prim] !== 0) {
    const idx = raw.indexOf(prim, 1);
    if (idx > 0) {
      raw[idx] = raw[0]!;
      raw[0] = prim;
    }
  }
  return raw;
}

/** _raw_to_up_osds: keep what exists and is up (shift left, or NONE for erasure). */
export function rawToUpOsds(map: PlacementMap, pool: PgPool, raw: readonly number[]): number[] {
  if (pool.canShiftOsds()) return raw.filter((o) => osdIsUp(map, o));
  return raw.map((o) => (osdIsUp(map, o) ? o : CRUSH_ITEM_NONE));
}

/** _apply_primary_affinity: may pick another primary (moved to the front for replicated pools). */
export function applyPrimaryAffinity(map: PlacementMap, pps: number, pool: PgPool, osds: number[], primary: number): number {
  const aff = map.osdPrimaryAffinity;
  if (!aff) return primary;
  let any = false;
  for (const o of osds) {
    if (o !== CRUSH_ITEM_NONE && (aff[o] ?? DEFAULT_PRIMARY_AFFINITY) !== DEFAULT_PRIMARY_AFFINITY) {
      any = true;
      break;
    }
  }
  if (!any) return primary;
  let pos = -1;
  for (let i = 0; i < osds.length; i++) {
    const o = osds[i]!;
    if (o === CRUSH_ITEM_NONE) continue;
    const a = aff[o] ?? DEFAULT_PRIMARY_AFFINITY;
    if (a < MAX_PRIMARY_AFFINITY && crushHash32_2(pps, o) >>> 16 >= a) {
      // rejected; remember it as a fallback
      if (pos < 0) pos = i;
    } else {
      pos = i;
      break;
    }
  }
  if (pos < 0) return primary;
  const chosen = osds[pos]!;
  if (pool.canShiftOsds() && pos > 0) {
    for (let i = pos; i > 0; i--) osds[i] = osds[i - 1]!;
    osds[0] = chosen;
  }
  return chosen;
}

/** _get_temp_osds: pg_temp (minus down OSDs) and primary_temp. */
export function getTempOsds(map: PlacementMap, pool: PgPool, poolId: number, ps: number): { temp: number[]; tempPrimary: number } {
  const key = pgKey(poolId, pool.rawPgToPg(ps));
  const temp: number[] = [];
  const pt = map.pgTemp.get(key);
  if (pt) {
    for (const o of pt) {
      if (!osdIsUp(map, o)) {
        if (!pool.canShiftOsds()) temp.push(CRUSH_ITEM_NONE);
      } else {
        temp.push(o);
      }
    }
  }
  let tempPrimary = -1;
  const prim = map.primaryTemp.get(key);
  if (prim !== undefined) tempPrimary = prim;
  else tempPrimary = pickPrimary(temp);
  return { temp, tempPrimary };
}

export interface PgMapping extends UpActing {
  /** CRUSH output after dropping nonexistent OSDs, before upmap (osdmaptool's "raw") */
  raw: number[];
  rawPrimary: number;
  pps: number;
}

/**
 * _pg_to_up_acting_osds for a PG (seed < pg_num; a raw seed is reduced first). A missing
 * pool, or a seed ≥ pg_num when `raw` is false, gives empty sets and primaries −1.
 */
export function pgMapping(map: PlacementMap, pgid: PgId, opts: { rawSeed?: boolean } = {}): PgMapping {
  const pool = map.pools.get(pgid.pool);
  const seed = pgid.seed >>> 0;
  if (!pool || (!opts.rawSeed && seed >= pool.pgNum)) {
    return { up: [], upPrimary: -1, acting: [], actingPrimary: -1, raw: [], rawPrimary: -1, pps: 0 };
  }
  const { temp, tempPrimary } = getTempOsds(map, pool, pgid.pool, seed);
  const { raw, pps } = pgToRawOsds(map, pool, pgid.pool, seed);
  const rawPrimary = pickPrimary(raw);
  const upmapped = applyUpmap(map, pool, pgid.pool, seed, [...raw]);
  const up = rawToUpOsds(map, pool, upmapped);
  let upPrimary = pickPrimary(up);
  upPrimary = applyPrimaryAffinity(map, pps, pool, up, upPrimary);
  let acting = temp;
  let actingPrimary = tempPrimary;
  if (acting.length === 0) {
    acting = [...up];
    if (actingPrimary === -1) actingPrimary = upPrimary;
  }
  return { up, upPrimary, acting, actingPrimary, raw, rawPrimary, pps };
}

export function pgToUpActing(map: PlacementMap, pgid: PgId): UpActing {
  const { up, upPrimary, acting, actingPrimary } = pgMapping(map, pgid);
  return { up, upPrimary, acting, actingPrimary };
}

/** What `ceph osd map POOL OBJ [NS]` reports. */
export interface ObjectLocation extends UpActing {
  epoch: number;
  pool: string;
  poolId: number;
  /** "NS/OBJ" with a namespace, else "OBJ" (as the mon prints objname) */
  objname: string;
  /** "1.7fc1f406" */
  rawPgid: string;
  /** "1.6" */
  pgid: string;
  rawHash: number;
  pg: PgId;
}

export function objectLocation(map: PlacementMap, poolId: number, oid: string, opts: LocatorOptions = {}): ObjectLocation {
  const loc = objectLocator(map, poolId, oid, opts);
  const ua = pgToUpActing(map, loc.pgid);
  const ns = opts.nspace === undefined ? '' : typeof opts.nspace === 'string' ? opts.nspace : Buffer.from(opts.nspace).toString('utf8');
  return {
    epoch: map.epoch,
    pool: map.poolNames.get(poolId) ?? '',
    poolId,
    objname: ns ? `${ns}/${oid}` : oid,
    rawPgid: pgKey(poolId, loc.rawHash),
    pgid: formatPgId(loc.pgid),
    rawHash: loc.rawHash,
    pg: loc.pgid,
    ...ua,
  };
}
