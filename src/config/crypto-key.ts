// Ceph's CryptoKey as it appears in keyrings: base64 of
//   u16 type | utime created (u32 sec, u32 nsec) | u16 secret length | secret
// (all little-endian). Type 1 (aes, base64 "AQ..."): a 16-byte secret, 28 bytes in all.
// Type 2 (aes256k, base64 "Ag..."): a 32-byte secret, 44 bytes in all.

import {
  CEPH_CRYPTO_AES,
  CEPH_CRYPTO_AES256KRB5,
  cryptoKeyProblem,
  decodeCryptoKey as decodeKey,
  encodeCryptoKey as encodeKey,
} from '../encoding/crypto-key.js';
import { Encoder } from '../encoding/encoder.js';
import { Decoder } from '../encoding/decoder.js';
import { DecodeError, cephError } from '../encoding/errno.js';

export { AES_KEY_LEN, AES256K_KEY_LEN, CEPH_CRYPTO_AES, CEPH_CRYPTO_AES256KRB5, CEPH_CRYPTO_NONE, cryptoKeyTypeName } from '../encoding/crypto-key.js';

export interface CryptoKeyInfo {
  /** CEPH_CRYPTO_AES (1) or CEPH_CRYPTO_AES256KRB5 (2) */
  type: number;
  created: { sec: number; nsec: number };
  /** the secret: 16 bytes (aes), 32 (aes256k) */
  secret: Buffer;
}

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Decode one binary CryptoKey starting at `offset` of `buf`; returns the key and the
 * offset just past it. Validates the type (aes, aes256k) and the secret's length; EINVAL otherwise.
 */
export function readCryptoKey(buf: Buffer, offset: number, what = 'key'): { key: CryptoKeyInfo; end: number } {
  const d = new Decoder(buf, offset, buf.length, what);
  try {
    const key = decodeKey(d);
    return { key, end: d.pos };
  } catch (e) {
    const reason = e instanceof DecodeError ? e.message.replace(/^decode: /, '').replace(/ \(EBADMSG.*$/, '') : String(e);
    throw cephError('EINVAL', `${what}: ${reason}`, { op: 'decode key' });
  }
}

/** Decode and validate a base64 CryptoKey. EINVAL on bad base64, type, length or size. */
export function parseCryptoKey(base64: string, what = 'key'): CryptoKeyInfo {
  const s = base64.trim();
  if (s === '') throw cephError('EINVAL', `${what}: empty`, { op: 'decode key' });
  if (!BASE64_RE.test(s)) throw cephError('EINVAL', `${what}: not valid base64`, { op: 'decode key' });
  const buf = Buffer.from(s, 'base64');
  const { key, end } = readCryptoKey(buf, 0, what);
  if (end !== buf.length) throw cephError('EINVAL', `${what}: expected ${end} bytes, got ${buf.length}`, { op: 'decode key' });
  return key;
}

/** The secret of a base64 CryptoKey (e.g. a keyring's `key = AQ...==`). */
export function decodeCryptoKey(base64: string): Buffer {
  return parseCryptoKey(base64).secret;
}

/** Encode a secret as Ceph's base64 CryptoKey: aes for 16 bytes, aes256k for 32 unless `type` says otherwise. */
export function encodeCryptoKey(
  secret: Buffer,
  created: { sec: number; nsec: number } = { sec: 0, nsec: 0 },
  type = secret.length === 16 ? CEPH_CRYPTO_AES : CEPH_CRYPTO_AES256KRB5,
): string {
  const problem = cryptoKeyProblem(type, secret.length);
  if (problem) throw cephError('EINVAL', problem, { op: 'decode key' });
  const e = new Encoder(12 + secret.length);
  encodeKey(e, { type, created: { sec: created.sec >>> 0, nsec: created.nsec >>> 0 }, secret });
  return e.toBuffer().toString('base64');
}
