// Connect time in process (connect + cephx + monmap), rbd-ts against python-rados
// (python3-rados of the release under test) on the same cluster in the same run.
//
//   node --import=tsx bench/connect.ts -c /path/to/ceph.conf [-n 30]

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Rados } from '../src/rados/rados.js';
import { python } from '../test/helpers/librbd.js';

const run = promisify(execFile);

export interface Summary {
  n: number;
  min: number;
  p50: number;
  p95: number;
  max: number;
}

export function summarize(xs: number[]): Summary {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * (s.length - 1) + 0.5))]!;
  const r = (x: number) => Math.round(x * 100) / 100;
  return { n: s.length, min: r(s[0]!), p50: r(q(0.5)), p95: r(q(0.95)), max: r(s[s.length - 1]!) };
}

const PY = `
import sys, time, json, rados
conf, n, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
out = []
for i in range(n + 3):
    t0 = time.perf_counter()
    r = rados.Rados(conffile=conf, conf={'ms_mon_client_mode': mode})
    r.connect()
    t1 = time.perf_counter()
    r.shutdown()
    if i >= 3: out.append((t1 - t0) * 1000)
print(json.dumps(out))
`;

export async function benchConnect(conf: string, n = 30, mode = 'secure'): Promise<{ rbdts: Summary; librados: Summary }> {
  const mine: number[] = [];
  for (let i = 0; i < n + 3; i++) {
    const t0 = performance.now();
    const r = await Rados.connect({ conf, options: { ms_mon_client_mode: mode } });
    const dt = performance.now() - t0;
    r.shutdown();
    if (i >= 3) mine.push(dt);
  }
  const py = await run(python(), ['-c', PY, conf, String(n), mode], { maxBuffer: 1 << 20 });
  return { rbdts: summarize(mine), librados: summarize(JSON.parse(py.stdout) as number[]) };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const ci = process.argv.indexOf('-c');
  const conf = ci > 0 ? process.argv[ci + 1]! : process.env.CEPH_CONF;
  if (!conf) throw new Error('usage: bench/connect.ts -c ceph.conf');
  const ni = process.argv.indexOf('-n');
  const n = ni > 0 ? Number(process.argv[ni + 1]) : 30;
  for (const mode of ['secure', 'crc']) {
    const r = await benchConnect(conf, n, mode);
    console.log(
      `connect (${mode}) ms   rbd-ts p50 ${r.rbdts.p50} p95 ${r.rbdts.p95} | python-rados p50 ${r.librados.p50} p95 ${r.librados.p95} | ratio ${(r.rbdts.p50 / r.librados.p50).toFixed(2)}`,
    );
  }
}
