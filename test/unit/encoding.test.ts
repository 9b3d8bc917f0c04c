import test from 'ava';
import { Decoder, decodeWith } from '../../src/encoding/decoder.js';
import { Encoder } from '../../src/encoding/encoder.js';
import { CephError, DecodeError, errnoName, errnoNumber } from '../../src/encoding/errno.js';
import {
  AddrType,
  decodeEntityAddr,
  decodeEntityAddrvec,
  decodeUTime,
  decodeUuid,
  encodeEntityAddr,
  encodeEntityAddrvec,
  encodeUTime,
  encodeUuid,
  makeAddr,
} from '../../src/encoding/types.js';

const hex = (s: string) => Buffer.from(s.replace(/[\s|]/g, ''), 'hex');

test('integers are little-endian; u64 as bigint; u64n refuses values past 2^53', (t) => {
  const e = new Encoder(4);
  e.u8(0xab)
    .u16(0x1234)
    .u32(0xdeadbeef)
    .u64(0x0102030405060708n)
    .s32(-2)
    .s64(-1n)
    .u64(2n ** 60n);
  const b = e.toBuffer();
  t.is(b.subarray(0, 7).toString('hex'), 'ab3412efbeadde');
  const d = new Decoder(b);
  t.is(d.u8(), 0xab);
  t.is(d.u16(), 0x1234);
  t.is(d.u32(), 0xdeadbeef);
  t.is(d.u64(), 0x0102030405060708n);
  t.is(d.s32(), -2);
  t.is(d.s64n(), -1);
  t.throws(() => d.u64n(), { instanceOf: DecodeError });
});

test('strings, bufferlists, lists and maps round-trip', (t) => {
  const e = new Encoder(1);
  e.string('héllo').bufferlist(Buffer.from([1, 2, 3]));
  e.list(['a', 'bc'], (x, s) => x.string(s));
  e.map(
    [
      ['k1', 1],
      ['k2', 2],
    ],
    (x, k) => x.string(k),
    (x, v) => x.u32(v),
  );
  const d = new Decoder(e.toBuffer());
  t.is(d.string(), 'héllo');
  t.deepEqual([...d.bufferlist()], [1, 2, 3]);
  t.deepEqual(
    d.list((x) => x.string(), 4),
    ['a', 'bc'],
  );
  t.deepEqual(
    [
      ...d.map(
        (x) => x.string(),
        (x) => x.u32(),
        8,
      ),
    ],
    [
      ['k1', 1],
      ['k2', 2],
    ],
  );
  t.true(d.done);
});

test('a length field larger than the input is refused before allocating', (t) => {
  const huge = hex('ffffff7f 00');
  t.throws(() => new Decoder(huge).bufferlist(), { instanceOf: DecodeError, message: /exceeds/ });
  t.throws(() => new Decoder(huge).string(), { instanceOf: DecodeError });
  t.throws(() => new Decoder(huge).list((d) => d.u8()), { instanceOf: DecodeError, message: /count/ });
  t.throws(
    () =>
      new Decoder(huge).map(
        (d) => d.u8(),
        (d) => d.u8(),
      ),
    { instanceOf: DecodeError },
  );
});

test('versioned envelopes skip unknown trailing bytes and refuse a newer compat', (t) => {
  const e = new Encoder();
  e.versioned(5, 1, (x) => x.u32(7).u32(99 /* a field from a newer version */));
  e.u8(0xee);
  const d = new Decoder(e.toBuffer());
  const v = d.versioned(1, 'thing', (x, sv) => {
    t.is(sv, 5);
    return x.u32();
  });
  t.is(v, 7);
  t.is(d.u8(), 0xee, 'continues after the envelope');

  const newer = new Encoder().versioned(3, 3, (x) => x.u8(1)).toBuffer();
  t.throws(() => new Decoder(newer).versioned(2, 'thing', (x) => x.u8()), { instanceOf: DecodeError, message: /compat 3/ });

  // the body cannot read past its length even if the outer buffer continues
  const short = new Encoder()
    .versioned(1, 1, (x) => x.u16(1))
    .u32(0xffffffff)
    .toBuffer();
  t.throws(() => new Decoder(short).versioned(1, 'thing', (x) => x.u32()), { instanceOf: DecodeError });
});

test('utime and uuid', (t) => {
  const e = new Encoder();
  encodeUTime(e, { sec: 0x5f5e1000, nsec: 0x11223344 });
  encodeUuid(e, '98ec2e1b-2abc-4b70-8526-2a9983a7c4d8');
  const b = e.toBuffer();
  t.is(b.subarray(0, 8).toString('hex'), '00105e5f44332211');
  const d = new Decoder(b);
  t.deepEqual(decodeUTime(d), { sec: 0x5f5e1000, nsec: 0x11223344 });
  t.is(decodeUuid(d), '98ec2e1b-2abc-4b70-8526-2a9983a7c4d8');
});

test('entity_addr_t: the msgr2 form librados sends in HELLO (src/msg/msg_types.h; docs/protocol.md §0.2)', (t) => {
  const wire = hex('01 01 01 1c000000 02000000 00000000 10000000 0200 0ce4 7f000001 0000000000000000');
  const a = decodeEntityAddr(new Decoder(wire));
  t.deepEqual(a, { type: AddrType.MSGR2, nonce: 0, family: 4, ip: '127.0.0.1', port: 3300 });
  const e = new Encoder();
  encodeEntityAddr(e, a);
  t.deepEqual(e.toBuffer(), wire);
});

test('entity_addrvec_t round-trips IPv4 and IPv6, accepts a single-addr marker', (t) => {
  const v = [makeAddr(AddrType.MSGR2, '10.1.2.3', 6800, 21257), makeAddr(AddrType.LEGACY, '::1', 6789, 7), makeAddr(AddrType.MSGR2, 'fe80::1:2', 1, 1)];
  const e = new Encoder();
  encodeEntityAddrvec(e, v);
  const d = new Decoder(e.toBuffer());
  t.deepEqual(decodeEntityAddrvec(d), v);
  t.true(d.done);
  // marker 1: one entity_addr_t body
  const one = new Encoder();
  encodeEntityAddr(one, v[0]!);
  t.deepEqual(decodeEntityAddrvec(new Decoder(one.toBuffer())), [v[0]]);
  t.throws(() => decodeEntityAddrvec(new Decoder(hex('05'))), { instanceOf: DecodeError });
});

test('errno names and CephError', (t) => {
  t.is(errnoNumber('EACCES'), 13);
  t.is(errnoName(-2), 'ENOENT');
  t.is(errnoName(9999), 'E9999');
  const err = CephError.fromResult(-2, { op: 'stat', object: 'foo' });
  t.is(err.errno, 2);
  t.is(err.code, 'ENOENT');
  t.regex(err.message, /^stat foo: No such file or directory \(ENOENT, errno 2\)$/);
  t.true(new DecodeError('x', 3) instanceof CephError);
});

test('decodeWith turns foreign exceptions into DecodeError, keeping them as the cause', (t) => {
  const e = t.throws(
    () =>
      decodeWith(Buffer.alloc(2), 'x', () => {
        throw new RangeError('boom');
      }),
    { instanceOf: DecodeError },
  );
  // the fuzz tests report a DecodeError caused by a RangeError or TypeError as a bug
  t.true(e?.cause instanceof RangeError);
  t.is(new DecodeError('y', 0).cause, undefined);
});
