import test from 'ava';
import { randomBytes } from 'node:crypto';
import { DecodeError } from '../../src/encoding/errno.js';
import { AddrType, makeAddr } from '../../src/encoding/types.js';
import { FrameCodec, decodePreamble } from '../../src/msgr2/frame-codec.js';
import * as F from '../../src/msgr2/frames.js';
import { Tag } from '../../src/msgr2/frames.js';
import { decodeBannerPayload, decodeBannerPrefix, encodeBanner } from '../../src/msgr2/banner.js';
import { HEADER2_LEN, decodeHeader2, encodeHeader2 } from '../../src/msgr2/message.js';

const hex = (s: string) => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');

test('banner bytes equal what librados and Pacific send', (t) => {
  const b = encodeBanner({ supported: 1n, required: 0n });
  t.is(b.toString('hex'), '636570682076320a' + '1000' + '0100000000000000' + '0000000000000000');
  t.is(decodeBannerPrefix(b.subarray(0, 10)), 16);
  t.deepEqual(decodeBannerPayload(b.subarray(10)), { supported: 1n, required: 0n });
  t.throws(() => decodeBannerPrefix(Buffer.from('ceph v027\0')), { instanceOf: DecodeError, message: /msgr1/ });
});

test('HELLO frame to a mon equals librados bytes (docs/protocol.md §2.6)', (t) => {
  const codec = new FrameCodec();
  const payload = F.encodeHello({ entityType: 8, peerAddr: makeAddr(AddrType.MSGR2, '127.0.0.1', 3300) });
  const wire = Buffer.concat(codec.encode(Tag.HELLO, [payload]));
  t.is(
    wire.toString('hex'),
    hex(
      '01 01 24000000 0800 000000000000 000000000000 000000000000 0000 3fbd6b06' +
        '08 | 01 01 01 1c000000 02000000 00000000 10000000 0200 0ce4 7f000001 0000000000000000' +
        '7d883e07',
    ).toString('hex'),
  );
});

test('KEEPALIVE2 and ACK frames equal the reference bytes (docs/protocol.md §2.2)', (t) => {
  const codec = new FrameCodec();
  const ka = Buffer.concat(codec.encode(Tag.KEEPALIVE2, [F.encodeKeepalive({ sec: 0x5f5e1000, nsec: 0x11223344 })]));
  t.is(ka.toString('hex'), '12010800000008000000000000000000000000000000000000000000' + 'd8d5f599' + '00105e5f44332211' + '7ce22eec');
  const ack = Buffer.concat(codec.encode(Tag.ACK, [F.encodeAck(7n)]));
  t.is(ack.toString('hex'), '14010800000008000000000000000000000000000000000000000000' + '7374bc5b' + '0700000000000000' + '71488e89');
});

function roundTrip(t: import('ava').ExecutionContext, secret?: Buffer) {
  const tx = new FrameCodec();
  const rx = new FrameCodec();
  if (secret) {
    // the peer's tx nonce is our rx nonce: swap the two nonce fields
    tx.enableSecure(secret);
    const mirrored = Buffer.concat([secret.subarray(0, 16), secret.subarray(28, 40), secret.subarray(16, 28), secret.subarray(40)]);
    rx.enableSecure(mirrored);
  }
  for (const sizes of [[0], [5], [48], [49], [105], [41, 70, 0, 350], [41, 213, 0, 100], [41, 0, 0, 4096 * 3 + 5], [41, 1]]) {
    const segs = sizes.map((n) => randomBytes(n));
    const aligns = sizes.length === 4 ? [8, 8, 8, 4096] : sizes.map(() => 8);
    // pass the data segment as pieces to exercise the scatter path
    const last = segs[segs.length - 1]!;
    const input = sizes.length === 4 ? [...segs.slice(0, 3), [last.subarray(0, 7), last.subarray(7)]] : segs;
    const wire = Buffer.concat(tx.encode(Tag.MESSAGE, input, aligns));
    const first = wire.subarray(0, rx.preambleBlockLen);
    const { preamble, inline } = rx.readPreamble(first);
    const restLen = rx.restLen(preamble);
    t.is(first.length + restLen, wire.length, `frame length for ${sizes}`);
    const got = rx.readRest(preamble, wire.subarray(first.length), inline)!;
    let n = sizes.length;
    while (n > 1 && sizes[n - 1] === 0) n--;
    t.is(preamble.numSegments, n);
    for (let i = 0; i < n; i++) t.deepEqual(got[i], segs[i], `segment ${i} of ${sizes}`);
  }
}

test('crc mode frames round-trip, with scattered data segments', (t) => roundTrip(t));
test('secure mode frames round-trip (AES-128-GCM, nonce counters)', (t) => roundTrip(t, randomBytes(64)));

