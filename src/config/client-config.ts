// Resolving what a client needs to connect — cluster name, entity name, monitor
// addresses and the cephx secret — from explicit options, the environment, ceph.conf
// and keyrings, with Ceph's rules:
//
//   conf file   opts.conf ?? $CEPH_CONF ?? first existing of /etc/ceph/$cluster.conf,
//               $home/.ceph/$cluster.conf, ./$cluster.conf (each may be a comma list).
//               An explicitly named conf must exist; a missing default is fine.
//   cluster     opts.cluster ?? the explicit conf's basename up to ".conf" ?? 'ceph'
//   name        opts.name ('client.x') ?? 'client.' + opts.id ?? 'client.admin'
//   options     explicit (opts.monHost/keyring/key, then opts.options) > $CEPH_KEYRING
//               (keyring only) > conf ([type.id] > [type] > [global])
//   monitors    mon_host, else `mon addr` of the conf's [mon.X] sections
//   key         key option > keyfile option > the first keyring file in the `keyring`
//               list (default /etc/ceph/$cluster.$name.keyring, /etc/ceph/$cluster.keyring,
//               /etc/ceph/keyring, /etc/ceph/keyring.bin) that exists and holds the name

import os from 'node:os';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { cephError, isErrno } from '../encoding/errno.js';
import { CephConf, fsError, normalizeKey, sectionsFor } from './ceph-conf.js';
import { parseCryptoKey, type CryptoKeyInfo } from './crypto-key.js';
import { entityNameToString, parseEntityName, type EntityName } from './entity-name.js';
import { Keyring } from './keyring.js';
import { expandMeta, type MetaContext } from './metavars.js';
import { parseMonHost, resolveMonAddrs, type HostLookup, type MonAddrVec } from './mon-host.js';
import { parseBool, parseInteger, parseNumber, parseSeconds, parseSize } from './option-values.js';

export interface ClientOptions {
  /** config file path (or comma-separated list: first existing wins) */
  conf?: string;
  /** keyring path (or comma-separated list) */
  keyring?: string;
  /** base64 CryptoKey */
  key?: string;
  /** entity id: 'admin' means client.admin */
  id?: string;
  /** full entity name, e.g. 'client.admin'; wins over id */
  name?: string;
  /** mon_host value, e.g. '10.0.0.1,10.0.0.2' or '[v2:10.0.0.1:3300,v1:10.0.0.1:6789]' */
  monHost?: string;
  /** cluster name (default 'ceph') */
  cluster?: string;
  /** any other options, as on the command line (--rados_osd_op_timeout 30 → { rados_osd_op_timeout: '30' }) */
  options?: Record<string, string>;
}

export interface ResolvedConfig {
  cluster: string;
  name: EntityName;
  /** one vector per monitor, hostnames resolved */
  monAddrs: MonAddrVec[];
  /** the cephx key: type (1 aes, 2 aes256k) and secret */
  key: CryptoKeyInfo;
  /** where the key came from */
  keySource: 'key' | 'keyfile' | 'keyring';
  /** the keyring (or keyfile) the secret was read from */
  keyringPath?: string;
  /** the conf file used, if any */
  confPath?: string;
  conf?: CephConf;
  fsid?: string;
  /** an option's value (explicit options > environment > conf), metavariables expanded */
  get(option: string): string | undefined;
  getNumber(option: string): number | undefined;
  getInteger(option: string): number | undefined;
  getBool(option: string): boolean | undefined;
  /** a duration in seconds ("30", "30s", "5m", "1h30m") */
  getSeconds(option: string): number | undefined;
  /** a byte size ("4096", "4M", "1GiB") */
  getSize(option: string): number | undefined;
}

/** Test seams: DNS, the short host name used for $host, and the default search lists. */
export interface ResolveDeps {
  lookup?: HostLookup;
  host?: string;
  /** replaces DEFAULT_CONF_SEARCH */
  defaultConfSearch?: string;
  /** replaces DEFAULT_KEYRING_SEARCH */
  defaultKeyringSearch?: string;
}

