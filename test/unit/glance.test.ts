// rbd:// locations against glance_store's own StoreLocation (fixtures/glance/locations.json,
// produced by glance_store 4.1.0's get_uri/parse_uri), Glance's answers as captured from a real
// glance-api (fixtures/glance/*.json|html), and the store's chunker.

import test from 'ava';
import { readFileSync } from 'node:fs';
import { CephError } from '../../src/encoding/errno.js';
import { GlanceError, glanceMessage, type GlanceImage } from '../../src/glance/glance-client.js';
import { formatLocation, isLocation, parseLocation } from '../../src/glance/location.js';
import { chunked } from '../../src/glance/store.js';

const fixture = (name: string) => readFileSync(new URL(`../../fixtures/glance/${name}`, import.meta.url), 'utf8');

interface LocationCase {
  specs?: { fsid: string; pool: string; image: string; snapshot: string };
  uri: string;
  parsed: { fsid: string | null; pool: string | null; image: string; snapshot: string | null };
}
const locations = JSON.parse(fixture('locations.json')) as { cases: LocationCase[]; bad: Array<{ uri: string; error: string | null }> };

test('locations: format and parse as glance_store does, round trip', (t) => {
  for (const c of locations.cases) {
    const parsed = parseLocation(c.uri);
    const expect = Object.fromEntries(Object.entries(c.parsed).filter(([, v]) => v !== null));
    t.deepEqual({ ...parsed }, expect, c.uri);
    if (c.specs) t.is(formatLocation(c.specs), c.uri);
    t.is(formatLocation(parsed), c.uri);
    t.true(isLocation(c.uri));
  }
});

test('locations: what glance_store refuses, parseLocation refuses with EINVAL', (t) => {
  for (const b of locations.bad) {
    t.is(b.error, 'BadStoreUri');
    const e = t.throws(() => parseLocation(b.uri), { instanceOf: CephError });
    t.is(e?.code, 'EINVAL', b.uri);
    t.true(e?.message.includes(b.uri));
  }
  t.throws(() => parseLocation('rbd://f/p/%zz/s'), { message: /bad percent-encoding/ });
  t.throws(() => formatLocation({ fsid: 'f', pool: 'p', image: 'i' }), { instanceOf: CephError });
  t.false(isLocation('975d866f-a527-4664-b556-b4e3d12c791b'));
});

test('a real GET /v2/images/{id}: direct_url and locations parse to the image', (t) => {
  const img = JSON.parse(fixture('image-show.json')) as GlanceImage;
  const loc = parseLocation(img.direct_url!);
  t.deepEqual(loc, { fsid: 'fc255100-13e0-4cc0-a8a4-3b8f7f8ad7f2', pool: 'images', image: img.id, snapshot: 'snap' });
  t.is(img.locations?.[0]?.url, img.direct_url);
  t.is(img.disk_format, 'raw');
  t.is(img.checksum, '5f5ae14e50f9a94b4c74507b460ed908');
  t.is(img.os_hash_algo, 'sha512');
});

test("Glance's error bodies: the message from JSON and from the HTML page; status to errno", (t) => {
  const inUse =
    /^Image 975d866f-a527-4664-b556-b4e3d12c791b could not be deleted because it is in use: The image cannot be deleted because it is in use through the backend store outside of Glance\.$/;
  t.regex(glanceMessage(fixture('delete-409.json'), 'Conflict'), inUse);
  t.regex(glanceMessage(fixture('delete-409.html'), 'Conflict'), /409 Conflict 409 Conflict Image 975d866f.* outside of Glance\.$/);
  t.is(glanceMessage(fixture('show-404.json'), 'Not Found'), 'No image found with ID 00000000-0000-0000-0000-000000000000');
  t.is(glanceMessage('', 'Bad Gateway'), 'Bad Gateway');
  const e = new GlanceError(409, glanceMessage(fixture('delete-409.json'), ''), 'glance.delete', 'x');
  t.is(e.code, 'EBUSY');
  t.is(e.status, 409);
  t.is(new GlanceError(404, 'n', 'glance.show').code, 'ENOENT');
  t.is(new GlanceError(401, 'n', 'glance.show').code, 'EACCES');
  t.is(new GlanceError(500, 'n', 'glance.show').code, 'EIO');
});

