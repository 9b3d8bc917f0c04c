// What the messenger needs from an authentication protocol during the msgr2 AUTH
// phase (AUTH_REQUEST / AUTH_REPLY_MORE / AUTH_REQUEST_MORE / AUTH_DONE). The messenger
// knows nothing of cephx; src/auth implements this for mons and for services.

import { cephError } from '../encoding/errno.js';

export const AuthMethod = {
  UNKNOWN: 0,
  NONE: 1,
  CEPHX: 2,
} as const;

/** CEPH_CON_MODE_* */
export const ConMode = {
  UNKNOWN: 0,
  CRC: 1,
  SECURE: 2,
} as const;

export interface AuthResult {
  /** key for the AUTH_SIGNATURE HMAC (the session key of the ticket in use) */
  sessionKey: Buffer;
  /** 64 bytes in secure mode; secure mode keys and nonces come from it */
  connectionSecret?: Buffer;
}

export interface AuthHandler {
  readonly method: number;
  /** payload of the first AUTH_REQUEST */
  buildRequest(): Buffer;
  /** payload of AUTH_REQUEST_MORE answering an AUTH_REPLY_MORE payload */
  handleMore(payload: Buffer): Buffer;
  /** AUTH_DONE: verify the reply; return the keys the connection needs */
  handleDone(globalId: bigint, conMode: number, payload: Buffer): AuthResult;
}

/** Parse Ceph's mode option ("crc", "secure", "secure crc", "crc,secure") into CEPH_CON_MODE_* values; EINVAL otherwise. */
export function parseModeList(value: string): number[] {
  const out: number[] = [];
  for (const word of value.split(/[\s,;]+/).filter(Boolean)) {
    const m = word === 'crc' ? ConMode.CRC : word === 'secure' ? ConMode.SECURE : undefined;
    if (m === undefined) throw cephError('EINVAL', `unknown connection mode '${word}' (expected crc or secure)`, { op: 'parse config' });
    if (!out.includes(m)) out.push(m);
  }
  if (out.length === 0) throw cephError('EINVAL', 'empty connection mode list', { op: 'parse config' });
  return out;
}

export function modeName(mode: number): 'crc' | 'secure' | 'unknown' {
  return mode === ConMode.CRC ? 'crc' : mode === ConMode.SECURE ? 'secure' : 'unknown';
}
