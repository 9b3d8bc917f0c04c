// When an op or a watch goes out again (Objecter::_calc_target), and whether a client address
// is in a map's blocklist (OSDMap::is_blocklisted), on maps captured from real clusters.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { unpack } from 'msgpackr';
import { needsResend, type OpTarget } from '../../src/rados/objecter.js';
import { OSDMap } from '../../src/rados/osdmap/osdmap.js';

const base: OpTarget = {
  osd: 1,
  primary: 1,
  acting: [1, 0, 2],
  up: [1, 0, 2],
  upPrimary: 1,
  pgid: { pool: 2, seed: 3 },
  hash: 0x1234abcb,
  epoch: 40,
  size: 3,
  minSize: 2,
  pgNum: 8,
  pgNumPending: 8,
  full: false,
};
const at = (changes: Partial<OpTarget>): OpTarget => ({ ...base, epoch: 41, ...changes });

test('ops go out again on a new primary, PG or acting set, a split or merge, a forced resend, a pool turning full', (t) => {
  t.true(needsResend(undefined, base, 0, false), 'never sent');
  t.false(needsResend(base, at({}), 0, false), 'nothing changed');
  t.true(needsResend(base, at({ osd: 0, primary: 0 }), 0, false), 'primary');
  t.true(needsResend(base, at({ pgid: { pool: 2, seed: 11 } }), 0, false), 'object moved to a child PG');
  t.true(needsResend(base, at({ acting: [1, 2] }), 0, false), 'a replica left the acting set');
  // the PG keeps its seed but split (the OSD drops ops sent before last_epoch_split)
  t.true(needsResend(base, at({ pgNum: 16, pgNumPending: 16 }), 0, false), 'split');
  t.true(needsResend(base, at({ pgNumPending: 4 }), 0, false), 'merge pending');
  // pg_pool_t::last_force_op_resend after the op's epoch
  t.true(needsResend(base, at({}), 41, false), 'forced resend');
  t.false(needsResend(base, at({}), 40, false), 'forced resend the op already saw');
  // the OSD drops writes sent before the pool was marked full: they go again as FULL_TRY
  t.true(needsResend(base, at({ full: true }), 0, false), 'pool turned full');
  t.false(needsResend({ ...base, full: true }, at({ full: true }), 0, false), 'still full');
  // an up-set or size change alone is a new interval: watches go again, ops stay
  t.false(needsResend(base, at({ up: [1, 0, 3] }), 0, false));
  t.true(needsResend(base, at({ up: [1, 0, 3] }), 0, true), 'linger: up set');
  t.true(needsResend(base, at({ upPrimary: 0 }), 0, true), 'linger: up primary');
  t.true(needsResend(base, at({ size: 2 }), 0, true), 'linger: size');
  t.true(needsResend(base, at({ minSize: 1 }), 0, true), 'linger: min_size');
  t.false(needsResend(base, at({}), 0, true), 'linger: same interval');
});

interface Stage {
  name: string;
  map: Uint8Array;
}

test('blocklist entries match a client by nonce (at its IP), or its whole IP', (t) => {
  const fx = unpack(gunzipSync(readFileSync(new URL('../../fixtures/osdmap/stages.msgpack.gz', import.meta.url)))) as { stages: Stage[] };
  const withBlocklist = fx.stages.map((s) => OSDMap.decode(s.map)).find((m) => m.blocklist.size > 0);
  if (!withBlocklist) return t.fail('no captured map with a blocklist');
  const entries = [...withBlocklist.blocklist.keys()];
  t.log(entries.join(', '));
  for (const entry of entries) {
    const m = /([\d.]+):(\d+)\/(\d+)$/.exec(entry)!;
    const [, ip, port, nonce] = m;
    if (Number(nonce) === 0 && Number(port) === 0) {
      t.true(withBlocklist.isBlocklisted(12345, ip), `${entry}: the whole IP`);
      t.false(withBlocklist.isBlocklisted(12345, '10.99.99.99'));
      t.false(withBlocklist.isBlocklisted(12345, undefined), 'IP unknown');
    } else {
      t.true(withBlocklist.isBlocklisted(Number(nonce), ip), entry);
      t.true(withBlocklist.isBlocklisted(Number(nonce), undefined), `${entry}: IP unknown`);
      t.false(withBlocklist.isBlocklisted(Number(nonce), '10.99.99.99'), `${entry}: another host's client with that nonce`);
    }
  }
  t.false(withBlocklist.isBlocklisted(424242, '127.0.0.1'));
});
