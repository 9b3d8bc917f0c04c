// Fuzz targets for every decoder of bytes from the network or a file, and a driver that runs
// mutated inputs through them. The only thing a target may throw is the project's CephError
// (DecodeError for malformed bytes); anything else, a case slower than SLOW_MS or one that
// allocates more than allocLimit() is a failure, reported with the input as hex.
//
// Seeds are real bytes wherever a capture exists (fixtures/: msgr2 sessions recorded from
// Pacific and Tentacle clusters, mon messages, librados ↔ OSD messages, OSDMaps, CRUSH maps,
// MonMaps, librbd's lock payloads, an object map). Encrypted cephx structures are fuzzed in
// two ways: as recorded (ciphertext, with the recorded client key) and as their decrypted
// plaintext, re-encrypted for each case so that the mutations reach the parser behind the
// cipher. The cls replies, MOSDBackoff, PGNLS and LIST_WATCHERS replies have no capture; their
// seeds are valid values encoded with the project's encoders.

import { createCipheriv, createDecipheriv } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { gunzipSync } from 'node:zlib';
import { unpack } from 'msgpackr';
import { CephxClient, type Ticket } from '../../src/auth/cephx.js';
import { decodeDecrypt, decryptRaw, encodeEncrypt, encryptRaw, KeyUsage, type CephxKey } from '../../src/auth/crypto.js';
import { CephConf } from '../../src/config/ceph-conf.js';
import { parseCryptoKey, readCryptoKey } from '../../src/config/crypto-key.js';
import { ENTITY_TYPE_NUMBERS, parseEntityName } from '../../src/config/entity-name.js';
import { Keyring } from '../../src/config/keyring.js';
import { parseMonHost } from '../../src/config/mon-host.js';
import { parseBool, parseInteger, parseNumber, parseSeconds, parseSize } from '../../src/config/option-values.js';
import { encodeCryptoKey } from '../../src/encoding/crypto-key.js';
import { crc32c } from '../../src/encoding/crc32c.js';
import { Decoder } from '../../src/encoding/decoder.js';
import { Encoder } from '../../src/encoding/encoder.js';
import { CephError } from '../../src/encoding/errno.js';
import { AddrType, decodeEntityAddr, decodeEntityAddrvec, encodeEntityAddr, encodeUuid, EntityType, makeAddr } from '../../src/encoding/types.js';
import { ConMode, parseModeList } from '../../src/msgr2/auth-handler.js';
import { decodeBannerPayload, decodeBannerPrefix, BANNER_PREFIX_LEN } from '../../src/msgr2/banner.js';
import { FrameCodec, type Preamble } from '../../src/msgr2/frame-codec.js';
import * as F from '../../src/msgr2/frames.js';
import { decodeHeader2, HEADER2_LEN, type Message } from '../../src/msgr2/message.js';
import { MsgType } from '../../src/msgr2/msg-types.js';
import { decodeMAuthReply } from '../../src/mon/messages/auth.js';
import { decodeMonCommandAck } from '../../src/mon/messages/mon-command.js';
import { decodeMonGetVersionReply } from '../../src/mon/messages/mon-get-version.js';
import { decodeMonSubscribe, encodeMonSubscribe } from '../../src/mon/messages/mon-subscribe.js';
import { encodePaxosHeader } from '../../src/mon/messages/paxos.js';
import { decodeMPoolOpReply } from '../../src/mon/messages/pool-op.js';
import { decodeMMonMap, decodeMonMap } from '../../src/mon/monmap.js';
import { decodeCrushMapBuffer } from '../../src/rados/crush/decode.js';
import { chooseArgsFor, crushDoRule } from '../../src/rados/crush/mapper.js';
import { IoCtx, type IoCtxHost } from '../../src/rados/ioctx.js';
import { BackoffOp, decodeMOSDBackoff, encodeBackoffAck } from '../../src/rados/messages/osd-backoff.js';
import { decodeMOSDOp } from '../../src/rados/messages/osd-op.js';
import { decodeMOSDOpReply } from '../../src/rados/messages/osd-op-reply.js';
import { DEFAULT_HOBJECT, decodePgNlsResponse } from '../../src/rados/messages/pgnls.js';
import { decodeMWatchNotify, decodeNotifyComplete, WatchEvent } from '../../src/rados/messages/watch-notify.js';
import { ReadOp } from '../../src/rados/op-builder.js';
import { OsdOpCode } from '../../src/rados/osd-ops.js';
import { decodeMOSDMapFront } from '../../src/rados/osdmap/mosdmap.js';
import { decodeIncremental, OSDMap } from '../../src/rados/osdmap/osdmap.js';
import { decodePgPool } from '../../src/rados/osdmap/pg-pool.js';
import { BitVector } from '../../src/rbd/bit-vector.js';
import * as L from '../../src/rbd/cls/lock.js';
import * as R from '../../src/rbd/cls/rbd.js';
import { parseLockCookie } from '../../src/rbd/exclusive-lock.js';
import { decodeNotifyMessage, decodeResponseMessage } from '../../src/rbd/watch-notify.js';
import { capture as lockCapture, hex, pacific as lockPacific } from './rbd-lock-fixtures.js';
import type { TranscriptEvent } from './transcript.js';

// ---- randomness and mutations -------------------------------------------------------------

/** xorshift32: reproducible randomness */
export function rng(seed: number) {
  let x = seed >>> 0 || 1;
  const next = () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
  return {
    next,
    /** 0 <= result < n */
    int: (n: number) => (n <= 0 ? 0 : next() % n),
    bytes: (n: number) => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = next() & 0xff;
      return b;
    },
  };
}
export type Rng = ReturnType<typeof rng>;

/** FNV-1a of a string: each target's own random stream, whatever else runs. */
function hashName(s: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h || 1;
}

/** u32 values that a length or count field should never be trusted with */
const HUGE_U32 = [0xffffffff, 0xfffffffe, 0x80000000, 0x7fffffff, 0x40000000, 0x10000000, 0x01000000, 0x00100000, 0x00010000];
const INTERESTING_BYTES = [0x00, 0x01, 0x02, 0x7f, 0x80, 0xfe, 0xff];

function hugeFor(b: Buffer, at: number, r: Rng): number {
  const left = b.length - at - 4;
  switch (r.int(4)) {
    case 0:
      return left + 1 + r.int(16); // just past the end
    case 1:
      return (left * 2 + 1) >>> 0;
    default:
      return HUGE_U32[r.int(HUGE_U32.length)]!;
  }
}

/** One mutation of `b` (never modifies it); `pool` holds the target's seeds, for splices. */
function mutateOnce(b: Buffer, pool: readonly Buffer[], r: Rng): Buffer {
  const n = b.length;
  switch (r.int(11)) {
    case 0: // truncation
      return Buffer.from(b.subarray(0, r.int(n + 1)));
    case 1: {
      // bit flips
      const out = Buffer.from(b);
      if (n === 0) return out;
      for (let k = 1 + r.int(4); k > 0; k--) {
        const at = r.int(n);
        out[at] = out[at]! ^ (1 << r.int(8));
      }
      return out;
    }
    case 2: {
      // interesting byte values
      const out = Buffer.from(b);
      if (n === 0) return out;
      for (let k = 1 + r.int(3); k > 0; k--) out[r.int(n)] = INTERESTING_BYTES[r.int(INTERESTING_BYTES.length)]!;
      return out;
    }
    case 3: {
      // insert random bytes
      const at = r.int(n + 1);
      return Buffer.concat([b.subarray(0, at), r.bytes(1 + r.int(16)), b.subarray(at)]);
    }
    case 4: {
      // delete a range
      const at = r.int(n + 1);
      const k = 1 + r.int(Math.max(1, Math.min(64, n >> 3)));
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(n, at + k))]);
    }
    case 5: {
      // splice with another seed (or itself, shifted)
      const other = pool[r.int(pool.length)] ?? b;
      return Buffer.concat([b.subarray(0, r.int(n + 1)), other.subarray(r.int(other.length + 1))]);
    }
    case 6:
    case 7: {
      // a u32 (or u16 / u64) at a random offset set to a huge value
      const out = Buffer.from(b);
      if (n < 2) return out;
      const kind = r.int(6);
      if (kind === 0 || n < 4) {
        const at = r.int(n - 1);
        out.writeUInt16LE(r.int(2) ? 0xffff : 0x8000, at);
      } else if (kind === 1 && n >= 8) {
        const at = r.int(n - 7);
        out.writeBigUInt64LE(r.int(2) ? 0xffffffffffffffffn : 0x8000000000000000n, at);
      } else {
        const at = r.int(n - 3);
        out.writeUInt32LE(hugeFor(out, at, r), at);
      }
      return out;
    }
    case 8: {
      // a probable length or count field (a small u32 that fits what follows) set huge
      const out = Buffer.from(b);
      if (n < 4) return out;
      for (let tries = 0; tries < 64; tries++) {
        const at = r.int(n - 3);
        const v = out.readUInt32LE(at);
        if (v > 0 && v <= n - at - 4) {
          out.writeUInt32LE(hugeFor(out, at, r), at);
          return out;
        }
      }
      out.writeUInt32LE(0xffffffff, r.int(n - 3));
      return out;
    }
    case 9: {
      // duplicate a chunk somewhere else
      if (n === 0) return r.bytes(1 + r.int(8));
      const from = r.int(n);
      const len = 1 + r.int(Math.min(64, n - from));
      const at = r.int(n + 1);
      return Buffer.concat([b.subarray(0, at), b.subarray(from, from + len), b.subarray(at)]);
    }
    default:
      // random garbage
      return r.bytes(r.int(Math.min(n * 2 + 8, 1 << 16)));
  }
}

