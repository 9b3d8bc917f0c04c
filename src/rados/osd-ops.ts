// OSD op codes, flags and the ceph_osd_op sub-op (src/include/rados.h; docs/protocol.md
// §8.2-8.4). An OSDOp is one sub-op of a MOSDOp: its 28-byte union is kept as named
// fields, its input data as `indata`; the reply fills `outdata` and `rval`.

/** CEPH_OSD_OP_* (mode | type | number) */
export const OsdOpCode = {
  READ: 0x1201,
  STAT: 0x1202,
  MAPEXT: 0x1203,
  SPARSE_READ: 0x1205,
  NOTIFY: 0x1206,
  NOTIFY_ACK: 0x1207,
  ASSERT_VER: 0x1208,
  LIST_WATCHERS: 0x1209,
  LIST_SNAPS: 0x120a,
  OMAPGETKEYS: 0x1211,
  OMAPGETVALS: 0x1212,
  OMAPGETHEADER: 0x1213,
  OMAPGETVALSBYKEYS: 0x1214,
  OMAP_CMP: 0x1219,
  CHECKSUM: 0x121f,
  CMPEXT: 0x1220,
  WRITE: 0x2201,
  WRITEFULL: 0x2202,
  TRUNCATE: 0x2203,
  ZERO: 0x2204,
  DELETE: 0x2205,
  APPEND: 0x2206,
  CREATE: 0x220d,
  ROLLBACK: 0x220e,
  WATCH: 0x220f,
  OMAPSETVALS: 0x2215,
  OMAPSETHEADER: 0x2216,
  OMAPCLEAR: 0x2217,
  OMAPRMKEYS: 0x2218,
  SETALLOCHINT: 0x2223,
  WRITESAME: 0x2226,
  GETXATTR: 0x1301,
  GETXATTRS: 0x1302,
  CMPXATTR: 0x1303,
  SETXATTR: 0x2301,
  SETXATTRS: 0x2302,
  RESETXATTRS: 0x2303,
  RMXATTR: 0x2304,
  CALL: 0x1401,
  PGLS: 0x1501,
  PGNLS: 0x1505,
} as const;

const OP_NAMES = new Map<number, string>(Object.entries(OsdOpCode).map(([k, v]) => [v, k.toLowerCase()]));
export function osdOpName(op: number): string {
  return OP_NAMES.get(op) ?? `op_0x${op.toString(16)}`;
}

/** CEPH_OSD_OP_MODE_WR: the op modifies the object */
export function isWriteOp(op: number): boolean {
  return (op & 0xf000) === 0x2000 || (op & 0xf000) === 0x3000;
}

/** per-op flags (CEPH_OSD_OP_FLAG_*) */
export const OsdOpFlag = {
  EXCL: 0x1,
  FAILOK: 0x2,
  FADVISE_RANDOM: 0x4,
  FADVISE_SEQUENTIAL: 0x8,
  FADVISE_WILLNEED: 0x10,
  FADVISE_DONTNEED: 0x20,
  FADVISE_NOCACHE: 0x40,
} as const;

/** MOSDOp flags (CEPH_OSD_FLAG_*) */
export const OsdFlag = {
  ACK: 0x1,
  ONNVRAM: 0x2,
  ONDISK: 0x4,
  RETRY: 0x8,
  READ: 0x10,
  WRITE: 0x20,
  ORDERSNAP: 0x40,
  PEERSTAT_OLD: 0x80,
  BALANCE_READS: 0x100,
  PARALLELEXEC: 0x200,
  PGOP: 0x400,
  EXEC: 0x800,
  LOCALIZE_READS: 0x2000,
  RWORDERED: 0x4000,
  IGNORE_CACHE: 0x8000,
  SKIPRWLOCKS: 0x10000,
  IGNORE_OVERLAY: 0x20000,
  FLUSH: 0x40000,
  MAP_SNAP_CLONE: 0x80000,
  ENFORCE_SNAPC: 0x100000,
  REDIRECTED: 0x200000,
  KNOWN_REDIR: 0x400000,
  FULL_TRY: 0x800000,
  FULL_FORCE: 0x1000000,
  IGNORE_REDIRECT: 0x2000000,
  RETURNVEC: 0x4000000,
} as const;

