// cephx symmetric crypto (src/auth/Crypto.cc, src/auth/cephx/CephxProtocol.h):
// AES-128-CBC, fixed IV "cephsageyudagreg", PKCS#7 padding. encode_encrypt prefixes the
// plaintext with u8 struct_v 1 and the le64 magic 0xff009cad8826aa55.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { Decoder } from '../encoding/decoder.js';
import { Encoder } from '../encoding/encoder.js';
import { CephError, errnoNumber } from '../encoding/errno.js';

const IV = Buffer.from('cephsageyudagreg', 'latin1');
const MAGIC = 0xff009cad8826aa55n;

function cryptoError(what: string, cause?: unknown): CephError {
  return new CephError(errnoNumber('EACCES'), `cephx: cannot decrypt ${what} (wrong key?)`, { op: 'auth', cause });
}

export function aesCbcEncrypt(key: Buffer, plaintext: Uint8Array): Buffer {
  const c = createCipheriv('aes-128-cbc', key, IV);
  return Buffer.concat([c.update(plaintext), c.final()]);
}

export function aesCbcDecrypt(key: Buffer, ciphertext: Uint8Array, what = 'data'): Buffer {
  if (ciphertext.length === 0 || ciphertext.length % 16 !== 0) {
    throw cryptoError(`${what}: ciphertext length ${ciphertext.length}`);
  }
  try {
    const d = createDecipheriv('aes-128-cbc', key, IV);
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
export function encryptRaw(key: Buffer, body: (e: Encoder) => void): Buffer {
  return aesCbcEncrypt(key, sealPlaintext(body));
}

/** encode_encrypt: u32 ciphertext length + ciphertext of {1, magic, T}. */
export function encodeEncrypt(key: Buffer, body: (e: Encoder) => void): Buffer {
  const ct = encryptRaw(key, body);
  const e = new Encoder(ct.length + 4);
  e.bufferlist(ct);
  return e.toBuffer();
}

/** Decrypt raw ciphertext, check struct_v and magic, return a decoder over T. */
export function decryptRaw(key: Buffer, ciphertext: Uint8Array, what: string): Decoder {
  const pt = aesCbcDecrypt(key, ciphertext, what);
  const d = new Decoder(pt, 0, pt.length, what);
  const v = d.u8();
  const magic = d.u64();
  if (v !== 1 || magic !== MAGIC) throw cryptoError(`${what}: bad magic`);
  return d;
}

/** decode_decrypt: read a u32-prefixed ciphertext from `d`, decrypt, return a decoder over T. */
export function decodeDecrypt(key: Buffer, d: Decoder, what: string): Decoder {
  const ct = d.bufferlist();
  return decryptRaw(key, ct, what);
}
