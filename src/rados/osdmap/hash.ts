// Hash functions used to place objects (src/common/ceph_hash.cc, src/crush/hash.c;
// docs/osdmap-crush.md §7):
//  - ceph_str_hash_rjenkins (object_hash 2, every Pacific pool) and ceph_str_hash_linux
//    (object_hash 1): object name → 32-bit raw placement seed;
//  - crush_hash32_2 (rjenkins1 with CRUSH's seed; re-exported from ../crush/hash.ts):
//    hashpspool pps and primary affinity.
//
// All arithmetic is unsigned 32-bit. The state lives in a Uint32Array so every store
// wraps modulo 2^32; the bitwise operators work on the wrapped value.

/** pg_pool_t::object_hash values (CEPH_STR_HASH_*) */
export const StrHash = {
  LINUX: 1,
  RJENKINS: 2,
} as const;

// Bob Jenkins' 96-bit mix on three slots of `s` (src/common/ceph_hash.cc). Each step uses the
// values as they are at that moment.
function mix(s: Uint32Array, a: number, b: number, c: number): void {
  s[a] = (s[a]! - s[b]! - s[c]!) ^ (s[c]! >>> 13);
  s[b] = (s[b]! - s[c]! - s[a]!) ^ (s[a]! << 8);
  s[c] = (s[c]! - s[a]! - s[b]!) ^ (s[b]! >>> 13);
  s[a] = (s[a]! - s[b]! - s[c]!) ^ (s[c]! >>> 12);
  s[b] = (s[b]! - s[c]! - s[a]!) ^ (s[a]! << 16);
  s[c] = (s[c]! - s[a]! - s[b]!) ^ (s[b]! >>> 5);
  s[a] = (s[a]! - s[b]! - s[c]!) ^ (s[c]! >>> 3);
  s[b] = (s[b]! - s[c]! - s[a]!) ^ (s[a]! << 10);
  s[c] = (s[c]! - s[a]! - s[b]!) ^ (s[b]! >>> 15);
}

const le32 = (k: Uint8Array, i: number): number => (k[i]! | (k[i + 1]! << 8) | (k[i + 2]! << 16) | (k[i + 3]! << 24)) >>> 0;

const strState = new Uint32Array(3);

/** ceph_str_hash_rjenkins: Jenkins lookup2 over the raw bytes; returns an unsigned 32-bit hash. */
export function strHashRjenkins(k: Uint8Array): number {
  const s = strState;
  const length = k.length;
  s[0] = 0x9e3779b9;
  s[1] = 0x9e3779b9;
  s[2] = 0;
  let i = 0;
  let len = length;
  while (len >= 12) {
    s[0] = s[0]! + le32(k, i);
    s[1] = s[1]! + le32(k, i + 4);
    s[2] = s[2]! + le32(k, i + 8);
    mix(s, 0, 1, 2);
    i += 12;
    len -= 12;
  }
  s[2] = s[2]! + length;
  // the tail: bytes 8..10 into c above its low byte (kept for the length), 4..7 into b,
  // 0..3 into a
  let a = 0;
  let b = 0;
  let c = 0;
  if (len >= 11) c += k[i + 10]! << 24;
  if (len >= 10) c += k[i + 9]! << 16;
  if (len >= 9) c += k[i + 8]! << 8;
  if (len >= 8) b += k[i + 7]! << 24;
  if (len >= 7) b += k[i + 6]! << 16;
  if (len >= 6) b += k[i + 5]! << 8;
  if (len >= 5) b += k[i + 4]!;
  if (len >= 4) a += k[i + 3]! << 24;
  if (len >= 3) a += k[i + 2]! << 16;
  if (len >= 2) a += k[i + 1]! << 8;
  if (len >= 1) a += k[i]!;
  s[0] = s[0]! + a;
  s[1] = s[1]! + b;
  s[2] = s[2]! + c;
  mix(s, 0, 1, 2);
  return s[2]!;
}

/** ceph_str_hash_linux: the old dcache hash. */
export function strHashLinux(k: Uint8Array): number {
  let h = 0;
  for (let i = 0; i < k.length; i++) {
    const c = k[i]!;
    h = Math.imul((h + (c << 4) + (c >> 4)) >>> 0, 11) >>> 0;
  }
  return h;
}

/**
 * ceph_str_hash(type, bytes). Unknown types return 0xFFFFFFFF as in C; callers should
 * reject such pools before hashing (see PgPool.hashKey).
 */
export function strHash(type: number, k: Uint8Array): number {
  if (type === StrHash.RJENKINS) return strHashRjenkins(k);
  if (type === StrHash.LINUX) return strHashLinux(k);
  return 0xffffffff;
}

/** crush_hash32_2(CRUSH_HASH_RJENKINS1, a, b): the CRUSH module's (src/crush/hash.c) */
export { crushHash32_2 } from '../crush/hash.js';
