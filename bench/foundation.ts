// The foundation's figures (`npm run bench -- --suites foundation`): connect time rbd-ts vs
// python-rados, msgr2 frame GB/s (crc and secure), shipped CRC-32C GB/s.

import { randomBytes } from 'node:crypto';
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

export async function benchFoundation(conf: string, log: (line: string) => void): Promise<Record<string, unknown>> {
  const crc = crcFigures();
  log('CRC-32C (shipped)   ' + crc.map((c) => `${c.size} B: ${c.GBs} GB/s`).join(', '));
  const frames = benchFrames();
  log('msgr2 frames        mode    size      encode GB/s  decode GB/s');
  for (const f of frames)
    log(`                    ${f.mode.padEnd(7)} ${String(f.size).padEnd(9)} ${f.encodeGBs.toFixed(2).padStart(11)}  ${f.decodeGBs.toFixed(2).padStart(11)}`);
  const connect: Record<string, unknown> = {};
  for (const mode of ['secure', 'crc']) {
    const r = await benchConnect(conf, 30, mode);
    connect[mode] = r;
    log(
      `connect (${mode.padEnd(6)}) ms  rbd-ts p50 ${r.rbdts.p50} p95 ${r.rbdts.p95}  |  python-rados p50 ${r.librados.p50} p95 ${r.librados.p95}  |  rbd-ts/librados ${(r.rbdts.p50 / r.librados.p50).toFixed(2)}`,
    );
  }
  return { crc, frames, connect };
}
