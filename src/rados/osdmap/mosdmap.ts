// MOSDMap (type 41; src/messages/MOSDMap.h; docs/osdmap-crush.md §3.1): the maps a mon (or OSD)
// sends. Front: fsid, map<u32 epoch, bufferlist Incremental>, map<u32 epoch, bufferlist full
// map>, then (header v >= 2) oldest_map and newest_map, (v >= 4) gap_removed_snaps (obsolete,
// empty since Octopus; read and dropped).

import { Decoder, decodeWith } from '../../encoding/decoder.js';
import { decodeUuid } from '../../encoding/types.js';
import type { Message } from '../../msgr2/message.js';

export interface MOSDMap {
  fsid: string;
  /** encoded OSDMap::Incremental by epoch */
  incrementals: Map<number, Buffer>;
  /** encoded full OSDMap by epoch */
  maps: Map<number, Buffer>;
  /** oldest epoch the sender still has (0 if the header is v1) */
  oldest: number;
  /** newest epoch the sender has (0 if the header is v1) */
  newest: number;
}

export function decodeMOSDMapFront(front: Uint8Array, headerVersion: number): MOSDMap {
  return decodeWith(front, 'MOSDMap', (d: Decoder) => {
    const fsid = decodeUuid(d);
    const epochBlobs = (x: Decoder) =>
      x.map(
        (y) => y.u32(),
        (y) => Buffer.from(y.bufferlist()),
        8,
      );
    const incrementals = epochBlobs(d);
    const maps = epochBlobs(d);
    let oldest = 0;
    let newest = 0;
    if (headerVersion >= 2) {
      oldest = d.u32();
      newest = d.u32();
    }
    if (headerVersion >= 4) {
      // gap_removed_snaps: map<s64 pool, interval_set<snapid>>, obsolete (empty) since Octopus
      d.map(
        (x) => x.s64(),
        (x) => x.list((y) => [y.u64(), y.u64()], 16),
        12,
      );
    }
    return { fsid, incrementals, maps, oldest, newest };
  });
}

export function decodeMOSDMap(m: Message): MOSDMap {
  return decodeMOSDMapFront(m.front, m.header.version);
}

/** first and last epoch carried by the message (0 if none) */
export function mosdmapRange(m: MOSDMap): { first: number; last: number } {
  const all = [...m.incrementals.keys(), ...m.maps.keys()];
  if (all.length === 0) return { first: 0, last: 0 };
  return { first: Math.min(...all), last: Math.max(...all) };
}
