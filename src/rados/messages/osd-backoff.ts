// MOSDBackoff (61) (src/messages/MOSDBackoff.h; docs/protocol.md §8.7): an OSD asks the
// client to hold ops on a PG (or a range of it) until it sends UNBLOCK; the client
// acknowledges a BLOCK with ACK_BLOCK.

import { Decoder } from '../../encoding/decoder.js';
import { Encoder } from '../../encoding/encoder.js';
import { MsgType } from '../../msgr2/msg-types.js';
import type { Message, OutMessage } from '../../msgr2/message.js';
import type { PgId } from './osd-op.js';

export const BackoffOp = {
  BLOCK: 1,
  ACK_BLOCK: 2,
  UNBLOCK: 3,
} as const;

export interface MOSDBackoff {
  pgid: PgId;
  shard: number;
  epoch: number;
  op: number;
  id: bigint;
  /** hobject_t begin and end, kept as encoded (echoed in ACK_BLOCK) */
  begin: Buffer;
  end: Buffer;
}

function rawHobject(d: Decoder): Buffer {
  const start = d.pos;
  d.versioned(4, 'hobject_t', () => undefined);
  return Buffer.from(d.buf.subarray(start, d.pos));
}

export function decodeMOSDBackoff(m: Message): MOSDBackoff {
  const d = new Decoder(m.front, 0, m.front.length, 'MOSDBackoff');
  const { pgid, shard } = d.versioned(1, 'spg_t', (x) => {
    // pg_t: u8 v 1, s64 pool, u32 seed, s32 preferred (no envelope)
    x.u8();
    const pg = { pool: x.s64n(), seed: x.u32() };
    x.s32();
    return { pgid: pg, shard: x.s8() };
  });
  const epoch = d.u32();
  const op = d.u8();
  const id = d.u64();
  const begin = rawHobject(d);
  const end = rawHobject(d);
  return { pgid, shard, epoch, op, id, begin, end };
}

export function encodeBackoffAck(b: MOSDBackoff, epoch: number): OutMessage {
  const e = new Encoder(128);
  e.versioned(1, 1, (x) => {
    x.u8(1).s64(b.pgid.pool).u32(b.pgid.seed).s32(-1);
    x.s8(b.shard);
  });
  e.u32(epoch).u8(BackoffOp.ACK_BLOCK).u64(b.id).bytes(b.begin).bytes(b.end);
  return { type: MsgType.OSD_BACKOFF, version: 1, compatVersion: 1, front: e.toBuffer() };
}
