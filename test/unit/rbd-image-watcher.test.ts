// ImageWatcher.handlePayload (librbd ImageWatcher::handle_payload) on notify bodies recorded
// from librbd (fixtures/rbd-lock, captured by fixtures/rbd-lock/capture.ts): HEADER_UPDATE
// and the empty legacy body go to the header-update listeners with a plain ack; lock messages
// go to the exclusive lock's handler, whose answer is the ack; anything undecodable is acked
// plainly and dispatched nowhere.

import test from 'ava';
import type { IoCtx } from '../../src/rados/ioctx.js';
import { ImageWatcher, type LockNotifyHandler } from '../../src/rbd/image-watcher.js';
import { encodeNotifyMessage, encodeResponseMessage, NotifyOp, type NotifyMessage } from '../../src/rbd/watch-notify.js';
import { capture, hex, pacific } from '../helpers/rbd-lock-fixtures.js';

/** HEADER_UPDATE as librbd sent it ("op 3 from client.4313"): ENC(7,1) len 4, op 3 */
const HEADER_UPDATE_HEX = '07010400000003000000';

/** The constructor only keeps the IoCtx; handlePayload must not touch it. */
const untouchableIo = new Proxy(
  {},
  {
    get: (_t, p) => {
      throw new Error(`IoCtx.${String(p)} used by handlePayload`);
    },
  },
) as unknown as IoCtx;

function watcher() {
  const w = new ImageWatcher(untouchableIo, 'rbd_header.10d24b6b8b4567', 'img');
  const calls: string[] = [];
  const a = w.onHeaderUpdate(() => calls.push('a'));
  const b = w.onHeaderUpdate(() => calls.push('b'));
  return { w, calls, unsubscribeA: a, unsubscribeB: b };
}

/** A lock handler that records what it is given and answers `ack`. */
function lockHandler(ack: Buffer | undefined) {
  const got: NotifyMessage[] = [];
  const h: LockNotifyHandler = {
    handleNotify: (m) => {
      got.push(m);
      return ack;
    },
    watchLost: () => {
      throw new Error('watchLost is not a notify');
    },
  };
  return { h, got };
}

test('the recorded librbd HEADER_UPDATE is in the capture', (t) => {
  t.true(capture.notifies.some((n) => n.hex === HEADER_UPDATE_HEX));
});

test('HEADER_UPDATE calls every header-update listener once and returns no ack', (t) => {
  const { w, calls } = watcher();
  const lock = lockHandler(encodeResponseMessage(0));
  w.setLockHandler(lock.h);
  t.is(w.handlePayload(hex(HEADER_UPDATE_HEX)), undefined);
  t.deepEqual(calls.sort(), ['a', 'b']);
  t.deepEqual(lock.got, [], 'not a lock message');
});

test('the empty legacy payload is a header update too', (t) => {
  const { w, calls } = watcher();
  const lock = lockHandler(encodeResponseMessage(0));
  w.setLockHandler(lock.h);
  t.is(w.handlePayload(Buffer.alloc(0)), undefined);
  t.deepEqual(calls.sort(), ['a', 'b']);
  t.deepEqual(lock.got, []);
});

test('an unsubscribed listener is not called; the others still are', (t) => {
  const { w, calls, unsubscribeA } = watcher();
  unsubscribeA();
  w.handlePayload(hex(HEADER_UPDATE_HEX));
  t.deepEqual(calls, ['b']);
  w.handlePayload(Buffer.alloc(0));
  t.deepEqual(calls, ['b', 'b']);
});

test('lock messages recorded from librbd and rbd-ts go to the lock handler, decoded; its answer is the ack', (t) => {
  const accepted = hex(capture.responses.accepted.hex[0]!); // librbd's ack to REQUEST_LOCK: ResponseMessage{0}
  for (const n of pacific.notifies) {
    const { w, calls } = watcher();
    const lock = lockHandler(accepted);
    w.setLockHandler(lock.h);
    const ack = w.handlePayload(hex(n.hex));
    t.is(ack, accepted, n.what);
    // expected message from the fixture's own fields, not from the decoder
    const clientId = { gid: BigInt(n.gid), handle: BigInt(n.handle) };
    const expected = n.op === NotifyOp.REQUEST_LOCK ? { op: n.op, clientId, force: n.force } : { op: n.op, clientId };
    t.deepEqual(lock.got, [expected], n.what);
    t.deepEqual(calls, [], `${n.what}: no header listener`);
  }
});

