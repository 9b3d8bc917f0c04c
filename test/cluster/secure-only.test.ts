// A cluster whose services require secure mode (ms_service_mode = ms_mon_service_mode =
// secure): a secure client connects, a crc-only client is refused with EACCES as
// librados is.

import test from 'ava';
import { Rados } from '../../src/rados/rados.js';
import { CephError } from '../../src/encoding/errno.js';
import { ceph, startCluster, type TestCluster } from '../helpers/cluster.js';

let cluster: TestCluster;

test.before(async () => {
  cluster = await startCluster({ mons: 1, osds: 1, secure: true });
});

test.after.always(async () => {
  await cluster?.stop();
});

test('the default client (secure crc) and a secure-only client connect in secure mode', async (t) => {
  for (const options of [{}, { ms_mon_client_mode: 'secure' }, { ms_mon_client_mode: 'crc secure' }] as Array<Record<string, string>>) {
    const r = await Rados.connect({ conf: cluster.conf, timeoutMs: 10_000, options });
    try {
      const s = await r.status();
      t.is(s.authMode, 'secure');
      t.is(s.fsid, cluster.fsid);
      const pools = await r.monCommandJson<string[]>({ prefix: 'osd pool ls' });
      t.deepEqual(pools, JSON.parse((await ceph(cluster, ['osd', 'pool', 'ls', '--format', 'json'])).stdout));
    } finally {
      r.shutdown();
    }
  }
});

test('a crc-only client is refused with EACCES', async (t) => {
  const err = await t.throwsAsync(Rados.connect({ conf: cluster.conf, timeoutMs: 5000, options: { ms_mon_client_mode: 'crc' } }));
  t.true(err instanceof CephError);
  t.is((err as CephError).code, 'EACCES');
  t.regex(err!.message, /connection mode/);
  // librados agrees: the ceph CLI restricted to crc is refused the same way
  const theirs = await ceph(cluster, ['--ms_mon_client_mode', 'crc', '--connect-timeout', '10', 'fsid']);
  t.not(theirs.code, 0);
});
