// crush_hash32_rjenkins1_{2,3,4,5} (src/crush/hash.c; docs/osdmap-crush.md §7.4): Robert
// Jenkins' 96-bit mix with CRUSH's seed. Arguments are 32-bit (negative ids are taken
// as their two's-complement u32); results are u32.
//
// Each mix is written out on locals: a - b - c is exact in a double and `^` wraps it to
// 32 bits, which is C's unsigned subtraction; `>>>` is C's logical shift of a u32.
//
// The crushHash32_Ns functions return the hash's 32 bits as a signed int32 (a small
// integer to V8, never a heap number); the mapper uses those. crushHash32_N return the
// u32 value as C does.

/** CRUSH_HASH_SEED */
export const CRUSH_HASH_SEED = 1315423911;

/** crush_hash32_rjenkins1_2(a, b) as int32 bits: is_out, hashpspool pps, primary affinity. */
export function crushHash32_2s(a: number, b: number): number {
  let h = CRUSH_HASH_SEED ^ a ^ b;
  let x = 231232;
  let y = 1232;
  a |= 0;
  b |= 0;
  // mix(a, b, h)
  a = (a - b - h) ^ (h >>> 13);
  b = (b - h - a) ^ (a << 8);
  h = (h - a - b) ^ (b >>> 13);
  a = (a - b - h) ^ (h >>> 12);
  b = (b - h - a) ^ (a << 16);
  h = (h - a - b) ^ (b >>> 5);
  a = (a - b - h) ^ (h >>> 3);
  b = (b - h - a) ^ (a << 10);
  h = (h - a - b) ^ (b >>> 15);
  // mix(x, a, h)
  x = (x - a - h) ^ (h >>> 13);
  a = (a - h - x) ^ (x << 8);
  h = (h - x - a) ^ (a >>> 13);
  x = (x - a - h) ^ (h >>> 12);
  a = (a - h - x) ^ (x << 16);
  h = (h - x - a) ^ (a >>> 5);
  x = (x - a - h) ^ (h >>> 3);
  a = (a - h - x) ^ (x << 10);
  h = (h - x - a) ^ (a >>> 15);
  // mix(b, y, h)
  b = (b - y - h) ^ (h >>> 13);
  y = (y - h - b) ^ (b << 8);
  h = (h - b - y) ^ (y >>> 13);
  b = (b - y - h) ^ (h >>> 12);
  y = (y - h - b) ^ (b << 16);
  h = (h - b - y) ^ (y >>> 5);
  b = (b - y - h) ^ (h >>> 3);
  y = (y - h - b) ^ (b << 10);
  h = (h - b - y) ^ (y >>> 15);
  return h;
}

/** crush_hash32_rjenkins1_3(a, b, c) as int32 bits: uniform permutations, straw, straw2. */
export function crushHash32_3s(a: number, b: number, c: number): number {
  let h = CRUSH_HASH_SEED ^ a ^ b ^ c;
  let x = 231232;
  let y = 1232;
  a |= 0;
  b |= 0;
  c |= 0;
  // mix(a, b, h)
  a = (a - b - h) ^ (h >>> 13);
  b = (b - h - a) ^ (a << 8);
  h = (h - a - b) ^ (b >>> 13);
  a = (a - b - h) ^ (h >>> 12);
  b = (b - h - a) ^ (a << 16);
  h = (h - a - b) ^ (b >>> 5);
  a = (a - b - h) ^ (h >>> 3);
  b = (b - h - a) ^ (a << 10);
  h = (h - a - b) ^ (b >>> 15);
  // mix(c, x, h)
  c = (c - x - h) ^ (h >>> 13);
  x = (x - h - c) ^ (c << 8);
  h = (h - c - x) ^ (x >>> 13);
  c = (c - x - h) ^ (h >>> 12);
  x = (x - h - c) ^ (c << 16);
  h = (h - c - x) ^ (x >>> 5);
  c = (c - x - h) ^ (h >>> 3);
  x = (x - h - c) ^ (c << 10);
  h = (h - c - x) ^ (x >>> 15);
  // mix(y, a, h)
  y = (y - a - h) ^ (h >>> 13);
  a = (a - h - y) ^ (y << 8);
  h = (h - y - a) ^ (a >>> 13);
  y = (y - a - h) ^ (h >>> 12);
  a = (a - h - y) ^ (y << 16);
  h = (h - y - a) ^ (a >>> 5);
  y = (y - a - h) ^ (h >>> 3);
  a = (a - h - y) ^ (y << 10);
  h = (h - y - a) ^ (a >>> 15);
  // mix(b, x, h)
  b = (b - x - h) ^ (h >>> 13);
  x = (x - h - b) ^ (b << 8);
  h = (h - b - x) ^ (x >>> 13);
  b = (b - x - h) ^ (h >>> 12);
  x = (x - h - b) ^ (b << 16);
  h = (h - b - x) ^ (x >>> 5);
  b = (b - x - h) ^ (h >>> 3);
  x = (x - h - b) ^ (b << 10);
  h = (h - b - x) ^ (x >>> 15);
  // mix(y, c, h)
  y = (y - c - h) ^ (h >>> 13);
  c = (c - h - y) ^ (y << 8);
  h = (h - y - c) ^ (c >>> 13);
  y = (y - c - h) ^ (h >>> 12);
  c = (c - h - y) ^ (y << 16);
  h = (h - y - c) ^ (c >>> 5);
  y = (y - c - h) ^ (h >>> 3);
  c = (c - h - y) ^ (y << 10);
  h = (h - y - c) ^ (c >>> 15);
  return h;
}

