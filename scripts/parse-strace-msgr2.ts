// Rebuilds the msgr2 (crc mode) TCP streams of a traced librados client from an strace log
// and writes the OSD messages it finds (MOSDOp 42, MOSDOpReply 43, MWatchNotify 44) to a
// msgpack fixture, each tagged with the API call that was running when it went out or
// came in. Used by scripts/capture-librados-ops.sh.
//
//   node --import=tsx scripts/parse-strace-msgr2.ts TRACE RESULTS.json OUT.msgpack [ceph-version]
//
// The trace must come from
//   strace -f -o TRACE -e trace=connect,sendmsg,read,readv,recvfrom,write,writev,close -xx -s 20000000
// with every connection in crc mode (ms_mon_client_mode = ms_client_mode = crc). The
// traced program marks its API calls by writing "@@CALL <i> <name>\n" and "@@END <i>\n" to
// fd 2 (one write(2) each).
//
// Stream rebuild: `connect(fd, AF_INET…)` starts a connection on fd (a second connect on
// a fd that has not carried a byte yet, as after EINPROGRESS, is the same connection);
// `close(fd)` ends it. sendmsg/writev/write on a connected fd are client→server (the first
// `ret` bytes of the iovecs); read/readv/recvfrom results are server→client. Each
// direction skips its 26-byte banner, then is split into frames with FrameCodec.

import { readFileSync, writeFileSync } from 'node:fs';
import { pack } from 'msgpackr';
import { FrameCodec, PREAMBLE_LEN } from '../src/msgr2/frame-codec.js';
import { decodeHeader2, type MessageHeader2 } from '../src/msgr2/message.js';

const BANNER_LEN = 26; // "ceph v2\n" + le16 16 + 16 bytes of feature words
const TAG_MESSAGE = 17;
const KEEP = new Set([42, 43, 44]);

export interface CapturedMessage {
  /** 'tx': client → OSD, 'rx': OSD → client */
  dir: 'tx' | 'rx';
  conn: number;
  peerPort: number;
  /** index of the API call (@@CALL) running when the message was completed, or -1 */
  call: number;
  callName: string;
  header: Record<string, string | number>;
  front: Buffer;
  middle: Buffer;
  data: Buffer;
}

class Direction {
  private buf: Buffer = Buffer.alloc(0);
  private bannerLeft = BANNER_LEN;
  private readonly codec = new FrameCodec();
  frames = 0;
  constructor(readonly onMessage: (h: MessageHeader2, front: Buffer, middle: Buffer, data: Buffer) => void) {}

  push(b: Buffer): void {
    this.buf = this.buf.length ? Buffer.concat([this.buf, b]) : b;
    if (this.bannerLeft > 0) {
      const n = Math.min(this.bannerLeft, this.buf.length);
      if (this.bannerLeft === BANNER_LEN && n >= 8 && this.buf.subarray(0, 8).toString('latin1') !== 'ceph v2\n') {
        throw new Error(`stream does not start with the msgr2 banner: ${this.buf.subarray(0, 8).toString('hex')}`);
      }
      this.bannerLeft -= n;
      this.buf = this.buf.subarray(n);
    }
    for (;;) {
      if (this.bannerLeft > 0 || this.buf.length < PREAMBLE_LEN) return;
      const { preamble } = this.codec.readPreamble(this.buf.subarray(0, PREAMBLE_LEN));
      const rest = this.codec.restLen(preamble);
      if (this.buf.length < PREAMBLE_LEN + rest) return;
      const segs = this.codec.readRest(preamble, this.buf.subarray(PREAMBLE_LEN, PREAMBLE_LEN + rest));
      this.buf = this.buf.subarray(PREAMBLE_LEN + rest);
      this.frames++;
      if (!segs || preamble.tag !== TAG_MESSAGE) continue;
      const h = decodeHeader2(segs[0]!);
      const empty = Buffer.alloc(0);
      this.onMessage(h, Buffer.from(segs[1] ?? empty), Buffer.from(segs[2] ?? empty), Buffer.from(segs[3] ?? empty));
    }
  }

  get leftover(): number {
    return this.buf.length;
  }
}

interface Conn {
  id: number;
  fd: number;
  port: number;
  bytes: number;
  tx: Direction;
  rx: Direction;
}

/** "\x63\x65..." → bytes (strace -xx prints every byte as \xHH) */
function unescape(s: string): Buffer {
  const out = Buffer.alloc(s.length / 4);
  let n = 0;
  for (let i = 0; i < s.length; ) {
    if (s[i] === '\\' && s[i + 1] === 'x') {
      out[n++] = parseInt(s.slice(i + 2, i + 4), 16);
      i += 4;
    } else {
      // strace -xx escapes everything; anything else is a format surprise
      throw new Error(`unexpected character ${JSON.stringify(s[i])} in a traced buffer`);
    }
  }
  return out.subarray(0, n);
}

const STR = /"((?:\\x[0-9a-f]{2})*)"(\.\.\.)?/g;

function strings(s: string): Buffer[] {
  const out: Buffer[] = [];
  for (const m of s.matchAll(STR)) {
    if (m[2]) throw new Error('a traced buffer is truncated: raise strace -s');
    out.push(unescape(m[1]!));
  }
  return out;
}

