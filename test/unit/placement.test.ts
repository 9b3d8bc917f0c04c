// Object → PG → OSDs against what Ceph 16.2.15 itself computed on a real cluster
// (fixtures/osdmap/, made by scripts/make-osdmap-fixtures.sh):
//  - every PG of every pool of 8 maps vs `osdmaptool --test-map-pgs-dump-all` (raw, up,
//    acting and their primaries);
//  - 10,000 object names (some in namespaces, UTF-8, up to 96 bytes) in every pool of every
//    map vs the mon's "osd map" command (raw hash, PG, up/acting), all at the map's epoch;
//  - `osdmaptool --test-map-object` samples and `ceph osd map` CLI output.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { unpack } from 'msgpackr';
import { CephError } from '../../src/encoding/errno.js';
import { OSDMap } from '../../src/rados/osdmap/osdmap.js';
import { PgPool, PoolFlag, pgMask, stableMod } from '../../src/rados/osdmap/pg-pool.js';
import { CRUSH_ITEM_NONE, crushHash32_2, formatPgId, parsePgId, pgKey, strHashLinux, strHashRjenkins } from '../../src/rados/osdmap/placement.js';

type Row = [number, number[], number, number[], number, number[], number];
interface Stage {
  name: string;
  what: string;
  epoch: number;
  map: Uint8Array;
  osdDump: { pools: Array<{ pool: number; pool_name: string }> };
  dumpAll: Record<string, { pgNum: number; rows: Row[] }>;
  toolObjects: Array<{ pool: number; i: number; pgid: string; acting: number[] }>;
  mon: Record<string, { poolId: number; seeds: Uint8Array; pgs: Record<string, [number[], number, number[], number]> }>;
  cli: Array<{ i: number; pool: string; out: Record<string, unknown> }>;
}
interface Fixture {
  ceph: string;
  names: string[];
  nspaces: string[];
  rawHashes: Uint8Array;
  stages: Stage[];
}
interface History {
  fulls: Record<string, Uint8Array>;
}

const load = <T>(f: string): T => unpack(gunzipSync(readFileSync(new URL(`../../fixtures/osdmap/${f}`, import.meta.url)))) as T;
const fx = load<Fixture>('stages.msgpack.gz');
const history = load<History>('history.msgpack.gz');
const rawHashes = Buffer.from(fx.rawHashes);
const maps = new Map(fx.stages.map((s) => [s.name, OSDMap.decode(s.map)]));

const bytes = (s: string) => Buffer.from(s, 'utf8');

// ---- hashes ------------------------------------------------------------------------

test('ceph_str_hash_rjenkins: vectors from `ceph osd map` (src/common/ceph_hash.cc; docs/osdmap-crush.md §7.2)', (t) => {
  const v: Array<[string, number]> = [
    ['foo', 0x7fc1f406],
    ['bar', 0xefe6384b],
    ['', 0xbd49d10d],
    ['a', 0x29eec818],
    ['abcdefghijkl', 0x0b1b3ea5],
    ['abcdefghijklm', 0x3122b031],
    ['rbd_header.abcdef', 0x4e68bab2],
    ['rbd_data.1234567890ab.0000000000000000', 0x12570f4f],
    ['ns1\x1ffoo', 0xf4569544],
    ['ns1\x1fbar', 0x73a75142],
    ['ns1\x1fobj', 0x37eda02a],
    ['myns\x1fnsobj', 0xa4b0152a],
    ['gc.0', 0x990e66d8],
    ['obj', 0xaabc5e21],
    ['users.uid\x1ftestuser', 0xa13aa4c1],
  ];
  for (const [s, h] of v) t.is(strHashRjenkins(bytes(s)), h, s);
});

test('ceph_str_hash_linux and crush_hash32_2 vectors', (t) => {
  t.is(strHashLinux(bytes('foo')), 0x0024db2a);
  t.is(strHashLinux(bytes('ns1\x1ffoo')), 0xce6afc4d);
  t.is(crushHash32_2(0, 0), 0x19ad4ce9);
  t.is(crushHash32_2(1, 2), 0xb78dee9c);
  t.is(crushHash32_2(6, 1), 0xd77484f9);
});

