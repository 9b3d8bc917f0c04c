// PaxosServiceMessage header (src/messages/PaxosServiceMessage.h): u64 version,
// s16 deprecated_session_mon, u64 deprecated_session_mon_tid. Clients send 0, -1, 0.

import type { Decoder } from '../../encoding/decoder.js';
import type { Encoder } from '../../encoding/encoder.js';

export interface PaxosHeader {
  version: bigint;
  sessionMon: number;
  sessionMonTid: bigint;
}

export function encodePaxosHeader(e: Encoder, h: PaxosHeader = { version: 0n, sessionMon: -1, sessionMonTid: 0n }): void {
  e.u64(h.version).s16(h.sessionMon).u64(h.sessionMonTid);
}

export function decodePaxosHeader(d: Decoder): PaxosHeader {
  return { version: d.u64(), sessionMon: d.s16(), sessionMonTid: d.u64() };
}
