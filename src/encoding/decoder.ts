// Bounds-checked reader for Ceph's little-endian encoding (src/include/encoding.h).
// Every read checks the remaining length first; a length or count field is checked
// against the bytes that remain before anything is allocated for it. The only error
// this module throws is DecodeError.

import { DecodeError } from './errno.js';

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export class Decoder {
  private readonly view: DataView;
  /** absolute offset of the next byte to read */
  pos: number;
  /** absolute offset one past the last readable byte */
  readonly end: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    end = buf.length,
    readonly what = 'decode',
  ) {
    if (start < 0 || end > buf.length || start > end) {
      throw new DecodeError(`bad window [${start}, ${end}) of ${buf.length} bytes`, start, what);
    }
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  get done(): boolean {
    return this.pos === this.end;
  }

  fail(message: string, at = this.pos): never {
    throw new DecodeError(message, at, this.what);
  }

  /** Throws unless n more bytes are readable. */
  need(n: number, field = 'field'): void {
    if (!Number.isInteger(n) || n < 0 || n > this.end - this.pos) {
      this.fail(`truncated ${field}: need ${n} bytes, ${this.end - this.pos} left`);
    }
  }

  skip(n: number): void {
    this.need(n, 'skip');
    this.pos += n;
  }

  u8(): number {
    this.need(1, 'u8');
    return this.view.getUint8(this.pos++);
  }

  s8(): number {
    this.need(1, 's8');
    return this.view.getInt8(this.pos++);
  }

  bool(): boolean {
    return this.u8() !== 0;
  }

  u16(): number {
    this.need(2, 'u16');
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }

  s16(): number {
    this.need(2, 's16');
    const v = this.view.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }

  u32(): number {
    this.need(4, 'u32');
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }

  s32(): number {
    this.need(4, 's32');
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }

  u64(): bigint {
    this.need(8, 'u64');
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  s64(): bigint {
    this.need(8, 's64');
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** u64 that must fit a JS number (sizes, counts, epochs); fails otherwise. */
  u64n(): number {
    const at = this.pos;
    const v = this.u64();
    if (v > MAX_SAFE) this.fail(`u64 ${v} exceeds 2^53`, at);
    return Number(v);
  }

  /** s64 that must fit a JS number (pool ids, -1 markers). */
  s64n(): number {
    const at = this.pos;
    const v = this.s64();
    if (v > MAX_SAFE || v < -MAX_SAFE) this.fail(`s64 ${v} exceeds 2^53`, at);
    return Number(v);
  }

  /** n raw bytes as a view into the input (no copy). */
  bytes(n: number): Buffer {
    this.need(n, 'bytes');
    const b = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, n);
    this.pos += n;
    return b;
  }

  /** u32 length + bytes (bufferlist). */
  bufferlist(): Buffer {
    const at = this.pos;
    const n = this.u32();
    if (n > this.remaining) this.fail(`bufferlist length ${n} exceeds ${this.remaining} remaining`, at);
    return this.bytes(n);
  }

  /** u32 length + UTF-8 bytes. */
  string(): string {
    const at = this.pos;
    const n = this.u32();
    if (n > this.remaining) this.fail(`string length ${n} exceeds ${this.remaining} remaining`, at);
    const s = Buffer.from(this.buf.buffer, this.buf.byteOffset + this.pos, n).toString('utf8');
    this.pos += n;
    return s;
  }

  /**
   * u32 count + elements. `minSize` is the smallest encoding of one element, so a
   * count that cannot fit is refused before any array is grown.
   */
  list<T>(elem: (d: Decoder) => T, minSize = 1): T[] {
    const at = this.pos;
    const n = this.u32();
    if (n * minSize > this.remaining) this.fail(`list count ${n} exceeds ${this.remaining} remaining bytes`, at);
    const out: T[] = [];
    for (let i = 0; i < n; i++) out.push(elem(this));
    return out;
  }

  /** u32 count + (key, value) pairs. */
  map<K, V>(key: (d: Decoder) => K, value: (d: Decoder) => V, minSize = 2): Map<K, V> {
    const at = this.pos;
    const n = this.u32();
    if (n * minSize > this.remaining) this.fail(`map count ${n} exceeds ${this.remaining} remaining bytes`, at);
    const out = new Map<K, V>();
    for (let i = 0; i < n; i++) {
      const k = key(this);
      out.set(k, value(this));
    }
    return out;
  }

  /**
   * A versioned struct (ENCODE_START): u8 struct_v, u8 struct_compat, u32 len, body.
   * Refuses a compat newer than `maxCompat` (we could not understand it); decodes the
   * body inside a window of `len` bytes so it cannot read past it; skips whatever
   * trailing bytes a newer encoder added.
   */
  versioned<T>(maxCompat: number, what: string, body: (d: Decoder, structV: number) => T): T {
    const at = this.pos;
    this.need(6, `${what} header`);
    const v = this.u8();
    const compat = this.u8();
    const len = this.u32();
    if (compat > maxCompat) this.fail(`${what} compat ${compat} is newer than supported ${maxCompat} (struct_v ${v})`, at);
    if (len > this.remaining) this.fail(`${what} length ${len} exceeds ${this.remaining} remaining`, at);
    const inner = new Decoder(this.buf, this.pos, this.pos + len, `${this.what}/${what}`);
    const out = body(inner, v);
    this.pos += len;
    return out;
  }

  /** A decoder over the next n bytes; this one advances past them. */
  sub(n: number, what = this.what): Decoder {
    this.need(n, 'sub-window');
    const d = new Decoder(this.buf, this.pos, this.pos + n, what);
    this.pos += n;
    return d;
  }

  /** Throws if bytes remain (for fixed-layout payloads that must be consumed whole). */
  expectEnd(): void {
    if (this.pos !== this.end) this.fail(`${this.end - this.pos} unexpected trailing bytes`);
  }
}

/**
 * Runs a decode function and turns any non-DecodeError thrown by it (e.g. a RangeError
 * from a bad Buffer op in a caller's callback) into a DecodeError whose `cause` is the
 * original error (the fuzz tests report such a cause as a bug).
 */
export function decodeWith<T>(buf: Uint8Array, what: string, fn: (d: Decoder) => T): T {
  const d = new Decoder(buf, 0, buf.length, what);
  try {
    return fn(d);
  } catch (e) {
    if (e instanceof DecodeError) throw e;
    throw new DecodeError(`${(e as Error)?.message ?? String(e)}`, d.pos, what, e);
  }
}
