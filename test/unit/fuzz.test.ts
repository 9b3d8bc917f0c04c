// Random, truncated and bit-flipped input to every decoder: the only thing that may
// escape is the project's CephError (DecodeError for malformed bytes).

import test from 'ava';
import { readFileSync } from 'node:fs';
import { unpack } from 'msgpackr';
import { CephxClient } from '../../src/auth/cephx.js';
import { Decoder } from '../../src/encoding/decoder.js';
import { CephError } from '../../src/encoding/errno.js';
import { EntityType, decodeEntityAddr, decodeEntityAddrvec } from '../../src/encoding/types.js';
import { FrameCodec } from '../../src/msgr2/frame-codec.js';
import * as F from '../../src/msgr2/frames.js';
import { decodeHeader2 } from '../../src/msgr2/message.js';
import { decodeMonMap } from '../../src/mon/monmap.js';
import { decodeMonCommandAck } from '../../src/mon/messages/mon-command.js';
import { decodeMAuthReply } from '../../src/mon/messages/auth.js';
import { decodeMonGetVersionReply } from '../../src/mon/messages/mon-get-version.js';
import type { Message } from '../../src/msgr2/message.js';
import type { TranscriptEvent } from '../helpers/transcript.js';

/** xorshift32: reproducible randomness */
function rng(seed: number) {
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
    int: (n: number) => next() % n,
    bytes: (n: number) => {
      const b = Buffer.allocUnsafe(n);
      for (let i = 0; i < n; i++) b[i] = next() & 0xff;
      return b;
    },
  };
}

function onlyCephErrors(t: import('ava').ExecutionContext, what: string, fn: () => unknown): void {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof CephError)) t.fail(`${what}: ${(e as Error)?.constructor?.name}: ${(e as Error)?.message}`);
  }
}

/** Variants of a valid encoding: every truncation, random bit flips, random garbage. */
function* mutations(valid: Buffer, r: ReturnType<typeof rng>, flips: number): Generator<Buffer> {
  for (let n = 0; n < valid.length; n++) yield valid.subarray(0, n);
  for (let i = 0; i < flips; i++) {
    const b = Buffer.from(valid);
    const k = 1 + r.int(4);
    for (let j = 0; j < k; j++) {
      const at = r.int(b.length);
      b.writeUInt8(b[at]! ^ (1 << r.int(8)), at);
    }
    yield b;
  }
  for (let i = 0; i < flips; i++) yield r.bytes(r.int(valid.length * 2 + 8));
}

const fx = unpack(readFileSync(new URL('../../fixtures/handshake-pacific.msgpack', import.meta.url))) as {
  sessions: Array<{ events: TranscriptEvent[] }>;
};

/** Server → client frames of the crc-mode mon session, split by the codec. */
function recordedServerFrames(): Array<{ tag: number; payload: Buffer }> {
  const s = fx.sessions[0]!;
  const bytes = Buffer.concat(s.events.filter((e) => e.dir === 1).map((e) => Buffer.from(e.data)));
  const out: Array<{ tag: number; payload: Buffer }> = [];
  const c = new FrameCodec();
  let off = 26; // banner
  while (off < bytes.length) {
    const { preamble } = c.readPreamble(bytes.subarray(off, off + 32));
    const len = c.restLen(preamble);
    const segs = c.readRest(preamble, bytes.subarray(off + 32, off + 32 + len))!;
    out.push({ tag: preamble.tag, payload: Buffer.concat(segs) });
    off += 32 + len;
  }
  return out;
}

test('control-frame decoders: 10,000+ mutated payloads raise only CephError', (t) => {
  const r = rng(0xc0ffee);
  const frames = recordedServerFrames();
  t.true(frames.length >= 4);
  const decoders: Record<number, (p: Buffer) => unknown> = {
    [F.Tag.HELLO]: F.decodeHello,
    [F.Tag.AUTH_REPLY_MORE]: (p) => F.decodeAuthMore(p),
    [F.Tag.AUTH_DONE]: F.decodeAuthDone,
    [F.Tag.SERVER_IDENT]: F.decodeServerIdent,
    [F.Tag.AUTH_SIGNATURE]: F.decodeAuthSignature,
    [F.Tag.AUTH_BAD_METHOD]: F.decodeAuthBadMethod,
    [F.Tag.CLIENT_IDENT]: F.decodeClientIdent,
  };
  let n = 0;
  for (const f of frames) {
    for (const dec of Object.values(decoders)) {
      for (const m of mutations(f.payload, r, 150)) {
        onlyCephErrors(t, `tag ${f.tag}`, () => dec(m));
        n++;
      }
    }
  }
  t.true(n > 10_000, `${n} cases`);
});

