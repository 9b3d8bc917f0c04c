// MOSDOp (42, v8 compat 3) (src/messages/MOSDOp.h encode_payload; docs/protocol.md §8.1).
// Front: target PG, hash, epoch, flags, reqid, trace, mtime, locator, oid, the sub-ops,
// snap id and snap context, retry attempt, features. Data: each sub-op's indata in order.
//
// decodeMOSDOp is the exact inverse of encodeMOSDOp for everything librados sends: the
// fields we do not choose ourselves (reqid, blkin trace, client_inc, spg shard, locator
// hash) are optional in MOSDOp and default to what encodeMOSDOp always sent.

import { Decoder } from '../../encoding/decoder.js';
import { Encoder } from '../../encoding/encoder.js';
import { DecodeError } from '../../encoding/errno.js';
import { decodeUTime, encodeUTime, type UTime } from '../../encoding/types.js';
import { MsgType } from '../../msgr2/msg-types.js';
import type { Message, OutMessage } from '../../msgr2/message.js';
import { OSD_OP_LEN, OsdOpCode, encodeOsdOp, type OSDOp } from '../osd-ops.js';

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

/** osd_reqid_t: entity_name_t name, tid, inc. librados and the kernel send it all zero. */
export interface OsdReqId {
  /** entity_name_t: u8 type (CEPH_ENTITY_TYPE_*), s64 num (as its raw u64 bits) */
  name: { type: number; num: bigint };
  tid: bigint;
  inc: number;
}

export const BLKIN_TRACE_LEN = 24;

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
  /** spg_t shard (s8); -1 = NO_SHARD (replicated pools, the default) */
  shard?: number;
  /** osd_reqid_t; default all zero (the OSD fills in the connection's name) */
  reqid?: OsdReqId;
  /** blkin trace (trace_id, span_id, parent_span_id); default 24 zero bytes */
  trace?: Buffer;
  /** client incarnation; default 0 */
  clientInc?: number;
  /**
   * object_locator_t.hash (s64); default -1 = hash the oid. Only encoded here: placement
   * (osdmap target()) does not look at it.
   */
  olocHash?: number;
}

