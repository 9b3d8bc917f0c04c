// PGNLS (list a PG's objects): the op's input is a cursor (hobject_t, ENCODE_START(4,3)
// {key, oid, snap, hash, max, nspace, pool}); the output is pg_nls_response_t
// ENCODE_START(1,1) {hobject_t handle, u32 n, n × (nspace, oid, locator)}. A handle
// with max set means the PG is exhausted.

import { Decoder } from '../../encoding/decoder.js';
import { Encoder } from '../../encoding/encoder.js';

/** LIBRADOS_ALL_NSPACES: list every namespace */
export const ALL_NSPACES = '\u0001';

/** hobject_t(): the start of a PG (snap 0, hash 0, not max, pool INT64_MIN) */
export const DEFAULT_HOBJECT: Buffer = new Encoder(48)
  .versioned(4, 3, (e) =>
    e
      .string('')
      .string('')
      .u64(0n)
      .u32(0)
      .u8(0)
      .string('')
      .s64(-(2n ** 63n)),
  )
  .toBuffer();

export interface PgNlsPage {
  /** the raw hobject_t to pass back as the next cursor */
  handle: Buffer;
  handleIsMax: boolean;
  entries: Array<{ nspace: string; oid: string; locator: string }>;
}

export function decodePgNlsResponse(out: Buffer): PgNlsPage {
  const d = new Decoder(out, 0, out.length, 'pg_nls_response_t');
  return d.versioned(1, 'pg_nls_response_t', (x) => {
    const start = x.pos;
    const handleIsMax = x.versioned(4, 'hobject_t', (h) => {
      h.string(); // key
      h.string(); // oid
      h.u64(); // snap
      h.u32(); // hash
      return h.bool(); // max
    });
    const handle = Buffer.from(x.buf.subarray(start, x.pos));
    const entries = x.list((e) => ({ nspace: e.string(), oid: e.string(), locator: e.string() }), 12);
    return { handle, handleIsMax, entries };
  });
}
