// Ceph entity names ("client.admin", "osd.0", "client.rbd-mirror.site-a"): a type
// and an id separated by the first '.'.

import { cephError } from '../encoding/errno.js';

export interface EntityName {
  /** 'client', 'mon', 'osd', 'mds', 'mgr' or 'auth' */
  type: string;
  /** everything after the first '.', e.g. 'admin' */
  id: string;
}

/** The entity types Ceph knows (EntityName::from_str accepts only these). */
export const ENTITY_TYPES: readonly string[] = ['auth', 'mon', 'osd', 'mds', 'mgr', 'client'];

/** Entity type numbers as used on the wire (CEPH_ENTITY_TYPE_*). */
export const ENTITY_TYPE_NUMBERS: Readonly<Record<string, number>> = {
  mon: 0x01,
  mds: 0x02,
  osd: 0x04,
  client: 0x08,
  mgr: 0x10,
  auth: 0x20,
};

/** Parse "type.id", or return undefined when it is not a valid entity name. */
export function tryParseEntityName(s: string): EntityName | undefined {
  const dot = s.indexOf('.');
  if (dot <= 0) return undefined;
  const type = s.slice(0, dot);
  const id = s.slice(dot + 1);
  if (!ENTITY_TYPES.includes(type) || id.length === 0 || /\s/.test(id)) return undefined;
  return { type, id };
}

/** Parse "type.id" (e.g. "client.admin"); EINVAL when malformed. */
export function parseEntityName(s: string, what = 'entity name'): EntityName {
  const n = tryParseEntityName(s);
  if (!n) {
    throw cephError('EINVAL', `invalid ${what} '${s}': expected <type>.<id> with type one of ${ENTITY_TYPES.join(', ')}`);
  }
  return n;
}

/** "client.admin" */
export function entityNameToString(n: EntityName): string {
  return `${n.type}.${n.id}`;
}