/** crush_hash32_rjenkins1_4(a, b, c, d) as int32 bits: list and tree buckets. */
export function crushHash32_4s(a: number, b: number, c: number, d: number): number {
  let h = CRUSH_HASH_SEED ^ a ^ b ^ c ^ d;
  let x = 231232;
  let y = 1232;
  a |= 0;
  b |= 0;
  c |= 0;
  d |= 0;
  // mix(a, b, h)
  a = (a - b - h) ^ (h >>> 13);
  b = (b - h - a) ^ (a << 8);
  h = (h - a - b) ^ (b >>> 13);
  a = (a - b - h) ^ (h >>> 12);
  b = (b - h - a) ^ (a << 16);
  h = (h - a - b) ^ (b >>> 5);
  a = (a - b - h) ^ (h >>> 3);
  b = (b - h - a) ^ (a << 10);
  h = (h - a - b) ^ (b >>> 15);
  // mix(c, d, h)
  c = (c - d - h) ^ (h >>> 13);
  d = (d - h - c) ^ (c << 8);
  h = (h - c - d) ^ (d >>> 13);
  c = (c - d - h) ^ (h >>> 12);
  d = (d - h - c) ^ (c << 16);
  h = (h - c - d) ^ (d >>> 5);
  c = (c - d - h) ^ (h >>> 3);
  d = (d - h - c) ^ (c << 10);
  h = (h - c - d) ^ (d >>> 15);
  // mix(a, x, h)
  a = (a - x - h) ^ (h >>> 13);
  x = (x - h - a) ^ (a << 8);
  h = (h - a - x) ^ (x >>> 13);
  a = (a - x - h) ^ (h >>> 12);
  x = (x - h - a) ^ (a << 16);
  h = (h - a - x) ^ (x >>> 5);
  a = (a - x - h) ^ (h >>> 3);
  x = (x - h - a) ^ (a << 10);
  h = (h - a - x) ^ (x >>> 15);
  // mix(y, b, h)
  y = (y - b - h) ^ (h >>> 13);
  b = (b - h - y) ^ (y << 8);
  h = (h - y - b) ^ (b >>> 13);
  y = (y - b - h) ^ (h >>> 12);
  b = (b - h - y) ^ (y << 16);
  h = (h - y - b) ^ (b >>> 5);
  y = (y - b - h) ^ (h >>> 3);
  b = (b - h - y) ^ (y << 10);
  h = (h - y - b) ^ (b >>> 15);
  // mix(c, x, h)
  c = (c - x - h) ^ (h >>> 13);
  x = (x - h - c) ^ (c << 8);
  h = (h - c - x) ^ (x >>> 13);
  c = (c - x - h) ^ (h >>> 12);
  x = (x - h - c) ^ (c << 16);
  h = (h - c - x) ^ (x >>> 5);
  c = (c - x - h) ^ (h >>> 3);
  x = (x - h - c) ^ (c << 10);
  h = (h - c - x) ^ (x >>> 15);
  // mix(y, d, h)
  y = (y - d - h) ^ (h >>> 13);
  d = (d - h - y) ^ (y << 8);
  h = (h - y - d) ^ (d >>> 13);
  y = (y - d - h) ^ (h >>> 12);
  d = (d - h - y) ^ (y << 16);
  h = (h - y - d) ^ (d >>> 5);
  y = (y - d - h) ^ (h >>> 3);
  d = (d - h - y) ^ (y << 10);
  h = (h - y - d) ^ (d >>> 15);
  return h;
}

