import test from 'ava';
import { mkdtemp, rm, writeFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CephError } from '../../src/encoding/errno.js';
import { CEPH_CRYPTO_AES256KRB5 } from '../../src/config/crypto-key.js';
import { CephConf, normalizeKey } from '../../src/config/ceph-conf.js';
import { decodeCryptoKey, encodeCryptoKey, Keyring, parseCryptoKey } from '../../src/config/keyring.js';
import { expandMeta } from '../../src/config/metavars.js';
import {
  formatMonAddr,
  formatMonAddrVec,
  parseMonHost,
  resolveMonAddrs,
  resolveMonHost,
  v2Addrs,
  type HostLookup,
  type MonAddr,
} from '../../src/config/mon-host.js';
import { parseBool, parseNumber, parseSeconds, parseSize } from '../../src/config/option-values.js';
import { clusterFromConfPath, resolveClientConfig, type ResolveDeps } from '../../src/config/client-config.js';
import { parseEntityName } from '../../src/config/entity-name.js';
import { parseModeList } from '../../src/msgr2/auth-handler.js';

const EXAMPLE_KEY = 'AQAAAABfAAAAABAAAAECAwQFBgcICQoLDA0ODw==';
const EXAMPLE_SECRET = Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
const OTHER_SECRET = Buffer.alloc(16, 0xab);
const OTHER_KEY = encodeCryptoKey(OTHER_SECRET, { sec: 1700000000, nsec: 5 });

const ADMIN = { type: 'client', id: 'admin' };

function isErrno(t: { true: (v: boolean, m?: string) => void }, err: unknown, errno: number, re?: RegExp): void {
  t.true(err instanceof CephError, `expected CephError, got ${String(err)}`);
  const e = err as CephError;
  t.true(e.errno === errno, `expected errno ${errno}, got ${e.errno}: ${e.message}`);
  if (re) t.true(re.test(e.message), `message '${e.message}' does not match ${re}`);
}

// ---------------------------------------------------------------- CryptoKey

test('decodeCryptoKey: the example key', (t) => {
  t.deepEqual(decodeCryptoKey(EXAMPLE_KEY), EXAMPLE_SECRET);
  const info = parseCryptoKey(EXAMPLE_KEY);
  t.is(info.type, 1);
  t.deepEqual(info.created, { sec: 0x5f000000, nsec: 0 });
  t.deepEqual(info.secret, EXAMPLE_SECRET);
});

test('decodeCryptoKey: surrounding whitespace is ignored', (t) => {
  t.deepEqual(decodeCryptoKey(`  ${EXAMPLE_KEY}\n`), EXAMPLE_SECRET);
});

test('encodeCryptoKey round-trips', (t) => {
  t.is(encodeCryptoKey(EXAMPLE_SECRET, { sec: 0x5f000000, nsec: 0 }), EXAMPLE_KEY);
  const info = parseCryptoKey(OTHER_KEY);
  t.deepEqual(info.secret, OTHER_SECRET);
  t.deepEqual(info.created, { sec: 1700000000, nsec: 5 });
  t.throws(() => encodeCryptoKey(Buffer.alloc(15)), { instanceOf: CephError });
});

function rawKey(mutate: (b: Buffer) => Buffer): string {
  return mutate(Buffer.from(EXAMPLE_KEY, 'base64')).toString('base64');
}

test('aes256k keys (type 2, 32-byte secret) as a Tentacle cluster writes them', (t) => {
  // client.admin of a throwaway Ceph 20.2.4 cluster (ceph-authtool --gen-key)
  const b64 = 'AgDC8hZrUEB7FSAAWiNiL7p9mnKJcJlqvcXk65Rf6SbpCanY4K2JGTMLCSU=';
  const k = parseCryptoKey(b64);
  t.is(k.type, CEPH_CRYPTO_AES256KRB5);
  t.is(k.secret.length, 32);
  t.is(k.created.sec, 0x6b16f2c2);
  t.is(encodeCryptoKey(k.secret, k.created), b64);
  t.is(encodeCryptoKey(Buffer.alloc(16, 1)).slice(0, 2), 'AQ');
  const kr = Keyring.parse(`[client.admin]\n\tkey = ${b64}\n`);
  t.is(kr.keyFor('client.admin')?.type, CEPH_CRYPTO_AES256KRB5);
  // one byte short, one too many
  const raw = Buffer.from(b64, 'base64');
  t.throws(() => parseCryptoKey(raw.subarray(0, 43).toString('base64')), { message: /truncated/ });
  t.throws(() => parseCryptoKey(Buffer.concat([raw, Buffer.of(0)]).toString('base64')), { message: /expected 44 bytes, got 45/ });
});

test('decodeCryptoKey rejects malformed keys with EINVAL', (t) => {
  const cases: Array<[string, string, RegExp]> = [
    ['empty', '', /empty/],
    ['bad base64 chars', 'AQAA!!BfAAAAABAAAAECAwQFBgcICQoLDA0ODw==', /base64/],
    ['missing padding', 'AQAAAABfAAAAABAAAAECAwQFBgcICQoLDA0ODw', /base64/],
    ['base64url alphabet', 'AQAAAABfAAAAABAAAAECAwQFBgcICQoLDA0OD_==', /base64/],
    ['inner whitespace', 'AQAAAABfAAAA ABAAAAECAwQFBgcICQoLDA0ODw==', /base64/],
    ['type 0 (none)', rawKey((b) => (b.writeUInt16LE(0, 0), b)), /type 0/],
    ['type 2 (aes256k) with a 16-byte secret', rawKey((b) => (b.writeUInt16LE(2, 0), b)), /aes256k secret must be 32 to 64 bytes, got 16/],
    ['type 3', rawKey((b) => (b.writeUInt16LE(3, 0), b)), /unsupported key type 3/],
    ['secret length 32', rawKey((b) => (b.writeUInt16LE(32, 10), b)), /16 bytes, got 32/],
    ['secret length 8', rawKey((b) => (b.writeUInt16LE(8, 10), b)), /16 bytes, got 8/],
    ['truncated secret (27 bytes)', rawKey((b) => b.subarray(0, 27)), /truncated/],
    ['header only', rawKey((b) => b.subarray(0, 12)), /truncated/],
    ['too short for header', rawKey((b) => b.subarray(0, 6)), /truncated/],
    ['trailing bytes (29 bytes)', rawKey((b) => Buffer.concat([b, Buffer.from([0])])), /expected 28 bytes, got 29/],
  ];
  for (const [label, key, re] of cases) {
    const err = t.throws(() => decodeCryptoKey(key), undefined, label);
    isErrno(t, err, 22, re);
  }
});

// ---------------------------------------------------------------- entity names

