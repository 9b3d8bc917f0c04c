// Writer for Ceph's little-endian encoding (src/include/encoding.h). One growable
// buffer; versioned envelopes (ENCODE_START / ENCODE_FINISH) back-fill their length.

export type U64 = bigint | number;

export class Encoder {
  private buf: Buffer;
  private len = 0;

  constructor(initial = 256) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  get length(): number {
    return this.len;
  }

  private reserve(n: number): number {
    const at = this.len;
    const want = at + n;
    if (want > this.buf.length) {
      let size = this.buf.length * 2;
      while (size < want) size *= 2;
      const next = Buffer.allocUnsafe(size);
      this.buf.copy(next, 0, 0, at);
      this.buf = next;
    }
    this.len = want;
    return at;
  }

  u8(v: number): this {
    const at = this.reserve(1);
    this.buf[at] = v & 0xff;
    return this;
  }

  s8(v: number): this {
    return this.u8(v);
  }

  bool(v: boolean): this {
    return this.u8(v ? 1 : 0);
  }

  u16(v: number): this {
    const at = this.reserve(2);
    this.buf.writeUInt16LE(v & 0xffff, at);
    return this;
  }

  s16(v: number): this {
    const at = this.reserve(2);
    this.buf.writeInt16LE(v, at);
    return this;
  }

  u32(v: number): this {
    const at = this.reserve(4);
    this.buf.writeUInt32LE(v >>> 0, at);
    return this;
  }

  s32(v: number): this {
    const at = this.reserve(4);
    this.buf.writeInt32LE(v | 0, at);
    return this;
  }

  u64(v: U64): this {
    const at = this.reserve(8);
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) {
      // two u32 halves: no BigInt on the hot path
      this.buf.writeUInt32LE(v % 0x1_0000_0000, at);
      this.buf.writeUInt32LE(Math.floor(v / 0x1_0000_0000), at + 4);
    } else {
      this.buf.writeBigUInt64LE(BigInt.asUintN(64, BigInt(v)), at);
    }
    return this;
  }

  s64(v: U64): this {
    const at = this.reserve(8);
    this.buf.writeBigInt64LE(BigInt.asIntN(64, BigInt(v)), at);
    return this;
  }

  /** raw bytes, no length */
  bytes(b: Uint8Array): this {
    const at = this.reserve(b.length);
    this.buf.set(b, at);
    return this;
  }

  /** `n` zero bytes */
  zeros(n: number): this {
    const at = this.reserve(n);
    this.buf.fill(0, at, at + n);
    return this;
  }

  /** u32 length + bytes */
  bufferlist(b: Uint8Array): this {
    this.u32(b.length);
    return this.bytes(b);
  }

  /** u32 length + UTF-8 */
  string(s: string): this {
    const n = Buffer.byteLength(s, 'utf8');
    this.u32(n);
    const at = this.reserve(n);
    this.buf.write(s, at, n, 'utf8');
    return this;
  }

  list<T>(items: readonly T[], elem: (e: Encoder, item: T) => void): this {
    this.u32(items.length);
    for (const it of items) elem(this, it);
    return this;
  }

  /** map in the iteration order given (Ceph maps are sorted: sort before calling when it matters) */
  map<K, V>(entries: Iterable<readonly [K, V]>, key: (e: Encoder, k: K) => void, value: (e: Encoder, v: V) => void): this {
    const countAt = this.reserve(4);
    let n = 0;
    for (const [k, v] of entries) {
      key(this, k);
      value(this, v);
      n++;
    }
    this.buf.writeUInt32LE(n, countAt);
    return this;
  }

  /** ENCODE_START(v, compat) ... ENCODE_FINISH: u8 v, u8 compat, u32 body length, body */
  versioned(v: number, compat: number, body: (e: Encoder) => void): this {
    this.u8(v).u8(compat);
    const lenAt = this.reserve(4);
    const start = this.len;
    body(this);
    this.buf.writeUInt32LE(this.len - start, lenAt);
    return this;
  }

  /** A copy of the encoded bytes. */
  toBuffer(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.len));
  }

  /** The encoded bytes as a view (valid until the next write). */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** Encode with a fresh Encoder and return the bytes. */
export function encode(fn: (e: Encoder) => void, initial = 256): Buffer {
  const e = new Encoder(initial);
  fn(e);
  return e.view();
}
