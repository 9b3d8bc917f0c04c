import test from 'ava';
import { randomBytes } from 'node:crypto';
import { READ_BUFFER, SocketReader } from '../../src/msgr2/socket-reader.js';

// Feed `data` through the buffers the reader hands out, as net's onread does (callback with
// the bytes read, then ask for the next buffer), in pieces of `sizes` (cycled) while reading
// `reads` lengths in order; the bytes read and the rxlog must be the stream itself.
async function roundTrip(
  data: Buffer,
  sizes: number[],
  reads: number[] | ((r: SocketReader, out: Buffer[]) => Promise<void>),
): Promise<{ got: Buffer; log: Buffer; direct: number }> {
  const r = new SocketReader();
  r.log = [];
  const out: Buffer[] = [];
  const consumer =
    typeof reads === 'function'
      ? reads(r, out)
      : (async () => {
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
    if (buf === reused)
      buf.fill(0xee); // the buffer is reused: nothing may still point into it
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

/**
 * readRecords over 8-byte headers (le32 body length first) until `count` records came, each
 * header and body pushed to `out`; `check` may refuse a record (the read then fails).
 */
function collectRecords(r: SocketReader, out: Buffer[], count: number, check?: (header: Buffer, index: number) => string | undefined): Promise<number> {
  let records = 0;
  return new Promise<number>((resolve, reject) => {
    r.readRecords(
      () => 8,
      (h) => h.readUInt32LE(0),
      (h, body) => {
        const bad = check?.(h, records);
        if (bad) reject(new Error(bad));
        out.push(Buffer.from(h), Buffer.from(body));
        if (++records === count) resolve(records);
      },
      reject,
    );
  });
}

test('readRecords: headers, then the bodies whose lengths they give, read straight into their own buffers', async (t) => {
  // records: 8-byte header (le32 body length, le32 tag), then the body
  const bodies = [0, 10, 5 * READ_BUFFER + 3, 70, 3 * READ_BUFFER, 1, 200000].map((n) => randomBytes(n));
  const data = Buffer.concat(
    bodies.flatMap((b, i) => {
      const h = Buffer.alloc(8);
      h.writeUInt32LE(b.length, 0);
      h.writeUInt32LE(i, 4);
      return [h, b];
    }),
  );
  for (const sizes of [[READ_BUFFER], [4093, 100000], [READ_BUFFER - 5, 9]]) {
    let records = 0;
    const { got, log, direct } = await roundTrip(data, sizes, async (r, out) => {
      records = await collectRecords(r, out, bodies.length, (h, i) => (h.readUInt32LE(4) !== i ? `record ${h.readUInt32LE(4)} came as ${i}` : undefined));
    });
    t.is(records, bodies.length);
    t.true(got.equals(data), `pieces ${sizes.join(',')}`);
    t.true(log.equals(data), 'the rxlog holds every byte once');
    // the large bodies land in place but for what came with their header's socket read
    const large = 8 * READ_BUFFER;
    t.true(direct >= large - 2 * Math.max(...sizes), `pieces ${sizes.join(',')}: ${direct} of ${large} bytes read in place`);
  }
});

test('readRecords: in a stream of large records, a header read after a large body takes a small window, so the next body lands in place', async (t) => {
  const n = 6;
  const body = 2 * READ_BUFFER + 100;
  const data = Buffer.concat(
    Array.from({ length: n }, () => {
      const h = Buffer.alloc(8);
      h.writeUInt32LE(body, 0);
      return [h, randomBytes(body)];
    }).flat(),
  );
  // the kernel has plenty: every read fills the buffer it is given
  const { got, direct } = await roundTrip(data, [READ_BUFFER], async (r, out) => void (await collectRecords(r, out, n)));
  t.true(got.equals(data));
  // the first header read may take a whole read buffer; each later one at most 4 KiB
  const copied = n * body - direct;
  t.true(copied <= READ_BUFFER + (n - 1) * 4096, `${copied} bytes of bodies copied instead of read in place`);
});

test('readRecords: hundreds of thousands of tiny records in one socket read, no deep recursion', async (t) => {
  const n = 300000;
  const data = Buffer.alloc(3 * n);
  for (let i = 0; i < n; i++) (data.writeUInt16LE(1, 3 * i), (data[3 * i + 2] = i & 0xff));
  let count = 0;
  let ok = true;
  const { got } = await roundTrip(
    data,
    [READ_BUFFER],
    (r, out) =>
      new Promise<void>((resolve, reject) =>
        r.readRecords(
          () => 2,
          (h) => h.readUInt16LE(0),
          (_h, b) => {
            ok &&= b[0] === (count & 0xff);
            if (++count === n) resolve();
            if (count === 1) out.push(data); // got = data once all have come
          },
          reject,
        ),
      ),
  );
  t.is(count, n);
  t.true(ok, 'in order');
  t.is(got.length, data.length);
});

test('readRecord: one header and its body, whatever the pieces', async (t) => {
  const body = randomBytes(3 * READ_BUFFER + 17);
  const head = Buffer.alloc(4);
  head.writeUInt32LE(body.length);
  const data = Buffer.concat([head, body, Buffer.from([9])]);
  const { got } = await roundTrip(data, [1000, READ_BUFFER], async (r, out) => {
    const [h, b] = await r.readRecord(4, (x) => x.readUInt32LE(0));
    out.push(Buffer.from(h), Buffer.from(b), Buffer.from(await r.read(1)));
  });
  t.true(got.equals(data));
});

test('readRecords: an error thrown by the record handler stops reading and is reported once', async (t) => {
  const r = new SocketReader();
  const errors: string[] = [];
  let seen = 0;
  r.readRecords(
    () => 2,
    () => 1,
    () => {
      if (++seen === 2) throw new Error('bad record');
    },
    (e) => errors.push(e.message),
  );
  const buf = (r.onread.buffer as () => Uint8Array)();
  Buffer.from([0, 0, 7, 0, 0, 8, 0, 0, 9]).copy(buf);
  (r.onread.callback as (n: number, b: Uint8Array) => boolean)(9, buf);
  t.is(seen, 2, 'no record after the failing one');
  t.deepEqual(errors, ['bad record']);
});

test('readRecord: an error from the body length rejects, and the reader stays usable for what the caller decides', async (t) => {
  const r = new SocketReader();
  const p = r.readRecord(4, () => {
    throw new Error('bad header');
  });
  const buf = (r.onread.buffer as () => Uint8Array)();
  Buffer.from([1, 2, 3, 4]).copy(buf);
  (r.onread.callback as (n: number, b: Uint8Array) => boolean)(4, buf);
  await t.throwsAsync(p, { message: 'bad header' });
});

test('a failed reader rejects the pending and later reads', async (t) => {
  const r = new SocketReader();
  const p = r.read(10);
  r.fail(new Error('gone'));
  await t.throwsAsync(p, { message: 'gone' });
  await t.throwsAsync(r.read(1), { message: 'gone' });
});
