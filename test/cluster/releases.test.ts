// What differs between the releases of the matrix, on the release this suite runs against
// (RBD_TS_RELEASE, scripts/release.sh): the version the daemons run, the cephx key types each
// accepts (aes256k is Tentacle's default and only cipher; aes where the cluster allows it), the
// features rbd-ts advertises as `ceph features` files them, the read balancer
// (`ceph osd pg-upmap-primary`) and require_min_compat_client up to the release.
// Oracles: the release's own ceph / rados / python3-rbd, and on Tentacle the host's Pacific rados
// with a legacy key.

import test from 'ava';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CEPH_CRYPTO_AES, CEPH_CRYPTO_AES256KRB5, encodeCryptoKey, parseCryptoKey } from '../../src/config/crypto-key.js';
import { Keyring } from '../../src/config/keyring.js';
import { CephError } from '../../src/encoding/errno.js';
import { CEPH_FEATURES_ALL } from '../../src/msgr2/features.js';
import { Rados } from '../../src/rados/rados.js';
import { Image, RBD } from '../../src/rbd/index.js';
import { ceph, rados as radosCli, runCommand, sharedCluster, startCluster, type TestCluster } from '../helpers/cluster.js';
import { librbd } from '../helpers/librbd.js';

const release = process.env['RBD_TS_RELEASE'] ?? 'pacific';
const VERSION: Record<string, string> = { pacific: '16.2.', reef: '18.2.', tentacle: '20.2.' };
const tag = randomBytes(3).toString('hex');
const tmp = mkdtempSync(join(tmpdir(), 'rbd-ts-releases-'));

// a cluster of this file's own (3 OSDs): its cipher policy, compat level and upmaps change here
let own: Promise<TestCluster> | undefined;
const ownCluster = (): Promise<TestCluster> => (own ??= startCluster({ osds: 3 }));

test.after.always(async () => {
  if (own) await (await own).stop();
  rmSync(tmp, { recursive: true, force: true });
});