/** A mutated copy of a seed: mostly one mutation, sometimes a few stacked. */
export function mutate(seed: Buffer, pool: readonly Buffer[], r: Rng): Buffer {
  let out = mutateOnce(seed, pool, r);
  if (r.int(4) === 0) for (let k = 1 + r.int(3); k > 0; k--) out = mutateOnce(out, pool, r);
  return out;
}

// ---- targets ---------------------------------------------------------------------------------

export interface FuzzTarget {
  /** group.name: the group is the part before the first dot */
  name: string;
  /** valid inputs (text targets: UTF-8 text), each of which must run without any error */
  seeds: Buffer[];
  /** more starting points for mutations that need not be valid (other decoders' inputs) */
  corpus?: Buffer[];
  /** the input is text (ceph.conf, keyrings, option values); run() gets it as UTF-8 bytes */
  text?: boolean;
  /** relative share of the cases (default 1) */
  weight?: number;
  run(input: Buffer): void | Promise<void>;
}

export const groupOf = (t: Pick<FuzzTarget, 'name'>): string => t.name.slice(0, t.name.indexOf('.'));

const fixture = (p: string): Buffer => readFileSync(new URL(`../../fixtures/${p}`, import.meta.url));
const msgpack = <T>(p: string): T => unpack(fixture(p)) as T;
const msgpackGz = <T>(p: string): T => unpack(gunzipSync(fixture(p))) as T;

interface RawMessage {
  header: Record<string, unknown>;
  front: Uint8Array;
  middle: Uint8Array;
  data: Uint8Array;
}

/**
 * A message as one buffer, so that mutations reach the header version, the front and the
 * data segment alike: u16 header version, u32 front length, front, data (the rest).
 */
function messageBytes(version: number, front: Uint8Array, data: Uint8Array = Buffer.alloc(0)): Buffer {
  const h = Buffer.alloc(6);
  h.writeUInt16LE(version, 0);
  h.writeUInt32LE(front.length, 2);
  return Buffer.concat([h, front, data]);
}

/** The inverse of messageBytes, lenient: whatever is there. */
function asMessage(b: Buffer, type = 0): Message {
  const version = b.length >= 2 ? b.readUInt16LE(0) : 0;
  const frontLen = b.length >= 6 ? b.readUInt32LE(2) : 0;
  const frontEnd = Math.min(b.length, 6 + frontLen);
  return {
    header: { seq: 1n, tid: 1n, type, priority: 127, version, dataPrePaddingLen: 0, dataOff: 0, ackSeq: 0n, flags: 3, compatVersion: 1 },
    front: b.subarray(Math.min(6, b.length), frontEnd),
    middle: Buffer.alloc(0),
    data: b.subarray(frontEnd),
  };
}

const rawToBytes = (m: RawMessage): Buffer => messageBytes(m.header.version as number, m.front, m.data);

/** The message decoders the MonClient and the Objecter dispatch received messages to. */
function decodeMessage(m: Message): void {
  switch (m.header.type) {
    case MsgType.MON_MAP:
      decodeMMonMap(m);
      return;
    case MsgType.OSD_MAP:
      decodeMOSDMapFront(m.front, m.header.version);
      return;
    case MsgType.MON_COMMAND_ACK:
      decodeMonCommandAck(m);
      return;
    case MsgType.MON_GET_VERSION_REPLY:
      decodeMonGetVersionReply(m);
      return;
    case MsgType.POOLOP_REPLY:
      decodeMPoolOpReply(m);
      return;
    case MsgType.AUTH_REPLY:
      decodeMAuthReply(m);
      return;
    case MsgType.OSD_OPREPLY:
      decodeMOSDOpReply(m);
      return;
    case MsgType.WATCH_NOTIFY: {
      const n = decodeMWatchNotify(m);
      if (n.opcode === WatchEvent.NOTIFY_COMPLETE) decodeNotifyComplete(n.data);
      return;
    }
    case MsgType.OSD_BACKOFF:
      decodeMOSDBackoff(m);
      return;
    default:
  }
}

// ---- msgr2: recorded sessions --------------------------------------------------------------

interface HandshakeFixture {
  name: { type: string; id: string };
  keyType?: number;
  secret: Buffer;
  sessions: Array<{ kind: 'mon' | 'osd'; modes: number[]; conMode: number; events: TranscriptEvent[] }>;
}

const pad16 = (n: number): number => (n + 15) & ~15;
const SECURE_INLINE = 48;

/** AES-128-GCM with msgr2's nonce: le32 fixed + le64 counter, incremented per frame block. */
class Gcm {
  private readonly nonce: Buffer;
  constructor(
    private readonly key: Buffer,
    nonce: Buffer,
  ) {
    this.nonce = Buffer.from(nonce);
  }
  private next(): Buffer {
    const n = Buffer.from(this.nonce);
    this.nonce.writeBigUInt64LE(BigInt.asUintN(64, this.nonce.readBigUInt64LE(4) + 1n), 4);
    return n;
  }
  seal(pt: Buffer): Buffer {
    const c = createCipheriv('aes-128-gcm', this.key, this.next());
    return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
  }
  open(ct: Buffer): Buffer {
    const d = createDecipheriv('aes-128-gcm', this.key, this.next());
    d.setAuthTag(ct.subarray(ct.length - 16));
    return Buffer.concat([d.update(ct.subarray(0, ct.length - 16)), d.final()]);
  }
}

/** Plaintext bytes of the blocks after block A: seg0 beyond the inline 48 bytes, and segs 1-3 + epilogue. */
function securePlainLens(p: Preamble): [number, number] {
  const [l0, l1, l2, l3] = p.segments.map((s) => s.length) as [number, number, number, number];
  const b = l0 > SECURE_INLINE ? pad16(l0 - SECURE_INLINE) : 0;
  const c = p.numSegments > 1 ? pad16(l1) + pad16(l2) + pad16(l3) + 16 : 0;
  return [b, c];
}

/** Dispatch a frame's segments to the control-frame decoder of its tag, as the connection does. */
function decodeFrame(tag: number, segs: Buffer[]): void {
  const s0 = segs[0]!;
  switch (tag) {
    case F.Tag.HELLO:
      F.decodeHello(s0);
      return;
    case F.Tag.AUTH_BAD_METHOD:
      F.decodeAuthBadMethod(s0);
      return;
    case F.Tag.AUTH_REPLY_MORE:
      F.decodeAuthMore(s0);
      return;
    case F.Tag.AUTH_DONE:
      F.decodeAuthDone(s0);
      return;
    case F.Tag.AUTH_SIGNATURE:
      F.decodeAuthSignature(s0);
      return;
    case F.Tag.SERVER_IDENT:
      F.decodeServerIdent(s0);
      return;
    case F.Tag.IDENT_MISSING_FEATURES:
      F.decodeIdentMissingFeatures(s0);
      return;
    case F.Tag.SESSION_RESET:
      F.decodeSessionReset(s0);
      return;
    case F.Tag.KEEPALIVE2:
    case F.Tag.KEEPALIVE2_ACK:
      F.decodeKeepalive(s0);
      return;
    case F.Tag.ACK:
      F.decodeAck(s0);
      return;
    case F.Tag.MESSAGE: {
      const [h, front = Buffer.alloc(0), middle = Buffer.alloc(0), data = Buffer.alloc(0)] = segs;
      if (!h || h.length !== HEADER2_LEN) return; // the connection refuses it with a DecodeError
      decodeMessage({ header: decodeHeader2(h), front, middle, data });
      return;
    }
    default:
  }
}

const MAX_FRAMES = 64;

/**
 * Read frames from `bytes` as the connection does: the first block of a frame, its rest once
 * restLen() bytes are there (a shorter tail is a frame still in flight: stop), then decode.
 * Returns the offset after the last whole frame.
 */
function readFrames(codec: FrameCodec, bytes: Buffer, off: number, until?: (tag: number, segs: Buffer[]) => boolean): number {
  for (let n = 0; n < MAX_FRAMES; n++) {
    const blockLen = codec.preambleBlockLen;
    if (bytes.length - off < blockLen) return off;
    const { preamble, inline } = codec.readPreamble(bytes.subarray(off, off + blockLen));
    const len = codec.restLen(preamble);
    if (bytes.length - off - blockLen < len) return off;
    const segs = codec.readRest(preamble, bytes.subarray(off + blockLen, off + blockLen + len), inline);
    off += blockLen + len;
    if (segs) {
      decodeFrame(preamble.tag, segs);
      if (until?.(preamble.tag, segs)) return off;
    }
  }
  return off;
}

/** A copy of a crc-mode frame stream with every preamble, segment and epilogue crc recomputed. */
function fixFrameCrcs(input: Buffer): Buffer {
  const b = Buffer.from(input);
  const codec = new FrameCodec();
  let off = 0;
  for (let n = 0; n < MAX_FRAMES && b.length - off >= 32; n++) {
    b.writeUInt32LE(crc32c(0, b, off, off + 28), off + 28);
    let p: Preamble;
    try {
      p = codec.readPreamble(b.subarray(off, off + 32)).preamble;
    } catch {
      break; // a bad segment count or length: the decoder's error to raise
    }
    const len = codec.restLen(p);
    if (b.length - off - 32 < len) break;
    const lens = p.segments.map((x) => x.length);
    let at = off + 32;
    if (lens[0]! > 0) {
      b.writeUInt32LE(crc32c(0xffffffff, b.subarray(at, at + lens[0]!)), at + lens[0]!);
      at += lens[0]! + 4;
    }
    if (p.numSegments > 1) {
      const epi = at + lens[1]! + lens[2]! + lens[3]!;
      for (let i = 1; i < p.numSegments; i++) {
        b.writeUInt32LE(crc32c(0xffffffff, b.subarray(at, at + lens[i]!)), epi + 1 + (i - 1) * 4);
        at += lens[i]!;
      }
    }
    off += 32 + len;
  }
  return b;
}

