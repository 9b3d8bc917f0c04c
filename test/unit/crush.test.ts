// CRUSH: decode of maps written by crushtool / a live Pacific cluster, and mappings
// compared with `crushtool --test --show-mappings` (16.2.15) for every recorded x.
// Fixtures: scripts/make-crush-fixtures.sh.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { Decoder } from '../../src/encoding/decoder.js';
import { Encoder } from '../../src/encoding/encoder.js';
import { CephError, DecodeError } from '../../src/encoding/errno.js';
import { decodeCrushMap, decodeCrushMapBuffer } from '../../src/rados/crush/decode.js';
import { crushHash32_2, crushHash32_3, crushHash32_4, crushHash32_5, CRUSH_HASH_SEED } from '../../src/rados/crush/hash.js';
import { crushLn, straw2Ln } from '../../src/rados/crush/ln.js';
import { chooseArgsFor, crushDoRule, crushDoRuleInto, findRule } from '../../src/rados/crush/mapper.js';
import { CRUSH_ITEM_NONE, CrushBucketAlg, CrushRuleOp, LEGACY_TUNABLES, type CrushBucket, type CrushMap, type CrushRule } from '../../src/rados/crush/types.js';
import { checkMappings, fmt, mappingFixtures as listMappingFixtures, testerWeights } from '../helpers/crushtool.js';

const FIX = new URL('../../fixtures/crush/', import.meta.url);
const readFix = (name: string): Buffer => readFileSync(new URL(name, FIX));
const loadMap = (name: string): CrushMap => decodeCrushMapBuffer(readFix(`${name}.bin`));

// ------------------------------------------------------------------ crushtool oracle ---

const mappingFixtures = listMappingFixtures(FIX);

test('fixtures: every map the script makes has recorded mappings', (t) => {
  for (const n of [
    'hier-straw2',
    'straw-v0',
    'straw-v1',
    'mixed-algs',
    'mixed-algs-legacy',
    'choose-args',
    'choose-args-default',
    'live-pacific',
    'live-pacific-rich',
    'take-device',
    'take-device-50',
  ]) {
    t.true(mappingFixtures.includes(n), n);
  }
  t.is(mappingFixtures.filter((n) => n.startsWith('hier-straw2-cut')).length, 7);
});

for (const name of mappingFixtures) {
  test(`crushtool --show-mappings: ${name}`, (t) => {
    const r = checkMappings(loadMap(name), FIX, name);
    t.deepEqual(r.mismatches, [], name);
    t.true(r.total >= 20, `${r.total} mappings`);
    t.log(`${r.total} mappings equal to crushtool's`);
  });
}

test('crushDoRuleInto writes what crushDoRule returns', (t) => {
  const map = loadMap('hier-straw2');
  const w = testerWeights(map, new Map([[4, 0]]));
  const out = new Int32Array(6);
  for (let x = 0; x < 500; x++) {
    const n = crushDoRuleInto(out, map, 1, x, 6, w);
    t.deepEqual(Array.from(out.subarray(0, n)), crushDoRule(map, 1, x, 6, w));
  }
});

// ------------------------------------------------------------------ decode ---

