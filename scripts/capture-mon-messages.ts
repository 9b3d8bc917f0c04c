// Records what a Pacific mon sends a client (MMonMap, MConfig, MOSDMap, MMonGetVersionReply,
// MMonCommandAck, MAuthReply) into fixtures/mon-messages-pacific.msgpack, for decoder tests
// that run without a cluster.
//
//   node --import=tsx scripts/capture-mon-messages.ts -c /path/to/ceph.conf

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { pack } from 'msgpackr';
import { sleep } from '../src/common/wait.js';
import { Rados } from '../src/rados/rados.js';
import type { Message } from '../src/msgr2/message.js';

const ci = process.argv.indexOf('-c');
const conf = ci > 0 ? process.argv[ci + 1] : process.env.CEPH_CONF;
const out = process.argv.includes('-o') ? process.argv[process.argv.indexOf('-o') + 1]! : 'fixtures/mon-messages-pacific.msgpack';

const rados = await Rados.connect(conf ? { conf } : {});
const seen: Message[] = [];
rados.monc.on('rx', (m) => seen.push(m));
rados.monc.subscribe('monmap', 0, 0);
rados.monc.subscribe('osdmap', 0, 1);
rados.monc.subscribe('config', 0, 0);
await rados.monc.getVersion('osdmap');
const cmd = await rados.monCommand({ prefix: 'osd pool ls', format: 'json' });
const bad = await rados.monCommand({ prefix: 'osd pool get', pool: 'no-such-pool', var: 'size', format: 'json' });
rados.monc.renewTickets(true);
await sleep(500);
const monDump = execFileSync('ceph', ['-c', rados.config.confPath!, 'mon', 'dump', '--format', 'json'], { encoding: 'utf8' });
rados.shutdown();

writeFileSync(
  out,
  pack({
    format: 1,
    recordedAt: new Date().toISOString(),
    ceph: execFileSync('ceph', ['--version'], { encoding: 'utf8' }).trim(),
    fsid: rados.fsid,
    monDump: JSON.parse(monDump),
    commandResults: { poolLs: { rc: cmd.rc, outbl: cmd.outbl.toString() }, missingPool: { rc: bad.rc, outs: bad.outs } },
    messages: seen.map((m) => ({
      header: { ...m.header, seq: m.header.seq.toString(), tid: m.header.tid.toString(), ackSeq: m.header.ackSeq.toString() },
      front: Buffer.from(m.front),
      middle: Buffer.from(m.middle),
      data: Buffer.from(m.data),
    })),
  }),
);
console.error(`wrote ${out}: ${seen.map((m) => m.header.type).join(',')}`);
