// pipeChunks over a real FIFO written by another process (as `cat file | rbd-ts import -`):
// chunk sizes and bytes, the fd closed at the end, flow control against a stalled consumer,
// abort.

import test from 'ava';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fstatSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortError } from '../../src/encoding/errno.js';
import { pipeChunks } from '../../src/rbd/pipe-source.js';

const MiB = 1 << 20;
const dir = mkdtempSync(join(tmpdir(), 'rbd-ts-pipe-test-'));
test.after.always(() => rmSync(dir, { recursive: true, force: true }));

let n = 0;
/** A FIFO that `cat` fills with `data`; the read end, opened once the writer is there. */
function fifoFrom(data: Buffer): { fd: number; writer: ChildProcess } {
  const src = join(dir, `src${n}`);
  const fifo = join(dir, `fifo${n++}`);
  writeFileSync(src, data);
  execFileSync('mkfifo', [fifo]);
  const writer = spawn('sh', ['-c', `exec cat "${src}" > "${fifo}"`], { stdio: 'ignore' });
  return { fd: openSync(fifo, 'r'), writer }; // blocks until cat has the write end
}

const closed = (fd: number) => {
  try {
    fstatSync(fd);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EBADF';
  }
};

test.serial('chunks of the asked size in order, the last shorter; the fd is closed at the end', async (t) => {
  const data = randomBytes(5 * MiB + 12345);
  const { fd } = fifoFrom(data);
  const sizes: number[] = [];
  const got: Buffer[] = [];
  for await (const c of pipeChunks(fd, MiB)) {
    sizes.push(c.length);
    got.push(Buffer.from(c));
  }
  t.deepEqual(sizes, [MiB, MiB, MiB, MiB, MiB, 12345]);
  t.true(Buffer.concat(got).equals(data));
  t.true(closed(fd));
});

test.serial('a consumer that stops taking chunks stops the reads: the writer blocks instead of the data piling up', async (t) => {
  const data = randomBytes(24 * MiB);
  const { fd, writer } = fifoFrom(data);
  const exited = new Promise<void>((resolve) => writer.on('exit', () => resolve()));
  const it = pipeChunks(fd, MiB)[Symbol.asyncIterator]();
  const first = await it.next();
  t.false(first.done);
  // not taking more: at most a few chunks are read ahead, so cat cannot write all 24 MiB
  const finished = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 700))]);
  t.false(finished, 'cat finished: the reads went on while nobody took the chunks');
  const got = [Buffer.from(first.value!)];
  for (let r = await it.next(); !r.done; r = await it.next()) got.push(Buffer.from(r.value));
  t.true(Buffer.concat(got).equals(data));
  await exited;
});

test.serial('an abort ends the chunks with AbortError and closes the fd', async (t) => {
  const { fd, writer } = fifoFrom(randomBytes(16 * MiB));
  const ac = new AbortController();
  let chunks = 0;
  const e = await t.throwsAsync(async () => {
    for await (const _ of pipeChunks(fd, MiB, ac.signal)) if (++chunks === 2) ac.abort();
  });
  t.true(e instanceof AbortError, String(e));
  t.is(chunks, 2);
  t.true(closed(fd));
  writer.kill();
});
