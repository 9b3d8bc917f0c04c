import test from 'ava';
import { CephxClient } from '../../src/auth/cephx.js';
import { decodeDecrypt, decryptWith, encodeEncrypt, encryptRaw, KeyUsage, type CephxKey } from '../../src/auth/crypto.js';
import { ctsDecrypt, ctsEncrypt, deriveUsageKeys, krb5Checksum, krb5Decrypt, krb5Encrypt } from '../../src/auth/krb5.js';
import { Decoder } from '../../src/encoding/decoder.js';
import { CephError } from '../../src/encoding/errno.js';
import { EntityType } from '../../src/encoding/types.js';

const secret = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
const key: CephxKey = { type: 1, secret };
const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('encode_encrypt vector (docs/protocol.md §6.2)', (t) => {
  const out = encodeEncrypt(key, KeyUsage.TICKET_SESSION_KEY, (e) => e.u64(0x0102030405060708n).u64(0x1112131415161718n));
  t.is(out.toString('hex'), '20000000' + '7c19a641a749b86101b6faf3208ebe40' + '5b06e45ec29a0e047f59dd05f6e00385');
  // aes ignores the key usage
  t.is(encodeEncrypt(key, KeyUsage.AUTHORIZE, () => {}).toString('hex'), '10000000' + '4ef83341ab40b06bff953ee7e75ca9a2');
});

test('decode_decrypt inverts encode_encrypt; a wrong key is EACCES', (t) => {
  const out = encodeEncrypt(key, KeyUsage.AUTHORIZE, (e) => e.string('secret payload'));
  const d = decodeDecrypt(key, KeyUsage.AUTHORIZE, new Decoder(out), 'test');
  t.is(d.string(), 'secret payload');
  const wrong: CephxKey = { type: 1, secret: Buffer.alloc(16, 7) };
  const err = t.throws(() => decodeDecrypt(wrong, KeyUsage.AUTHORIZE, new Decoder(out), 'test'), { instanceOf: CephError });
  t.is(err?.code, 'EACCES');
  t.throws(() => decryptWith(key, KeyUsage.AUTHORIZE, Buffer.alloc(15)), { instanceOf: CephError });
  t.is(encryptRaw(key, KeyUsage.AUTHORIZE, (e) => e.u8(1)).length, 16);
});

test('CephXAuthenticate key from the challenges (cephx_calc_client_server_challenge; docs/protocol.md §6.3)', (t) => {
  t.is(CephxClient.challengeKey(key, 0x0102030405060708n, 0x1112131415161718n), 0xe965f05925085d65n);
});

// ---- aes256k: RFC 8009 Appendix A (aes256-cts-hmac-sha384-192), usage 2 ----

const RFC_KEY = hex('6D404D37FAF79F9DF0D33568D320669800EB4836472EA8A026D16B7182460C52');

test('RFC 8009 key derivation: Kc, Ke, Ki for usage 2', (t) => {
  const k = deriveUsageKeys(RFC_KEY, 2);
  t.is(k.kc.toString('hex'), 'ef5718be86cc84963d8bbb5031e9f5c4ba41f28faf69e73d');
  t.is(k.ke.toString('hex'), '56ab22bee63d82d7bc5227f6773f8ea7a5eb1c825160c38312980c442e5c7e49');
  t.is(k.ki.toString('hex'), '69b16514e3cd8e56b82010d5c73012b622c4d00ffc23ed1f');
});

