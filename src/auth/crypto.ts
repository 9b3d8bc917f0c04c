// cephx symmetric crypto (src/auth/Crypto.cc, src/auth/cephx/CephxProtocol.h), by key type:
//   aes (1):     AES-128-CBC, fixed IV "cephsageyudagreg", PKCS#7 padding; the key usage is ignored.
//   aes256k (2): aes256-cts-hmac-sha384-192 (RFC 8009, ./krb5.ts) keyed per key usage, the
//                usage chosen by the call site (CEPHX_KEY_USAGE_*, CephxProtocol.h).
// encode_encrypt prefixes the plaintext with u8 struct_v 1 and the le64 magic
// 0xff009cad8826aa55 for both types; only aes pads.

import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Decoder } from '../encoding/decoder.js';
import { Encoder } from '../encoding/encoder.js';
import { CEPH_CRYPTO_AES, CEPH_CRYPTO_AES256KRB5, cryptoKeyProblem } from '../encoding/crypto-key.js';
import { cephError, type CephError } from '../encoding/errno.js';
import { CONFOUNDER_LEN, deriveUsageKeys, krb5Decrypt, krb5Encrypt, type UsageKeys } from './krb5.js';

/** A cephx key: a client's own, or a ticket's session key. */
export interface CephxKey {
  /** CEPH_CRYPTO_AES or CEPH_CRYPTO_AES256KRB5 */
  readonly type: number;
  readonly secret: Buffer;
}

/** CEPHX_KEY_USAGE_* (CephxProtocol.h; the kernel's auth_x_protocol.h): what a blob is, for aes256k. */
export const KeyUsage = {
  /** the connection secret in a mon's AUTH_DONE, under the AUTH session key */
  AUTH_CONNECTION_SECRET: 0x03,
  /** a ticket's CephXServiceTicket (session key, validity) */
  TICKET_SESSION_KEY: 0x04,
  /** a ticket blob re-encrypted under the previous AUTH session key (ticket_enc 1) */
  TICKET_BLOB: 0x05,
  /** CephXAuthorize, under the ticket's session key */
  AUTHORIZE: 0x10,
  /** CephXAuthorizeChallenge */
  AUTHORIZE_CHALLENGE: 0x11,
  /** CephXAuthorizeReply (and the connection secret in it) */
  AUTHORIZE_REPLY: 0x12,
} as const;
export type KeyUsage = (typeof KeyUsage)[keyof typeof KeyUsage];

const IV = Buffer.from('cephsageyudagreg', 'latin1');
const MAGIC = 0xff009cad8826aa55n;

function cryptoError(what: string, cause?: unknown): CephError {
  return cephError('EACCES', `cephx: cannot decrypt ${what} (wrong key?)`, { op: 'auth', cause });
}

/** A key checked for its type and length; EINVAL otherwise. */
export function cephxKey(type: number, secret: Buffer): CephxKey {
  const problem = cryptoKeyProblem(type, secret.length);
  if (problem) throw cephError('EINVAL', `cephx key: ${problem}`, { op: 'auth' });
  return { type, secret };
}

// The derived Ke/Ki of each (aes256k secret, usage): a handful per ticket, derived once.
const derived = new WeakMap<Buffer, Map<number, UsageKeys>>();

function usageKeys(key: CephxKey, usage: number): UsageKeys {
  let m = derived.get(key.secret);
  if (!m) derived.set(key.secret, (m = new Map()));
  let k = m.get(usage);
  if (!k) m.set(usage, (k = deriveUsageKeys(key.secret, usage)));
  return k;
}

/** Source of random bytes (aes256k confounders): injectable so a recorded session can be replayed. */
export type RandomSource = (n: number) => Buffer;

/** Encrypt with the key's cipher (aes: usage ignored, no randomness). */
export function encryptWith(key: CephxKey, usage: KeyUsage, plaintext: Uint8Array, random: RandomSource = randomBytes): Buffer {
  if (key.type === CEPH_CRYPTO_AES256KRB5) return krb5Encrypt(usageKeys(key, usage), plaintext, random(CONFOUNDER_LEN));
  const c = createCipheriv('aes-128-cbc', key.secret, IV);
  return Buffer.concat([c.update(plaintext), c.final()]);
}

/** Decrypt with the key's cipher; EACCES when it does not decrypt (wrong key, damaged data). */
export function decryptWith(key: CephxKey, usage: KeyUsage, ciphertext: Uint8Array, what = 'data'): Buffer {
  if (key.type === CEPH_CRYPTO_AES256KRB5) {
    const pt = krb5Decrypt(usageKeys(key, usage), ciphertext);
    if (!pt) throw cryptoError(`${what}: HMAC mismatch or ${ciphertext.length} bytes`);
    return pt;
  }
  if (key.type !== CEPH_CRYPTO_AES) throw cryptoError(`${what}: key type ${key.type}`);
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw cryptoError(`${what}: ciphertext length ${ciphertext.length}`);
  }
  try {
    const d = createDecipheriv('aes-128-cbc', key.secret, IV);
    return Buffer.concat([d.update(ciphertext), d.final()]);
  } catch (e) {
    throw cryptoError(what, e);
  }
}

function sealPlaintext(body: (e: Encoder) => void): Buffer {
  const e = new Encoder(128);
  e.u8(1).u64(MAGIC);
  body(e);
  return e.view();
}

/** encode_encrypt_enc_bl: the raw ciphertext of {1, magic, T}. */
export function encryptRaw(key: CephxKey, usage: KeyUsage, body: (e: Encoder) => void, random?: RandomSource): Buffer {
  return encryptWith(key, usage, sealPlaintext(body), random);
}

/** encode_encrypt: u32 ciphertext length + ciphertext of {1, magic, T}. */
export function encodeEncrypt(key: CephxKey, usage: KeyUsage, body: (e: Encoder) => void, random?: RandomSource): Buffer {
  const ct = encryptRaw(key, usage, body, random);
  const e = new Encoder(ct.length + 4);
  e.bufferlist(ct);
  return e.toBuffer();
}

/** Decrypt raw ciphertext, check struct_v and magic, return a decoder over T. */
export function decryptRaw(key: CephxKey, usage: KeyUsage, ciphertext: Uint8Array, what: string): Decoder {
  const pt = decryptWith(key, usage, ciphertext, what);
  const d = new Decoder(pt, 0, pt.length, what);
  if (pt.length < 9) throw cryptoError(`${what}: ${pt.length} bytes of plaintext`);
  const v = d.u8();
  const magic = d.u64();
  if (v !== 1 || magic !== MAGIC) throw cryptoError(`${what}: bad magic`);
  return d;
}

/** decode_decrypt: read a u32-prefixed ciphertext from `d`, decrypt, return a decoder over T. */
export function decodeDecrypt(key: CephxKey, usage: KeyUsage, d: Decoder, what: string): Decoder {
  const ct = d.bufferlist();
  return decryptRaw(key, usage, ct, what);
}
