// MWatchNotify (44, v3) (src/messages/MWatchNotify.h; docs/protocol.md §8.6): an OSD tells
// a watcher about a notify, or a notifier that its notify completed (acks and timeouts
// in the data segment), or a watcher that its watch was disconnected.

import { Decoder } from '../../encoding/decoder.js';
import { Encoder } from '../../encoding/encoder.js';
import type { Message } from '../../msgr2/message.js';

export const WatchEvent = {
  NOTIFY: 1,
  NOTIFY_COMPLETE: 2,
  DISCONNECT: 3,
} as const;

export interface MWatchNotify {
  opcode: number;
  /** NOTIFY/DISCONNECT: the watch cookie; NOTIFY_COMPLETE: the notify op's cookie */
  cookie: bigint;
  ver: bigint;
  notifyId: bigint;
  payload: Buffer;
  returnCode: number;
  notifierGid: bigint;
  data: Buffer;
}

export function decodeMWatchNotify(m: Message): MWatchNotify {
  const d = new Decoder(m.front, 0, m.front.length, 'MWatchNotify');
  d.u8(); // proto_ver
  const opcode = d.u8();
  const cookie = d.u64();
  const ver = d.u64();
  const notifyId = d.u64();
  const payload = Buffer.from(d.bufferlist());
  const returnCode = m.header.version >= 2 && !d.done ? d.s32() : 0;
  const notifierGid = m.header.version >= 3 && !d.done ? d.u64() : 0n;
  return { opcode, cookie, ver, notifyId, payload, returnCode, notifierGid, data: m.data };
}

export interface NotifyAck {
  gid: bigint;
  cookie: bigint;
  payload: Buffer;
}

/** NOTIFY_COMPLETE data: map<pair<gid, cookie>, bufferlist> acks, vector<pair<gid, cookie>> timeouts */
export function decodeNotifyComplete(data: Buffer): { acks: NotifyAck[]; timeouts: Array<{ gid: bigint; cookie: bigint }> } {
  if (data.length === 0) return { acks: [], timeouts: [] };
  const d = new Decoder(data, 0, data.length, 'notify completion');
  const acks = d.list((x) => ({ gid: x.u64(), cookie: x.u64(), payload: Buffer.from(x.bufferlist()) }), 20);
  const timeouts = d.done ? [] : d.list((x) => ({ gid: x.u64(), cookie: x.u64() }), 16);
  return { acks, timeouts };
}

/** NOTIFY op input: u32 prot_ver 1, u32 timeout seconds, bufferlist payload */
export function encodeNotifyInput(timeoutSec: number, payload: Buffer): Buffer {
  return new Encoder(16 + payload.length).u32(1).u32(timeoutSec).bufferlist(payload).toBuffer();
}

/** NOTIFY_ACK op input: u64 notify_id, u64 watch cookie, bufferlist reply */
export function encodeNotifyAckInput(notifyId: bigint, cookie: bigint, reply: Buffer): Buffer {
  return new Encoder(24 + reply.length).u64(notifyId).u64(cookie).bufferlist(reply).toBuffer();
}