/** crush_hash32_rjenkins1_5(a, b, c, d, e) as int32 bits: not used by placement. */
export function crushHash32_5s(a: number, b: number, c: number, d: number, e: number): number {
  let h = CRUSH_HASH_SEED ^ a ^ b ^ c ^ d ^ e;
  let x = 231232;
  let y = 1232;
  a |= 0;
  b |= 0;
  c |= 0;
  d |= 0;
  e |= 0;
  // mix(a, b, h)
  a = (a - b - h) ^ (h >>> 13);
  b = (b - h - a) ^ (a << 8);
  h = (h - a - b) ^ (b >>> 13);
  a = (a - b - h) ^ (h >>> 12);
  b = (b - h - a) ^ (a << 16);
  h = (h - a - b) ^ (b >>> 5);
  a = (a - b - h) ^ (h >>> 3);
  b = (b - h - a) ^ (a << 10);
  h = (h - a - b) ^ (b >>> 15);
  // mix(c, d, h)
  c = (c - d - h) ^ (h >>> 13);
  d = (d - h - c) ^ (c << 8);
  h = (h - c - d) ^ (d >>> 13);
  c = (c - d - h) ^ (h >>> 12);
  d = (d - h - c) ^ (c << 16);
  h = (h - c - d) ^ (d >>> 5);
  c = (c - d - h) ^ (h >>> 3);
  d = (d - h - c) ^ (c << 10);
  h = (h - c - d) ^ (d >>> 15);
  // mix(e, x, h)
  e = (e - x - h) ^ (h >>> 13);
  x = (x - h - e) ^ (e << 8);
  h = (h - e - x) ^ (x >>> 13);
  e = (e - x - h) ^ (h >>> 12);
  x = (x - h - e) ^ (e << 16);
  h = (h - e - x) ^ (x >>> 5);
  e = (e - x - h) ^ (h >>> 3);
  x = (x - h - e) ^ (e << 10);
  h = (h - e - x) ^ (x >>> 15);
  // mix(y, a, h)
  y = (y - a - h) ^ (h >>> 13);
  a = (a - h - y) ^ (y << 8);
  h = (h - y - a) ^ (a >>> 13);
  y = (y - a - h) ^ (h >>> 12);
  a = (a - h - y) ^ (y << 16);
  h = (h - y - a) ^ (a >>> 5);
  y = (y - a - h) ^ (h >>> 3);
  a = (a - h - y) ^ (y << 10);
  h = (h - y - a) ^ (a >>> 15);
  // mix(b, x, h)
  b = (b - x - h) ^ (h >>> 13);
  x = (x - h - b) ^ (b << 8);
  h = (h - b - x) ^ (x >>> 13);
  b = (b - x - h) ^ (h >>> 12);
  x = (x - h - b) ^ (b << 16);
  h = (h - b - x) ^ (x >>> 5);
  b = (b - x - h) ^ (h >>> 3);
  x = (x - h - b) ^ (b << 10);
  h = (h - b - x) ^ (x >>> 15);
  // mix(y, c, h)
  y = (y - c - h) ^ (h >>> 13);
  c = (c - h - y) ^ (y << 8);
  h = (h - y - c) ^ (c >>> 13);
  y = (y - c - h) ^ (h >>> 12);
  c = (c - h - y) ^ (y << 16);
  h = (h - y - c) ^ (c >>> 5);
  y = (y - c - h) ^ (h >>> 3);
  c = (c - h - y) ^ (y << 10);
  h = (h - y - c) ^ (c >>> 15);
  // mix(d, x, h)
  d = (d - x - h) ^ (h >>> 13);
  x = (x - h - d) ^ (d << 8);
  h = (h - d - x) ^ (x >>> 13);
  d = (d - x - h) ^ (h >>> 12);
  x = (x - h - d) ^ (d << 16);
  h = (h - d - x) ^ (x >>> 5);
  d = (d - x - h) ^ (h >>> 3);
  x = (x - h - d) ^ (d << 10);
  h = (h - d - x) ^ (x >>> 15);
  // mix(y, e, h)
  y = (y - e - h) ^ (h >>> 13);
  e = (e - h - y) ^ (y << 8);
  h = (h - y - e) ^ (e >>> 13);
  y = (y - e - h) ^ (h >>> 12);
  e = (e - h - y) ^ (y << 16);
  h = (h - y - e) ^ (e >>> 5);
  y = (y - e - h) ^ (h >>> 3);
  e = (e - h - y) ^ (y << 10);
  h = (h - y - e) ^ (e >>> 15);
  return h;
}

/** crush_hash32_2(CRUSH_HASH_RJENKINS1, a, b): u32 */
export function crushHash32_2(a: number, b: number): number {
  return crushHash32_2s(a, b) >>> 0;
}

/** crush_hash32_3(CRUSH_HASH_RJENKINS1, a, b, c): u32 */
export function crushHash32_3(a: number, b: number, c: number): number {
  return crushHash32_3s(a, b, c) >>> 0;
}

/** crush_hash32_4(CRUSH_HASH_RJENKINS1, a, b, c, d): u32 */
export function crushHash32_4(a: number, b: number, c: number, d: number): number {
  return crushHash32_4s(a, b, c, d) >>> 0;
}

/** crush_hash32_5(CRUSH_HASH_RJENKINS1, a, b, c, d, e): u32 */
export function crushHash32_5(a: number, b: number, c: number, d: number, e: number): number {
  return crushHash32_5s(a, b, c, d, e) >>> 0;
}