test('parseEntityName', (t) => {
  t.deepEqual(parseEntityName('client.admin'), { type: 'client', id: 'admin' });
  t.deepEqual(parseEntityName('client.rbd-mirror.site-a'), { type: 'client', id: 'rbd-mirror.site-a' });
  t.deepEqual(parseEntityName('osd.0'), { type: 'osd', id: '0' });
  for (const bad of ['admin', 'client.', '.admin', 'bogus.x', 'client.a b', '']) {
    isErrno(
      t,
      t.throws(() => parseEntityName(bad)),
      22,
    );
  }
});

// ---------------------------------------------------------------- ceph.conf

const SAMPLE = `
# a comment
; another comment
[global]
    fsid = 8d6a3e5c-0d5b-4d5e-9c3a-1b2c3d4e5f60
    mon host = 10.0.0.1, 10.0.0.2   # trailing comment
    log_file = /var/log/ceph/$cluster-$name.log
    rados_osd_op_timeout = 5

[client]
    rados osd op timeout = 10
    keyring = /etc/ceph/$cluster.$name.keyring

[client.admin]
    rados-osd-op-timeout = 20

[osd.0]
    osd_data = /var/lib/ceph/osd/$cluster-$id
`;

test('CephConf: sections and raw section contents', (t) => {
  const c = CephConf.parse(SAMPLE, 'sample.conf');
  t.deepEqual(c.sections(), ['global', 'client', 'client.admin', 'osd.0']);
  t.is(c.section('global')?.get('mon_host'), '10.0.0.1, 10.0.0.2');
  t.is(c.section('nope'), undefined);
  t.is(c.path, 'sample.conf');
});

test('CephConf: lookup precedence [type.id] > [type] > [global]', (t) => {
  const c = CephConf.parse(SAMPLE);
  t.is(c.get('rados_osd_op_timeout', ADMIN), '20');
  t.is(c.get('rados_osd_op_timeout', { type: 'client', id: 'foo' }), '10');
  t.is(c.get('rados_osd_op_timeout', { type: 'osd', id: '0' }), '5');
  t.is(c.get('rados_osd_op_timeout', { type: 'mon', id: 'a' }), '5');
  t.is(c.get('fsid', ADMIN), '8d6a3e5c-0d5b-4d5e-9c3a-1b2c3d4e5f60');
  t.is(c.get('no_such_option', ADMIN), undefined);
});

test('CephConf: spaces, dashes and underscores in keys are equivalent', (t) => {
  const c = CephConf.parse(SAMPLE);
  for (const k of ['mon host', 'mon_host', 'mon-host', '  mon   host ']) {
    t.is(c.get(k, ADMIN), '10.0.0.1, 10.0.0.2', k);
  }
  t.is(normalizeKey(' a  b-c_d '), 'a_b_c_d');
  const c2 = CephConf.parse('[global]\nmon   -  host = x\n');
  t.is(c2.get('mon_host', ADMIN), undefined); // "mon_-_host" normalizes to mon___host
  t.is(c2.get('mon - host', ADMIN), 'x');
});

test('CephConf: metavariables are expanded', (t) => {
  const c = CephConf.parse(SAMPLE);
  t.is(c.get('log_file', ADMIN), '/var/log/ceph/ceph-client.admin.log');
  t.is(c.get('log_file', ADMIN, 'backup'), '/var/log/ceph/backup-client.admin.log');
  t.is(c.get('keyring', { type: 'client', id: 'x' }), '/etc/ceph/ceph.client.x.keyring');
  t.is(c.get('osd_data', { type: 'osd', id: '0' }), '/var/lib/ceph/osd/ceph-0');
  const m = CephConf.parse('[global]\na = $type/$id/$num/${name}/$host/${cluster}x/$home/$pid\n');
  t.is(m.get('a', { type: 'client', id: 'bob' }, 'c1', { host: 'h1', home: '/home/bob', pid: 42 }), 'client/bob/bob/client.bob/h1/c1x//home/bob/42');
});

test('CephConf: $host defaults to the short hostname', (t) => {
  const c = CephConf.parse('[global]\nh = $host\n');
  const short = os.hostname().split('.')[0];
  t.is(c.get('h', ADMIN), short);
});

test('CephConf: $option references, unknown variables and loops', (t) => {
  const c = CephConf.parse(`
[global]
base = /srv/$cluster
data = \${base}/data
run_dir = $data/run
unknown = $nope and \${nope} and $ and $Upper and 100$
loop_a = x$loop_b
loop_b = y$loop_a
self = z$self
[client]
base = /client-base
`);
  t.is(c.get('data', { type: 'osd', id: '1' }), '/srv/ceph/data');
  t.is(c.get('run_dir', { type: 'osd', id: '1' }), '/srv/ceph/data/run');
  // the reference resolves in the entity's own sections
  t.is(c.get('run_dir', ADMIN), '/client-base/data/run');
  t.is(c.get('unknown', ADMIN), '$nope and ${nope} and $ and $Upper and 100$');
  t.is(c.get('loop_a', ADMIN), 'xy$loop_a');
  t.is(c.get('self', ADMIN), 'z$self');
});

test('expandMeta without lookup leaves option references alone', (t) => {
  t.is(expandMeta('/etc/ceph/$cluster.$name.keyring,$foo', { cluster: 'ceph', type: 'client', id: 'admin' }), '/etc/ceph/ceph.client.admin.keyring,$foo');
});

test('expandMeta: references that fan out are refused (EINVAL), not expanded exponentially', (t) => {
  // each level names the next four times: 12 levels (658 bytes) took 30 s to expand to 33 M
  // characters, a few more exhausted the heap
  const level = (i: number) => `va${'b'.repeat(i)}`;
  let text = '[global]\n';
  for (let i = 0; i < 12; i++) text += `${level(i)} = ${`$${level(i + 1)} `.repeat(4)}\n`;
  text += `${level(12)} = x\n`;
  const c = CephConf.parse(text);
  const t0 = Date.now();
  isErrno(
    t,
    t.throws(() => c.get('va', ADMIN)),
    22,
    /expanding va: more than 4096 option references/,
  );
  t.true(Date.now() - t0 < 1000);
  // a modest fan-out still expands: 4^3 x's
  t.is(c.get(level(9), ADMIN)!.match(/x/g)?.length, 64);
  // and so does a long value, up to 64 KiB
  const long = CephConf.parse(`[global]\nbig = ${'y'.repeat(30000)}\ntwo = $big$big\nfour = $two$two\n`);
  t.is(long.get('two', ADMIN)!.length, 60000);
  isErrno(
    t,
    t.throws(() => long.get('four', ADMIN)),
    22,
    /longer than 65536 characters/,
  );
});

test('parseModeList: a bad ms_mode value is EINVAL, not a TypeError', (t) => {
  t.deepEqual(parseModeList('secure crc'), [2, 1]);
  t.deepEqual(parseModeList('crc,secure;crc'), [1, 2]);
  // test/unit/fuzz.test.ts (config.option-mode-list, seed 1, case 0): "se" + 01 00 00 00
  isErrno(
    t,
    t.throws(() => parseModeList(Buffer.from('736501000000', 'hex').toString())),
    22,
    /unknown connection mode/,
  );
  isErrno(
    t,
    t.throws(() => parseModeList(' ,; ')),
    22,
    /empty connection mode list/,
  );
});