test('stable_mod and pg masks (docs/osdmap-crush.md §4, §9 step 3)', (t) => {
  t.is(pgMask(12), 15);
  t.is(pgMask(96), 127);
  t.is(pgMask(384), 511);
  t.is(pgMask(1), 0);
  t.is(pgMask(8), 7);
  t.is(pgMask(100), 127);
  t.is(stableMod(0x7fc1f406, 12, 15), 6);
  t.is(stableMod(0x7fc1f406, 96, 127), 6);
  t.is(stableMod(0x7fc1f406, 384, 511), 6);
  t.is(stableMod(0x990e66d8, 12, 15), 8);
  t.is(stableMod(0x990e66d8, 32, 31), 0x18);
  t.is(stableMod(0xffffffff, 100, 127), 63);
  const p = new PgPool({ pgNum: 100, pgpNum: 60 });
  t.is(p.pgNumMask, 127);
  t.is(p.pgpNumMask, 63);
  t.is(p.rawPgToPg(0x7fdbd869), 0x29);
});

test('pgid strings', (t) => {
  t.is(pgKey(2, 0x29), '2.29');
  t.is(formatPgId({ pool: 12, seed: 0x7fdbd869 }), '12.7fdbd869');
  t.deepEqual(parsePgId('3.1e'), { pool: 3, seed: 0x1e });
  t.throws(() => parsePgId('3.'), { instanceOf: CephError });
  t.throws(() => parsePgId('x.1'), { instanceOf: CephError });
});

// ---- every PG vs osdmaptool ----------------------------------------------------------

const seen = {
  pgs: 0,
  ecHoles: 0,
  pgTemp: 0,
  primaryTemp: 0,
  upmap: 0,
  upmapItems: 0,
  affinityMoved: 0,
  rawDiffersFromUp: 0,
  noHashpspool: 0,
  pgpLtPg: 0,
  weightSets: 0,
};

for (const st of fx.stages) {
  test.serial(`${st.name}: every PG as osdmaptool --test-map-pgs-dump-all (${st.what})`, (t) => {
    const map = maps.get(st.name)!;
    t.is(map.epoch, st.epoch);
    let n = 0;
    for (const [poolStr, { pgNum, rows }] of Object.entries(st.dumpAll)) {
      const poolId = Number(poolStr);
      const pool = map.getPool(poolId)!;
      t.truthy(pool, `pool ${poolId}`);
      t.is(pool.pgNum, pgNum);
      t.is(rows.length, pgNum);
      if (!pool.hasFlag(PoolFlag.HASHPSPOOL)) seen.noHashpspool++;
      if (pool.pgpNum < pool.pgNum) seen.pgpLtPg++;
      for (const [seed, raw, rawP, up, upP, acting, actP] of rows) {
        const m = map.pgMapping({ pool: poolId, seed });
        const key = pgKey(poolId, seed);
        t.deepEqual([m.raw, m.rawPrimary, m.up, m.upPrimary, m.acting, m.actingPrimary], [raw, rawP, up, upP, acting, actP], `pg ${key}`);
        n++;
        if (up.includes(CRUSH_ITEM_NONE)) seen.ecHoles++;
        if (map.pgTemp.has(key)) seen.pgTemp++;
        if (map.primaryTemp.has(key)) seen.primaryTemp++;
        if (map.pgUpmap.has(key)) seen.upmap++;
        if (map.pgUpmapItems.has(key)) seen.upmapItems++;
        if (JSON.stringify(raw) !== JSON.stringify(up)) seen.rawDiffersFromUp++;
        const firstUp = up.find((o) => o !== CRUSH_ITEM_NONE) ?? -1;
        if (upP !== firstUp || (pool.isErasure() && upP !== -1 && up[0] !== upP)) seen.affinityMoved++;
      }
    }
    if (map.crush.chooseArgs.size > 0) seen.weightSets++;
    seen.pgs += n;
    t.true(n > 0);
  });
}