test('bulkOffset: where the largest segment starts in the rest of a crc-mode frame; 0 in secure mode', (t) => {
  const tx = new FrameCodec();
  const rx = new FrameCodec();
  for (const sizes of [
    [41, 213, 0, 4 << 20],
    [41, 5000, 0, 100],
    [41, 0, 0, 4096],
    [0, 7, 9, 3],
  ]) {
    const segs = sizes.map((n) => randomBytes(n));
    const wire = Buffer.concat(tx.encode(Tag.MESSAGE, segs, [8, 8, 8, 4096]));
    const { preamble } = rx.readPreamble(wire.subarray(0, rx.preambleBlockLen));
    const rest = wire.subarray(rx.preambleBlockLen);
    const at = rx.bulkOffset(preamble);
    const big = sizes.indexOf(Math.max(...sizes.slice(1)));
    t.true(rest.subarray(at, at + sizes[big]!).equals(segs[big]!), `${sizes}: offset ${at}`);
  }
  const one = Buffer.concat(tx.encode(Tag.MESSAGE, [randomBytes(41)]));
  t.is(rx.bulkOffset(rx.readPreamble(one.subarray(0, rx.preambleBlockLen)).preamble), 0, 'a single segment: nothing to place');
  const secret = randomBytes(64);
  const stx = new FrameCodec();
  const srx = new FrameCodec();
  stx.enableSecure(secret);
  srx.enableSecure(Buffer.concat([secret.subarray(0, 16), secret.subarray(28, 40), secret.subarray(16, 28), secret.subarray(40)]));
  const wire = Buffer.concat(
    stx.encode(
      Tag.MESSAGE,
      [41, 213, 0, 8192].map((n) => randomBytes(n)),
      [8, 8, 8, 4096],
    ),
  );
  t.is(srx.bulkOffset(srx.readPreamble(wire.subarray(0, srx.preambleBlockLen)).preamble), 0);
});

test('secure mode sizes follow msgr2.rst: seg0 of 105 B is A(96) + B(64+16)', (t) => {
  const c = new FrameCodec();
  c.enableSecure(randomBytes(64));
  const wire = Buffer.concat(c.encode(Tag.AUTH_DONE, [randomBytes(105)]));
  t.is(wire.length, 96 + 64 + 16);
  const m = Buffer.concat(c.encode(Tag.MESSAGE, [randomBytes(41), randomBytes(70), Buffer.alloc(0), randomBytes(350)], [8, 8, 8, 4096]));
  t.is(m.length, 96 + (80 + 0 + 352 + 16 + 16));
});

test('a flipped bit fails the crc or the GCM tag with DecodeError', (t) => {
  const crc = new FrameCodec();
  const w = Buffer.concat(crc.encode(Tag.HELLO, [randomBytes(40)]));
  const bad = Buffer.from(w);
  bad.writeUInt8(bad[40]! ^ 1, 40);
  const rx = new FrameCodec();
  const { preamble } = rx.readPreamble(bad.subarray(0, 32));
  t.throws(() => rx.readRest(preamble, bad.subarray(32)), { instanceOf: DecodeError });
  const pre = Buffer.from(w.subarray(0, 32));
  pre.writeUInt8(pre[3]! ^ 1, 3);
  t.throws(() => decodePreamble(pre), { instanceOf: DecodeError, message: /crc/ });

  const secret = randomBytes(64);
  const s = new FrameCodec();
  s.enableSecure(secret);
  const sw = Buffer.concat(s.encode(Tag.HELLO, [randomBytes(40)]));
  sw.writeUInt8(sw[10]! ^ 1, 10);
  const r = new FrameCodec();
  r.enableSecure(Buffer.concat([secret.subarray(0, 16), secret.subarray(28, 40), secret.subarray(16, 28), secret.subarray(40)]));
  t.throws(() => r.readPreamble(sw.subarray(0, 96)), { instanceOf: DecodeError, message: /GCM/ });
});

test('preamble sanity: segment count and uncounted lengths', (t) => {
  const c = new FrameCodec();
  const good = Buffer.from(c.encode(Tag.HELLO, [Buffer.alloc(4)])[0]!);
  const fix = (b: Buffer) => {
    // recompute the crc so only the semantic check fires
    const { crc32c } = require_crc();
    b.writeUInt32LE(crc32c(0, b, 0, 28), 28);
    return b;
  };
  const zero = Buffer.from(good);
  zero[1] = 0;
  t.throws(() => decodePreamble(fix(zero)), { message: /segment count/ });
  const five = Buffer.from(good);
  five[1] = 5;
  t.throws(() => decodePreamble(fix(five)), { message: /segment count/ });
  const stray = Buffer.from(good);
  stray.writeUInt32LE(9, 8);
  t.throws(() => decodePreamble(fix(stray)), { message: /uncounted/ });
});

