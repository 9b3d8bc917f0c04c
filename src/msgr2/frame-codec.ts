// msgr2.1 (rev1) frame assembly for crc and secure modes (doc/dev/msgr2.rst,
// src/msg/async/frames_v2.{h,cc}; docs/protocol.md §2.1-2.4).
//
// crc mode:    preamble(32) [seg0 crc32c] [seg1 seg2 seg3 epilogue(13)]
// secure mode: GCM(preamble + 48 B of seg0) [GCM(rest of seg0)] [GCM(seg1..3 padded + epilogue(16))]
//
// Large segments are passed as lists of Buffers and never concatenated on the way out:
// crc mode computes the crc over the pieces and hands them to the socket as they are;
// secure mode feeds them through the cipher piece by piece.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { crc32c } from '../encoding/crc32c.js';
import { DecodeError, cephError } from '../encoding/errno.js';

export const PREAMBLE_LEN = 32;
export const MAX_SEGMENTS = 4;
const CRC_EPILOGUE_LEN = 13;
const SECURE_INLINE = 48;
const GCM_TAG = 16;
const SECURE_PREAMBLE_BLOCK = PREAMBLE_LEN + SECURE_INLINE + GCM_TAG; // 96
const SECURE_EPILOGUE_LEN = 16;
/** late_status low nibble: frame complete */
const LATE_STATUS_COMPLETE = 0x0e;
const LATE_STATUS_ABORTED = 0x01;

export const DEFAULT_ALIGN = 8;
export const DATA_ALIGN = 4096;

/** A segment to send: one buffer or a list of pieces. */
export type SegmentData = Buffer | readonly Buffer[];

export interface SegmentDesc {
  length: number;
  alignment: number;
}

export interface Preamble {
  tag: number;
  numSegments: number;
  segments: SegmentDesc[]; // always 4 entries
}

export interface Frame {
  tag: number;
  segments: Buffer[]; // numSegments entries
}

/** Upper bound on one received segment; a larger length in a preamble is refused. */
export const MAX_SEGMENT_LEN = 512 * 1024 * 1024;

function segLen(s: SegmentData | undefined): number {
  if (s === undefined) return 0;
  if (Buffer.isBuffer(s)) return s.length;
  let n = 0;
  for (const p of s as readonly Buffer[]) n += p.length;
  return n;
}

function pieces(s: SegmentData | undefined): readonly Buffer[] {
  if (s === undefined) return [];
  return Buffer.isBuffer(s) ? [s] : (s as readonly Buffer[]);
}

function crcOf(seed: number, s: SegmentData | undefined): number {
  let c = seed;
  for (const p of pieces(s)) c = crc32c(c, p);
  return c;
}

const pad16 = (n: number): number => (n + 15) & ~15;

export function encodePreamble(tag: number, segs: readonly SegmentData[], aligns: readonly number[]): Buffer {
  // trailing empty segments are not counted; at least one
  let num = segs.length;
  while (num > 1 && segLen(segs[num - 1]) === 0) num--;
  const b = Buffer.alloc(PREAMBLE_LEN);
  b[0] = tag;
  b[1] = num;
  for (let i = 0; i < num; i++) {
    b.writeUInt32LE(segLen(segs[i]), 2 + i * 6);
    b.writeUInt16LE(aligns[i] ?? DEFAULT_ALIGN, 6 + i * 6);
  }
  b.writeUInt32LE(crc32c(0, b, 0, 28), 28);
  return b;
}

export function decodePreamble(b: Buffer): Preamble {
  const crc = b.readUInt32LE(28);
  const calc = crc32c(0, b, 0, 28);
  if (crc !== calc) throw new DecodeError(`preamble crc 0x${crc.toString(16)} != 0x${calc.toString(16)}`, 28, 'frame');
  const tag = b[0]!;
  const numSegments = b[1]!;
  if (numSegments < 1 || numSegments > MAX_SEGMENTS) throw new DecodeError(`bad segment count ${numSegments}`, 1, 'frame');
  const segments: SegmentDesc[] = [];
  for (let i = 0; i < MAX_SEGMENTS; i++) {
    const length = b.readUInt32LE(2 + i * 6);
    const alignment = b.readUInt16LE(6 + i * 6);
    if (i >= numSegments && length !== 0) throw new DecodeError(`uncounted segment ${i} has length ${length}`, 2 + i * 6, 'frame');
    if (length > MAX_SEGMENT_LEN) throw new DecodeError(`segment ${i} length ${length} too large`, 2 + i * 6, 'frame');
    segments.push({ length, alignment });
  }
  if (numSegments > 1 && segments[numSegments - 1]!.length === 0) {
    throw new DecodeError('last counted segment is empty', 1, 'frame');
  }
  return { tag, numSegments, segments };
}

// ---- secure mode cipher state ------------------------------------------------------------

/** AES-128-GCM state of one direction: key and the {le32 fixed, le64 counter} nonce. */
class GcmStream {
  private readonly nonce: Buffer;
  private readonly initialCounter: bigint;
  constructor(
    private readonly key: Buffer,
    nonce: Buffer,
  ) {
    this.nonce = Buffer.from(nonce);
    this.initialCounter = this.nonce.readBigUInt64LE(4);
  }

