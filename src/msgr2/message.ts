// MESSAGE frames: ceph_msg_header2 (41 bytes, src/include/msgr.h) + front, middle, data
// segments (src/msg/async/ProtocolV2.cc; docs/protocol.md §5).

import { DecodeError } from '../encoding/errno.js';
import type { SegmentData } from './frame-codec.js';

export const HEADER2_LEN = 41;

/** CEPH_MSG_PRIO_* */
export const Priority = {
  LOW: 64,
  DEFAULT: 127,
  HIGH: 196,
  HIGHEST: 255,
} as const;

export interface MessageHeader2 {
  seq: bigint;
  tid: bigint;
  type: number;
  priority: number;
  version: number;
  dataPrePaddingLen: number;
  dataOff: number;
  ackSeq: bigint;
  flags: number;
  compatVersion: number;
}

/** A message to send. `data` may be a list of pieces (never concatenated). */
export interface OutMessage {
  type: number;
  version: number;
  compatVersion: number;
  priority?: number;
  tid?: bigint;
  front: Buffer;
  middle?: Buffer;
  data?: SegmentData;
}

/** A received message. */
export interface Message {
  header: MessageHeader2;
  front: Buffer;
  middle: Buffer;
  data: Buffer;
}

/** Footer-era flags COMPLETE (1) | NOCRC (2), as Pacific and librados set them. */
const HEADER_FLAGS = 3;

export function encodeHeader2(h: MessageHeader2): Buffer {
  const b = Buffer.alloc(HEADER2_LEN);
  b.writeBigUInt64LE(h.seq, 0);
  b.writeBigUInt64LE(h.tid, 8);
  b.writeUInt16LE(h.type, 16);
  b.writeUInt16LE(h.priority, 18);
  b.writeUInt16LE(h.version, 20);
  b.writeUInt32LE(h.dataPrePaddingLen, 22);
  b.writeUInt16LE(h.dataOff, 26);
  b.writeBigUInt64LE(h.ackSeq, 28);
  b.writeUInt8(h.flags, 36);
  b.writeUInt16LE(h.compatVersion, 37);
  b.writeUInt16LE(0, 39);
  return b;
}

export function decodeHeader2(b: Buffer): MessageHeader2 {
  if (b.length !== HEADER2_LEN) throw new DecodeError(`ceph_msg_header2 is ${b.length} bytes, expected ${HEADER2_LEN}`, 0, 'MESSAGE');
  return {
    seq: b.readBigUInt64LE(0),
    tid: b.readBigUInt64LE(8),
    type: b.readUInt16LE(16),
    priority: b.readUInt16LE(18),
    version: b.readUInt16LE(20),
    dataPrePaddingLen: b.readUInt32LE(22),
    dataOff: b.readUInt16LE(26),
    ackSeq: b.readBigUInt64LE(28),
    flags: b.readUInt8(36),
    compatVersion: b.readUInt16LE(37),
  };
}

export function header2For(m: OutMessage, seq: bigint, ackSeq: bigint): MessageHeader2 {
  return {
    seq,
    tid: m.tid ?? 0n,
    type: m.type,
    priority: m.priority ?? Priority.DEFAULT,
    version: m.version,
    dataPrePaddingLen: 0,
    dataOff: 0,
    ackSeq,
    flags: HEADER_FLAGS,
    compatVersion: m.compatVersion,
  };
}
