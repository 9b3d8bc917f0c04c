// Ceph's CryptoKey as it appears in keyrings: base64 of
//   u16 type (1 = AES) | utime created (u32 sec, u32 nsec) | u16 secret length | secret
// (all little-endian). For AES the secret is 16 bytes, so the whole thing is 28 bytes.

import { CephError, errnoNumber } from '../encoding/errno.js';

export const CEPH_CRYPTO_NONE = 0;
export const CEPH_CRYPTO_AES = 1;
export const AES_KEY_LEN = 16;
/** header (type + created) plus the secret length field */
const HEADER_LEN = 2 + 8 + 2;
export const CRYPTO_KEY_ENCODED_LEN = HEADER_LEN + AES_KEY_LEN; // 28

export interface CryptoKeyInfo {
  /** CEPH_CRYPTO_AES */
  type: number;
  created: { sec: number; nsec: number };
  /** the 16-byte AES secret */
  secret: Buffer;
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function einval(msg: string): CephError {
  return new CephError(errnoNumber('EINVAL'), msg, { op: 'decode key' });
}

/**
 * Decode one binary CryptoKey starting at `offset` of `buf`; returns the key and the
 * offset just past it. Validates type (AES) and secret length (16).
 */
export function readCryptoKey(buf: Buffer, offset: number, what = 'key'): { key: CryptoKeyInfo; end: number } {
  if (buf.length - offset < HEADER_LEN) {
    throw einval(`${what}: truncated (${buf.length - offset} bytes, need at least ${HEADER_LEN})`);
  }
  const type = buf.readUInt16LE(offset);
  const sec = buf.readUInt32LE(offset + 2);
  const nsec = buf.readUInt32LE(offset + 6);
  const len = buf.readUInt16LE(offset + 10);
  if (type !== CEPH_CRYPTO_AES) {
    throw einval(`${what}: unsupported key type ${type} (only AES = ${CEPH_CRYPTO_AES} is supported)`);
  }
  if (len !== AES_KEY_LEN) {
    throw einval(`${what}: AES secret must be ${AES_KEY_LEN} bytes, got ${len}`);
  }
  const start = offset + HEADER_LEN;
  if (buf.length - start < len) {
    throw einval(`${what}: truncated secret (${buf.length - start} of ${len} bytes)`);
  }
  const secret = Buffer.from(buf.subarray(start, start + len));
  return { key: { type, created: { sec, nsec }, secret }, end: start + len };
}

/** Decode and validate a base64 CryptoKey. EINVAL on bad base64, type, length or size. */
export function parseCryptoKey(base64: string, what = 'key'): CryptoKeyInfo {
  const s = base64.trim();
  if (s === '') throw einval(`${what}: empty`);
  if (!BASE64_RE.test(s)) throw einval(`${what}: not valid base64`);
  const buf = Buffer.from(s, 'base64');
  const { key, end } = readCryptoKey(buf, 0, what);
  if (end !== buf.length) {
    throw einval(`${what}: expected ${CRYPTO_KEY_ENCODED_LEN} bytes, got ${buf.length}`);
  }
  return key;
}

/** The 16-byte AES secret of a base64 CryptoKey (e.g. a keyring's `key = AQ...==`). */
export function decodeCryptoKey(base64: string): Buffer {
  return parseCryptoKey(base64).secret;
}

/** Encode a 16-byte AES secret as Ceph's base64 CryptoKey. */
export function encodeCryptoKey(secret: Buffer, created: { sec: number; nsec: number } = { sec: 0, nsec: 0 }): string {
  if (secret.length !== AES_KEY_LEN) {
    throw einval(`AES secret must be ${AES_KEY_LEN} bytes, got ${secret.length}`);
  }
  const buf = Buffer.alloc(CRYPTO_KEY_ENCODED_LEN);
  buf.writeUInt16LE(CEPH_CRYPTO_AES, 0);
  buf.writeUInt32LE(created.sec >>> 0, 2);
  buf.writeUInt32LE(created.nsec >>> 0, 6);
  buf.writeUInt16LE(AES_KEY_LEN, 10);
  secret.copy(buf, HEADER_LEN);
  return buf.toString('base64');
}
