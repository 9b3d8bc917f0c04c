// The OSDMap (src/osd/OSDMap.{h,cc}; docs/osdmap-crush.md §3, §5): full-map decode, incremental
// decode and application, and placement (object → PG → OSDs) through ./placement.ts.
//
// Full map = wrapper envelope (v8) { client-usable section (v9 from Pacific),
// extended/osd-only section, u32 crc }. Everything a client needs is in the first section;
// from the extended one this reads the OSD-side fields up to require_min_compat_client /
// require_osd_release (the RBD layer needs the former) and skips the rest by its length.
// Incremental = wrapper (v8) { client section (v8), extended section, u32 inc_crc,
// u32 full_crc }.
//
// OSDMap objects are never changed after construction: applyIncremental() returns a new
// map and leaves the receiver as it was, so a failed incremental cannot damage the
// current map.

import { Decoder, decodeWith } from '../../encoding/decoder.js';
import { DecodeError, cephError } from '../../encoding/errno.js';
import { crc32c } from '../../encoding/crc32c.js';
import { AddrType, addrToString, decodeEntityAddr, decodeEntityAddrvec, decodeUTime, decodeUuid, type EntityAddr, type UTime } from '../../encoding/types.js';
import { decodeCrushMap } from '../crush/decode.js';
import type { CrushMap } from '../crush/types.js';
import { decodePgPool, decodeIntervalSet, PoolFlag, type PgPool, type SnapInterval } from './pg-pool.js';
import {
  CEPH_OSD_OUT,
  DEFAULT_PRIMARY_AFFINITY,
  OsdState,
  objectLocation,
  objectLocator,
  osdExists,
  osdIsUp,
  pgKey,
  pgMapping,
  pgToUpActing,
  type LocatorOptions,
  type ObjectLocation,
  type ObjectPg,
  type PgId,
  type PgMapping,
  type PlacementMap,
  type UpActing,
} from './placement.js';

/** CEPH_OSDMAP_* map flags (include/rados.h) */
export const OsdMapFlag = {
  NEARFULL: 1 << 0,
  FULL: 1 << 1,
  PAUSERD: 1 << 2,
  PAUSEWR: 1 << 3,
  PAUSEREC: 1 << 4,
  NOUP: 1 << 5,
  NODOWN: 1 << 6,
  NOOUT: 1 << 7,
  NOIN: 1 << 8,
  NOBACKFILL: 1 << 9,
  NORECOVER: 1 << 10,
  NOSCRUB: 1 << 11,
  NODEEP_SCRUB: 1 << 12,
  NOTIERAGENT: 1 << 13,
  NOREBALANCE: 1 << 14,
  SORTBITWISE: 1 << 15,
  REQUIRE_JEWEL: 1 << 16,
  REQUIRE_KRAKEN: 1 << 17,
  REQUIRE_LUMINOUS: 1 << 18,
  RECOVERY_DELETES: 1 << 19,
  PURGED_SNAPDIRS: 1 << 20,
  NOSNAPTRIM: 1 << 21,
  PGLOG_HARDLIMIT: 1 << 22,
} as const;

const LEGACY_REQUIRE_FLAGS = OsdMapFlag.REQUIRE_JEWEL | OsdMapFlag.REQUIRE_KRAKEN | OsdMapFlag.REQUIRE_LUMINOUS;

/** ceph_release_t (src/common/ceph_releases.h), as the map encodes it (u8) */
export const CephRelease = {
  UNKNOWN: 0,
  ARGONAUT: 1,
  BOBTAIL: 2,
  CUTTLEFISH: 3,
  DUMPLING: 4,
  EMPEROR: 5,
  FIREFLY: 6,
  GIANT: 7,
  HAMMER: 8,
  INFERNALIS: 9,
  JEWEL: 10,
  KRAKEN: 11,
  LUMINOUS: 12,
  MIMIC: 13,
  NAUTILUS: 14,
  OCTOPUS: 15,
  PACIFIC: 16,
  QUINCY: 17,
  REEF: 18,
  SQUID: 19,
  TENTACLE: 20,
} as const;

const RELEASE_NAMES = [
  'unknown',
  'argonaut',
  'bobtail',
  'cuttlefish',
  'dumpling',
  'emperor',
  'firefly',
  'giant',
  'hammer',
  'infernalis',
  'jewel',
  'kraken',
  'luminous',
  'mimic',
  'nautilus',
  'octopus',
  'pacific',
  'quincy',
  'reef',
  'squid',
  'tentacle',
];

export function releaseName(r: number): string {
  return RELEASE_NAMES[r] ?? `release${r}`;
}

export function releaseFromName(s: string): number {
  const i = RELEASE_NAMES.indexOf(s);
  return i < 0 ? CephRelease.UNKNOWN : i;
}

export interface DecodeOptions {
  /** check the map's CRC-32C (OSDMap::decode; docs/osdmap-crush.md §3.4); default true */
  verifyCrc?: boolean;
}

/**
 * The largest max_osd accepted. A full map pays for its per-OSD arrays in bytes, but an
 * incremental's new_max_osd is a bare s32 from which applying it sizes seven per-OSD arrays;
 * 65536 is far beyond any real cluster (the mon refuses `osd setmaxosd` above mon_max_osd,
 * 10000 by default).
 */
export const MAX_OSD = 1 << 16;

// ---- small codecs ------------------------------------------------------------------

/** pg_t: u8 version, u64 pool, u32 seed, s32 preferred (ignored) = 17 bytes */
export function decodePgT(d: Decoder): PgId {
  d.u8();
  const pool = d.s64n();
  const seed = d.u32();
  d.s32();
  return { pool, seed };
}

