// The objecter's view of the maps: the OSDMapTracker's current OSDMap, with the few
// lookups the objecter makes per op.

import { EventEmitter } from 'node:events';
import type { MapSource, OsdMapView } from './objecter.js';
import type { PgId } from './messages/osd-op.js';
import type { OSDMap } from './osdmap/osdmap.js';
import type { OSDMapTracker } from './osdmap/map-tracker.js';

export function viewOf(map: OSDMap): OsdMapView {
  return {
    epoch: map.epoch,
    poolExists: (pool) => map.poolExists(pool),
    poolFull: (pool) => map.poolFull(pool),
    target: (oloc, oid) => map.target(oloc, oid),
    pool: (pool) => {
      const p = map.getPool(pool);
      return p ? { size: p.size, minSize: p.minSize, pgNum: p.pgNum, pgNumPending: p.pgNumPending, lastForceOpResend: p.lastForceOpResend } : undefined;
    },
    targetPg: (pgid: PgId) => {
      const ua = map.pgToUpActing(pgid);
      return { primary: ua.actingPrimary, acting: ua.acting, up: ua.up, upPrimary: ua.upPrimary };
    },
    pgNum: (pool) => map.getPool(pool)?.pgNum ?? 0,
    osdAddr: (osd) => map.osdAddr(osd),
    osdUp: (osd) => map.osdUp(osd),
    blocklisted: (nonce, ip) => map.isBlocklisted(nonce, ip),
  };
}

export class TrackerMapSource extends EventEmitter implements MapSource {
  private view: OsdMapView | undefined;
  private viewEpoch = -1;

  constructor(readonly tracker: OSDMapTracker) {
    super();
    tracker.on('map', (m) => this.emit('map', this.viewFor(m)));
  }

  private viewFor(m: OSDMap): OsdMapView {
    if (!this.view || this.viewEpoch !== m.epoch) {
      this.view = viewOf(m);
      this.viewEpoch = m.epoch;
    }
    return this.view;
  }

  get current(): OsdMapView | undefined {
    const m = this.tracker.current;
    return m ? this.viewFor(m) : undefined;
  }

  async waitForMap(opts: { timeoutMs?: number; signal?: AbortSignal }): Promise<OsdMapView> {
    return this.viewFor(await this.tracker.waitForMap(opts));
  }

  requestNewer(): void {
    this.tracker.requestNewer();
  }
}
