// CRUSH MSR rules (Squid+: msr_firstn / msr_indep, choosemsr, msr tunables): decode of
// maps compiled by Tentacle's crushtool and mappings compared with
// `crushtool --test --show-mappings` (20.2.x) for every recorded x, including out and
// partly reweighted OSDs (so msr_descents and collision retries are exercised).
// Fixtures: scripts/make-crush-msr-fixtures.sh.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { CephError, DecodeError } from '../../src/encoding/errno.js';
import { decodeCrushMapBuffer } from '../../src/rados/crush/decode.js';
import { crushDoRule, crushDoRuleInto, findRule, lastRuleWork } from '../../src/rados/crush/mapper.js';
import { OSDMap } from '../../src/rados/osdmap/osdmap.js';
import { OsdState, parsePgId } from '../../src/rados/osdmap/placement.js';
import {
  CRUSH_ITEM_NONE,
  CrushBucketAlg,
  CrushRuleOp,
  CrushRuleType,
  DEFAULT_MSR_COLLISION_TRIES,
  DEFAULT_MSR_DESCENTS,
  type CrushBucket,
  type CrushMap,
  type CrushRule,
} from '../../src/rados/crush/types.js';
import { checkMappings, fmt, mappingFixtures as listMappingFixtures, testerWeights } from '../helpers/crushtool.js';

const FIX = new URL('../../fixtures/crush/msr/', import.meta.url);
const readFix = (name: string): Buffer => readFileSync(new URL(name, FIX));
const loadMap = (name: string): CrushMap => decodeCrushMapBuffer(readFix(`${name}.bin`));

// ------------------------------------------------------------------ crushtool oracle ---

const mappingFixtures = listMappingFixtures(FIX);

test('fixtures: every map the script makes has recorded mappings', (t) => {
  t.deepEqual(mappingFixtures, ['msr-choose-args', 'msr-hosts', 'msr-low-tries']);
});

for (const name of mappingFixtures) {
  test(`crushtool --show-mappings (Tentacle): ${name}`, (t) => {
    const map = loadMap(name);
    const r = checkMappings(map, FIX, name);
    t.deepEqual(r.mismatches, [], name);
    t.true(r.total >= 3000, `${r.total} mappings`);
    // the out OSDs leave some mappings short: the retry paths ran out somewhere
    t.true(r.short > 0);
    t.log(`${r.total} mappings equal to crushtool's (${r.short} short of num-rep)`);
  });
}

test('crushDoRuleInto writes what crushDoRule returns (MSR firstn and indep)', (t) => {
  const map = loadMap('msr-hosts');
  const w = testerWeights(
    map,
    new Map([
      [8, 0],
      [13, 0x8000],
    ]),
  );
  const out = new Int32Array(8);
  for (const rule of [0, 1, 4, 5]) {
    for (let x = 0; x < 300; x++) {
      const n = crushDoRuleInto(out, map, rule, x, 8, w);
      t.deepEqual(Array.from(out.subarray(0, n)), crushDoRule(map, rule, x, 8, w));
    }
  }
  // indep: always result_max entries; firstn: only what was emitted
  t.is(crushDoRule(map, 7, 1, 8, w).length, 8);
  t.true(crushDoRule(map, 6, 1, 8, w).length <= 4);
});

// ------------------------------------------------------------------ decode ---

