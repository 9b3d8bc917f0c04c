import test from 'ava';
import { CephxClient } from '../../src/auth/cephx.js';
import { aesCbcDecrypt, decodeDecrypt, encodeEncrypt, encryptRaw } from '../../src/auth/crypto.js';
import { Decoder } from '../../src/encoding/decoder.js';
import { CephError } from '../../src/encoding/errno.js';
import { EntityType } from '../../src/encoding/types.js';

const key = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');

test('encode_encrypt vector (wire-protocol §6.2)', (t) => {
  const out = encodeEncrypt(key, (e) => e.u64(0x0102030405060708n).u64(0x1112131415161718n));
  t.is(out.toString('hex'), '20000000' + '7c19a641a749b86101b6faf3208ebe40' + '5b06e45ec29a0e047f59dd05f6e00385');
  t.is(encodeEncrypt(key, () => {}).toString('hex'), '10000000' + '4ef83341ab40b06bff953ee7e75ca9a2');
});

test('decode_decrypt inverts encode_encrypt; a wrong key is EACCES', (t) => {
  const out = encodeEncrypt(key, (e) => e.string('secret payload'));
  const d = decodeDecrypt(key, new Decoder(out), 'test');
  t.is(d.string(), 'secret payload');
  const wrong = Buffer.alloc(16, 7);
  const err = t.throws(() => decodeDecrypt(wrong, new Decoder(out), 'test'), { instanceOf: CephError });
  t.is(err?.code, 'EACCES');
  t.throws(() => aesCbcDecrypt(key, Buffer.alloc(15)), { instanceOf: CephError });
  t.is(encryptRaw(key, (e) => e.u8(1)).length, 16);
});

test('CephXAuthenticate key from the challenges (wire-protocol §6.3 worked example)', (t) => {
  t.is(CephxClient.challengeKey(key, 0x0102030405060708n, 0x1112131415161718n), 0xe965f05925085d65n);
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

test('a secret that is not 16 bytes is refused', (t) => {
  t.throws(() => new CephxClient({ type: EntityType.CLIENT, id: 'x' }, Buffer.alloc(8)), { instanceOf: CephError });
});
