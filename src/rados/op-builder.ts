// Compound operations: several sub-ops on one object in one MOSDOp, applied atomically
// by the OSD (librados ObjectReadOperation / ObjectWriteOperation). Inputs as
// docs/protocol.md §8.4 describes them (src/osd/PrimaryLogPG.cc do_osd_ops).

import { Decoder } from '../encoding/decoder.js';
import { Encoder } from '../encoding/encoder.js';
import { cephError } from '../encoding/errno.js';
import { OsdFlag, OsdOpCode, OsdOpFlag, osdOpName, type OSDOp } from './osd-ops.js';

function name(s: string, what: string): Buffer {
  const b = Buffer.from(s, 'utf8');
  if (b.length > 255 && what !== 'xattr') throw cephError('ENAMETOOLONG', `${what} name too long: ${s}`, { op: what });
  return b;
}

export abstract class ObjectOperation {
  readonly ops: OSDOp[] = [];
  /** extra MOSDOp flags */
  flags = 0;

  /** a readable name of sub-op i for errors */
  describe(i: number): string {
    const o = this.ops[i];
    if (!o) return '?';
    if (o.op === OsdOpCode.CALL && o.indata && o.cls) {
      const cls = o.indata.subarray(0, o.cls.classLen).toString();
      const method = o.indata.subarray(o.cls.classLen, o.cls.classLen + o.cls.methodLen).toString();
      return `call(${cls}.${method})`;
    }
    return osdOpName(o.op);
  }

  protected push(o: OSDOp): this {
    this.ops.push(o);
    return this;
  }

  /** Call an object class method (CEPH_OSD_OP_CALL). */
  call(cls: string, method: string, input: Buffer = Buffer.alloc(0)): this {
    const c = name(cls, 'class');
    const m = name(method, 'method');
    return this.push({
      op: OsdOpCode.CALL,
      cls: { classLen: c.length, methodLen: m.length, indataLen: input.length },
      indata: Buffer.concat([c, m, input]),
    });
  }

  /** Fail the whole op with ENOENT unless the object exists (a STAT whose output is ignored). */
  assertExists(): this {
    return this.push({ op: OsdOpCode.STAT });
  }

  /** Compare bytes at offset; mismatch fails the op with -MAX_ERRNO - index. */
  cmpext(offset: number, data: Buffer): this {
    return this.push({ op: OsdOpCode.CMPEXT, extent: { offset, length: data.length }, indata: data });
  }

  /** Let this sub-op fail without failing the whole operation. */
  failOk(): this {
    const last = this.ops[this.ops.length - 1];
    if (last) last.flags = (last.flags ?? 0) | OsdOpFlag.FAILOK;
    return this;
  }
}

export class ReadOp extends ObjectOperation {
  /** length 0 reads to the end of the object */
  read(offset: number, length: number): this {
    return this.push({ op: OsdOpCode.READ, extent: { offset, length } });
  }

  stat(): this {
    return this.push({ op: OsdOpCode.STAT });
  }

  getXattr(key: string): this {
    const k = name(key, 'xattr');
    return this.push({ op: OsdOpCode.GETXATTR, xattr: { nameLen: k.length, valueLen: 0 }, indata: k });
  }

  getXattrs(): this {
    return this.push({ op: OsdOpCode.GETXATTRS });
  }

  listWatchers(): this {
    return this.push({ op: OsdOpCode.LIST_WATCHERS });
  }

  getOmapVals(startAfter: string, filterPrefix: string, maxReturn: number): this {
    const indata = new Encoder(64).string(startAfter).u64(maxReturn).string(filterPrefix).toBuffer();
    return this.push({ op: OsdOpCode.OMAPGETVALS, extent: { offset: 0, length: indata.length }, indata });
  }

  getOmapKeys(startAfter: string, maxReturn: number): this {
    const indata = new Encoder(32).string(startAfter).u64(maxReturn).toBuffer();
    return this.push({ op: OsdOpCode.OMAPGETKEYS, extent: { offset: 0, length: indata.length }, indata });
  }

  getOmapValsByKeys(keys: readonly string[]): this {
    const indata = new Encoder(64).list([...keys].sort(), (e, k) => e.string(k)).toBuffer();
    return this.push({ op: OsdOpCode.OMAPGETVALSBYKEYS, extent: { offset: 0, length: indata.length }, indata });
  }