test('decode: MSR rule types, choosemsr and config steps, msr tunables', (t) => {
  const m = loadMap('msr-hosts');
  t.is(m.msrDescents, 100);
  t.is(m.msrCollisionTries, 100);
  const low = loadMap('msr-low-tries');
  t.is(low.msrDescents, 3);
  t.is(low.msrCollisionTries, 2);
  t.deepEqual(low.tunables, m.tunables);

  const r1 = m.rules[1]!;
  t.is(r1.mask.type, CrushRuleType.MSR_INDEP);
  t.is(r1.mask.ruleset, 1);
  t.deepEqual(r1.steps, [
    { op: CrushRuleOp.TAKE, arg1: -1, arg2: 0 },
    { op: CrushRuleOp.CHOOSE_MSR, arg1: 4, arg2: 1 },
    { op: CrushRuleOp.CHOOSE_MSR, arg1: 2, arg2: 0 },
    { op: CrushRuleOp.EMIT, arg1: 0, arg2: 0 },
  ]);
  t.is(m.rules[0]!.mask.type, CrushRuleType.MSR_FIRSTN);
  t.deepEqual(
    m.rules[4]!.steps.slice(0, 2).map((s) => [s.op, s.arg1]),
    [
      [CrushRuleOp.SET_MSR_DESCENTS, 3],
      [CrushRuleOp.SET_MSR_COLLISION_TRIES, 2],
    ],
  );
  t.is(m.rules[11]!.mask.type, CrushRuleType.REPLICATED);
  t.is(m.rules[12]!.mask.type, CrushRuleType.ERASURE);
  t.is(m.ruleNameMap.get(5), 'r5');
  // Quincy+ writes min/max size 1/100
  t.deepEqual([m.rules[3]!.mask.minSize, m.rules[3]!.mask.maxSize], [1, 100]);
  t.is(loadMap('msr-choose-args').chooseArgs.size, 1);
});

test('fuzz case: msr_descents 2^28 with msr_collision_tries 0 is refused (EINVAL), not spun through', (t) => {
  // test/unit/fuzz.test.ts (crush.do-rule, seed 4, case 4924; `npm run fuzz -- --seed 4 --target
  // crush.do-rule` reproduces it): a 6.9 KB splice of MSR maps whose trailing msr tunables read
  // 0x18000000 and 0. With no collision tries a descent chooses nothing, so the descent loop ran
  // 402,653,184 empty rounds. Here the same two tunables on msr-hosts.
  const b = Buffer.from(readFix('msr-hosts.bin'));
  const weights = testerWeights(decodeCrushMapBuffer(b), new Map());
  t.is(crushDoRule(decodeCrushMapBuffer(b), 0, 0, 3, weights).length, 3);
  t.true(lastRuleWork() < 1000);
  b.writeUInt32LE(0x18000000, b.length - 8);
  b.writeUInt32LE(0, b.length - 4);
  const m = decodeCrushMapBuffer(b);
  t.deepEqual([m.msrDescents, m.msrCollisionTries], [0x18000000, 0]);
  const t0 = Date.now();
  const e = t.throws(() => crushDoRule(m, 0, 0, 3, weights), { instanceOf: CephError });
  t.is(e?.code, 'EINVAL');
  t.true(Date.now() - t0 < 1000);
});

test('decode: a map without the msr tunables gets 100/100; a cut inside them or earlier is a DecodeError', (t) => {
  const bin = readFix('msr-low-tries.bin');
  // without the 8 trailing bytes: a pre-Squid encoding, set_default_msr_tunables()
  const old = decodeCrushMapBuffer(bin.subarray(0, bin.length - 8));
  t.is(old.msrDescents, DEFAULT_MSR_DESCENTS);
  t.is(old.msrCollisionTries, DEFAULT_MSR_COLLISION_TRIES);
  t.deepEqual(old.rules, loadMap('msr-low-tries').rules);
  // with the defaults the low-tries map maps as msr-hosts does
  const hosts = loadMap('msr-hosts');
  const w = testerWeights(
    hosts,
    new Map([
      [11, 0],
      [12, 0],
      [13, 0],
      [14, 0],
      [18, 0],
    ]),
  );
  for (let x = 0; x < 200; x++) t.deepEqual(crushDoRule(old, 1, x, 8, w), crushDoRule(hosts, 1, x, 8, w));

  // msr_descents without msr_collision_tries, half a u32, a cut in the rules
  for (const cut of [1, 2, 4, 5, 7]) {
    t.throws(() => decodeCrushMapBuffer(bin.subarray(0, bin.length - cut)), { instanceOf: DecodeError }, `cut ${cut}`);
  }
  const rulesAt = bin.indexOf(Buffer.from([16, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0])); // a choosemsr 4 host step
  t.true(rulesAt > 0);
  t.throws(() => decodeCrushMapBuffer(bin.subarray(0, rulesAt + 6)), { instanceOf: DecodeError });
  // every cut before the name maps fails cleanly (later ones may end at an optional group)
  for (let n = 0; n < rulesAt; n += 7) {
    t.throws(() => decodeCrushMapBuffer(bin.subarray(0, n)), { instanceOf: DecodeError });
  }
});

