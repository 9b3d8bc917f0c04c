// `rbd-ts status`: who the cluster is and how we talk to it.

import type { Rados } from '../../rados/rados.js';
import { printJson, type Format } from '../output.js';

export async function statusCommand(rados: Rados, format: Format, pretty: boolean): Promise<void> {
  const s = await rados.status();
  if (format === 'json') {
    printJson(
      {
        fsid: s.fsid,
        client: s.name,
        global_id: Number(s.globalId),
        monmap_epoch: s.monmapEpoch,
        osdmap_epoch: s.osdmapEpoch,
        mons: s.mons,
        session_mon: s.sessionMon,
        auth_mode: s.authMode,
        connect_ms: s.connectMs,
      },
      pretty,
    );
    return;
  }
  const lines = [
    `fsid:          ${s.fsid}`,
    `client:        ${s.name} (global_id ${s.globalId})`,
    `monmap epoch:  ${s.monmapEpoch}`,
    `osdmap epoch:  ${s.osdmapEpoch}`,
    `mons:`,
    ...s.mons.map((m) => `  ${m.rank}: ${m.name} ${m.addr}${m.name === s.sessionMon ? '  (session)' : ''}`),
    `auth mode:     ${s.authMode}`,
    `connect time:  ${s.connectMs.toFixed(2)} ms`,
  ];
  process.stdout.write(lines.join('\n') + '\n');
}
