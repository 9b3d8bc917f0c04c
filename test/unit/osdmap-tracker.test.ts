// OSDMapTracker against a stand-in MonClient, fed the MOSDMap messages and full maps a
// real Pacific cluster sent (fixtures/osdmap/history.msgpack.gz): subscriptions, epoch
// order, gaps, malformed messages, waits with timeouts and aborts.

import test from 'ava';
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { unpack } from 'msgpackr';
import { Encoder } from '../../src/encoding/encoder.js';
import { AbortError, CephError, DecodeError, TimeoutError } from '../../src/encoding/errno.js';
import { parseUuid } from '../../src/encoding/types.js';
import type { Message } from '../../src/msgr2/message.js';
import { OSDMapTracker, type MonClientLike } from '../../src/rados/osdmap/map-tracker.js';
import { decodeMOSDMapFront } from '../../src/rados/osdmap/mosdmap.js';
import { OSDMap } from '../../src/rados/osdmap/osdmap.js';

interface History {
  latest: number;
  messages: Array<{ version: number; compat: number; front: Uint8Array; kind: string }>;
  fulls: Record<string, Uint8Array>;
}
const history = unpack(gunzipSync(readFileSync(new URL('../../fixtures/osdmap/history.msgpack.gz', import.meta.url)))) as History;
const LATEST = history.latest;
const FSID = OSDMap.decode(history.fulls['1']!).fsid;
const incMessages = history.messages.filter((m) => m.kind === 'incrementals').map((m) => Buffer.from(m.front));
const allIncs = new Map<number, Buffer>();
for (const f of incMessages) for (const [e, b] of decodeMOSDMapFront(f, 4).incrementals) allIncs.set(e, b);

class FakeMon extends EventEmitter {
  subs: Array<{ what: string; start: number; flags: number }> = [];
  unsubs: string[] = [];
  fsid: string | undefined = FSID;
  version = LATEST;
  subscribe(what: string, start = 0, flags = 0): void {
    this.subs.push({ what, start, flags });
  }
  unsubscribe(what: string): void {
    this.unsubs.push(what);
  }
  async getVersion(_what: string): Promise<{ version: number; oldestVersion: number }> {
    return { version: this.version, oldestVersion: 1 };
  }
  get lastSub() {
    return this.subs[this.subs.length - 1];
  }
}

function msg(front: Buffer, version = 4): Message {
  return {
    header: { seq: 1n, tid: 0n, type: 41, priority: 127, version, dataPrePaddingLen: 0, dataOff: 0, ackSeq: 0n, flags: 0, compatVersion: 3 },
    front,
    middle: Buffer.alloc(0),
    data: Buffer.alloc(0),
  };
}

/** An MOSDMap front (v4) with the given incrementals and full maps. */
function front(incs: Array<[number, Uint8Array]>, fulls: Array<[number, Uint8Array]>, opts: { fsid?: string; oldest?: number; newest?: number } = {}): Buffer {
  const e = new Encoder(4096);
  e.bytes(parseUuid(opts.fsid ?? FSID));
  e.u32(incs.length);
  for (const [ep, b] of incs) e.u32(ep).bufferlist(b);
  e.u32(fulls.length);
  for (const [ep, b] of fulls) e.u32(ep).bufferlist(b);
  e.u32(opts.oldest ?? 1).u32(opts.newest ?? LATEST);
  e.u32(0); // gap_removed_snaps
  return e.toBuffer();
}

const incRange = (a: number, b: number): Array<[number, Uint8Array]> => Array.from({ length: b - a + 1 }, (_, k) => [a + k, allIncs.get(a + k)!]);
const full = (e: number): [number, Uint8Array] => [e, history.fulls[String(e)]!];

function setup(opts: { errors?: boolean } = {}) {
  const mon = new FakeMon();
  const logs: string[] = [];
  const tr = new OSDMapTracker(mon as unknown as MonClientLike, { log: (m) => logs.push(m), recoverIntervalMs: 50 });
  const epochs: number[] = [];
  const errors: Error[] = [];
  tr.on('map', (m) => epochs.push(m.epoch));
  if (opts.errors !== false) tr.on('error', (e) => errors.push(e));
  tr.start();
  return { mon, tr, epochs, errors, logs, feed: (f: Buffer) => mon.emit('osdmap', msg(f)) };
}