test('RFC 8009 encryption vectors (0, 6, 16 and 21 bytes) and the checksum', (t) => {
  const k = deriveUsageKeys(RFC_KEY, 2);
  const vectors: Array<[string, string, string]> = [
    ['', 'F764E9FA15C276478B2C7D0C4E5F58E4', '41F53FA5BFE7026D91FAF9BE959195A058707273A96A40F0A01960621AC612748B9BBFBE7EB4CE3C'],
    ['000102030405', 'B80D3251C1F6471494256FFE712D0B9A', '4ED7B37C2BCAC8F74F23C1CF07E62BC7B75FB3F637B9F559C7F664F69EAB7B6092237526EA0D1F61CB20D69D10F2'],
    [
      '000102030405060708090A0B0C0D0E0F',
      '53BF8A0D105265D4E276428624CE5E63',
      'BC47FFEC7998EB91E8115CF8D19DAC4BBBE2E163E87DD37F49BECA92027764F68CF51F14D798C2273F35DF574D1F932E40C4FF255B36A266',
    ],
    [
      '000102030405060708090A0B0C0D0E0F1011121314',
      '763E65367E864F02F55153C7E3B58AF1',
      '40013E2DF58E8751957D2878BCD2D6FE101CCFD556CB1EAE79DB3C3EE86429F2B2A602AC86FEF6ECB647D6295FAE077A1FEB517508D2C16B4192E01F62',
    ],
  ];
  for (const [pt, conf, ct] of vectors) {
    t.is(krb5Encrypt(k, hex(pt), hex(conf)).toString('hex'), ct.toLowerCase(), `${pt.length / 2} bytes`);
    t.is(krb5Decrypt(k, hex(ct))?.toString('hex'), pt.toLowerCase());
    // one flipped bit anywhere fails the HMAC
    const bad = hex(ct);
    bad[bad.length >> 1]! ^= 1;
    t.is(krb5Decrypt(k, bad), undefined);
  }
  t.is(krb5Checksum(k, hex('000102030405060708090A0B0C0D0E0F1011121314')).toString('hex'), '45ee791567eefca37f4ac1e0222de80d43c3bfa06699672a');
});

test('CTS over five blocks (53 and 64 bytes, usage 4): the last two blocks swapped, the last cut', (t) => {
  const k = deriveUsageKeys(RFC_KEY, 4);
  const conf = hex('a0a1a2a3a4a5a6a7a8a9aaabacadaeaf');
  const counting = (n: number): Buffer => Buffer.from(Array.from({ length: n }, (_, i) => i));
  t.is(
    krb5Encrypt(k, counting(53), conf).toString('hex'),
    'ca0522838c12dfd084d33a407bf109a3e80556051f828e1fe307f9392d7cba733b6510a90ea5abbdea280d562a78bac74eb2626fe95091e7be6f0f759a8bf17b0bdff321a656ca4738330db2aa0d3a2efd5902db3852fecbc2be298fd6',
  );
  t.is(
    krb5Encrypt(k, counting(64), conf).toString('hex'),
    'ca0522838c12dfd084d33a407bf109a3e80556051f828e1fe307f9392d7cba733b6510a90ea5abbdea280d562a78bac7890dadd0da9838a25c00514c275511000bdff321a626f7044cae44ffc3ad8de1646067624725c1e101f6743674defcbf7c96332c08179340',
  );
  for (let n = 16; n <= 80; n++) t.deepEqual(ctsDecrypt(k.ke, ctsEncrypt(k.ke, counting(n))), counting(n), `${n} bytes`);
});

test('aes256k cephx blobs: the usage is part of the key; a wrong key, usage or length is EACCES', (t) => {
  const k256: CephxKey = { type: 2, secret: RFC_KEY };
  const out = encodeEncrypt(k256, KeyUsage.AUTHORIZE, (e) => e.u8(2).u64(7n));
  // u32 length, then 16 confounder + 9 envelope + 9 payload + 24 HMAC, no padding
  t.is(out.readUInt32LE(0), 16 + 9 + 9 + 24);
  const d = decodeDecrypt(k256, KeyUsage.AUTHORIZE, new Decoder(out), 'authorizer');
  t.is(d.u8(), 2);
  t.is(d.u64(), 7n);
  for (const [k, u] of [
    [k256, KeyUsage.AUTHORIZE_REPLY],
    [{ type: 2, secret: Buffer.alloc(32, 9) }, KeyUsage.AUTHORIZE],
    [{ type: 1, secret: RFC_KEY.subarray(0, 16) }, KeyUsage.AUTHORIZE],
  ] as Array<[CephxKey, KeyUsage]>) {
    t.is(t.throws(() => decodeDecrypt(k, u, new Decoder(out), 'authorizer'), { instanceOf: CephError })?.code, 'EACCES');
  }
  t.is(t.throws(() => decryptWith(k256, KeyUsage.AUTHORIZE, Buffer.alloc(39)), { instanceOf: CephError })?.code, 'EACCES');
});

