// Common Ceph types: utime_t, uuid_d, entity_name_t, EntityName, entity_addr_t and
// entity_addrvec_t (src/msg/msg_types.h, src/include/utime.h, src/include/uuid.h).

import { isIPv4, isIPv6 } from 'node:net';
import type { Decoder } from './decoder.js';
import type { Encoder } from './encoder.js';

// ---- utime_t: u32 sec, u32 nsec -------------------------------------------------

export interface UTime {
  sec: number;
  nsec: number;
}

export function decodeUTime(d: Decoder): UTime {
  const sec = d.u32();
  const nsec = d.u32();
  return { sec, nsec };
}

export function encodeUTime(e: Encoder, t: UTime): void {
  e.u32(t.sec).u32(t.nsec);
}

export function utimeNow(): UTime {
  const ms = Date.now();
  return { sec: Math.floor(ms / 1000), nsec: (ms % 1000) * 1_000_000 };
}

export function utimeToDate(t: UTime): Date {
  return new Date(t.sec * 1000 + Math.floor(t.nsec / 1_000_000));
}

// ---- uuid_d: 16 raw bytes --------------------------------------------------------

export function decodeUuid(d: Decoder): string {
  return formatUuid(d.bytes(16));
}

export function formatUuid(b: Uint8Array): string {
  const h = Buffer.from(b.buffer, b.byteOffset, 16).toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

const UUID_RE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

export function parseUuid(s: string): Buffer {
  if (!UUID_RE.test(s)) throw new TypeError(`not a uuid: ${s}`);
  return Buffer.from(s.replace(/-/g, ''), 'hex');
}

export function encodeUuid(e: Encoder, uuid: string): void {
  e.bytes(parseUuid(uuid));
}

// ---- entity types (src/include/msgr.h CEPH_ENTITY_TYPE_*) ----------------------

export const EntityType = {
  MON: 0x01,
  MDS: 0x02,
  OSD: 0x04,
  CLIENT: 0x08,
  MGR: 0x10,
  AUTH: 0x20,
  ANY: 0xff,
} as const;

const ENTITY_TYPE_NAMES: Record<number, string> = {
  0x01: 'mon',
  0x02: 'mds',
  0x04: 'osd',
  0x08: 'client',
  0x10: 'mgr',
  0x20: 'auth',
};

export function entityTypeName(t: number): string {
  return ENTITY_TYPE_NAMES[t] ?? `type${t}`;
}

/** entity_name_t: u8 type + s64 num (e.g. client.4123), used in reqids and notifies. */
export interface EntityNameT {
  type: number;
  num: bigint;
}

export function decodeEntityNameT(d: Decoder): EntityNameT {
  const type = d.u8();
  const num = d.s64();
  return { type, num };
}

export function encodeEntityNameT(e: Encoder, n: EntityNameT): void {
  e.u8(n.type).s64(n.num);
}

/** EntityName (cephx): u32 type + string id, e.g. client.admin. */
export interface EntityName {
  type: number;
  id: string;
}

export function encodeEntityName(e: Encoder, n: EntityName): void {
  e.u32(n.type).string(n.id);
}

export function decodeEntityName(d: Decoder): EntityName {
  const type = d.u32();
  const id = d.string();
  return { type, id };
}

export function entityNameToString(n: EntityName): string {
  return `${entityTypeName(n.type)}.${n.id}`;
}

// ---- entity_addr_t ----------------------------------------------------------------

/** entity_addr_t::type */
export const AddrType = {
  NONE: 0,
  LEGACY: 1,
  MSGR2: 2,
  ANY: 3,
  CIDR: 4,
} as const;

const AF_INET = 2;
const AF_INET6 = 10; // Linux numbering, as Ceph puts it on the wire

export interface EntityAddr {
  type: number;
  nonce: number;
  /** 0 when the address is blank (sockaddr length 0) */
  family: 0 | 4 | 6;
  ip: string;
  port: number;
}

export function makeAddr(type: number, ip: string, port: number, nonce = 0): EntityAddr {
  const family = isIPv4(ip) ? 4 : isIPv6(ip) ? 6 : 0;
  if (family === 0) throw new TypeError(`not an IP address: ${ip}`);
  return { type, nonce, family, ip, port };
}

export function addrToString(a: EntityAddr): string {
  const t = a.type === AddrType.MSGR2 ? 'v2:' : a.type === AddrType.LEGACY ? 'v1:' : a.type === AddrType.ANY ? 'any:' : '';
  const host = a.family === 6 ? `[${a.ip}]` : a.family === 0 ? '-' : a.ip;
  return `${t}${host}:${a.port}/${a.nonce}`;
}

export function addrEquals(a: EntityAddr, b: EntityAddr): boolean {
  return a.type === b.type && a.nonce === b.nonce && a.family === b.family && a.ip === b.ip && a.port === b.port;
}

function ipv4Bytes(ip: string): Buffer {
  return Buffer.from(ip.split('.').map((x) => Number(x)));
}

function ipv6Bytes(ip: string): Buffer {
  let s = ip;
  let tail: number[] = [];
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(s); // embedded IPv4, e.g. ::ffff:1.2.3.4
  if (m) {
    const b = ipv4Bytes(m[2]!);
    tail = [(b[0]! << 8) | b[1]!, (b[2]! << 8) | b[3]!];
    s = m[1]!.endsWith('::') ? m[1]! : m[1]!.slice(0, -1);
  }
  const words = (part: string): number[] => (part === '' ? [] : part.split(':').map((x) => parseInt(x, 16)));
  let all: number[];
  const gap = s.indexOf('::');
  if (gap >= 0) {
    const head = words(s.slice(0, gap));
    const rest = [...words(s.slice(gap + 2)), ...tail];
    all = [...head, ...new Array<number>(Math.max(0, 8 - head.length - rest.length)).fill(0), ...rest];
  } else {
    all = [...words(s), ...tail];
  }
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(all[i] ?? 0, i * 2);
  return out;
}

function formatIpv6(b: Buffer): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(b.readUInt16BE(i * 2));
  // longest run of zeros for "::"
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen && j - i > 1) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

