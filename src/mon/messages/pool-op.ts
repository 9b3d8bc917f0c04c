// MPoolOp (49, v4 compat 2) and MPoolOpReply (48) (src/messages/MPoolOp.h,
// MPoolOpReply.h, src/mon/OSDMonitor.cc prepare_pool_op; docs/protocol.md §9.5): pool
// operations through the mon, e.g.
// allocating and releasing self-managed snapshot ids.

import { Decoder } from '../../encoding/decoder.js';
import { Encoder } from '../../encoding/encoder.js';
import { decodeUuid, encodeUuid } from '../../encoding/types.js';
import { MsgType } from '../../msgr2/msg-types.js';
import type { Message, OutMessage } from '../../msgr2/message.js';
import { decodePaxosHeader, encodePaxosHeader } from './paxos.js';

export const PoolOpCode = {
  CREATE: 0x01,
  DELETE: 0x02,
  AUID_CHANGE: 0x03,
  CREATE_SNAP: 0x11,
  DELETE_SNAP: 0x12,
  CREATE_UNMANAGED_SNAP: 0x21,
  DELETE_UNMANAGED_SNAP: 0x22,
} as const;

export interface MPoolOp {
  tid: bigint;
  fsid: string;
  pool: number;
  op: number;
  snapid?: bigint;
  name?: string;
}

export function encodeMPoolOp(p: MPoolOp): OutMessage {
  const e = new Encoder(96);
  encodePaxosHeader(e);
  encodeUuid(e, p.fsid);
  e.u32(p.pool)
    .u32(p.op)
    .u64(0n /* auid */)
    .u64(p.snapid ?? 0n)
    .string(p.name ?? '')
    .u8(0)
    .s16(-1);
  return { type: MsgType.POOLOP, version: 4, compatVersion: 2, tid: p.tid, front: e.toBuffer() };
}

export interface MPoolOpReply {
  tid: bigint;
  fsid: string;
  replyCode: number;
  epoch: number;
  data: Buffer | undefined;
}

export function decodeMPoolOpReply(m: Message): MPoolOpReply {
  const d = new Decoder(m.front, 0, m.front.length, 'MPoolOpReply');
  decodePaxosHeader(d);
  const fsid = decodeUuid(d);
  const replyCode = d.s32();
  const epoch = d.u32();
  const has = !d.done && d.bool();
  const data = has ? Buffer.from(d.bufferlist()) : undefined;
  return { tid: m.header.tid, fsid, replyCode, epoch, data };
}