  private next(): Buffer {
    const n = Buffer.from(this.nonce);
    const c = BigInt.asUintN(64, this.nonce.readBigUInt64LE(4) + 1n);
    if (c === this.initialCounter) throw cephError('EPROTO', 'secure mode: out of nonces', { op: 'msgr2' });
    this.nonce.writeBigUInt64LE(c, 4);
    return n;
  }

  /** Encrypt the concatenation of `parts` (+ `padTo` zero padding); returns ciphertext pieces + tag. */
  seal(parts: readonly Buffer[], out: Buffer[]): void {
    const c = createCipheriv('aes-128-gcm', this.key, this.next());
    for (const p of parts) if (p.length) out.push(c.update(p));
    const f = c.final();
    if (f.length) out.push(f);
    out.push(c.getAuthTag());
  }

  /** Decrypt ciphertext whose last 16 bytes are the tag. Throws on a bad tag. */
  open(ct: Buffer): Buffer {
    const d = createDecipheriv('aes-128-gcm', this.key, this.next());
    d.setAuthTag(ct.subarray(ct.length - GCM_TAG));
    const body = d.update(ct.subarray(0, ct.length - GCM_TAG));
    try {
      d.final();
    } catch {
      throw new DecodeError('secure mode: GCM authentication tag mismatch', 0, 'frame');
    }
    return body;
  }
}

const ZEROS = Buffer.alloc(64);
function zeroPad(n: number): Buffer {
  return n <= ZEROS.length ? ZEROS.subarray(0, n) : Buffer.alloc(n);
}

/**
 * Frame encoder/decoder for one connection. Starts in crc mode; `enableSecure()` switches
 * both directions to AES-128-GCM right after AUTH_DONE.
 */
export class FrameCodec {
  private tx: GcmStream | undefined;
  private rx: GcmStream | undefined;

  get secure(): boolean {
    return this.tx !== undefined;
  }

  /** Keys from the 64-byte connection secret: key 0..15, client rx nonce 16..27, tx nonce 28..39. */
  enableSecure(connectionSecret: Buffer): void {
    if (connectionSecret.length < 40) throw cephError('EPROTO', 'connection secret too short', { op: 'msgr2' });
    const key = connectionSecret.subarray(0, 16);
    this.rx = new GcmStream(key, connectionSecret.subarray(16, 28));
    this.tx = new GcmStream(key, connectionSecret.subarray(28, 40));
  }

  /**
   * Encode one frame; returns the pieces to write in order. Segment buffers are not
   * copied in crc mode.
   */
  encode(tag: number, segs: readonly SegmentData[], aligns: readonly number[] = [DEFAULT_ALIGN]): Buffer[] {
    const pre = encodePreamble(tag, segs, aligns);
    const num = pre[1]!;
    const out: Buffer[] = [];
    if (!this.tx) {
      out.push(pre);
      const s0 = segs[0];
      if (segLen(s0) > 0) {
        out.push(...pieces(s0));
        const c = Buffer.allocUnsafe(4);
        c.writeUInt32LE(crcOf(0xffffffff, s0));
        out.push(c);
      }
      if (num > 1) {
        const epi = Buffer.alloc(CRC_EPILOGUE_LEN);
        epi[0] = LATE_STATUS_COMPLETE;
        for (let i = 1; i < MAX_SEGMENTS; i++) {
          if (i < num) {
            out.push(...pieces(segs[i]));
            epi.writeUInt32LE(crcOf(0xffffffff, segs[i]), 1 + (i - 1) * 4);
          }
        }
        out.push(epi);
      }
      return out;
    }
    // secure: A = preamble + first 48 bytes of seg0 (zero-padded)
    const s0 = pieces(segs[0]);
    const s0buf = s0.length === 1 ? s0[0]! : Buffer.concat(s0 as Buffer[]);
    const inline = Math.min(SECURE_INLINE, s0buf.length);
    this.tx.seal([pre, s0buf.subarray(0, inline), zeroPad(SECURE_INLINE - inline)], out);
    if (s0buf.length > SECURE_INLINE) {
      const rest = s0buf.subarray(SECURE_INLINE);
      this.tx.seal([rest, zeroPad(pad16(rest.length) - rest.length)], out);
    }
    if (num > 1) {
      const parts: Buffer[] = [];
      for (let i = 1; i < MAX_SEGMENTS; i++) {
        if (i >= num) continue;
        const n = segLen(segs[i]);
        parts.push(...pieces(segs[i]));
        if (pad16(n) !== n) parts.push(zeroPad(pad16(n) - n));
      }
      const epi = Buffer.alloc(SECURE_EPILOGUE_LEN);
      epi[0] = LATE_STATUS_COMPLETE;
      parts.push(epi);
      this.tx.seal(parts, out);
    }
    return out;
  }

