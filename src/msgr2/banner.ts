// msgr2 banner: "ceph v2\n", le16 payload length, le64 supported, le64 required
// (src/msg/async/ProtocolV2.cc; docs/protocol.md §1). The feature bits here are msgr2's own,
// not Ceph's.

import { DecodeError } from '../encoding/errno.js';

export const BANNER_MAGIC = Buffer.from('ceph v2\n', 'latin1');
/** magic + le16 payload length */
export const BANNER_PREFIX_LEN = 10;

export const Msgr2Feature = {
  REVISION_1: 1n,
  COMPRESSION: 2n,
} as const;

export interface Banner {
  supported: bigint;
  required: bigint;
}

export function encodeBanner(b: Banner): Buffer {
  const out = Buffer.alloc(26);
  BANNER_MAGIC.copy(out, 0);
  out.writeUInt16LE(16, 8);
  out.writeBigUInt64LE(b.supported, 10);
  out.writeBigUInt64LE(b.required, 18);
  return out;
}

/** Checks the 10-byte prefix; returns the payload length to read next. */
export function decodeBannerPrefix(prefix: Buffer): number {
  if (!prefix.subarray(0, 8).equals(BANNER_MAGIC)) {
    const legacy = prefix.subarray(0, 7).toString('latin1') === 'ceph v0';
    throw new DecodeError(legacy ? 'peer speaks msgr1 only (legacy banner)' : 'bad banner magic', 0, 'banner');
  }
  const len = prefix.readUInt16LE(8);
  if (len < 16 || len > 4096) throw new DecodeError(`banner payload length ${len}`, 8, 'banner');
  return len;
}

export function decodeBannerPayload(payload: Buffer): Banner {
  return { supported: payload.readBigUInt64LE(0), required: payload.readBigUInt64LE(8) };
}

/** Both sides' required bits must be in the other's supported bits. */
export function bannerCompatible(mine: Banner, peer: Banner): boolean {
  return (mine.required & peer.supported) === mine.required && (peer.required & mine.supported) === peer.required;
}