function decodePgKey(d: Decoder): string {
  const pg = decodePgT(d);
  return pgKey(pg.pool, pg.seed);
}

function f32(d: Decoder): number {
  return d.bytes(4).readFloatLE(0);
}

const s32List = (d: Decoder): number[] => d.list((x) => x.s32(), 4);
const u32List = (d: Decoder): number[] => d.list((x) => x.u32(), 4);

function decodePairList(d: Decoder): Array<[number, number]> {
  return d.list((x) => [x.s32(), x.s32()] as [number, number], 8);
}

function decodeProfiles(d: Decoder): Map<string, Map<string, string>> {
  return d.map(
    (x) => x.string(),
    (x) =>
      x.map(
        (y) => y.string(),
        (y) => y.string(),
        8,
      ),
    8,
  );
}

function decodeSnapsByPool(d: Decoder): Map<number, SnapInterval[]> {
  return d.map(
    (x) => x.s64n(),
    (x) => decodeIntervalSet(x),
    12,
  );
}

/** An addrvec as the map stores it; one blank NONE address means "none" (kernel 5.11 fix). */
function decodeAddrs(d: Decoder): EntityAddr[] {
  const v = decodeEntityAddrvec(d);
  if (v.length === 1 && v[0]!.type === AddrType.NONE && v[0]!.family === 0) return [];
  return v;
}

function skipEnvelope(d: Decoder, what: string): void {
  d.versioned(255, what, () => undefined);
}

function utimeIsZero(t: UTime): boolean {
  return t.sec === 0 && t.nsec === 0;
}

// ---- interval_set arithmetic (removed_snaps_queue upkeep) ----------------------------

function intervalUnion(a: readonly SnapInterval[], b: readonly SnapInterval[]): SnapInterval[] {
  const all = [...a, ...b].map((i) => ({ start: i.start, end: i.start + i.len })).sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
  const out: Array<{ start: bigint; end: bigint }> = [];
  for (const i of all) {
    const last = out[out.length - 1];
    if (last && i.start <= last.end) {
      if (i.end > last.end) last.end = i.end;
    } else {
      out.push({ ...i });
    }
  }
  return out.map((i) => ({ start: i.start, len: i.end - i.start }));
}

/**
 * a − b, both normalised first (sorted, overlaps merged), in one sweep: O((|a| + |b|) log)
 * rather than |a| · |b| (an incremental's new_purged_snaps is untrusted input).
 */
function intervalSubtract(a: readonly SnapInterval[], b: readonly SnapInterval[]): SnapInterval[] {
  const cut = intervalUnion([], b);
  const out: SnapInterval[] = [];
  let j = 0;
  for (const i of intervalUnion(a, [])) {
    let s = i.start;
    const e = i.start + i.len;
    while (j < cut.length && cut[j]!.start + cut[j]!.len <= s) j++;
    for (let k = j; k < cut.length && cut[k]!.start < e && s < e; k++) {
      const c = cut[k]!;
      if (c.start > s) out.push({ start: s, len: c.start - s });
      const ce = c.start + c.len;
      if (ce > s) s = ce;
    }
    if (s < e) out.push({ start: s, len: e - s });
  }
  return out;
}

// ---- the map --------------------------------------------------------------------------

/** osd_info_t */
export interface OsdInfo {
  lastCleanBegin: number;
  lastCleanEnd: number;
  upFrom: number;
  upThru: number;
  downAt: number;
  lostAt: number;
}

export class OSDMap implements PlacementMap {
  fsid = '';
  epoch = 0;
  created: UTime = { sec: 0, nsec: 0 };
  modified: UTime = { sec: 0, nsec: 0 };
  pools = new Map<number, PgPool>();
  poolNames = new Map<number, string>();
  poolMax = -1;
  flags = 0;
  maxOsd = 0;
  osdState: number[] = [];
  /** 16.16 reweight: 0x10000 in, 0 out */
  osdWeight: number[] = [];
  /** client (public) addrvec per OSD; [] for an unused slot */
  osdAddrs: EntityAddr[][] = [];
  /** pg_temp by pgid "pool.seedhex" */
  pgTemp = new Map<string, number[]>();
  primaryTemp = new Map<string, number>();
  /** undefined: every OSD has the default (0x10000) */
  osdPrimaryAffinity: number[] | undefined = undefined;
  crush!: CrushMap;
  /** the CRUSH blob as it came in the map */
  crushRaw: Buffer = Buffer.alloc(0);
  erasureCodeProfiles = new Map<string, Map<string, string>>();
  pgUpmap = new Map<string, number[]>();
  pgUpmapItems = new Map<string, Array<[number, number]>>();
  pgUpmapPrimaries = new Map<string, number>();
  crushVersion = 0;
  /** snaps removed / purged in this epoch, by pool */
  newRemovedSnaps = new Map<number, SnapInterval[]>();
  newPurgedSnaps = new Map<number, SnapInterval[]>();
  lastUpChange: UTime = { sec: 0, nsec: 0 };
  lastInChange: UTime = { sec: 0, nsec: 0 };