test('cephx AUTH_DONE handling of mutated payloads raises only CephError', (t) => {
  const r = rng(7);
  const done = recordedServerFrames().find((f) => f.tag === F.Tag.AUTH_DONE)!;
  const payload = F.decodeAuthDone(done.payload).payload;
  let n = 0;
  for (const m of mutations(payload, r, 1500)) {
    const cx = new CephxClient({ type: EntityType.CLIENT, id: 'admin' }, { type: 1, secret: Buffer.alloc(16, 3) });
    const h = cx.monHandler();
    onlyCephErrors(t, 'handleDone', () => h.handleDone(1n, 1, m));
    onlyCephErrors(t, 'serviceHandler', () => cx.serviceHandler(EntityType.OSD));
    onlyCephErrors(t, 'renewReply', () => cx.handleRenewReply(m));
    n++;
  }
  t.true(n > 1000);
});

test('frame codec: random preambles and frames (crc and secure) raise only CephError', (t) => {
  const r = rng(42);
  for (let i = 0; i < 5000; i++) {
    const c = new FrameCodec();
    if (i % 2) c.enableSecure(r.bytes(64));
    onlyCephErrors(t, 'frame', () => {
      const block = r.bytes(c.preambleBlockLen);
      const { preamble, inline } = c.readPreamble(block);
      const len = c.restLen(preamble);
      c.readRest(preamble, r.bytes(Math.min(len, 1 << 16)).subarray(0, len), inline);
    });
  }
  // valid preambles with random bodies
  const tx = new FrameCodec();
  for (let i = 0; i < 3000; i++) {
    const sizes = [r.int(100), r.int(3) ? 0 : r.int(300), 0, r.int(2) ? r.int(5000) : 0];
    const wire = Buffer.concat(
      tx.encode(
        F.Tag.MESSAGE,
        sizes.map((n) => r.bytes(n)),
        [8, 8, 8, 4096],
      ),
    );
    const rx = new FrameCodec();
    onlyCephErrors(t, 'frame body', () => {
      const { preamble } = rx.readPreamble(wire.subarray(0, 32));
      const len = rx.restLen(preamble);
      const body = Buffer.from(wire.subarray(32, 32 + len));
      if (body.length) {
        const at = r.int(body.length);
        body.writeUInt8(body[at]! ^ (1 << r.int(8)), at);
      }
      rx.readRest(preamble, body);
    });
  }
  t.pass();
});

test('addresses, headers and mon messages: random input raises only CephError', (t) => {
  const r = rng(99);
  const msg = (front: Buffer, version = 1): Message => ({
    header: { seq: 1n, tid: 1n, type: 0, priority: 127, version, dataPrePaddingLen: 0, dataOff: 0, ackSeq: 0n, flags: 3, compatVersion: 1 },
    front,
    middle: Buffer.alloc(0),
    data: Buffer.alloc(0),
  });
  for (let i = 0; i < 4000; i++) {
    const b = r.bytes(r.int(200));
    onlyCephErrors(t, 'addr', () => decodeEntityAddr(new Decoder(b)));
    onlyCephErrors(t, 'addrvec', () => decodeEntityAddrvec(new Decoder(b)));
    onlyCephErrors(t, 'header2', () => decodeHeader2(b));
    onlyCephErrors(t, 'monmap', () => decodeMonMap(b));
    onlyCephErrors(t, 'ack', () => decodeMonCommandAck(msg(b)));
    onlyCephErrors(t, 'mauth', () => decodeMAuthReply(msg(b)));
    onlyCephErrors(t, 'version', () => decodeMonGetVersionReply(msg(b, 2)));
  }
  t.pass();
});