test('start: asks for the latest full map once, then follows continuously from epoch + 1', (t) => {
  const { mon, tr, epochs, feed } = setup();
  t.deepEqual(mon.subs, [{ what: 'osdmap', start: 0, flags: 1 }]);
  t.is(tr.current, undefined);
  // what the mon really sent for "osdmap from 0"
  feed(Buffer.from(history.messages.find((m) => m.kind === 'full-latest')!.front));
  t.is(tr.current?.epoch, LATEST);
  t.deepEqual(epochs, [LATEST]);
  t.deepEqual(mon.lastSub, { what: 'osdmap', start: LATEST + 1, flags: 0 });
  // old news is ignored
  feed(front(incRange(LATEST - 3, LATEST), []));
  t.deepEqual(epochs, [LATEST]);
  // a new mon session: renew from where we are
  mon.emit('session', {});
  t.deepEqual(mon.lastSub, { what: 'osdmap', start: LATEST + 1, flags: 0 });
  tr.stop();
  t.deepEqual(mon.unsubs, ['osdmap']);
});

test('incrementals are applied in epoch order with a map event per epoch; the result is the mon’s map', (t) => {
  const { mon, tr, epochs, errors, feed } = setup();
  feed(front([], [full(10)], { newest: LATEST }));
  t.is(tr.epoch, 10);
  for (const f of incMessages) feed(f);
  t.deepEqual(errors, []);
  t.deepEqual(
    epochs,
    Array.from({ length: LATEST - 9 }, (_, k) => 10 + k),
  );
  const want = OSDMap.decode(history.fulls[String(LATEST)]!);
  t.is(tr.current!.epoch, LATEST);
  t.deepEqual(tr.current!.objectLocation(tr.current!.poolIdByName('rbd')!, 'foo'), want.objectLocation(want.poolIdByName('rbd')!, 'foo'));
  t.deepEqual([...tr.current!.pgTemp].sort(), [...want.pgTemp].sort());
  // one continuous subscription, renewed while the sender had more than a message held;
  // the mon keeps sending from there
  t.is(mon.lastSub!.flags, 0);
  t.true(mon.lastSub!.start <= LATEST + 1 && mon.lastSub!.start > LATEST - 40);
});

test('a message that stops short of the sender’s newest epoch asks for the rest', (t) => {
  const { mon, tr, feed } = setup();
  feed(front([], [full(10)], { newest: 50 }));
  feed(front(incRange(11, 20), [], { newest: 50 }));
  t.is(tr.epoch, 20);
  t.deepEqual(mon.lastSub, { what: 'osdmap', start: 21, flags: 0 });
  const n = mon.subs.length;
  feed(front(incRange(21, 50), [], { newest: 50 }));
  t.is(tr.epoch, 50);
  t.is(mon.subs.length, n, 'nothing more to ask for');
});

test('a gap: error event, map kept, latest full map asked for; a later full map in the same message is used', (t) => {
  const { mon, tr, epochs, errors, feed } = setup();
  feed(front([], [full(10)]));
  mon.subs.length = 0;
  feed(front(incRange(15, 20), []));
  t.is(tr.epoch, 10);
  t.is(errors.length, 1);
  t.true(errors[0] instanceof CephError);
  t.is((errors[0] as CephError).code, 'EAGAIN');
  t.deepEqual(mon.subs, [{ what: 'osdmap', start: 0, flags: 1 }]);
  // the same gap, but the message also has a full map: jump to it and go on
  feed(front(incRange(15, 25), [full(18)]));
  t.is(tr.epoch, 25);
  t.deepEqual(epochs, [10, 18, 19, 20, 21, 22, 23, 24, 25]);
});

