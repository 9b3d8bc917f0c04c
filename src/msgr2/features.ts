// Ceph feature bits (src/include/ceph_features.h; wire-protocol.md §7.1).

/** CEPH_FEATURES_ALL of Pacific 16.2.x: what librados advertises, and what we advertise. */
export const CEPH_FEATURES_ALL = 0x3f01cfbdfffdffffn;

export const Feature = {
  PGID64: 1n << 9n,
  MSG_AUTH: 1n << 23n,
  SERVER_LUMINOUS: 1n << 21n, // also RESEND_ON_SPLIT, RADOS_BACKOFF, OSDMAP_PG_UPMAP, CRUSH_CHOOSE_ARGS
  SERVER_NAUTILUS: 1n << 2n,
  SERVER_OCTOPUS: 1n << 16n,
  SERVER_PACIFIC: 1n << 20n,
  MON_STATEFUL_SUB: 1n << 57n,
  MSG_ADDR2: 1n << 59n,
  CEPHX_V2: 1n << 61n,
} as const;

/** What we require of a peer: the msgr2 address encoding. */
export const CEPH_FEATURES_REQUIRED = Feature.MSG_ADDR2;

export function hasFeature(features: bigint, bit: bigint): boolean {
  return (features & bit) === bit;
}
