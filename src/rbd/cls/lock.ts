// Inputs and outputs of the cls `lock` methods the exclusive lock needs (src/cls/lock/cls_lock.cc,
// cls_lock_ops.h, cls_lock_types.h; docs/rbd-format.md §3.9, §5). Every op struct is ENC(1,1).

import { Decoder } from '../../encoding/decoder.js';
import { Encoder } from '../../encoding/encoder.js';
import {
  addrToString,
  decodeEntityAddr,
  decodeEntityNameT,
  decodeUTime,
  encodeEntityNameT,
  encodeUTime,
  type EntityNameT,
  type UTime,
} from '../../encoding/types.js';
import type { ClsCall } from './rbd.js';

/** cls_lock_types.h ClsLockType */
export const LockType = { NONE: 0, EXCLUSIVE: 1, SHARED: 2, EXCLUSIVE_EPHEMERAL: 3 } as const;
/** cls_lock_types.h flags: MAY_RENEW 1, MUST_RENEW 2 */
export const LockFlag = { MAY_RENEW: 1, MUST_RENEW: 2 } as const;

export interface LockRequest {
  name: string;
  type: number;
  cookie: string;
  tag: string;
  description?: string;
  /** 0 = never expires */
  duration?: UTime;
  flags?: number;
}

export interface Locker {
  /** the locking client, entity_name_t (type 8 = client) */
  entity: EntityNameT;
  cookie: string;
  expiration: UTime;
  /** the locker's address as the OSD saw it, in entity_addr_t's legacy form (`rbd lock ls`): "127.0.0.1:0/2466386090" */
  addr: string;
  description: string;
}

export interface LockInfo {
  lockers: Locker[];
  type: number;
  tag: string;
}

const enc = (fn: (e: Encoder) => void): Buffer => {
  const e = new Encoder(64);
  e.versioned(1, 1, fn);
  return e.toBuffer();
};
const none = (): void => undefined;

/** entity_addr_t::get_legacy_str: the address without its type prefix ("v1:", "v2:", "any:") */
export function legacyAddr(addr: string): string {
  return addr.replace(/^(v1|v2|any):/, '');
}

/** cls_lock_lock_op: name, u8 type, cookie, tag, description, utime duration, u8 flags */
export function lock(r: LockRequest): ClsCall<void> {
  const input = enc((e) => {
    e.string(r.name)
      .u8(r.type)
      .string(r.cookie)
      .string(r.tag)
      .string(r.description ?? '');
    encodeUTime(e, r.duration ?? { sec: 0, nsec: 0 });
    e.u8(r.flags ?? 0);
  });
  return { cls: 'lock', method: 'lock', input, decode: none, write: true };
}

/** cls_lock_unlock_op: name, cookie (the caller's own lock; not held → ENOENT) */
export function unlock(name: string, cookie: string): ClsCall<void> {
  return { cls: 'lock', method: 'unlock', input: enc((e) => e.string(name).string(cookie)), decode: none, write: true };
}

/** cls_lock_break_op: name, entity_name_t locker, cookie (someone else's lock; not held → ENOENT) */
export function breakLock(name: string, locker: EntityNameT, cookie: string): ClsCall<void> {
  const input = enc((e) => {
    e.string(name);
    encodeEntityNameT(e, locker);
    e.string(cookie);
  });
  return { cls: 'lock', method: 'break_lock', input, decode: none, write: true };
}

/** cls_lock_assert_op: name, u8 type, cookie, tag (EBUSY unless the caller holds it so) */
export function assertLocked(name: string, type: number, cookie: string, tag: string): ClsCall<void> {
  return { cls: 'lock', method: 'assert_locked', input: enc((e) => e.string(name).u8(type).string(cookie).string(tag)), decode: none, write: false };
}

/** cls_lock_get_info_op: name → cls_lock_get_info_reply */
export function getInfo(name: string): ClsCall<LockInfo> {
  return { cls: 'lock', method: 'get_info', input: enc((e) => e.string(name)), decode: decodeLockInfo, write: false };
}

/** cls_lock_get_info_reply: map<locker_id_t, locker_info_t>, u8 type, string tag */
export function decodeLockInfo(out: Buffer): LockInfo {
  const d = new Decoder(out, 0, out.length, 'lock.get_info');
  return d.versioned(1, 'cls_lock_get_info_reply', (x) => {
    const n = x.u32();
    const lockers: Locker[] = [];
    for (let i = 0; i < n; i++) {
      const id = x.versioned(1, 'locker_id_t', (y) => ({ entity: decodeEntityNameT(y), cookie: y.string() }));
      const info = x.versioned(1, 'locker_info_t', (y) => {
        const expiration = decodeUTime(y);
        const addr = legacyAddr(addrToString(decodeEntityAddr(y)));
        return { expiration, addr, description: y.string() };
      });
      lockers.push({ ...id, ...info });
    }
    return { lockers, type: x.u8(), tag: x.string() };
  });
}
