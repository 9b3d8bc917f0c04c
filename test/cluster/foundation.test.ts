// Foundation conformance on a real cluster: connect and authenticate (crc, secure),
// mon commands against the `ceph` command, errors (wrong key, unreachable mon, abort),
// ticket renewal, osdmap subscription, the status CLI.

import test from 'ava';
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Rados } from '../../src/rados/rados.js';
import { CephError } from '../../src/encoding/errno.js';
import { EntityType } from '../../src/encoding/types.js';
import { Connection } from '../../src/msgr2/connection.js';
import { MsgType } from '../../src/msgr2/msg-types.js';
import { ceph, sharedCluster } from '../helpers/cluster.js';

const run = promisify(execFile);

async function connect(opts: Parameters<typeof Rados.connect>[0] = {}) {
  const c = await sharedCluster();
  return Rados.connect({ conf: c.conf, timeoutMs: 15_000, ...opts });
}

test('connects and authenticates in secure mode (the mon default) and in crc mode', async (t) => {
  const c = await sharedCluster();
  for (const [mode, want] of [
    ['secure crc', 'secure'],
    ['crc', 'crc'],
    ['secure', 'secure'],
  ] as const) {
    const r = await connect({ options: { ms_mon_client_mode: mode } });
    try {
      const s = await r.status();
      t.is(s.authMode, want, mode);
      t.is(s.fsid, c.fsid);
      t.true(Number(s.globalId) > 0);
    } finally {
      r.shutdown();
    }
  }
});

test('monCommand osd pool ls equals `ceph osd pool ls`; fsid equals ceph.conf', async (t) => {
  const c = await sharedCluster();
  const r = await connect();
  try {
    const mine = await r.monCommand({ prefix: 'osd pool ls', format: 'json' });
    t.is(mine.rc, 0);
    const theirs = await ceph(c, ['osd', 'pool', 'ls', '--format', 'json']);
    t.deepEqual(JSON.parse(mine.outbl.toString()), JSON.parse(theirs.stdout));
    t.true((JSON.parse(mine.outbl.toString()) as string[]).includes('rbd'));
    const conf = readFileSync(c.conf, 'utf8');
    t.is(r.fsid, /fsid\s*=\s*(\S+)/.exec(conf)?.[1] ?? '');
    const cephFsid = (await ceph(c, ['fsid'])).stdout.trim();
    t.is(r.fsid, cephFsid);
    // an error from the mon comes back as rc, with its text
    const bad = await r.monCommand({ prefix: 'osd pool get', pool: 'no-such-pool', var: 'size', format: 'json' });
    t.is(bad.rc, -2);
    t.regex(bad.outs, /no-such-pool/);
    await t.throwsAsync(r.monCommandJson({ prefix: 'osd pool get', pool: 'no-such-pool', var: 'size' }), { instanceOf: CephError, message: /ENOENT/ });
  } finally {
    r.shutdown();
  }
});

test('a wrong key fails with EACCES well within 2 s', async (t) => {
  const c = await sharedCluster();
  const err = await t.throwsAsync(Rados.connect({ conf: c.conf, key: 'AQAAAABfAAAAABAAAAECAwQFBgcICQoLDA0ODw==', timeoutMs: 2000 }));
  t.true(err instanceof CephError);
  t.is((err as CephError).code, 'EACCES');
  t.is((err as CephError).errno, 13);
  // an unknown user is refused the same way
  const err2 = await t.throwsAsync(Rados.connect({ conf: c.conf, name: 'client.nobody', key: 'AQAAAABfAAAAABAAAAECAwQFBgcICQoLDA0ODw==', timeoutMs: 2000 }));
  t.is((err2 as CephError).code, 'EACCES');
});

async function silentServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.on('error', () => {}));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as { port: number }).port };
}

test('an unreachable or silent mon gives ETIMEDOUT within the configured timeout', async (t) => {
  const c = await sharedCluster();
  const keyring = c.keyring;
  // refused port
  const probe = await silentServer();
  const closedPort = probe.port;
  await new Promise<void>((r) => probe.server.close(() => r()));
  let t0 = Date.now();
  let err = await t.throwsAsync(Rados.connect({ monHost: `v2:127.0.0.1:${closedPort}`, keyring, timeoutMs: 1500 }));
  t.is((err as CephError).code, 'ETIMEDOUT');
  t.true(Date.now() - t0 < 1500 + 1000, `took ${Date.now() - t0} ms`);
  // accepts TCP but never speaks
  const silent = await silentServer();
  try {
    t0 = Date.now();
    err = await t.throwsAsync(Rados.connect({ monHost: `v2:127.0.0.1:${silent.port}`, keyring, timeoutMs: 1500 }));
    t.is((err as CephError).code, 'ETIMEDOUT');
    t.true(Date.now() - t0 < 1500 + 1000);
    // an AbortSignal ends the wait at once
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    t0 = Date.now();
    err = await t.throwsAsync(Rados.connect({ monHost: `v2:127.0.0.1:${silent.port}`, keyring, timeoutMs: 30_000, signal: ac.signal }));
    t.is((err as CephError).code, 'ECANCELED');
    t.true(Date.now() - t0 < 5000);
  } finally {
    silent.server.close();
  }
});

