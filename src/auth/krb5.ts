// aes256-cts-hmac-sha384-192 (RFC 8009), the cipher of Ceph's key type 2 (CEPH_CRYPTO_AES256KRB5,
// "aes256k"). node:crypto gives AES-256 and HMAC-SHA384; the key derivation (RFC 8009 §3) and the
// ciphertext stealing (RFC 3962 §5, CBC-CS3: the last two blocks swapped) are written here.
//
//   Kc, Ke, Ki = KDF-HMAC-SHA2(base key, usage | 0x99 / 0xAA / 0x55, 192 / 256 / 192 bits)
//   encrypt:   C = CTS-AES256(Ke, iv 0, confounder(16) | plaintext)
//              H = HMAC-SHA384(Ki, iv 0 (16 zero bytes) | C), first 24 bytes
//              out = C | H

import { createCipheriv, createDecipheriv, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { AES256K_KEY_LEN } from '../encoding/crypto-key.js';
const BLOCK = 16;
/** the confounder prepended to every plaintext (one AES block) */
export const CONFOUNDER_LEN = BLOCK;
/** HMAC-SHA384 truncated to 192 bits */
export const HMAC_LEN = 24;
/** ciphertext overhead of one message */
export const KRB5_OVERHEAD = CONFOUNDER_LEN + HMAC_LEN;
const ZERO_IV = Buffer.alloc(BLOCK);

/** KDF-HMAC-SHA2 of RFC 8009 §3 with an empty context: the first k bits of HMAC-SHA384(key, 1 | label | 0 | k). */
export function kdfHmacSha384(key: Buffer, label: Buffer, bits: number): Buffer {
  const h = createHmac('sha384', key);
  const i = Buffer.alloc(4);
  i.writeUInt32BE(1);
  const k = Buffer.alloc(4);
  k.writeUInt32BE(bits);
  h.update(i).update(label).update(Buffer.of(0)).update(k);
  return h.digest().subarray(0, bits / 8);
}

/** The keys of one key usage: Ke encrypts, Ki authenticates the ciphertext, Kc checksums. */
export interface UsageKeys {
  ke: Buffer;
  ki: Buffer;
  kc: Buffer;
}

function usageLabel(usage: number, octet: number): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32BE(usage >>> 0);
  b[4] = octet;
  return b;
}

/**
 * RFC 8009 §5: Kc = KDF(base, usage|0x99, 192), Ke = KDF(base, usage|0xAA, 256), Ki = KDF(base,
 * usage|0x55, 192). The whole secret is the HMAC key: Ceph takes aes256k secrets of 32 bytes
 * and more (CryptoAES256KRB5::validate_secret), and so does the CryptoKey decoder.
 */
export function deriveUsageKeys(base: Buffer, usage: number): UsageKeys {
  if (base.length < AES256K_KEY_LEN) throw new RangeError(`aes256k base key must be at least ${AES256K_KEY_LEN} bytes, got ${base.length}`);
  return {
    kc: kdfHmacSha384(base, usageLabel(usage, 0x99), 192),
    ke: kdfHmacSha384(base, usageLabel(usage, 0xaa), 256),
    ki: kdfHmacSha384(base, usageLabel(usage, 0x55), 192),
  };
}

function cbc(key: Buffer, data: Buffer, encrypt: boolean): Buffer {
  const c = encrypt ? createCipheriv('aes-256-cbc', key, ZERO_IV) : createDecipheriv('aes-256-cbc', key, ZERO_IV);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

/** AES-256-CTS with a zero IV (RFC 3962 §5): input of at least one block; output as long as the input. */
export function ctsEncrypt(ke: Buffer, plaintext: Buffer): Buffer {
  const n = plaintext.length;
  if (n < BLOCK) throw new RangeError(`CTS input shorter than a block (${n})`);
  if (n === BLOCK) return cbc(ke, plaintext, true);
  const blocks = Math.ceil(n / BLOCK);
  const padded = Buffer.alloc(blocks * BLOCK);
  plaintext.copy(padded);
  const c = cbc(ke, padded, true);
  const r = n - (blocks - 1) * BLOCK; // bytes in the last (maybe partial) block
  const out = Buffer.allocUnsafe(n);
  c.copy(out, 0, 0, (blocks - 2) * BLOCK);
  c.copy(out, (blocks - 2) * BLOCK, (blocks - 1) * BLOCK, blocks * BLOCK); // the last block, whole
  c.copy(out, (blocks - 1) * BLOCK, (blocks - 2) * BLOCK, (blocks - 2) * BLOCK + r); // the one before, cut
  return out;
}

export function ctsDecrypt(ke: Buffer, ciphertext: Buffer): Buffer {
  const n = ciphertext.length;
  if (n < BLOCK) throw new RangeError(`CTS input shorter than a block (${n})`);
  if (n === BLOCK) return cbc(ke, ciphertext, false);
  const blocks = Math.ceil(n / BLOCK);
  const r = n - (blocks - 1) * BLOCK;
  const last = ciphertext.subarray((blocks - 2) * BLOCK, (blocks - 1) * BLOCK); // E_m, sent whole
  const cut = ciphertext.subarray((blocks - 1) * BLOCK); // E_{m-1}, first r bytes
  // D = dec(E_m) = P_m (zero-padded) xor E_{m-1}: its bytes past r are E_{m-1}'s
  const ecb = createDecipheriv('aes-256-ecb', ke, null);
  ecb.setAutoPadding(false);
  const d = Buffer.concat([ecb.update(last), ecb.final()]);
  const full = Buffer.allocUnsafe(blocks * BLOCK);
  ciphertext.copy(full, 0, 0, (blocks - 2) * BLOCK);
  cut.copy(full, (blocks - 2) * BLOCK);
  d.copy(full, (blocks - 2) * BLOCK + r, r);
  last.copy(full, (blocks - 1) * BLOCK);
  return cbc(ke, full, false).subarray(0, n);
}

function mac(ki: Buffer, c: Buffer): Buffer {
  return createHmac('sha384', ki).update(ZERO_IV).update(c).digest().subarray(0, HMAC_LEN);
}

/** RFC 8009 §5 encryption: CTS(confounder | plaintext) | HMAC. `confounder` only for test vectors. */
export function krb5Encrypt(keys: UsageKeys, plaintext: Uint8Array, confounder: Buffer = randomBytes(CONFOUNDER_LEN)): Buffer {
  if (confounder.length !== CONFOUNDER_LEN) throw new RangeError('confounder must be one block');
  const c = ctsEncrypt(keys.ke, Buffer.concat([confounder, plaintext]));
  return Buffer.concat([c, mac(keys.ki, c)]);
}

/** The plaintext, or undefined if the message is too short or its HMAC does not match. */
export function krb5Decrypt(keys: UsageKeys, message: Uint8Array): Buffer | undefined {
  if (message.length < KRB5_OVERHEAD) return undefined;
  const buf = Buffer.from(message.buffer, message.byteOffset, message.byteLength);
  const c = buf.subarray(0, buf.length - HMAC_LEN);
  const h = buf.subarray(buf.length - HMAC_LEN);
  if (!timingSafeEqual(mac(keys.ki, c), h)) return undefined;
  return ctsDecrypt(keys.ke, c).subarray(CONFOUNDER_LEN);
}

/** RFC 8009 §5 checksum (get_mic): HMAC-SHA384(Kc, data), first 24 bytes. */
export function krb5Checksum(keys: UsageKeys, data: Uint8Array): Buffer {
  return createHmac('sha384', keys.kc).update(data).digest().subarray(0, HMAC_LEN);
}
