// msgr2.1 frame tags and control-frame payloads (doc/dev/msgr2.rst, src/msg/async/frames_v2.h;
// docs/protocol.md §2.5-2.6).
// Each control frame has one segment; these are its encoders and decoders.

import { Decoder } from '../encoding/decoder.js';
import { Encoder } from '../encoding/encoder.js';
import {
  decodeEntityAddr,
  decodeEntityAddrvec,
  decodeUTime,
  encodeEntityAddr,
  encodeEntityAddrvec,
  encodeUTime,
  type EntityAddr,
  type UTime,
} from '../encoding/types.js';

export const Tag = {
  HELLO: 1,
  AUTH_REQUEST: 2,
  AUTH_BAD_METHOD: 3,
  AUTH_REPLY_MORE: 4,
  AUTH_REQUEST_MORE: 5,
  AUTH_DONE: 6,
  AUTH_SIGNATURE: 7,
  CLIENT_IDENT: 8,
  SERVER_IDENT: 9,
  IDENT_MISSING_FEATURES: 10,
  SESSION_RECONNECT: 11,
  SESSION_RESET: 12,
  SESSION_RETRY: 13,
  SESSION_RETRY_GLOBAL: 14,
  SESSION_RECONNECT_OK: 15,
  WAIT: 16,
  MESSAGE: 17,
  KEEPALIVE2: 18,
  KEEPALIVE2_ACK: 19,
  ACK: 20,
} as const;

const TAG_NAMES = new Map<number, string>(Object.entries(Tag).map(([k, v]) => [v, k]));
export function tagName(tag: number): string {
  return TAG_NAMES.get(tag) ?? `TAG_${tag}`;
}

/** CEPH_MSG_CONNECT_LOSSY in CLIENT_IDENT / SERVER_IDENT flags */
export const IDENT_FLAG_LOSSY = 1n;

function decodeWhole<T>(payload: Buffer, what: string, fn: (d: Decoder) => T): T {
  const d = new Decoder(payload, 0, payload.length, what);
  const v = fn(d);
  return v;
}

// ---- HELLO --------------------------------------------------------------------------

export interface Hello {
  entityType: number;
  peerAddr: EntityAddr;
}

export function encodeHello(h: Hello): Buffer {
  const e = new Encoder(64);
  e.u8(h.entityType);
  encodeEntityAddr(e, h.peerAddr);
  return e.view();
}

export function decodeHello(p: Buffer): Hello {
  return decodeWhole(p, 'HELLO', (d) => ({ entityType: d.u8(), peerAddr: decodeEntityAddr(d) }));
}

// ---- AUTH_* -------------------------------------------------------------------------

export interface AuthRequest {
  method: number;
  preferredModes: number[];
  payload: Buffer;
}

export function encodeAuthRequest(r: AuthRequest): Buffer {
  const e = new Encoder(64 + r.payload.length);
  e.u32(r.method);
  e.list(r.preferredModes, (b, m) => b.u32(m));
  e.bufferlist(r.payload);
  return e.view();
}

export function decodeAuthRequest(p: Buffer): AuthRequest {
  return decodeWhole(p, 'AUTH_REQUEST', (d) => ({
    method: d.u32(),
    preferredModes: d.list((x) => x.u32(), 4),
    payload: d.bufferlist(),
  }));
}

export interface AuthBadMethod {
  method: number;
  result: number;
  allowedMethods: number[];
  allowedModes: number[];
}

export function encodeAuthBadMethod(b: AuthBadMethod): Buffer {
  const e = new Encoder(64);
  e.u32(b.method).s32(b.result);
  e.list(b.allowedMethods, (x, m) => x.u32(m));
  e.list(b.allowedModes, (x, m) => x.u32(m));
  return e.view();
}

export function decodeAuthBadMethod(p: Buffer): AuthBadMethod {
  return decodeWhole(p, 'AUTH_BAD_METHOD', (d) => ({
    method: d.u32(),
    result: d.s32(),
    allowedMethods: d.list((x) => x.u32(), 4),
    allowedModes: d.list((x) => x.u32(), 4),
  }));
}

/** AUTH_REPLY_MORE and AUTH_REQUEST_MORE: bufferlist auth_payload */
export function encodeAuthMore(payload: Buffer): Buffer {
  return new Encoder(payload.length + 4).bufferlist(payload).view();
}

