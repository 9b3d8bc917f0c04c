// MAuth (17, v1) and MAuthReply (18, v1) (src/messages/MAuth.h, MAuthReply.h;
// docs/protocol.md §6.6): cephx ticket renewal over an open mon session.

import { Decoder } from '../../encoding/decoder.js';
import { Encoder } from '../../encoding/encoder.js';
import { MsgType } from '../../msgr2/msg-types.js';
import type { Message, OutMessage } from '../../msgr2/message.js';
import { encodePaxosHeader } from './paxos.js';

export function encodeMAuth(protocol: number, authPayload: Buffer, monmapEpoch: number, tid: bigint): OutMessage {
  const e = new Encoder(64 + authPayload.length);
  encodePaxosHeader(e);
  e.u32(protocol).bufferlist(authPayload).u32(monmapEpoch);
  return { type: MsgType.AUTH, version: 1, compatVersion: 1, tid, front: e.toBuffer() };
}

export interface MAuthReply {
  protocol: number;
  result: number;
  globalId: bigint;
  resultBl: Buffer;
  resultMsg: string;
}

export function decodeMAuthReply(m: Message): MAuthReply {
  const d = new Decoder(m.front, 0, m.front.length, 'MAuthReply');
  return {
    protocol: d.u32(),
    result: d.s32(),
    globalId: d.u64(),
    resultBl: Buffer.from(d.bufferlist()),
    resultMsg: d.string(),
  };
}