interface Session {
  release: string;
  kind: 'mon' | 'osd';
  secureMode: boolean;
  server: Buffer;
  client: Buffer;
  /** crc-mode frames (every frame of a crc session; up to AUTH_DONE in a secure one) */
  frames: Array<{ tag: number; segs: Buffer[]; raw: Buffer }>;
  /** where the secure frames start in `server` */
  secureAt: number;
}

function splitSession(release: string, s: HandshakeFixture['sessions'][number]): Session {
  const server = Buffer.concat(s.events.filter((e) => e.dir === 1).map((e) => Buffer.from(e.data)));
  const client = Buffer.concat(s.events.filter((e) => e.dir === 0).map((e) => Buffer.from(e.data)));
  const secureMode = s.conMode === ConMode.SECURE;
  const frames: Session['frames'] = [];
  const c = new FrameCodec();
  let off = 26; // banner
  while (off < server.length) {
    const start = off;
    const { preamble } = c.readPreamble(server.subarray(off, off + 32));
    const len = c.restLen(preamble);
    const segs = c.readRest(preamble, server.subarray(off + 32, off + 32 + len))!;
    off += 32 + len;
    frames.push({ tag: preamble.tag, segs, raw: server.subarray(start, off) });
    if (secureMode && preamble.tag === F.Tag.AUTH_DONE) break;
  }
  return { release, kind: s.kind, secureMode, server, client, frames, secureAt: off };
}

/** Client → server frames (crc part), for the decoders of what a client sends. */
function clientFrames(s: Session): Array<{ tag: number; payload: Buffer }> {
  const out: Array<{ tag: number; payload: Buffer }> = [];
  const c = new FrameCodec();
  let off = 26;
  while (off + 32 <= s.client.length) {
    // a secure session's client goes secure after AUTH_DONE: its frames stop parsing here
    if (s.secureMode && out.some((f) => f.tag === F.Tag.AUTH_REQUEST_MORE || (s.kind === 'osd' && f.tag === F.Tag.AUTH_REQUEST && out.length > 1))) break;
    const { preamble } = c.readPreamble(s.client.subarray(off, off + 32));
    const len = c.restLen(preamble);
    if (off + 32 + len > s.client.length) break;
    const segs = c.readRest(preamble, s.client.subarray(off + 32, off + 32 + len))!;
    out.push({ tag: preamble.tag, payload: segs[0]! });
    off += 32 + len;
  }
  return out;
}

// ---- cephx: the recorded handshakes, decrypted -------------------------------------------------

interface CephxRelease {
  release: string;
  name: { type: number; id: string };
  key: CephxKey;
  /** tickets the mon sessions gave, by session index */
  ticketsOf: Map<number, { globalId: bigint; tickets: Ticket[] }>;
  /** AUTH_DONE payloads of the mon sessions */
  monDone: Buffer[];
  /** CephXServerChallenge payloads (AUTH_REPLY_MORE of the mon sessions) */
  monChallenge: Buffer[];
  /** decrypted CephXServiceTicket bodies (after struct_v 1 + magic) */
  serviceTicketPlain: Buffer[];
  /** a real AUTH ticket blob (CephXTicketBlob as encoded) */
  authBlob: Buffer;
  /** decrypted connection-secret bodies of the secure mon session */
  connSecretPlain: Buffer[];
  /** AUTH_DONE before and after its connection-secret bufferlist (secure mon session) */
  doneAround: { head: Buffer; tail: Buffer; authKey: CephxKey } | undefined;
  /** OSD sessions: decrypted authorizer challenge and reply bodies, with the tickets they used */
  osd: Array<{ tickets: Ticket[]; globalId: bigint; challengePlain: Buffer | undefined; replyPlain: Buffer }>;
  /** connection secrets, by session index (secure sessions) */
  secrets: Map<number, Buffer>;
}

/** A random source for replaying authorizers: nonces from `nonce`, zero confounders. */
function fixedRandom(nonce: () => bigint): (n: number) => Buffer {
  return (n) => {
    const b = Buffer.alloc(n);
    if (n === 8) b.writeBigUInt64LE(BigInt.asUintN(64, nonce()));
    return b;
  };
}

/** Walk a service_ticket_reply (cephx reply header already read) and decrypt each CephXServiceTicket. */
function ticketPlaintexts(d: Decoder, key: CephxKey): { plain: Buffer[]; blobs: Buffer[] } {
  const plain: Buffer[] = [];
  const blobs: Buffer[] = [];
  d.u8();
  const n = d.u32();
  for (let i = 0; i < n; i++) {
    d.u32();
    d.u8();
    const inner = decodeDecrypt(key, KeyUsage.TICKET_SESSION_KEY, d, 'ticket');
    plain.push(Buffer.from(inner.buf.subarray(inner.pos, inner.end)));
    d.u8(); // ticket_enc: 1 = the blob is encrypted with the previous AUTH session key
    blobs.push(Buffer.from(d.bufferlist()));
  }
  return { plain, blobs };
}

function loadCephx(release: string, fx: HandshakeFixture, sessions: Session[]): CephxRelease {
  const name = { type: ENTITY_TYPE_NUMBERS[fx.name.type]!, id: fx.name.id };
  const key: CephxKey = { type: fx.keyType ?? 1, secret: Buffer.from(fx.secret) };
  const out: CephxRelease = {
    release,
    name,
    key,
    ticketsOf: new Map(),
    monDone: [],
    monChallenge: [],
    serviceTicketPlain: [],
    authBlob: Buffer.alloc(0),
    connSecretPlain: [],
    doneAround: undefined,
    osd: [],
    secrets: new Map(),
  };
  // one client through the sessions, as they were recorded: a later mon session reclaims
  // the global id with the AUTH ticket of the one before (its tickets come back ticket_enc 1)
  const cx = new CephxClient(name, key);
  let last: { globalId: bigint; tickets: Ticket[] } | undefined;
  sessions.forEach((s, i) => {
    const more = s.frames.find((f) => f.tag === F.Tag.AUTH_REPLY_MORE);
    const done = F.decodeAuthDone(s.frames.find((f) => f.tag === F.Tag.AUTH_DONE)!.segs[0]!);
    if (s.kind === 'mon') {
      out.monDone.push(done.payload);
      if (more) out.monChallenge.push(F.decodeAuthMore(more.segs[0]!));
      const h = cx.monHandler();
      const r = h.handleDone(done.globalId, done.conMode, done.payload);
      h.commit();
      last = { globalId: done.globalId, tickets: [EntityType.AUTH, EntityType.MON, EntityType.OSD, EntityType.MGR].map((t) => cx.ticket(t)!).filter(Boolean) };
      out.ticketsOf.set(i, last);
      if (r.connectionSecret) out.secrets.set(i, r.connectionSecret);
      const d = new Decoder(done.payload, 0, done.payload.length);
      d.u16();
      d.s32();
      const { plain, blobs } = ticketPlaintexts(d, key);
      out.serviceTicketPlain.push(...plain);
      if (out.authBlob.length === 0) out.authBlob = blobs[0]!;
      if (!d.done) {
        const headLen = d.pos;
        const cbl = d.bufferlist();
        const tail = done.payload.subarray(d.pos);
        const authKey = cx.ticket(EntityType.AUTH)!.sessionKey;
        if (cbl.length > 0) {
          const inner = decodeDecrypt(authKey, KeyUsage.AUTH_CONNECTION_SECRET, new Decoder(cbl, 0, cbl.length), 'cbl');
          out.connSecretPlain.push(Buffer.from(inner.buf.subarray(inner.pos, inner.end)));
          out.doneAround = { head: done.payload.subarray(0, headLen), tail, authKey };
        }
      }
    } else {
      const use = last!;
      const osdKey = use.tickets.find((t) => t.serviceId === EntityType.OSD)!.sessionKey;
      const challengePlain = more ? decryptRaw(osdKey, KeyUsage.AUTHORIZE_CHALLENGE, F.decodeAuthMore(more.segs[0]!), 'challenge') : undefined;
      const reply = decodeDecrypt(osdKey, KeyUsage.AUTHORIZE_REPLY, new Decoder(done.payload, 0, done.payload.length), 'reply');
      const replyPlain = Buffer.from(reply.buf.subarray(reply.pos, reply.end));
      out.osd.push({
        tickets: use.tickets,
        globalId: use.globalId,
        challengePlain: challengePlain ? Buffer.from(challengePlain.buf.subarray(challengePlain.pos, challengePlain.end)) : undefined,
        replyPlain,
      });
      if (s.secureMode) {
        // CephXAuthorizeReply v2: u8 v, u64 nonce + 1, bufferlist connection secret
        const rd = new Decoder(replyPlain, 0, replyPlain.length);
        rd.u8();
        rd.u64();
        out.secrets.set(i, Buffer.from(rd.bufferlist()));
      }
    }
  });
  return out;
}

