// `mon_host` / `-m` parsing, after Ceph's parse_ip_port_vec, entity_addr_t::parse,
// entity_addrvec_t::parse and MonMap::_add_ambiguous_addr.
//
// Monitors are separated by commas, blanks or semicolons. Each one is
//   - an address: [v1:|v2:|any:]host[:port][/nonce] where host is an IPv4 address, a
//     bracketed IPv6 address ("[::1]"), a bare IPv6 address (no port then) or a hostname;
//   - an address vector: "[v2:1.2.3.4:3300,v1:1.2.3.4:6789]".
// A single address without a v1:/v2: prefix is ambiguous and is expanded as Ceph does:
//   no port       -> v2 on 3300 and v1 on 6789
//   port 3300     -> v2 only
//   port 6789     -> v1 only
//   other port    -> v2 and v1 on that port
// A prefixed address without a port gets its protocol's default port.
// Hostnames are kept as strings (family 0) until resolveMonAddrs()/resolveMonHost().

import { lookup as dnsLookup } from 'node:dns/promises';
import net from 'node:net';
import { cephError } from '../encoding/errno.js';

/**
 * net.isIPv6, after a cheap look at the characters: an address vector such as
 * `v2:10.0.0.1:3300,...` is not one, and the first net.isIPv6 call compiles a large regular
 * expression (a few ms of every command's start-up).
 */
function isIPv6Literal(s: string): boolean {
  return /^[0-9A-Fa-f:.]+(%.*)?$/.test(s) && net.isIPv6(s);
}

export const CEPH_MON_PORT_IANA = 3300;
export const CEPH_MON_PORT_LEGACY = 6789;

export interface MonAddr {
  /** v2 = msgr2 (the only protocol this client speaks), v1 = legacy msgr */
  type: 'v1' | 'v2';
  /** IP address (IPv6 without brackets) or, before resolution, a hostname */
  host: string;
  port: number;
  /** 4 or 6 for an IP address; 0 for a hostname not yet resolved (as net.isIP) */
  family: 0 | 4 | 6;
}

/** The addresses of one monitor. */
export type MonAddrVec = MonAddr[];

interface RawAddr {
  type: 'v1' | 'v2' | 'any';
  host: string;
  family: 0 | 4 | 6;
  /** 0 = not given */
  port: number;
}

class ParseError extends Error {}

const HOSTNAME_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;

function isHostname(s: string): boolean {
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  if (name.length === 0 || name.length > 253) return false;
  // all digits and dots: a broken IPv4 address, not a name
  if (/^[0-9.]+$/.test(name)) return false;
  return name.split('.').every((l) => HOSTNAME_LABEL.test(l));
}

function parsePort(s: string, piece: string): number {
  if (!/^[0-9]{1,5}$/.test(s)) throw new ParseError(`bad port '${s}' in '${piece}'`);
  const p = Number(s);
  if (p > 65535) throw new ParseError(`port ${p} out of range in '${piece}'`);
  return p;
}

/** Parse one address (no vector brackets around it). */
function parseAddr(piece: string): RawAddr {
  let rest = piece;
  let type: RawAddr['type'] = 'any';
  const m = /^(v1|v2|any):/.exec(rest);
  if (m) {
    type = m[1] as RawAddr['type'];
    rest = rest.slice(m[0].length);
  }
  // optional /nonce suffix
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    if (!/^[0-9]+$/.test(rest.slice(slash + 1))) throw new ParseError(`bad nonce in '${piece}'`);
    rest = rest.slice(0, slash);
  }
  if (rest === '') throw new ParseError(`missing address in '${piece}'`);

  if (rest.startsWith('[')) {
    const close = rest.indexOf(']');
    if (close < 0) throw new ParseError(`missing ']' in '${piece}'`);
    const host = rest.slice(1, close);
    if (!net.isIPv6(host)) throw new ParseError(`'${host}' is not an IPv6 address in '${piece}'`);
    const after = rest.slice(close + 1);
    let port = 0;
    if (after !== '') {
      if (!after.startsWith(':')) throw new ParseError(`unexpected '${after}' in '${piece}'`);
      port = parsePort(after.slice(1), piece);
    }
    return { type, host, family: 6, port };
  }

  const colons = rest.split(':').length - 1;
  if (colons >= 2) {
    // bare IPv6 address: no port possible
    if (!net.isIPv6(rest)) throw new ParseError(`'${rest}' is not a valid address in '${piece}'`);
    return { type, host: rest, family: 6, port: 0 };
  }
  let host = rest;
  let port = 0;
  if (colons === 1) {
    const c = rest.indexOf(':');
    host = rest.slice(0, c);
    port = parsePort(rest.slice(c + 1), piece);
  }
  if (host === '') throw new ParseError(`missing host in '${piece}'`);
  if (net.isIPv4(host)) return { type, host, family: 4, port };
  if (!isHostname(host)) throw new ParseError(`'${host}' is neither an IP address nor a hostname in '${piece}'`);
  return { type, host, family: 0, port };
}

