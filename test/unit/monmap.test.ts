// MonMap decoding against maps fetched from real clusters (`ceph mon getmap`) of each release,
// checked field by field against the same cluster's `ceph mon dump -f json`.

import test from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { DecodeError } from '../../src/encoding/errno.js';
import { decodeMonMap, monV2Addr } from '../../src/mon/monmap.js';

interface MonDump {
  epoch: number;
  fsid: string;
  min_mon_release: number;
  auth_epoch?: number;
  auth_service_cipher?: { value: number };
  auth_allowed_ciphers?: Array<{ value: number }>;
  auth_preferred_cipher?: { value: number };
  mons: Array<{ rank: number; name: string; public_addrs: { addrvec: Array<{ type: string; addr: string; nonce: number }> } }>;
}

const fixture = (f: string) => new URL(`../../fixtures/monmap/${f}`, import.meta.url);

for (const release of ['pacific', 'reef', 'tentacle']) {
  test(`${release}: the MonMap decodes as \`ceph mon dump\` shows it`, (t) => {
    if (!existsSync(fixture(`${release}.bin`))) return t.fail(`fixtures/monmap/${release}.bin missing`);
    const bin = readFileSync(fixture(`${release}.bin`));
    const want = JSON.parse(readFileSync(fixture(`${release}.json`), 'utf8')) as MonDump;
    const m = decodeMonMap(bin);
    t.is(m.fsid, want.fsid);
    t.is(m.epoch, want.epoch);
    t.is(m.minMonRelease, want.min_mon_release);
    t.deepEqual(
      m.ranks,
      [...want.mons].sort((a, b) => a.rank - b.rank).map((x) => x.name),
    );
    for (const w of want.mons) {
      const v2 = w.public_addrs.addrvec.find((a) => a.type === 'v2')!;
      const got = monV2Addr(m.mons.get(w.name)!)!;
      t.is(`${got.ip}:${got.port}`, v2.addr);
    }
    // the cephx cipher policy: only Tentacle's map (v10) has it
    t.is(m.authEpoch, want.auth_epoch);
    t.is(m.authServiceCipher, want.auth_service_cipher?.value);
    t.deepEqual(
      m.authAllowedCiphers,
      want.auth_allowed_ciphers?.map((c) => c.value),
    );
    t.is(m.authPreferredCipher, want.auth_preferred_cipher?.value);
    if (release === 'tentacle') t.deepEqual(m.authAllowedCiphers, [2], 'a new Tentacle cluster allows aes256k only');
    // every truncation is a DecodeError, never a crash
    for (let n = 0; n < bin.length; n += 7) t.throws(() => decodeMonMap(bin.subarray(0, n)), { instanceOf: DecodeError });
  });
}