export function decodeAuthMore(p: Buffer, what = 'AUTH_REPLY_MORE'): Buffer {
  return decodeWhole(p, what, (d) => d.bufferlist());
}

export interface AuthDone {
  globalId: bigint;
  conMode: number;
  payload: Buffer;
}

export function encodeAuthDone(a: AuthDone): Buffer {
  return new Encoder(64 + a.payload.length).u64(a.globalId).u32(a.conMode).bufferlist(a.payload).view();
}

export function decodeAuthDone(p: Buffer): AuthDone {
  return decodeWhole(p, 'AUTH_DONE', (d) => ({ globalId: d.u64(), conMode: d.u32(), payload: d.bufferlist() }));
}

/** AUTH_SIGNATURE: 32 raw bytes of HMAC-SHA256 */
export function decodeAuthSignature(p: Buffer): Buffer {
  return decodeWhole(p, 'AUTH_SIGNATURE', (d) => d.bytes(32));
}

// ---- CLIENT_IDENT / SERVER_IDENT ------------------------------------------------------

export interface ClientIdent {
  addrs: EntityAddr[];
  targetAddr: EntityAddr;
  gid: bigint;
  globalSeq: bigint;
  supportedFeatures: bigint;
  requiredFeatures: bigint;
  flags: bigint;
  clientCookie: bigint;
}

export function encodeClientIdent(c: ClientIdent): Buffer {
  const e = new Encoder(128);
  encodeEntityAddrvec(e, c.addrs);
  encodeEntityAddr(e, c.targetAddr);
  e.s64(c.gid).u64(c.globalSeq).u64(c.supportedFeatures).u64(c.requiredFeatures).u64(c.flags).u64(c.clientCookie);
  return e.view();
}

export function decodeClientIdent(p: Buffer): ClientIdent {
  return decodeWhole(p, 'CLIENT_IDENT', (d) => ({
    addrs: decodeEntityAddrvec(d),
    targetAddr: decodeEntityAddr(d),
    gid: d.s64(),
    globalSeq: d.u64(),
    supportedFeatures: d.u64(),
    requiredFeatures: d.u64(),
    flags: d.u64(),
    clientCookie: d.u64(),
  }));
}

export interface ServerIdent {
  addrs: EntityAddr[];
  gid: bigint;
  globalSeq: bigint;
  supportedFeatures: bigint;
  requiredFeatures: bigint;
  flags: bigint;
  serverCookie: bigint;
}

export function encodeServerIdent(s: ServerIdent): Buffer {
  const e = new Encoder(128);
  encodeEntityAddrvec(e, s.addrs);
  e.s64(s.gid).u64(s.globalSeq).u64(s.supportedFeatures).u64(s.requiredFeatures).u64(s.flags).u64(s.serverCookie);
  return e.view();
}

export function decodeServerIdent(p: Buffer): ServerIdent {
  return decodeWhole(p, 'SERVER_IDENT', (d) => ({
    addrs: decodeEntityAddrvec(d),
    gid: d.s64(),
    globalSeq: d.u64(),
    supportedFeatures: d.u64(),
    requiredFeatures: d.u64(),
    flags: d.u64(),
    serverCookie: d.u64(),
  }));
}

export function decodeIdentMissingFeatures(p: Buffer): bigint {
  return decodeWhole(p, 'IDENT_MISSING_FEATURES', (d) => d.u64());
}

// ---- session frames (lossy clients should never see them) --------------------------

export function decodeSessionReset(p: Buffer): { full: boolean } {
  return decodeWhole(p, 'SESSION_RESET', (d) => ({ full: d.bool() }));
}

// ---- KEEPALIVE2 / KEEPALIVE2_ACK / ACK ---------------------------------------------

export function encodeKeepalive(t: UTime): Buffer {
  const e = new Encoder(8);
  encodeUTime(e, t);
  return e.view();
}

export function decodeKeepalive(p: Buffer, what = 'KEEPALIVE2'): UTime {
  return decodeWhole(p, what, decodeUTime);
}

export function encodeAck(seq: bigint): Buffer {
  return new Encoder(8).u64(seq).view();
}

export function decodeAck(p: Buffer): bigint {
  return decodeWhole(p, 'ACK', (d) => d.u64());
}
