// One msgr2.1 client connection, lossy policy (what librados uses towards mons and OSDs):
// banner → HELLO → AUTH → AUTH_SIGNATURE → CLIENT_IDENT/SERVER_IDENT → READY. Any
// error closes the connection; the owner (MonClient, OSD session) opens a new one and
// resends what is unanswered (src/msg/async/ProtocolV2.cc; docs/protocol.md §4).

import { EventEmitter } from 'node:events';
import { connect as netConnect, type Socket } from 'node:net';
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { AbortError, CephError, DecodeError, cephError, errnoNumber, strerror } from '../encoding/errno.js';
import { AddrType, addrToString, EntityType, entityTypeName, utimeNow, type EntityAddr, type UTime } from '../encoding/types.js';
import { withDeadline } from '../common/wait.js';
import { ConMode, modeName, type AuthHandler } from './auth-handler.js';
import { BANNER_PREFIX_LEN, Msgr2Feature, bannerCompatible, decodeBannerPayload, decodeBannerPrefix, encodeBanner } from './banner.js';
import { CEPH_FEATURES_ALL, CEPH_FEATURES_REQUIRED } from './features.js';
import { DATA_ALIGN, DEFAULT_ALIGN, FrameCodec, type Frame } from './frame-codec.js';
import * as F from './frames.js';
import { Tag, tagName } from './frames.js';
import { HEADER2_LEN, decodeHeader2, encodeHeader2, header2For, type Message, type OutMessage } from './message.js';
import { SocketReader } from './socket-reader.js';

export interface ConnectionOptions {
  /** the peer's msgr2 address, nonce included (it must match the server's bound address) */
  peer: EntityAddr;
  /** the entity type the peer must announce in HELLO (EntityType.MON, OSD, MGR) */
  peerType: number;
  auth: AuthHandler;
  /** CEPH_CON_MODE_* in order of preference */
  modes: readonly number[];
  /** this client's process nonce (the same on every connection) */
  myNonce: number;
  /** per-process connection counter */
  globalSeq: bigint;
  /** CLIENT_IDENT gid: -1 before the global_id is known (mon), the global_id otherwise */
  gid: bigint;
  supportedFeatures?: bigint;
  requiredFeatures?: bigint;
  /** handshake deadline (ms_connection_ready_timeout, 10 s) */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** TCP endpoint when it differs from `peer` (a proxy or a recorded-session replayer) */
  connectTo?: { host: string; port: number };
  /**
   * ms_inject_socket_failures: fail the connection on one frame read or written in N, at
   * random (0: never), as Ceph's messenger does for its fault tests
   */
  injectSocketFailures?: number;
}

export interface ConnectionEvents {
  message: [Message];
  keepaliveAck: [UTime];
  close: [Error | undefined];
}

const MSGR2_SUPPORTED: bigint = Msgr2Feature.REVISION_1;

function hmacSha256(key: Buffer, chunks: readonly Buffer[]): Buffer {
  const h = createHmac('sha256', key);
  for (const c of chunks) h.update(c);
  return h.digest();
}

export class Connection extends EventEmitter<ConnectionEvents> {
  private readonly socket: Socket;
  private readonly reader: SocketReader;
  private readonly codec = new FrameCodec();
  private txLog: Buffer[] | undefined = [];
  private outSeq = 0n;
  private inSeq = 0n;
  private closed = false;
  private closeError: Error | undefined;
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  /** negotiated: supported features of both sides */
  features = 0n;
  conMode: number = ConMode.UNKNOWN;
  globalId = 0n;
  /** our address as the peer sees it (from its HELLO) */
  myAddr: EntityAddr | undefined;
  peerIdent: F.ServerIdent | undefined;
  /** ms timestamp of the last bytes received */
  lastRx = Date.now();
  readonly connectedAt = Date.now();

  private constructor(readonly opts: ConnectionOptions) {
    super();
    const to = opts.connectTo ?? { host: opts.peer.ip, port: opts.peer.port };
    this.reader = new SocketReader();
    this.reader.log = [];
    this.reader.onBytes = () => {
      this.lastRx = Date.now();
    };
    this.socket = netConnect({ host: to.host, port: to.port, noDelay: true, onread: this.reader.onread });
    this.reader.attach(this.socket);
    this.socket.on('error', (err) => this.fault(this.wrapSocketError(err)));
    this.socket.on('close', () => this.fault(cephError('ECONNRESET', 'connection closed by peer', { op: 'msgr2', target: this.peerName })));
  }