test('every lock op in the librbd capture reaches the handler with the ClientId it carries', (t) => {
  // capture.notifies: ops 0 (ACQUIRED_LOCK), 1 (RELEASED_LOCK), 2 (REQUEST_LOCK) from clients 4309..4315
  const lockOps = capture.notifies.filter((n) => n.hex !== HEADER_UPDATE_HEX);
  t.is(lockOps.length, 8);
  const { w, calls } = watcher();
  const lock = lockHandler(undefined);
  w.setLockHandler(lock.h);
  for (const n of lockOps) t.is(w.handlePayload(hex(n.hex)), undefined, n.what);
  t.deepEqual(
    lock.got.map((m) => [m.op, 'clientId' in m ? m.clientId.gid : undefined]),
    [
      [NotifyOp.ACQUIRED_LOCK, 4311n],
      [NotifyOp.REQUEST_LOCK, 4309n],
      [NotifyOp.RELEASED_LOCK, 4311n],
      [NotifyOp.ACQUIRED_LOCK, 4313n],
      [NotifyOp.RELEASED_LOCK, 4313n],
      [NotifyOp.ACQUIRED_LOCK, 4315n],
      [NotifyOp.REQUEST_LOCK, 4309n],
      [NotifyOp.RELEASED_LOCK, 4315n],
    ],
  );
  t.deepEqual(calls, []);
});

test('the handler refusing a REQUEST_LOCK: the refusal is the ack', (t) => {
  const refused = hex(capture.responses.refused.hex[0]!); // ResponseMessage{-EROFS} as librbd sent it
  const request = pacific.notifies.find((n) => n.op === NotifyOp.REQUEST_LOCK)!;
  const { w } = watcher();
  w.setLockHandler(lockHandler(refused).h);
  t.is(w.handlePayload(hex(request.hex)), refused);
});

test("the kernel's ENC(2,1) ACQUIRED_LOCK goes to the handler too", (t) => {
  // drivers/block/rbd.c __rbd_notify_op_lock encodes NotifyMessage as version 2, compat 1
  const { w } = watcher();
  const lock = lockHandler(undefined);
  w.setLockHandler(lock.h);
  w.handlePayload(hex('0201140000000000000039300000000000000700000000000000'));
  t.deepEqual(lock.got, [{ op: NotifyOp.ACQUIRED_LOCK, clientId: { gid: 12345n, handle: 7n } }]);
});

test('an operation request for the lock owner (FLATTEN) goes to the lock handler', (t) => {
  const { w, calls } = watcher();
  const ack = encodeResponseMessage(0);
  const lock = lockHandler(ack);
  w.setLockHandler(lock.h);
  t.is(w.handlePayload(encodeNotifyMessage({ op: NotifyOp.FLATTEN, payload: hex('0102') })), ack);
  t.deepEqual(lock.got, [{ op: NotifyOp.FLATTEN, payload: hex('0102') }]);
  t.deepEqual(calls, []);
});

test('garbage bytes: no ack, nothing called', (t) => {
  const garbage = [
    'deadbeef', // shorter than an encoding header
    'ff',
    '070114000000000000005a10000000000000601500c44d7f00', // a recorded ACQUIRED_LOCK missing its last byte
    '0701ff00000000000000', // struct length beyond the buffer
    '07010400000000000000', // ACQUIRED_LOCK without its ClientId
    '0703040000000300000000', // compat 3: newer than any decoder of ours
  ];
  const { w, calls } = watcher();
  const lock = lockHandler(encodeResponseMessage(0));
  w.setLockHandler(lock.h);
  for (const g of garbage) t.is(w.handlePayload(hex(g)), undefined, g);
  t.deepEqual(calls, []);
  t.deepEqual(lock.got, []);
});

test('without a lock handler, lock messages get no ack (and header updates still work)', (t) => {
  const { w, calls } = watcher();
  for (const n of pacific.notifies) t.is(w.handlePayload(hex(n.hex)), undefined, n.what);
  t.deepEqual(calls, []);
  // a handler set and then cleared: back to no ack
  const lock = lockHandler(encodeResponseMessage(0));
  w.setLockHandler(lock.h);
  w.setLockHandler(undefined);
  t.is(w.handlePayload(hex(pacific.notifies[0]!.hex)), undefined);
  t.deepEqual(lock.got, []);
  t.is(w.handlePayload(hex(HEADER_UPDATE_HEX)), undefined);
  t.deepEqual(calls.sort(), ['a', 'b']);
});
