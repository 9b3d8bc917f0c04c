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
  const inUse = /^Image 975d866f-a527-4664-b556-b4e3d12c791b could not be deleted because it is in use: The image cannot be deleted because it is in use through the backend store outside of Glance\.$/;
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
  t.deepEqual(out.map((b) => b.length), [4096, 4096, 1808]);
  t.true(Buffer.concat(out).equals(data));
  const direct: Buffer[] = [];
  for await (const b of chunked(data, 3000)) direct.push(b);
  t.deepEqual(direct.map((b) => b.length), [3000, 3000, 3000, 1000]);
  const none: Buffer[] = [];
  for await (const b of chunked([], 10)) none.push(b);
  t.is(none.length, 0);
});
