// The throwaway cluster of scripts/cluster.sh (or the one CEPH_CONF names)
// answers the stock CLIs as its conf file says it should.
import test from 'ava';
import { ceph, rados, sharedCluster } from '../helpers/cluster.js';

test('pool rbd exists', async (t) => {
  const cluster = await sharedCluster();
  const r = await ceph(cluster, ['osd', 'pool', 'ls']);
  t.is(r.code, 0, r.stderr);
  t.true(
    r.stdout
      .split('\n')
      .map((l) => l.trim())
      .includes('rbd'),
    r.stdout,
  );
});

test('ceph fsid matches the conf file', async (t) => {
  const cluster = await sharedCluster();
  t.regex(cluster.fsid, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  const r = await ceph(cluster, ['fsid']);
  t.is(r.code, 0, r.stderr);
  t.is(r.stdout.trim(), cluster.fsid);
});

test('mon host lists msgr2 loopback addresses only', async (t) => {
  const cluster = await sharedCluster();
  for (const entry of cluster.monHost.split(',')) {
    t.regex(entry.trim(), /^\[v2:127\.0\.0\.1:\d+\]$/);
  }
});

test('objects round-trip through rados', async (t) => {
  const cluster = await sharedCluster();
  const name = `cluster-script-test.${process.pid}.${Date.now()}`;
  const payload = `hello from ${name}\n`;
  const put = await rados(cluster, ['-p', 'rbd', 'put', name, '-'], { input: payload });
  t.is(put.code, 0, put.stderr);
  const get = await rados(cluster, ['-p', 'rbd', 'get', name, '-']);
  t.is(get.code, 0, get.stderr);
  t.is(get.stdout, payload);
  const rm = await rados(cluster, ['-p', 'rbd', 'rm', name]);
  t.is(rm.code, 0, rm.stderr);
});