test('malformed messages and maps: error event (or log), previous map kept, never a throw', async (t) => {
  const { mon, tr, errors, feed } = setup();
  feed(front([], [full(30)]));
  mon.subs.length = 0;
  // a truncated front
  const good = front(incRange(31, 33), []);
  t.notThrows(() => feed(good.subarray(0, good.length - 20)));
  t.is(tr.epoch, 30);
  t.true(errors[0] instanceof DecodeError);
  t.deepEqual(mon.subs, [{ what: 'osdmap', start: 0, flags: 1 }]);
  // a corrupted incremental (CRC catches it): map kept; the next full-map request waits
  // for recoverIntervalMs
  const bad = Buffer.from(allIncs.get(31)!);
  bad[40]! ^= 0xff;
  feed(front([[31, bad], ...incRange(32, 33)], []));
  t.is(tr.epoch, 30);
  t.true(errors.some((e) => e instanceof DecodeError && /crc/.test(e.message)));
  t.is(mon.subs.length, 1);
  await new Promise((r) => setTimeout(r, 120));
  t.deepEqual(mon.subs, [
    { what: 'osdmap', start: 0, flags: 1 },
    { what: 'osdmap', start: 0, flags: 1 },
  ]);
  // an incremental for the wrong cluster, and a message from another cluster
  feed(front(incRange(31, 31), [], { fsid: '11111111-2222-3333-4444-555555555555' }));
  t.is(tr.epoch, 30);
  t.true(errors.some((e) => e instanceof CephError && e.code === 'EINVAL' && /fsid/.test(e.message)));
  // garbage full map
  feed(front([], [[40, Buffer.from('not a map')]]));
  t.is(tr.epoch, 30);
  // recovery
  feed(front(incRange(31, 35), []));
  t.is(tr.epoch, 35);
  tr.stop();
});

test('without an error listener, problems go to the log option', (t) => {
  const { tr, logs, feed } = setup({ errors: false });
  t.notThrows(() => feed(Buffer.from('garbage')));
  t.is(tr.current, undefined);
  t.is(logs.length, 1);
  t.regex(logs[0]!, /malformed MOSDMap/);
  tr.stop();
});

test('a throwing map listener does not stop the tracker', (t) => {
  const { tr, errors, feed } = setup();
  tr.on('map', () => {
    throw new Error('listener bug');
  });
  feed(front([], [full(10)]));
  feed(front(incRange(11, 12), []));
  t.is(tr.epoch, 12);
  t.true(errors.some((e) => /listener bug/.test(e.message)));
});

test('waitForMap / waitForEpoch resolve in order; timeouts, aborts and stop reject', async (t) => {
  const { tr, feed, mon } = setup();
  const first = tr.waitForMap({ timeoutMs: 5000 });
  const e12 = tr.waitForEpoch(12, { timeoutMs: 5000 });
  feed(front([], [full(10)]));
  t.is((await first).epoch, 10);
  feed(front(incRange(11, 13), []));
  t.is((await e12).epoch, 12, 'resolved by the first map that reaches it');
  t.is((await tr.waitForEpoch(5)).epoch, 13, 'already there');

  await t.throwsAsync(tr.waitForEpoch(99, { timeoutMs: 30 }), { instanceOf: TimeoutError });
  const ac = new AbortController();
  const aborted = tr.waitForEpoch(99, { timeoutMs: 5000, signal: ac.signal });
  ac.abort(new Error('user'));
  await t.throwsAsync(aborted, { instanceOf: AbortError });
  const pre = new AbortController();
  pre.abort();
  await t.throwsAsync(tr.waitForEpoch(99, { signal: pre.signal }), { instanceOf: AbortError });

  // waitForLatest: asks the mons for the newest epoch, then waits for it
  mon.version = 15;
  const latest = tr.waitForLatest({ timeoutMs: 5000 });
  await new Promise((r) => setImmediate(r));
  t.deepEqual(mon.lastSub, { what: 'osdmap', start: 14, flags: 0 });
  feed(front(incRange(14, 15), []));
  t.is((await latest).epoch, 15);

  const pending = tr.waitForEpoch(99, { timeoutMs: 5000 });
  tr.stop();
  const err = await t.throwsAsync(pending, { instanceOf: CephError });
  t.is(err?.code, 'ESHUTDOWN');
  // after stop: nothing more is processed
  feed(front(incRange(16, 17), []));
  t.is(tr.epoch, 15);
});

test('requestNewer: full map when there is none, else continue from epoch + 1', (t) => {
  const { mon, tr, feed } = setup();
  mon.subs.length = 0;
  tr.requestNewer(); // (rate-limited: the start() request was just sent)
  feed(front([], [full(10)]));
  mon.subs.length = 0;
  tr.requestNewer();
  t.deepEqual(mon.subs, [{ what: 'osdmap', start: 11, flags: 0 }]);
  tr.stop();
});
