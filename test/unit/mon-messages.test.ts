// Mon messages captured from a real Pacific cluster (scripts/capture-mon-messages.ts, a
// 3-mon cluster) decode to what `ceph` printed; client messages encode to librados's bytes.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { unpack } from 'msgpackr';
import { Decoder } from '../../src/encoding/decoder.js';
import { DecodeError } from '../../src/encoding/errno.js';
import { addrToString } from '../../src/encoding/types.js';
import { MsgType } from '../../src/msgr2/msg-types.js';
import type { Message } from '../../src/msgr2/message.js';
import { decodeMMonMap } from '../../src/mon/monmap.js';
import { decodeMonCommandAck, encodeMonCommand } from '../../src/mon/messages/mon-command.js';
import { decodeMonGetVersionReply, encodeMonGetVersion } from '../../src/mon/messages/mon-get-version.js';
import { decodeMonSubscribe, encodeMonSubscribe } from '../../src/mon/messages/mon-subscribe.js';
import { decodeMAuthReply, encodeMAuth } from '../../src/mon/messages/auth.js';

interface Fx {
  fsid: string;
  monDump: {
    epoch: number;
    fsid: string;
    mons: Array<{ name: string; rank: number; public_addrs: { addrvec: Array<{ type: string; addr: string; nonce: number }> } }>;
  };
  commandResults: { poolLs: { rc: number; outbl: string }; missingPool: { rc: number; outs: string } };
  messages: Array<{ header: Record<string, unknown>; front: Buffer; middle: Buffer; data: Buffer }>;
}

const fx = unpack(readFileSync(new URL('../../fixtures/mon-messages-pacific.msgpack', import.meta.url))) as Fx;

function messages(type: number): Message[] {
  return fx.messages
    .filter((m) => m.header.type === type)
    .map((m) => ({
      header: {
        ...(m.header as never as Message['header']),
        seq: BigInt(m.header.seq as string),
        tid: BigInt(m.header.tid as string),
        ackSeq: BigInt(m.header.ackSeq as string),
      },
      front: Buffer.from(m.front),
      middle: Buffer.from(m.middle),
      data: Buffer.from(m.data),
    }));
}

test('MMonMap decodes to what `ceph mon dump` printed', (t) => {
  const [m] = messages(MsgType.MON_MAP);
  t.truthy(m);
  const map = decodeMMonMap(m!);
  t.is(map.fsid, fx.monDump.fsid);
  t.is(map.fsid, fx.fsid);
  t.is(map.epoch, fx.monDump.epoch);
  t.deepEqual(
    map.ranks,
    [...fx.monDump.mons].sort((a, b) => a.rank - b.rank).map((x) => x.name),
  );
  for (const mon of fx.monDump.mons) {
    const info = map.mons.get(mon.name)!;
    t.deepEqual(
      info.addrs.map((a) => addrToString(a)),
      mon.public_addrs.addrvec.map((a) => `${a.type}:${a.addr}/${a.nonce}`),
    );
  }
  t.is(map.minMonRelease, 16);
  // every truncation is a DecodeError
  for (let n = 0; n < m!.front.length; n++) {
    t.throws(() => decodeMMonMap({ ...m!, front: m!.front.subarray(0, n) }), { instanceOf: DecodeError });
  }
});

test('MMonCommandAck: rc, status text and output as the mon sent them', (t) => {
  const acks = messages(MsgType.MON_COMMAND_ACK).map(decodeMonCommandAck);
  t.is(acks.length, 2);
  t.is(acks[0]!.r, fx.commandResults.poolLs.rc);
  t.is(acks[0]!.outbl.toString(), fx.commandResults.poolLs.outbl);
  t.deepEqual(JSON.parse(acks[0]!.outbl.toString()), ['rbd']);
  t.is(acks[1]!.r, -2);
  t.is(acks[1]!.rs, fx.commandResults.missingPool.outs);
  t.is(acks[0]!.cmd.length, 1);
  t.regex(acks[0]!.cmd[0]!, /osd pool ls/);
});

test('MMonGetVersionReply (v2) and MAuthReply decode', (t) => {
  const [v] = messages(MsgType.MON_GET_VERSION_REPLY).map(decodeMonGetVersionReply);
  t.true(v!.version >= 1);
  t.true(v!.oldestVersion >= 1 && v!.oldestVersion <= v!.version);
  const [a] = messages(MsgType.AUTH_REPLY).map(decodeMAuthReply);
  t.is(a!.protocol, 2);
  t.is(a!.result, 0);
  t.true(a!.globalId > 0n);
  t.true(a!.resultBl.length > 100);
});

test('MOSDMap and MConfig arrive with their header versions', (t) => {
  const [osd] = messages(MsgType.OSD_MAP);
  t.is(osd!.header.version, 4);
  t.is(osd!.header.compatVersion, 3);
  const d = new Decoder(osd!.front);
  t.is(d.bytes(16).toString('hex'), fx.fsid.replace(/-/g, ''));
  const [cfg] = messages(MsgType.CONFIG);
  t.truthy(cfg);
});

test('MMonSubscribe encodes the bytes librados sends (docs/protocol.md §9.1)', (t) => {
  const m = encodeMonSubscribe(new Map([['osdmap', { start: 0, flags: 1 }]]), 'vm');
  t.is(
    m.front.toString('hex'),
    '01000000' + '06000000' + Buffer.from('osdmap').toString('hex') + '0000000000000000' + '01' + '02000000' + Buffer.from('vm').toString('hex'),
  );
  t.is(m.version, 3);
  t.is(m.compatVersion, 1);
  const back = decodeMonSubscribe({ header: { version: 3 } as Message['header'], front: m.front, middle: Buffer.alloc(0), data: Buffer.alloc(0) });
  t.deepEqual([...back.what], [['osdmap', { start: 0, flags: 1 }]]);
  t.is(back.hostname, 'vm');
});

test('client messages: MMonGetVersion, MMonCommand, MAuth layouts', (t) => {
  const gv = encodeMonGetVersion(1n, 'osdmap');
  t.is(gv.front.toString('hex'), '0100000000000000' + '06000000' + Buffer.from('osdmap').toString('hex'));
  const mc = encodeMonCommand({ tid: 1n, fsid: fx.fsid, cmd: ['{"prefix": "osd pool ls"}'] });
  const d = new Decoder(mc.front);
  t.is(d.u64(), 0n);
  t.is(d.s16(), -1);
  t.is(d.u64(), 0n);
  t.is(d.bytes(16).toString('hex'), fx.fsid.replace(/-/g, ''));
  t.deepEqual(
    d.list((x) => x.string()),
    ['{"prefix": "osd pool ls"}'],
  );
  t.true(d.done);
  const ma = encodeMAuth(2, Buffer.from('xy'), 3, 9n);
  t.is(ma.front.toString('hex'), '0000000000000000' + 'ffff' + '0000000000000000' + '02000000' + '02000000' + '7879' + '03000000');
});