async function cephJson<T>(c: TestCluster, args: string[]): Promise<T> {
  const r = await ceph(c, [...args, '--format', 'json']);
  if (r.code !== 0) throw new Error(`ceph ${args.join(' ')}: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as T;
}

async function cephOk(c: TestCluster, args: string[]): Promise<void> {
  const r = await ceph(c, args);
  if (r.code !== 0) throw new Error(`ceph ${args.join(' ')} (exit ${r.code}): ${r.stderr.trim()}`);
}

/** Connect, write and read back one object: the whole path (auth, maps, OSD session) works. */
async function roundTrip(opts: Parameters<typeof Rados.connect>[0], oid: string): Promise<Rados> {
  const r = await Rados.connect({ timeoutMs: 10_000, ...opts });
  const io = await r.openIoctx('rbd');
  await io.writeFull(oid, Buffer.from(`written by rbd-ts as ${opts?.name ?? 'client.admin'}`));
  return r;
}

test.serial(`the daemons and the oracles run ${release} (${VERSION[release]}x)`, async (t) => {
  const c = await sharedCluster();
  const v = await cephJson<Record<string, Record<string, number>>>(c, ['versions']);
  for (const daemon of ['mon', 'osd']) {
    const names = Object.keys(v[daemon] ?? {});
    t.true(names.length > 0 && names.every((n) => n.startsWith(`ceph version ${VERSION[release]}`)), `${daemon}: ${names.join(', ')}`);
  }
  for (const tool of ['ceph', 'rbd', 'rados']) {
    const r = await runCommand(tool, ['--version'], 30_000);
    t.regex(r.stdout, new RegExp(`^ceph version ${VERSION[release]!.replace(/\./g, '\\.')}`), tool);
  }
});

test.serial("client.admin's key is the release's default type, and rbd-ts works with it in crc and secure mode", async (t) => {
  const c = await sharedCluster();
  const key = Keyring.parse(readFileSync(c.keyring, 'utf8')).keyFor('client.admin')!;
  const dump = await cephJson<{ auth_allowed_ciphers?: Array<{ name: string; value: number }> }>(c, ['mon', 'dump']);
  if (release === 'tentacle') {
    t.is(key.type, CEPH_CRYPTO_AES256KRB5);
    t.deepEqual(
      dump.auth_allowed_ciphers?.map((x) => x.name),
      ['aes256k'],
    );
  } else {
    t.is(key.type, CEPH_CRYPTO_AES);
    t.is(dump.auth_allowed_ciphers, undefined);
  }
  for (const mode of ['crc', 'secure']) {
    const oid = `rel-${mode}-${tag}`;
    const r = await roundTrip({ conf: c.conf, options: { ms_client_mode: mode, ms_mon_client_mode: mode } }, oid);
    r.shutdown();
    t.is((await radosCli(c, ['-p', 'rbd', 'get', oid, '-'])).stdout, 'written by rbd-ts as client.admin', mode);
  }
});

test.serial('a wrong key of either type is EACCES and a malformed one EINVAL, each within 2 s', async (t) => {
  const c = await sharedCluster();
  const wrong = [encodeCryptoKey(randomBytes(16)), encodeCryptoKey(randomBytes(32))];
  t.deepEqual(
    wrong.map((k) => parseCryptoKey(k).type),
    [CEPH_CRYPTO_AES, CEPH_CRYPTO_AES256KRB5],
  );
  for (const key of wrong) {
    const t0 = Date.now();
    const err = await t.throwsAsync(Rados.connect({ conf: c.conf, key, timeoutMs: 5000 }));
    t.true(err instanceof CephError && err.code === 'EACCES' && err.errno === 13, `${key.slice(0, 2)}: ${String(err)}`);
    t.true(Date.now() - t0 < 2000, `${key.slice(0, 2)}: ${Date.now() - t0} ms`);
  }
  const good = readFileSync(c.keyring, 'utf8').match(/key = (\S+)/)![1]!;
  for (const key of [good.slice(0, 20), good.replace(/^A./, 'Aw'), good + 'AAAA']) {
    const t0 = Date.now();
    const err = await t.throwsAsync(Rados.connect({ conf: c.conf, key, timeoutMs: 5000 }));
    t.true(err instanceof CephError && err.code === 'EINVAL', `${key}: ${String(err)}`);
    t.true(Date.now() - t0 < 2000);
  }
});

// ceph_release_from_features: the oldest release whose client features a session has all of
// ... up to the newest it can. rbd-ts advertises the release bits up to Tentacle and CRUSH_MSR,
// and is filed where each release's own librados is: Pacific's table stops at luminous, Reef
// knows no CRUSH_MSR, and Tentacle's own librados (no bit 17) looks like squid too.
const FILED_AS: Record<string, string> = { pacific: 'luminous', reef: 'reef', tentacle: 'squid' };

test.serial(`\`ceph features\` files rbd-ts under ${FILED_AS[release]}, as it files this release's librados`, async (t) => {
  const c = await sharedCluster();
  const r = await Rados.connect({ conf: c.conf, timeoutMs: 10_000 });
  try {
    await (await r.openIoctx('rbd')).writeFull(`feat-${tag}`, Buffer.from('x'));
    // a session's features are what both sides support: ours and the mon's
    const f = await cephJson<{ mon?: Array<{ features: string }>; client?: Array<{ features: string; release: string; num: number }> }>(c, ['features']);
    const negotiated = CEPH_FEATURES_ALL & BigInt(f.mon![0]!.features);
    const ours = (f.client ?? []).find((g) => BigInt(g.features) === negotiated);
    t.truthy(ours, JSON.stringify(f.client));
    t.is(ours?.release, FILED_AS[release]);
  } finally {
    r.shutdown();
  }
});

if (release === 'tentacle') {
  test.serial(
    'a legacy aes key on Tentacle: EACCES while the monmap allows aes256k only; once aes is allowed rbd-ts and a Pacific rados both use it',
    async (t) => {
      const c = await ownCluster();
      const key = encodeCryptoKey(randomBytes(16));
      const kr = join(tmp, 'legacy.keyring');
      writeFileSync(kr, `[client.legacy]\n\tkey = ${key}\n\tcaps mon = "allow r"\n\tcaps osd = "allow rwx pool=rbd"\n`);
      await cephOk(c, ['auth', 'import', '-i', kr]);
      const t0 = Date.now();
      const err = await t.throwsAsync(Rados.connect({ conf: c.conf, name: 'client.legacy', keyring: kr, timeoutMs: 5000 }));
      t.true(err instanceof CephError && err.code === 'EACCES', String(err));
      t.true(Date.now() - t0 < 2000);

      await cephOk(c, ['mon', 'set', 'auth_allowed_ciphers', 'aes256k,aes']);
      const dump = await cephJson<{ auth_allowed_ciphers: Array<{ name: string }> }>(c, ['mon', 'dump']);
      t.deepEqual(dump.auth_allowed_ciphers.map((x) => x.name).sort(), ['aes', 'aes256k']);
      for (const mode of ['crc', 'secure']) {
        const oid = `legacy-${mode}-${tag}`;
        const r = await roundTrip({ conf: c.conf, name: 'client.legacy', keyring: kr, options: { ms_client_mode: mode, ms_mon_client_mode: mode } }, oid);
        const { outs } = await r.monCommand({ prefix: 'osd pool ls', format: 'json' });
        t.is(typeof outs, 'string');
        r.shutdown();
        // the host's Pacific rados, which knows no aes256k, reads it with the same legacy key
        const host = await runCommand('/usr/bin/rados', ['-c', c.conf, '-n', 'client.legacy', '-k', kr, '-p', 'rbd', 'get', oid, '-'], 30_000);
        t.is(host.stdout, 'written by rbd-ts as client.legacy', `${mode}: ${host.stderr}`);
      }
      // aes256k keys keep working beside it
      (await roundTrip({ conf: c.conf }, `aes256k-${tag}`)).shutdown();
    },
  );
}

if (release !== 'pacific') {
  test.serial(
    'read balancer: after `ceph osd pg-upmap-primary` rbd-ts places and sends each op as `ceph osd map` says, and reads back what it wrote',
    async (t) => {
      const c = await ownCluster();
      await cephOk(c, ['osd', 'set-require-min-compat-client', 'reef', '--yes-i-really-mean-it']);
      const pool = `rb-${tag}`;
      await cephOk(c, ['osd', 'pool', 'create', pool, '8', '8']);
      await cephOk(c, ['osd', 'pool', 'set', pool, 'size', '3', '--yes-i-really-mean-it']);
      await cephOk(c, ['osd', 'pool', 'application', 'enable', pool, 'rbd']);
      // listing visits every PG: it returns once all are active
      t.is((await radosCli(c, ['-p', pool, 'ls'], { timeoutMs: 60_000 })).code, 0);
      // the PG of a first object, with its three OSDs (`ceph osd map`; `pg ls` would need a mgr)
      const first = await cephJson<{ pgid: string; acting: number[]; acting_primary: number }>(c, ['osd', 'map', pool, `ub-${tag}-first`]);
      t.is(first.acting.length, 3, JSON.stringify(first));
      const pg = { pgid: first.pgid, acting: first.acting, primary: first.acting_primary };
      const newPrimary = pg.acting.find((o) => o !== pg.primary)!;
      await cephOk(c, ['osd', 'pg-upmap-primary', pg.pgid, String(newPrimary)]);

      const r = await Rados.connect({ conf: c.conf, timeoutMs: 10_000 });
      try {
        // names until a few land in the re-primaried PG; each placed as the mon places it
        let moved = 0;
        for (let i = 0; i < 400 && moved < 5; i++) {
          const name = `ub-${tag}-${i}`;
          const mine = await r.objectLocation(pool, name);
          if (mine.pgid !== pg.pgid && i % 20 !== 0) continue;
          const theirs = await r.monCommandJson<{ pgid: string; acting: number[]; acting_primary: number }>({ prefix: 'osd map', pool, object: name });
          t.is(mine.pgid, theirs.pgid, name);
          t.deepEqual(mine.acting, theirs.acting, name);
          t.is(mine.actingPrimary, theirs.acting_primary, name);
          if (mine.pgid === pg.pgid) {
            moved++;
            t.is(mine.actingPrimary, newPrimary, `${name}: the upmapped primary`);
            // a write sent to any OSD but the primary would never complete
            const io = await r.openIoctx(pool);
            await io.writeFull(name, Buffer.from(name), { timeoutMs: 10_000 });
            t.is((await radosCli(c, ['-p', pool, 'get', name, '-'])).stdout, name);
            t.is((await io.read(name, 8192, 0, { timeoutMs: 10_000 })).toString(), name);
          }
        }
        t.true(moved >= 1, `objects in ${pg.pgid}: ${moved}`);
      } finally {
        r.shutdown();
      }
      await cephOk(c, ['osd', 'rm-pg-upmap-primary', pg.pgid]);
    },
  );
}

if (release === 'tentacle') {
  test.serial('an MSR rule (Squid+): rbd-ts places every object of its pool as `ceph osd map` does, and its writes land', async (t) => {
    const c = await ownCluster();
    // the mon refuses a CRUSH map with MSR rules while clients older than squid may connect
    await cephOk(c, ['osd', 'set-require-min-compat-client', 'squid', '--yes-i-really-mean-it']);
    const dir = mkdtempSync(join(tmp, 'crush-'));
    await cephOk(c, ['osd', 'getcrushmap', '-o', join(dir, 'map.bin')]);
    const tools = process.env['RBD_TS_TOOLS'] ? join(process.env['RBD_TS_TOOLS'], 'crushtool') : 'crushtool';
    const d = await runCommand(tools, ['-d', join(dir, 'map.bin'), '-o', join(dir, 'map.txt')], 30_000);
    t.is(d.code, 0, d.stderr);
    const text = readFileSync(join(dir, 'map.txt'), 'utf8').replace(/# end crush map\s*$/, '');
    writeFileSync(
      join(dir, 'map.txt'),
      `${text}rule msr-${tag} {\n\tid 9\n\ttype msr_firstn\n\tstep take default\n\tstep choosemsr 0 type osd\n\tstep emit\n}\n`,
    );
    const comp = await runCommand(tools, ['-c', join(dir, 'map.txt'), '-o', join(dir, 'new.bin')], 30_000);
    t.is(comp.code, 0, comp.stderr);
    await cephOk(c, ['osd', 'setcrushmap', '-i', join(dir, 'new.bin')]);
    const pool = `msr-${tag}`;
    await cephOk(c, ['osd', 'pool', 'create', pool, '16', '16', 'replicated', `msr-${tag}`]);
    await cephOk(c, ['osd', 'pool', 'set', pool, 'size', '3', '--yes-i-really-mean-it']);
    t.is((await radosCli(c, ['-p', pool, 'ls'], { timeoutMs: 60_000 })).code, 0);
    const r = await Rados.connect({ conf: c.conf, timeoutMs: 10_000 });
    try {
      const map = await r.osdmap();
      const poolId = map.poolIdByName(pool)!;
      t.is(map.crush.rules[map.getPool(poolId)!.crushRule]?.mask.type, 4, 'the pool runs the msr_firstn rule');
      for (let i = 0; i < 64; i++) {
        const name = `msr-obj-${i}`;
        const mine = await r.objectLocation(pool, name);
        const theirs = await r.monCommandJson<{ pgid: string; up: number[]; acting: number[]; acting_primary: number }>({
          prefix: 'osd map',
          pool,
          object: name,
        });
        t.is(mine.pgid, theirs.pgid, name);
        t.deepEqual(mine.up, theirs.up, name);
        t.deepEqual(mine.acting, theirs.acting, name);
        t.is(mine.actingPrimary, theirs.acting_primary, name);
      }
      const io = await r.openIoctx(pool);
      await io.writeFull('msr-written', Buffer.from('placed by an MSR rule'), { timeoutMs: 10_000 });
      t.is((await radosCli(c, ['-p', pool, 'get', 'msr-written', '-'])).stdout, 'placed by an MSR rule');
    } finally {
      r.shutdown();
    }
  });
}

// (on Tentacle, reef was set by the read-balancer test; once the MSR test's CRUSH map is in,
// the mon refuses anything below squid: "osdmap current utilizes features that require squid")
const COMPAT: Record<string, string[]> = { pacific: ['pacific'], reef: ['reef'], tentacle: ['squid', 'tentacle'] };

test.serial(`require_min_compat_client ${COMPAT[release]!.join(', then ')}: rbd-ts connects, makes and clones an image librbd reads`, async (t) => {
  const c = await ownCluster();
  for (const level of COMPAT[release]!) {
    await cephOk(c, ['osd', 'set-require-min-compat-client', level, '--yes-i-really-mean-it']);
    const map = await cephJson<{ require_min_compat_client: string }>(c, ['osd', 'dump']);
    t.is(map.require_min_compat_client, level);
    const r = await Rados.connect({ conf: c.conf, timeoutMs: 10_000 });
    try {
      const io = await r.openIoctx('rbd');
      const name = `compat-${level}-${tag}`;
      await RBD.create(io, name, 8 << 20);
      const img = await Image.open(io, name);
      await img.write(Buffer.from(`level ${level}`), 4096);
      await img.createSnap('s');
      await img.protectSnap('s');
      await img.close();
      await RBD.clone(io, name, 's', io, `${name}-child`, { cloneFormat: 2 });
      const got = await librbd<string>(
        c,
        `img = rbd.Image(ioctx('rbd'), A['name'], read_only=True)\ntry:\n    return img.read(4096, A['n']).decode()\nfinally:\n    img.close()`,
        { name: `${name}-child`, n: `level ${level}`.length },
      );
      t.is(got, `level ${level}`, level);
    } finally {
      r.shutdown();
    }
  }
});