// ---- the target list -----------------------------------------------------------------------------

const ZERO_CONFOUNDER = (n: number): Buffer => Buffer.alloc(n);
/** a fixed connection secret for the secure-mode plaintext target */
const FUZZ_SECRET = Buffer.from(Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 0xff));

function buildTargets(): FuzzTarget[] {
  const targets: FuzzTarget[] = [];
  const add = (t: FuzzTarget): void => {
    if (t.seeds.length === 0) throw new Error(`fuzz target ${t.name} has no seeds`);
    targets.push(t);
  };
  const addText = (name: string, seeds: string[], run: (s: string) => void, weight?: number): void =>
    add({ name, seeds: seeds.map((s) => Buffer.from(s, 'utf8')), text: true, run: (b) => run(b.toString('utf8')), ...(weight ? { weight } : {}) });

  // ---- msgr2 ----------------------------------------------------------------------------------
  const releases = ['pacific', 'tentacle'];
  const hs = new Map(releases.map((r) => [r, msgpack<HandshakeFixture>(`handshake-${r}.msgpack`)]));
  const sessions = new Map(releases.map((r) => [r, hs.get(r)!.sessions.map((s) => splitSession(r, s))]));
  const allSessions = [...sessions.values()].flat();
  const cephx = new Map(releases.map((r) => [r, loadCephx(r, hs.get(r)!, sessions.get(r)!)]));

  add({
    name: 'msgr2.banner',
    seeds: allSessions.map((s) => s.server.subarray(0, 26)),
    run: (b) => {
      if (b.length < BANNER_PREFIX_LEN) return;
      const len = decodeBannerPrefix(b.subarray(0, BANNER_PREFIX_LEN));
      if (b.length - BANNER_PREFIX_LEN >= len) decodeBannerPayload(b.subarray(BANNER_PREFIX_LEN, BANNER_PREFIX_LEN + len));
    },
  });

  add({
    name: 'msgr2.frames-crc',
    seeds: allSessions.map((s) => (s.secureMode ? s.server.subarray(26, s.secureAt) : s.server.subarray(26))),
    run: (b) => {
      readFrames(new FrameCodec(), b, 0);
    },
  });

  // the same with the CRCs made right again after the mutation, so that mutated lengths,
  // tags and segment contents get past the crc checks to the parsing behind them
  add({
    name: 'msgr2.frames-crc-fixed',
    seeds: allSessions.map((s) => (s.secureMode ? s.server.subarray(26, s.secureAt) : s.server.subarray(26))),
    run: (b) => {
      const fixed = fixFrameCrcs(b);
      readFrames(new FrameCodec(), fixed, 0);
    },
  });

  // secure mode, as recorded: the ciphertext after AUTH_DONE, with the session's real secret
  const secureRecorded: Array<{ secret: Buffer; bytes: Buffer }> = [];
  for (const r of releases) {
    sessions.get(r)!.forEach((s, i) => {
      const secret = cephx.get(r)!.secrets.get(i);
      if (s.secureMode && secret) secureRecorded.push({ secret, bytes: s.server.subarray(s.secureAt) });
    });
  }
  add({
    name: 'msgr2.frames-secure',
    seeds: secureRecorded.map((s, i) => Buffer.concat([Buffer.from([i]), s.bytes])),
    run: (b) => {
      if (b.length === 0) return;
      const c = new FrameCodec();
      c.enableSecure(secureRecorded[b[0]! % secureRecorded.length]!.secret);
      readFrames(c, b, 1);
    },
  });

  // secure mode, plaintext: the recorded frames decrypted; each case re-encrypts block by block
  // as the preamble it carries asks, so that mutations reach the preamble and segment parsing
  const securePlain = secureRecorded.map(({ secret, bytes }) => {
    const g = new Gcm(secret.subarray(0, 16), secret.subarray(16, 28));
    const rx = new FrameCodec();
    rx.enableSecure(secret);
    const parts: Buffer[] = [];
    let off = 0;
    while (off < bytes.length) {
      const a = g.open(bytes.subarray(off, off + 96));
      const { preamble } = rx.readPreamble(bytes.subarray(off, off + 96));
      rx.readRest(preamble, bytes.subarray(off + 96, off + 96 + rx.restLen(preamble)), a.subarray(32));
      off += 96;
      parts.push(a);
      const [bLen, cLen] = securePlainLens(preamble);
      for (const l of [bLen, cLen]) {
        if (!l) continue;
        parts.push(g.open(bytes.subarray(off, off + l + 16)));
        off += l + 16;
      }
    }
    return Buffer.concat(parts);
  });
  add({
    name: 'msgr2.frames-secure-plaintext',
    seeds: securePlain,
    run: (b) => {
      const rx = new FrameCodec();
      rx.enableSecure(FUZZ_SECRET);
      const tx = new Gcm(FUZZ_SECRET.subarray(0, 16), FUZZ_SECRET.subarray(16, 28));
      let off = 0;
      for (let n = 0; n < MAX_FRAMES && b.length - off >= 80; n++) {
        const { preamble, inline } = rx.readPreamble(tx.seal(b.subarray(off, off + 80)));
        off += 80;
        const [bLen, cLen] = securePlainLens(preamble);
        if (b.length - off < bLen + cLen) return;
        const rest: Buffer[] = [];
        for (const l of [bLen, cLen]) {
          if (!l) continue;
          rest.push(tx.seal(b.subarray(off, off + l)));
          off += l;
        }
        const restBuf = Buffer.concat(rest);
        if (restBuf.length !== rx.restLen(preamble)) throw new Error(`restLen ${rx.restLen(preamble)} != ${restBuf.length} bytes of blocks`);
        const segs = rx.readRest(preamble, restBuf, inline);
        if (segs) decodeFrame(preamble.tag, segs);
      }
    },
  });

  // every control-frame decoder on every recorded payload (server and client frames)
  const serverPayloads = allSessions.flatMap((s) => s.frames.map((f) => f.segs[0]!));
  const clientPayloads = allSessions.flatMap((s) => clientFrames(s).map((f) => f.payload));
  const payloadsOf = (tag: number, from: 'server' | 'client' = 'server'): Buffer[] =>
    from === 'server'
      ? allSessions.flatMap((s) => s.frames.filter((f) => f.tag === tag).map((f) => f.segs[0]!))
      : allSessions.flatMap((s) =>
          clientFrames(s)
            .filter((f) => f.tag === tag)
            .map((f) => f.payload),
        );
  const control: Array<[string, Buffer[], (p: Buffer) => unknown]> = [
    ['hello', payloadsOf(F.Tag.HELLO), F.decodeHello],
    ['auth-request', payloadsOf(F.Tag.AUTH_REQUEST, 'client'), F.decodeAuthRequest],
    [
      'auth-bad-method',
      [F.encodeAuthBadMethod({ method: 2, result: -13, allowedMethods: [2], allowedModes: [2, 1] })], // no capture: encoded
      F.decodeAuthBadMethod,
    ],
    ['auth-more', payloadsOf(F.Tag.AUTH_REPLY_MORE), (p) => F.decodeAuthMore(p)],
    ['auth-done', payloadsOf(F.Tag.AUTH_DONE), F.decodeAuthDone],
    ['auth-signature', payloadsOf(F.Tag.AUTH_SIGNATURE), F.decodeAuthSignature],
    ['client-ident', payloadsOf(F.Tag.CLIENT_IDENT, 'client'), F.decodeClientIdent],
    ['server-ident', payloadsOf(F.Tag.SERVER_IDENT), F.decodeServerIdent],
    ['ident-missing-features', [new Encoder(8).u64(1n << 59n).toBuffer()], F.decodeIdentMissingFeatures],
    ['session-reset', [Buffer.from([1])], F.decodeSessionReset],
    ['keepalive', [F.encodeKeepalive({ sec: 1764000000, nsec: 123456789 })], (p) => F.decodeKeepalive(p)],
    ['ack', [F.encodeAck(7n)], F.decodeAck],
  ];
  const others = [...serverPayloads, ...clientPayloads];
  for (const [name, own, dec] of control) {
    add({ name: `msgr2.control-${name}`, seeds: own, corpus: others.filter((p) => !own.includes(p)), weight: 0.5, run: (b) => void dec(b) });
  }
  add({
    name: 'msgr2.header2',
    seeds: allSessions.flatMap((s) => s.frames.filter((f) => f.tag === F.Tag.MESSAGE).map((f) => f.segs[0]!)),
    weight: 0.3,
    run: (b) => void decodeHeader2(b),
  });
  // entity_addr_t (HELLO: u8 entity type, then the peer's address) and entity_addrvec_t (SERVER_IDENT)
  add({
    name: 'msgr2.entity-addr',
    seeds: [...payloadsOf(F.Tag.HELLO).map((p) => p.subarray(1)), encodeAddrLegacy()],
    weight: 0.5,
    run: (b) => void decodeEntityAddr(new Decoder(b, 0, b.length)),
  });
  add({
    name: 'msgr2.entity-addrvec',
    seeds: payloadsOf(F.Tag.SERVER_IDENT).map((p) => {
      const d = new Decoder(p, 0, p.length);
      decodeEntityAddrvec(d);
      return p.subarray(0, d.pos);
    }),
    weight: 0.5,
    run: (b) => void decodeEntityAddrvec(new Decoder(b, 0, b.length)),
  });

  // ---- cephx ------------------------------------------------------------------------------------
  for (const r of releases) {
    const c = cephx.get(r)!;
    // a client holding the first mon session's tickets (the later one reclaims with them)
    const first = c.ticketsOf.values().next().value!;
    const client = (random?: (n: number) => Buffer) => {
      const cx = new CephxClient(c.name, c.key, random);
      cx.adopt(first.globalId, first.tickets);
      return cx;
    };
    add({
      name: `cephx.${r}-mon-challenge`,
      seeds: c.monChallenge,
      weight: 0.5,
      run: (b) => void client(ZERO_CONFOUNDER).monHandler().handleMore(b),
    });
    // AUTH_DONE as recorded (tickets encrypted with the recorded client key)
    add({
      name: `cephx.${r}-auth-done`,
      seeds: c.monDone,
      run: (b) => {
        const cx = client();
        const h = cx.monHandler();
        h.handleDone(1n, ConMode.CRC, b);
        h.commit();
        cx.serviceHandler(EntityType.OSD).buildRequest();
      },
    });
    // CephXServiceTicket (session key, validity) as plaintext, sealed with the client key
    add({
      name: `cephx.${r}-service-ticket-plaintext`,
      seeds: c.serviceTicketPlain,
      run: (b) => {
        const e = new Encoder(256);
        e.u16(0x0100).s32(0).u8(1).u32(1).u32(EntityType.AUTH).u8(1);
        e.bytes(encodeEncrypt(c.key, KeyUsage.TICKET_SESSION_KEY, (x) => x.bytes(b), ZERO_CONFOUNDER));
        e.u8(0).bufferlist(c.authBlob);
        const cx = client();
        const h = cx.monHandler();
        h.handleDone(1n, ConMode.CRC, e.toBuffer());
        h.commit();
        cx.serviceHandler(EntityType.AUTH).buildRequest();
      },
    });
    if (c.doneAround) {
      const around = c.doneAround;
      add({
        name: `cephx.${r}-connection-secret-plaintext`,
        seeds: c.connSecretPlain,
        weight: 0.5,
        run: (b) => {
          // cbl: bufferlist holding encode_encrypt's u32 length + ciphertext
          const cbl = new Encoder(128)
            .bufferlist(encodeEncrypt(around.authKey, KeyUsage.AUTH_CONNECTION_SECRET, (x) => x.bytes(b), ZERO_CONFOUNDER))
            .toBuffer();
          client()
            .monHandler()
            .handleDone(1n, b.length >= 4 && b.readUInt32LE(0) > 0 ? ConMode.SECURE : ConMode.CRC, Buffer.concat([around.head, cbl, around.tail]));
        },
      });
    }
    // ticket renewal (MAuthReply result_bl): the recorded tickets, re-encoded as the mon sends them
    const authKey = first.tickets.find((t) => t.serviceId === EntityType.AUTH)!.sessionKey;
    const renewal = new Encoder(1024);
    renewal.u16(0x0200).s32(0).u8(1);
    const renewed = first.tickets.filter((t) => t.serviceId !== EntityType.AUTH);
    renewal.u32(renewed.length);
    for (const t of renewed) {
      renewal.u32(t.serviceId).u8(1);
      renewal.bytes(
        encodeEncrypt(
          authKey,
          KeyUsage.TICKET_SESSION_KEY,
          (x) => {
            x.u8(1).u16(t.sessionKey.type).u32(0).u32(0).u16(t.sessionKey.secret.length).bytes(t.sessionKey.secret);
            x.u32(3600).u32(0);
          },
          ZERO_CONFOUNDER,
        ),
      );
      renewal.u8(0).bufferlist(t.blobEncoded.subarray(0));
    }
    add({
      name: `cephx.${r}-renew-reply`,
      seeds: [renewal.toBuffer()],
      run: (b) => {
        const cx = client();
        cx.handleRenewReply(b);
        cx.needRenewal();
      },
    });
    // authorizers: the OSD's challenge and reply, as plaintext sealed with the OSD ticket's key;
    // the client's nonce is the one the input answers (so that the nonce check passes)
    const osd = c.osd;
    const authorizer = (b: Buffer, at: number) => {
      const o = osd[0]!;
      const nonce = b.length >= at + 8 ? b.readBigUInt64LE(at) - 1n : 0n;
      const cx = client(fixedRandom(() => nonce));
      cx.adopt(o.globalId, o.tickets);
      return { h: cx.serviceHandler(EntityType.OSD), key: o.tickets.find((t) => t.serviceId === EntityType.OSD)!.sessionKey };
    };
    add({
      name: `cephx.${r}-authorizer-challenge-plaintext`,
      seeds: osd.flatMap((o) => (o.challengePlain ? [o.challengePlain] : [])),
      weight: 0.5,
      run: (b) => {
        const { h, key } = authorizer(b, 1);
        h.handleMore(encryptRaw(key, KeyUsage.AUTHORIZE_CHALLENGE, (x) => x.bytes(b), ZERO_CONFOUNDER));
      },
    });
    add({
      name: `cephx.${r}-authorizer-reply-plaintext`,
      seeds: osd.map((o) => o.replyPlain),
      run: (b) => {
        const { h, key } = authorizer(b, 1);
        h.buildRequest();
        // CephXAuthorizeReply v2 carries the connection secret secure mode needs
        const mode = (b[0] ?? 0) >= 2 ? ConMode.SECURE : ConMode.CRC;
        h.handleDone(
          0n,
          mode,
          encodeEncrypt(key, KeyUsage.AUTHORIZE_REPLY, (x) => x.bytes(b), ZERO_CONFOUNDER),
        );
      },
    });
  }

  // ---- mon ----------------------------------------------------------------------------------------
  const monFx = msgpack<{ fsid: string; messages: RawMessage[] }>('mon-messages-pacific.msgpack');
  const monOf = (type: number): Buffer[] => monFx.messages.filter((m) => m.header.type === type).map(rawToBytes);
  const monmaps = ['pacific', 'reef', 'tentacle'].map((r) => fixture(`monmap/${r}.bin`));
  add({ name: 'mon.monmap', seeds: monmaps, run: (b) => void decodeMonMap(b) });
  add({ name: 'mon.mmonmap', seeds: monOf(MsgType.MON_MAP), run: (b) => void decodeMMonMap(asMessage(b)) });
  add({ name: 'mon.mauth-reply', seeds: monOf(MsgType.AUTH_REPLY), run: (b) => void decodeMAuthReply(asMessage(b)) });
  add({ name: 'mon.command-ack', seeds: monOf(MsgType.MON_COMMAND_ACK), run: (b) => void decodeMonCommandAck(asMessage(b)) });
  add({ name: 'mon.get-version-reply', seeds: monOf(MsgType.MON_GET_VERSION_REPLY), weight: 0.5, run: (b) => void decodeMonGetVersionReply(asMessage(b)) });
  // no capture of MPoolOpReply: encoded as the mon does (a CREATE_UNMANAGED_SNAP reply carries the snap id)
  const poolOpReply = new Encoder(64);
  encodePaxosHeader(poolOpReply, { version: 42n, sessionMon: -1, sessionMonTid: 0n });
  encodeUuid(poolOpReply, monFx.fsid);
  poolOpReply.s32(0).u32(42).u8(1).bufferlist(new Encoder(8).u64(4n).toBuffer());
  add({ name: 'mon.pool-op-reply', seeds: [messageBytes(1, poolOpReply.toBuffer())], weight: 0.5, run: (b) => void decodeMPoolOpReply(asMessage(b)) });
  add({
    name: 'mon.subscribe',
    seeds: [messageBytes(3, encodeMonSubscribe(new Map([['osdmap', { start: 12, flags: 1 }]]), 'host').front)],
    weight: 0.3,
    run: (b) => void decodeMonSubscribe(asMessage(b)),
  });

  // ---- osdmap and crush ----------------------------------------------------------------------------
  interface Stages {
    stages: Array<{ map: Uint8Array }>;
  }
  interface History {
    messages: Array<{ version: number; front: Uint8Array }>;
    fulls: Record<string, Uint8Array>;
  }
  const stages = msgpackGz<Stages>('osdmap/stages.msgpack.gz');
  const history = msgpackGz<History>('osdmap/history.msgpack.gz');
  const fullMaps = [
    ...stages.stages.map((s) => Buffer.from(s.map)),
    fixture('osdmap/tentacle/osdmap.bin'),
    fixture('crush/msr/msr-pool.osdmap'),
    ...['2', '60', '120'].map((e) => Buffer.from(history.fulls[e]!)),
  ];
  const mosdmapFronts = [...history.messages.map((m) => messageBytes(m.version, m.front)), ...monOf(MsgType.OSD_MAP)];
  const incrementals = new Map<number, Buffer>();
  for (const m of history.messages) for (const [e, inc] of decodeMOSDMapFront(m.front, m.version).incrementals) incrementals.set(e, inc);
  const incSeeds = [...incrementals.entries()].filter(([e]) => e % 9 === 2 || e > 175).map(([, b]) => b);
  add({ name: 'osdmap.mosdmap', seeds: mosdmapFronts, weight: 0.5, run: (b) => void decodeMOSDMapFront(asMessage(b).front, asMessage(b).header.version) });
  add({ name: 'osdmap.full', seeds: fullMaps, weight: 2, run: (b) => void OSDMap.decode(b, { verifyCrc: false }) });
  add({ name: 'osdmap.full-crc', seeds: fullMaps.slice(0, 3), weight: 0.3, run: (b) => void OSDMap.decode(b) });
  add({ name: 'osdmap.incremental', seeds: incSeeds, weight: 2, run: (b) => void decodeIncremental(b, { verifyCrc: false }) });
  const baseMaps = new Map<number, OSDMap>();
  const baseFor = (epoch: number): OSDMap => {
    const e = history.fulls[String(epoch)] ? epoch : 1;
    let m = baseMaps.get(e);
    if (!m) baseMaps.set(e, (m = OSDMap.decode(history.fulls[String(e)]!)));
    return m;
  };
  add({
    name: 'osdmap.apply-incremental',
    seeds: incSeeds,
    weight: 2,
    run: (b) => {
      const inc = decodeIncremental(b, { verifyCrc: false });
      baseFor(inc.epoch - 1).applyIncremental(inc, { verifyCrc: false });
    },
  });
  // pg_pool_t: the pools of the full maps, cut out of them
  const pools: Buffer[] = [];
  for (const m of fullMaps.slice(0, 9)) {
    const d = new Decoder(m, 12 + 16 + 4 + 8 + 8, m.length); // two envelopes, fsid, epoch, created, modified
    for (let n = d.u32(); n > 0; n--) {
      d.s64();
      const start = d.pos;
      d.skip(6 + m.readUInt32LE(d.pos + 2));
      pools.push(m.subarray(start, d.pos));
    }
  }
  add({ name: 'osdmap.pg-pool', seeds: pools, run: (b) => void decodePgPool(new Decoder(b, 0, b.length)) });
  const crushDir = new URL('../../fixtures/crush/', import.meta.url);
  const crushMaps = [
    ...readdirSync(crushDir)
      .filter((f) => f.endsWith('.bin'))
      .map((f) => fixture(`crush/${f}`)),
    ...readdirSync(new URL('msr/', crushDir))
      .filter((f) => f.endsWith('.bin'))
      .map((f) => fixture(`crush/msr/${f}`)),
  ];
  add({ name: 'crush.map', seeds: crushMaps, weight: 1.5, run: (b) => void decodeCrushMapBuffer(b) });
  // what a decodable but damaged map does to the mapper: every rule, a few inputs, 3 replicas
  const weights = new Array<number>(256).fill(0x10000);
  add({
    name: 'crush.do-rule',
    seeds: crushMaps,
    weight: 1.5,
    run: (b) => {
      const map = decodeCrushMapBuffer(b);
      for (let rule = 0; rule < Math.min(map.rules.length, 4); rule++) {
        for (let x = 0; x < 4; x++) crushDoRule(map, rule, x * 0x9e3779b1, 3, weights, chooseArgsFor(map, -1));
      }
    },
  });
  // and to placement: object → PG → up/acting of a few PGs of each pool
  add({
    name: 'osdmap.placement',
    seeds: fullMaps,
    weight: 1.5,
    run: (b) => {
      const m = OSDMap.decode(b, { verifyCrc: false });
      for (const id of [...m.pools.keys()].slice(0, 3)) {
        m.objectLocation(id, 'rbd_header.10a46b8b4567');
        for (let seed = 0; seed < Math.min(m.pgNum(id), 3); seed++) m.pgMapping({ pool: id, seed });
      }
    },
  });

  // ---- OSD replies ------------------------------------------------------------------------------------
  const osdFx = msgpack<{ messages: RawMessage[] }>('librados-osd-ops.msgpack');
  const osdOf = (type: number): RawMessage[] => osdFx.messages.filter((m) => m.header.type === type);
  add({ name: 'osd.op-reply', seeds: osdOf(MsgType.OSD_OPREPLY).map(rawToBytes), run: (b) => void decodeMOSDOpReply(asMessage(b)) });
  add({ name: 'osd.op', seeds: osdOf(MsgType.OSD_OP).map(rawToBytes), weight: 0.5, run: (b) => void decodeMOSDOp(asMessage(b, MsgType.OSD_OP)) });
  add({
    name: 'osd.watch-notify',
    seeds: osdOf(MsgType.WATCH_NOTIFY).map(rawToBytes),
    run: (b) => decodeMessage(asMessage(b, MsgType.WATCH_NOTIFY)),
  });
  // NOTIFY_COMPLETE data: the captured one, and one with acks and a timeout (encoded)
  const complete = new Encoder(128);
  complete.u32(2).u64(4175n).u64(94589345345n).bufferlist(Buffer.from('ack')).u64(4176n).u64(1n).bufferlist(Buffer.alloc(0));
  complete.u32(1).u64(4177n).u64(2n);
  add({
    name: 'osd.notify-complete',
    seeds: [...osdOf(MsgType.WATCH_NOTIFY).map((m) => decodeMWatchNotify(asMessage(rawToBytes(m))).data), complete.toBuffer()].filter((b) => b.length > 0),
    weight: 0.5,
    run: (b) => void decodeNotifyComplete(b),
  });
  // MOSDBackoff: no capture; the BLOCK an OSD sends has the layout of our ACK_BLOCK
  const hobj = (name: string, hash: number): Buffer =>
    new Encoder(64).versioned(4, 3, (e) => e.string('').string(name).u64(0xfffffffffffffffen).u32(hash).u8(0).string('').s64(3)).toBuffer();
  const backoff = encodeBackoffAck(
    { pgid: { pool: 3, seed: 5 }, shard: -1, epoch: 40, op: BackoffOp.BLOCK, id: 9n, begin: hobj('rbd_data.1', 0x12345), end: hobj('', 0x23456) },
    40,
  );
  const BACKOFF_OP_AT = 6 + 17 + 1 + 4; // spg_t envelope (pg_t, shard), epoch
  backoff.front[BACKOFF_OP_AT] = BackoffOp.BLOCK;
  const backoffSeeds = [backoff.front, Buffer.concat([backoff.front.subarray(0, BACKOFF_OP_AT + 9), DEFAULT_HOBJECT, DEFAULT_HOBJECT])];
  add({ name: 'osd.backoff', seeds: backoffSeeds.map((f) => messageBytes(1, f)), run: (b) => void decodeMOSDBackoff(asMessage(b)) });
  // PGNLS: no capture; pg_nls_response_t encoded
  const pgnls = (names: string[], max: boolean): Buffer =>
    new Encoder(256)
      .versioned(1, 1, (e) => {
        e.versioned(4, 3, (h) =>
          h
            .string('')
            .string(max ? '' : names.at(-1)!)
            .u64(0n)
            .u32(0x80000000)
            .u8(max ? 1 : 0)
            .string('')
            .s64(max ? -1 : 3),
        );
        e.list(names, (x, n) => x.string('').string(n).string(''));
      })
      .toBuffer();
  add({ name: 'osd.pgnls', seeds: [pgnls(['rbd_header.1', 'rbd_id.img', 'rbd_directory'], false), pgnls([], true)], run: (b) => void decodePgNlsResponse(b) });
  // outdata of the ops librados ran (omap and friends), decoded by the op builder
  const outdataOf = (op: number): Buffer[] => {
    const out: Buffer[] = [];
    for (const m of osdOf(MsgType.OSD_OPREPLY)) {
      const r = decodeMOSDOpReply(asMessage(rawToBytes(m)));
      for (const o of r.ops) if (o.op === op && o.rval >= 0 && o.outdata.length) out.push(Buffer.from(o.outdata));
    }
    return out;
  };
  add({ name: 'osd.omap-get-vals', seeds: outdataOf(OsdOpCode.OMAPGETVALS), run: (b) => void ReadOp.decodeOmapVals(b) });
  add({ name: 'osd.omap-get-keys', seeds: outdataOf(OsdOpCode.OMAPGETKEYS), run: (b) => void ReadOp.decodeOmapKeys(b) });
  add({ name: 'osd.omap-get-vals-by-keys', seeds: outdataOf(OsdOpCode.OMAPGETVALSBYKEYS), run: (b) => void ReadOp.decodeOmapValsByKeys(b) });
  // IoCtx methods that decode an op's outdata, on an objecter that answers with the input
  const ioctxWith = (out: Buffer): IoCtx => {
    const host = { objecter: { submit: async () => ({ result: 0, ops: [{ op: 0, rval: 0, outdata: out }], version: 1n, epoch: 1 }) } };
    return new IoCtx(host as unknown as IoCtxHost, 1, 'rbd');
  };
  add({ name: 'osd.stat', seeds: outdataOf(OsdOpCode.STAT), weight: 0.3, run: async (b) => void (await ioctxWith(b).stat('o')) });
  add({ name: 'osd.getxattrs', seeds: outdataOf(OsdOpCode.GETXATTRS), weight: 0.5, run: async (b) => void (await ioctxWith(b).getXattrs('o')) });
  // LIST_WATCHERS: no capture; obj_list_watch_response_t encoded
  const watchers = new Encoder(256).versioned(1, 1, (e) =>
    e.list([4175n, 4180n], (x, gid) =>
      x.versioned(2, 1, (w) => {
        w.u8(EntityType.CLIENT)
          .s64(gid)
          .u64(94589345345n + gid)
          .u32(30);
        encodeEntityAddr(w, makeAddr(AddrType.ANY, '127.0.0.1', 0, 3897730030));
      }),
    ),
  );
  add({ name: 'osd.list-watchers', seeds: [watchers.toBuffer()], run: async (b) => void (await ioctxWith(b).listWatchers('o')) });

  // ---- cls replies (src/rbd/cls) ---------------------------------------------------------------------
  const enc = (fn: (e: Encoder) => void): Buffer => {
    const e = new Encoder(64);
    fn(e);
    return e.toBuffer();
  };
  const parent: R.ParentImageSpec = { poolId: 2, poolNamespace: 'ns', imageId: '10a46b8b4567', snapId: 4n };
  const snapInfo = (ns: R.SnapNamespace) =>
    enc((e) =>
      e.versioned(1, 1, (x) => {
        x.u64(4n);
        R.encodeSnapNamespace(x, ns);
        x.string('snap1').u64(1n << 30n);
        R.encodeUTime(x, { sec: 1764000000, nsec: 5 });
        x.u32(1);
      }),
    );
  const cls: Array<[string, R.ClsCall<unknown>, Buffer[]]> = [
    ['get_id', R.getId(), [enc((e) => e.string('10a46b8b4567'))]],
    ['dir_get_id', R.dirGetId('img'), [enc((e) => e.string('10a46b8b4567'))]],
    ['dir_get_name', R.dirGetName('10a46b8b4567'), [enc((e) => e.string('img'))]],
    [
      'dir_list',
      R.dirList('', 64),
      [
        enc((e) =>
          e.map(
            [
              ['img', '10a46b8b4567'],
              ['clone', '10b06b8b4567'],
            ] as const,
            (x, k) => x.string(k),
            (x, v) => x.string(v),
          ),
        ),
      ],
    ],
    ['get_size', R.getSize(), [enc((e) => e.u8(22).u64(1n << 30n))]],
    ['get_features', R.getFeatures(), [enc((e) => e.u64(61n).u64(1n))]],
    ['get_object_prefix', R.getObjectPrefix(), [enc((e) => e.string('rbd_data.10a46b8b4567'))]],
    ['get_data_pool', R.getDataPool(), [enc((e) => e.s64(-1))]],
    ['get_stripe_unit_count', R.getStripeUnitCount(), [enc((e) => e.u64(1n << 22n).u64(1n))]],
    ['get_flags', R.getFlags(), [enc((e) => e.u64(0n))]],
    ['op_features_get', R.opFeaturesGet(), [enc((e) => e.u64(1n))]],
    ['get_create_timestamp', R.getCreateTimestamp(), [enc((e) => R.encodeUTime(e, { sec: 1764000000, nsec: 1 }))]],
    ['get_snapcontext', R.getSnapContext(), [enc((e) => e.u64(6n).list([6n, 4n, 2n], (x, s) => x.u64(s)))]],
    [
      'metadata_list',
      R.metadataList('', 64),
      [
        enc((e) =>
          e.map(
            [['conf_rbd_cache', Buffer.from('false')]] as const,
            (x, k) => x.string(k),
            (x, v) => x.bufferlist(v),
          ),
        ),
      ],
    ],
    ['parent_get', R.parentGet(), [enc((e) => R.encodeParentSpec(e, parent))]],
    ['parent_overlap_get', R.parentOverlapGet(), [enc((e) => e.u8(1).u64(1n << 30n)), enc((e) => e.u8(0))]],
    ['get_children', R.getChildren(parent), [enc((e) => e.list(['10b06b8b4567', '10c06b8b4567'], (x, s) => x.string(s)))]],
    ['children_list', R.childrenList(4n), [enc((e) => e.list([{ poolId: 2, poolNamespace: '', imageId: '10b06b8b4567' }], R.encodeChildSpec))]],
    [
      'snapshot_get',
      R.snapshotGet(4n),
      [
        snapInfo({ type: R.SnapNamespaceType.USER, payload: Buffer.alloc(0) }),
        snapInfo({ type: R.SnapNamespaceType.TRASH, payload: enc((e) => e.string('snap0').u32(0)) }),
      ],
    ],
    ['get_protection_status', R.getProtectionStatus(4n), [enc((e) => e.u8(R.Protection.PROTECTED))]],
  ];
  for (const [name, call, seeds] of cls) add({ name: `cls.rbd-${name}`, seeds, weight: 0.5, run: (b) => void call.decode(b) });
  // object_map_load returns the stored BitVector<2>, which the object map decodes
  add({ name: 'cls.rbd-object_map_load', seeds: [fixture('rbd/object-map-10-objects.bin')], run: (b) => void BitVector.decode(R.objectMapLoad().decode(b)) });
  add({
    name: 'cls.lock-get-info',
    seeds: [hex(lockPacific.get_info.hex), hex(lockCapture.getInfo.hex), hex('010109000000000000000000000000')],
    run: (b) => void L.getInfo('rbd_lock').decode(b),
  });
  add({ name: 'rbd.bit-vector', seeds: [fixture('rbd/object-map-10-objects.bin')], run: (b) => void BitVector.decode(b) });
  // the lock's cookie ("auto <watch handle>") says whether librbd holds it
  const cookies = [
    lockPacific.get_info.cookie,
    ...[lockPacific.get_info.hex, lockCapture.getInfo.hex].map((h) => L.getInfo('rbd_lock').decode(hex(h)).lockers[0]!.cookie),
  ];
  addText('rbd.lock-cookie', cookies, (s) => void parseLockCookie(s), 0.3);
  add({
    name: 'rbd.notify-message',
    seeds: [...lockPacific.notifies.map((n) => hex(n.hex)), ...lockCapture.notifies.map((n) => hex(n.hex))],
    run: (b) => void decodeNotifyMessage(b),
  });
  add({
    name: 'rbd.response-message',
    seeds: [...lockCapture.responses.accepted.hex, ...lockCapture.responses.refused.hex].map(hex),
    weight: 0.5,
    run: (b) => void decodeResponseMessage(b),
  });

  // ---- config: ceph.conf, keyrings, option values --------------------------------------------------
  const keys = releases.map((r) => {
    const fx = hs.get(r)!;
    return enc((e) => encodeCryptoKey(e, { type: fx.keyType ?? 1, created: { sec: 1764000000, nsec: 0 }, secret: Buffer.from(fx.secret) }));
  });
  const keyB64 = keys.map((k) => k.toString('base64'));
  const confs = [
    // as scripts/cluster.sh writes it
    `# generated by scripts/cluster.sh: throwaway test cluster
[global]
fsid = 1b2c3d4e-0d5b-4d5e-9c3a-8d6a3e5c5f60
mon host = [v2:127.0.0.1:40100],[v2:127.0.0.1:40101]
keyring = /tmp/c/keyring
auth client required = cephx
ms mon service mode = secure
osd pool default size = 1

[mon]
mon data = /tmp/c/mon/$id
log file = /tmp/c/log/$name.log
admin socket = /tmp/c/run/$name.asok

[osd]
osd data = /tmp/c/osd/$id
keyring = /tmp/c/osd/$id/keyring
`,
    // option references that fan out (each level names the next twice)
    '[global]\na = $b/$b\nb = ${c}-$c\nc = $d.$d\nd = $cluster\n[client]\nkeyring = /etc/ceph/$a.keyring\n',
    // the syntax corners: quotes, escapes, continuations, comments, option references
    `; comment\n[global]\n\tmon_host = "10.0.0.1:3300, [::1]:3300" # c\n  log-file = /var/log/ceph/$cluster-$name.log\nkeyring = \${admin_keyring}\nadmin keyring = /etc/ceph/$cluster.client.admin.keyring\nlong = a\\\nb \\# not a comment\r\n[client.admin]\nrados osd op timeout = 20\n`,
  ];
  const entity = { type: 'client', id: 'admin' };
  addText('config.ceph-conf', confs, (s) => {
    const c = CephConf.parse(s, 'fuzz.conf');
    for (const sec of c.sections()) for (const k of c.section(sec)!.keys()) c.get(k, entity, 'ceph', { host: 'h', home: '/root', pid: 1 });
  });
  const keyrings = keyB64.map(
    (k) =>
      `[client.admin]\n\tkey = ${k}\n\tcaps mds = "allow *"\n\tcaps mgr = "allow *"\n\tcaps mon = "allow *"\n\tcaps osd = "allow *"\n[mon.]\n\tkey = ${k}\n\tcaps mon = "allow *"\n`,
  );
  addText('config.keyring', [...keyrings, `${keyB64[0]}\n`], (s) => void Keyring.parse(s, 'fuzz.keyring'));
  // keyring.bin: u8 struct_v, map<EntityName, EntityAuth>; no capture, encoded
  const binKeyring = new Encoder(256);
  binKeyring.u8(1).u32(2);
  keys.forEach((k, i) => {
    binKeyring.u32(EntityType.CLIENT).string(i ? 'rbd' : 'admin');
    binKeyring.u8(2).u64(0n).bytes(k);
    binKeyring.map(
      [
        ['mon', 'allow *'],
        ['osd', 'profile rbd'],
      ] as const,
      (x, s) => x.string(s),
      (x, v) => x.bufferlist(new Encoder(32).string(v).toBuffer()),
    );
  });
  add({ name: 'config.keyring-binary', seeds: [binKeyring.toBuffer()], run: (b) => void Keyring.fromBuffer(b, 'fuzz.keyring') });
  addText('config.crypto-key', keyB64, (s) => void parseCryptoKey(s), 0.5);
  add({ name: 'config.crypto-key-binary', seeds: keys, weight: 0.5, run: (b) => void readCryptoKey(b, 0) });
  addText(
    'config.mon-host',
    ['[v2:127.0.0.1:40100,v1:127.0.0.1:40101],[v2:127.0.0.1:40102]', '10.0.0.1, 10.0.0.2:6789 [::1]:3300; mon.example.com', 'v2:[fe80::1%eth0]:3300/0'],
    (s) => void parseMonHost(s),
  );
  // option values as ceph.conf gives them
  const optionParsers: Array<[string, (s: string) => unknown, string[]]> = [
    ['size', parseSize, ['4M', '1.5G', '4096', '64KiB']],
    ['seconds', parseSeconds, ['30', '0.5', '10m', '2h']],
    ['bool', parseBool, ['true', 'false', '1', '0']],
    ['integer', parseInteger, ['-12', '30', '1000000']],
    ['number', parseNumber, ['0.5', '1e3', '-2.25']],
    ['mode-list', parseModeList, ['secure crc', 'crc,secure', 'secure']],
  ];
  for (const [name, parse, seeds] of optionParsers) addText(`config.option-${name}`, seeds, (s) => void parse(s), 0.25);
  addText('config.entity-name', ['client.admin', 'osd.0', 'client.rbd-mirror.site-a'], (s) => void parseEntityName(s), 0.3);

  return targets;
}

