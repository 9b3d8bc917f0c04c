// MMonSubscribe (15, v3 compat 1) (src/messages/MMonSubscribe.h; docs/protocol.md §9.1):
// map<string what, {u64 start, u8 flags}> + string hostname.

import { Decoder } from '../../encoding/decoder.js';
import { Encoder } from '../../encoding/encoder.js';
import { MsgType } from '../../msgr2/msg-types.js';
import type { Message, OutMessage } from '../../msgr2/message.js';

/** CEPH_SUBSCRIBE_ONETIME: send once, then forget the subscription */
export const SUBSCRIBE_ONETIME = 1;

export interface SubscribeItem {
  start: number;
  flags: number;
}

export function encodeMonSubscribe(what: ReadonlyMap<string, SubscribeItem>, hostname: string): OutMessage {
  const e = new Encoder(128);
  const sorted = [...what.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  e.map(
    sorted,
    (b, k) => b.string(k),
    (b, v) => b.u64(v.start).u8(v.flags),
  );
  e.string(hostname);
  return { type: MsgType.MON_SUBSCRIBE, version: 3, compatVersion: 1, front: e.toBuffer() };
}

export function decodeMonSubscribe(m: Message): { what: Map<string, SubscribeItem>; hostname: string } {
  const d = new Decoder(m.front, 0, m.front.length, 'MMonSubscribe');
  const what = d.map(
    (x) => x.string(),
    (x) => ({ start: x.u64n(), flags: x.u8() }),
    13,
  );
  const hostname = m.header.version >= 3 && !d.done ? d.string() : '';
  return { what, hostname };
}