// ------------------------------------------------------------------ rule lookup ---

test('findRule: an MSR rule is used by id, as Quincy+ OSDMap does; other rules keep Pacific matching', (t) => {
  const m = loadMap('msr-hosts');
  // replicated pool → msr_firstn rule 0, erasure pool → msr_indep rule 1 (pool type and
  // size are not checked: _pg_to_raw_osds runs pool.crush_rule)
  t.is(findRule(m, 0, CrushRuleType.REPLICATED, 3), 0);
  t.is(findRule(m, 1, CrushRuleType.ERASURE, 8), 1);
  t.is(findRule(m, 1, CrushRuleType.ERASURE, 200), 1);
  t.is(findRule(m, 10, CrushRuleType.REPLICATED, 4), 10);
  // classic rules: ruleset, type and size as before
  t.is(findRule(m, 11, CrushRuleType.REPLICATED, 3), 11);
  t.is(findRule(m, 11, CrushRuleType.ERASURE, 3), -1);
  t.is(findRule(m, 12, CrushRuleType.ERASURE, 101), -1);
  t.is(findRule(m, 13, CrushRuleType.REPLICATED, 3), -1);
  t.is(findRule(m, 99, CrushRuleType.REPLICATED, 3), -1);
});

test('OSDMap placement: a pool whose crush_rule is msr_firstn, vs osdmaptool --test-map-pgs-dump-all', (t) => {
  // Tentacle's osdmaptool wrote the map (--createsimple: no OSD exists yet); the dump is
  // with --mark-up-in --mark-out 13, which leaves every OSD existing and up, all in but 13
  const map = OSDMap.decode(readFix('msr-pool.osdmap'));
  t.is(map.crush.msrDescents, 100);
  const pool = map.getPool(1)!;
  t.is(pool.crushRule, 0);
  t.is(map.crush.rules[0]!.mask.type, CrushRuleType.MSR_FIRSTN);
  for (let o = 0; o < map.maxOsd; o++) {
    map.osdState[o] = map.osdState[o]! | OsdState.EXISTS | OsdState.UP;
    map.osdWeight[o] = o === 13 ? 0 : 0x10000;
  }
  const rows = gunzipSync(readFix('msr-pool.pgs.txt.gz')).toString('utf8').trim().split('\n');
  t.is(rows.length, pool.pgNum);
  const set = (v: readonly number[], p: number) => `${fmt(v)}p${p}`;
  const bad: string[] = [];
  for (const row of rows) {
    const [pg, ...want] = row.split(' ');
    const m = map.pgMapping(parsePgId(pg!));
    const got = [set(m.raw, m.rawPrimary), set(m.up, m.upPrimary), set(m.acting, m.actingPrimary)];
    if (got.join(' ') !== want.join(' ')) bad.push(`${pg}: ${got.join(' ')} vs ${want.join(' ')}`);
  }
  t.deepEqual(bad.slice(0, 5), [], `${bad.length} PGs differ`);
  t.false(rows.some((r) => /[[,]13[\],]/.test(r))); // the out OSD is never chosen
  t.log(`${rows.length} PGs equal to osdmaptool's`);
});

// ------------------------------------------------------------------ malformed ---

function bucket(id: number, type: number, items: number[]): CrushBucket {
  return {
    id,
    type,
    alg: CrushBucketAlg.STRAW2,
    hash: 0,
    weight: 0x10000 * items.length,
    size: items.length,
    items: Int32Array.from(items),
    itemWeight: 0,
    itemWeights: new Uint32Array(items.length).fill(0x10000),
    sumWeights: new Uint32Array(0),
    numNodes: 0,
    nodeWeights: new Uint32Array(0),
    straws: new Uint32Array(0),
  };
}