/** a legacy (msgr1) entity_addr_t: marker 0, 3 bytes, nonce, 128-byte sockaddr_storage */
function encodeAddrLegacy(): Buffer {
  const b = Buffer.alloc(1 + 3 + 4 + 128);
  b.writeUInt32LE(1234, 4);
  b.writeUInt16BE(2, 8); // AF_INET, big-endian in the legacy form
  b.writeUInt16BE(6789, 10);
  Buffer.from([127, 0, 0, 1]).copy(b, 12);
  return b;
}

let built: FuzzTarget[] | undefined;
/** Every target (built on first use: it loads and decrypts the fixtures). */
export function fuzzTargets(): FuzzTarget[] {
  return (built ??= buildTargets());
}

// ---- the driver ------------------------------------------------------------------------------

/** a case slower than this is a failure (a decoder stuck in a loop it should not be in) */
export const SLOW_MS = 1000;
/** bytes a case may allocate (JS heap + array buffers) before it counts as an absurd allocation */
export function allocLimit(inputLength: number): number {
  return Math.max(64 << 20, inputLength * 512);
}

export type FailureKind = 'crash' | 'masked' | 'slow' | 'alloc';

export interface FuzzFailure {
  target: string;
  kind: FailureKind;
  /** the error (class: message), or what was too slow / too big */
  error: string;
  stack: string;
  /** the input, hex */
  hex: string;
  /** how many cases failed this way (same target, kind and error site) */
  count: number;
}

