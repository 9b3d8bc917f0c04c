// cephx client: mon authentication, service tickets, authorizers and ticket renewal
// (src/auth/cephx/CephxProtocol.{h,cc}, CephxClientHandler.cc; summary in
// docs/protocol.md §6).

import { createHmac, randomBytes } from 'node:crypto';
import { Decoder } from '../encoding/decoder.js';
import { Encoder } from '../encoding/encoder.js';
import { CephError, cephError } from '../encoding/errno.js';
import { EntityType, decodeUTime, encodeEntityName, type EntityName } from '../encoding/types.js';
import { AuthMethod, ConMode, type AuthHandler, type AuthResult } from '../msgr2/auth-handler.js';
import { CEPH_CRYPTO_AES, decodeCryptoKey } from '../encoding/crypto-key.js';
import { cephxKey, decodeDecrypt, decryptRaw, encodeEncrypt, KeyUsage, type CephxKey, type RandomSource } from './crypto.js';

/** CEPHX request types (CephXRequestHeader.request_type) */
export const CephxRequest = {
  GET_AUTH_SESSION_KEY: 0x0100,
  GET_PRINCIPAL_SESSION_KEY: 0x0200,
  GET_ROTATING_KEY: 0x0400,
} as const;

const AUTH_MODE_MON = 10;

/** A ticket for one service (AUTH, MON, OSD, MGR) and the session key that goes with it. */
export interface Ticket {
  serviceId: number;
  /** the session key; its type is the client key's, or the mon's service cipher if lower */
  sessionKey: CephxKey;
  secretId: bigint;
  /** the CephXTicketBlob as encoded (u8 1, u64 secret_id, bufferlist blob) */
  blobEncoded: Buffer;
  /** ms since epoch */
  expires: number;
  /** renew at expires − validity/4 */
  renewAfter: number;
}

export type { RandomSource } from './crypto.js';

/** CephXTicketBlob: u8 struct_v 1, u64 secret_id, bufferlist blob; returns it and its raw encoding. */
function decodeTicketBlob(d: Decoder): { secretId: bigint; encoded: Buffer } {
  const start = d.pos;
  const v = d.u8();
  if (v !== 1) d.fail(`CephXTicketBlob struct_v ${v}`);
  const secretId = d.u64();
  d.bufferlist();
  return { secretId, encoded: Buffer.from(d.buf.subarray(start, d.pos)) };
}

const EMPTY_TICKET_BLOB = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);

/**
 * Holds the client's identity, global_id and tickets. One per Rados handle; shared by
 * the mon session (which fetches and renews tickets) and every OSD session.
 */
export class CephxClient {
  globalId = 0n;
  private readonly tickets = new Map<number, Ticket>();
  /** services to ask tickets for in the same round trip as the AUTH ticket (other_keys) */
  wantKeys = EntityType.MON | EntityType.OSD | EntityType.MGR | EntityType.AUTH;

  constructor(
    readonly name: EntityName,
    key: CephxKey,
    private readonly random: RandomSource = randomBytes,
  ) {
    this.key = cephxKey(key.type, key.secret);
  }

  /** the client's own key (aes or aes256k) */
  private readonly key: CephxKey;

  /** a random u64 (client challenges, authorizer nonces) */
  randomU64(): bigint {
    return this.random(8).readBigUInt64LE();
  }

  ticket(serviceId: number): Ticket | undefined {
    return this.tickets.get(serviceId);
  }

  /** Services whose tickets are missing or due for renewal. */
  needRenewal(now = Date.now()): number {
    let keys = 0;
    for (const svc of [EntityType.MON, EntityType.OSD, EntityType.MGR]) {
      if ((this.wantKeys & svc) === 0) continue;
      const t = this.tickets.get(svc);
      if (!t || now >= t.renewAfter) keys |= svc;
    }
    return keys;
  }

  /** Earliest renewal time among held tickets (ms since epoch), or undefined. */
  nextRenewal(): number | undefined {
    let next: number | undefined;
    for (const t of this.tickets.values()) if (next === undefined || t.renewAfter < next) next = t.renewAfter;
    return next;
  }

  /**
   * An AuthHandler for one mon connection (AUTH_MODE_MON). The tickets and global_id it
   * obtains are kept aside until `commit()`, so that of several mons hunted in parallel
   * only the session that wins sets the client's identity.
   */
  monHandler(): MonAuthHandler {
    return new MonAuth(this);
  }