  // extended (osd-only) section
  /** struct_v of the client-usable and extended sections this map was decoded from */
  clientStructV = 0;
  extendedStructV = 0;
  /** bytes of the client-usable section left unread (fields newer than v10); 0 from Pacific */
  clientTailBytes = 0;
  osdInfo: OsdInfo[] = [];
  /** blocklisted client addresses (addrToString) → expiry */
  blocklist = new Map<string, UTime>();
  clusterAddrs: EntityAddr[][] = [];
  clusterSnapshotEpoch = 0;
  clusterSnapshot = '';
  osdUuid: string[] = [];
  nearfullRatio = 0;
  fullRatio = 0;
  backfillfullRatio = 0;
  /** ceph_release_t: oldest client release allowed to connect (luminous on a new Pacific cluster) */
  requireMinCompatClient: number = CephRelease.UNKNOWN;
  requireOsdRelease: number = CephRelease.UNKNOWN;
  removedSnapsQueue = new Map<number, SnapInterval[]>();
  crc = 0;

  private constructor() {}

  /** Decode a full OSDMap (`ceph osd getmap -o`, MOSDMap maps, an incremental's fullmap). */
  static decode(buf: Uint8Array, opts: DecodeOptions = {}): OSDMap {
    return decodeWith(buf, 'OSDMap', (d) => decodeFullMap(d, opts.verifyCrc ?? true));
  }

  get requireMinCompatClientName(): string {
    return releaseName(this.requireMinCompatClient);
  }

  get requireOsdReleaseName(): string {
    return releaseName(this.requireOsdRelease);
  }

  // ---- predicates --------------------------------------------------------------------

  testFlag(f: number): boolean {
    return (this.flags & f) !== 0;
  }

  exists(osd: number): boolean {
    return osdExists(this, osd);
  }

  isUp(osd: number): boolean {
    return osdIsUp(this, osd);
  }

  isDown(osd: number): boolean {
    return !this.isUp(osd);
  }

  isOut(osd: number): boolean {
    return !this.exists(osd) || this.osdWeight[osd] === CEPH_OSD_OUT;
  }

  isIn(osd: number): boolean {
    return !this.isOut(osd);
  }

  primaryAffinity(osd: number): number {
    return this.osdPrimaryAffinity?.[osd] ?? DEFAULT_PRIMARY_AFFINITY;
  }

  getPool(id: number): PgPool | undefined {
    return this.pools.get(id);
  }

  poolByName(name: string): { id: number; pool: PgPool } | undefined {
    for (const [id, n] of this.poolNames) {
      if (n === name) {
        const pool = this.pools.get(id);
        return pool ? { id, pool } : undefined;
      }
    }
    return undefined;
  }

  poolIdByName(name: string): number | undefined {
    return this.poolByName(name)?.id;
  }

  poolExists(id: number): boolean {
    return this.pools.has(id);
  }

  /** the pool's FULL flag, or the (pre-Mimic) cluster-wide FULL flag */
  poolFull(id: number): boolean {
    const p = this.pools.get(id);
    return (p?.isFull() ?? false) || this.testFlag(OsdMapFlag.FULL);
  }

  osdUp(osd: number): boolean {
    return this.isUp(osd);
  }