test('decode: straw2 hierarchy compiled by crushtool', (t) => {
  const m = loadMap('hier-straw2');
  // crushtool sizes the bucket array in steps: 12 buckets, 4 empty slots
  t.is(m.maxBuckets, 16);
  t.is(m.buckets.filter(Boolean).length, 12);
  t.deepEqual(
    [...m.typeMap],
    [
      [0, 'osd'],
      [1, 'host'],
      [2, 'rack'],
      [3, 'root'],
    ],
  );
  const root = m.buckets[0]!;
  t.is(root.id, -1);
  t.is(root.alg, CrushBucketAlg.STRAW2);
  t.is(root.size, 3);
  t.is(m.nameMap.get(-1), 'default');
  t.is(m.nameMap.get(40), 'osd.40');
  // osd.40 is declared but in no bucket: max_devices comes from name_map
  t.is(m.maxDevices, 41);
  for (const b of m.buckets) {
    if (!b) continue;
    t.is(b.id, -1 - m.buckets.indexOf(b));
    t.is(b.itemWeights.length, b.size);
    // a straw2 bucket's weight is the sum of its items' weights
    t.is(
      b.weight,
      b.itemWeights.reduce((a, v) => a + v, 0),
    );
  }
  t.is(m.rules.length, 7);
  t.deepEqual(m.rules[1]!.mask, { ruleset: 1, type: 3, minSize: 3, maxSize: 10 });
  t.deepEqual(
    m.rules[1]!.steps.map((s) => s.op),
    [CrushRuleOp.SET_CHOOSELEAF_TRIES, CrushRuleOp.SET_CHOOSE_TRIES, CrushRuleOp.TAKE, CrushRuleOp.CHOOSELEAF_INDEP, CrushRuleOp.EMIT],
  );
  t.is(m.ruleNameMap.get(4), 'multi_take');
  t.deepEqual(m.tunables, {
    chooseLocalTries: 0,
    chooseLocalFallbackTries: 0,
    chooseTotalTries: 50,
    chooseleafDescendOnce: 1,
    chooseleafVaryR: 1,
    strawCalcVersion: 1,
    allowedBucketAlgs: 54,
    chooseleafStable: 1,
  });
  t.is(m.classMap.size, 0);
  t.is(m.chooseArgs.size, 0);
});

test('decode: uniform, list, tree and straw buckets carry their per-algorithm data', (t) => {
  const m = loadMap('mixed-algs');
  const byAlg = (alg: number) => m.buckets.filter((b): b is CrushBucket => b?.alg === alg);
  const uni = byAlg(CrushBucketAlg.UNIFORM);
  t.true(uni.length > 0);
  for (const b of uni) t.is(b.weight, b.itemWeight * b.size);
  for (const b of byAlg(CrushBucketAlg.LIST)) {
    t.is(b.sumWeights.length, b.size);
    // sum_weights[i] = item_weights[0..i]
    let s = 0;
    for (let i = 0; i < b.size; i++) t.is(b.sumWeights[i], (s += b.itemWeights[i]!));
  }
  const trees = byAlg(CrushBucketAlg.TREE);
  t.true(trees.length >= 5);
  for (const b of trees) {
    t.is(b.nodeWeights.length, b.numNodes);
    t.is(b.nodeWeights[b.numNodes >> 1], b.weight); // the root node holds the total
  }
  const straw = loadMap('straw-v1').buckets.filter((b): b is CrushBucket => b?.alg === CrushBucketAlg.STRAW);
  t.true(straw.length > 0);
  for (const b of straw) t.is(b.straws.length, b.size);
  t.is(loadMap('mixed-algs-legacy').tunables.chooseLocalFallbackTries, 5);
});

test('decode: live Pacific map with device classes, an erasure rule and a compat weight set', (t) => {
  const plain = loadMap('live-pacific');
  t.is(plain.maxDevices, 3);
  t.is(plain.className.get(0), 'hdd');
  // devices and the shadow buckets have class 0
  t.deepEqual(
    [...plain.classMap].sort((a, b) => a[0] - b[0]),
    [
      [-4, 0],
      [-2, 0],
      [0, 0],
      [1, 0],
      [2, 0],
    ],
  );
  // shadow buckets: default~hdd (-2) and the host's (-4)
  t.deepEqual(
    [...plain.classBucket].map(([b, m]) => [b, [...m]]),
    [
      [-3, [[0, -4]]],
      [-1, [[0, -2]]],
    ],
  );
  t.is(plain.nameMap.get(-2), 'default~hdd');

  const m = loadMap('live-pacific-rich');
  t.is(m.rules.length, 3);
  t.deepEqual(m.rules[2]!.mask, { ruleset: 2, type: 3, minSize: 3, maxSize: 3 });
  t.is(m.rules[1]!.steps[0]!.arg1, -2); // take default class hdd = the shadow root
  t.deepEqual([...m.chooseArgs.keys()], [-1n]);
  const args = m.chooseArgs.get(-1n)!;
  t.is(args.length, m.maxBuckets);
  const host = args[2]!; // bucket -3
  t.is(host.weightSet.length, 1);
  const items = Array.from(m.buckets[2]!.items);
  const ws = host.weightSet[0]!;
  // reweight-compat osd.0 0.002, osd.2 0.006 (16.16 fixed point, rounded by the mon)
  t.is(Math.round((ws[items.indexOf(0)]! / 0x10000) * 1000), 2);
  t.is(Math.round((ws[items.indexOf(2)]! / 0x10000) * 1000), 6);
  t.is(host.ids, undefined);
  t.is(chooseArgsFor(m, 1), args); // any pool falls back to the default
});

