// msgr2 frame throughput: crc mode and secure mode (AES-128-GCM), encode + decode of a
// MESSAGE frame with a data segment of the given size. Prints MB/s.
//
//   node --import=tsx bench/frames.ts

import { randomBytes } from 'node:crypto';
import { FrameCodec } from '../src/msgr2/frame-codec.js';
import { Tag } from '../src/msgr2/frames.js';

export interface FrameFigure {
  mode: 'crc' | 'secure';
  size: number;
  encodeGBs: number;
  decodeGBs: number;
}

function mirror(secret: Buffer): Buffer {
  return Buffer.concat([secret.subarray(0, 16), secret.subarray(28, 40), secret.subarray(16, 28), secret.subarray(40)]);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export function benchFrames(sizes = [4096, 65536, 4 << 20], seconds = 0.4): FrameFigure[] {
  const out: FrameFigure[] = [];
  for (const mode of ['crc', 'secure'] as const) {
    for (const size of sizes) {
      const secret = randomBytes(64);
      const header = randomBytes(41);
      const front = randomBytes(200);
      const data = randomBytes(size);
      const enc: number[] = [];
      const dec: number[] = [];
      for (let rep = 0; rep < 5; rep++) {
        const tx = new FrameCodec();
        const rx = new FrameCodec();
        if (mode === 'secure') {
          tx.enableSecure(secret);
          rx.enableSecure(mirror(secret));
        }
        // the pieces are what the socket gets: no concatenation
        let bytes = 0;
        let t0 = performance.now();
        while (performance.now() - t0 < seconds * 1000) {
          tx.encode(Tag.MESSAGE, [header, front, Buffer.alloc(0), data], [8, 8, 8, 4096]);
          bytes += size;
        }
        enc.push(bytes / ((performance.now() - t0) / 1000) / 1e9);
        // decode: re-encode a fixed batch in order so the rx nonces line up
        const tx2 = new FrameCodec();
        const rx2 = new FrameCodec();
        if (mode === 'secure') {
          tx2.enableSecure(secret);
          rx2.enableSecure(mirror(secret));
        }
        const batch = Array.from({ length: Math.max(4, Math.min(256, (64 << 20) / size)) }, () =>
          Buffer.concat(tx2.encode(Tag.MESSAGE, [header, front, Buffer.alloc(0), data], [8, 8, 8, 4096])),
        );
        t0 = performance.now();
        for (const w of batch) {
          const first = w.subarray(0, rx2.preambleBlockLen);
          const { preamble, inline } = rx2.readPreamble(first);
          rx2.readRest(preamble, w.subarray(first.length), inline);
        }
        dec.push((batch.length * size) / ((performance.now() - t0) / 1000) / 1e9);
        void rx;
      }
      out.push({ mode, size, encodeGBs: median(enc), decodeGBs: median(dec) });
    }
  }
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log('mode    size       encode GB/s  decode GB/s');
  for (const f of benchFrames()) {
    console.log(`${f.mode.padEnd(7)} ${String(f.size).padEnd(10)} ${f.encodeGBs.toFixed(2).padStart(11)}  ${f.decodeGBs.toFixed(2).padStart(11)}`);
  }
}
