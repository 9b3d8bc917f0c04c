import test from 'ava';
import { AbortError, CephError, TimeoutError } from '../../src/encoding/errno.js';
import { remaining, sleep, waitFor, withDeadline } from '../../src/common/wait.js';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A register function that hands out resolve / reject and counts its unregister calls. */
function probe<T>() {
  const p = {
    registered: 0,
    unregistered: 0,
    resolve: undefined as ((v: T) => void) | undefined,
    reject: undefined as ((e: unknown) => void) | undefined,
    register: (resolve: (v: T) => void, reject: (e: unknown) => void) => {
      p.registered++;
      p.resolve = resolve;
      p.reject = reject;
      return () => void p.unregistered++;
    },
  };
  return p;
}

test('waitFor resolves with what register delivers and unregisters once', async (t) => {
  const p = probe<number>();
  const ac = new AbortController();
  const w = waitFor('test_op', { timeoutMs: 1000, signal: ac.signal }, p.register);
  t.is(p.registered, 1);
  t.is(p.unregistered, 0);
  p.resolve!(42);
  t.is(await w, 42);
  t.is(p.unregistered, 1);
  // later events change nothing: the abort listener is gone, a second settle is ignored
  ac.abort();
  p.reject!(new Error('late'));
  p.resolve!(7);
  t.is(p.unregistered, 1);
});

test('waitFor passes a rejection through and unregisters once', async (t) => {
  const p = probe<number>();
  const w = waitFor('test_op', { timeoutMs: 1000 }, p.register);
  const err = new Error('boom');
  p.reject!(err);
  t.is(await t.throwsAsync(w), err);
  t.is(p.unregistered, 1);
});

test('waitFor times out with a TimeoutError naming the op and the target', async (t) => {
  const p = probe<number>();
  const e = await t.throwsAsync(waitFor('test_op', { timeoutMs: 20 }, p.register, 'obj.1'), { instanceOf: TimeoutError });
  t.is(e.code, 'ETIMEDOUT');
  t.is(e.errno, 110);
  t.is(e.op, 'test_op');
  t.is(e.target, 'obj.1');
  t.regex(e.message, /^test_op obj\.1: timed out after 20 ms/);
  t.is(p.unregistered, 1);
  p.resolve!(1); // too late: ignored
  t.is(p.unregistered, 1);
});

test('a target given as a function is read when the time runs out', async (t) => {
  let epoch = 1;
  const w = waitFor<void>(
    'wait_for_map',
    { timeoutMs: 20 },
    () => undefined,
    () => `have e${epoch}`,
  );
  epoch = 5;
  const e = await t.throwsAsync(w, { instanceOf: TimeoutError });
  t.is(e.target, 'have e5');
});

test('waitFor with an already-aborted signal rejects with an AbortError and registers nothing', async (t) => {
  const p = probe<number>();
  const ac = new AbortController();
  const reason = new Error('user');
  ac.abort(reason);
  const e = await t.throwsAsync(waitFor('test_op', { timeoutMs: 1000, signal: ac.signal }, p.register), { instanceOf: AbortError });
  t.is(e.code, 'ECANCELED');
  t.is(e.op, 'test_op');
  t.is(e.cause, reason);
  t.is(p.registered, 0);
  t.is(p.unregistered, 0);
});

test('waitFor rejects with an AbortError when the signal aborts later, and unregisters once', async (t) => {
  const p = probe<number>();
  const ac = new AbortController();
  const w = waitFor('test_op', { timeoutMs: 1000, signal: ac.signal }, p.register);
  await tick(5);
  ac.abort('stop');
  const e = await t.throwsAsync(w, { instanceOf: AbortError });
  t.true(e instanceof CephError);
  t.is(e.code, 'ECANCELED');
  t.is(e.errno, 125);
  t.is(e.cause, 'stop');
  t.regex(e.message, /^test_op: operation aborted/);
  t.is(p.unregistered, 1);
  await tick(5);
  t.is(p.unregistered, 1);
});

test('a resolve inside register still unregisters exactly once, after register returns', async (t) => {
  let unregistered = 0;
  let returned = false;
  const w = waitFor<string>('test_op', { timeoutMs: 1000 }, (resolve) => {
    resolve('now');
    t.is(unregistered, 0);
    returned = true;
    return () => {
      t.true(returned);
      unregistered++;
    };
  });
  t.is(await w, 'now');
  t.is(unregistered, 1);
  await tick(5);
  t.is(unregistered, 1);
});

test('a reject or a throw inside register rejects the wait', async (t) => {
  let unregistered = 0;
  const err = new Error('sync');
  const w1 = waitFor<void>('test_op', {}, (_, reject) => {
    reject(err);
    return () => void unregistered++;
  });
  t.is(await t.throwsAsync(w1), err);
  t.is(unregistered, 1);
  const thrown = new Error('thrown');
  const w2 = waitFor<void>('test_op', { timeoutMs: 1000 }, () => {
    throw thrown;
  });
  t.is(await t.throwsAsync(w2), thrown);
});

test('without bounds waitFor waits for register alone', async (t) => {
  const p = probe<number>();
  const w = waitFor('test_op', {}, p.register);
  await tick(10);
  p.resolve!(3);
  t.is(await w, 3);
  t.is(p.unregistered, 1);
});

test('withDeadline passes the result and a rejection through', async (t) => {
  t.is(await withDeadline(Promise.resolve(5), 'test_op', { timeoutMs: 1000 }), 5);
  const err = new CephError(2, 'gone');
  const e = await t.throwsAsync(withDeadline(Promise.reject(err), 'test_op', { timeoutMs: 1000, signal: new AbortController().signal }));
  t.is(e, err);
  // unbounded: the promise itself
  const work = Promise.resolve(1);
  t.is(withDeadline(work, 'test_op', {}), work);
});

test('withDeadline times out and aborts slow work', async (t) => {
  const slow = new Promise<number>((r) => setTimeout(() => r(1), 200));
  const e = await t.throwsAsync(withDeadline(slow, 'slow_op', { timeoutMs: 10 }, 'thing'), { instanceOf: TimeoutError });
  t.is(e.op, 'slow_op');
  t.is(e.target, 'thing');
  const ac = new AbortController();
  const w = withDeadline(slow, 'slow_op', { signal: ac.signal });
  ac.abort();
  await t.throwsAsync(w, { instanceOf: AbortError });
  // a work that fails after the deadline makes no unhandled rejection
  const failing = new Promise<number>((_, rej) => setTimeout(() => rej(new Error('late')), 20));
  await t.throwsAsync(withDeadline(failing, 'slow_op', { timeoutMs: 5 }), { instanceOf: TimeoutError });
  await tick(30);
});

test('sleep resolves after its time and rejects with an AbortError when aborted', async (t) => {
  const t0 = Date.now();
  await sleep(20);
  t.true(Date.now() - t0 >= 15);
  const ac = new AbortController();
  const s = sleep(10_000, ac.signal);
  ac.abort();
  const e = await t.throwsAsync(s, { instanceOf: AbortError });
  t.is(e.code, 'ECANCELED');
  t.is(e.op, 'sleep');
  const pre = new AbortController();
  pre.abort();
  await t.throwsAsync(sleep(10_000, pre.signal, 'backoff'), { instanceOf: AbortError, message: /^backoff: / });
});

test('remaining counts down to zero and keeps undefined unbounded', (t) => {
  t.is(remaining(undefined), undefined);
  t.is(remaining(Date.now() - 1000), 0);
  const left = remaining(Date.now() + 1000)!;
  t.true(left > 900 && left <= 1000);
});