export const DEFAULT_CONF_SEARCH = '/etc/ceph/$cluster.conf, $home/.ceph/$cluster.conf, $cluster.conf';
export const DEFAULT_KEYRING_SEARCH = '/etc/ceph/$cluster.$name.keyring,/etc/ceph/$cluster.keyring,/etc/ceph/keyring,/etc/ceph/keyring.bin';

/** Split a file list as Ceph's get_str_list does (delimiters ; , = and blanks). */
export function splitPathList(s: string): string[] {
  return s.split(/[;,=\s]+/).filter((p) => p !== '');
}

/** Cluster name from a conf path, as Ceph: basename up to ".conf", else 'ceph'. */
export function clusterFromConfPath(p: string): string {
  const base = path.basename(p);
  const i = base.indexOf('.conf');
  return i > 0 ? base.slice(0, i) : 'ceph';
}

function resolveName(opts: ClientOptions): EntityName {
  if (opts.name !== undefined) return parseEntityName(opts.name, 'client name');
  if (opts.id !== undefined) {
    if (opts.id === '' || /\s/.test(opts.id)) {
      throw cephError('EINVAL', `invalid client id '${opts.id}'`, { op: 'resolve config' });
    }
    return { type: 'client', id: opts.id };
  }
  return { type: 'client', id: 'admin' };
}