test('decode: choose_args with several positions and replacement ids', (t) => {
  const m = loadMap('choose-args');
  t.deepEqual([...m.chooseArgs.keys()].sort(), [-1n, 0n]);
  const a0 = m.chooseArgs.get(0n)!;
  const h = a0[2]!; // host -3
  t.is(h.weightSet.length, 3);
  t.deepEqual(Array.from(h.ids!), [970, 971]);
  t.deepEqual(Array.from(a0[0]!.ids!), [-101, -102, -103]);
  t.is(chooseArgsFor(m, 0), a0);
  t.is(chooseArgsFor(m, 7), m.chooseArgs.get(-1n));
  t.is(chooseArgsFor(loadMap('hier-straw2'), 0), undefined);
});

test('decode: maps that end early keep the legacy values of what is missing', (t) => {
  const full = loadMap('hier-straw2').tunables;
  const cut = (n: number) => loadMap(`hier-straw2-cut${n}`);
  t.deepEqual(cut(39).tunables, LEGACY_TUNABLES);
  t.deepEqual(cut(27).tunables, { ...LEGACY_TUNABLES, chooseLocalTries: 0, chooseLocalFallbackTries: 0, chooseTotalTries: 50 });
  t.deepEqual(cut(23).tunables, { ...LEGACY_TUNABLES, chooseLocalTries: 0, chooseLocalFallbackTries: 0, chooseTotalTries: 50, chooseleafDescendOnce: 1 });
  t.deepEqual(cut(22).tunables, { ...full, strawCalcVersion: 0, allowedBucketAlgs: LEGACY_TUNABLES.allowedBucketAlgs, chooseleafStable: 0 });
  t.deepEqual(cut(17).tunables, { ...full, chooseleafStable: 0 });
  t.deepEqual(cut(16).tunables, full);
  t.deepEqual(cut(4).tunables, full);
  t.is(cut(4).chooseArgs.size, 0);
  // a cut inside a group is an error, as in C++ (the group is read whole)
  const bin = readFix('hier-straw2.bin');
  t.throws(() => decodeCrushMapBuffer(bin.subarray(0, bin.length - 39 + 5)), { instanceOf: DecodeError });
});

test('decode: max_devices is recomputed as CrushWrapper::finalize does', (t) => {
  // crushtool: [7] for "take osd.7" (named, in no bucket); with max_devices patched to 100
  // a take of device 50 is ignored (the fixture mappings check the results)
  const a = loadMap('take-device');
  const b = loadMap('take-device-50');
  t.is(a.maxDevices, 8);
  t.is(b.encodedMaxDevices, 100);
  t.is(b.maxDevices, 8);
});

test('decode: bad magic, unknown algorithm, impossible counts → DecodeError', (t) => {
  const good = readFix('hier-straw2.bin');
  const bad = Buffer.from(good);
  bad.writeUInt32LE(0x10001, 0);
  t.throws(() => decodeCrushMapBuffer(bad), { instanceOf: DecodeError, message: /magic/ });
  const alg = Buffer.from(good);
  alg.writeUInt32LE(9, 16); // first bucket's alg
  t.throws(() => decodeCrushMapBuffer(alg), { instanceOf: DecodeError, message: /algorithm/ });
  const many = Buffer.from(good);
  many.writeInt32LE(0x7fffffff, 4); // max_buckets
  t.throws(() => decodeCrushMapBuffer(many), { instanceOf: DecodeError });
  const neg = Buffer.from(good);
  neg.writeInt32LE(-5, 4);
  t.throws(() => decodeCrushMapBuffer(neg), { instanceOf: DecodeError });
  // decodeCrushMap reads from a Decoder and leaves it after the map
  const d = new Decoder(Buffer.concat([good]), 0, good.length);
  t.is(decodeCrushMap(d).maxBuckets, 16);
  t.true(d.done);
});