export interface TargetStats {
  cases: number;
  /** cases that decoded without an error */
  ok: number;
  /** cases that raised a CephError */
  typed: number;
  ms: number;
  /** the most any case allocated, bytes */
  maxAlloc: number;
  slowestMs: number;
}

export interface FuzzReport {
  seed: number;
  cases: number;
  ms: number;
  targets: Map<string, TargetStats>;
  failures: FuzzFailure[];
  /** seeds that did not decode (a broken target, not a decoder bug) */
  seedErrors: Array<{ target: string; index: number; error: string }>;
}

export interface FuzzOptions {
  /** which targets: a predicate, or names / group prefixes */
  only?: ((t: FuzzTarget) => boolean) | readonly string[];
  /** run these targets instead of fuzzTargets() (to test the driver) */
  targets?: readonly FuzzTarget[];
  /** called before each case (a watchdog records the input it may have to report) */
  onCase?: (target: string, input: Buffer) => void;
}

function selects(t: FuzzTarget, only: FuzzOptions['only']): boolean {
  if (!only) return true;
  if (typeof only === 'function') return only(t);
  // a whole name, a group, or a name prefix that includes the group's dot ("osdmap.full" also selects "osdmap.full-crc")
  return only.some((o) => t.name === o || groupOf(t) === o || (o.includes('.') && t.name.startsWith(o)));
}

