// Records msgr2 + cephx sessions with a real cluster into fixtures/handshake-<release>.msgpack:
// every byte both ways (through a loopback proxy) and every random value the client
// used, so test/unit/handshake-replay.test.ts can replay them without a cluster.
//
//   node --import=tsx scripts/capture-handshake.ts -c /path/to/ceph.conf [-o fixtures/handshake-tentacle.msgpack]

import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { pack } from 'msgpackr';
import { CephxClient } from '../src/auth/cephx.js';
import { sleep } from '../src/common/wait.js';
import { ENTITY_TYPE_NUMBERS } from '../src/config/entity-name.js';
import { AddrType, makeAddr } from '../src/encoding/types.js';
import { ConMode } from '../src/msgr2/auth-handler.js';
import { CEPH_FEATURES_ALL } from '../src/msgr2/features.js';
import { Rados } from '../src/rados/rados.js';
import { recordingProxy } from '../test/helpers/transcript.js';
import { runSession, type SessionSpec } from '../test/helpers/handshake-session.js';

const confIdx = process.argv.indexOf('-c');
const conf = confIdx > 0 ? process.argv[confIdx + 1] : process.env.CEPH_CONF;
const out = process.argv.includes('-o') ? process.argv[process.argv.indexOf('-o') + 1]! : 'fixtures/handshake-pacific.msgpack';

const rados = await Rados.connect(conf ? { conf } : {});
const fsid = rados.fsid;
const osds = (
  await rados.monCommandJson<{ osds: Array<{ osd: number; up: number; public_addrs: { addrvec: Array<{ type: string; addr: string; nonce: number }> } }> }>({
    prefix: 'osd dump',
  })
).osds;
const osd = osds.find((o) => o.up)!;
const osdV2 = osd.public_addrs.addrvec.find((a) => a.type === 'v2')!;
const session = rados.monc.session!;
const monAddr = session.addr;
rados.shutdown();

const random: Buffer[] = [];
const recordingRandom = (n: number) => {
  const b = randomBytes(n);
  random.push(Buffer.from(b));
  return b;
};
const cx = new CephxClient({ type: ENTITY_TYPE_NUMBERS[rados.config.name.type]!, id: rados.config.name.id }, rados.config.key, recordingRandom);
const myNonce = 0x1234567;
const [osdIp, osdPort] = [osdV2.addr.slice(0, osdV2.addr.lastIndexOf(':')), Number(osdV2.addr.slice(osdV2.addr.lastIndexOf(':') + 1))];
const osdAddr = makeAddr(AddrType.MSGR2, osdIp, osdPort, osdV2.nonce);

const specs: SessionSpec[] = [
  { kind: 'mon', peer: monAddr, modes: [ConMode.CRC], globalSeq: 1n, gid: -1n },
  { kind: 'osd', peer: osdAddr, modes: [ConMode.CRC], globalSeq: 2n, gid: 0n },
  { kind: 'mon', peer: monAddr, modes: [ConMode.SECURE], globalSeq: 3n, gid: -1n },
  { kind: 'osd', peer: osdAddr, modes: [ConMode.SECURE], globalSeq: 4n, gid: 0n },
];
const sessions = [];
for (const spec of specs) {
  if (spec.kind === 'osd') spec.gid = cx.globalId;
  const proxy = await recordingProxy(spec.peer.ip, spec.peer.port);
  const r = await runSession(cx, spec, myNonce, fsid, { host: '127.0.0.1', port: proxy.port });
  await sleep(100);
  await proxy.close();
  console.error(
    `${spec.kind} ${spec.modes}: mode ${r.conMode}, global_id ${r.globalId}, ${proxy.events.length} chunks${r.ack ? `, ack rc ${r.ack.r} ${r.ack.outbl.toString()}` : ''}`,
  );
  sessions.push({
    kind: spec.kind,
    peer: spec.peer,
    modes: spec.modes,
    globalSeq: spec.globalSeq.toString(),
    gid: spec.gid.toString(),
    conMode: r.conMode,
    globalId: r.globalId.toString(),
    ack: r.ack ? { r: r.ack.r, rs: r.ack.rs, outbl: r.ack.outbl.toString('utf8') } : undefined,
    events: proxy.events.map((e) => ({ dir: e.dir, data: e.data })),
  });
}
let ceph = 'unknown';
try {
  ceph = execFileSync('ceph', ['--version'], { encoding: 'utf8' }).trim();
} catch {
  /* not installed here */
}
writeFileSync(
  out,
  pack({
    format: 1,
    recordedAt: new Date().toISOString(),
    ceph,
    name: { type: rados.config.name.type, id: rados.config.name.id },
    keyType: rados.config.key.type,
    features: CEPH_FEATURES_ALL.toString(),
    secret: rados.config.key.secret,
    fsid,
    myNonce,
    random,
    sessions,
  }),
);
console.error(`wrote ${out}`);