test.serial('the fixture exercises what it should', (t) => {
  // (runs after the per-stage tests: test.serial keeps file order)
  t.log(JSON.stringify(seen));
  t.true(seen.pgs > 1000);
  t.true(seen.ecHoles > 0, 'erasure sets with holes');
  t.true(seen.pgTemp > 0, 'pg_temp');
  t.true(seen.primaryTemp > 0, 'primary_temp');
  t.true(seen.upmap > 0, 'pg_upmap');
  t.true(seen.upmapItems > 0, 'pg_upmap_items');
  t.true(seen.affinityMoved > 0, 'primary affinity changing the primary');
  t.true(seen.rawDiffersFromUp > 0, 'down OSDs / upmaps');
  t.true(seen.noHashpspool > 0, 'a pool without hashpspool');
  t.true(seen.pgpLtPg > 0, 'pgp_num < pg_num');
  t.true(seen.weightSets > 0, 'choose_args');
});

// ---- 10,000 objects per pool vs the mon ------------------------------------------------

for (const st of fx.stages) {
  test(`${st.name}: 10,000 objects per pool as the mon's "osd map" at e${st.epoch}`, (t) => {
    const map = maps.get(st.name)!;
    let checked = 0;
    const cache = new Map<string, string>();
    for (const [poolName, ans] of Object.entries(st.mon)) {
      const poolId = map.poolIdByName(poolName);
      t.is(poolId, ans.poolId, poolName);
      const seeds = Buffer.from(ans.seeds);
      // the mon's PG table, as our placement computes it
      for (const [pgid, row] of Object.entries(ans.pgs)) {
        const ua = map.pgToUpActing(parsePgId(pgid));
        t.deepEqual([ua.up, ua.upPrimary, ua.acting, ua.actingPrimary], row, `${st.name} pg ${pgid}`);
      }
      for (let i = 0; i < fx.names.length; i++) {
        const ns = fx.nspaces[i]!;
        const loc = map.objectLocator(ans.poolId, fx.names[i]!, ns ? { nspace: ns } : {});
        if (loc.rawHash !== rawHashes.readUInt32LE(i * 4) || loc.pgid.seed !== seeds.readUInt32LE(i * 4)) {
          t.fail(
            `${st.name}/${poolName} object ${i} '${fx.names[i]}' ns '${ns}': ours ${loc.rawHash.toString(16)} → ${loc.pgid.seed.toString(16)}, mon ${rawHashes.readUInt32LE(i * 4).toString(16)} → ${seeds.readUInt32LE(i * 4).toString(16)}`,
          );
          return;
        }
        // the whole objectLocation path for every object (PG results cached per PG)
        const key = pgKey(loc.pgid.pool, loc.pgid.seed);
        let got = cache.get(key);
        if (got === undefined) {
          const l = map.objectLocation(ans.poolId, fx.names[i]!, ns ? { nspace: ns } : {});
          got = JSON.stringify([l.up, l.upPrimary, l.acting, l.actingPrimary]);
          cache.set(key, got);
        }
        const want = ans.pgs[key];
        if (got !== JSON.stringify(want)) {
          t.fail(`${st.name}/${poolName} object ${i}: pg ${key} ${got} vs mon ${JSON.stringify(want)}`);
          return;
        }
        checked++;
      }
    }
    t.true(checked >= 10000);
  });
}

test('osdmaptool --test-map-object samples (name → PG → acting)', (t) => {
  let n = 0;
  for (const st of fx.stages) {
    const map = maps.get(st.name)!;
    for (const o of st.toolObjects) {
      const l = map.objectLocation(o.pool, fx.names[o.i]!);
      t.is(l.pgid, o.pgid, `${st.name} ${o.pool} ${fx.names[o.i]}`);
      t.deepEqual(l.acting, o.acting, `${st.name} ${o.pool} ${fx.names[o.i]}`);
      n++;
    }
  }
  t.true(n >= 100 * 8);
});