/** JS-engine errors that a decodeWith() turned into a DecodeError: still a bug */
function maskedCause(e: unknown): Error | undefined {
  for (let c = (e as Error)?.cause, depth = 0; c !== undefined && depth < 8; c = (c as Error)?.cause, depth++) {
    if (c instanceof TypeError || c instanceof RangeError || c instanceof ReferenceError || c instanceof SyntaxError) return c;
  }
  return undefined;
}

const heapNow = (): number => {
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
};

function errorSite(e: unknown): string {
  const stack = String((e as Error)?.stack ?? '');
  const line = stack.split('\n').find((l) => /\/src\//.test(l)) ?? stack.split('\n')[1] ?? '';
  return line.replace(/:\d+\)?$/, '').trim();
}

/** Split `total` over the targets by weight (largest remainders get the rest). */
export function spread(total: number, targets: readonly FuzzTarget[]): number[] {
  const w = targets.map((t) => t.weight ?? 1);
  const sum = w.reduce((a, b) => a + b, 0);
  const exact = w.map((x) => (total * x) / sum);
  const out = exact.map(Math.floor);
  let left = total - out.reduce((a, b) => a + b, 0);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0; k = (k + 1) % order.length, left--) out[order[k]![1]]! += 1;
  return out;
}

/** The inputs a target's cases get, in order, for a seed: its own random stream (seed, name). */
export function* caseInputs(t: FuzzTarget, seed: number): Generator<Buffer, never> {
  const r = rng(hashName(t.name, seed));
  const pool = t.corpus ? [...t.seeds, ...t.corpus] : t.seeds;
  for (;;) yield mutate(pool[r.int(pool.length)]!, pool, r);
}