test('decode: 64-bit name-map keys (decode_32_or_64_string_map)', (t) => {
  // a map with no buckets/rules and a type_map entry written with a 64-bit key
  const b: number[] = [];
  const u32 = (v: number) => b.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  u32(0x10000);
  u32(0);
  u32(0);
  u32(0);
  u32(1); // type_map: 1 entry
  u32(5); // key low half
  u32(0); // key high half (read as a zero length)
  u32(4); // the real length
  b.push(...Buffer.from('rack'));
  u32(0);
  u32(0);
  const m = decodeCrushMapBuffer(Buffer.from(b));
  t.deepEqual([...m.typeMap], [[5, 'rack']]);
  t.deepEqual(m.tunables, LEGACY_TUNABLES);
  t.is(m.maxDevices, 0);
});

// ------------------------------------------------------------------ hash and ln ---

/** The rjenkins1 hash written generically (array state, one mix function). */
function refHash(...args: number[]): number {
  const mix = (s: Uint32Array, a: number, b: number, c: number) => {
    s[a] = s[a]! - s[b]! - s[c]!;
    s[a] = s[a]! ^ (s[c]! >>> 13);
    s[b] = s[b]! - s[c]! - s[a]!;
    s[b] = s[b]! ^ (s[a]! << 8);
    s[c] = s[c]! - s[a]! - s[b]!;
    s[c] = s[c]! ^ (s[b]! >>> 13);
    s[a] = s[a]! - s[b]! - s[c]!;
    s[a] = s[a]! ^ (s[c]! >>> 12);
    s[b] = s[b]! - s[c]! - s[a]!;
    s[b] = s[b]! ^ (s[a]! << 16);
    s[c] = s[c]! - s[a]! - s[b]!;
    s[c] = s[c]! ^ (s[b]! >>> 5);
    s[a] = s[a]! - s[b]! - s[c]!;
    s[a] = s[a]! ^ (s[c]! >>> 3);
    s[b] = s[b]! - s[c]! - s[a]!;
    s[b] = s[b]! ^ (s[a]! << 10);
    s[c] = s[c]! - s[a]! - s[b]!;
    s[c] = s[c]! ^ (s[b]! >>> 15);
  };
  // slots: 0..4 = a..e, 5 = x, 6 = y, 7 = hash
  const s = new Uint32Array(8);
  args.forEach((v, i) => (s[i] = v));
  s[5] = 231232;
  s[6] = 1232;
  s[7] = args.reduce((h, v) => h ^ v, CRUSH_HASH_SEED);
  const [A, B, C, D, E, X, Y, H] = [0, 1, 2, 3, 4, 5, 6, 7];
  const seq: Record<number, number[][]> = {
    2: [
      [A, B],
      [X, A],
      [B, Y],
    ],
    3: [
      [A, B],
      [C, X],
      [Y, A],
      [B, X],
      [Y, C],
    ],
    4: [
      [A, B],
      [C, D],
      [A, X],
      [Y, B],
      [C, X],
      [Y, D],
    ],
    5: [
      [A, B],
      [C, D],
      [E, X],
      [Y, A],
      [B, X],
      [Y, C],
      [D, X],
      [Y, E],
    ],
  };
  for (const [p, q] of seq[args.length]!) mix(s, p!, q!, H);
  return s[H]!;
}

