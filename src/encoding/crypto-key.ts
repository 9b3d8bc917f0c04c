// CryptoKey (src/auth/Crypto.h): u16 type, utime created, u16 secret length, secret. The form
// keys take in keyrings (base64) and in cephx tickets (session keys). Type 1 (AES) has a
// 16-byte secret; type 2 (AES256KRB5, "aes256k", the default since 19.2.6 / 20.2.4) at
// least 32 bytes, all of them the key (CryptoAES256KRB5::validate_secret).

import type { Decoder } from './decoder.js';
import type { Encoder } from './encoder.js';
import { decodeUTime, encodeUTime, type UTime } from './types.js';

export const CEPH_CRYPTO_NONE = 0;
export const CEPH_CRYPTO_AES = 1;
export const CEPH_CRYPTO_AES256KRB5 = 2;
export const AES_KEY_LEN = 16;
export const AES256K_KEY_LEN = 32;
/** the longest secret accepted (the kernel's CEPH_MAX_KEY_LEN is 32; Ceph takes longer aes256k secrets) */
const MAX_SECRET_LEN = 64;

/** The name `ceph auth` and the monmap give each key type. */
export function cryptoKeyTypeName(type: number): string {
  return type === CEPH_CRYPTO_AES ? 'aes' : type === CEPH_CRYPTO_AES256KRB5 ? 'aes256k' : type === CEPH_CRYPTO_NONE ? 'none' : `type ${type}`;
}

export interface CryptoKey {
  /** CEPH_CRYPTO_AES or CEPH_CRYPTO_AES256KRB5 */
  type: number;
  created: UTime;
  /** 16 bytes (aes) or at least 32 (aes256k) */
  secret: Buffer;
}

/** Why a secret of `len` bytes cannot be a key of `type`, or undefined if it can. */
export function cryptoKeyProblem(type: number, len: number): string | undefined {
  if (type === CEPH_CRYPTO_AES) return len === AES_KEY_LEN ? undefined : `AES secret must be ${AES_KEY_LEN} bytes, got ${len}`;
  if (type === CEPH_CRYPTO_AES256KRB5) {
    return len >= AES256K_KEY_LEN && len <= MAX_SECRET_LEN ? undefined : `aes256k secret must be ${AES256K_KEY_LEN} to ${MAX_SECRET_LEN} bytes, got ${len}`;
  }
  return `unsupported key type ${type} (supported: aes = ${CEPH_CRYPTO_AES}, aes256k = ${CEPH_CRYPTO_AES256KRB5})`;
}

/** Decode one CryptoKey; only aes and aes256k keys of a valid length are accepted. */
export function decodeCryptoKey(d: Decoder): CryptoKey {
  const type = d.u16();
  const created = decodeUTime(d);
  const len = d.u16();
  const problem = cryptoKeyProblem(type, len);
  if (problem) d.fail(problem);
  const secret = Buffer.from(d.bytes(len));
  return { type, created, secret };
}

export function encodeCryptoKey(e: Encoder, k: CryptoKey): void {
  e.u16(k.type);
  encodeUTime(e, k.created);
  e.u16(k.secret.length).bytes(k.secret);
}
