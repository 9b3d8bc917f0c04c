// Ceph keyrings: the text form (INI, as written by `ceph auth get`)
//
//   [client.admin]
//       key = AQ...==
//       caps mon = "allow *"
//
// the binary form (keyring.bin: encoded map<EntityName, EntityAuth>), and a file that
// holds nothing but a base64 key (as used by `keyfile`), which applies to any name.

import { readFile } from 'node:fs/promises';
import { cephError } from '../encoding/errno.js';
import { CephConf, fsError } from './ceph-conf.js';
import { parseCryptoKey, readCryptoKey, type CryptoKeyInfo } from './crypto-key.js';
import { ENTITY_TYPE_NUMBERS, tryParseEntityName } from './entity-name.js';

export { decodeCryptoKey, encodeCryptoKey, parseCryptoKey, type CryptoKeyInfo } from './crypto-key.js';

export interface KeyringEntry {
  /** entity name, e.g. 'client.admin' */
  name: string;
  /** the key (aes or aes256k); undefined for an entry that only has caps */
  key: CryptoKeyInfo | undefined;
  /** capabilities by service: { mon: 'allow *', osd: 'allow *' } */
  caps: Record<string, string>;
}

const BARE_KEY_RE = /^[A-Za-z0-9+/]+={0,2}$/;

/** Decode keyring.bin (u8 struct_v, map<EntityName, EntityAuth>); throws EINVAL when malformed. */
function decodeBinary(buf: Buffer, where: string): Map<string, KeyringEntry> {
  let off = 0;
  const need = (n: number, what: string): void => {
    if (buf.length - off < n) throw cephError('EINVAL', `binary keyring truncated reading ${what} at offset ${off}`, { op: 'parse keyring', target: where });
  };
  const u8 = (what: string): number => {
    need(1, what);
    return buf.readUInt8(off++);
  };
  const u32 = (what: string): number => {
    need(4, what);
    const v = buf.readUInt32LE(off);
    off += 4;
    return v;
  };
  const bytes = (what: string): Buffer => {
    const len = u32(`${what} length`);
    need(len, what);
    const b = buf.subarray(off, off + len);
    off += len;
    return b;
  };
  const typeNames = new Map(Object.entries(ENTITY_TYPE_NUMBERS).map(([k, v]) => [v, k]));

  u8('struct_v');
  const count = u32('entry count');
  const entries = new Map<string, KeyringEntry>();
  for (let i = 0; i < count; i++) {
    const typeNum = u32('entity type');
    const type = typeNames.get(typeNum);
    if (type === undefined) throw cephError('EINVAL', `binary keyring: unknown entity type ${typeNum}`, { op: 'parse keyring', target: where });
    const id = bytes('entity id').toString('utf8');
    const name = `${type}.${id}`;
    const v = u8('EntityAuth struct_v');
    if (v >= 2) {
      need(8, 'auid');
      off += 8;
    }
    const { key, end } = readCryptoKey(buf, off, `key of ${name} in ${where}`);
    off = end;
    const ncaps = u32('caps count');
    const caps: Record<string, string> = {};
    for (let c = 0; c < ncaps; c++) {
      const svc = bytes('caps service').toString('utf8');
      const bl = bytes('caps value');
      // the bufferlist holds an encoded string: u32 length + bytes
      caps[svc] = bl.length >= 4 && bl.readUInt32LE(0) === bl.length - 4 ? bl.subarray(4).toString('utf8') : bl.toString('utf8');
    }
    entries.set(name, { name, key, caps });
  }
  if (off !== buf.length) throw cephError('EINVAL', `binary keyring: ${buf.length - off} trailing bytes`, { op: 'parse keyring', target: where });
  return entries;
}

export class Keyring {
  /** the file it was read from, if any */
  readonly path: string | undefined;
  private readonly entries: Map<string, KeyringEntry>;
  /** a file holding only a base64 key: it serves any name */
  private readonly bareKey: CryptoKeyInfo | undefined;

  private constructor(entries: Map<string, KeyringEntry>, bareKey: CryptoKeyInfo | undefined, path: string | undefined) {
    this.entries = entries;
    this.bareKey = bareKey;
    this.path = path;
  }

  /**
   * Parse a text keyring, or a bare base64 key. EINVAL (naming `path` and the problem)
   * on a malformed file, an invalid section name or an invalid key.
   */
  static parse(text: string, path?: string): Keyring {
    const where = path ?? '<string>';
    const trimmed = text.trim();
    if (trimmed === '') throw cephError('EINVAL', `${where}: empty keyring`, { op: 'parse keyring', target: where });
    if (BARE_KEY_RE.test(trimmed)) {
      return new Keyring(new Map(), parseCryptoKey(trimmed, `key in ${where}`), path);
    }
    const conf = CephConf.parse(text, path);
    const entries = new Map<string, KeyringEntry>();
    for (const section of conf.sections()) {
      if (section === 'global') continue;
      // "[mon.]" (an empty id) is how Ceph names the mon secret in every cluster keyring
      const monDot = /^(mon|mgr|osd|mds|client|auth)\.$/.test(section);
      if (!monDot && !tryParseEntityName(section)) throw cephError('EINVAL', `bad entity name [${section}]`, { op: 'parse keyring', target: where });
      const entry: KeyringEntry = { name: section, key: undefined, caps: {} };
      for (const [k, v] of conf.section(section) ?? []) {
        if (k === 'key') {
          entry.key = parseCryptoKey(v, `key of [${section}] in ${where}`);
        } else if (k.startsWith('caps_')) {
          const svc = k.slice(5);
          if (svc === '') throw cephError('EINVAL', `${where}: [${section}]: caps without a service name`, { op: 'parse keyring', target: where });
          entry.caps[svc] = v;
        } else if (k !== 'auid') {
          // Ceph ignores 'auid' (old keyrings) and rejects anything else
          throw cephError('EINVAL', `${where}: [${section}]: unknown keyring field '${k.replace(/_/g, ' ')}'`, { op: 'parse keyring', target: where });
        }
      }
      entries.set(section, entry);
    }
    return new Keyring(entries, undefined, path);
  }

  /** Parse file contents: the binary keyring.bin form or text. */
  static fromBuffer(buf: Buffer, path?: string): Keyring {
    const where = path ?? '<buffer>';
    const first = buf[0];
    if (first !== undefined && first < 0x09) {
      return new Keyring(decodeBinary(buf, where), undefined, path);
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      throw cephError('EINVAL', `${where}: neither a binary keyring nor UTF-8 text`, { op: 'parse keyring', target: where });
    }
    return Keyring.parse(text, path);
  }

  /** Read and parse a keyring file: ENOENT when missing, EINVAL when malformed. */
  static async load(path: string): Promise<Keyring> {
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (err) {
      throw fsError(err, 'read keyring', path);
    }
    return Keyring.fromBuffer(buf, path);
  }

  /** The key for an entity name such as 'client.admin' (a copy). */
  keyFor(name: string): CryptoKeyInfo | undefined {
    const k = this.entries.get(name)?.key ?? this.bareKey;
    return k ? { type: k.type, created: { ...k.created }, secret: Buffer.from(k.secret) } : undefined;
  }

  /** Capabilities recorded for a name, if any. */
  capsFor(name: string): Record<string, string> | undefined {
    const e = this.entries.get(name);
    return e ? { ...e.caps } : undefined;
  }

  /** Entity names with a section in this keyring (empty for a bare key). */
  names(): string[] {
    return [...this.entries.keys()];
  }

  /** True when the keyring is just a base64 key that serves any name. */
  get isBareKey(): boolean {
    return this.bareKey !== undefined;
  }
}