test('an aes256k secret longer than 32 bytes (Ceph accepts them) keys the cipher whole', (t) => {
  const k40: CephxKey = { type: 2, secret: Buffer.alloc(40, 5) };
  const out = encodeEncrypt(k40, KeyUsage.AUTHORIZE, (e) => e.u64(9n));
  t.is(decodeDecrypt(k40, KeyUsage.AUTHORIZE, new Decoder(out), 'authorizer').u64(), 9n);
  // its first 32 bytes are another key
  const k32: CephxKey = { type: 2, secret: k40.secret.subarray(0, 32) };
  t.is(t.throws(() => decodeDecrypt(k32, KeyUsage.AUTHORIZE, new Decoder(out), 'authorizer'), { instanceOf: CephError })?.code, 'EACCES');
});

test('aes256k CephXAuthenticate key: HMAC-SHA256 of the challenges, folded (cephx_calc_client_server_challenge)', (t) => {
  const k256: CephxKey = { type: 2, secret: RFC_KEY };
  t.is(CephxClient.challengeKey(k256, 0x0123456789abcdefn, 0xfedcba9876543210n), 0x46778d1186712d33n);
  const k2: CephxKey = { type: 2, secret: Buffer.from(Array.from({ length: 32 }, (_, i) => i)) };
  t.is(CephxClient.challengeKey(k2, 0x1122334455667788n, 0x0102030405060708n), 0xff603040e5eb4b04n);
});

test('mon AUTH_REQUEST payload for client.admin, first connection (librados bytes)', (t) => {
  const cx = new CephxClient({ type: EntityType.CLIENT, id: 'admin' }, key);
  t.is(cx.monHandler().buildRequest().toString('hex'), '0a' + '08000000' + '05000000' + Buffer.from('admin').toString('hex') + '0000000000000000');
});

test('CephXAuthenticate v3 with other_keys and an empty old ticket', (t) => {
  const rng = () => Buffer.from('1817161514131211', 'hex'); // client challenge 0x1112131415161718
  const cx = new CephxClient({ type: EntityType.CLIENT, id: 'admin' }, key, rng);
  const h = cx.monHandler();
  h.buildRequest();
  const more = h.handleMore(Buffer.from('01' + '0807060504030201', 'hex'));
  const d = new Decoder(more);
  t.is(d.u16(), 0x0100);
  t.is(d.u8(), 3);
  t.is(d.u64(), 0x1112131415161718n);
  t.is(d.u64(), 0xe965f05925085d65n);
  t.is(d.bytes(13).toString('hex'), '01' + '0000000000000000' + '00000000');
  t.is(d.u32(), 0x35);
  t.true(d.done);
  // a second challenge on the same connection is refused
  t.throws(() => h.handleMore(Buffer.from('01' + '0807060504030201', 'hex')), { instanceOf: CephError });
});

test('a key whose secret does not fit its type is refused: EINVAL', (t) => {
  for (const k of [
    { type: 1, secret: Buffer.alloc(8) },
    { type: 1, secret: Buffer.alloc(32) },
    { type: 2, secret: Buffer.alloc(16) },
    { type: 3, secret: Buffer.alloc(16) },
  ]) {
    t.is(t.throws(() => new CephxClient({ type: EntityType.CLIENT, id: 'x' }, k), { instanceOf: CephError })?.code, 'EINVAL');
  }
});
