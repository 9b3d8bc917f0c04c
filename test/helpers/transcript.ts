// Record a TCP conversation through a loopback proxy, and replay it as a fake server
// that checks every byte the client sends against the recording.

import { createServer, connect, type Server, type Socket } from 'node:net';

/** dir 0: client → server, 1: server → client */
export interface TranscriptEvent {
  dir: 0 | 1;
  data: Buffer;
}

export interface Recorder {
  port: number;
  events: TranscriptEvent[];
  close(): Promise<void>;
}

/** A proxy on 127.0.0.1 forwarding one connection to host:port and logging both directions. */
export async function recordingProxy(host: string, port: number): Promise<Recorder> {
  const events: TranscriptEvent[] = [];
  const sockets: Socket[] = [];
  const server = createServer((client) => {
    const upstream = connect({ host, port, noDelay: true });
    sockets.push(client, upstream);
    client.setNoDelay(true);
    client.on('data', (d) => {
      events.push({ dir: 0, data: Buffer.from(d) });
      upstream.write(d);
    });
    upstream.on('data', (d) => {
      events.push({ dir: 1, data: Buffer.from(d) });
      client.write(d);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no port');
  return {
    port: addr.port,
    events,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

export interface Replayer {
  port: number;
  /** resolves when the client sent everything recorded (and we sent every reply) */
  done: Promise<void>;
  /** the first byte the client sent that differs from the recording, if any */
  mismatch: () => string | undefined;
  close(): Promise<void>;
}

/**
 * Serve one connection: send each recorded server chunk once the client has sent all the
 * bytes recorded before it; compare the client's bytes with the recording.
 */
export async function replayServer(events: readonly TranscriptEvent[], opts: { strict?: boolean } = {}): Promise<Replayer> {
  const strict = opts.strict ?? true;
  const expected = Buffer.concat(events.filter((e) => e.dir === 0).map((e) => e.data));
  let received = Buffer.alloc(0);
  let mismatch: string | undefined;
  let resolveDone!: () => void;
  let rejectDone!: (e: Error) => void;
  const done = new Promise<void>((res, rej) => {
    resolveDone = res;
    rejectDone = rej;
  });
  done.catch(() => {});
  const sockets: Socket[] = [];
  const server: Server = createServer((sock) => {
    sockets.push(sock);
    sock.setNoDelay(true);
    let i = 0;
    let c2sBefore = 0;
    const pump = () => {
      while (i < events.length) {
        const ev = events[i]!;
        if (ev.dir === 0) {
          if (received.length < c2sBefore + ev.data.length) return;
          c2sBefore += ev.data.length;
          i++;
          continue;
        }
        sock.write(ev.data);
        i++;
      }
      if (received.length >= expected.length) resolveDone();
    };
    sock.on('data', (d) => {
      received = Buffer.concat([received, d]);
      const n = Math.min(received.length, expected.length);
      for (let k = 0; k < n; k++) {
        if (received[k] !== expected[k]) {
          mismatch ??= `client byte ${k} is 0x${received[k]!.toString(16)}, recorded 0x${expected[k]!.toString(16)}`;
          if (!strict) break;
          rejectDone(new Error(mismatch));
          sock.destroy();
          return;
        }
      }
      if (received.length > expected.length) {
        mismatch = `client sent ${received.length - expected.length} bytes more than recorded`;
      }
      pump();
    });
    sock.on('error', () => {});
    pump();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  if (!addr || typeof addr === 'string') throw new Error('no port');
  return {
    port: addr.port,
    done,
    mismatch: () => mismatch,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