test('hash: rjenkins1 vectors and a generic re-implementation', (t) => {
  t.is(crushHash32_2(0, 0), 0x19ad4ce9);
  t.is(crushHash32_2(1, 2), 0xb78dee9c);
  t.is(crushHash32_2(6, 1), 0xd77484f9);
  t.is(crushHash32_3(1, 2, 3), 0x735ad42b);
  t.is(crushHash32_4(1, 2, 3, 4), 0x696d1f16);
  let s = 12345;
  const rnd = () => {
    s = (Math.imul(s, 1103515245) + 12345) | 0;
    return Math.imul(s, 2654435761) | 0; // signed and unsigned-looking inputs alike
  };
  for (let i = 0; i < 2000; i++) {
    const [a, b, c, d, e] = [rnd(), rnd(), rnd(), rnd(), rnd()];
    t.is(crushHash32_2(a, b), refHash(a >>> 0, b >>> 0));
    t.is(crushHash32_3(a, b, c), refHash(a >>> 0, b >>> 0, c >>> 0));
    t.is(crushHash32_4(a, b, c, d), refHash(a >>> 0, b >>> 0, c >>> 0, d >>> 0));
    t.is(crushHash32_5(a, b, c, d, e), refHash(a >>> 0, b >>> 0, c >>> 0, d >>> 0, e >>> 0));
  }
});

test('crush_ln: reference vectors, monotone, close to 2^44·log2(u+1)', (t) => {
  t.is(crushLn(0), 0);
  t.is(crushLn(1), 0x1000_0000_0000);
  t.is(crushLn(0x7fff), 0xf000_0000_0000);
  t.is(crushLn(0x8000), 0xf000_2e2a_60a0);
  t.is(crushLn(0xfffe), 0xffff_fd61_ad10);
  t.is(crushLn(0xffff), 0xffff_f000_0000);
  let prev = -1;
  for (let u = 0; u < 0x10000; u++) {
    const v = crushLn(u);
    t.true(Number.isSafeInteger(v));
    // the tables make it increasing except for the very last step (0xfffe → 0xffff)
    if (v < prev && u !== 0xffff) t.fail(`crush_ln(${u}) < crush_ln(${u - 1})`);
    prev = v;
    if (straw2Ln(u) !== v - 2 ** 48 || straw2Ln(u) >= 0) t.fail(`straw2 ln at ${u}`);
    const ideal = 2 ** 44 * Math.log2(u + 1);
    if (Math.abs(v - ideal) > 2 ** 44 * 2e-4) t.fail(`crush_ln(${u}) = ${v}, ideal ${ideal}`);
  }
});

test('straw2 draw: double division truncates exactly like s64 division', (t) => {
  // 16.16 weights, including ones C passes as negative ints (>= 2^31)
  const weights = [1, 3, 0x10000, 0x18000, 0x9999, 0x7fffffff, 0x80000000, 0xfffeffff, 0xffffffff, 12345678];
  for (const w of weights) {
    const sw = w | 0;
    const bw = BigInt(sw);
    for (let u = 0; u < 0x10000; u += 7) {
      const ln = straw2Ln(u);
      const exact = Number(BigInt(ln) / bw); // BigInt division truncates toward zero
      if (Math.trunc(ln / sw) !== exact) t.fail(`u ${u} w ${w}`);
    }
  }
  t.pass();
});

// ------------------------------------------------------------------ rules ---

test('findRule: first rule matching ruleset, type and size bounds (Pacific masks)', (t) => {
  const m = loadMap('live-pacific-rich');
  t.is(findRule(m, 0, 1, 3), 0);
  t.is(findRule(m, 2, 3, 3), 2);
  t.is(findRule(m, 2, 3, 4), -1); // ec_rule has min_size = max_size = 3
  t.is(findRule(m, 2, 1, 3), -1); // wrong type
  t.is(findRule(m, 0, 1, 11), -1); // max_size 10
  t.is(findRule(m, 9, 1, 3), -1);
  // rulesets that differ from rule ids (pre-Luminous maps): the first match wins
  const rule = (ruleset: number, minSize: number, maxSize: number): CrushRule => ({ mask: { ruleset, type: 1, minSize, maxSize }, steps: [] });
  const legacy: CrushMap = { ...m, rules: [rule(3, 1, 2), undefined, rule(3, 3, 10), rule(0, 1, 10)], maxRules: 4 };
  t.is(findRule(legacy, 3, 1, 2), 0);
  t.is(findRule(legacy, 3, 1, 5), 2);
  t.is(findRule(legacy, 0, 1, 5), 3);
});

/** a map built by hand (for malformed structures crushtool would not write) */
function handMap(buckets: (CrushBucket | undefined)[], rules: CrushRule[], maxDevices = 4): CrushMap {
  const base = loadMap('take-device');
  return { ...base, buckets, maxBuckets: buckets.length, rules, maxRules: rules.length, maxDevices };
}

