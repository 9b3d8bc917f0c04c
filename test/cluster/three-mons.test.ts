// Three mons: killing the mon the client is connected to does not fail the next command.

import test from 'ava';
import { Rados } from '../../src/rados/rados.js';
import { ceph, startCluster, type TestCluster } from '../helpers/cluster.js';

let cluster: TestCluster;

test.before(async () => {
  cluster = await startCluster({ mons: 3, osds: 1 });
});

test.after.always(async () => {
  await cluster?.stop();
});

test('the monmap lists all three mons', async (t) => {
  const r = await Rados.connect({ conf: cluster.conf, timeoutMs: 15_000 });
  try {
    const s = await r.status();
    t.is(s.mons.length, 3);
    const theirs = JSON.parse((await ceph(cluster, ['mon', 'dump', '--format', 'json'])).stdout) as { epoch: number; mons: Array<{ name: string }> };
    t.deepEqual(s.mons.map((m) => m.name).sort(), theirs.mons.map((m) => m.name).sort());
    t.is(s.monmapEpoch, theirs.epoch);
  } finally {
    r.shutdown();
  }
});

test('kill the session mon: the next mon command still succeeds', async (t) => {
  const r = await Rados.connect({ conf: cluster.conf, timeoutMs: 15_000 });
  try {
    const s = await r.status();
    const victim = s.sessionMon;
    t.truthy(victim);
    await cluster.killMon(victim);
    // the client sees no error: it hunts to a surviving mon and (re)sends the command
    const res = await r.monCommand({ prefix: 'osd pool ls', format: 'json' }, { timeoutMs: 60_000 });
    t.is(res.rc, 0);
    t.true((JSON.parse(res.outbl.toString()) as string[]).includes('rbd'));
    const after = await r.status({ timeoutMs: 60_000 });
    t.not(after.sessionMon, victim);
    t.is(after.fsid, cluster.fsid);
  } finally {
    r.shutdown();
  }
});
