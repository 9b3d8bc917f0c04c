// The rbd-ts CLI's argument reading, checked against what Debian's rbd 16.2.15 accepts and
// refuses (each table below was taken from runs of the real `rbd`).

import test from 'ava';
import { CliError, formatBytes, formatTable } from '../../src/cli/output.js';
import {
  extractSpec,
  orderForObjectSize,
  parseBytes,
  parseFeatureNames,
  parseIec,
  parseOrder,
  parseSize,
  parseUnsigned,
  resolveImageSpec,
  resolvePoolSpec,
  type ResolveOptions,
} from '../../src/cli/spec.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const GiB = 1024 * MiB;

function cliError(t: import('ava').ExecutionContext, fn: () => unknown, status: number, message?: RegExp): void {
  const e = t.throws(fn);
  t.true(e instanceof CliError, String(e));
  t.is((e as CliError).status, status);
  if (message) t.regex(e!.message, message);
}

test('--size: plain numbers are MiB, IEC units as rbd reads them', (t) => {
  const ok: Array<[string, number]> = [
    ['10', 10 * MiB],
    ['0', 0],
    ['01', MiB],
    ['+5', 5 * MiB],
    ['1B', 1],
    ['1024B', 1024],
    ['1K', KiB],
    ['1KB', KiB], // only the first unit character counts
    ['1Ki', KiB],
    ['1Mi', MiB],
    ['1MX', MiB],
    ['1BB', 1],
    ['1Tb', 1024 * GiB],
    ['3G', 3 * GiB],
    ['1536K', 1536 * KiB],
    ['1T', 1024 * GiB],
    ['4P', 4 * 2 ** 50],
  ];
  for (const [s, n] of ok) t.is(parseSize(s), n, s);
});

test("--size: what rbd refuses exits 1 with boost's message", (t) => {
  for (const s of ['', '1x', '1.5G', '1KiB', '1k', '1b', '-1', ' 1', '1 ', '0x10', '1e3', 'M', '1Bi', '9999999999T', '16E']) {
    cliError(t, () => parseSize(s), 1, /^the argument for option '--size' is invalid$/);
  }
});

test('--size beyond 2^53-1 bytes is EINVAL (rbd: librbd refuses such images too)', (t) => {
  cliError(t, () => parseSize('8E'), 22);
  cliError(t, () => parseSize('9007199254740992B'), 22);
  t.is(parseSize('7P'), 7 * 2 ** 50);
  cliError(t, () => parseSize('8P'), 22);
});

test('IEC values (object size, stripe unit) are bytes without a unit', (t) => {
  t.is(parseIec('4096'), 4096n);
  t.is(parseIec('15E'), 15n << 60n);
  t.is(parseIec('16E'), undefined);
  t.is(parseBytes('64K', 'stripe-unit'), 65536);
  t.is(parseBytes('3000', 'object-size'), 3000);
  cliError(t, () => parseBytes('64KiB', 'object-size'), 1, /--object-size/);
});

test('--object-size gives order round(log2(size)) as rbd computes it', (t) => {
  t.is(orderForObjectSize(4096), 12);
  t.is(orderForObjectSize(3000), 12);
  t.is(orderForObjectSize(3 * KiB), 12);
  t.is(orderForObjectSize(6 * KiB), 13);
  t.is(orderForObjectSize(6 * MiB), 23);
  t.is(orderForObjectSize(33 * MiB), 25);
  t.is(orderForObjectSize(1), 0); // librbd: the default order
  t.true(orderForObjectSize(0) > 25); // librbd: EDOM
});

test('--order takes 12..25; --stripe-count an integer', (t) => {
  t.is(parseOrder('12'), 12);
  t.is(parseOrder('+13'), 13);
  t.is(parseOrder('013'), 13);
  for (const s of ['11', '26', '30', '-1', '', '1x', '12.0', '0x10']) cliError(t, () => parseOrder(s), 1, /^the argument for option '--order' is invalid$/);
  t.is(parseUnsigned('2', 'stripe-count'), 2);
  t.is(parseUnsigned('+3', 'stripe-count'), 3);
  cliError(t, () => parseUnsigned('1x', 'stripe-count'), 1, /^the argument \('1x'\) for option '--stripe-count' is invalid$/);
  cliError(t, () => parseUnsigned('', 'stripe-count'), 1, /^the argument for option '--stripe-count' is invalid$/);
  cliError(t, () => parseUnsigned(' 3', 'stripe-count'), 1);
});