function bucket(id: number, type: number, items: number[], alg: number = CrushBucketAlg.STRAW2, extra: Partial<CrushBucket> = {}): CrushBucket {
  return {
    id,
    type,
    alg: alg as CrushBucket['alg'],
    hash: 0,
    weight: 0x10000 * items.length,
    size: items.length,
    items: Int32Array.from(items),
    itemWeight: 0x10000,
    itemWeights: new Uint32Array(items.length).fill(0x10000),
    sumWeights: Uint32Array.from(items, (_, i) => 0x10000 * (i + 1)),
    numNodes: 0,
    nodeWeights: new Uint32Array(0),
    straws: new Uint32Array(items.length).fill(0x10000),
    ...extra,
  };
}

const steps = (...s: Array<[number, number, number]>): CrushRule => ({
  mask: { ruleset: 0, type: 1, minSize: 1, maxSize: 10 },
  steps: s.map(([op, arg1, arg2]) => ({ op, arg1, arg2 })),
});
const { TAKE, EMIT, CHOOSE_FIRSTN, CHOOSE_INDEP, CHOOSELEAF_FIRSTN, CHOOSELEAF_INDEP } = CrushRuleOp;
const IN = [0x10000, 0x10000, 0x10000, 0x10000];

test('malformed rules and maps do not crash or hang crushDoRule', (t) => {
  const host = bucket(-2, 1, [0, 1, 2, 3]);
  const root = bucket(-1, 2, [-2, -7, -3]); // -7: no such bucket; -3: empty slot
  const m = handMap(
    [root, host, undefined],
    [
      steps([TAKE, -50, 0], [CHOOSE_FIRSTN, 0, 0], [EMIT, 0, 0]), // missing bucket: take ignored
      steps([TAKE, -1, 0], [CHOOSELEAF_FIRSTN, 0, 1], [EMIT, 0, 0]),
      steps([TAKE, -1, 0], [CHOOSELEAF_INDEP, 0, 1], [EMIT, 0, 0]),
      steps([TAKE, 2, 0], [CHOOSE_FIRSTN, 0, 0], [EMIT, 0, 0]), // choose from a device: skipped
      steps([TAKE, -3, 0], [EMIT, 0, 0]), // hole: take ignored
      steps([TAKE, -1, 0], [CHOOSE_FIRSTN, 0x7fffffff, 0], [EMIT, 0, 0]),
      steps([TAKE, -1, 0], [CHOOSE_INDEP, -0x80000000, 0], [EMIT, 0, 0]),
      steps([99, 1, 2], [TAKE, 1, 0], [EMIT, 0, 0]), // unknown op ignored
    ],
  );
  for (let x = 0; x < 200; x++) {
    t.deepEqual(crushDoRule(m, 0, x, 3, IN), []);
    const r1 = crushDoRule(m, 1, x, 3, IN);
    t.true(r1.length <= 1 && r1.every((o) => o >= 0 && o < 4));
    const r2 = crushDoRule(m, 2, x, 3, IN);
    t.is(r2.length, 3);
    t.true(r2.every((o) => o === CRUSH_ITEM_NONE || (o >= 0 && o < 4)));
    t.deepEqual(crushDoRule(m, 3, x, 3, IN), []);
    t.deepEqual(crushDoRule(m, 4, x, 3, IN), []);
    t.true(crushDoRule(m, 5, x, 3, IN).length <= 3);
    t.deepEqual(crushDoRule(m, 6, x, 3, IN), []);
    t.deepEqual(crushDoRule(m, 7, x, 3, IN), [1]);
  }
  t.deepEqual(crushDoRule(m, 8, 1, 3, IN), []); // no such rule
  t.deepEqual(crushDoRule(m, -1, 1, 3, IN), []);
  t.deepEqual(crushDoRule(m, 1, 1, 0, IN), []);
  t.throws(() => crushDoRule(m, 1, 1, 1 << 20, IN), { instanceOf: CephError });
});

