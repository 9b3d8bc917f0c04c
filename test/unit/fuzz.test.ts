// Mutated inputs for every decoder of bytes from the network or a file (the targets of
// test/helpers/fuzz-targets.ts: msgr2 frames, cephx, mon messages, OSDMaps and CRUSH maps,
// OSD replies, cls replies, rbd payloads, ceph.conf and keyrings). The only thing that may
// escape is the project's CephError (DecodeError for malformed bytes); a crash, a CephError
// caused by a TypeError or RangeError, a case slower than a second or an absurd allocation
// fails the group's test with the target's name and the input as hex.
//
// 100,000 cases by default, spread over the targets by weight (RBD_TS_FUZZ_CASES overrides,
// RBD_TS_FUZZ_SEED picks another random stream); `npm run fuzz` runs a million.

import test from 'ava';
import { DecodeError, cephError } from '../../src/encoding/errno.js';
import { formatFailures, fuzzAll, fuzzTargets, groupOf, spread, type FuzzTarget } from '../helpers/fuzz-targets.js';

const TOTAL = Number(process.env['RBD_TS_FUZZ_CASES'] ?? 100_000);
const SEED = Number(process.env['RBD_TS_FUZZ_SEED'] ?? 1);

const targets = fuzzTargets();
const perTarget = spread(TOTAL, targets);
const groups = new Map<string, number>();
targets.forEach((t, i) => groups.set(groupOf(t), (groups.get(groupOf(t)) ?? 0) + perTarget[i]!));

test('every decoder has a target, and every target real seeds', (t) => {
  const names = new Set(targets.map((x) => x.name));
  t.is(names.size, targets.length, 'target names are unique');
  for (const name of [
    'msgr2.frames-crc',
    'msgr2.frames-secure-plaintext',
    'msgr2.header2',
    'cephx.pacific-auth-done',
    'cephx.tentacle-authorizer-reply-plaintext',
    'mon.monmap',
    'mon.mauth-reply',
    'mon.command-ack',
    'mon.get-version-reply',
    'osdmap.mosdmap',
    'osdmap.full',
    'osdmap.incremental',
    'osdmap.pg-pool',
    'crush.map',
    'osd.op-reply',
    'osd.backoff',
    'osd.watch-notify',
    'osd.notify-complete',
    'osd.pgnls',
    'osd.list-watchers',
    'cls.rbd-get_id',
    'cls.rbd-dir_list',
    'cls.rbd-snapshot_get',
    'cls.rbd-parent_get',
    'cls.rbd-children_list',
    'cls.rbd-metadata_list',
    'cls.rbd-object_map_load',
    'cls.lock-get-info',
    'rbd.bit-vector',
    'rbd.notify-message',
    'config.ceph-conf',
    'config.keyring',
    'config.keyring-binary',
  ]) {
    t.true(names.has(name), `a target for ${name}`);
  }
  for (const x of targets) t.true(x.seeds.length > 0, `${x.name} has seeds`);
});

test.serial('the driver reports crashes, masked crashes, slow cases and huge allocations with their input', async (t) => {
  const seed = Buffer.from('00010203', 'hex');
  const fake = (name: string, run: FuzzTarget['run']): FuzzTarget => ({ name, seeds: [seed], run: (b) => (b.equals(seed) ? undefined : run(b)) });
  let slowOnce = false;
  const r = await fuzzAll(40, 1, {
    targets: [
      fake('t.typed', () => {
        throw cephError('EINVAL', 'refused');
      }),
      fake('t.crash', (b) => void b.readUInt32LE(b.length)),
      fake('t.masked', () => {
        throw new DecodeError('wrapped', 0, 'x', new TypeError('x is undefined'));
      }),
      fake('t.slow', () => {
        if (slowOnce) return;
        slowOnce = true;
        const end = Date.now() + 1100;
        while (Date.now() < end);
      }),
      fake('t.alloc', () => void Buffer.alloc(72 << 20, 1)),
    ],
  });
  t.deepEqual(r.seedErrors, []);
  t.is(r.targets.get('t.typed')!.typed, 8);
  const kinds = new Map(r.failures.map((f) => [f.target, f]));
  t.is(kinds.get('t.typed'), undefined);
  t.is(kinds.get('t.crash')?.kind, 'crash');
  t.regex(kinds.get('t.crash')!.error, /^RangeError/);
  t.is(kinds.get('t.masked')?.kind, 'masked');
  t.is(kinds.get('t.slow')?.kind, 'slow');
  t.is(kinds.get('t.alloc')?.kind, 'alloc');
  // each failure carries an input that reproduces it
  for (const f of r.failures) t.true(f.hex.length > 0 && f.hex !== '00010203', f.target);
  t.is(kinds.get('t.slow')?.count, 1);
});

for (const [group, cases] of groups) {
  test.serial(`${group}: ${cases} mutated inputs raise only CephError`, async (t) => {
    const r = await fuzzAll(cases, SEED, { only: [group] });
    t.deepEqual(r.seedErrors, [], 'every seed decodes as it is');
    t.is(r.cases, cases);
    for (const [name, s] of r.targets) {
      t.is(s.ok + s.typed, s.cases, name);
      // the mutations reach both outcomes: some inputs still decode, some are refused
      if (s.cases >= 200 && !/option-|entity-name|lock-cookie|session-reset|ident-missing|control-ack/.test(name)) {
        t.true(s.ok > 0 && s.typed > 0, `${name}: ${s.ok} ok, ${s.typed} refused`);
      }
    }
    t.log(`${r.cases} cases over ${r.targets.size} targets in ${(r.ms / 1000).toFixed(1)} s`);
    if (r.failures.length) t.fail(`${r.failures.length} failing inputs (seed ${SEED}):\n${formatFailures(r.failures, 4000)}`);
  });
}
