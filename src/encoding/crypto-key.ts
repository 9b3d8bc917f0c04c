// CryptoKey (src/auth/Crypto.h): u16 type (1 = AES), utime created, u16 secret length,
// secret. The form keys take in keyrings (base64) and in cephx tickets (session keys).

import type { Decoder } from './decoder.js';
import type { Encoder } from './encoder.js';
import { decodeUTime, encodeUTime, type UTime } from './types.js';

export const CEPH_CRYPTO_NONE = 0;
export const CEPH_CRYPTO_AES = 1;
export const AES_KEY_LEN = 16;
/** type + created + secret length + an AES secret */
export const CRYPTO_KEY_ENCODED_LEN = 2 + 8 + 2 + AES_KEY_LEN;

export interface CryptoKey {
  type: number;
  created: UTime;
  /** the 16-byte AES secret */
  secret: Buffer;
}

/** Decode one CryptoKey; only AES keys of 16 bytes are accepted. */
export function decodeCryptoKey(d: Decoder): CryptoKey {
  const type = d.u16();
  const created = decodeUTime(d);
  const len = d.u16();
  if (type !== CEPH_CRYPTO_AES) d.fail(`unsupported key type ${type} (only AES = ${CEPH_CRYPTO_AES} is supported)`);
  if (len !== AES_KEY_LEN) d.fail(`AES secret must be ${AES_KEY_LEN} bytes, got ${len}`);
  const secret = Buffer.from(d.bytes(len));
  return { type, created, secret };
}

export function encodeCryptoKey(e: Encoder, k: CryptoKey): void {
  e.u16(k.type);
  encodeUTime(e, k.created);
  e.u16(k.secret.length).bytes(k.secret);
}
