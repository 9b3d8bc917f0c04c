// librbd's image-watcher payloads on rbd_header.<id> (docs/rbd-format.md §7.7; ceph/ceph
// src/librbd/WatchNotifyTypes.{h,cc}): NotifyMessage = ENC(7,1) { u32 op, op payload };
// ResponseMessage (a notify ack) = ENC(1,1) { s32 result }. ClientId = u64 gid + u64 watch
// handle, no envelope. An empty notify body is the legacy "header changed".

import { Decoder } from '../encoding/decoder.js';
import { Encoder } from '../encoding/encoder.js';

export const NotifyOp = {
  ACQUIRED_LOCK: 0,
  RELEASED_LOCK: 1,
  REQUEST_LOCK: 2,
  HEADER_UPDATE: 3,
  ASYNC_PROGRESS: 4,
  ASYNC_COMPLETE: 5,
  FLATTEN: 6,
  RESIZE: 7,
  SNAP_CREATE: 8,
  SNAP_REMOVE: 9,
  REBUILD_OBJECT_MAP: 10,
  SNAP_RENAME: 11,
  SNAP_PROTECT: 12,
  SNAP_UNPROTECT: 13,
  RENAME: 14,
  UPDATE_FEATURES: 15,
  MIGRATE: 16,
  SPARSIFY: 17,
  QUIESCE: 18,
  UNQUIESCE: 19,
} as const;

/** librbd's watch_notify::ClientId: who holds / wants the lock */
export interface ClientId {
  /** the client's global id (client.<gid>) */
  gid: bigint;
  /** its header watch handle (the watch cookie) */
  handle: bigint;
}

export type NotifyMessage =
  | { op: typeof NotifyOp.ACQUIRED_LOCK | typeof NotifyOp.RELEASED_LOCK; clientId: ClientId }
  | { op: typeof NotifyOp.REQUEST_LOCK; clientId: ClientId; force: boolean }
  | { op: typeof NotifyOp.HEADER_UPDATE; legacy?: boolean }
  /** any other op: its payload is kept undecoded */
  | { op: number; payload: Buffer };

const ENCODING_V = 7;

export function encodeNotifyMessage(m: NotifyMessage): Buffer {
  const e = new Encoder(32);
  e.versioned(ENCODING_V, 1, (x) => {
    x.u32(m.op);
    if ('clientId' in m) x.u64(m.clientId.gid).u64(m.clientId.handle);
    if ('force' in m) x.bool(m.force);
    else if ('payload' in m) x.bytes(m.payload);
  });
  return e.toBuffer();
}

/** Decode a notify body; an empty one is the legacy header update. */
export function decodeNotifyMessage(buf: Buffer): NotifyMessage {
  if (buf.length === 0) return { op: NotifyOp.HEADER_UPDATE, legacy: true };
  const d = new Decoder(buf, 0, buf.length, 'rbd NotifyMessage');
  // compat 1 (librbd) or 2 (ENC(2,1) from the kernel): the op layout is the same
  return d.versioned(2, 'NotifyMessage', (x) => {
    const op = x.u32();
    switch (op) {
      case NotifyOp.ACQUIRED_LOCK:
      case NotifyOp.RELEASED_LOCK:
        return { op, clientId: { gid: x.u64(), handle: x.u64() } };
      case NotifyOp.REQUEST_LOCK: {
        const clientId = { gid: x.u64(), handle: x.u64() };
        // force was added in a later struct version: absent → false
        return { op, clientId, force: x.remaining > 0 ? x.bool() : false };
      }
      case NotifyOp.HEADER_UPDATE:
        return { op };
      default:
        return { op, payload: Buffer.from(x.bytes(x.remaining)) };
    }
  });
}

/** ResponseMessage{result}: the owner's answer to a request (0 = will do, -EROFS = refuses, ...) */
export function encodeResponseMessage(result: number): Buffer {
  return new Encoder(12).versioned(1, 1, (x) => x.s32(result)).toBuffer();
}

export function decodeResponseMessage(buf: Buffer): number {
  const d = new Decoder(buf, 0, buf.length, 'rbd ResponseMessage');
  return d.versioned(1, 'ResponseMessage', (x) => x.s32());
}

/** NotifyMessage{HEADER_UPDATE}: 07 01 04000000 03000000 */
export const HEADER_UPDATE_NOTIFY: Buffer = encodeNotifyMessage({ op: NotifyOp.HEADER_UPDATE });
