// Ceph's CryptoKey as it appears in keyrings: base64 of
//   u16 type (1 = AES) | utime created (u32 sec, u32 nsec) | u16 secret length | secret
// (all little-endian). For AES the secret is 16 bytes, so the whole thing is 28 bytes.

import { AES_KEY_LEN, CEPH_CRYPTO_AES, CRYPTO_KEY_ENCODED_LEN, decodeCryptoKey as decodeKey, encodeCryptoKey as encodeKey } from '../encoding/crypto-key.js';
import { Encoder } from '../encoding/encoder.js';
import { Decoder } from '../encoding/decoder.js';
import { CephError, DecodeError, errnoNumber } from '../encoding/errno.js';

export { AES_KEY_LEN, CEPH_CRYPTO_AES, CEPH_CRYPTO_NONE, CRYPTO_KEY_ENCODED_LEN } from '../encoding/crypto-key.js';

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
 * offset just past it. Validates type (AES) and secret length (16); EINVAL otherwise.
 */
export function readCryptoKey(buf: Buffer, offset: number, what = 'key'): { key: CryptoKeyInfo; end: number } {
  const d = new Decoder(buf, offset, buf.length, what);
  try {
    const key = decodeKey(d);
    return { key, end: d.pos };
  } catch (e) {
    const reason = e instanceof DecodeError ? e.message.replace(/^decode: /, '').replace(/ \(EBADMSG.*$/, '') : String(e);
    throw einval(`${what}: ${reason}`);
  }
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
  const e = new Encoder(CRYPTO_KEY_ENCODED_LEN);
  encodeKey(e, { type: CEPH_CRYPTO_AES, created: { sec: created.sec >>> 0, nsec: created.nsec >>> 0 }, secret });
  const buf = e.toBuffer();
  return buf.toString('base64');
}