test('`ceph osd map POOL OBJ [NS] -f json` output, at the epoch it answered from', (t) => {
  let n = 0;
  for (const st of fx.stages) {
    for (const { i, pool, out } of st.cli) {
      const full = history.fulls[String(out.epoch)];
      t.truthy(full, `full map e${out.epoch}`);
      const map = OSDMap.decode(full!);
      const ns = fx.nspaces[i]!;
      const poolId = map.poolIdByName(pool)!;
      const l = map.objectLocation(poolId, fx.names[i]!, ns ? { nspace: ns } : {});
      t.deepEqual(
        {
          epoch: l.epoch,
          pool: l.pool,
          pool_id: l.poolId,
          objname: l.objname,
          raw_pgid: l.rawPgid,
          pgid: l.pgid,
          up: l.up,
          up_primary: l.upPrimary,
          acting: l.acting,
          acting_primary: l.actingPrimary,
        },
        out,
      );
      n++;
    }
  }
  t.true(n > 20);
});

// ---- locator semantics -----------------------------------------------------------------

test('a locator key replaces the name; an explicit hash is used as it is; namespaces count', (t) => {
  const map = maps.get('s3')!;
  const poolId = map.poolIdByName('p100')!;
  for (let i = 0; i < 200; i++) {
    const name = fx.names[i]!;
    const byKey = map.objectLocator(poolId, 'some-other-name', { key: name });
    t.deepEqual(byKey, map.objectLocator(poolId, name));
    // an empty key means "no key"
    t.deepEqual(map.objectLocator(poolId, name, { key: '' }), map.objectLocator(poolId, name));
    // key and namespace together: nspace 0x1F key
    t.deepEqual(map.objectLocator(poolId, 'x', { key: name, nspace: 'ns1' }), map.objectLocator(poolId, name, { nspace: 'ns1' }));
  }
  const h = map.objectLocator(poolId, 'ignored', { hash: 0x7fdbd869 });
  t.deepEqual(h, { pgid: { pool: poolId, seed: 0x29 }, rawHash: 0x7fdbd869 });
  // raw bytes work like the strings they encode
  t.deepEqual(map.objectLocator(poolId, Buffer.from('obj-1')), map.objectLocator(poolId, 'obj-1'));
  // target(): what the objecter asks
  const tg = map.target({ pool: poolId, nspace: 'ns1' }, 'obj-0');
  const loc = map.objectLocation(poolId, 'obj-0', { nspace: 'ns1' });
  t.deepEqual([tg.pgid, tg.hash, tg.acting, tg.primary], [loc.pg, loc.rawHash, loc.acting, loc.actingPrimary]);
});

test('missing pools and unknown object hashes are errors; out-of-range PGs map to nothing', (t) => {
  const map = maps.get('s3')!;
  const e = t.throws(() => map.objectLocator(999, 'x'), { instanceOf: CephError });
  t.is(e?.code, 'ENOENT');
  t.deepEqual(map.pgToUpActing({ pool: 999, seed: 0 }), { up: [], upPrimary: -1, acting: [], actingPrimary: -1 });
  const p100 = map.poolIdByName('p100')!;
  t.deepEqual(map.pgToUpActing({ pool: p100, seed: 100 }), { up: [], upPrimary: -1, acting: [], actingPrimary: -1 });
  const withPool = (p: PgPool) => {
    const m = Object.create(map) as OSDMap;
    Object.defineProperty(m, 'pools', { value: new Map([[p100, p]]) });
    return m;
  };
  t.is(t.throws(() => withPool(map.getPool(p100)!.with({ objectHash: 7 })).objectLocator(p100, 'x'), { instanceOf: CephError })?.code, 'EOPNOTSUPP');
  // the linux hash pool flavour: the hash changes, the rest does not
  t.is(withPool(map.getPool(p100)!.with({ objectHash: 1 })).objectLocator(p100, 'foo').rawHash, 0x0024db2a);
});

