// MOSDOp (42, v8 compat 3) (src/messages/MOSDOp.h encode_payload; wire-protocol.md §8.1).
// Front: target PG, hash, epoch, flags, reqid, trace, mtime, locator, oid, the sub-ops,
// snap id and snap context, retry attempt, features. Data: each sub-op's indata in order.

import { Encoder } from '../../encoding/encoder.js';
import { encodeUTime, type UTime } from '../../encoding/types.js';
import { MsgType } from '../../msgr2/msg-types.js';
import type { OutMessage } from '../../msgr2/message.js';
import { OSD_OP_LEN, encodeOsdOp, type OSDOp } from '../osd-ops.js';

export interface PgId {
  pool: number;
  seed: number;
}

export interface ObjectLocator {
  pool: number;
  key?: string;
  nspace?: string;
}

export interface SnapContext {
  seq: bigint;
  /** newest first */
  snaps: bigint[];
}

export interface MOSDOp {
  tid: bigint;
  pgid: PgId;
  /** the object's full 32-bit hash (raw pg seed) */
  hash: number;
  epoch: number;
  flags: number;
  mtime: UTime;
  oloc: ObjectLocator;
  oid: string;
  ops: readonly OSDOp[];
  snapid: bigint;
  snapc: SnapContext;
  retryAttempt: number;
  features: bigint;
  /** CEPH_MSG_PRIO; librados uses 63 (osd_client_op_priority) */
  priority?: number;
}

export function encodeMOSDOp(m: MOSDOp): OutMessage {
  const e = new Encoder(192 + m.oid.length + OSD_OP_LEN * m.ops.length + 8 * m.snapc.snaps.length);
  // spg_t { pg_t { v1, pool, seed, preferred -1 }, shard -1 }
  e.versioned(1, 1, (x) => {
    x.u8(1).s64(m.pgid.pool).u32(m.pgid.seed).s32(-1);
    x.s8(-1);
  });
  e.u32(m.hash).u32(m.epoch).u32(m.flags);
  // osd_reqid_t: all zero; the OSD fills in client.<global_id> and the tid
  e.versioned(2, 2, (x) => x.zeros(9).u64(0).s32(0));
  e.zeros(24); // blkin trace
  e.u32(0); // client_inc
  encodeUTime(e, m.mtime);
  e.versioned(6, 3, (x) => {
    x.s64(m.oloc.pool).s32(-1).string(m.oloc.key ?? '').string(m.oloc.nspace ?? '').s64(-1);
  });
  e.string(m.oid);
  e.u16(m.ops.length);
  const at = e.length;
  e.zeros(OSD_OP_LEN * m.ops.length);
  const front = e.view();
  m.ops.forEach((o, i) => encodeOsdOp(front, at + i * OSD_OP_LEN, o));
  e.u64(m.snapid).u64(m.snapc.seq);
  e.list(m.snapc.snaps, (x, s) => x.u64(s));
  e.s32(m.retryAttempt);
  e.u64(m.features);
  const data: Buffer[] = [];
  for (const o of m.ops) if (o.indata?.length) data.push(o.indata);
  return {
    type: MsgType.OSD_OP,
    version: 8,
    compatVersion: 3,
    priority: m.priority ?? 63,
    tid: m.tid,
    front: e.toBuffer(),
    ...(data.length ? { data } : {}),
  };
}