  /** Bytes to read for the first block of a frame (preamble, or GCM block A). */
  get preambleBlockLen(): number {
    return this.rx ? SECURE_PREAMBLE_BLOCK : PREAMBLE_LEN;
  }

  /** Parse the first block. In secure mode also returns the inline start of seg0. */
  readPreamble(block: Buffer): { preamble: Preamble; inline?: Buffer } {
    if (!this.rx) return { preamble: decodePreamble(block) };
    const pt = this.rx.open(block);
    const preamble = decodePreamble(pt.subarray(0, PREAMBLE_LEN));
    return { preamble, inline: pt.subarray(PREAMBLE_LEN) };
  }

  /** Bytes that follow the first block for this preamble. */
  restLen(p: Preamble): number {
    const [s0, s1, s2, s3] = p.segments as [SegmentDesc, SegmentDesc, SegmentDesc, SegmentDesc];
    if (!this.rx) {
      let n = s0.length > 0 ? s0.length + 4 : 0;
      if (p.numSegments > 1) n += s1.length + s2.length + s3.length + CRC_EPILOGUE_LEN;
      return n;
    }
    let n = s0.length > SECURE_INLINE ? pad16(s0.length - SECURE_INLINE) + GCM_TAG : 0;
    if (p.numSegments > 1) n += pad16(s1.length) + pad16(s2.length) + pad16(s3.length) + SECURE_EPILOGUE_LEN + GCM_TAG;
    return n;
  }

  /**
   * Where in the rest of the frame its largest segment starts (crc mode; the data segment of
   * a bulk read reply), for the receiver to place at a page boundary. 0 in secure mode, whose
   * segments are decrypted into buffers of their own.
   */
  bulkOffset(p: Preamble): number {
    if (this.rx || p.numSegments < 2) return 0;
    const l0 = p.segments[0]!.length;
    let off = l0 > 0 ? l0 + 4 : 0;
    let best = 0;
    let bestLen = l0;
    for (let i = 1; i < p.numSegments; i++) {
      const len = p.segments[i]!.length;
      if (len > bestLen) [best, bestLen] = [off, len];
      off += len;
    }
    return best;
  }

  /**
   * Verify and split the rest of the frame into segments. Returns undefined for a frame
   * the sender aborted (late_status ABORTED), which the receiver discards.
   */
  readRest(p: Preamble, rest: Buffer, inline?: Buffer): Buffer[] | undefined {
    const lens = p.segments.map((s) => s.length);
    const segs: Buffer[] = [];
    if (!this.rx) {
      let off = 0;
      if (lens[0]! > 0) {
        const s0 = rest.subarray(0, lens[0]);
        const crc = rest.readUInt32LE(lens[0]!);
        const calc = crc32c(0xffffffff, s0);
        if (crc !== calc) throw new DecodeError(`segment 0 crc mismatch`, lens[0]!, 'frame');
        segs.push(s0);
        off = lens[0]! + 4;
      } else {
        segs.push(rest.subarray(0, 0));
      }
      if (p.numSegments > 1) {
        const starts: number[] = [];
        for (let i = 1; i < MAX_SEGMENTS; i++) {
          starts.push(off);
          off += lens[i]!;
        }
        const epi = rest.subarray(off, off + CRC_EPILOGUE_LEN);
        const late = epi[0]! & 0x0f;
        if (late === LATE_STATUS_ABORTED) return undefined;
        if (late !== LATE_STATUS_COMPLETE) throw new DecodeError(`bad late_status 0x${epi[0]!.toString(16)}`, off, 'frame');
        for (let i = 1; i < p.numSegments; i++) {
          const s = rest.subarray(starts[i - 1]!, starts[i - 1]! + lens[i]!);
          const crc = epi.readUInt32LE(1 + (i - 1) * 4);
          if (crc !== crc32c(0xffffffff, s)) throw new DecodeError(`segment ${i} crc mismatch`, starts[i - 1]!, 'frame');
          segs.push(s);
        }
      }
      return segs;
    }
    // secure mode
    let off = 0;
    const l0 = lens[0]!;
    if (l0 <= SECURE_INLINE) {
      segs.push(inline!.subarray(0, l0));
    } else {
      const bLen = pad16(l0 - SECURE_INLINE) + GCM_TAG;
      const b = this.rx.open(rest.subarray(0, bLen));
      segs.push(Buffer.concat([inline!, b.subarray(0, l0 - SECURE_INLINE)]));
      off = bLen;
    }
    if (p.numSegments > 1) {
      const c = this.rx.open(rest.subarray(off));
      let at = 0;
      for (let i = 1; i < MAX_SEGMENTS; i++) {
        if (i < p.numSegments) segs.push(c.subarray(at, at + lens[i]!));
        at += pad16(lens[i]!);
      }
      const late = c[at]! & 0x0f;
      if (late === LATE_STATUS_ABORTED) return undefined;
      if (late !== LATE_STATUS_COMPLETE) throw new DecodeError(`bad late_status 0x${c[at]!.toString(16)}`, at, 'frame');
    }
    return segs;
  }
}