  get peerName(): string {
    return `${entityTypeName(this.opts.peerType)} ${addrToString(this.opts.peer)}`;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** bytes queued in the socket not yet handed to the kernel */
  get writableLength(): number {
    return this.socket.writableLength;
  }

  private wrapSocketError(err: NodeJS.ErrnoException): CephError {
    const code = err.code && /^E[A-Z]+$/.test(err.code) ? err.code : 'EIO';
    let n: number;
    try {
      n = errnoNumber(code);
    } catch {
      n = errnoNumber('EIO');
    }
    return new CephError(n, err.message, { op: 'connect', target: this.peerName, cause: err });
  }

  /** Open a connection and run the handshake up to READY. */
  static async open(opts: ConnectionOptions): Promise<Connection> {
    if (opts.signal?.aborted) throw new AbortError('connect', opts.signal.reason);
    const c = new Connection(opts);
    try {
      await withDeadline(c.handshake(), 'connect', { timeoutMs: opts.timeoutMs ?? 10_000, signal: opts.signal }, c.peerName);
      c.readLoop();
      return c;
    } catch (e) {
      c.close(e as Error);
      throw e;
    }
  }

  private async waitConnected(): Promise<void> {
    if (!this.socket.connecting) return;
    await new Promise<void>((resolve, reject) => {
      const ok = () => {
        this.socket.off('error', bad);
        resolve();
      };
      const bad = (err: NodeJS.ErrnoException) => {
        this.socket.off('connect', ok);
        reject(this.wrapSocketError(err));
      };
      this.socket.once('connect', ok);
      this.socket.once('error', bad);
    });
  }

  /** ms_inject_socket_failures: one read or write in N fails the connection (shortly after). */
  private maybeInjectFailure(): void {
    const n = this.opts.injectSocketFailures;
    if (!n || randomInt(n) !== 0) return;
    const err = cephError('ECONNRESET', 'injected socket failure (ms_inject_socket_failures)', { op: 'msgr2', target: addrToString(this.opts.peer) });
    setImmediate(() => this.fault(err));
  }

  private write(pieces: readonly Buffer[]): void {
    if (this.closed) throw this.closeError ?? cephError('EPROTO', 'connection closed', { op: 'msgr2', target: addrToString(this.opts.peer) });
    this.maybeInjectFailure();
    if (this.txLog) for (const p of pieces) this.txLog.push(Buffer.from(p));
    // frames written during one turn of the event loop leave in one writev
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      setImmediate(this.uncork);
    }
    for (const p of pieces) this.socket.write(p);
  }

  private writeFrame(tag: number, segs: Parameters<FrameCodec['encode']>[1], aligns?: readonly number[]): void {
    this.write(this.codec.encode(tag, segs, aligns));
  }

  /**
   * A frame as a record for the reader: `restLen` parses the preamble as soon as it is here
   * (so the rest is read into its own buffer), `frame` checks and splits the rest (undefined
   * for a frame the sender aborted, which is discarded).
   */
  private frameRecord(): { restLen: (block: Buffer) => number; bulkOffset: () => number; frame: (rest: Buffer) => Frame | undefined } {
    let first: ReturnType<FrameCodec['readPreamble']> | undefined;
    return {
      restLen: (block) => {
        first = this.codec.readPreamble(block);
        return this.codec.restLen(first.preamble);
      },
      bulkOffset: () => this.codec.bulkOffset(first!.preamble),
      frame: (rest) => {
        const { preamble, inline } = first!;
        const segments = this.codec.readRest(preamble, rest, inline);
        return segments && { tag: preamble.tag, segments };
      },
    };
  }

  private async readFrame(): Promise<Frame> {
    const r = this.frameRecord();
    for (;;) {
      const [, rest] = await this.reader.readRecord(this.codec.preambleBlockLen, r.restLen);
      this.maybeInjectFailure();
      const f = r.frame(rest);
      if (f) return f;
    }
  }

