// Issue 13 §5: for each release of the matrix, on a throwaway cluster of that release (1 mon,
// 1 memstore OSD): the connect time (mon session, cephx, the first OSDMap) and the clone p50
// (format 2, a protected snapshot of an 8 MiB parent), rbd-ts in this process beside that
// release's python3-rados / python3-rbd, interleaved, in one run.
//
//   npm run bench -- --suites releases [--releases pacific,reef,tentacle] [--n 20]

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cryptoKeyTypeName } from '../src/config/crypto-key.js';
import { Rados } from '../src/rados/rados.js';
import { Image, RBD } from '../src/rbd/index.js';
import { startCluster, useRelease } from '../test/helpers/cluster.js';
import { librbdProcess } from '../test/helpers/librbd.js';
import { summarize, type Summary } from './connect.js';
import { LibrbdDriver } from './librbd-driver.js';

export interface ReleaseRow {
  release: string;
  ceph: string;
  keyType: string;
  connect: { rbdts: Summary; librados: Summary };
  clone: { rbdts: Summary; librbd: Summary };
}

// python3-rados: connect + the first OSDMap, timed in python
const PY_CONNECT = `
import time
out = []
for i in range(A['n'] + 3):
    t0 = time.perf_counter()
    r = rados.Rados(conffile=A['conf'])
    r.connect()
    r.wait_for_latest_osdmap()
    t1 = time.perf_counter()
    r.shutdown()
    if i >= 3: out.append((t1 - t0) * 1000)
emit(out)
`;

export async function benchReleases(releases: string[], n: number, log: (line: string) => void): Promise<ReleaseRow[]> {
  const rows: ReleaseRow[] = [];
  for (const release of releases) {
    useRelease(release);
    const cluster = await startCluster({ osds: 1 });
    const work = mkdtempSync(join(tmpdir(), 'rbd-ts-bench-releases-'));
    try {
      const conf = cluster.conf;
      // connect: rbd-ts first, then python3-rados (its own process, one python start-up)
      const mine: number[] = [];
      for (let i = 0; i < n + 3; i++) {
        const t0 = performance.now();
        const r = await Rados.connect({ conf });
        await r.osdmap();
        const dt = performance.now() - t0;
        r.shutdown();
        if (i >= 3) mine.push(dt);
      }
      const py = librbdProcess({ conf }, PY_CONNECT, { n, conf });
      const theirs = await py.next<number[]>(120_000);
      await py.stop();

      // clones, interleaved: rbd-ts in this process, librbd in one long-running python3-rbd process
      const rados = await Rados.connect({ conf });
      const io = await rados.openIoctx('rbd');
      const parent = `rel-parent-${randomBytes(3).toString('hex')}`;
      await RBD.create(io, parent, 8 << 20);
      const img = await Image.open(io, parent);
      await img.write(randomBytes(1 << 20), 0);
      await img.createSnap('snap');
      await img.protectSnap('snap');
      await img.close();
      const chunkFile = join(work, 'chunk');
      writeFileSync(chunkFile, Buffer.alloc(4096, 1));
      const driver = await LibrbdDriver.start({ conf, pool: 'rbd', chunkFile, asok: join(work, 'librbd.asok') });
      const ts: number[] = [];
      const lib: number[] = [];
      for (let i = 0; i < n + 3; i++) {
        const a = `${parent}-ts-${i}`;
        const t0 = performance.now();
        await RBD.clone(io, parent, 'snap', io, a, { cloneFormat: 2 });
        const dt = performance.now() - t0;
        const b = await driver.clone(parent, 'snap', `${parent}-py-${i}`, 2);
        if (i >= 3) {
          ts.push(dt);
          lib.push(b.ms);
        }
        await RBD.remove(io, a);
        await driver.remove(`${parent}-py-${i}`);
      }
      await driver.stop();
      const key = cryptoKeyTypeName(rados.config.key.type);
      rados.shutdown();
      const row: ReleaseRow = {
        release,
        ceph: execFileSync('ceph', ['--version'], { encoding: 'utf8' }).trim().split(' ')[2] ?? '?',
        keyType: key,
        connect: { rbdts: summarize(mine), librados: summarize(theirs) },
        clone: { rbdts: summarize(ts), librbd: summarize(lib) },
      };
      rows.push(row);
      log(
        `${release.padEnd(9)} ${row.ceph.padEnd(8)} ${key.padEnd(8)} connect p50 rbd-ts ${row.connect.rbdts.p50} ms, python3-rados ${row.connect.librados.p50} ms | ` +
          `clone v2 p50 rbd-ts ${row.clone.rbdts.p50} ms, librbd ${row.clone.librbd.p50} ms`,
      );
    } finally {
      await cluster.stop();
      rmSync(work, { recursive: true, force: true });
    }
  }
  return rows;
}

export function releasesTable(rows: ReleaseRow[]): string {
  const lines = ['| release | ceph | key | connect p50 rbd-ts / python3-rados (ms) | clone v2 p50 rbd-ts / librbd (ms) |', '|---|---|---|---:|---:|'];
  for (const r of rows) {
    lines.push(
      `| ${r.release} | ${r.ceph} | ${r.keyType} | ${r.connect.rbdts.p50} / ${r.connect.librados.p50} | ${r.clone.rbdts.p50} / ${r.clone.librbd.p50} |`,
    );
  }
  return lines.join('\n');
}
