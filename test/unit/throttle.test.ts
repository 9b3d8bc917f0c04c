import test from 'ava';
import { Throttle } from '../../src/rados/throttle.js';
import { CephError } from '../../src/encoding/errno.js';

test('ops and bytes in flight stay within the budget; waiters are served in order', async (t) => {
  const th = new Throttle(4, 1000);
  let inFlight = 0;
  let maxOps = 0;
  let maxBytes = 0;
  const order: number[] = [];
  const work = Array.from({ length: 200 }, async (_, i) => {
    const bytes = 100 + (i % 7) * 50;
    await th.acquire(bytes);
    order.push(i);
    inFlight++;
    maxOps = Math.max(maxOps, th.inFlightOps);
    maxBytes = Math.max(maxBytes, th.inFlightBytes);
    await new Promise((r) => setTimeout(r, 1));
    inFlight--;
    th.release(bytes);
  });
  await Promise.all(work);
  t.true(maxOps <= 4);
  t.true(maxBytes <= 1000);
  t.deepEqual(
    order,
    [...order].sort((a, b) => a - b),
    'FIFO',
  );
  t.is(th.inFlightOps, 0);
  t.is(th.inFlightBytes, 0);
});

test('a request larger than the whole byte budget is admitted alone', async (t) => {
  const th = new Throttle(10, 100);
  await th.acquire(50);
  let got = false;
  const big = th.acquire(500).then(() => (got = true));
  await new Promise((r) => setTimeout(r, 5));
  t.false(got);
  th.release(50);
  await big;
  t.true(got);
  th.release(500);
});

test('waiting for room honours the timeout and the AbortSignal', async (t) => {
  const th = new Throttle(1, 10);
  await th.acquire(1);
  const e1 = await t.throwsAsync(th.acquire(1, { timeoutMs: 20 }));
  t.is((e1 as CephError).code, 'ETIMEDOUT');
  const ac = new AbortController();
  const p = th.acquire(1, { signal: ac.signal });
  ac.abort();
  const e2 = await t.throwsAsync(p);
  t.is((e2 as CephError).code, 'ECANCELED');
  t.is(th.waiting, 0);
  th.release(1);
  await th.acquire(1); // the budget is whole again
  t.is(th.inFlightOps, 1);
});
