// rbd:// image locations as glance_store's rbd driver writes and parses them (StoreLocation):
// `rbd://<fsid>/<pool>/<image>/<snapshot>`, each piece percent-encoded (Python's quote(x, '')),
// or the short legacy form `rbd://<image>` (pool from the store's configuration, no snapshot),
// which glance_store takes verbatim (no unquoting). Any other number of pieces, or an empty
// piece, is a bad store URI.

import { cephError, type CephError } from '../encoding/errno.js';

export const RBD_SCHEME = 'rbd://';

export interface RbdLocation {
  /** cluster fsid (absent in the short form) */
  fsid?: string;
  /** pool name (absent in the short form) */
  pool?: string;
  /** RBD image name (Glance's image id) */
  image: string;
  /** snapshot name (glance_store always writes `snap`) */
  snapshot?: string;
}

function badLocation(url: string, why: string): CephError {
  return cephError('EINVAL', `bad rbd location '${url}': ${why}`, { op: 'parse location', target: url });
}

function decode(url: string, piece: string): string {
  try {
    return decodeURIComponent(piece);
  } catch {
    throw badLocation(url, `bad percent-encoding in '${piece}'`);
  }
}

/** Parse `rbd://fsid/pool/image/snap` or `rbd://image`; throws CephError EINVAL for anything else. */
export function parseLocation(url: string): RbdLocation {
  if (typeof url !== 'string' || !url.startsWith(RBD_SCHEME)) throw badLocation(String(url), `not an ${RBD_SCHEME} URI`);
  const rest = url.slice(RBD_SCHEME.length);
  const pieces = rest.split('/');
  if (pieces.some((p) => p === '')) throw badLocation(url, 'empty component');
  if (pieces.length === 1) return { image: pieces[0]! };
  if (pieces.length !== 4) throw badLocation(url, `expected rbd://<fsid>/<pool>/<image>/<snapshot> or rbd://<image>, got ${pieces.length} components`);
  const [fsid, pool, image, snapshot] = pieces.map((p) => decode(url, p)) as [string, string, string, string];
  return { fsid, pool, image, snapshot };
}

/** The URI glance_store writes (each piece percent-encoded as Python's urllib.parse.quote does). */
export function formatLocation(loc: RbdLocation): string {
  const q = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase());
  if (loc.fsid === undefined && loc.pool === undefined && loc.snapshot === undefined) {
    if (!loc.image || loc.image.includes('/')) throw cephError('EINVAL', `bad image name '${loc.image}' for a short rbd location`, { op: 'format location' });
    return RBD_SCHEME + loc.image;
  }
  if (!loc.fsid || !loc.pool || !loc.image || !loc.snapshot) {
    throw cephError('EINVAL', 'a full rbd location needs fsid, pool, image and snapshot', { op: 'format location', image: loc.image });
  }
  return RBD_SCHEME + [loc.fsid, loc.pool, loc.image, loc.snapshot].map(q).join('/');
}

/** True when `s` looks like an rbd:// location (not a Glance image id). */
export function isLocation(s: string): boolean {
  return s.startsWith(RBD_SCHEME);
}