  /**
   * Whether a client is blocklisted: an entry with its nonce (at its IP when known), or one
   * for its whole IP (port 0, nonce 0), as OSDMap::is_blocklisted matches them.
   */
  isBlocklisted(nonce: number, ip: string | undefined): boolean {
    for (const entry of this.blocklist.keys()) {
      const m = /^(?:[a-z0-9]+:)?\[?([^\]]*?)\]?:(\d+)\/(\d+)$/.exec(entry);
      if (!m) continue;
      const [, host, port, n] = m;
      if (Number(n) === nonce && nonce !== 0 && (ip === undefined || host === ip)) return true;
      if (Number(n) === 0 && Number(port) === 0 && ip !== undefined && host === ip) return true;
    }
    return false;
  }

  /** The msgr2 address of an OSD (type MSGR2, else ANY), or undefined if it has none. */
  osdAddr(osd: number): EntityAddr | undefined {
    const v = this.osdAddrs[osd];
    if (!v || !this.exists(osd)) return undefined;
    return v.find((a) => a.type === AddrType.MSGR2) ?? v.find((a) => a.type === AddrType.ANY);
  }

  // ---- placement ---------------------------------------------------------------------

  /** object name (+ namespace / locator key) → PG and raw hash */
  objectLocator(poolId: number, oid: string | Uint8Array, opts: LocatorOptions = {}): ObjectPg {
    return objectLocator(this, poolId, oid, opts);
  }

  /** PG → up / acting sets and primaries */
  pgToUpActing(pgid: PgId): UpActing {
    return pgToUpActing(this, pgid);
  }

  /** PG → raw CRUSH set, up, acting (as osdmaptool --test-map-pgs-dump-all prints them) */
  pgMapping(pgid: PgId): PgMapping {
    return pgMapping(this, pgid);
  }

  /** what `ceph osd map POOL OBJ [NS]` reports */
  objectLocation(poolId: number, oid: string, opts: LocatorOptions = {}): ObjectLocation {
    return objectLocation(this, poolId, oid, opts);
  }

  /** Objecter-style target: PG, raw hash, acting set and acting primary (−1 = none). */
  target(
    oloc: { pool: number; key?: string; nspace?: string; hash?: number },
    oid: string,
  ): { pgid: PgId; hash: number; primary: number; acting: number[]; up: number[]; upPrimary: number } {
    const loc = this.objectLocator(oloc.pool, oid, oloc);
    const ua = this.pgToUpActing(loc.pgid);
    return { pgid: loc.pgid, hash: loc.rawHash, primary: ua.actingPrimary, acting: ua.acting, up: ua.up, upPrimary: ua.upPrimary };
  }

  /** a PG's acting primary and set (PG ops such as PGNLS) */
  targetPg(pgid: PgId): { primary: number; acting: number[] } {
    const ua = this.pgToUpActing(pgid);
    return { primary: ua.actingPrimary, acting: ua.acting };
  }

  /** the pool's pg_num (0 if there is no such pool) */
  pgNum(pool: number): number {
    return this.pools.get(pool)?.pgNum ?? 0;
  }

  // ---- incrementals --------------------------------------------------------------------

  /**
   * Apply an incremental (its encoded bytes, or one decoded with decodeIncremental) and
   * return the next map. The receiver is not modified. Throws CephError EINVAL if the
   * incremental is not for epoch + 1, belongs to another cluster, or names OSDs beyond
   * max_osd; DecodeError if its bytes (or an embedded full map / CRUSH map) are malformed.
   */
  applyIncremental(inc: Uint8Array | OSDMapIncremental, opts: DecodeOptions = {}): OSDMap {
    const i = inc instanceof Uint8Array ? decodeIncremental(inc, opts) : inc;
    if (i.epoch !== 1 && i.fsid !== this.fsid) {
      throw cephError('EINVAL', `incremental for fsid ${i.fsid}, map has ${this.fsid}`, { op: 'apply_incremental' });
    }
    if (i.epoch !== this.epoch + 1) {
      throw cephError('EINVAL', `incremental epoch ${i.epoch} does not follow map epoch ${this.epoch}`, { op: 'apply_incremental' });
    }
    if (i.fullmap.length > 0) {
      const full = OSDMap.decode(i.fullmap, opts);
      return full;
    }
    const m = this.clone();
    m.applyInPlace(i);
    return m;
  }

  private clone(): OSDMap {
    const m = new OSDMap();
    Object.assign(m, this);
    m.pools = new Map(this.pools);
    m.poolNames = new Map(this.poolNames);
    m.osdState = [...this.osdState];
    m.osdWeight = [...this.osdWeight];
    m.osdAddrs = [...this.osdAddrs];
    m.pgTemp = new Map(this.pgTemp);
    m.primaryTemp = new Map(this.primaryTemp);
    m.osdPrimaryAffinity = this.osdPrimaryAffinity ? [...this.osdPrimaryAffinity] : undefined;
    m.erasureCodeProfiles = new Map(this.erasureCodeProfiles);
    m.pgUpmap = new Map(this.pgUpmap);
    m.pgUpmapItems = new Map(this.pgUpmapItems);
    m.pgUpmapPrimaries = new Map(this.pgUpmapPrimaries);
    m.osdInfo = [...this.osdInfo];
    m.blocklist = new Map(this.blocklist);
    m.clusterAddrs = [...this.clusterAddrs];
    m.osdUuid = [...this.osdUuid];
    m.removedSnapsQueue = new Map(this.removedSnapsQueue);
    return m;
  }

  private checkOsd(o: number, what: string): void {
    if (!Number.isInteger(o) || o < 0 || o >= this.maxOsd) {
      throw cephError('EINVAL', `incremental ${what} names osd.${o}, max_osd is ${this.maxOsd}`, { op: 'apply_incremental' });
    }
  }

  private setMaxOsd(n: number): void {
    const grow = <T>(a: T[], fill: () => T): T[] => {
      const out = a.slice(0, n);
      while (out.length < n) out.push(fill());
      return out;
    };
    this.maxOsd = n;
    this.osdState = grow(this.osdState, () => 0);
    this.osdWeight = grow(this.osdWeight, () => CEPH_OSD_OUT);
    this.osdAddrs = grow(this.osdAddrs, () => []);
    this.clusterAddrs = grow(this.clusterAddrs, () => []);
    this.osdInfo = grow(this.osdInfo, () => blankInfo());
    this.osdUuid = grow(this.osdUuid, () => ZERO_UUID);
    if (this.osdPrimaryAffinity) this.osdPrimaryAffinity = grow(this.osdPrimaryAffinity, () => DEFAULT_PRIMARY_AFFINITY);
  }

  private setPrimaryAffinity(o: number, a: number): void {
    if (!this.osdPrimaryAffinity) this.osdPrimaryAffinity = new Array<number>(this.maxOsd).fill(DEFAULT_PRIMARY_AFFINITY);
    this.osdPrimaryAffinity[o] = a;
  }

  /** OSDMap::apply_incremental, for a non-fullmap incremental, on a fresh clone. */
  private applyInPlace(inc: OSDMapIncremental): void {
    this.epoch = inc.epoch;
    this.modified = inc.modified;
    if (inc.newFlags >= 0) {
      this.flags = inc.newFlags;
      if (this.flags & OsdMapFlag.REQUIRE_KRAKEN) {
        if (this.requireOsdRelease < CephRelease.KRAKEN) this.requireOsdRelease = CephRelease.KRAKEN;
      } else if (this.flags & OsdMapFlag.REQUIRE_JEWEL) {
        if (this.requireOsdRelease < CephRelease.JEWEL) this.requireOsdRelease = CephRelease.JEWEL;
      }
    }
    if (inc.newMaxOsd >= 0) this.setMaxOsd(inc.newMaxOsd);
    if (inc.newPoolMax !== -1) this.poolMax = inc.newPoolMax;
    for (const [id, pool] of inc.newPools) this.pools.set(id, pool.with({ lastChange: this.epoch }));

    this.newRemovedSnaps = new Map(inc.newRemovedSnaps);
    this.newPurgedSnaps = new Map(inc.newPurgedSnaps);
    for (const [pool, set] of inc.newRemovedSnaps) {
      this.removedSnapsQueue.set(pool, intervalUnion(this.removedSnapsQueue.get(pool) ?? [], set));
    }
    for (const [pool, set] of inc.newPurgedSnaps) {
      const q = this.removedSnapsQueue.get(pool);
      if (!q) continue;
      const left = intervalSubtract(q, set);
      if (left.length) this.removedSnapsQueue.set(pool, left);
      else this.removedSnapsQueue.delete(pool);
    }
    if (!utimeIsZero(inc.newLastUpChange)) this.lastUpChange = inc.newLastUpChange;
    if (!utimeIsZero(inc.newLastInChange)) this.lastInChange = inc.newLastInChange;

    for (const [id, name] of inc.newPoolNames) this.poolNames.set(id, name);
    for (const id of inc.oldPools) {
      this.pools.delete(id);
      this.poolNames.delete(id);
    }

    for (const [o, w] of inc.newWeight) {
      this.checkOsd(o, 'new_weight');
      this.osdWeight[o] = w;
      if (w) {
        this.osdState[o] = (this.osdState[o]! | OsdState.EXISTS) & ~(OsdState.AUTOOUT | OsdState.NEW);
      }
    }
    for (const [o, a] of inc.newPrimaryAffinity) {
      this.checkOsd(o, 'new_primary_affinity');
      this.setPrimaryAffinity(o, a);
    }
    for (const name of inc.oldErasureCodeProfiles) this.erasureCodeProfiles.delete(name);
    for (const [name, prof] of inc.newErasureCodeProfiles) this.erasureCodeProfiles.set(name, prof);

    for (const [o, x] of inc.newState) {
      this.checkOsd(o, 'new_state');
      const s = x !== 0 ? x : OsdState.UP;
      const cur = this.osdState[o]!;
      if (cur & OsdState.UP && s & OsdState.UP) {
        this.osdInfo[o] = { ...(this.osdInfo[o] ?? blankInfo()), downAt: this.epoch };
      }
      if (cur & OsdState.EXISTS && s & OsdState.EXISTS) {
        // destroyed: forget everything about it
        this.osdUuid[o] = ZERO_UUID;
        this.osdInfo[o] = blankInfo();
        this.setPrimaryAffinity(o, DEFAULT_PRIMARY_AFFINITY);
        this.osdAddrs[o] = [];
        this.clusterAddrs[o] = [];
        this.osdState[o] = 0;
      } else {
        this.osdState[o] = (cur ^ s) >>> 0;
      }
    }
    for (const [o, addrs] of inc.newUpClient) {
      this.checkOsd(o, 'new_up_client');
      this.osdState[o] = ((this.osdState[o]! | OsdState.EXISTS | OsdState.UP) & ~OsdState.STOP) >>> 0;
      this.osdAddrs[o] = addrs;
      this.osdInfo[o] = { ...(this.osdInfo[o] ?? blankInfo()), upFrom: this.epoch };
    }
    for (const [o, addrs] of inc.newUpCluster) {
      this.checkOsd(o, 'new_up_cluster');
      this.clusterAddrs[o] = addrs;
    }
    for (const [o, e] of inc.newUpThru) {
      this.checkOsd(o, 'new_up_thru');
      this.osdInfo[o] = { ...(this.osdInfo[o] ?? blankInfo()), upThru: e };
    }
    for (const [o, [b, e]] of inc.newLastCleanInterval) {
      this.checkOsd(o, 'new_last_clean_interval');
      this.osdInfo[o] = { ...(this.osdInfo[o] ?? blankInfo()), lastCleanBegin: b, lastCleanEnd: e };
    }
    for (const [o, e] of inc.newLost) {
      this.checkOsd(o, 'new_lost');
      this.osdInfo[o] = { ...(this.osdInfo[o] ?? blankInfo()), lostAt: e };
    }
    for (const [o, uuid] of inc.newUuid) {
      this.checkOsd(o, 'new_uuid');
      this.osdUuid[o] = uuid;
    }

    for (const [pg, osds] of inc.newPgTemp) {
      if (osds.length === 0) this.pgTemp.delete(pg);
      else this.pgTemp.set(pg, osds);
    }
    for (const [pg, o] of inc.newPrimaryTemp) {
      if (o === -1) this.primaryTemp.delete(pg);
      else this.primaryTemp.set(pg, o);
    }
    for (const [pg, osds] of inc.newPgUpmap) this.pgUpmap.set(pg, osds);
    for (const pg of inc.oldPgUpmap) this.pgUpmap.delete(pg);
    for (const [pg, items] of inc.newPgUpmapItems) this.pgUpmapItems.set(pg, items);
    for (const pg of inc.oldPgUpmapItems) this.pgUpmapItems.delete(pg);
    for (const [pg, o] of inc.newPgUpmapPrimary) this.pgUpmapPrimaries.set(pg, o);
    for (const pg of inc.oldPgUpmapPrimary) this.pgUpmapPrimaries.delete(pg);

    for (const [addr, until] of inc.newBlocklist) this.blocklist.set(addr, until);
    for (const addr of inc.oldBlocklist) this.blocklist.delete(addr);

    if (inc.clusterSnapshot.length) {
      this.clusterSnapshot = inc.clusterSnapshot;
      this.clusterSnapshotEpoch = inc.epoch;
    } else {
      this.clusterSnapshot = '';
      this.clusterSnapshotEpoch = 0;
    }
    if (inc.newNearfullRatio >= 0) this.nearfullRatio = inc.newNearfullRatio;
    if (inc.newBackfillfullRatio >= 0) this.backfillfullRatio = inc.newBackfillfullRatio;
    if (inc.newFullRatio >= 0) this.fullRatio = inc.newFullRatio;
    // 0xff (as int8: -1) means "unchanged" for both release fields
    if (inc.newRequireMinCompatClient > 0 && inc.newRequireMinCompatClient < 0x80) {
      this.requireMinCompatClient = inc.newRequireMinCompatClient;
    }
    if (inc.newRequireOsdRelease < 0x80) {
      this.requireOsdRelease = inc.newRequireOsdRelease;
      if (this.requireOsdRelease >= CephRelease.LUMINOUS) {
        this.flags = ((this.flags & ~LEGACY_REQUIRE_FLAGS) | OsdMapFlag.RECOVERY_DELETES) >>> 0;
      }
      if (this.requireOsdRelease >= CephRelease.NAUTILUS) this.flags = (this.flags | OsdMapFlag.PGLOG_HARDLIMIT) >>> 0;
    }

    // the new CRUSH map last
    if (inc.crush.length > 0) {
      this.crush = decodeWith(inc.crush, 'crush', (d) => decodeCrushMap(d));
      this.crushRaw = inc.crush;
      if (this.requireOsdRelease >= CephRelease.LUMINOUS) this.crushVersion++;
    }
  }
}

