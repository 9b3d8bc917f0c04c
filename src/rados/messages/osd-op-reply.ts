// MOSDOpReply (43, v8) (src/messages/MOSDOpReply.h; docs/protocol.md §8.5). The data
// segment holds each sub-op's outdata in order; payload_len in each op says how much.

import { Decoder } from '../../encoding/decoder.js';
import { DecodeError } from '../../encoding/errno.js';
import type { Message } from '../../msgr2/message.js';
import { OSD_OP_LEN, decodeOsdOpHead } from '../osd-ops.js';
import type { PgId } from './osd-op.js';

export interface OpReplyOp {
  op: number;
  rval: number;
  outdata: Buffer;
}

export interface Redirect {
  pool: number;
  key: string;
  nspace: string;
  object: string;
}

export interface MOSDOpReply {
  tid: bigint;
  oid: string;
  pgid: PgId;
  flags: bigint;
  result: number;
  epoch: number;
  ops: OpReplyOp[];
  retryAttempt: number;
  replayVersion: { version: bigint; epoch: number };
  userVersion: bigint;
  redirect?: Redirect;
}

export function decodeMOSDOpReply(m: Message): MOSDOpReply {
  if (m.header.version < 7) throw new DecodeError(`MOSDOpReply v${m.header.version} is not supported`, 0, 'MOSDOpReply');
  const d = new Decoder(m.front, 0, m.front.length, 'MOSDOpReply');
  const oid = d.string();
  // pg_t without an envelope: u8 v, u64 pool, u32 seed, s32 preferred
  d.u8();
  const pool = d.s64n();
  const seed = d.u32();
  d.s32();
  const flags = d.u64();
  const result = d.s32();
  d.u64(); // bad_replay_version.version
  d.u32(); // .epoch
  const epoch = d.u32();
  const n = d.u32();
  if (n * OSD_OP_LEN > d.remaining) d.fail(`${n} ops do not fit`);
  const heads = [];
  for (let i = 0; i < n; i++) heads.push(decodeOsdOpHead(d.bytes(OSD_OP_LEN), 0));
  const retryAttempt = d.s32();
  const rvals: number[] = [];
  for (let i = 0; i < n; i++) rvals.push(d.s32());
  const replayVersion = { version: d.u64(), epoch: d.u32() };
  const userVersion = d.u64();
  const doRedirect = d.u8();
  let redirect: Redirect | undefined;
  if (doRedirect) {
    redirect = d.versioned(1, 'request_redirect_t', (x) => {
      const loc = x.versioned(6, 'object_locator_t', (y, v) => {
        const p = y.s64n();
        if (v < 2) return { pool: p, key: '', nspace: '' };
        y.s32(); // preferred
        const key = y.string();
        const nspace = v >= 5 ? y.string() : '';
        return { pool: p, key, nspace };
      });
      const object = x.string();
      return { ...loc, object };
    });
  }
  // outdata
  const ops: OpReplyOp[] = [];
  let off = 0;
  for (let i = 0; i < n; i++) {
    const len = heads[i]!.payloadLen;
    if (off + len > m.data.length) throw new DecodeError(`op ${i} outdata of ${len} bytes exceeds the data segment`, off, 'MOSDOpReply');
    ops.push({ op: heads[i]!.op, rval: rvals[i]!, outdata: m.data.subarray(off, off + len) });
    off += len;
  }
  const r: MOSDOpReply = { tid: m.header.tid, oid, pgid: { pool, seed }, flags, result, epoch, ops, retryAttempt, replayVersion, userVersion };
  if (redirect) r.redirect = redirect;
  return r;
}