  private async handshake(): Promise<void> {
    const { opts } = this;
    await this.waitConnected();

    // banner
    const mine = { supported: MSGR2_SUPPORTED, required: Msgr2Feature.REVISION_1 };
    this.write([encodeBanner(mine)]);
    const prefix = await this.reader.read(BANNER_PREFIX_LEN);
    const payloadLen = decodeBannerPrefix(prefix);
    const peerBanner = decodeBannerPayload(await this.reader.read(payloadLen));
    if (!bannerCompatible(mine, peerBanner)) {
      throw cephError(
        'EPROTO',
        `msgr2 feature mismatch: peer supports 0x${peerBanner.supported.toString(16)}, requires 0x${peerBanner.required.toString(16)}`,
        { op: 'msgr2', target: addrToString(opts.peer) },
      );
    }

    // HELLO
    this.writeFrame(Tag.HELLO, [F.encodeHello({ entityType: EntityType.CLIENT, peerAddr: opts.peer })]);
    const hello = await this.expect(Tag.HELLO);
    const peerHello = F.decodeHello(hello.segments[0]!);
    if (peerHello.entityType !== opts.peerType) {
      throw cephError('EPROTO', `expected a ${entityTypeName(opts.peerType)}, peer is a ${entityTypeName(peerHello.entityType)}`, {
        op: 'msgr2',
        target: addrToString(opts.peer),
      });
    }
    this.myAddr = { ...peerHello.peerAddr, type: AddrType.ANY, nonce: opts.myNonce, port: 0 };

    // AUTH
    this.writeFrame(Tag.AUTH_REQUEST, [F.encodeAuthRequest({ method: opts.auth.method, preferredModes: [...opts.modes], payload: opts.auth.buildRequest() })]);
    let sessionKey: Buffer;
    let connectionSecret: Buffer | undefined;
    for (;;) {
      const f = await this.readFrame();
      if (f.tag === Tag.AUTH_REPLY_MORE) {
        const more = opts.auth.handleMore(F.decodeAuthMore(f.segments[0]!));
        this.writeFrame(Tag.AUTH_REQUEST_MORE, [F.encodeAuthMore(more)]);
      } else if (f.tag === Tag.AUTH_BAD_METHOD) {
        throw this.badMethodError(F.decodeAuthBadMethod(f.segments[0]!));
      } else if (f.tag === Tag.AUTH_DONE) {
        const done = F.decodeAuthDone(f.segments[0]!);
        if (!opts.modes.includes(done.conMode)) {
          throw cephError('EPROTO', `peer chose connection mode ${done.conMode}, not one we offered`, { op: 'msgr2', target: addrToString(opts.peer) });
        }
        const r = opts.auth.handleDone(done.globalId, done.conMode, done.payload);
        sessionKey = r.sessionKey;
        connectionSecret = r.connectionSecret;
        this.globalId = done.globalId;
        this.conMode = done.conMode;
        break;
      } else {
        throw cephError('EPROTO', `unexpected ${tagName(f.tag)} during authentication`, { op: 'msgr2', target: addrToString(opts.peer) });
      }
    }
    const rxLog = this.reader.log!;
    const txLog = this.txLog!;
    this.reader.log = undefined;
    this.txLog = undefined;
    if (this.conMode === ConMode.SECURE) this.codec.enableSecure(connectionSecret!);

    // AUTH_SIGNATURE: HMAC-SHA256(session key, everything received / sent so far)
    this.writeFrame(Tag.AUTH_SIGNATURE, [hmacSha256(sessionKey, rxLog)]);
    const sigFrame = await this.expect(Tag.AUTH_SIGNATURE);
    const sig = F.decodeAuthSignature(sigFrame.segments[0]!);
    const want = hmacSha256(sessionKey, txLog);
    if (!timingSafeEqual(sig, want)) {
      throw cephError('EACCES', 'peer AUTH_SIGNATURE does not match what we sent', { op: 'auth', target: this.peerName });
    }

    // IDENT
    const supported = opts.supportedFeatures ?? CEPH_FEATURES_ALL;
    this.writeFrame(Tag.CLIENT_IDENT, [
      F.encodeClientIdent({
        addrs: [this.myAddr],
        targetAddr: opts.peer,
        gid: opts.gid,
        globalSeq: opts.globalSeq,
        supportedFeatures: supported,
        requiredFeatures: opts.requiredFeatures ?? CEPH_FEATURES_REQUIRED,
        flags: F.IDENT_FLAG_LOSSY,
        clientCookie: 0n,
      }),
    ]);
    for (;;) {
      const f = await this.readFrame();
      if (f.tag === Tag.SERVER_IDENT) {
        const ident = F.decodeServerIdent(f.segments[0]!);
        this.peerIdent = ident;
        if ((ident.requiredFeatures & supported) !== ident.requiredFeatures) {
          throw cephError('EOPNOTSUPP', `peer requires features 0x${(ident.requiredFeatures & ~supported).toString(16)}`, {
            op: 'connect',
            target: this.peerName,
          });
        }
        this.features = ident.supportedFeatures & supported;
        return;
      }
      if (f.tag === Tag.IDENT_MISSING_FEATURES) {
        const missing = F.decodeIdentMissingFeatures(f.segments[0]!);
        throw cephError('EOPNOTSUPP', `peer requires features we lack: 0x${missing.toString(16)}`, { op: 'connect', target: this.peerName });
      }
      if (f.tag === Tag.WAIT) {
        throw cephError('EAGAIN', 'peer asked us to wait (WAIT)', { op: 'connect', target: this.peerName });
      }
      if (f.tag === Tag.KEEPALIVE2_ACK || f.tag === Tag.ACK) continue;
      throw cephError('EPROTO', `unexpected ${tagName(f.tag)} while waiting for SERVER_IDENT`, { op: 'msgr2', target: addrToString(opts.peer) });
    }
  }