export function parseTrace(text: string): {
  messages: CapturedMessage[];
  connections: Array<{ id: number; port: number; bytes: number; txFrames: number; rxFrames: number }>;
} {
  const pending = new Map<string, string>(); // pid → text of an unfinished call
  const open = new Map<number, Conn>(); // fd → connection
  const all: Conn[] = [];
  const messages: CapturedMessage[] = [];
  let call = -1;
  let callName = '';

  const newConn = (fd: number, port: number): Conn => {
    const id = all.length;
    const mk = (dir: 'tx' | 'rx') =>
      new Direction((h, front, middle, data) => {
        if (!KEEP.has(h.type)) return;
        messages.push({
          dir,
          conn: id,
          peerPort: port,
          call,
          callName,
          header: { ...h, seq: h.seq.toString(), tid: h.tid.toString(), ackSeq: h.ackSeq.toString() },
          front,
          middle,
          data,
        });
      });
    const c: Conn = { id, fd, port, bytes: 0, tx: mk('tx'), rx: mk('rx') };
    all.push(c);
    return c;
  };

  for (const raw of text.split('\n')) {
    if (!raw) continue;
    const pm = /^(?:\[pid\s+)?(\d+)\]?\s+(.*)$/.exec(raw);
    if (!pm) continue;
    const pid = pm[1]!;
    let line = pm[2]!;
    if (line.startsWith('+++') || line.startsWith('---')) continue;
    const unf = / <unfinished \.\.\.>$/.exec(line);
    if (unf) {
      pending.set(pid, line.slice(0, unf.index));
      continue;
    }
    const res = /^<\.\.\. (\w+) resumed>(.*)$/.exec(line);
    if (res) {
      const head = pending.get(pid);
      pending.delete(pid);
      if (head === undefined) continue; // started before tracing began
      line = head + res[2]!;
    }
    const cm = /^(\w+)\((\d+),?(.*)\)\s+=\s+(-?\d+|\?)/.exec(line);
    if (!cm) continue;
    const [, sys, fdS, args, retS] = cm as unknown as [string, string, string, string, string];
    const fd = Number(fdS);
    const ret = retS === '?' ? -1 : Number(retS);
    switch (sys) {
      case 'connect': {
        const port = /sa_family=AF_INET6?, sin6?_port=htons\((\d+)\)/.exec(args);
        if (!port) break;
        const cur = open.get(fd);
        if (cur && cur.bytes === 0 && cur.port === Number(port[1])) break; // the EINPROGRESS retry
        open.set(fd, newConn(fd, Number(port[1])));
        break;
      }
      case 'close':
        open.delete(fd);
        break;
      case 'write':
      case 'sendmsg':
      case 'writev': {
        if (sys === 'write' && fd === 2 && ret > 0) {
          const t = strings(args)[0]?.toString('utf8') ?? '';
          const m = /^@@CALL (\d+) (\S+)/.exec(t);
          if (m) {
            call = Number(m[1]);
            callName = m[2]!;
          } else if (/^@@END /.test(t)) {
            call = -1;
            callName = '';
          }
          break;
        }
        const c = open.get(fd);
        if (!c || ret <= 0) break;
        const b = Buffer.concat(strings(args)).subarray(0, ret);
        if (b.length !== ret) throw new Error(`${sys} on fd ${fd} returned ${ret} but the trace shows ${b.length} bytes`);
        c.bytes += ret;
        c.tx.push(b);
        break;
      }
      case 'read':
      case 'readv':
      case 'recvfrom': {
        const c = open.get(fd);
        if (!c || ret <= 0) break;
        const b = Buffer.concat(strings(args)).subarray(0, ret);
        if (b.length !== ret) throw new Error(`${sys} on fd ${fd} returned ${ret} but the trace shows ${b.length} bytes`);
        c.bytes += ret;
        c.rx.push(b);
        break;
      }
    }
  }
  return {
    messages,
    connections: all.map((c) => ({ id: c.id, port: c.port, bytes: c.bytes, txFrames: c.tx.frames, rxFrames: c.rx.frames })),
  };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].replace(/^.*\//, ''))) {
  const [tracePath, resultsPath, outPath, cephVersion] = process.argv.slice(2);
  if (!tracePath || !resultsPath || !outPath) {
    console.error('usage: parse-strace-msgr2.ts TRACE RESULTS.json OUT.msgpack [ceph-version]');
    process.exit(2);
  }
  const { messages, connections } = parseTrace(readFileSync(tracePath, 'latin1'));
  const results = JSON.parse(readFileSync(resultsPath, 'utf8')) as Record<string, unknown>;
  const fixture = {
    format: 1,
    recordedAt: new Date().toISOString(),
    ceph: cephVersion ?? '',
    ...results,
    messages,
  };
  const out = pack(fixture);
  writeFileSync(outPath, out);
  for (const c of connections) console.error(`conn ${c.id}: port ${c.port}, ${c.bytes} bytes, ${c.txFrames} frames out, ${c.rxFrames} in`);
  const count = (t: number) => messages.filter((m) => Number(m.header.type) === t).length;
  console.error(`wrote ${outPath} (${out.length} bytes): ${count(42)} MOSDOp, ${count(43)} MOSDOpReply, ${count(44)} MWatchNotify`);
}