const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

function blankInfo(): OsdInfo {
  return { lastCleanBegin: 0, lastCleanEnd: 0, upFrom: 0, upThru: 0, downAt: 0, lostAt: 0 };
}

function decodeOsdInfo(d: Decoder): OsdInfo {
  d.u8(); // struct_v 1
  return { lastCleanBegin: d.u32(), lastCleanEnd: d.u32(), upFrom: d.u32(), upThru: d.u32(), downAt: d.u32(), lostAt: d.u32() };
}

function decodeBlocklist(d: Decoder): Map<string, UTime> {
  return d.map(
    (x) => addrToString(decodeEntityAddr(x)),
    (x) => decodeUTime(x),
    20,
  );
}

/** Reads a wrapper and checks the CRC of [start, crcAt) + (crcEnd, end) against it. */
function checkCrc(d: Decoder, start: number, crcAt: number, tailFrom: number, tailEnd: number, expected: number, what: string): void {
  let actual = crc32c(0xffffffff, d.buf, start, crcAt);
  if (tailFrom < tailEnd) actual = crc32c(actual, d.buf, tailFrom, tailEnd);
  if (actual !== expected) throw new DecodeError(`bad ${what} crc: computed 0x${actual.toString(16)}, map says 0x${expected.toString(16)}`, crcAt, what);
}

