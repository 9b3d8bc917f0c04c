// The exclusive-lock payloads captured from librbd (fixtures/rbd-lock/): notifies, acks and
// lock.get_info replies, shared by the lock and image-watcher unit tests.

import { readFileSync } from 'node:fs';

export interface PacificCapture {
  notifies: Array<{ what: string; hex: string; op: number; gid: string; handle: string; force?: boolean }>;
  get_info: { hex: string; entity_type: number; entity_num: string; cookie: string; addr: string; type: number; tag: string };
}

export interface LibrbdCapture {
  getInfo: { hex: string };
  responses: { accepted: { hex: string[] }; refused: { hex: string[] } };
  notifies: Array<{ what: string; hex: string }>;
}

const fixture = <T>(f: string): T => JSON.parse(readFileSync(new URL(`../../fixtures/rbd-lock/${f}`, import.meta.url), 'utf8')) as T;

/** librbd-pacific.json: lock notifies with their decoded fields, and a get_info reply */
export const pacific = fixture<PacificCapture>('librbd-pacific.json');
/** librbd-capture.json: acks (accept / refuse) and notifies as librbd sent them */
export const capture = fixture<LibrbdCapture>('librbd-capture.json');
export const hex = (s: string): Buffer => Buffer.from(s, 'hex');