function mk(type: 'v1' | 'v2', a: RawAddr, port: number): MonAddr {
  return { type, host: a.host, port, family: a.family };
}

/** Concrete addresses for one parsed address (MonMap::_add_ambiguous_addr). */
function expand(a: RawAddr): MonAddr[] {
  if (a.type === 'v2') return [mk('v2', a, a.port || CEPH_MON_PORT_IANA)];
  if (a.type === 'v1') return [mk('v1', a, a.port || CEPH_MON_PORT_LEGACY)];
  if (a.port === CEPH_MON_PORT_LEGACY) return [mk('v1', a, a.port)];
  if (a.port === CEPH_MON_PORT_IANA) return [mk('v2', a, a.port)];
  if (a.port === 0) return [mk('v2', a, CEPH_MON_PORT_IANA), mk('v1', a, CEPH_MON_PORT_LEGACY)];
  return [mk('v2', a, a.port), mk('v1', a, a.port)];
}

const addrKey = (a: MonAddr): string => `${a.type}|${a.host}|${a.port}`;

function dedupe(v: MonAddr[]): MonAddr[] {
  const seen = new Set<string>();
  return v.filter((a) => {
    const k = addrKey(a);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Split on commas that are not inside brackets. */
function splitTopLevel(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of s) {
    if (c === '[') depth++;
    else if (c === ']') {
      depth--;
      if (depth < 0) throw new ParseError(`unbalanced ']' in '${s}'`);
    }
    if (c === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  if (depth !== 0) throw new ParseError(`missing ']' in '${s}'`);
  out.push(cur);
  return out;
}

function parsePiece(piece: string): MonAddrVec {
  if (piece.startsWith('[')) {
    // "[::1]:3300" is an address; "[v2:...,v1:...]" is a vector
    let depth = 0;
    let close = -1;
    for (let i = 0; i < piece.length; i++) {
      if (piece[i] === '[') depth++;
      else if (piece[i] === ']' && --depth === 0) {
        close = i;
        break;
      }
    }
    if (close < 0) throw new ParseError(`missing ']' in '${piece}'`);
    const inner = piece.slice(1, close);
    if (!isIPv6Literal(inner)) {
      if (close !== piece.length - 1) throw new ParseError(`unexpected '${piece.slice(close + 1)}' after address vector '${piece}'`);
      const parts = splitTopLevel(inner).map((p) => p.trim());
      if (parts.some((p) => p === '')) throw new ParseError(`empty address in vector '${piece}'`);
      return dedupe(parts.flatMap((p) => expand(parseAddr(p))));
    }
  }
  return dedupe(expand(parseAddr(piece)));
}

/**
 * Parse a mon_host value into one address vector per monitor (duplicates dropped).
 * Hostnames stay unresolved (family 0). EINVAL on anything unparsable or empty.
 */
export function parseMonHost(value: string): MonAddrVec[] {
  const fail = (msg: string): never => {
    throw cephError('EINVAL', `invalid mon_host '${value}': ${msg}`, { op: 'parse mon_host' });
  };
  const vecs: MonAddrVec[] = [];
  const seen = new Set<string>();
  try {
    for (const item of value.split(/[\s;]+/)) {
      if (item === '') continue;
      for (const piece of splitTopLevel(item)) {
        if (piece === '') continue;
        const vec = parsePiece(piece);
        const k = vec.map(addrKey).join(',');
        if (seen.has(k)) continue;
        seen.add(k);
        vecs.push(vec);
      }
    }
  } catch (err) {
    if (err instanceof ParseError) fail(err.message);
    throw err;
  }
  if (vecs.length === 0) fail('no monitor addresses');
  return vecs;
}

/** All msgr2 addresses, in monitor order (the ones this client can connect to). */
export function v2Addrs(vecs: readonly MonAddrVec[]): MonAddr[] {
  return vecs.flatMap((v) => v.filter((a) => a.type === 'v2'));
}

/** "v2:1.2.3.4:3300", "v1:[::1]:6789" */
export function formatMonAddr(a: MonAddr): string {
  const host = a.family === 6 || (a.family === 0 && a.host.includes(':')) ? `[${a.host}]` : a.host;
  return `${a.type}:${host}:${a.port}`;
}

/** "[v2:1.2.3.4:3300,v1:1.2.3.4:6789]" */
export function formatMonAddrVec(v: MonAddrVec): string {
  return `[${v.map(formatMonAddr).join(',')}]`;
}

export interface LookupResult {
  address: string;
  family: number;
}
export type HostLookup = (hostname: string) => Promise<LookupResult[]>;

const defaultLookup: HostLookup = (hostname) => dnsLookup(hostname, { all: true });

/**
 * Resolve hostnames in parsed monitor vectors. A hostname with several addresses
 * becomes several monitors (as Ceph's resolve_addrs). Unresolvable hosts are skipped;
 * ENOENT when nothing at all resolves.
 */
export async function resolveMonAddrs(vecs: readonly MonAddrVec[], opts: { lookup?: HostLookup } = {}): Promise<MonAddrVec[]> {
  const lookup = opts.lookup ?? defaultLookup;
  const cache = new Map<string, Promise<LookupResult[]>>();
  const resolve = (h: string): Promise<LookupResult[]> => {
    let p = cache.get(h);
    if (!p) {
      p = lookup(h).then((rs) => rs.filter((r) => r.family === 4 || r.family === 6));
      cache.set(h, p);
    }
    return p;
  };
  const out: MonAddrVec[] = [];
  const seen = new Set<string>();
  const failures: string[] = [];
  const push = (v: MonAddrVec): void => {
    const k = v.map(addrKey).join(',');
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  };
  for (const vec of vecs) {
    const names = [...new Set(vec.filter((a) => a.family === 0).map((a) => a.host))];
    if (names.length === 0) {
      push(vec.map((a) => ({ ...a })));
      continue;
    }
    const results = new Map<string, LookupResult[]>();
    let ok = true;
    for (const n of names) {
      try {
        const rs = await resolve(n);
        if (rs.length === 0) throw new Error('no addresses');
        results.set(n, rs);
      } catch (err) {
        failures.push(`${n}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
        ok = false;
      }
    }
    if (!ok) continue;
    const sub = (a: MonAddr, r: LookupResult): MonAddr => ({ ...a, host: r.address, family: r.family as 4 | 6 });
    if (names.length === 1) {
      for (const r of results.get(names[0]!)!) {
        push(vec.map((a) => (a.family === 0 ? sub(a, r) : { ...a })));
      }
    } else {
      push(vec.map((a) => (a.family === 0 ? sub(a, results.get(a.host)![0]!) : { ...a })));
    }
  }
  if (out.length === 0) {
    throw cephError('ENOENT', `unable to resolve any monitor address (${failures.join('; ')})`, {
      op: 'resolve mon_host',
    });
  }
  return out;
}

/** Parse a mon_host value, resolve hostnames, and return the msgr2 addresses. */
export async function resolveMonHost(value: string, opts: { lookup?: HostLookup } = {}): Promise<MonAddr[]> {
  return v2Addrs(await resolveMonAddrs(parseMonHost(value), opts));
}