function encodeSockaddr(e: Encoder, a: EntityAddr): void {
  if (a.family === 0) {
    e.u32(0);
  } else if (a.family === 4) {
    e.u32(16).u16(AF_INET);
    const p = Buffer.alloc(2);
    p.writeUInt16BE(a.port);
    e.bytes(p).bytes(ipv4Bytes(a.ip)).zeros(8);
  } else {
    e.u32(28).u16(AF_INET6);
    const p = Buffer.alloc(2);
    p.writeUInt16BE(a.port);
    e.bytes(p).u32(0).bytes(ipv6Bytes(a.ip)).u32(0);
  }
}

function decodeSockaddr(d: Decoder, bigEndianFamily: boolean): Pick<EntityAddr, 'family' | 'ip' | 'port'> {
  const start = d.pos;
  const family = bigEndianFamily ? (d.u8() << 8) | d.u8() : d.u16();
  if (family === AF_INET) {
    d.need(6, 'sockaddr_in');
    const port = (d.u8() << 8) | d.u8();
    const ip = Array.from(d.bytes(4)).join('.');
    return { family: 4, ip, port };
  }
  if (family === AF_INET6) {
    const port = (d.u8() << 8) | d.u8();
    d.u32(); // flowinfo
    const ip = formatIpv6(Buffer.from(d.bytes(16)));
    return { family: 6, ip, port };
  }
  if (family === 0) return { family: 0, ip: '', port: 0 };
  return d.fail(`unsupported address family ${family}`, start);
}

/** entity_addr_t in the msgr2 form: u8 marker 1, ENCODE_START(1,1){type, nonce, sockaddr} */
export function encodeEntityAddr(e: Encoder, a: EntityAddr): void {
  e.u8(1);
  e.versioned(1, 1, (b) => {
    b.u32(a.type).u32(a.nonce);
    encodeSockaddr(b, a);
  });
}

function decodeAddrAfterMarker(d: Decoder, marker: number): EntityAddr {
  if (marker === 0) {
    // legacy: the rest of a u32 type (its low byte was the marker), u32 nonce, 128-byte
    // sockaddr_storage with a big-endian family
    d.skip(3);
    const nonce = d.u32();
    const ss = d.sub(128, 'sockaddr_storage');
    const sa = decodeSockaddr(ss, true);
    return { type: AddrType.LEGACY, nonce, ...sa };
  }
  if (marker !== 1) d.fail(`bad entity_addr_t marker ${marker}`, d.pos - 1);
  return d.versioned(1, 'entity_addr_t', (b) => {
    const type = b.u32();
    const nonce = b.u32();
    const salen = b.u32();
    if (salen === 0) return { type, nonce, family: 0, ip: '', port: 0 } as EntityAddr;
    const sa = b.sub(salen, 'sockaddr');
    return { type, nonce, ...decodeSockaddr(sa, false) };
  });
}

export function decodeEntityAddr(d: Decoder): EntityAddr {
  return decodeAddrAfterMarker(d, d.u8());
}

/** entity_addrvec_t: u8 marker 2, vector<entity_addr_t> (markers 0 and 1 hold one addr) */
export function encodeEntityAddrvec(e: Encoder, v: readonly EntityAddr[]): void {
  e.u8(2).list(v, encodeEntityAddr);
}

export function decodeEntityAddrvec(d: Decoder): EntityAddr[] {
  const at = d.pos;
  const marker = d.u8();
  if (marker === 0 || marker === 1) return [decodeAddrAfterMarker(d, marker)];
  if (marker !== 2) d.fail(`bad entity_addrvec_t marker ${marker}`, at);
  return d.list(decodeEntityAddr, 7);
}