export async function resolveClientConfig(opts: ClientOptions, env: NodeJS.ProcessEnv = process.env, deps: ResolveDeps = {}): Promise<ResolvedConfig> {
  const name = resolveName(opts);
  const nameStr = entityNameToString(name);
  const home = env.HOME ?? os.homedir();

  // ---- config file
  const explicitConf = opts.conf ?? (env.CEPH_CONF !== undefined && env.CEPH_CONF.trim() !== '' ? env.CEPH_CONF : undefined);
  const earlyCluster = opts.cluster ?? 'ceph';
  const early: MetaContext = { cluster: earlyCluster, type: name.type, id: name.id, home };
  if (deps.host !== undefined) early.host = deps.host;
  const confCandidates = splitPathList(explicitConf ?? deps.defaultConfSearch ?? DEFAULT_CONF_SEARCH).map((p) => expandMeta(p, early));
  let conf: CephConf | undefined;
  let confPath: string | undefined;
  for (const p of confCandidates) {
    try {
      conf = await CephConf.load(p);
      confPath = p;
      break;
    } catch (err) {
      if (!isErrno(err, 'ENOENT', 'ENOTDIR')) throw err;
    }
  }
  if (!conf && explicitConf !== undefined) {
    throw cephError('ENOENT', `config file not found (looked in: ${confCandidates.join(', ')})`, {
      op: 'resolve config',
      target: explicitConf,
    });
  }
  const cluster = opts.cluster ?? (confPath !== undefined && explicitConf !== undefined ? clusterFromConfPath(confPath) : 'ceph');

  // ---- option layers
  const explicit = new Map<string, string>();
  for (const [k, v] of Object.entries(opts.options ?? {})) explicit.set(normalizeKey(k), v);
  if (opts.monHost !== undefined) explicit.set('mon_host', opts.monHost);
  if (opts.keyring !== undefined) explicit.set('keyring', opts.keyring);
  if (opts.key !== undefined) explicit.set('key', opts.key);
  const envLayer = new Map<string, string>();
  if (env.CEPH_KEYRING !== undefined && env.CEPH_KEYRING !== '') envLayer.set('keyring', env.CEPH_KEYRING);

  const sections = sectionsFor(name);
  const raw = (option: string): string | undefined => {
    const k = normalizeKey(option);
    return explicit.get(k) ?? envLayer.get(k) ?? conf?.getFromSections(k, sections);
  };
  const meta: MetaContext = { cluster, type: name.type, id: name.id, home };
  if (deps.host !== undefined) meta.host = deps.host;
  const get = (option: string): string | undefined => {
    const v = raw(option);
    return v === undefined ? undefined : expandMeta(v, meta, raw, normalizeKey(option));
  };
  const typed =
    <T>(parse: (v: string, o: string) => T) =>
    (option: string): T | undefined => {
      const v = get(option);
      return v === undefined || v.trim() === '' ? undefined : parse(v, normalizeKey(option));
    };

  // ---- monitors
  let monVecs: MonAddrVec[];
  const monHost = get('mon_host')?.trim();
  if (monHost) {
    monVecs = parseMonHost(monHost);
  } else {
    monVecs = [];
    for (const s of conf?.sections() ?? []) {
      if (!s.startsWith('mon.') || s.length <= 4) continue;
      const addr = conf!.getFromSections('mon_addr', [s, 'mon', 'global']);
      if (addr && addr.trim() !== '') monVecs.push(...parseMonHost(expandMeta(addr, meta, raw)));
    }
    if (monVecs.length === 0) {
      const where = conf ? `in ${confPath}` : `and no config file was found (looked in: ${confCandidates.join(', ')})`;
      throw cephError('EINVAL', `no monitors specified to connect to: no mon_host option ${where}`, {
        op: 'resolve config',
      });
    }
  }

  // ---- key
  let cephxKey: CryptoKeyInfo | undefined;
  let keySource: ResolvedConfig['keySource'];
  let keyringPath: string | undefined;
  const key = get('key')?.trim();
  const keyfile = get('keyfile')?.trim();
  if (key) {
    cephxKey = parseCryptoKey(key, `key option for ${nameStr}`);
    keySource = 'key';
  } else if (keyfile) {
    let buf: Buffer;
    try {
      buf = await readFile(keyfile);
    } catch (err) {
      throw fsError(err, 'read keyfile', keyfile);
    }
    const kr = Keyring.fromBuffer(buf, keyfile);
    cephxKey = kr.keyFor(nameStr);
    if (!cephxKey) throw cephError('ENOENT', `keyfile ${keyfile} has no key for ${nameStr}`, { op: 'resolve config', target: keyfile });
    keySource = 'keyfile';
    keyringPath = keyfile;
  } else {
    const list = get('keyring') ?? expandMeta(deps.defaultKeyringSearch ?? DEFAULT_KEYRING_SEARCH, meta);
    const looked: string[] = [];
    for (const p of splitPathList(list)) {
      let kr: Keyring;
      try {
        kr = await Keyring.load(p);
      } catch (err) {
        if (isErrno(err, 'ENOENT', 'ENOTDIR')) {
          looked.push(`${p} (missing)`);
          continue;
        }
        if (isErrno(err, 'EACCES', 'EISDIR')) {
          looked.push(`${p} (${err.code})`);
          continue;
        }
        throw err;
      }
      const s = kr.keyFor(nameStr);
      if (s) {
        cephxKey = s;
        keyringPath = p;
        break;
      }
      looked.push(`${p} (no key for ${nameStr})`);
    }
    if (!cephxKey) {
      throw cephError('ENOENT', `no keyring found for ${nameStr} (looked in: ${looked.join(', ') || list})`, {
        op: 'resolve config',
      });
    }
    keySource = 'keyring';
  }

  // ---- resolve monitor hostnames last (it may touch DNS)
  const monAddrs = await resolveMonAddrs(monVecs, deps.lookup ? { lookup: deps.lookup } : {});

  const fsid = get('fsid')?.trim();
  const resolved: ResolvedConfig = {
    cluster,
    name,
    monAddrs,
    key: cephxKey,
    keySource,
    get,
    getNumber: typed(parseNumber),
    getInteger: typed(parseInteger),
    getBool: typed(parseBool),
    getSeconds: typed(parseSeconds),
    getSize: typed(parseSize),
  };
  if (keyringPath !== undefined) resolved.keyringPath = keyringPath;
  if (confPath !== undefined) resolved.confPath = confPath;
  if (conf !== undefined) resolved.conf = conf;
  if (fsid) resolved.fsid = fsid;
  return resolved;
}