/** watch sub-op codes (CEPH_OSD_WATCH_OP_*) */
export const WatchOp = {
  UNWATCH: 0,
  LEGACY_WATCH: 1,
  WATCH: 3,
  RECONNECT: 5,
  PING: 7,
} as const;

export const CEPH_NOSNAP = 0xfffffffffffffffen;
export const CEPH_SNAPDIR = 0xffffffffffffffffn;

/** The union of ceph_osd_op, by variant. Unset fields encode as 0. */
export interface OsdOpFields {
  extent?: { offset: bigint | number; length: bigint | number; truncateSize?: bigint | number; truncateSeq?: number };
  xattr?: { nameLen: number; valueLen: number; cmpOp?: number; cmpMode?: number };
  cls?: { classLen: number; methodLen: number; argc?: number; indataLen: number };
  watch?: { cookie: bigint; ver?: bigint; op: number; gen?: number; timeout?: number };
  notify?: { cookie: bigint };
  assertVer?: { ver: bigint };
  allocHint?: { expectedObjectSize: bigint | number; expectedWriteSize: bigint | number; flags?: number };
  pgls?: { count: bigint | number; startEpoch: number };
  snap?: { snapid: bigint };
}

export interface OSDOp extends OsdOpFields {
  op: number;
  flags?: number;
  indata?: Buffer;
  /** filled from the reply */
  outdata?: Buffer;
  rval?: number;
}

export const OSD_OP_LEN = 38;

export function encodeOsdOp(b: Buffer, at: number, o: OSDOp): void {
  b.fill(0, at, at + OSD_OP_LEN);
  b.writeUInt16LE(o.op, at);
  b.writeUInt32LE(o.flags ?? 0, at + 2);
  const u = at + 6;
  if (o.extent) {
    b.writeBigUInt64LE(BigInt(o.extent.offset), u);
    b.writeBigUInt64LE(BigInt(o.extent.length), u + 8);
    b.writeBigUInt64LE(BigInt(o.extent.truncateSize ?? 0), u + 16);
    b.writeUInt32LE(o.extent.truncateSeq ?? 0, u + 24);
  } else if (o.xattr) {
    b.writeUInt32LE(o.xattr.nameLen, u);
    b.writeUInt32LE(o.xattr.valueLen, u + 4);
    b.writeUInt8(o.xattr.cmpOp ?? 0, u + 8);
    b.writeUInt8(o.xattr.cmpMode ?? 0, u + 9);
  } else if (o.cls) {
    b.writeUInt8(o.cls.classLen, u);
    b.writeUInt8(o.cls.methodLen, u + 1);
    b.writeUInt8(o.cls.argc ?? 0, u + 2);
    b.writeUInt32LE(o.cls.indataLen, u + 3);
  } else if (o.watch) {
    b.writeBigUInt64LE(o.watch.cookie, u);
    b.writeBigUInt64LE(o.watch.ver ?? 0n, u + 8);
    b.writeUInt8(o.watch.op, u + 16);
    b.writeUInt32LE(o.watch.gen ?? 0, u + 17);
    b.writeUInt32LE(o.watch.timeout ?? 0, u + 21);
  } else if (o.notify) {
    b.writeBigUInt64LE(o.notify.cookie, u);
  } else if (o.assertVer) {
    b.writeBigUInt64LE(o.assertVer.ver, u + 8);
  } else if (o.allocHint) {
    b.writeBigUInt64LE(BigInt(o.allocHint.expectedObjectSize), u);
    b.writeBigUInt64LE(BigInt(o.allocHint.expectedWriteSize), u + 8);
    b.writeUInt32LE(o.allocHint.flags ?? 0, u + 16);
  } else if (o.pgls) {
    b.writeBigUInt64LE(BigInt(o.pgls.count), u);
    b.writeUInt32LE(o.pgls.startEpoch, u + 8);
  } else if (o.snap) {
    b.writeBigUInt64LE(o.snap.snapid, u);
  }
  b.writeUInt32LE(o.indata?.length ?? 0, at + 34);
}

/** The fields of a reply's ceph_osd_op that a client needs: op code and payload length. */
export function decodeOsdOpHead(b: Buffer, at: number): { op: number; flags: number; payloadLen: number } {
  return { op: b.readUInt16LE(at), flags: b.readUInt32LE(at + 2), payloadLen: b.readUInt32LE(at + 34) };
}