test('chunked: exact object-sized pieces from odd-sized input, the tail last', async (t) => {
  const data = Buffer.from(Array.from({ length: 10_000 }, (_, i) => i % 251));
  async function* odd() {
    for (let o = 0; o < data.length; o += 777) yield new Uint8Array(data.subarray(o, Math.min(o + 777, data.length)));
  }
  const out: Buffer[] = [];
  for await (const b of chunked(odd(), 4096)) out.push(b);
  t.deepEqual(
    out.map((b) => b.length),
    [4096, 4096, 1808],
  );
  t.true(Buffer.concat(out).equals(data));
  const direct: Buffer[] = [];
  for await (const b of chunked(data, 3000)) direct.push(b);
  t.deepEqual(
    direct.map((b) => b.length),
    [3000, 3000, 3000, 1000],
  );
  const none: Buffer[] = [];
  for await (const b of chunked([], 10)) none.push(b);
  t.is(none.length, 0);
});

// The client's HTTP behaviour against a loopback server (Glance's side of it is exercised by
// test/cluster/glance.test.ts): the token header, a streamed upload with its Content-Length, and
// downloads whose bytes do not match Content-MD5 or end early.
test('GlanceClient: X-Auth-Token, streamed upload with Content-Length, checksum and length checks on download', async (t) => {
  const { createServer } = await import('node:http');
  const { createHash } = await import('node:crypto');
  const { GlanceClient } = await import('../../src/glance/glance-client.js');
  const body = Buffer.alloc(100_000, 7);
  const md5 = createHash('md5').update(body).digest('hex');
  const seen: Array<{ method: string; url: string; headers: Record<string, unknown>; bytes: number }> = [];
  const server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (b: Buffer) => (bytes += b.length));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, bytes });
      if (req.url === '/v2/images/good/file') {
        res.writeHead(200, { 'content-md5': md5, 'content-length': body.length }).end(body);
      } else if (req.url === '/v2/images/corrupt/file') {
        res.writeHead(200, { 'content-md5': '0'.repeat(32), 'content-length': body.length }).end(body);
      } else if (req.url === '/v2/images/short/file') {
        res.writeHead(200, { 'content-length': body.length * 2 });
        res.write(body);
        res.destroy();
      } else if (req.method === 'PUT') {
        res.writeHead(204).end();
      } else {
        res
          .writeHead(404, { 'content-type': 'application/json' })
          .end(JSON.stringify({ message: 'No image found with ID x<br /><br />\n', code: '404 Not Found' }));
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const g = new GlanceClient(`http://127.0.0.1:${port}/`, { token: 'tok123', timeoutMs: 10_000 });
    async function* pieces() {
      for (let i = 0; i < 10; i++) yield body.subarray(i * 10_000, (i + 1) * 10_000);
    }
    await g.upload('img', pieces(), { size: body.length });
    const put = seen.find((s) => s.method === 'PUT')!;
    t.is(put.headers['x-auth-token'], 'tok123');
    t.is(put.headers['content-length'], String(body.length));
    t.is(put.headers['content-type'], 'application/octet-stream');
    t.is(put.bytes, body.length);

    t.true((await g.downloadBuffer('good')).equals(body));
    const bad = await t.throwsAsync(g.downloadBuffer('corrupt'), { instanceOf: CephError });
    t.is(bad?.code, 'EBADMSG');
    await t.throwsAsync(g.downloadBuffer('short'));
    const missing = await t.throwsAsync(g.showImage('x'), { instanceOf: GlanceError });
    t.is(missing?.status, 404);
    t.is(missing?.glanceMessage, 'No image found with ID x');
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const closedPort = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const down = await t.throwsAsync(new GlanceClient(`http://127.0.0.1:${closedPort}`).showImage('x'), { instanceOf: CephError });
    t.is(down?.code, 'ECONNREFUSED');
  } finally {
    server.close();
  }
});