test('fuzz case: a rule that would retry for minutes is refused with EINVAL', (t) => {
  // test/unit/fuzz.test.ts (crush.do-rule, seed 7, case 2009): hier-straw2-cut23 with rule 2's
  // `chooseleaf firstn 2` made `chooseleaf firstn 4194304` (the u32 at 704). As in C, every rep
  // that finds nothing costs choose_total_tries descents: about 2^28 of them for one x.
  const b = readFix('hier-straw2-cut23.bin');
  t.is(b.readUInt32LE(700), CHOOSELEAF_FIRSTN);
  t.is(b.readUInt32LE(704), 2);
  const weights = new Array<number>(256).fill(0x10000);
  const x = 0x3c6ef362;
  t.is(crushDoRule(decodeCrushMapBuffer(b), 2, x, 3, weights).length, 3);
  const bad = Buffer.from(b);
  bad.writeUInt32LE(0x400000, 704);
  const m = decodeCrushMapBuffer(bad);
  const t0 = Date.now();
  const e = t.throws(() => crushDoRule(m, 2, x, 3, weights), { instanceOf: CephError });
  t.is(e?.code, 'EINVAL');
  t.regex(e!.message, /rule 2 makes more than 262144 bucket choices/);
  t.true(Date.now() - t0 < 1000);
});

test('decode: choose_args maps × max_buckets is bounded before anything is allocated', (t) => {
  // m empty bucket slots (4 bytes each) and k empty choose_args maps (12 bytes each): every map
  // is max_buckets long, so 200 KB asked for 20000 × 10000 slots (1.5 GiB of heap, 7 s)
  const blob = (m: number, k: number): Buffer => {
    const e = new Encoder(16 + 4 * m + 12 * k);
    e.u32(0x00010000).s32(m).u32(0).s32(0);
    for (let i = 0; i < m; i++) e.u32(0);
    e.u32(0).u32(0).u32(0); // type, name and rule name maps
    e.u32(0).u32(0).u32(0).u32(0).u8(0).u8(0).u32(0).u8(0); // tunables
    e.u32(0).u32(0).u32(0); // device classes
    e.u32(k);
    for (let i = 0; i < k; i++) e.s64(BigInt(i)).u32(0);
    return e.toBuffer();
  };
  t.is(decodeCrushMapBuffer(blob(2000, 1000)).chooseArgs.size, 1000);
  const t0 = Date.now();
  const e = t.throws(() => decodeCrushMapBuffer(blob(20000, 10000)), { instanceOf: DecodeError });
  t.regex(e!.message, /10000 choose_args maps × 20000 buckets exceed 4194304 bucket slots/);
  t.true(Date.now() - t0 < 500);
});

test('a bucket cycle, an empty tree and a type-0 bucket end instead of spinning', (t) => {
  const a = bucket(-1, 3, [-2]);
  const b = bucket(-2, 2, [-1, -3]);
  const tree = bucket(-3, 2, [0, 1], CrushBucketAlg.TREE, { numNodes: 0 });
  const zero = bucket(-4, 0, [2]); // a bucket of the device type
  const top = bucket(-5, 4, [-4]);
  const m = handMap(
    [a, b, tree, zero, top],
    [
      steps([TAKE, -1, 0], [CHOOSELEAF_FIRSTN, 0, 1], [EMIT, 0, 0]),
      steps([TAKE, -1, 0], [CHOOSE_INDEP, 0, 0], [EMIT, 0, 0]),
      steps([TAKE, -3, 0], [CHOOSE_FIRSTN, 0, 0], [EMIT, 0, 0]),
      steps([TAKE, -5, 0], [CHOOSE_FIRSTN, 0, 0], [EMIT, 0, 0]),
    ],
  );
  for (let x = 0; x < 50; x++) {
    t.true(crushDoRule(m, 0, x, 3, IN).length <= 3);
    t.true(crushDoRule(m, 1, x, 3, IN).every((o) => o === CRUSH_ITEM_NONE || (o >= 0 && o < 4)));
    t.deepEqual(crushDoRule(m, 2, x, 3, IN), []);
    t.deepEqual(crushDoRule(m, 3, x, 3, IN), []);
  }
});

