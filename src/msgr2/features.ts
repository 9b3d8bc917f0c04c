// Ceph feature bits (src/include/ceph_features.h; docs/protocol.md §7).

/** CEPH_FEATURES_ALL of Pacific 16.2.x: what its librados advertises. */
export const CEPH_FEATURES_PACIFIC = 0x3f01cfbdfffdffffn;

export const Feature = {
  PGID64: 1n << 9n,
  MSG_AUTH: 1n << 23n,
  SERVER_LUMINOUS: 1n << 21n, // also RESEND_ON_SPLIT, RADOS_BACKOFF, OSDMAP_PG_UPMAP, CRUSH_CHOOSE_ARGS
  SERVER_NAUTILUS: 1n << 2n,
  SERVER_OCTOPUS: 1n << 16n,
  SERVER_PACIFIC: 1n << 20n,
  SERVER_REEF: 1n << 31n, // incarnation 3 (with bits 28 and 57); already in Pacific's set
  SERVER_QUINCY: 1n << 33n, // incarnation 3
  CRUSH_MSR: 1n << 38n, // incarnation 2: MSR rules (squid's client requirement)
  SERVER_SQUID: 1n << 49n, // incarnation 2 (with bit 57)
  SERVER_TENTACLE: 1n << 50n, // incarnation 2: pg_pool_t v32 (decoded up to v30, the rest skipped by length)
  MON_STATEFUL_SUB: 1n << 57n,
  MSG_ADDR2: 1n << 59n,
  CEPHX_V2: 1n << 61n,
} as const;

/**
 * What we advertise: Pacific's set, the release bits up to Tentacle and CRUSH_MSR. Each changes
 * only encodings that rbd-ts decodes or skips by their length: OSDMap client data v10 with
 * pg_upmap_primaries, pg_pool_t past v30, MonMap v10 with the cephx cipher fields, the CRUSH
 * map's MSR rules and msr tunables (src/rados/crush/msr.ts maps them).
 */
export const CEPH_FEATURES_ALL = CEPH_FEATURES_PACIFIC | Feature.SERVER_QUINCY | Feature.CRUSH_MSR | Feature.SERVER_SQUID | Feature.SERVER_TENTACLE;

/** What we require of a peer: the msgr2 address encoding. */
export const CEPH_FEATURES_REQUIRED = Feature.MSG_ADDR2;
