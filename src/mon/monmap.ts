// MonMap (src/mon/MonMap.cc MonMap::encode): ENCODE_START(9, 6) up to Reef, (10, 6) since the
// cephx cipher policy (19.2.6, 20.2.4). A client needs the fsid, the epoch and each mon's
// address vector; v10's auth fields say which cephx key types the mons accept.

import { Decoder } from '../encoding/decoder.js';
import { AddrType, decodeEntityAddrvec, decodeUTime, decodeUuid, type EntityAddr, type UTime } from '../encoding/types.js';
import type { Message } from '../msgr2/message.js';

export interface MonInfo {
  name: string;
  addrs: EntityAddr[];
  priority: number;
  weight: number;
  crushLoc: Map<string, string>;
}

export interface MonMap {
  fsid: string;
  epoch: number;
  lastChanged: UTime;
  created: UTime;
  mons: Map<string, MonInfo>;
  /** mon names in rank order */
  ranks: string[];
  minMonRelease: number;
  /** v10: bumped when the rotating service keys are wiped (tickets must be fetched again) */
  authEpoch?: number;
  /** v10: the key type of service session keys (CEPH_CRYPTO_*) */
  authServiceCipher?: number;
  /** v10: the key types the mons accept from clients */
  authAllowedCiphers?: number[];
  /** v10: the key type new keys get */
  authPreferredCipher?: number;
}

function decodeMonFeature(d: Decoder): bigint {
  return d.versioned(1, 'mon_feature_t', (x) => x.u64());
}

function decodeMonInfo(d: Decoder): MonInfo {
  return d.versioned(5, 'mon_info_t', (x, v) => {
    const name = x.string();
    const addrs = decodeEntityAddrvec(x);
    const priority = v >= 2 ? x.u16() : 0;
    const weight = v >= 4 ? x.u16() : 0;
    const crushLoc =
      v >= 5
        ? x.map(
            (k) => k.string(),
            (k) => k.string(),
            8,
          )
        : new Map<string, string>();
    return { name, addrs, priority, weight, crushLoc };
  });
}

export function decodeMonMap(buf: Buffer): MonMap {
  const d = new Decoder(buf, 0, buf.length, 'MonMap');
  return d.versioned(9, 'MonMap', (x, v) => {
    if (v < 6) x.fail(`MonMap struct_v ${v} predates the client encoding we support`);
    const fsid = decodeUuid(x);
    const epoch = x.u32();
    const lastChanged = decodeUTime(x);
    const created = decodeUTime(x);
    decodeMonFeature(x); // persistent_features
    decodeMonFeature(x); // optional_features
    const mons = x.map((k) => k.string(), decodeMonInfo, 10);
    const ranks = x.list((k) => k.string(), 4);
    const minMonRelease = v >= 7 ? x.u8() : 0;
    for (const r of ranks) if (!mons.has(r)) x.fail(`rank names unknown mon ${r}`);
    const map: MonMap = { fsid, epoch, lastChanged, created, mons, ranks, minMonRelease };
    if (v >= 10) {
      x.list((k) => k.s32(), 4); // v8: removed_ranks
      x.u8(); // election strategy
      x.list((k) => k.string(), 4); // disallowed_leaders
      x.u8(); // v9: stretch_mode_enabled
      x.string(); // tiebreaker_mon
      x.list((k) => k.string(), 4); // stretch_marked_down_mons
      map.authEpoch = x.u32();
      map.authServiceCipher = x.s32();
      map.authAllowedCiphers = x.list((k) => k.s32(), 4);
      map.authPreferredCipher = x.s32();
    }
    return map;
  });
}

/** MMonMap (4): front = bufferlist(MonMap) */
export function decodeMMonMap(m: Message): MonMap {
  const d = new Decoder(m.front, 0, m.front.length, 'MMonMap');
  return decodeMonMap(Buffer.from(d.bufferlist()));
}

/** A mon's msgr2 address, if it has one. */
export function monV2Addr(info: MonInfo): EntityAddr | undefined {
  return info.addrs.find((a) => a.type === AddrType.MSGR2);
}