  private badMethodError(b: F.AuthBadMethod): CephError {
    const modes = (l: readonly number[]) => l.map(modeName).join(',');
    if (-b.result === errnoNumber('EOPNOTSUPP') || !b.allowedModes.some((m) => this.opts.modes.includes(m))) {
      // librados reports a mode mismatch as a failed authentication (EACCES)
      return cephError('EACCES', `no connection mode in common: we offer [${modes(this.opts.modes)}], ${this.peerName} allows [${modes(b.allowedModes)}]`, {
        op: 'auth',
        target: this.peerName,
      });
    }
    const why = b.result < 0 ? strerror(b.result) : `result ${b.result}`;
    return new CephError(
      b.result < 0 ? -b.result : errnoNumber('EACCES'),
      `authentication refused: ${why} (method ${b.method}; allowed methods [${b.allowedMethods.join(',')}]); check the key and the entity name`,
      { op: 'auth', target: this.peerName },
    );
  }

  private async expect(tag: number): Promise<Frame> {
    const f = await this.readFrame();
    if (f.tag !== tag) {
      if (f.tag === Tag.AUTH_BAD_METHOD) throw this.badMethodError(F.decodeAuthBadMethod(f.segments[0]!));
      throw cephError('EPROTO', `expected ${tagName(tag)}, got ${tagName(f.tag)}`, { op: 'msgr2', target: addrToString(this.opts.peer) });
    }
    return f;
  }

  /**
   * Read and dispatch frames until closed, each dispatched synchronously as its last byte
   * arrives (and the next frame's read set up before the socket reads again).
   */
  private readLoop(): void {
    const r = this.frameRecord();
    this.reader.readRecords(
      () => this.codec.preambleBlockLen,
      r.restLen,
      (_block, rest) => {
        this.maybeInjectFailure();
        const f = r.frame(rest);
        if (f && !this.closed) this.dispatch(f);
      },
      (e) => this.fault(e),
      r.bulkOffset,
    );
  }

  private dispatch(f: Frame): void {
    switch (f.tag) {
      case Tag.MESSAGE: {
        const [h, front = Buffer.alloc(0), middle = Buffer.alloc(0), data = Buffer.alloc(0)] = f.segments;
        if (!h || h.length !== HEADER2_LEN) throw new DecodeError(`MESSAGE header segment of ${h?.length ?? 0} bytes`, 0, 'MESSAGE');
        const header = decodeHeader2(h);
        if (header.seq <= this.inSeq) return; // duplicate
        this.inSeq = header.seq;
        this.emit('message', { header, front, middle, data });
        return;
      }
      case Tag.KEEPALIVE2: {
        const stamp = F.decodeKeepalive(f.segments[0]!);
        this.writeFrame(Tag.KEEPALIVE2_ACK, [F.encodeKeepalive(stamp)]);
        return;
      }
      case Tag.KEEPALIVE2_ACK:
        this.emit('keepaliveAck', F.decodeKeepalive(f.segments[0]!, 'KEEPALIVE2_ACK'));
        return;
      case Tag.ACK:
        F.decodeAck(f.segments[0]!);
        return;
      default:
        // SESSION_RESET, WAIT, RETRY...: a lossy session has no state to keep; start over
        throw cephError('EPROTO', `unexpected ${tagName(f.tag)} on a ready lossy connection`, { op: 'msgr2', target: addrToString(this.opts.peer) });
    }
  }

  /** Send a message. Throws if the connection is closed. */
  send(m: OutMessage): void {
    this.outSeq += 1n;
    const header = encodeHeader2(header2For(m, this.outSeq, this.inSeq));
    const segs = [header, m.front, m.middle ?? Buffer.alloc(0), m.data ?? Buffer.alloc(0)];
    this.writeFrame(Tag.MESSAGE, segs, [DEFAULT_ALIGN, DEFAULT_ALIGN, DEFAULT_ALIGN, DATA_ALIGN]);
  }

  /** KEEPALIVE2 with the current time; the peer echoes it in KEEPALIVE2_ACK. */
  sendKeepalive(): void {
    this.writeFrame(Tag.KEEPALIVE2, [F.encodeKeepalive(utimeNow())]);
  }

  private fault(err: Error): void {
    if (this.closed) return;
    this.close(err);
  }

  /** Close the connection; 'close' is emitted once, with the error if it failed. */
  close(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closeError = err;
    this.reader.fail(err ?? cephError('ESHUTDOWN', 'connection closed', { op: 'msgr2', target: this.peerName }));
    this.socket.destroy();
    this.emit('close', err);
  }
}