  /** Adopt tickets and global_id obtained by a mon handshake. */
  adopt(globalId: bigint, tickets: readonly Ticket[]): void {
    this.globalId = globalId;
    for (const t of tickets) this.tickets.set(t.serviceId, t);
  }

  /** An AuthHandler for a connection to a service (OSD, MGR) using its ticket. */
  serviceHandler(serviceId: number): AuthHandler {
    const t = this.tickets.get(serviceId);
    if (!t) throw cephError('EACCES', `no cephx ticket for service ${serviceId}`, { op: 'connect' });
    return new AuthorizerAuth(this, t);
  }

  // ---- service_ticket_reply ---------------------------------------------------------

  /**
   * Decode a service_ticket_reply whose tickets are encrypted with `key`; tickets
   * re-encrypted for reclaim (ticket_enc 1) use `oldKey`. Stores the tickets.
   */
  readTicketReply(d: Decoder, key: CephxKey, oldKey?: CephxKey, store = true): Ticket[] {
    const v = d.u8();
    if (v !== 1) d.fail(`service_ticket_reply struct_v ${v}`);
    const n = d.u32();
    if (n > 32) d.fail(`service_ticket_reply with ${n} tickets`);
    const now = Date.now();
    const got: Ticket[] = [];
    for (let i = 0; i < n; i++) {
      const serviceId = d.u32();
      const tv = d.u8();
      if (tv !== 1) d.fail(`service ticket struct_v ${tv}`);
      const inner = decodeDecrypt(key, KeyUsage.TICKET_SESSION_KEY, d, `service ticket ${serviceId}`);
      const sv = inner.u8();
      if (sv !== 1) inner.fail(`CephXServiceTicket struct_v ${sv}`);
      const { type, secret } = decodeCryptoKey(inner);
      const sessionKey: CephxKey = { type, secret };
      const validity = decodeUTime(inner);
      const enc = d.u8();
      let blobBytes: Buffer;
      if (enc) {
        if (!oldKey) d.fail('encrypted ticket without an old session key');
        blobBytes = decodeDecrypt(oldKey, KeyUsage.TICKET_BLOB, d, 'reclaimed ticket').bufferlist();
      } else {
        blobBytes = d.bufferlist();
      }
      const blob = decodeTicketBlob(new Decoder(blobBytes, 0, blobBytes.length, 'CephXTicketBlob'));
      const validMs = validity.sec * 1000 + Math.floor(validity.nsec / 1e6);
      const t: Ticket = {
        serviceId,
        sessionKey,
        secretId: blob.secretId,
        blobEncoded: blob.encoded,
        expires: now + validMs,
        renewAfter: now + Math.floor((validMs * 3) / 4),
      };
      if (store) this.tickets.set(serviceId, t);
      got.push(t);
    }
    return got;
  }

  // ---- authorizers -------------------------------------------------------------------

  /** Part A of an authorizer: u8 1, u64 global_id, u32 service_id, CephXTicketBlob. */
  private authorizerHead(e: Encoder, t: Ticket): void {
    e.u8(1).u64(this.globalId).u32(t.serviceId).bytes(t.blobEncoded);
  }

  /** A whole authorizer: part A + encode_encrypt(session key, CephXAuthorize v2). */
  buildAuthorizer(t: Ticket, nonce: bigint, serverChallenge?: bigint): Buffer {
    const e = new Encoder(256);
    this.authorizerHead(e, t);
    e.bytes(
      encodeEncrypt(
        t.sessionKey,
        KeyUsage.AUTHORIZE,
        (b) => {
          b.u8(2).u64(nonce);
          b.u8(serverChallenge === undefined ? 0 : 1);
          b.u64(serverChallenge === undefined ? 0n : BigInt.asUintN(64, serverChallenge + 1n));
        },
        this.random,
      ),
    );
    return e.toBuffer();
  }

  // ---- ticket renewal through MAuth (CEPHX_GET_PRINCIPAL_SESSION_KEY) ---------------