test('--image-feature: names, comma lists, repeatable; numbers and unknown names refused', (t) => {
  t.is(parseFeatureNames(['layering']), 1);
  t.is(parseFeatureNames(['layering', 'exclusive-lock,object-map']), 1 | 4 | 8);
  t.is(parseFeatureNames(['layering,,striping']), 3);
  t.is(parseFeatureNames(['']), 0);
  t.is(parseFeatureNames(['non-primary', 'operations', 'migrating']), 1024 | 256 | 512);
  for (const v of ['1', 'LAYERING', 'layering, exclusive-lock', 'foo', 'dirty-cache']) {
    cliError(t, () => parseFeatureNames([v]), 1, /^the argument for option '--image-feature' is invalid$/);
  }
});

test("specs: rbd's three patterns", (t) => {
  t.deepEqual(extractSpec('img', 'none'), { image: 'img' });
  t.deepEqual(extractSpec('p/img@s', 'none'), { pool: 'p', image: 'img', snap: 's' });
  t.deepEqual(extractSpec('p/ns/img@s', 'full'), { pool: 'p', namespace: 'ns', image: 'img', snap: 's' });
  // relaxed: what rbd info accepts
  t.deepEqual(extractSpec('a/b/c/d', 'none'), { pool: 'a', namespace: 'b', image: 'c/d' });
  t.deepEqual(extractSpec('a1@s1@x', 'none'), { image: 'a1', snap: 's1@x' });
  t.deepEqual(extractSpec('/a1', 'none'), { image: '/a1' });
  t.deepEqual(extractSpec('rbd//a1', 'none'), { pool: 'rbd', image: '/a1' });
  t.deepEqual(extractSpec('rbd/a1/', 'none'), { pool: 'rbd', image: 'a1/' });
  // snap names: no / or @ (snap create)
  t.deepEqual(extractSpec('a1@x/y', 'snap'), { pool: 'a1@x', image: 'y' });
  for (const [spec, v] of [
    ['a1@', 'none'],
    ['a1@x@y', 'snap'],
    ['p/x/y/z', 'full'],
    ['/x', 'full'],
    ['', 'none'],
  ] as const) {
    cliError(t, () => extractSpec(spec, v), 22, new RegExp(`^invalid spec '${spec}'$`));
  }
});

const opts =
  (o: Record<string, string>) =>
  (name: string): string | undefined =>
    o[name];