test('CephConf: comments, full-line and trailing, # and ;', (t) => {
  const c = CephConf.parse(`
# comment
  ; indented comment
[global] # comment after heading
a = 1 # trailing
b = 2; trailing
c = 3;4
d =    # empty value with comment
e=no-spaces
`);
  const g = c.section('global')!;
  t.is(g.get('a'), '1');
  t.is(g.get('b'), '2');
  t.is(g.get('c'), '3');
  t.is(g.get('d'), '');
  t.is(g.get('e'), 'no-spaces');
});

test('CephConf: quoted values', (t) => {
  const c = CephConf.parse(`
[global]
a = "has # and ; inside"
b = 'single quoted'  # comment after
c = "  keeps spaces  "
d = ""
e = "escaped \\" quote"
`);
  const g = c.section('global')!;
  t.is(g.get('a'), 'has # and ; inside');
  t.is(g.get('b'), 'single quoted');
  t.is(g.get('c'), '  keeps spaces  ');
  t.is(g.get('d'), '');
  t.is(g.get('e'), 'escaped " quote');
});

test('CephConf: backslash escapes and line continuations', (t) => {
  const c = CephConf.parse(
    '[global]\n' +
      'a = one \\# two \\; three\n' +
      'b = first \\\n  second\n' +
      'c = x\\\\\n' +
      'd = y\n' +
      'mon_host = 10.0.0.1,\\\r\n    10.0.0.2\r\n' +
      'e = tail\\',
  );
  const g = c.section('global')!;
  t.is(g.get('a'), 'one # two ; three');
  t.is(g.get('b'), 'first   second');
  t.is(g.get('c'), 'x\\'); // escaped backslash, then a real newline
  t.is(g.get('d'), 'y');
  t.is(g.get('mon_host'), '10.0.0.1,    10.0.0.2');
  t.is(g.get('e'), 'tail\\');
});

test('CephConf: CRLF line endings, BOM, tabs', (t) => {
  const c = CephConf.parse('\ufeff[global]\r\n\tkey\t=\tvalue\t\r\n[client]\r\nx = y\r\n');
  t.is(c.section('global')?.get('key'), 'value');
  t.is(c.section('client')?.get('x'), 'y');
});

test('CephConf: duplicate keys (last wins) and duplicate sections (merged)', (t) => {
  const c = CephConf.parse(`
[global]
a = 1
a = 2
mon host = old
[client]
x = 1
[global]
mon-host = new
b = 3
`);
  t.deepEqual(c.sections(), ['global', 'client']);
  const g = c.section('global')!;
  t.is(g.get('a'), '2');
  t.is(g.get('b'), '3');
  t.is(g.get('mon_host'), 'new');
});

test('CephConf: keys before any section go to [global]; section names are trimmed', (t) => {
  const c = CephConf.parse('mon_host = 1.2.3.4\n[ client.admin ]\nk = v\n');
  t.is(c.get('mon_host', ADMIN), '1.2.3.4');
  t.is(c.get('k', ADMIN), 'v');
  t.deepEqual(c.sections(), ['global', 'client.admin']);
});

test('CephConf: empty input and comment-only input', (t) => {
  t.deepEqual(CephConf.parse('').sections(), []);
  t.deepEqual(CephConf.parse('# nothing\n\n   \n;x\n').sections(), []);
});