test('malformed MSR rules and maps (where Ceph asserts or crashes) end without throwing', (t) => {
  const base = loadMap('msr-hosts');
  const host = bucket(-2, 1, [0, 1, 2, 3]);
  const root = bucket(-1, 2, [-2, 5, -9, -3]); // a device among hosts, a missing bucket, an empty one
  const empty = bucket(-3, 1, []);
  const { TAKE, EMIT, CHOOSE_MSR, CHOOSE_FIRSTN, SET_MSR_DESCENTS } = CrushRuleOp;
  const rule = (type: number, ...s: Array<[number, number, number]>): CrushRule => ({
    mask: { ruleset: 0, type, minSize: 1, maxSize: 100 },
    steps: s.map(([op, arg1, arg2]) => ({ op, arg1, arg2 })),
  });
  const F = CrushRuleType.MSR_FIRSTN;
  const I = CrushRuleType.MSR_INDEP;
  const m: CrushMap = {
    ...base,
    buckets: [root, host, empty],
    maxBuckets: 3,
    maxDevices: 6,
    rules: [
      rule(F, [TAKE, 3, 0], [EMIT, 0, 0]), // Ceph emits the device until it asserts
      rule(I, [TAKE, -1, 0], [CHOOSE_MSR, 0, 1], [CHOOSE_MSR, 1, 0], [EMIT, 0, 0]),
      rule(F, [TAKE, -1, 0], [CHOOSE_FIRSTN, 0, 0], [EMIT, 0, 0]), // classic op: invalid
      rule(F, [TAKE, -1, 0], [EMIT, 0, 0]), // no choose step: Ceph asserts
      rule(I, [TAKE, -7, 0], [CHOOSE_MSR, 2, 0], [EMIT, 0, 0]), // missing root
      rule(I, [TAKE, -1, 0], [CHOOSE_MSR, 2, 1], [EMIT, 0, 0]), // ends on a host
      rule(F, [SET_MSR_DESCENTS, 0, 0], [TAKE, -1, 0], [CHOOSE_MSR, 2, 0], [EMIT, 0, 0]),
      rule(I, [TAKE, -1, 0], [CHOOSE_MSR, -3, 1], [CHOOSE_MSR, 0x7fffffff, 0], [EMIT, 0, 0]),
      rule(F, [TAKE, -1, 0], [CHOOSE_MSR, 2, 0]), // no emit
    ],
    maxRules: 9,
  };
  const w = [0x10000, 0x10000, 0, 0x10000, 0x10000, 0x10000];
  for (let x = 0; x < 100; x++) {
    t.deepEqual(crushDoRule(m, 0, x, 3, w), [3]);
    const r1 = crushDoRule(m, 1, x, 3, w);
    t.is(r1.length, 3);
    t.true(
      r1.every((o) => o === CRUSH_ITEM_NONE || [0, 1, 3].includes(o)),
      fmt(r1),
    );
    t.deepEqual(crushDoRule(m, 2, x, 3, w), []);
    t.deepEqual(crushDoRule(m, 3, x, 3, w), []);
    t.deepEqual(crushDoRule(m, 4, x, 3, w), [CRUSH_ITEM_NONE, CRUSH_ITEM_NONE, CRUSH_ITEM_NONE]);
    t.deepEqual(crushDoRule(m, 5, x, 3, w), [CRUSH_ITEM_NONE, CRUSH_ITEM_NONE, CRUSH_ITEM_NONE]);
    t.deepEqual(crushDoRule(m, 6, x, 3, w), []);
    t.true(crushDoRule(m, 7, x, 3, w).every((o) => o === CRUSH_ITEM_NONE || [0, 1, 3].includes(o)));
    t.deepEqual(crushDoRule(m, 8, x, 3, w), []);
  }
});
