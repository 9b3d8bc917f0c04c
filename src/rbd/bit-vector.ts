// The object map's encoding (rbd_object_map.<id>[.<snap>]; src/common/bit_vector.hpp): a
// BitVector<2>, one 2-bit state per data object. Encoded: u32 header length (14) + ENCODE_START(1, 1) { u64 entry count },
// then ceil(n/4) data bytes, entry i in byte i/4 at bit shift 6 - 2*(i%4); a CRC footer
// follows on disk (object_map_load returns the vector without it).

import { Decoder } from '../encoding/decoder.js';

import { OBJECT_NONEXISTENT } from './object-map-state.js';

export class BitVector {
  private constructor(
    readonly count: number,
    private readonly data: Uint8Array,
  ) {}

  static empty(count: number): BitVector {
    return new BitVector(count, new Uint8Array(Math.ceil(count / 4)));
  }

  /** Decode a BitVector<2> (with or without the CRC footer). */
  static decode(buf: Buffer): BitVector {
    const d = new Decoder(buf, 0, buf.length, 'object map');
    const hlen = d.u32();
    const h = d.sub(hlen, 'object map header');
    h.u8(); // struct v
    h.u8(); // compat
    const body = h.sub(h.u32(), 'object map header body');
    const count = body.u64n();
    const bytes = d.bytes(Math.ceil(count / 4));
    return new BitVector(count, Uint8Array.from(bytes));
  }

  get(objno: number): number {
    if (objno >= this.count) return OBJECT_NONEXISTENT;
    return (this.data[objno >> 2]! >> (6 - 2 * (objno & 3))) & 3;
  }

  set(objno: number, state: number): void {
    if (objno >= this.count) return;
    const shift = 6 - 2 * (objno & 3);
    const i = objno >> 2;
    this.data[i] = (this.data[i]! & ~(3 << shift)) | ((state & 3) << shift);
  }

  /** objects whose state is not NONEXISTENT */
  existing(): number[] {
    const out: number[] = [];
    for (let i = 0; i < this.count; i++) if (this.get(i) !== OBJECT_NONEXISTENT) out.push(i);
    return out;
  }
}