/**
 * Run `totalCases` mutated inputs spread over the targets (by weight), each target with its
 * own random stream derived from `seed` and its name (so `--target` reproduces a run's cases).
 * Each target's seeds run first, unmutated: they must decode without error (seedErrors).
 */
export async function fuzzAll(totalCases: number, seed: number, opts: FuzzOptions = {}): Promise<FuzzReport> {
  const chosen = (opts.targets ?? fuzzTargets()).filter((t) => selects(t, opts.only));
  const counts = spread(totalCases, chosen);
  const report: FuzzReport = { seed, cases: 0, ms: 0, targets: new Map(), failures: [], seedErrors: [] };
  const bySite = new Map<string, FuzzFailure>();
  const t0 = performance.now();
  for (const [ti, t] of chosen.entries()) {
    const stats: TargetStats = { cases: 0, ok: 0, typed: 0, ms: 0, maxAlloc: 0, slowestMs: 0 };
    report.targets.set(t.name, stats);
    for (const [i, s] of t.seeds.entries()) {
      try {
        await t.run(s);
      } catch (e) {
        report.seedErrors.push({ target: t.name, index: i, error: `${(e as Error)?.name}: ${(e as Error)?.message}` });
      }
    }
    const inputs = caseInputs(t, seed);
    const start = performance.now();
    for (let k = 0; k < counts[ti]!; k++) {
      const input = inputs.next().value!;
      opts.onCase?.(t.name, input);
      const heap0 = heapNow();
      const c0 = performance.now();
      let failure: { kind: FailureKind; error: string; stack: string; site: string } | undefined;
      try {
        const p = t.run(input);
        if (p) await p;
        stats.ok++;
      } catch (e) {
        if (e instanceof CephError) {
          stats.typed++;
          const m = maskedCause(e);
          if (m) failure = { kind: 'masked', error: `${m.name}: ${m.message} (as ${e.name})`, stack: m.stack ?? '', site: errorSite(m) };
        } else {
          const err = e as Error;
          failure = { kind: 'crash', error: `${err?.name ?? typeof e}: ${err?.message ?? String(e)}`, stack: err?.stack ?? '', site: errorSite(e) };
        }
      }
      const dt = performance.now() - c0;
      const alloc = heapNow() - heap0;
      stats.cases++;
      if (alloc > stats.maxAlloc) stats.maxAlloc = alloc;
      if (dt > stats.slowestMs) stats.slowestMs = dt;
      if (!failure && dt > SLOW_MS) failure = { kind: 'slow', error: `case took ${dt.toFixed(0)} ms`, stack: '', site: 'slow' };
      if (!failure && alloc > allocLimit(input.length)) {
        failure = { kind: 'alloc', error: `case allocated ${(alloc / 2 ** 20).toFixed(0)} MiB for ${input.length} input bytes`, stack: '', site: 'alloc' };
      }
      if (failure) {
        const key = `${t.name}|${failure.kind}|${failure.site}|${failure.error.replace(/\d+/g, 'N')}`;
        const prev = bySite.get(key);
        if (prev) {
          prev.count++;
          // keep the shortest reproducer
          if (input.length * 2 < prev.hex.length) prev.hex = input.toString('hex');
        } else {
          const f: FuzzFailure = { target: t.name, kind: failure.kind, error: failure.error, stack: failure.stack, hex: input.toString('hex'), count: 1 };
          bySite.set(key, f);
          report.failures.push(f);
        }
      }
    }
    stats.ms = performance.now() - start;
    report.cases += stats.cases;
  }
  report.ms = performance.now() - t0;
  return report;
}

/** One line per failure, with the reproducer (hex cut to `maxHex` characters, 0 = whole). */
export function formatFailures(failures: readonly FuzzFailure[], maxHex = 0): string {
  return failures
    .map((f) => {
      const h = maxHex && f.hex.length > maxHex ? `${f.hex.slice(0, maxHex)}… (${f.hex.length / 2} bytes)` : f.hex;
      const at = f.stack.split('\n').slice(1, 4).join(' | ').trim();
      return `${f.target} [${f.kind} ×${f.count}] ${f.error}${at ? `\n    at ${at}` : ''}\n    input: ${h}`;
    })
    .join('\n');
}