export function encodeMOSDOp(m: MOSDOp): OutMessage {
  const e = new Encoder(192 + m.oid.length + OSD_OP_LEN * m.ops.length + 8 * m.snapc.snaps.length);
  // spg_t { pg_t { v1, pool, seed, preferred -1 }, shard }
  e.versioned(1, 1, (x) => {
    x.u8(1).s64(m.pgid.pool).u32(m.pgid.seed).s32(-1);
    x.s8(m.shard ?? -1);
  });
  e.u32(m.hash).u32(m.epoch).u32(m.flags);
  // osd_reqid_t: all zero unless given; the OSD fills in client.<global_id> and the tid
  const r = m.reqid;
  e.versioned(2, 2, (x) => {
    if (r) x.u8(r.name.type).u64(r.name.num).u64(r.tid).s32(r.inc);
    else x.zeros(9).u64(0).s32(0);
  });
  if (m.trace) {
    if (m.trace.length !== BLKIN_TRACE_LEN) throw new RangeError(`blkin trace must be ${BLKIN_TRACE_LEN} bytes, got ${m.trace.length}`);
    e.bytes(m.trace);
  } else {
    e.zeros(BLKIN_TRACE_LEN);
  }
  e.u32(m.clientInc ?? 0);
  encodeUTime(e, m.mtime);
  e.versioned(6, 3, (x) => {
    x.s64(m.oloc.pool)
      .s32(-1)
      .string(m.oloc.key ?? '')
      .string(m.oloc.nspace ?? '')
      .s64(m.olocHash ?? -1);
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

// ---- decoding ----------------------------------------------------------------------------

type UnionKind = 'extent' | 'xattr' | 'cls' | 'watch' | 'notify' | 'assertVer' | 'allocHint' | 'pgls' | 'snap' | 'none';

const C = OsdOpCode;
/** Which ceph_osd_op union member each opcode uses (src/include/rados.h, src/osdc/Objecter.h). */
const UNION_OF = new Map<number, UnionKind>([
  ...[C.READ, C.SPARSE_READ, C.MAPEXT, C.CMPEXT, C.CHECKSUM, C.WRITE, C.WRITEFULL, C.TRUNCATE, C.ZERO, C.APPEND, C.WRITESAME].map(
    (o) => [o, 'extent'] as const,
  ),
  ...[C.OMAPGETKEYS, C.OMAPGETVALS, C.OMAPGETHEADER, C.OMAPGETVALSBYKEYS, C.OMAP_CMP, C.OMAPSETVALS, C.OMAPSETHEADER, C.OMAPRMKEYS].map(
    (o) => [o, 'extent'] as const,
  ),
  ...[C.GETXATTR, C.CMPXATTR, C.SETXATTR, C.SETXATTRS, C.RESETXATTRS, C.RMXATTR].map((o) => [o, 'xattr'] as const),
  [C.CALL, 'cls'],
  [C.WATCH, 'watch'],
  [C.NOTIFY, 'notify'],
  [C.ASSERT_VER, 'assertVer'],
  [C.SETALLOCHINT, 'allocHint'],
  [C.PGLS, 'pgls'],
  [C.PGNLS, 'pgls'],
  [C.ROLLBACK, 'snap'],
]);

function unionFields(b: Buffer, u: number, kind: UnionKind): Partial<OSDOp> {
  switch (kind) {
    case 'extent':
      return {
        extent: {
          offset: b.readBigUInt64LE(u),
          length: b.readBigUInt64LE(u + 8),
          truncateSize: b.readBigUInt64LE(u + 16),
          truncateSeq: b.readUInt32LE(u + 24),
        },
      };
    case 'xattr':
      return { xattr: { nameLen: b.readUInt32LE(u), valueLen: b.readUInt32LE(u + 4), cmpOp: b.readUInt8(u + 8), cmpMode: b.readUInt8(u + 9) } };
    case 'cls':
      return { cls: { classLen: b.readUInt8(u), methodLen: b.readUInt8(u + 1), argc: b.readUInt8(u + 2), indataLen: b.readUInt32LE(u + 3) } };
    case 'watch':
      return {
        watch: {
          cookie: b.readBigUInt64LE(u),
          ver: b.readBigUInt64LE(u + 8),
          op: b.readUInt8(u + 16),
          gen: b.readUInt32LE(u + 17),
          timeout: b.readUInt32LE(u + 21),
        },
      };
    case 'notify':
      return { notify: { cookie: b.readBigUInt64LE(u) } };
    case 'assertVer':
      return { assertVer: { ver: b.readBigUInt64LE(u + 8) } };
    case 'allocHint':
      return { allocHint: { expectedObjectSize: b.readBigUInt64LE(u), expectedWriteSize: b.readBigUInt64LE(u + 8), flags: b.readUInt32LE(u + 16) } };
    case 'pgls':
      return { pgls: { count: b.readBigUInt64LE(u), startEpoch: b.readUInt32LE(u + 8) } };
    case 'snap':
      return { snap: { snapid: b.readBigUInt64LE(u) } };
    case 'none':
      return {};
  }
}

/**
 * One 38-byte ceph_osd_op (plus its indata) back into an OSDOp. The union is read as the
 * member the opcode uses (u64 fields as bigint). Ops without a member get none if the
 * union is all zero. Whenever the chosen reading would not re-encode to the same 28
 * bytes (an unknown opcode, or bytes outside the member), the union is read as `extent`,
 * which covers all 28 bytes, so encodeOsdOp always reproduces the input.
 */
export function decodeOsdOp(b: Buffer, at: number, indata?: Buffer): OSDOp {
  if (at < 0 || at + OSD_OP_LEN > b.length) throw new DecodeError(`ceph_osd_op needs ${OSD_OP_LEN} bytes at ${at}`, at, 'ceph_osd_op');
  const op = b.readUInt16LE(at);
  const flags = b.readUInt32LE(at + 2);
  const payloadLen = b.readUInt32LE(at + 34);
  if ((indata?.length ?? 0) !== payloadLen)
    throw new DecodeError(`op 0x${op.toString(16)} payload_len ${payloadLen} != indata ${indata?.length ?? 0}`, at + 34, 'ceph_osd_op');
  const base: OSDOp = { op, flags, ...(payloadLen ? { indata } : {}) };
  const raw = b.subarray(at, at + OSD_OP_LEN);
  const kind = UNION_OF.get(op) ?? 'none';
  let o: OSDOp = { ...base, ...unionFields(b, at + 6, kind) };
  const check = Buffer.alloc(OSD_OP_LEN);
  encodeOsdOp(check, 0, o);
  if (!check.equals(raw)) o = { ...base, ...unionFields(b, at + 6, 'extent') };
  return o;
}

/** The inverse of encodeMOSDOp: a received (or captured) MOSDOp v8 message. */
export function decodeMOSDOp(m: Message): MOSDOp {
  if (m.header.type !== MsgType.OSD_OP) throw new DecodeError(`message type ${m.header.type} is not MOSDOp`, 0, 'MOSDOp');
  if (m.header.version !== 8) throw new DecodeError(`MOSDOp v${m.header.version} is not supported (v8 only)`, 0, 'MOSDOp');
  const d = new Decoder(m.front, 0, m.front.length, 'MOSDOp');
  const spg = d.versioned(1, 'spg_t', (x) => {
    const v = x.u8();
    if (v !== 1) x.fail(`pg_t v${v} is not supported`);
    const pool = x.s64n();
    const seed = x.u32();
    x.s32(); // preferred: -1 since Firefly; not kept
    const shard = x.s8();
    return { pgid: { pool, seed }, shard };
  });
  const hash = d.u32();
  const epoch = d.u32();
  const flags = d.u32();
  const reqid = d.versioned(2, 'osd_reqid_t', (x) => ({ name: { type: x.u8(), num: x.u64() }, tid: x.u64(), inc: x.s32() }));
  const trace = Buffer.from(d.bytes(BLKIN_TRACE_LEN));
  const clientInc = d.u32();
  const mtime = decodeUTime(d);
  const loc = d.versioned(6, 'object_locator_t', (x, v) => {
    if (v < 2) x.fail(`object_locator_t v${v} is not supported`);
    const pool = x.s64n();
    x.s32(); // preferred: -1; not kept
    const key = x.string();
    const nspace = v >= 5 ? x.string() : '';
    const h = v >= 6 ? x.s64n() : -1;
    return { pool, key, nspace, hash: h };
  });
  const oid = d.string();
  const n = d.u16();
  d.need(n * OSD_OP_LEN, 'ops');
  const opsAt = d.pos;
  d.skip(n * OSD_OP_LEN);
  const snapid = d.u64();
  const seq = d.u64();
  const snaps = d.list((x) => x.u64(), 8);
  const retryAttempt = d.s32();
  const features = d.u64();
  d.expectEnd();
  // indata: the data segment split by each op's payload_len
  const ops: OSDOp[] = [];
  let off = 0;
  for (let i = 0; i < n; i++) {
    const at = opsAt + i * OSD_OP_LEN;
    const len = m.front.readUInt32LE(at + 34);
    if (len > m.data.length - off) throw new DecodeError(`op ${i} indata of ${len} bytes exceeds the data segment`, off, 'MOSDOp');
    ops.push(decodeOsdOp(m.front, at, len ? Buffer.from(m.data.subarray(off, off + len)) : undefined));
    off += len;
  }
  if (off !== m.data.length) throw new DecodeError(`${m.data.length - off} data bytes are not claimed by any op`, off, 'MOSDOp');
  const oloc: ObjectLocator = { pool: loc.pool };
  if (loc.key) oloc.key = loc.key;
  if (loc.nspace) oloc.nspace = loc.nspace;
  return {
    tid: m.header.tid,
    pgid: spg.pgid,
    hash,
    epoch,
    flags,
    mtime,
    oloc,
    oid,
    ops,
    snapid,
    snapc: { seq, snaps },
    retryAttempt,
    features,
    priority: m.header.priority,
    shard: spg.shard,
    reqid,
    trace,
    clientInc,
    olocHash: loc.hash,
  };
}