function wrapperStart(d: Decoder, what: string): void {
  d.need(1, `${what} wrapper`);
  const v = d.buf[d.pos]!;
  if (v < 7) d.fail(`${what} struct_v ${v}: pre-Firefly "classic" encoding is not supported`);
}

function decodeFullMap(d: Decoder, verifyCrc: boolean): OSDMap {
  const start = d.pos;
  wrapperStart(d, 'OSDMap');
  const m = new (OSDMap as unknown as new () => OSDMap)();
  d.versioned(8, 'OSDMap', (w, wrapperV) => {
    // client-usable data
    w.versioned(10, 'OSDMap client data', (b, v) => {
      m.clientStructV = v;
      m.fsid = decodeUuid(b);
      m.epoch = b.u32();
      m.created = decodeUTime(b);
      m.modified = decodeUTime(b);
      m.pools = b.map((x) => x.s64n(), decodePgPool, 14);
      m.poolNames = b.map(
        (x) => x.s64n(),
        (x) => x.string(),
        12,
      );
      m.poolMax = b.s32();
      m.flags = b.u32();
      m.maxOsd = b.s32();
      if (m.maxOsd < 0 || m.maxOsd > MAX_OSD) b.fail(`max_osd ${m.maxOsd} is not in [0, ${MAX_OSD}]`, b.pos - 4);
      m.osdState = v >= 5 ? u32List(b) : b.list((x) => x.u8(), 1);
      m.osdWeight = u32List(b);
      m.osdAddrs = b.list(decodeAddrs, 1);
      if (m.osdState.length !== m.maxOsd || m.osdWeight.length !== m.maxOsd || m.osdAddrs.length !== m.maxOsd) {
        b.fail(`per-OSD arrays (${m.osdState.length}/${m.osdWeight.length}/${m.osdAddrs.length}) do not match max_osd ${m.maxOsd}`);
      }
      m.pgTemp = b.map(decodePgKey, s32List, 21);
      m.primaryTemp = b.map(decodePgKey, (x) => x.s32(), 21);
      if (v >= 2) {
        const aff = u32List(b);
        if (aff.length > 0 && aff.length !== m.maxOsd) b.fail(`osd_primary_affinity has ${aff.length} entries, max_osd ${m.maxOsd}`);
        m.osdPrimaryAffinity = aff.length ? aff : undefined;
      }
      const crush = b.bufferlist();
      m.crushRaw = Buffer.from(crush);
      m.crush = decodeWith(m.crushRaw, 'crush', (x) => decodeCrushMap(x));
      if (v >= 3) m.erasureCodeProfiles = decodeProfiles(b);
      if (v >= 4) {
        m.pgUpmap = b.map(decodePgKey, s32List, 21);
        m.pgUpmapItems = b.map(decodePgKey, decodePairList, 21);
      }
      if (v >= 6) m.crushVersion = b.s32();
      if (v >= 7) {
        m.newRemovedSnaps = decodeSnapsByPool(b);
        m.newPurgedSnaps = decodeSnapsByPool(b);
      }
      if (v >= 9) {
        m.lastUpChange = decodeUTime(b);
        m.lastInChange = decodeUTime(b);
      }
      if (v >= 10) m.pgUpmapPrimaries = b.map(decodePgKey, (x) => x.s32(), 21);
      m.clientTailBytes = b.remaining;
    });
    // extended, osd-only data: read up to the fields a client may want, skip the rest
    w.versioned(12, 'OSDMap extended data', (b, v) => {
      m.extendedStructV = v;
      b.list(decodeAddrs, 1); // hb_back_addrs
      m.osdInfo = b.list(decodeOsdInfo, 25);
      m.blocklist = decodeBlocklist(b);
      m.clusterAddrs = b.list(decodeAddrs, 1);
      m.clusterSnapshotEpoch = b.u32();
      m.clusterSnapshot = b.string();
      m.osdUuid = b.list(decodeUuid, 16);
      b.list((x) => skipEnvelope(x, 'osd_xinfo_t'), 6);
      b.list(decodeAddrs, 1); // hb_front_addrs
      if (v >= 2) {
        m.nearfullRatio = f32(b);
        m.fullRatio = f32(b);
      }
      if (v >= 3) m.backfillfullRatio = f32(b);
      if (v === 4) m.requireMinCompatClient = releaseFromName(b.string());
      if (v >= 5) {
        m.requireMinCompatClient = b.u8();
        m.requireOsdRelease = b.u8();
      }
      if (v >= 6) m.removedSnapsQueue = decodeSnapsByPool(b);
      // crush_node_flags, device_class_flags, stretch mode, ... : not needed by a client
    });
    if (wrapperV >= 8) {
      const crcAt = w.pos;
      m.crc = w.u32();
      if (verifyCrc) checkCrc(w, start, crcAt, w.pos, w.end, m.crc, 'OSDMap');
    }
  });
  return m;
}