  /** MAuth auth_payload asking for tickets for `keys` (a mask of EntityType bits). */
  buildRenewRequest(keys: number): Buffer {
    const auth = this.tickets.get(EntityType.AUTH);
    if (!auth) throw cephError('EACCES', 'no AUTH ticket to renew service tickets with', { op: 'auth' });
    const e = new Encoder(256);
    e.u16(CephxRequest.GET_PRINCIPAL_SESSION_KEY);
    e.bytes(this.buildAuthorizer(auth, this.randomU64()));
    e.u8(1).u32(keys); // CephXServiceTicketRequest
    return e.toBuffer();
  }

  /** MAuthReply result_bl for a renewal: CephXResponseHeader + service_ticket_reply. */
  handleRenewReply(resultBl: Buffer): Ticket[] {
    const auth = this.tickets.get(EntityType.AUTH);
    if (!auth) throw cephError('EACCES', 'no AUTH ticket', { op: 'auth' });
    const d = new Decoder(resultBl, 0, resultBl.length, 'MAuthReply cephx');
    const type = d.u16();
    const status = d.s32();
    if (type !== CephxRequest.GET_PRINCIPAL_SESSION_KEY) d.fail(`unexpected cephx reply type 0x${type.toString(16)}`);
    if (status !== 0) throw CephError.fromResult(status, { op: 'auth renew' });
    return this.readTicketReply(d, auth.sessionKey);
  }

  /**
   * CephXAuthenticate.key (cephx_calc_client_server_challenge): the XOR of the le64 words of
   * aes: encode_encrypt(secret, {server, client}); aes256k: HMAC-SHA256(secret, le64 server |
   * le64 client), no envelope (the fix for CVE-2025-30156).
   */
  static challengeKey(key: CephxKey, serverChallenge: bigint, clientChallenge: bigint): bigint {
    let h: Buffer;
    if (key.type === CEPH_CRYPTO_AES) {
      h = encodeEncrypt(key, KeyUsage.TICKET_SESSION_KEY, (b) => b.u64(serverChallenge).u64(clientChallenge));
    } else {
      const blob = Buffer.allocUnsafe(16);
      blob.writeBigUInt64LE(serverChallenge, 0);
      blob.writeBigUInt64LE(clientChallenge, 8);
      h = createHmac('sha256', key.secret).update(blob).digest();
    }
    let k = 0n;
    for (let off = 0; off + 8 <= h.length; off += 8) k ^= h.readBigUInt64LE(off);
    return k;
  }

  /** internal: the client's key, for the mon handshake */
  get clientKey(): CephxKey {
    return this.key;
  }
}

export interface MonAuthHandler extends AuthHandler {
  /** make the tickets and global_id of this handshake the client's own */
  commit(): void;
}

/** Authentication to a mon: AUTH_MODE_MON request, server challenge, CephXAuthenticate v3. */
class MonAuth implements MonAuthHandler {
  readonly method = AuthMethod.CEPHX;
  private challenged = false;
  private result: { globalId: bigint; tickets: Ticket[] } | undefined;

  constructor(private readonly cx: CephxClient) {}

  buildRequest(): Buffer {
    const e = new Encoder(64);
    e.u8(AUTH_MODE_MON);
    encodeEntityName(e, this.cx.name);
    e.u64(this.cx.globalId);
    return e.toBuffer();
  }

  handleMore(payload: Buffer): Buffer {
    if (this.challenged) throw cephError('EACCES', 'mon sent a second cephx challenge', { op: 'auth' });
    this.challenged = true;
    const d = new Decoder(payload, 0, payload.length, 'CephXServerChallenge');
    const v = d.u8();
    if (v !== 1) d.fail(`CephXServerChallenge struct_v ${v}`);
    const serverChallenge = d.u64();
    const clientChallenge = this.cx.randomU64();
    const old = this.cx.ticket(EntityType.AUTH);
    const e = new Encoder(256);
    e.u16(CephxRequest.GET_AUTH_SESSION_KEY);
    e.u8(3); // CephXAuthenticate v3: old ticket omitted correctly (CVE-2021-20288)
    e.u64(clientChallenge);
    e.u64(CephxClient.challengeKey(this.cx.clientKey, serverChallenge, clientChallenge));
    // old_ticket: the AUTH ticket held, so the mon hands back the same global_id
    e.bytes(old && this.cx.globalId !== 0n ? old.blobEncoded : EMPTY_TICKET_BLOB);
    e.u32(this.cx.wantKeys);
    return e.toBuffer();
  }

