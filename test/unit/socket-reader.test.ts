import test from 'ava';
import { randomBytes } from 'node:crypto';
import { READ_BUFFER, SocketReader } from '../../src/msgr2/socket-reader.js';

// Feed `data` through the buffers the reader hands out, as net's onread does (callback with
// the bytes read, then ask for the next buffer), in pieces of `sizes` (cycled) while reading
// `reads` lengths in order; the bytes read and the rxlog must be the stream itself.
async function roundTrip(data: Buffer, sizes: number[], reads: number[]): Promise<{ got: Buffer; log: Buffer; direct: number }> {
  const r = new SocketReader();
  r.log = [];
  const out: Buffer[] = [];
  const consumer = (async () => {
    for (const n of reads) out.push(Buffer.from(await r.read(n)));
  })();
  const next = r.onread.buffer as () => Uint8Array;
  const reused = next();
  let buf = reused;
  let at = 0;
  let direct = 0; // bytes read straight into a pending read's buffer
  for (let i = 0; at < data.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, data.length - at, buf.length);
    data.copy(buf, 0, at, at + n);
    (r.onread.callback as (n: number, b: Uint8Array) => boolean)(n, buf);
    if (buf === reused) buf.fill(0xee); // the buffer is reused: nothing may still point into it
    else direct += n;
    at += n;
    buf = next();
    await new Promise((res) => setImmediate(res));
  }
  await consumer;
  return { got: Buffer.concat(out), log: Buffer.concat(r.log), direct };
}

test('small and large reads across reused read buffers return the stream, once, in order', async (t) => {
  const big = 3 * READ_BUFFER + 12345; // assembled in place
  const reads = [32, 7, big, 1, 64 * 1024, 5, big, 32];
  const data = randomBytes(reads.reduce((a, b) => a + b, 0));
  for (const sizes of [[READ_BUFFER], [1000, 70000], [4093], [READ_BUFFER - 1, 3]]) {
    const { got, log, direct } = await roundTrip(data, sizes, reads);
    t.true(got.equals(data), `pieces ${sizes.join(',')}`);
    t.true(log.equals(data), 'the rxlog holds every byte once');
    // most of each large read lands in place (all but what came with the read before it)
    t.true(direct >= 2 * (big - 2 * READ_BUFFER - 70000), `pieces ${sizes.join(',')}: ${direct} bytes read in place`);
  }
});

test('a failed reader rejects the pending and later reads', async (t) => {
  const r = new SocketReader();
  const p = r.read(10);
  r.fail(new Error('gone'));
  await t.throwsAsync(p, { message: 'gone' });
  await t.throwsAsync(r.read(1), { message: 'gone' });
});
