// MMonCommand (50, v1) and MMonCommandAck (51, v1) (src/messages/MMonCommand.h,
// MMonCommandAck.h; docs/protocol.md §9.3). The command is JSON; its input and
// output blobs travel in the data segment.

import { Decoder } from '../../encoding/decoder.js';
import { Encoder } from '../../encoding/encoder.js';
import { encodeUuid } from '../../encoding/types.js';
import { MsgType } from '../../msgr2/msg-types.js';
import type { Message, OutMessage } from '../../msgr2/message.js';
import { decodePaxosHeader, encodePaxosHeader } from './paxos.js';

export interface MonCommand {
  tid: bigint;
  fsid: string;
  cmd: string[];
  inbuf?: Buffer;
}

export function encodeMonCommand(c: MonCommand): OutMessage {
  const e = new Encoder(128);
  encodePaxosHeader(e);
  encodeUuid(e, c.fsid);
  e.list(c.cmd, (b, s) => b.string(s));
  const m: OutMessage = { type: MsgType.MON_COMMAND, version: 1, compatVersion: 1, tid: c.tid, front: e.toBuffer() };
  if (c.inbuf?.length) m.data = c.inbuf;
  return m;
}

export interface MonCommandAck {
  tid: bigint;
  r: number;
  rs: string;
  cmd: string[];
  outbl: Buffer;
}

export function decodeMonCommandAck(m: Message): MonCommandAck {
  const d = new Decoder(m.front, 0, m.front.length, 'MMonCommandAck');
  decodePaxosHeader(d);
  const r = d.s32();
  const rs = d.string();
  const cmd = d.list((x) => x.string(), 4);
  return { tid: m.header.tid, r, rs, cmd, outbl: m.data };
}