test('CephConf: syntax errors are EINVAL naming file and line', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['[global]\nthis line has no equals\n', /my\.conf:2: expected '=' after key 'this line has no equals'/],
    ['[global]\n\n[client\n', /my\.conf:3: expected '\]'/],
    ['[]\n', /my\.conf:1: empty section name/],
    ['[  ]\n', /empty section name/],
    ['[global] junk\n', /unexpected 'junk' after section name/],
    ['[global]\na = "unterminated\n', /my\.conf:2: unterminated quoted value for 'a'/],
    ['[global]\na = "x" y\n', /unexpected 'y' after quoted value/],
    ['[global]\n= value\n', /missing key before '='/],
    ['[global]\nke[y = v\n', /unexpected '\[' in key/],
    ['[global]\nkey # = v\n', /expected '='/],
    ['[global]\na = 1\nb = 2\n  \\\n  bad line\n', /my\.conf:4: expected '='/],
  ];
  for (const [text, re] of cases) {
    const err = t.throws(() => CephConf.parse(text, 'my.conf'), undefined, text);
    isErrno(t, err, 22, re);
  }
  // without a path the message names '<string>'
  isErrno(
    t,
    t.throws(() => CephConf.parse('oops\n')),
    22,
    /<string>:1:/,
  );
});

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'rbd-ts-config-'));
  try {
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('CephConf.load: file, missing file, invalid UTF-8', async (t) => {
  await withTempDir(async (dir) => {
    const p = path.join(dir, 'ceph.conf');
    await writeFile(p, SAMPLE);
    const c = await CephConf.load(p);
    t.is(c.path, p);
    t.is(c.get('rados_osd_op_timeout', ADMIN), '20');

    const missing = await t.throwsAsync(CephConf.load(path.join(dir, 'nope.conf')));
    isErrno(t, missing, 2, /nope\.conf/);

    const bad = path.join(dir, 'bad.conf');
    await writeFile(bad, Buffer.from([0x5b, 0x67, 0x5d, 0x0a, 0x61, 0x3d, 0xff, 0xfe, 0x0a]));
    isErrno(t, await t.throwsAsync(CephConf.load(bad)), 22, /UTF-8/);

    const syntax = path.join(dir, 'syntax.conf');
    await writeFile(syntax, '[global]\nnope\n');
    isErrno(t, await t.throwsAsync(CephConf.load(syntax)), 22, /syntax\.conf:2:/);

    isErrno(t, await t.throwsAsync(CephConf.load(dir)), 21);
  });
});

// ---------------------------------------------------------------- keyring

const KEYRING = `[client.admin]
\tkey = ${EXAMPLE_KEY}
\tcaps mds = "allow *"
\tcaps mon = "allow *"
\tcaps osd = "allow *"
\tcaps mgr = "allow *"
[client.foo]
\tkey = ${OTHER_KEY}
\tauid = 0
\tcaps osd = "profile rbd pool=rbd"
[client.capsonly]
\tcaps mon = "allow r"
`;

test('Keyring.parse: entries, secrets and caps', (t) => {
  const kr = Keyring.parse(KEYRING, 'test.keyring');
  t.deepEqual(kr.names(), ['client.admin', 'client.foo', 'client.capsonly']);
  t.deepEqual(kr.keyFor('client.admin')?.secret, EXAMPLE_SECRET);
  t.deepEqual(kr.keyFor('client.foo')?.secret, OTHER_SECRET);
  t.is(kr.keyFor('client.capsonly')?.secret, undefined);
  t.is(kr.keyFor('client.nobody')?.secret, undefined);
  t.deepEqual(kr.capsFor('client.admin'), { mds: 'allow *', mon: 'allow *', osd: 'allow *', mgr: 'allow *' });
  t.deepEqual(kr.capsFor('client.foo'), { osd: 'profile rbd pool=rbd' });
  t.is(kr.capsFor('client.nobody'), undefined);
  t.false(kr.isBareKey);
  // returned secrets are copies
  kr.keyFor('client.admin')!.secret.fill(0);
  t.deepEqual(kr.keyFor('client.admin')?.secret, EXAMPLE_SECRET);
});

test('Keyring.parse: quoted key, [global] ignored, comments', (t) => {
  const kr = Keyring.parse(`# generated\n[global]\nfoo = bar\n[client.admin]\nkey = "${EXAMPLE_KEY}" ; c\n`);
  t.deepEqual(kr.names(), ['client.admin']);
  t.deepEqual(kr.keyFor('client.admin')?.secret, EXAMPLE_SECRET);
});

test('Keyring.parse: a bare base64 key serves any name', (t) => {
  const kr = Keyring.parse(`${EXAMPLE_KEY}\n`, 'admin.secret');
  t.true(kr.isBareKey);
  t.deepEqual(kr.names(), []);
  t.deepEqual(kr.keyFor('client.admin')?.secret, EXAMPLE_SECRET);
  t.deepEqual(kr.keyFor('client.other')?.secret, EXAMPLE_SECRET);
});

test('Keyring.parse: errors are EINVAL', (t) => {
  const cases: Array<[string, RegExp]> = [
    ['', /empty keyring/],
    ['   \n', /empty keyring/],
    ['[client.admin]\nkey = AQAAnotakey\n', /key of \[client\.admin\]/],
    [`[client.admin]\nkey = ${rawKey((b) => (b.writeUInt16LE(0, 0), b))}\n`, /unsupported key type 0/],
    [`[admin]\nkey = ${EXAMPLE_KEY}\n`, /bad entity name \[admin\]/],
    [`[client.admin]\nkey ${EXAMPLE_KEY}\n`, /unknown keyring field 'key AQAA/],
    [`[client.admin]\nkey: ${EXAMPLE_KEY}\n`, /unknown keyring field/],
    [`[client.admin]\nkey = ${EXAMPLE_KEY}\ncaps = "allow *"\n`, /unknown keyring field 'caps'/],
    [`[client.admin]\ncaps  = x\n`, /unknown keyring field 'caps'/],
    ['AQAAAABfAAAAABAAAAECAwQFBgcICQoLDA0O\n', /expected 28 bytes|truncated/],
  ];
  for (const [text, re] of cases) {
    isErrno(
      t,
      t.throws(() => Keyring.parse(text, 'k.keyring'), undefined, text),
      22,
      re,
    );
  }
});

function encodeBinaryKeyring(entries: Array<{ type: number; id: string; secret: Buffer; caps: Record<string, string>; v?: number }>): Buffer {
  const parts: Buffer[] = [];
  const u8 = (n: number) => parts.push(Buffer.from([n]));
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(n);
    parts.push(b);
  };
  const str = (s: string) => {
    const b = Buffer.from(s);
    u32(b.length);
    parts.push(b);
  };
  u8(1);
  u32(entries.length);
  for (const e of entries) {
    u32(e.type);
    str(e.id);
    const v = e.v ?? 2;
    u8(v);
    if (v >= 2) parts.push(Buffer.alloc(8, 0xff));
    parts.push(Buffer.from(encodeCryptoKey(e.secret, { sec: 1, nsec: 2 }), 'base64'));
    u32(Object.keys(e.caps).length);
    for (const [svc, cap] of Object.entries(e.caps)) {
      str(svc);
      const inner = Buffer.from(cap);
      u32(inner.length + 4);
      u32(inner.length);
      parts.push(inner);
    }
  }
  return Buffer.concat(parts);
}

test('Keyring.fromBuffer: binary keyring.bin', (t) => {
  const bin = encodeBinaryKeyring([
    { type: 8, id: 'admin', secret: EXAMPLE_SECRET, caps: { mon: 'allow *', osd: 'allow *' } },
    { type: 4, id: '3', secret: OTHER_SECRET, caps: {}, v: 1 },
  ]);
  const kr = Keyring.fromBuffer(bin, 'keyring.bin');
  t.deepEqual(kr.names(), ['client.admin', 'osd.3']);
  t.deepEqual(kr.keyFor('client.admin')?.secret, EXAMPLE_SECRET);
  t.deepEqual(kr.keyFor('osd.3')?.secret, OTHER_SECRET);
  t.deepEqual(kr.capsFor('client.admin'), { mon: 'allow *', osd: 'allow *' });
  // truncated / trailing garbage / unknown type
  isErrno(
    t,
    t.throws(() => Keyring.fromBuffer(bin.subarray(0, bin.length - 3))),
    22,
    /truncated/,
  );
  isErrno(
    t,
    t.throws(() => Keyring.fromBuffer(Buffer.concat([bin, Buffer.from([0])]))),
    22,
    /trailing/,
  );
  const badType = encodeBinaryKeyring([{ type: 0x40, id: 'x', secret: EXAMPLE_SECRET, caps: {} }]);
  isErrno(
    t,
    t.throws(() => Keyring.fromBuffer(badType)),
    22,
    /unknown entity type 64/,
  );
  // text still goes through the text parser
  t.deepEqual(Keyring.fromBuffer(Buffer.from(KEYRING)).keyFor('client.foo')?.secret, OTHER_SECRET);
  isErrno(
    t,
    t.throws(() => Keyring.fromBuffer(Buffer.from([0x5b, 0xff, 0xfe]))),
    22,
    /UTF-8/,
  );
});

test('Keyring.load: file and missing file', async (t) => {
  await withTempDir(async (dir) => {
    const p = path.join(dir, 'ceph.client.admin.keyring');
    await writeFile(p, KEYRING);
    const kr = await Keyring.load(p);
    t.is(kr.path, p);
    t.deepEqual(kr.keyFor('client.admin')?.secret, EXAMPLE_SECRET);
    isErrno(t, await t.throwsAsync(Keyring.load(path.join(dir, 'missing'))), 2, /missing/);
  });
});

// ---------------------------------------------------------------- mon_host

const v2 = (host: string, port = 3300, family: 0 | 4 | 6 = 4): MonAddr => ({ type: 'v2', host, port, family });
const v1 = (host: string, port = 6789, family: 0 | 4 | 6 = 4): MonAddr => ({ type: 'v1', host, port, family });

test('parseMonHost: explicit v2/v1 addresses', (t) => {
  t.deepEqual(parseMonHost('v2:127.0.0.1:3300'), [[v2('127.0.0.1')]]);
  t.deepEqual(parseMonHost('v1:127.0.0.1:6789'), [[v1('127.0.0.1')]]);
  t.deepEqual(parseMonHost('v2:127.0.0.1'), [[v2('127.0.0.1')]]);
  t.deepEqual(parseMonHost('v1:127.0.0.1'), [[v1('127.0.0.1')]]);
  t.deepEqual(parseMonHost('v2:127.0.0.1:40000'), [[v2('127.0.0.1', 40000)]]);
});

test('parseMonHost: address vectors', (t) => {
  t.deepEqual(parseMonHost('[v2:127.0.0.1:3300,v1:127.0.0.1:6789]'), [[v2('127.0.0.1'), v1('127.0.0.1')]]);
  t.deepEqual(parseMonHost('[v2:10.0.0.1:3300,v1:10.0.0.1:6789],[v2:10.0.0.2:3300,v1:10.0.0.2:6789]'), [
    [v2('10.0.0.1'), v1('10.0.0.1')],
    [v2('10.0.0.2'), v1('10.0.0.2')],
  ]);
  t.deepEqual(parseMonHost('[v1:10.0.0.1:6789]'), [[v1('10.0.0.1')]]);
  t.deepEqual(parseMonHost('[v2:10.0.0.1:3300/0,v1:10.0.0.1:6789/0]'), [[v2('10.0.0.1'), v1('10.0.0.1')]]);
});

test('parseMonHost: ambiguous addresses follow the port', (t) => {
  t.deepEqual(parseMonHost('127.0.0.1'), [[v2('127.0.0.1'), v1('127.0.0.1')]]);
  t.deepEqual(parseMonHost('127.0.0.1:3300'), [[v2('127.0.0.1')]]);
  t.deepEqual(parseMonHost('127.0.0.1:6789'), [[v1('127.0.0.1')]]);
  t.deepEqual(parseMonHost('127.0.0.1:6789/0'), [[v1('127.0.0.1')]]);
  t.deepEqual(parseMonHost('127.0.0.1:5000'), [[v2('127.0.0.1', 5000), v1('127.0.0.1', 5000)]]);
  t.deepEqual(parseMonHost('any:127.0.0.1:3300'), [[v2('127.0.0.1')]]);
});

test('parseMonHost: IPv6', (t) => {
  t.deepEqual(parseMonHost('[::1]:3300'), [[v2('::1', 3300, 6)]]);
  t.deepEqual(parseMonHost('v2:[::1]:3300'), [[v2('::1', 3300, 6)]]);
  t.deepEqual(parseMonHost('[::1]:6789'), [[v1('::1', 6789, 6)]]);
  t.deepEqual(parseMonHost('[::1]'), [[v2('::1', 3300, 6), v1('::1', 6789, 6)]]);
  t.deepEqual(parseMonHost('::1'), [[v2('::1', 3300, 6), v1('::1', 6789, 6)]]);
  t.deepEqual(parseMonHost('v2:[2001:db8::10]'), [[v2('2001:db8::10', 3300, 6)]]);
  t.deepEqual(parseMonHost('[v2:[2001:db8::1]:3300,v1:[2001:db8::1]:6789]'), [[v2('2001:db8::1', 3300, 6), v1('2001:db8::1', 6789, 6)]]);
});

test('parseMonHost: hostnames stay unresolved', (t) => {
  t.deepEqual(parseMonHost('mon1.example.com'), [[v2('mon1.example.com', 3300, 0), v1('mon1.example.com', 6789, 0)]]);
  t.deepEqual(parseMonHost('mon1:3300'), [[v2('mon1', 3300, 0)]]);
  t.deepEqual(parseMonHost('v2:ceph-mon-a.local:3300'), [[v2('ceph-mon-a.local', 3300, 0)]]);
  t.deepEqual(parseMonHost('localhost'), [[v2('localhost', 3300, 0), v1('localhost', 6789, 0)]]);
});

test('parseMonHost: separators and duplicates', (t) => {
  const expected = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'].map((h) => [v2(h)]);
  t.deepEqual(parseMonHost('10.0.0.1:3300,10.0.0.2:3300;10.0.0.3:3300 10.0.0.4:3300\t10.0.0.5:3300'), expected);
  t.deepEqual(parseMonHost('  10.0.0.1:3300, 10.0.0.2:3300 ; 10.0.0.3:3300,,10.0.0.4:3300, 10.0.0.5:3300,  '), expected);
  t.deepEqual(parseMonHost('10.0.0.1:3300,10.0.0.1:3300,v2:10.0.0.1'), [[v2('10.0.0.1')]]);
  t.deepEqual(parseMonHost('[v2:10.0.0.1:3300,v1:10.0.0.1:6789] [v2:10.0.0.2:3300,v1:10.0.0.2:6789]').length, 2);
});

test('parseMonHost rejects garbage with EINVAL', (t) => {
  const bad = [
    '',
    '   ',
    ' , ; ',
    'v3:1.2.3.4',
    '1.2.3.4:99999',
    '1.2.3.4:abc',
    '1.2.3.4:',
    '1.2.3.4:-1',
    '999.1.1.1',
    '1.2.3',
    '01.2.3.4',
    '[v2:1.2.3.4:3300',
    'v2:1.2.3.4:3300]',
    '[v2:1.2.3.4:3300,]',
    '[v2:1.2.3.4:3300]x',
    '[::1',
    '[zz]:3300',
    '[::1]x',
    'foo!bar',
    'http://mon1',
    'mon_1..example',
    '-mon',
    '1.2.3.4/abc',
    ':3300',
    'v2:',
    '[]',
  ];
  for (const s of bad) {
    const err = t.throws(() => parseMonHost(s), undefined, `'${s}' should be rejected`);
    isErrno(t, err, 22, /invalid mon_host/);
  }
});

test('v2Addrs and formatting', (t) => {
  const vecs = parseMonHost('[v2:10.0.0.1:3300,v1:10.0.0.1:6789],10.0.0.2:6789,[::1]:3300');
  t.deepEqual(v2Addrs(vecs), [v2('10.0.0.1'), v2('::1', 3300, 6)]);
  t.is(formatMonAddr(v2('::1', 3300, 6)), 'v2:[::1]:3300');
  t.is(formatMonAddrVec(vecs[0]!), '[v2:10.0.0.1:3300,v1:10.0.0.1:6789]');
});

const fakeLookup =
  (table: Record<string, Array<[string, 4 | 6]>>): HostLookup =>
  async (host) => {
    const r = table[host];
    if (!r) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return r.map(([address, family]) => ({ address, family }));
  };

test('resolveMonAddrs: hostnames become one monitor per address', async (t) => {
  const lookup = fakeLookup({
    mon1: [['10.0.0.1', 4]],
    multi: [
      ['10.0.0.2', 4],
      ['fd00::2', 6],
    ],
  });
  const vecs = await resolveMonAddrs(parseMonHost('mon1,multi:3300,10.0.0.9:3300,mon1'), { lookup });
  t.deepEqual(vecs, [[v2('10.0.0.1'), v1('10.0.0.1')], [v2('10.0.0.2')], [v2('fd00::2', 3300, 6)], [v2('10.0.0.9')]]);
});

test('resolveMonAddrs: unresolvable hosts are skipped; ENOENT when none resolve', async (t) => {
  const lookup = fakeLookup({ mon1: [['10.0.0.1', 4]] });
  t.deepEqual(await resolveMonAddrs(parseMonHost('nosuch,mon1:3300'), { lookup }), [[v2('10.0.0.1')]]);
  isErrno(t, await t.throwsAsync(resolveMonAddrs(parseMonHost('nosuch,other'), { lookup })), 2, /nosuch: ENOTFOUND/);
});

test('resolveMonHost returns the v2 addresses', async (t) => {
  const lookup = fakeLookup({ mon1: [['10.0.0.1', 4]] });
  t.deepEqual(await resolveMonHost('mon1, [v2:10.0.0.2:3300,v1:10.0.0.2:6789], 10.0.0.3:6789', { lookup }), [v2('10.0.0.1'), v2('10.0.0.2')]);
  isErrno(t, await t.throwsAsync(resolveMonHost('!!')), 22);
});

// ---------------------------------------------------------------- option values

test('option value parsers', (t) => {
  t.is(parseNumber('42'), 42);
  t.is(parseNumber(' 2.5 '), 2.5);
  t.is(parseNumber('0x10'), 16);
  t.is(parseNumber('-3'), -3);
  t.is(parseNumber('1e3'), 1000);
  isErrno(
    t,
    t.throws(() => parseNumber('12abc', 'x')),
    22,
    /option x/,
  );
  isErrno(
    t,
    t.throws(() => parseNumber('')),
    22,
  );

  t.true(parseBool('true'));
  t.true(parseBool('Yes'));
  t.true(parseBool('1'));
  t.false(parseBool('off'));
  t.false(parseBool('0'));
  isErrno(
    t,
    t.throws(() => parseBool('maybe')),
    22,
  );

  t.is(parseSeconds('30'), 30);
  t.is(parseSeconds('2.5'), 2.5);
  t.is(parseSeconds('30s'), 30);
  t.is(parseSeconds('5m'), 300);
  t.is(parseSeconds('5 min'), 300);
  t.is(parseSeconds('1h30m'), 5400);
  t.is(parseSeconds('2 days'), 172800);
  t.is(parseSeconds('500ms'), 0.5);
  isErrno(
    t,
    t.throws(() => parseSeconds('5 fortnights')),
    22,
    /fortnights/,
  );
  isErrno(
    t,
    t.throws(() => parseSeconds('abc')),
    22,
  );
  isErrno(
    t,
    t.throws(() => parseSeconds('')),
    22,
  );

  t.is(parseSize('4096'), 4096);
  t.is(parseSize('4K'), 4096);
  t.is(parseSize('4Ki'), 4096);
  t.is(parseSize('4KiB'), 4096);
  t.is(parseSize('1G'), 2 ** 30);
  t.is(parseSize('1.5M'), 1.5 * 2 ** 20);
  t.is(parseSize('10B'), 10);
  isErrno(
    t,
    t.throws(() => parseSize('4X')),
    22,
  );
  isErrno(
    t,
    t.throws(() => parseSize('-1')),
    22,
  );
});

// ---------------------------------------------------------------- resolveClientConfig

interface Fixture {
  dir: string;
  deps: ResolveDeps;
}

async function withFixture(fn: (f: Fixture) => Promise<void>): Promise<void> {
  await withTempDir(async (dir) => {
    await mkdir(path.join(dir, 'etc'));
    const deps: ResolveDeps = {
      // never look at the real /etc/ceph
      defaultConfSearch: `${dir}/etc/$cluster.conf`,
      defaultKeyringSearch: `${dir}/etc/$cluster.$name.keyring,${dir}/etc/$cluster.keyring`,
      host: 'testhost',
      lookup: fakeLookup({ 'mon-a.example': [['10.1.0.1', 4]] }),
    };
    await fn({ dir, deps });
  });
}

test('resolveClientConfig: conf with mon_host and keyring', async (t) => {
  await withFixture(async ({ dir, deps }) => {
    const confPath = path.join(dir, 'ceph.conf');
    const krPath = path.join(dir, 'ceph.client.admin.keyring');
    await writeFile(
      confPath,
      `[global]
fsid = 8d6a3e5c-0d5b-4d5e-9c3a-1b2c3d4e5f60
mon host = [v2:10.0.0.1:3300,v1:10.0.0.1:6789] 10.0.0.2
keyring = ${dir}/$cluster.$name.keyring
rados osd op timeout = 30s
rbd_cache = false
[client]
log file = /tmp/$cluster-$name-$host.log
`,
    );
    await writeFile(krPath, KEYRING);
    const cfg = await resolveClientConfig({ conf: confPath, options: { 'rbd-cache': 'true' } }, {}, deps);
    t.is(cfg.cluster, 'ceph');
    t.deepEqual(cfg.name, { type: 'client', id: 'admin' });
    t.deepEqual(cfg.monAddrs, [
      [v2('10.0.0.1'), v1('10.0.0.1')],
      [v2('10.0.0.2'), v1('10.0.0.2')],
    ]);
    t.deepEqual(cfg.key.secret, EXAMPLE_SECRET);
    t.is(cfg.keySource, 'keyring');
    t.is(cfg.keyringPath, krPath);
    t.is(cfg.confPath, confPath);
    t.truthy(cfg.conf);
    t.is(cfg.fsid, '8d6a3e5c-0d5b-4d5e-9c3a-1b2c3d4e5f60');
    t.is(cfg.get('log_file'), '/tmp/ceph-client.admin-testhost.log');
    // explicit options beat the conf
    t.is(cfg.get('rbd_cache'), 'true');
    t.true(cfg.getBool('rbd cache'));
    t.is(cfg.getSeconds('rados_osd_op_timeout'), 30);
    t.is(cfg.getNumber('no_such_option'), undefined);
    isErrno(
      t,
      t.throws(() => cfg.getNumber('log_file')),
      22,
      /log_file/,
    );
  });
});

test('resolveClientConfig: CEPH_CONF from the environment; opts.conf wins over it', async (t) => {
  await withFixture(async ({ dir, deps }) => {
    const a = path.join(dir, 'a.conf');
    const b = path.join(dir, 'b.conf');
    await writeFile(a, `[global]\nmon_host = 10.0.0.1:3300\nkey = ${EXAMPLE_KEY}\n`);
    await writeFile(b, `[global]\nmon_host = 10.0.0.2:3300\nkey = ${OTHER_KEY}\n`);
    const fromEnv = await resolveClientConfig({}, { CEPH_CONF: a }, deps);
    t.is(fromEnv.confPath, a);
    t.deepEqual(fromEnv.monAddrs, [[v2('10.0.0.1')]]);
    t.deepEqual(fromEnv.key.secret, EXAMPLE_SECRET);
    t.is(fromEnv.keySource, 'key');
    t.is(fromEnv.keyringPath, undefined);

    const explicit = await resolveClientConfig({ conf: b }, { CEPH_CONF: a }, deps);
    t.is(explicit.confPath, b);
    t.deepEqual(explicit.key.secret, OTHER_SECRET);

    // CEPH_CONF may be a list: first existing wins
    const listed = await resolveClientConfig({}, { CEPH_CONF: `${dir}/missing.conf, ${b}` }, deps);
    t.is(listed.confPath, b);
  });
});

test('resolveClientConfig: cluster name from the conf file name and default keyring search', async (t) => {
  await withFixture(async ({ dir, deps }) => {
    const conf = path.join(dir, 'backup.conf');
    await writeFile(conf, '[global]\nmon_host = 10.0.0.1\n');
    await writeFile(path.join(dir, 'etc', 'backup.keyring'), `[client.admin]\nkey = ${OTHER_KEY}\n`);
    await writeFile(path.join(dir, 'etc', 'ceph.client.admin.keyring'), `[client.admin]\nkey = ${EXAMPLE_KEY}\n`);
    const cfg = await resolveClientConfig({ conf }, {}, deps);
    t.is(cfg.cluster, 'backup');
    t.is(cfg.keyringPath, path.join(dir, 'etc', 'backup.keyring'));
    t.deepEqual(cfg.key.secret, OTHER_SECRET);
    // explicit cluster wins
    const cfg2 = await resolveClientConfig({ conf, cluster: 'ceph' }, {}, deps);
    t.is(cfg2.cluster, 'ceph');
    t.deepEqual(cfg2.key.secret, EXAMPLE_SECRET);
    t.is(clusterFromConfPath('/etc/ceph/ceph.conf'), 'ceph');
    t.is(clusterFromConfPath('/x/my.cluster.conf'), 'my.cluster');
    t.is(clusterFromConfPath('/x/settings.ini'), 'ceph');
  });
});

test('resolveClientConfig: default conf search, found and not found', async (t) => {
  await withFixture(async ({ dir, deps }) => {
    // nothing found and no mon host: EINVAL naming where it looked
    const none = await t.throwsAsync(resolveClientConfig({ key: EXAMPLE_KEY }, {}, deps));
    isErrno(t, none, 22, /no monitors specified/);
    t.regex((none as Error).message, /no config file was found/);

    // nothing found but mon host given: proceed without a conf
    const noConf = await resolveClientConfig({ key: EXAMPLE_KEY, monHost: 'v2:10.0.0.5:3300' }, {}, deps);
    t.is(noConf.conf, undefined);
    t.is(noConf.confPath, undefined);
    t.deepEqual(noConf.monAddrs, [[v2('10.0.0.5')]]);
    t.is(noConf.get('mon_host'), 'v2:10.0.0.5:3300');

    // the default location is used when present
    await writeFile(path.join(dir, 'etc', 'ceph.conf'), `[client.admin]\nmon_host = 10.0.0.6:3300\nkey = ${EXAMPLE_KEY}\n`);
    const found = await resolveClientConfig({}, {}, deps);
    t.is(found.confPath, path.join(dir, 'etc', 'ceph.conf'));
    t.deepEqual(found.monAddrs, [[v2('10.0.0.6')]]);
  });
});

test('resolveClientConfig: an explicitly named conf must exist', async (t) => {
  await withFixture(async ({ dir, deps }) => {
    const err = await t.throwsAsync(resolveClientConfig({ conf: path.join(dir, 'nope.conf'), monHost: '10.0.0.1', key: EXAMPLE_KEY }, {}, deps));
    isErrno(t, err, 2, /config file not found/);
    const envErr = await t.throwsAsync(resolveClientConfig({ monHost: '10.0.0.1', key: EXAMPLE_KEY }, { CEPH_CONF: path.join(dir, 'nope.conf') }, deps));
    isErrno(t, envErr, 2, /nope\.conf/);
    // a malformed conf is EINVAL, not skipped
    const bad = path.join(dir, 'bad.conf');
    await writeFile(bad, '[global\n');
    isErrno(t, await t.throwsAsync(resolveClientConfig({ conf: bad }, {}, deps)), 22, /bad\.conf:1:/);
  });
});

test('resolveClientConfig: --id / --name and per-entity sections', async (t) => {
  await withFixture(async ({ dir, deps }) => {
    const conf = path.join(dir, 'ceph.conf');
    await writeFile(
      conf,
      `[global]
mon_host = 10.0.0.1:3300
keyring = ${dir}/$cluster.$name.keyring
[client.foo]
mon_host = 10.0.0.9:3300
`,
    );
    await writeFile(path.join(dir, 'ceph.client.foo.keyring'), KEYRING);
    const byId = await resolveClientConfig({ conf, id: 'foo' }, {}, deps);
    t.deepEqual(byId.name, { type: 'client', id: 'foo' });
    t.deepEqual(byId.key.secret, OTHER_SECRET);
    t.deepEqual(byId.monAddrs, [[v2('10.0.0.9')]]);
    const byName = await resolveClientConfig({ conf, name: 'client.foo', id: 'ignored' }, {}, deps);
    t.deepEqual(byName.name, { type: 'client', id: 'foo' });
    isErrno(t, await t.throwsAsync(resolveClientConfig({ conf, name: 'foo' }, {}, deps)), 22, /client name 'foo'/);
    isErrno(t, await t.throwsAsync(resolveClientConfig({ conf, id: '' }, {}, deps)), 22);
  });
});

test('resolveClientConfig: key sources in order key > keyfile > keyring', async (t) => {
  await withFixture(async ({ dir, deps }) => {
    const kr = path.join(dir, 'k.keyring');
    const keyfile = path.join(dir, 'admin.secret');
    await writeFile(kr, `[client.admin]\nkey = ${EXAMPLE_KEY}\n`);
    await writeFile(keyfile, `${OTHER_KEY}\n`);
    const base = { monHost: '10.0.0.1', keyring: kr };

    const fromKeyring = await resolveClientConfig(base, {}, deps);
    t.is(fromKeyring.keySource, 'keyring');
    t.deepEqual(fromKeyring.key.secret, EXAMPLE_SECRET);

    const fromKeyfile = await resolveClientConfig({ ...base, options: { keyfile } }, {}, deps);
    t.is(fromKeyfile.keySource, 'keyfile');
    t.is(fromKeyfile.keyringPath, keyfile);
    t.deepEqual(fromKeyfile.key.secret, OTHER_SECRET);

    const fromKey = await resolveClientConfig({ ...base, key: EXAMPLE_KEY, options: { keyfile } }, {}, deps);
    t.is(fromKey.keySource, 'key');
    t.deepEqual(fromKey.key.secret, EXAMPLE_SECRET);

    // key in the conf file beats the keyring
    const conf = path.join(dir, 'ceph.conf');
    await writeFile(conf, `[client.admin]\nkey = ${OTHER_KEY}\n`);
    const confKey = await resolveClientConfig({ ...base, conf }, {}, deps);
    t.is(confKey.keySource, 'key');
    t.deepEqual(confKey.key.secret, OTHER_SECRET);

    // bad key / missing keyfile
    isErrno(t, await t.throwsAsync(resolveClientConfig({ ...base, key: 'AQAAAAA=' }, {}, deps)), 22, /key option for client\.admin/);
    isErrno(t, await t.throwsAsync(resolveClientConfig({ ...base, options: { keyfile: `${dir}/nope` } }, {}, deps)), 2, /nope/);
  });
});

test('resolveClientConfig: keyring list: first file that exists and holds the name', async (t) => {
  await withFixture(async ({ dir, deps }) => {
    const other = path.join(dir, 'other.keyring');
    const good = path.join(dir, 'good.keyring');
    await writeFile(other, `[client.someone]\nkey = ${OTHER_KEY}\n`);
    await writeFile(good, `[client.admin]\nkey = ${EXAMPLE_KEY}\n`);
    const cfg = await resolveClientConfig({ monHost: '10.0.0.1', keyring: `${dir}/missing.keyring,${other}, ${good}` }, {}, deps);
    t.is(cfg.keyringPath, good);
    t.deepEqual(cfg.key.secret, EXAMPLE_SECRET);
  });
});

test('resolveClientConfig: CEPH_KEYRING overrides the conf but not explicit options', async (t) => {
  await withFixture(async ({ dir, deps }) => {
    const a = path.join(dir, 'a.keyring');
    const b = path.join(dir, 'b.keyring');
    const c = path.join(dir, 'c.keyring');
    await writeFile(a, `[client.admin]\nkey = ${EXAMPLE_KEY}\n`);
    await writeFile(b, `[client.admin]\nkey = ${OTHER_KEY}\n`);
    await writeFile(c, `[client.admin]\nkey = ${EXAMPLE_KEY}\n`);
    const conf = path.join(dir, 'ceph.conf');
    await writeFile(conf, `[global]\nmon_host = 10.0.0.1\nkeyring = ${c}\n`);
    t.is((await resolveClientConfig({ conf }, {}, deps)).keyringPath, c);
    t.is((await resolveClientConfig({ conf }, { CEPH_KEYRING: b }, deps)).keyringPath, b);
    t.is((await resolveClientConfig({ conf, keyring: a }, { CEPH_KEYRING: b }, deps)).keyringPath, a);
  });
});

test('resolveClientConfig: missing key is ENOENT listing where it looked', async (t) => {
  await withFixture(async ({ dir, deps }) => {
    const other = path.join(dir, 'other.keyring');
    await writeFile(other, `[client.someone]\nkey = ${OTHER_KEY}\n`);
    const err = await t.throwsAsync(resolveClientConfig({ monHost: '10.0.0.1', keyring: `${other},${dir}/nope` }, {}, deps));
    isErrno(t, err, 2, /no keyring found for client\.admin \(looked in: /);
    t.regex((err as Error).message, /other\.keyring \(no key for client\.admin\)/);
    t.regex((err as Error).message, /nope \(missing\)/);
    // default search list, expanded
    const err2 = await t.throwsAsync(resolveClientConfig({ monHost: '10.0.0.1', id: 'bob' }, {}, deps));
    isErrno(t, err2, 2, /no keyring found for client\.bob/);
    t.true((err2 as Error).message.includes(`${dir}/etc/ceph.client.bob.keyring (missing)`));
    // a malformed keyring is EINVAL, not skipped
    const bad = path.join(dir, 'bad.keyring');
    await writeFile(bad, `[client.admin]\nkey = garbage\n`);
    isErrno(t, await t.throwsAsync(resolveClientConfig({ monHost: '10.0.0.1', keyring: bad }, {}, deps)), 22, /bad\.keyring/);
  });
});

test('resolveClientConfig: no mon_host is EINVAL; bad mon_host is EINVAL', async (t) => {
  await withFixture(async ({ dir, deps }) => {
    const conf = path.join(dir, 'ceph.conf');
    await writeFile(conf, `[global]\nkey = ${EXAMPLE_KEY}\n`);
    isErrno(t, await t.throwsAsync(resolveClientConfig({ conf }, {}, deps)), 22, /no monitors specified/);
    isErrno(t, await t.throwsAsync(resolveClientConfig({ conf, monHost: '  ' }, {}, deps)), 22, /no monitors specified/);
    isErrno(t, await t.throwsAsync(resolveClientConfig({ conf, monHost: '1.2.3.4:99999' }, {}, deps)), 22, /invalid mon_host/);
  });
});

test('resolveClientConfig: [mon.X] mon addr sections as a fallback', async (t) => {
  await withFixture(async ({ dir, deps }) => {
    const conf = path.join(dir, 'ceph.conf');
    await writeFile(
      conf,
      `[global]
key = ${EXAMPLE_KEY}
[mon.a]
mon addr = 10.0.0.1:6789
[mon.b]
mon addr = [v2:10.0.0.2:3300,v1:10.0.0.2:6789]
[mon.c]
host = c
`,
    );
    const cfg = await resolveClientConfig({ conf }, {}, deps);
    t.deepEqual(cfg.monAddrs, [[v1('10.0.0.1')], [v2('10.0.0.2'), v1('10.0.0.2')]]);
  });
});

test('resolveClientConfig: monitor hostnames are resolved', async (t) => {
  await withFixture(async ({ deps }) => {
    const cfg = await resolveClientConfig({ monHost: 'mon-a.example:3300', key: EXAMPLE_KEY }, {}, deps);
    t.deepEqual(cfg.monAddrs, [[v2('10.1.0.1')]]);
    isErrno(t, await t.throwsAsync(resolveClientConfig({ monHost: 'unknown.example', key: EXAMPLE_KEY }, {}, deps)), 2, /unknown\.example/);
  });
});

test('resolveClientConfig: option references across layers', async (t) => {
  await withFixture(async ({ dir, deps }) => {
    const conf = path.join(dir, 'ceph.conf');
    await writeFile(conf, `[global]\nmon_host = 10.0.0.1\nkey = ${EXAMPLE_KEY}\nadmin_socket = $run_dir/$cluster-$name.asok\nrun_dir = /var/run/ceph\n`);
    const cfg = await resolveClientConfig({ conf, options: { run_dir: '/tmp/run' } }, {}, deps);
    t.is(cfg.get('admin socket'), '/tmp/run/ceph-client.admin.asok');
  });
});