test('pg_upmap onto an out OSD is ignored together with the PG’s pg_upmap_items (OSDMap::_apply_upmap; docs/osdmap-crush.md §9 step 8)', (t) => {
  // A real mon cleans such entries out at once (OSDMap::check_pg_upmaps), so no captured
  // map has one: this is OSDMap::_apply_upmap's behaviour (16.2.15 osdmaptool on a patched
  // map), applied to a real map in memory.
  const map = maps.get('s3')!;
  const poolId = map.poolIdByName('p100')!;
  const out = map.osdWeight.findIndex((w, o) => w === 0 && map.exists(o));
  t.true(out >= 0, 'the s3 map has an out OSD');
  const variant = (fields: Partial<Pick<OSDMap, 'pgUpmap' | 'pgUpmapItems' | 'pgTemp' | 'primaryTemp'>>) => {
    const m = Object.create(map) as OSDMap;
    for (const [k, v] of Object.entries({ pgUpmap: new Map(), pgUpmapItems: new Map(), pgTemp: new Map(), primaryTemp: new Map(), ...fields })) {
      Object.defineProperty(m, k, { value: v });
    }
    return m;
  };
  const plain = variant({});
  let tested = 0;
  for (let seed = 0; seed < 100 && tested < 10; seed++) {
    const pg = { pool: poolId, seed };
    const base = plain.pgMapping(pg);
    const up = base.up;
    if (up.length < 2) continue;
    const spare = [0, 1, 2].find((o) => map.isUp(o) && !base.raw.includes(o));
    if (spare === undefined) continue;
    const key = pgKey(poolId, seed);
    const items = new Map([[key, [[up[0]!, spare] as [number, number]]]]);
    // pg_upmap naming the out OSD: nothing of either map applies
    const rejected = variant({ pgUpmap: new Map([[key, [out, ...up.slice(1)]]]), pgUpmapItems: items }).pgMapping(pg);
    t.deepEqual([rejected.raw, rejected.up, rejected.upPrimary], [base.raw, base.up, base.upPrimary]);
    // the items alone do apply: the first `from` in the set becomes `to`
    const moved = variant({ pgUpmapItems: items }).pgMapping(pg);
    t.true(moved.up.includes(spare));
    t.false(moved.up.includes(up[0]!));
    // a valid pg_upmap replaces the set, then the items apply to it
    const full = [...up].reverse();
    const both = variant({ pgUpmap: new Map([[key, full]]), pgUpmapItems: items }).pgMapping(pg);
    t.deepEqual(
      both.up.filter((o) => o !== spare),
      full.filter((o) => o !== up[0]),
    );
    // an item whose target is out is skipped; one whose target is already in the set too
    const skipped = variant({ pgUpmapItems: new Map([[key, [[up[0]!, out] as [number, number], [up[0]!, up[1]!] as [number, number]]]]) }).pgMapping(pg);
    t.deepEqual(skipped.up, base.up);
    // primary_temp wins even when that OSD is not in the acting set (OSDMap::_get_temp_osds)
    const pt = variant({ primaryTemp: new Map([[key, spare]]) }).pgMapping(pg);
    t.deepEqual([pt.acting, pt.actingPrimary, pt.upPrimary], [base.acting, spare, base.upPrimary]);
    tested++;
  }
  t.true(tested >= 5);
});

test('osdAddr: the msgr2 address of an up OSD; nothing for empty slots', (t) => {
  const map = maps.get('s7')!;
  const dump = fx.stages.find((s) => s.name === 's7')!.osdDump as unknown as {
    osds: Array<{ osd: number; public_addrs: { addrvec: Array<{ type: string; addr: string; nonce: number }> } }>;
  };
  for (const o of dump.osds) {
    const a = map.osdAddr(o.osd);
    const want = o.public_addrs.addrvec.find((x) => x.type === 'v2');
    if (!want) {
      t.is(a, undefined);
      continue;
    }
    t.is(`${a!.ip}:${a!.port}`, want.addr);
    t.is(a!.nonce, want.nonce);
  }
  t.is(map.osdAddr(11), undefined);
  t.is(map.osdAddr(99), undefined);
});
