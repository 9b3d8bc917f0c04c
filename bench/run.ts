// `npm run bench`: the foundation's figures in one run, on the cluster CEPH_CONF names or
// on a throwaway one started (and stopped) here: connect time rbd-ts vs python-rados,
// msgr2 frame GB/s (crc and secure), shipped CRC-32C GB/s. Writes bench/results/*.json.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { arch, cpus } from 'node:os';
import { crc32c } from '../src/encoding/crc32c.js';
import { benchConnect } from './connect.js';
import { benchFrames } from './frames.js';

function crcFigures(): Array<{ size: number; GBs: number }> {
  const out = [];
  for (const size of [41, 4096, 65536, 4 << 20]) {
    const buf = randomBytes(size + 1).subarray(1);
    const samples: number[] = [];
    for (let rep = 0; rep < 7; rep++) {
      let bytes = 0;
      const t0 = performance.now();
      while (performance.now() - t0 < 100) {
        crc32c(0xffffffff, buf);
        bytes += size;
      }
      samples.push(bytes / ((performance.now() - t0) / 1000) / 1e9);
    }
    samples.sort((a, b) => a - b);
    out.push({ size, GBs: Math.round(samples[3]! * 100) / 100 });
  }
  return out;
}

let dir: string | undefined;
let conf = process.env.CEPH_CONF;
if (!conf) {
  const out = execFileSync('bash', ['scripts/cluster.sh', 'start', '--mons', '1', '--osds', '1', '--owner-pid', String(process.pid)], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  dir = out.trim().split('\n').pop()!;
  conf = `${dir}/ceph.conf`;
}
try {
  const crc = crcFigures();
  console.log('CRC-32C (shipped)   ' + crc.map((c) => `${c.size} B: ${c.GBs} GB/s`).join(', '));
  const frames = benchFrames();
  console.log('msgr2 frames        mode    size      encode GB/s  decode GB/s');
  for (const f of frames) console.log(`                    ${f.mode.padEnd(7)} ${String(f.size).padEnd(9)} ${f.encodeGBs.toFixed(2).padStart(11)}  ${f.decodeGBs.toFixed(2).padStart(11)}`);
  const connect: Record<string, unknown> = {};
  for (const mode of ['secure', 'crc']) {
    const r = await benchConnect(conf, 30, mode);
    connect[mode] = r;
    console.log(
      `connect (${mode.padEnd(6)}) ms  rbd-ts p50 ${r.rbdts.p50} p95 ${r.rbdts.p95}  |  python-rados p50 ${r.librados.p50} p95 ${r.librados.p95}  |  rbd-ts/librados ${(r.rbdts.p50 / r.librados.p50).toFixed(2)}`,
    );
  }
  mkdirSync('bench/results', { recursive: true });
  const file = `bench/results/foundation-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
  writeFileSync(
    file,
    JSON.stringify({ node: process.version, arch: arch(), cpu: cpus()[0]?.model, cores: cpus().length, crc, frames, connect }, null, 2),
  );
  console.log(`wrote ${file}`);
} finally {
  if (dir) execFileSync('bash', ['scripts/cluster.sh', 'stop', dir], { stdio: 'inherit' });
}