  static decodeOmapVals(out: Buffer): { entries: Map<string, Buffer>; more: boolean } {
    const d = new Decoder(out, 0, out.length, 'omap_get_vals');
    const entries = d.map(
      (x) => x.string(),
      (x) => Buffer.from(x.bufferlist()),
      8,
    );
    const more = d.done ? false : d.bool();
    return { entries, more };
  }

  static decodeOmapKeys(out: Buffer): { keys: string[]; more: boolean } {
    const d = new Decoder(out, 0, out.length, 'omap_get_keys');
    const keys = d.list((x) => x.string(), 4);
    const more = d.done ? false : d.bool();
    return { keys, more };
  }

  static decodeOmapValsByKeys(out: Buffer): Map<string, Buffer> {
    const d = new Decoder(out, 0, out.length, 'omap_get_vals_by_keys');
    return d.map(
      (x) => x.string(),
      (x) => Buffer.from(x.bufferlist()),
      8,
    );
  }
}

export class WriteOp extends ObjectOperation {
  /** Add the ops of `other` after these (one compound op, run in order by the OSD). */
  extend(other: WriteOp): this {
    this.ops.push(...other.ops);
    return this;
  }

  write(data: Buffer, offset = 0): this {
    return this.push({ op: OsdOpCode.WRITE, extent: { offset, length: data.length }, indata: data });
  }

  writeFull(data: Buffer): this {
    return this.push({ op: OsdOpCode.WRITEFULL, extent: { offset: 0, length: data.length }, indata: data });
  }

  append(data: Buffer): this {
    return this.push({ op: OsdOpCode.APPEND, extent: { offset: 0, length: data.length }, indata: data });
  }

  /** roll the object back to its state at a snapshot */
  rollback(snapid: bigint): this {
    return this.push({ op: OsdOpCode.ROLLBACK, snap: { snapid } });
  }

  truncate(size: number): this {
    return this.push({ op: OsdOpCode.TRUNCATE, extent: { offset: size, length: 0 } });
  }

  zero(offset: number, length: number): this {
    // a zero-length ZERO trips an assertion in Pacific OSDs (PrimaryLogPG do_osd_ops)
    if (!(length > 0)) throw cephError('EINVAL', `zero of ${length} bytes`, { op: 'zero' });
    return this.push({ op: OsdOpCode.ZERO, extent: { offset, length } });
  }

  remove(): this {
    return this.push({ op: OsdOpCode.DELETE });
  }

  create(exclusive: boolean): this {
    return this.push({ op: OsdOpCode.CREATE, flags: exclusive ? OsdOpFlag.EXCL : 0 });
  }

  setXattr(key: string, value: Buffer): this {
    const k = name(key, 'xattr');
    return this.push({ op: OsdOpCode.SETXATTR, xattr: { nameLen: k.length, valueLen: value.length }, indata: Buffer.concat([k, value]) });
  }

  rmXattr(key: string): this {
    const k = name(key, 'xattr');
    return this.push({ op: OsdOpCode.RMXATTR, xattr: { nameLen: k.length, valueLen: 0 }, indata: k });
  }

  setOmap(kv: Map<string, Buffer> | Record<string, Buffer>): this {
    const entries = (kv instanceof Map ? [...kv.entries()] : Object.entries(kv)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const indata = new Encoder(64)
      .map(
        entries,
        (e, k) => e.string(k),
        (e, v) => e.bufferlist(v),
      )
      .toBuffer();
    return this.push({ op: OsdOpCode.OMAPSETVALS, extent: { offset: 0, length: indata.length }, indata });
  }

  removeOmapKeys(keys: readonly string[]): this {
    const indata = new Encoder(64).list([...keys].sort(), (e, k) => e.string(k)).toBuffer();
    return this.push({ op: OsdOpCode.OMAPRMKEYS, extent: { offset: 0, length: indata.length }, indata });
  }

  clearOmap(): this {
    return this.push({ op: OsdOpCode.OMAPCLEAR });
  }

  setAllocHint(expectedObjectSize: number, expectedWriteSize: number, flags = 0): this {
    this.push({ op: OsdOpCode.SETALLOCHINT, allocHint: { expectedObjectSize, expectedWriteSize, flags } });
    return this.failOk();
  }

  /** Ask for per-op output data of a write op (e.g. a cls call's output). */
  returnVec(): this {
    this.flags |= OsdFlag.RETURNVEC;
    return this;
  }
}
