// The scripted sessions that scripts/capture-handshake.ts records against a real cluster
// and test/unit/handshake-replay.test.ts replays: a mon handshake + one mon command, and
// an OSD handshake, in crc and secure mode. Everything random comes from `cx`'s source.

import { once } from 'node:events';
import type { CephxClient } from '../../src/auth/cephx.js';
import { EntityType, type EntityAddr } from '../../src/encoding/types.js';
import { Connection } from '../../src/msgr2/connection.js';
import { MsgType } from '../../src/msgr2/msg-types.js';
import type { Message } from '../../src/msgr2/message.js';
import { decodeMonCommandAck, encodeMonCommand, type MonCommandAck } from '../../src/mon/messages/mon-command.js';

export interface SessionSpec {
  kind: 'mon' | 'osd';
  peer: EntityAddr;
  modes: number[];
  globalSeq: bigint;
  gid: bigint;
  /** the features our CLIENT_IDENT advertises (default CEPH_FEATURES_ALL) */
  features?: bigint;
}

export interface SessionResult {
  conMode: number;
  globalId: bigint;
  ack?: MonCommandAck;
}

export const FIXTURE_COMMAND = '{"prefix": "osd pool ls", "format": "json"}';

export async function runSession(
  cx: CephxClient,
  spec: SessionSpec,
  myNonce: number,
  fsid: string,
  connectTo: { host: string; port: number },
): Promise<SessionResult> {
  const monAuth = spec.kind === 'mon' ? cx.monHandler() : undefined;
  const con = await Connection.open({
    peer: spec.peer,
    peerType: spec.kind === 'mon' ? EntityType.MON : EntityType.OSD,
    auth: monAuth ?? cx.serviceHandler(EntityType.OSD),
    modes: spec.modes,
    myNonce,
    globalSeq: spec.globalSeq,
    gid: spec.gid,
    ...(spec.features !== undefined ? { supportedFeatures: spec.features } : {}),
    connectTo,
    timeoutMs: 5000,
  });
  try {
    monAuth?.commit();
    const result: SessionResult = { conMode: con.conMode, globalId: con.globalId };
    if (spec.kind === 'mon') {
      const reply = new Promise<Message>((resolve, reject) => {
        con.on('message', (m) => {
          if (m.header.type === MsgType.MON_COMMAND_ACK) resolve(m);
        });
        con.once('close', (e) => reject(e ?? new Error('closed')));
      });
      con.send(encodeMonCommand({ tid: 1n, fsid, cmd: [FIXTURE_COMMAND] }));
      result.ack = decodeMonCommandAck(await reply);
    }
    return result;
  } finally {
    con.close();
    if (!con.isClosed) await once(con, 'close');
  }
}