import * as crcModule from '../../src/encoding/crc32c.js';
function require_crc() {
  return crcModule;
}

test('control frame payloads round-trip', (t) => {
  const addr = makeAddr(AddrType.MSGR2, '127.0.0.1', 6800, 1234);
  const ci: F.ClientIdent = {
    addrs: [makeAddr(AddrType.ANY, '127.0.0.1', 0, 99)],
    targetAddr: addr,
    gid: -1n,
    globalSeq: 3n,
    supportedFeatures: 0x3f01cfbdfffdffffn,
    requiredFeatures: 0x0800000000000000n,
    flags: 1n,
    clientCookie: 0n,
  };
  t.deepEqual(F.decodeClientIdent(Buffer.from(F.encodeClientIdent(ci))), ci);
  const si: F.ServerIdent = { addrs: [addr], gid: 0n, globalSeq: 9n, supportedFeatures: 5n, requiredFeatures: 1n, flags: 1n, serverCookie: 0n };
  t.deepEqual(F.decodeServerIdent(Buffer.from(F.encodeServerIdent(si))), si);
  const ar: F.AuthRequest = { method: 2, preferredModes: [2, 1], payload: Buffer.from('abc') };
  t.deepEqual(F.decodeAuthRequest(Buffer.from(F.encodeAuthRequest(ar))), ar);
  const bad: F.AuthBadMethod = { method: 2, result: -13, allowedMethods: [2], allowedModes: [2, 1] };
  t.deepEqual(F.decodeAuthBadMethod(Buffer.from(F.encodeAuthBadMethod(bad))), bad);
  const done: F.AuthDone = { globalId: 4123n, conMode: 2, payload: Buffer.from('xyz') };
  t.deepEqual(F.decodeAuthDone(Buffer.from(F.encodeAuthDone(done))), done);
});

test('ceph_msg_header2 is 41 bytes and round-trips', (t) => {
  const h = { seq: 1n, tid: 7n, type: 42, priority: 63, version: 8, dataPrePaddingLen: 0, dataOff: 0, ackSeq: 3n, flags: 3, compatVersion: 3 };
  const b = encodeHeader2(h);
  t.is(b.length, HEADER2_LEN);
  t.deepEqual(decodeHeader2(b), h);
  t.throws(() => decodeHeader2(b.subarray(0, 40)), { instanceOf: DecodeError });
});

test('the HELLO payload captured from librados decodes', (t) => {
  const h = F.decodeHello(hex('08 01 01 01 1c000000 02000000 00000000 10000000 0200 0ce4 7f000001 0000000000000000'));
  t.is(h.entityType, 8);
  t.is(h.peerAddr.port, 3300);
});

import { createCipheriv } from 'node:crypto';
import { encodePreamble } from '../../src/msgr2/frame-codec.js';

test('AES-128-GCM known answer (NIST GCM test case 3) from node:crypto', (t) => {
  const c = createCipheriv('aes-128-gcm', hex('feffe9928665731c6d6a8f9467308308'), hex('cafebabefacedbaddecaf888'));
  const pt = hex('d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b391aafd255');
  const ct = Buffer.concat([c.update(pt), c.final()]);
  t.is(ct.toString('hex'), '42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091473f5985');
  t.is(c.getAuthTag().toString('hex'), '4d5c2af327cd64a62cf35abd2ba6fab4');
});

test('secure mode: key = secret[0..16), tx nonce = secret[28..40), le64 counter at nonce bytes 4..11', (t) => {
  const key = hex('feffe9928665731c6d6a8f9467308308');
  const txNonce = hex('cafebabe ffffffffffffffff'); // the counter wraps mod 2^64 without touching the fixed part
  const secret = Buffer.concat([key, Buffer.alloc(12, 0xaa), txNonce, Buffer.alloc(24)]);
  const codec = new FrameCodec();
  codec.enableSecure(secret);
  const seg0 = Buffer.alloc(60, 7); // > 48: two GCM ops (A and B)
  const wire = Buffer.concat(codec.encode(Tag.AUTH_SIGNATURE, [seg0]));
  const gcm = (nonce: Buffer, pt: Buffer) => {
    const c = createCipheriv('aes-128-gcm', key, nonce);
    return Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]);
  };
  const a = gcm(txNonce, Buffer.concat([encodePreamble(Tag.AUTH_SIGNATURE, [seg0], [8]), seg0.subarray(0, 48)]));
  const b = gcm(hex('cafebabe 0000000000000000'), Buffer.concat([seg0.subarray(48), Buffer.alloc(4)]));
  t.deepEqual(wire, Buffer.concat([a, b]));
});
