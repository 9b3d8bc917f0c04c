// rbd-ts's import and export in a long-lived process (a Glance store, a Nova handler): one
// connection, one warm-up round, then `rounds` timed rounds of importImage(file) and
// exportImage(image, '-') with stdout on /dev/null. Only the transfer is timed (no process
// start, no connect); CPU is process.cpuUsage over the transfer (every thread of the process).
// The python3-rbd counterpart is PY_IN_PROCESS in import-export.ts. Results: one JSON line per
// timed transfer, appended to OUT.
//
//   node --import=tsx bench/xfer-in-process.ts CONF POOL SRC IMAGE_PREFIX ROUNDS OUT  (stdout > /dev/null)

import { appendFileSync } from 'node:fs';
import { Rados } from '../src/rados/rados.js';
import { Image, RBD } from '../src/rbd/index.js';
import { exportImage, importImage } from '../src/rbd/import-export.js';

const [conf, pool, src, prefix, roundsArg, out] = process.argv.slice(2);
if (!conf || !pool || !src || !prefix || !roundsArg || !out) throw new Error('usage: xfer-in-process.ts CONF POOL SRC IMAGE_PREFIX ROUNDS OUT');
const rounds = Number(roundsArg);

const rados = await Rados.connect({ conf });
try {
  const io = await rados.openIoctx(pool);
  for (let r = 0; r <= rounds; r++) {
    const name = `${prefix}-${r}`;
    let cpu = process.cpuUsage();
    let t0 = performance.now();
    await importImage(io, name, src);
    const imp = { seconds: (performance.now() - t0) / 1000, cpu: process.cpuUsage(cpu) };
    const img = await Image.open(io, name, { readOnly: true });
    cpu = process.cpuUsage();
    t0 = performance.now();
    const bytes = await exportImage(img, '-');
    const exp = { seconds: (performance.now() - t0) / 1000, cpu: process.cpuUsage(cpu) };
    await img.close();
    await RBD.remove(io, name);
    if (r === 0) continue; // warm-up: V8 compiles the hot paths, the pools fill
    for (const [op, x] of [
      ['import', imp],
      ['export -', exp],
    ] as const) {
      appendFileSync(
        out,
        JSON.stringify({
          op,
          bytes,
          seconds: x.seconds,
          cpuSeconds: (x.cpu.user + x.cpu.system) / 1e6,
          peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
        }) + '\n',
      );
    }
  }
} finally {
  rados.shutdown();
}
