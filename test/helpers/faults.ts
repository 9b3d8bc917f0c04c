// The fault suite's cluster: 3 mons and 3 memstore OSDs (scripts/cluster.sh, started by
// scripts/test.sh and named by CEPH_CONF), pools of size 3 / min_size 2, and daemons killed
// and revived by pid. A memstore OSD comes back empty: kill one only while every PG is
// active+clean, and wait for active+clean again before the next.

import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rados } from '../../src/rados/rados.js';
import { ceph, runCommand, sharedCluster, type CommandResult, type TestCluster } from './cluster.js';

export async function faultCluster(): Promise<TestCluster> {
  const c = await sharedCluster();
  const osds = JSON.parse((await ceph(c, ['osd', 'stat', '--format', 'json'])).stdout) as { num_osds: number };
  const mons = JSON.parse((await ceph(c, ['mon', 'dump', '--format', 'json'])).stdout) as { mons: unknown[] };
  if (osds.num_osds < 3 || mons.mons.length < 3)
    throw new Error(`the fault suite needs 3 mons and 3 OSDs (this cluster: ${mons.mons.length}, ${osds.num_osds})`);
  return c;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cephJson<T>(c: TestCluster, args: string[]): Promise<T> {
  const r = await ceph(c, [...args, '--format', 'json']);
  if (r.code !== 0) throw new Error(`ceph ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** A replicated pool of size 3, min_size 2, for rbd; returns once its PGs are active+clean. */
export async function faultPool(c: TestCluster, name: string, pgs = 8): Promise<void> {
  for (const args of [
    ['osd', 'pool', 'create', name, String(pgs), String(pgs)],
    ['osd', 'pool', 'set', name, 'size', '3'],
    ['osd', 'pool', 'set', name, 'min_size', '2'],
    ['osd', 'pool', 'application', 'enable', name, 'rbd'],
  ]) {
    const r = await ceph(c, args);
    if (r.code !== 0) throw new Error(`ceph ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  }
  await waitClean(c);
}

export async function removePool(c: TestCluster, name: string): Promise<void> {
  await ceph(c, ['osd', 'pool', 'rm', name, name, '--yes-i-really-really-mean-it']);
}

interface PgStat {
  num_pgs: number;
  num_pg_by_state?: Array<{ name: string; num: number }>;
}

/** Until every PG of the cluster is active+clean (and every OSD up and in). */
export async function waitClean(c: TestCluster, timeoutMs = 180_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    const [pg, osd] = await Promise.all([
      cephJson<PgStat & { pg_summary?: PgStat }>(c, ['pg', 'stat'])
        .then((j) => j.pg_summary ?? j) // Pacific+ nest it in pg_summary
        .catch(() => undefined),
      cephJson<{ num_osds: number; num_up_osds: number; num_in_osds: number }>(c, ['osd', 'stat']).catch(() => undefined),
    ]);
    if (pg && osd) {
      const clean = (pg.num_pg_by_state ?? []).filter((s) => s.name === 'active+clean').reduce((n, s) => n + s.num, 0);
      last = `${clean}/${pg.num_pgs} active+clean, ${osd.num_up_osds}/${osd.num_osds} up, ${osd.num_in_osds} in`;
      if (clean === pg.num_pgs && osd.num_up_osds === osd.num_osds && osd.num_in_osds === osd.num_osds) return;
    }
    await sleep(300);
  }
  throw new Error(`PGs not active+clean within ${timeoutMs} ms (${last})`);
}

/** Where `ceph osd map` puts an object: PG, up and acting sets, acting primary. */
export async function osdMapOf(c: TestCluster, pool: string, oid: string): Promise<{ pgid: string; acting: number[]; primary: number }> {
  const m = await cephJson<{ pgid: string; acting: number[]; acting_primary: number }>(c, ['osd', 'map', pool, oid]);
  return { pgid: m.pgid, acting: m.acting, primary: m.acting_primary };
}

async function waitOsd(c: TestCluster, id: number, up: boolean, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const d = await cephJson<{ osds: Array<{ osd: number; up: number }> }>(c, ['osd', 'dump']).catch(() => undefined);
    if (d?.osds.find((o) => o.osd === id)?.up === (up ? 1 : 0)) return;
    await sleep(200);
  }
  throw new Error(`osd.${id} not ${up ? 'up' : 'down'} within ${timeoutMs} ms`);
}

/** SIGKILL osd.`id` and see the map mark it down (its peers report it; `ceph osd down` makes it prompt). */
export async function killOsd(c: TestCluster, id: number): Promise<void> {
  await c.killOsd(id, 'KILL');
  await ceph(c, ['osd', 'down', `osd.${id}`]);
  await waitOsd(c, id, false);
}

/** Start osd.`id` again, then wait until it is up and every PG active+clean. */
export async function reviveOsd(c: TestCluster, id: number): Promise<void> {
  await c.reviveOsd(id);
  await waitOsd(c, id, true, 120_000);
  await waitClean(c);
}

/** SIGKILL mon `name`; the other two keep the quorum. */
export async function killMon(c: TestCluster, name: string): Promise<void> {
  await c.killMon(name);
}

/** Start mon `name` again and wait until the quorum has all three. */
export async function reviveMon(c: TestCluster, name: string, timeoutMs = 60_000): Promise<void> {
  await c.reviveMon(name);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const q = await cephJson<{ quorum_names: string[] }>(c, ['quorum_status']).catch(() => undefined);
    if (q?.quorum_names.includes(name)) return;
    await sleep(300);
  }
  throw new Error(`mon.${name} not back in the quorum within ${timeoutMs} ms`);
}

/** The leader of the mon quorum. */
export async function leaderMon(c: TestCluster): Promise<string> {
  return (await cephJson<{ quorum_leader_name: string }>(c, ['quorum_status'])).quorum_leader_name;
}

/** Set (or with undefined, remove) a config option of a daemon type in the mon's config database, and inject it at once. */
export async function daemonOption(c: TestCluster, who: 'osd' | 'mon', option: string, value: string | undefined): Promise<void> {
  const r = value === undefined ? await ceph(c, ['config', 'rm', who, option]) : await ceph(c, ['config', 'set', who, option, value]);
  if (r.code !== 0) throw new Error(`ceph config ${value === undefined ? 'rm' : 'set'} ${who} ${option}: ${r.stderr}`);
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The rbd-ts command (from the sources) against `conf`, with its exit code and duration. */
export async function rbdTs(conf: string, args: string[], timeoutMs = 120_000): Promise<CommandResult & { ms: number }> {
  const t0 = Date.now();
  const r = await runCommand(process.execPath, ['--import=tsx', join(ROOT, 'src/cli/main.ts'), '-c', conf, ...args], timeoutMs);
  return { ...r, ms: Date.now() - t0 };
}

/**
 * An rbd-ts cluster handle for a fault test: its own connections fail on one frame in
 * `socketFailures` (ms_inject_socket_failures, default 500), so every fault test runs the
 * reconnect and resend paths too.
 */
export function faultConnect(c: TestCluster, options: Record<string, string> = {}, socketFailures = 500): Promise<Rados> {
  return Rados.connect({ conf: c.conf, timeoutMs: 30_000, options: { ms_inject_socket_failures: String(socketFailures), ...options } });
}