  commit(): void {
    if (this.result) this.cx.adopt(this.result.globalId, this.result.tickets);
  }

  handleDone(globalId: bigint, conMode: number, payload: Buffer): AuthResult {
    const d = new Decoder(payload, 0, payload.length, 'cephx AUTH_DONE');
    const type = d.u16();
    const status = d.s32();
    if (type !== CephxRequest.GET_AUTH_SESSION_KEY) d.fail(`unexpected cephx reply type 0x${type.toString(16)}`);
    if (status !== 0) throw CephError.fromResult(status, { op: 'auth' }, 'mon refused cephx authentication');
    const oldKey = this.cx.ticket(EntityType.AUTH)?.sessionKey;
    const got = this.cx.readTicketReply(d, this.cx.clientKey, oldKey, false);
    const auth = got.find((t) => t.serviceId === EntityType.AUTH);
    if (!auth) return d.fail('no AUTH ticket in the reply');
    let connectionSecret: Buffer | undefined;
    if (!d.done) {
      const cbl = d.bufferlist();
      if (cbl.length > 0) {
        const s = decodeDecrypt(auth.sessionKey, KeyUsage.AUTH_CONNECTION_SECRET, new Decoder(cbl, 0, cbl.length, 'cbl'), 'connection secret').bufferlist();
        if (s.length > 0) connectionSecret = Buffer.from(s);
      }
      if (!d.done) {
        const extra = d.bufferlist();
        if (extra.length > 0) got.push(...this.cx.readTicketReply(new Decoder(extra, 0, extra.length, 'extra tickets'), auth.sessionKey, undefined, false));
      }
    }
    if (conMode === ConMode.SECURE && (!connectionSecret || connectionSecret.length < 40)) {
      throw cephError('EACCES', 'secure mode without a connection secret', { op: 'auth' });
    }
    this.result = { globalId, tickets: got };
    return connectionSecret ? { sessionKey: auth.sessionKey.secret, connectionSecret } : { sessionKey: auth.sessionKey.secret };
  }
}

/** Authentication to a service with an authorizer (AUTH_MODE_AUTHORIZER), incl. the challenge round. */
class AuthorizerAuth implements AuthHandler {
  readonly method = AuthMethod.CEPHX;
  private readonly nonce: bigint;
  private challenged = false;

  constructor(
    private readonly cx: CephxClient,
    private readonly ticket: Ticket,
  ) {
    this.nonce = cx.randomU64();
  }

  buildRequest(): Buffer {
    return this.cx.buildAuthorizer(this.ticket, this.nonce);
  }

  handleMore(payload: Buffer): Buffer {
    if (this.challenged) throw cephError('EACCES', 'service sent a second authorizer challenge', { op: 'connect' });
    this.challenged = true;
    // the AUTH_REPLY_MORE payload is the raw ciphertext of CephXAuthorizeChallenge
    const inner = decryptRaw(this.ticket.sessionKey, KeyUsage.AUTHORIZE_CHALLENGE, payload, 'authorizer challenge');
    const v = inner.u8();
    if (v !== 1) inner.fail(`CephXAuthorizeChallenge struct_v ${v}`);
    const serverChallenge = inner.u64();
    return this.cx.buildAuthorizer(this.ticket, this.nonce, serverChallenge);
  }

  handleDone(_globalId: bigint, conMode: number, payload: Buffer): AuthResult {
    const d = new Decoder(payload, 0, payload.length, 'authorizer reply');
    const inner = decodeDecrypt(this.ticket.sessionKey, KeyUsage.AUTHORIZE_REPLY, d, 'authorizer reply');
    const v = inner.u8();
    const noncePlusOne = inner.u64();
    if (noncePlusOne !== BigInt.asUintN(64, this.nonce + 1n)) throw cephError('EACCES', 'authorizer reply nonce mismatch', { op: 'connect' });
    let connectionSecret: Buffer | undefined;
    if (v >= 2) {
      const s = inner.bufferlist();
      if (s.length > 0) connectionSecret = Buffer.from(s);
    }
    if (conMode === ConMode.SECURE && !connectionSecret) throw cephError('EACCES', 'secure mode without a connection secret', { op: 'connect' });
    return connectionSecret ? { sessionKey: this.ticket.sessionKey.secret, connectionSecret } : { sessionKey: this.ticket.sessionKey.secret };
  }
}