test('service tickets are renewed through MAuth and the new OSD ticket opens an OSD session', async (t) => {
  const c = await sharedCluster();
  const r = await connect();
  try {
    const before = r.cephx.ticket(EntityType.OSD)!;
    t.truthy(before);
    t.true(r.monc.renewTickets(true));
    for (let i = 0; i < 50 && r.cephx.ticket(EntityType.OSD) === before; i++) await new Promise((res) => setTimeout(res, 50));
    const after = r.cephx.ticket(EntityType.OSD)!;
    t.not(after, before);
    t.false(after.sessionKey.secret.equals(before.sessionKey.secret));
    // use it: authenticate to the first OSD (authorizer + challenge round), both modes
    const dump = await r.monCommandJson<{ osds: Array<{ up: number; public_addrs: { addrvec: Array<{ type: string; addr: string; nonce: number }> } }> }>({
      prefix: 'osd dump',
    });
    const v2 = dump.osds.find((o) => o.up)!.public_addrs.addrvec.find((a) => a.type === 'v2')!;
    const i = v2.addr.lastIndexOf(':');
    for (const modes of [[1], [2]]) {
      const con = await Connection.open({
        peer: { type: 2, nonce: v2.nonce, family: 4, ip: v2.addr.slice(0, i), port: Number(v2.addr.slice(i + 1)) },
        peerType: EntityType.OSD,
        auth: r.cephx.serviceHandler(EntityType.OSD),
        modes,
        myNonce: r.msgr.nonce,
        globalSeq: r.msgr.nextGlobalSeq(),
        gid: r.cephx.globalId,
      });
      t.is(con.conMode, modes[0]!);
      const ack = new Promise((res) => con.once('keepaliveAck', res));
      con.sendKeepalive();
      t.truthy(await ack);
      con.close();
    }
    t.truthy(c);
  } finally {
    r.shutdown();
  }
});

test('osdmap subscription hands raw MOSDMap messages to the subscriber; getVersion agrees', async (t) => {
  const r = await connect();
  try {
    const got = new Promise<{ type: number; len: number }>((resolve) => r.monc.once('osdmap', (m) => resolve({ type: m.header.type, len: m.front.length })));
    r.monc.subscribe('osdmap', 0, 1);
    const m = await got;
    t.is(m.type, MsgType.OSD_MAP);
    t.true(m.len > 100);
    const v = await r.monc.getVersion('osdmap');
    const c = await sharedCluster();
    const epoch = JSON.parse((await ceph(c, ['osd', 'dump', '--format', 'json'])).stdout).epoch as number;
    t.true(v.version >= 1 && v.version <= epoch + 1 && v.version >= epoch - 1);
  } finally {
    r.shutdown();
  }
});

test('rbd-ts status prints the fsid; errors exit with the errno and one line', async (t) => {
  const c = await sharedCluster();
  const cli = ['--import=tsx', 'src/cli/main.ts'];
  const ok = await run('node', [...cli, 'status', '-c', c.conf, '--format', 'json']);
  const j = JSON.parse(ok.stdout);
  t.is(j.fsid, c.fsid);
  t.true(['crc', 'secure'].includes(j.auth_mode));
  t.is(j.mons.length >= 1, true);

  const dir = mkdtempSync(join(tmpdir(), 'rbd-ts-test-'));
  try {
    const badKeyring = join(dir, 'keyring');
    writeFileSync(badKeyring, '[client.admin]\n\tkey = AQAAAABfAAAAABAAAAECAwQFBgcICQoLDA0ODw==\n');
    const e1 = await run('node', [...cli, 'status', '-c', c.conf, '-k', badKeyring, '--timeout', '5']).catch((e) => e);
    t.is(e1.code, 13);
    t.is(e1.stderr.trim().split('\n').length, 1);
    t.regex(e1.stderr, /EACCES|Permission denied/);
    const e2 = await run('node', [...cli, 'status', '-c', join(dir, 'missing.conf')]).catch((e) => e);
    t.is(e2.code, 2);
    const e3 = await run('node', [...cli, 'bogus']).catch((e) => e);
    t.is(e3.code, 22);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
