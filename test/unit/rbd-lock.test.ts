// Exclusive-lock codecs against bytes librbd (python3-rbd, Pacific) put on the wire, captured
// by fixtures/rbd-lock/capture.ts: image-watcher NotifyMessages, ResponseMessages, and the
// cls lock get_info reply; plus the cls lock op inputs laid out as cls_lock_ops.h says.

import test from 'ava';
import { lockCookie, parseLockCookie } from '../../src/rbd/exclusive-lock.js';
import * as L from '../../src/rbd/cls/lock.js';
import {
  decodeNotifyMessage,
  decodeResponseMessage,
  encodeNotifyMessage,
  encodeResponseMessage,
  HEADER_UPDATE_NOTIFY,
  NotifyOp,
} from '../../src/rbd/watch-notify.js';
import { capture, hex, pacific } from '../helpers/rbd-lock-fixtures.js';

test('librbd lock notifies decode to their ClientId and re-encode byte for byte', (t) => {
  for (const n of pacific.notifies) {
    const m = decodeNotifyMessage(hex(n.hex));
    t.is(m.op, n.op, n.what);
    t.true('clientId' in m, n.what);
    if (!('clientId' in m)) continue;
    t.is(m.clientId.gid, BigInt(n.gid), n.what);
    t.is(m.clientId.handle, BigInt(n.handle), n.what);
    if (n.op === NotifyOp.REQUEST_LOCK) t.is('force' in m && m.force, n.force ?? false);
    t.is(encodeNotifyMessage(m).toString('hex'), n.hex, n.what);
  }
});

test('every captured notify (lock ops and HEADER_UPDATE) round-trips', (t) => {
  const ops = new Set<number>();
  for (const n of capture.notifies) {
    const m = decodeNotifyMessage(hex(n.hex));
    ops.add(m.op);
    t.is(encodeNotifyMessage(m).toString('hex'), n.hex, n.what);
  }
  t.deepEqual([...ops].sort(), [NotifyOp.ACQUIRED_LOCK, NotifyOp.RELEASED_LOCK, NotifyOp.REQUEST_LOCK, NotifyOp.HEADER_UPDATE]);
});

test("HEADER_UPDATE is librbd's bytes; an empty notify is the legacy header update; the kernel's ENC(2,1) is accepted", (t) => {
  const librbd = capture.notifies.find((n) => decodeNotifyMessage(hex(n.hex)).op === NotifyOp.HEADER_UPDATE)!;
  t.is(HEADER_UPDATE_NOTIFY.toString('hex'), librbd.hex);
  t.is(HEADER_UPDATE_NOTIFY.toString('hex'), '07010400000003000000');
  t.deepEqual(decodeNotifyMessage(Buffer.alloc(0)), { op: NotifyOp.HEADER_UPDATE, legacy: true });
  // kernel rbd: ENC(2,1) { u32 op, u64 gid, u64 handle } for ACQUIRED_LOCK
  const kernel = hex('0201140000000000000039300000000000000700000000000000');
  t.deepEqual(decodeNotifyMessage(kernel), { op: NotifyOp.ACQUIRED_LOCK, clientId: { gid: 12345n, handle: 7n } });
  // an op we do not decode keeps its payload
  const flatten = encodeNotifyMessage({ op: NotifyOp.FLATTEN, payload: hex('0102') });
  t.deepEqual(decodeNotifyMessage(flatten), { op: NotifyOp.FLATTEN, payload: hex('0102') });
});

test("librbd's ResponseMessage: 0 from an owner that will release, -EROFS under an explicit lock", (t) => {
  t.deepEqual(
    capture.responses.accepted.hex.map((h) => decodeResponseMessage(hex(h))),
    [0],
  );
  t.deepEqual(
    capture.responses.refused.hex.map((h) => decodeResponseMessage(hex(h))),
    [-30],
  );
  t.is(encodeResponseMessage(0).toString('hex'), capture.responses.accepted.hex[0]!);
  t.is(encodeResponseMessage(-30).toString('hex'), capture.responses.refused.hex[0]!);
});

test('cls lock get_info reply as the OSD returns it while librbd holds the lock', (t) => {
  const info = L.decodeLockInfo(hex(pacific.get_info.hex));
  t.is(info.type, L.LockType.EXCLUSIVE);
  t.is(info.tag, 'internal');
  t.is(info.lockers.length, 1);
  const l = info.lockers[0]!;
  t.deepEqual(l.entity, { type: pacific.get_info.entity_type, num: BigInt(pacific.get_info.entity_num) });
  t.is(l.cookie, pacific.get_info.cookie);
  t.is(l.addr, pacific.get_info.addr);
  t.deepEqual(l.expiration, { sec: 0, nsec: 0 });
  t.is(l.description, '');
  const again = L.decodeLockInfo(hex(capture.getInfo.hex));
  t.is(again.tag, 'internal');
  t.not(parseLockCookie(again.lockers[0]!.cookie), undefined);
  // an object without the lock: empty map, type NONE, empty tag
  t.deepEqual(L.decodeLockInfo(hex('010109000000000000000000000000')), { lockers: [], type: 0, tag: '' });
});

test('lock cookies: "auto <handle>" both ways; foreign cookies are not librbd\'s', (t) => {
  t.is(lockCookie(139696495661728n), 'auto 139696495661728');
  t.is(parseLockCookie('auto 139696495661728'), 139696495661728n);
  t.is(parseLockCookie('auto '), undefined);
  t.is(parseLockCookie('admin-cookie'), undefined);
  t.is(parseLockCookie('auto 12x'), undefined);
  t.is(L.legacyAddr('any:127.0.0.1:0/29788866'), '127.0.0.1:0/29788866');
  t.is(L.legacyAddr('v1:127.0.0.1:0/1'), '127.0.0.1:0/1');
});

test('cls lock op inputs follow cls_lock_ops.h (ENC(1,1) each)', (t) => {
  const str = (s: string) => Buffer.concat([Buffer.from([s.length, 0, 0, 0]), Buffer.from(s)]).toString('hex');
  const env = (body: string) => `0101${(body.length / 2).toString(16).padStart(2, '0')}000000${body}`;
  const lock = L.lock({ name: 'rbd_lock', type: L.LockType.EXCLUSIVE, cookie: 'auto 2', tag: 'internal' });
  t.is(lock.input.toString('hex'), env(str('rbd_lock') + '01' + str('auto 2') + str('internal') + str('') + '0000000000000000' + '00'));
  t.true(lock.write);
  t.is(L.unlock('rbd_lock', 'auto 2').input.toString('hex'), env(str('rbd_lock') + str('auto 2')));
  t.is(L.breakLock('rbd_lock', { type: 8, num: 4175n }, 'auto 9').input.toString('hex'), env(str('rbd_lock') + '08' + '4f10000000000000' + str('auto 9')));
  t.is(L.getInfo('rbd_lock').input.toString('hex'), env(str('rbd_lock')));
  t.false(L.getInfo('rbd_lock').write);
  t.is(L.assertLocked('rbd_lock', 1, '', '').input.toString('hex'), env(str('rbd_lock') + '01' + str('') + str('')));
});
