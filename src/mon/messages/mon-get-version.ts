// MMonGetVersion (19, v1) and MMonGetVersionReply (20, v2) (src/messages/MMonGetVersion.h,
// MMonGetVersionReply.h; docs/protocol.md §9.2).

import { Decoder } from '../../encoding/decoder.js';
import { Encoder } from '../../encoding/encoder.js';
import { MsgType } from '../../msgr2/msg-types.js';
import type { Message, OutMessage } from '../../msgr2/message.js';

export function encodeMonGetVersion(handle: bigint, what: string): OutMessage {
  const front = new Encoder(32).u64(handle).string(what).toBuffer();
  return { type: MsgType.MON_GET_VERSION, version: 1, compatVersion: 1, front };
}

export interface MonGetVersionReply {
  handle: bigint;
  version: number;
  oldestVersion: number;
}

export function decodeMonGetVersionReply(m: Message): MonGetVersionReply {
  const d = new Decoder(m.front, 0, m.front.length, 'MMonGetVersionReply');
  const handle = d.u64();
  const version = d.u64n();
  const oldestVersion = m.header.version >= 2 ? d.u64n() : 0;
  return { handle, version, oldestVersion };
}