// ---- Incremental ------------------------------------------------------------------------

export interface OSDMapIncremental {
  fsid: string;
  epoch: number;
  modified: UTime;
  /** −1 = unchanged */
  newPoolMax: number;
  /** −1 = unchanged */
  newFlags: number;
  /** non-empty: a whole full map replacing everything */
  fullmap: Buffer;
  /** non-empty: a whole new CRUSH map */
  crush: Buffer;
  /** −1 = unchanged */
  newMaxOsd: number;
  newPools: Map<number, PgPool>;
  newPoolNames: Map<number, string>;
  oldPools: number[];
  newUpClient: Map<number, EntityAddr[]>;
  /** bits to XOR into osd_state (0 means UP, the legacy meaning) */
  newState: Map<number, number>;
  newWeight: Map<number, number>;
  /** empty vector = remove */
  newPgTemp: Map<string, number[]>;
  /** −1 = remove */
  newPrimaryTemp: Map<string, number>;
  newPrimaryAffinity: Map<number, number>;
  newErasureCodeProfiles: Map<string, Map<string, string>>;
  oldErasureCodeProfiles: string[];
  newPgUpmap: Map<string, number[]>;
  oldPgUpmap: string[];
  newPgUpmapItems: Map<string, Array<[number, number]>>;
  oldPgUpmapItems: string[];
  newRemovedSnaps: Map<number, SnapInterval[]>;
  newPurgedSnaps: Map<number, SnapInterval[]>;
  newLastUpChange: UTime;
  newLastInChange: UTime;
  /** Reef+ only */
  newPgUpmapPrimary: Map<string, number>;
  oldPgUpmapPrimary: string[];
  // extended section
  newUpCluster: Map<number, EntityAddr[]>;
  newUpThru: Map<number, number>;
  newLastCleanInterval: Map<number, [number, number]>;
  newLost: Map<number, number>;
  newBlocklist: Map<string, UTime>;
  oldBlocklist: string[];
  clusterSnapshot: string;
  newUuid: Map<number, string>;
  encodeFeatures: bigint;
  /** < 0 = unchanged */
  newNearfullRatio: number;
  newFullRatio: number;
  newBackfillfullRatio: number;
  /** 0 or 0xff = unchanged */
  newRequireMinCompatClient: number;
  /** 0xff = unchanged */
  newRequireOsdRelease: number;
  clientStructV: number;
  extendedStructV: number;
  /** bytes of the client-usable section left unread (fields newer than v9); 0 from Pacific */
  clientTailBytes: number;
  incCrc: number;
  /** CRC of the full map after applying this (as the mon encodes it); not checkable here */
  fullCrc: number;
}