test("image specs: options, the positional spec, defaults and rbd's messages", (t) => {
  const r = (o: Record<string, string>, pos: string[], ro: ResolveOptions) => resolveImageSpec(opts(o), pos, { index: 0 }, ro);
  const none: ResolveOptions = { snap: 'none', validation: 'none' };
  t.deepEqual(r({}, ['img'], none), { pool: '', namespace: '', image: 'img', snap: '' });
  t.deepEqual(r({ pool: 'p', namespace: 'n' }, ['img'], none), { pool: 'p', namespace: 'n', image: 'img', snap: '' });
  // the spec's pool wins over --pool
  t.deepEqual(r({ pool: 'xx' }, ['rbd/img'], none), { pool: 'rbd', namespace: '', image: 'img', snap: '' });
  // --image: the positional is not read at all
  const cursor = { index: 0 };
  t.is(resolveImageSpec(opts({ image: 'c1' }), ['a1'], cursor, none).image, 'c1');
  t.is(cursor.index, 0);
  t.deepEqual(r({ image: 'a1', snap: 's1' }, [], { snap: 'permitted', validation: 'none' }), { pool: '', namespace: '', image: 'a1', snap: 's1' });
  cliError(t, () => r({}, [], none), 22, /^image name was not specified$/);
  cliError(t, () => r({}, ['a@s'], none), 22, /^snapshot name specified for a command that doesn't use it$/);
  cliError(t, () => r({}, ['a'], { snap: 'required', validation: 'none' }), 22, /^snapshot name was not specified$/);
  cliError(t, () => r({ pool: 'a@b' }, ['x'], { snap: 'none', validation: 'full' }), 22, /^invalid pool name 'a@b'$/);
  t.is(r({ pool: 'a@b' }, ['x'], none).pool, 'a@b'); // only checked for names being created
  cliError(t, () => r({ namespace: 'a/b' }, ['x'], none), 22, /^invalid namespace name 'a\/b'$/);
});

test('destination specs: --dest-* options, "destination" messages, start from the source', (t) => {
  const cursor = { index: 1 };
  const d = resolveImageSpec(opts({}), ['a1', 'b1'], cursor, { dest: true, snap: 'none', validation: 'full', initial: { pool: 'p', namespace: 'n' } });
  t.deepEqual(d, { pool: 'p', namespace: 'n', image: 'b1', snap: '' });
  t.is(cursor.index, 2);
  t.deepEqual(resolveImageSpec(opts({ 'dest-pool': 'rbd', dest: 'zz' }), ['a1'], { index: 1 }, { dest: true, snap: 'none', validation: 'full' }), {
    pool: 'rbd',
    namespace: '',
    image: 'zz',
    snap: '',
  });
  t.is(resolveImageSpec(opts({ 'dest-snap': 's2' }), ['a1@s', 'a1'], { index: 1 }, { dest: true, snap: 'required', validation: 'snap' }).snap, 's2');
  cliError(
    t,
    () => resolveImageSpec(opts({}), ['a1'], { index: 1 }, { dest: true, snap: 'none', validation: 'full' }),
    22,
    /^destination image name was not specified$/,
  );
  cliError(
    t,
    () => resolveImageSpec(opts({}), ['a1', 'z@z'], { index: 1 }, { dest: true, snap: 'none', validation: 'full' }),
    22,
    /^destination snapshot name specified/,
  );
  cliError(
    t,
    () => resolveImageSpec(opts({}), ['a1@s', 's3'], { index: 1 }, { dest: true, snap: 'required', validation: 'snap' }),
    22,
    /^destination snapshot name was not specified$/,
  );
});

test('pool specs for ls: pool[/namespace], --pool wins', (t) => {
  const r = (o: Record<string, string>, pos: string[]) => resolvePoolSpec(opts(o), pos, { index: 0 });
  t.deepEqual(r({}, []), { pool: '', namespace: '' });
  t.deepEqual(r({}, ['p2']), { pool: 'p2', namespace: '' });
  t.deepEqual(r({}, ['rbd/']), { pool: 'rbd', namespace: '' });
  t.deepEqual(r({}, ['rbd/ns']), { pool: 'rbd', namespace: 'ns' });
  t.deepEqual(r({}, ['a/b/c']), { pool: 'a/b', namespace: 'c' });
  t.deepEqual(r({ pool: 'p', namespace: 'n' }, ['q/m']), { pool: 'p', namespace: 'n' });
  cliError(t, () => r({ namespace: 'a@b' }, []), 22, /^invalid namespace 'a@b'$/);
});

test('byte_u_t: sizes as rbd prints them', (t) => {
  const cases: Array<[number, string]> = [
    [1, '1 B'],
    [1023, '1023 B'],
    [1025, '1.0 KiB'],
    [1000 * KiB, '1000 KiB'],
    [MiB - 1, '1024 KiB'],
    [1152 * KiB, '1.1 MiB'],
    [1280 * KiB, '1.2 MiB'], // 1.25: ties to even, as printf does
    [1536000, '1.5 MiB'],
    [3584 * KiB, '3.5 MiB'],
    [10 * MiB, '10 MiB'],
    [10752 * KiB, '10 MiB'], // 10.5 → %.0f
    [102912 * KiB, '100 MiB'],
    [4 * MiB, '4 MiB'],
    [64 * KiB, '64 KiB'],
    [GiB, '1 GiB'],
    [0, '0 B'],
  ];
  for (const [n, s] of cases) t.is(formatBytes(n), s, String(n));
});

test('TextTable: left headers, right-aligned columns, cells padded, two spaces apart', (t) => {
  const out = formatTable(
    [{ header: 'NAME' }, { header: 'SIZE', align: 'right' }, { header: 'PARENT' }, { header: 'FMT', align: 'right' }, { header: 'PROT' }, { header: 'LOCK' }],
    [
      ['a1', '10 MiB', '', '2', '', ''],
      ['st1@s', '1.5 MiB', 'rbd/a1@s1', '2', 'yes', ''],
    ],
  );
  t.is(
    out,
    'NAME   SIZE     PARENT     FMT  PROT  LOCK\n' + //
      'a1      10 MiB               2            \n' +
      'st1@s  1.5 MiB  rbd/a1@s1    2  yes       \n',
  );
});
