// MonMap as Pacific encodes it for a client with the full feature mask
// (src/mon/MonMap.cc; wire-protocol.md §9.4): ENCODE_START(9, 6). A client needs the
// fsid, the epoch and each mon's address vector.

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
    const crushLoc = v >= 5 ? x.map((k) => k.string(), (k) => k.string(), 8) : new Map<string, string>();
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
    return { fsid, epoch, lastChanged, created, mons, ranks, minMonRelease };
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