/** Decode an OSDMap::Incremental (MOSDMap incremental_maps, `ceph osd getmap` is full only). */
export function decodeIncremental(buf: Uint8Array, opts: DecodeOptions = {}): OSDMapIncremental {
  const verify = opts.verifyCrc ?? true;
  return decodeWith(buf, 'OSDMap::Incremental', (d) => {
    const start = d.pos;
    wrapperStart(d, 'OSDMap::Incremental');
    const i = {
      newPgUpmapPrimary: new Map<string, number>(),
      oldPgUpmapPrimary: [] as string[],
      newErasureCodeProfiles: new Map(),
      oldErasureCodeProfiles: [],
      newPrimaryAffinity: new Map(),
      newPgUpmap: new Map(),
      oldPgUpmap: [],
      newPgUpmapItems: new Map(),
      oldPgUpmapItems: [],
      newRemovedSnaps: new Map(),
      newPurgedSnaps: new Map(),
      newLastUpChange: { sec: 0, nsec: 0 },
      newLastInChange: { sec: 0, nsec: 0 },
      newUpCluster: new Map(),
      newUpThru: new Map(),
      newLastCleanInterval: new Map(),
      newLost: new Map(),
      newBlocklist: new Map(),
      oldBlocklist: [],
      clusterSnapshot: '',
      newUuid: new Map(),
      encodeFeatures: 0n,
      newNearfullRatio: -1,
      newFullRatio: -1,
      newBackfillfullRatio: -1,
      newRequireMinCompatClient: 0xff,
      newRequireOsdRelease: 0xff,
      incCrc: 0,
      fullCrc: 0,
    } as Partial<OSDMapIncremental> as OSDMapIncremental;
    d.versioned(8, 'OSDMap::Incremental', (w, wrapperV) => {
      w.versioned(9, 'Incremental client data', (b, v) => {
        i.clientStructV = v;
        i.fsid = decodeUuid(b);
        i.epoch = b.u32();
        i.modified = decodeUTime(b);
        i.newPoolMax = b.s64n();
        i.newFlags = b.s32();
        i.fullmap = Buffer.from(b.bufferlist());
        i.crush = Buffer.from(b.bufferlist());
        i.newMaxOsd = b.s32();
        // −1 = unchanged
        if (i.newMaxOsd < -1 || i.newMaxOsd > MAX_OSD) b.fail(`new_max_osd ${i.newMaxOsd} is not in [-1, ${MAX_OSD}]`, b.pos - 4);
        i.newPools = b.map((x) => x.s64n(), decodePgPool, 14);
        i.newPoolNames = b.map(
          (x) => x.s64n(),
          (x) => x.string(),
          12,
        );
        i.oldPools = b.list((x) => x.s64n(), 8);
        i.newUpClient = b.map((x) => x.s32(), decodeAddrs, 5);
        i.newState =
          v >= 5
            ? b.map(
                (x) => x.s32(),
                (x) => x.u32(),
                8,
              )
            : b.map(
                (x) => x.s32(),
                (x) => x.u8(),
                5,
              );
        i.newWeight = b.map(
          (x) => x.s32(),
          (x) => x.u32(),
          8,
        );
        i.newPgTemp = b.map(decodePgKey, s32List, 21);
        i.newPrimaryTemp = b.map(decodePgKey, (x) => x.s32(), 21);
        if (v >= 2)
          i.newPrimaryAffinity = b.map(
            (x) => x.s32(),
            (x) => x.u32(),
            8,
          );
        if (v >= 3) {
          i.newErasureCodeProfiles = decodeProfiles(b);
          i.oldErasureCodeProfiles = b.list((x) => x.string(), 4);
        }
        if (v >= 4) {
          i.newPgUpmap = b.map(decodePgKey, s32List, 21);
          i.oldPgUpmap = b.list(decodePgKey, 17);
          i.newPgUpmapItems = b.map(decodePgKey, decodePairList, 21);
          i.oldPgUpmapItems = b.list(decodePgKey, 17);
        }
        if (v >= 6) {
          i.newRemovedSnaps = decodeSnapsByPool(b);
          i.newPurgedSnaps = decodeSnapsByPool(b);
        }
        if (v >= 8) {
          i.newLastUpChange = decodeUTime(b);
          i.newLastInChange = decodeUTime(b);
        }
        if (v >= 9) {
          i.newPgUpmapPrimary = b.map(decodePgKey, (x) => x.s32(), 21);
          i.oldPgUpmapPrimary = b.list(decodePgKey, 17);
        }
        i.clientTailBytes = b.remaining;
      });
      w.versioned(12, 'Incremental extended data', (b, v) => {
        i.extendedStructV = v;
        b.map((x) => x.s32(), decodeAddrs, 5); // new_hb_back_up
        i.newUpThru = b.map(
          (x) => x.s32(),
          (x) => x.u32(),
          8,
        );
        i.newLastCleanInterval = b.map(
          (x) => x.s32(),
          (x) => [x.u32(), x.u32()] as [number, number],
          12,
        );
        i.newLost = b.map(
          (x) => x.s32(),
          (x) => x.u32(),
          8,
        );
        i.newBlocklist = decodeBlocklist(b);
        i.oldBlocklist = b.list((x) => addrToString(decodeEntityAddr(x)), 12);
        i.newUpCluster = b.map((x) => x.s32(), decodeAddrs, 5);
        i.clusterSnapshot = b.string();
        i.newUuid = b.map((x) => x.s32(), decodeUuid, 20);
        b.map(
          (x) => x.s32(),
          (x) => skipEnvelope(x, 'osd_xinfo_t'),
          10,
        ); // new_xinfo
        b.map((x) => x.s32(), decodeAddrs, 5); // new_hb_front_up
        if (v >= 2) i.encodeFeatures = b.u64();
        if (v >= 3) {
          i.newNearfullRatio = f32(b);
          i.newFullRatio = f32(b);
        }
        if (v >= 4) i.newBackfillfullRatio = f32(b);
        if (v === 5) {
          const r = b.string();
          if (r.length) i.newRequireMinCompatClient = releaseFromName(r);
        }
        if (v >= 6) {
          i.newRequireMinCompatClient = b.u8();
          i.newRequireOsdRelease = b.u8();
        }
        // crush node / device class flags, stretch mode: not needed by a client
      });
      if (wrapperV >= 8) {
        const crcAt = w.pos;
        i.incCrc = w.u32();
        const tail = w.pos;
        i.fullCrc = w.u32();
        if (verify) checkCrc(w, start, crcAt, tail, w.end, i.incCrc, 'OSDMap::Incremental');
      }
    });
    return i;
  });
}

export type { PgId, UpActing, ObjectPg, ObjectLocation, PgMapping, LocatorOptions } from './placement.js';
export { PoolFlag };