test('is_out: partial reweights keep a device for the x whose hash is below the weight', (t) => {
  const host = bucket(-1, 1, [0]);
  const m = handMap([host], [steps([TAKE, -1, 0], [CHOOSE_FIRSTN, 1, 0], [EMIT, 0, 0])], 1);
  let kept = 0;
  for (let x = 0; x < 4000; x++) {
    const got = crushDoRule(m, 0, x, 1, [0x4000]);
    const want = (crushHash32_2(x, 0) & 0xffff) < 0x4000 ? [0] : [];
    t.deepEqual(got, want);
    kept += got.length;
  }
  t.true(kept > 800 && kept < 1200, `${kept}`);
  t.deepEqual(crushDoRule(m, 0, 1, 1, []), []); // past the weight vector: out
});

// ------------------------------------------------------------------ fuzz ---

function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/**
 * A mapping costs up to (reps asked for) × tries × retries, all read from the map, as in
 * Ceph: a mutated "choose firstn 8060930" spins for a minute there too. Only maps whose
 * counts are sane are mapped here.
 */
function saneForMapping(m: CrushMap): boolean {
  const t = m.tunables;
  if (t.chooseTotalTries > 200 || t.chooseLocalTries > 50 || t.chooseLocalFallbackTries > 50) return false;
  for (const b of m.buckets) if (b && b.size > 200) return false;
  for (const r of m.rules) {
    if (!r) continue;
    for (const s of r.steps) {
      if (s.op >= CrushRuleOp.CHOOSE_FIRSTN && s.op <= CrushRuleOp.CHOOSELEAF_INDEP && s.op !== CrushRuleOp.EMIT && s.arg1 > 64) return false;
      if (s.op >= CrushRuleOp.SET_CHOOSE_TRIES && s.op <= CrushRuleOp.SET_CHOOSE_LOCAL_FALLBACK_TRIES && s.arg1 > 200) return false;
    }
  }
  return true;
}

test('fuzz: truncated and mutated CRUSH blobs raise only DecodeError; mapping them never throws', (t) => {
  const next = rng(0x5eed);
  const names = ['hier-straw2', 'mixed-algs', 'straw-v0', 'choose-args', 'live-pacific-rich', 'take-device'];
  let decoded = 0;
  let mapped = 0;
  let cases = 0;
  const check = (buf: Buffer) => {
    cases++;
    let m: CrushMap;
    try {
      m = decodeCrushMapBuffer(buf);
    } catch (e) {
      if (!(e instanceof DecodeError)) t.fail(`${(e as Error).constructor.name}: ${(e as Error).message}`);
      return;
    }
    decoded++;
    if (!saneForMapping(m)) return;
    const w = new Array(Math.min(m.maxDevices, 4096)).fill(0x10000);
    const args = chooseArgsFor(m, 0);
    for (let r = 0; r < Math.min(m.rules.length, 12); r++) {
      for (let x = 0; x < 3; x++) {
        const out = crushDoRule(m, r, x, 6, w, args);
        if (out.length > 6 || out.some((o) => o !== CRUSH_ITEM_NONE && !(o >= 0 && o < m.maxDevices) && !(o < 0 && m.buckets[-1 - o]))) {
          t.fail(`rule ${r} x ${x}: ${fmt(out)}`);
        }
        mapped++;
      }
    }
  };
  for (const name of names) {
    const good = readFix(`${name}.bin`);
    for (let n = 0; n < good.length; n++) check(good.subarray(0, n));
    for (let i = 0; i < 1500; i++) {
      const b = Buffer.from(good);
      const k = 1 + next(4);
      for (let j = 0; j < k; j++) {
        const at = next(b.length);
        if (next(3) === 0) b[at] = next(256);
        else b[at] = b[at]! ^ (1 << next(8));
      }
      check(b);
    }
  }
  for (let i = 0; i < 500; i++) {
    const b = Buffer.alloc(4 + next(200));
    for (let j = 0; j < b.length; j++) b[j] = next(256);
    b.writeUInt32LE(0x10000, 0);
    check(b);
  }
  t.true(cases > 20_000, `${cases} cases`);
  t.log(`${cases} blobs, ${decoded} decoded, ${mapped} mappings of mutated maps`);
});
