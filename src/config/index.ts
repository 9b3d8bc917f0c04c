// Client configuration: ceph.conf, keyrings, mon_host, and resolving them together.

export { CephConf, normalizeKey, sectionsFor } from './ceph-conf.js';
export {
  CEPH_CRYPTO_AES,
  CEPH_CRYPTO_AES256KRB5,
  CEPH_CRYPTO_NONE,
  cryptoKeyTypeName,
  decodeCryptoKey,
  encodeCryptoKey,
  parseCryptoKey,
  readCryptoKey,
  type CryptoKeyInfo,
} from './crypto-key.js';
export { ENTITY_TYPES, ENTITY_TYPE_NUMBERS, entityNameToString, parseEntityName, tryParseEntityName, type EntityName } from './entity-name.js';
export { Keyring, type KeyringEntry } from './keyring.js';
export { expandMeta, shortHostname, type MetaContext, type OptionLookup } from './metavars.js';
export {
  CEPH_MON_PORT_IANA,
  CEPH_MON_PORT_LEGACY,
  formatMonAddr,
  formatMonAddrVec,
  parseMonHost,
  resolveMonAddrs,
  resolveMonHost,
  v2Addrs,
  type HostLookup,
  type LookupResult,
  type MonAddr,
  type MonAddrVec,
} from './mon-host.js';
export { parseBool, parseInteger, parseNumber, parseSeconds, parseSize } from './option-values.js';
export {
  DEFAULT_CONF_SEARCH,
  DEFAULT_KEYRING_SEARCH,
  clusterFromConfPath,
  resolveClientConfig,
  splitPathList,
  type ClientOptions,
  type ResolveDeps,
  type ResolvedConfig,
} from './client-config.js';
