// A real glance-api for tests: scripts/glance.sh start (temp dir, sqlite, no Keystone, rbd store
// in pool `images` of the given cluster, loopback, free port), stopped by pid at the end.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolveClientConfig } from '../../src/config/client-config.js';
import { CEPH_CRYPTO_AES256KRB5 } from '../../src/config/crypto-key.js';
import { GlanceClient } from '../../src/glance/glance-client.js';
import { runCommand } from './cluster.js';

export interface TestGlance {
  url: string;
  /** state directory (logs in DIR/log) */
  dir: string;
  client: GlanceClient;
  stop(): Promise<void>;
}

const ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'scripts', 'glance.sh'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('scripts/glance.sh not found');
    dir = up;
  }
  return dir;
})();

/**
 * Whether the host's glance-api needs a legacy (aes) key on `conf`'s cluster: Debian 12's
 * glance-api loads the host's librbd 16.2, which cannot read an aes256k key (a Tentacle
 * cluster's default).
 */
export async function glanceNeedsLegacyKey(conf: string): Promise<boolean> {
  const cfg = await resolveClientConfig({ conf });
  return cfg.key.type === CEPH_CRYPTO_AES256KRB5;
}

/**
 * Start glance-api against `conf`'s cluster, image pool `pool` (created when missing);
 * `legacyKey`: Glance's user gets an aes key and aes joins the cluster's allowed ciphers
 * (glance.sh --legacy-key; throwaway clusters only).
 */
export async function startGlance(conf: string, opts: { pool?: string; legacyKey?: boolean } = {}): Promise<TestGlance> {
  const args = [join(ROOT, 'scripts/glance.sh'), 'start', conf, '--pool', opts.pool ?? 'images', '--owner-pid', String(process.pid)];
  if (opts.legacyKey) args.push('--legacy-key');
  // the step runs in its own process group, killed whole on timeout (a stuck `rbd pool init` under it included)
  const r = await runCommand('bash', args, 100_000);
  const lines = r.stdout.trim().split('\n');
  const url = lines[lines.length - 1]?.trim() ?? '';
  const dir = lines[lines.length - 2]?.trim() ?? '';
  if (r.code !== 0 || !url.startsWith('http://') || !dir.startsWith('/')) {
    throw new Error(`glance.sh start failed (exit ${r.code}):\n${r.stderr.split('\n').slice(-30).join('\n')}`);
  }
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await runCommand('bash', [join(ROOT, 'scripts/glance.sh'), 'stop', dir], 30_000);
  };
  process.once('exit', () => {
    // last resort if a test run dies before after.always: stop it by pid
    if (!stopped) spawn('bash', [join(ROOT, 'scripts/glance.sh'), 'stop', dir], { detached: true, stdio: 'ignore' }).unref();
  });
  // calls bounded well inside ava's 120 s inactivity timeout (the client's default for an
  // upload or download is 10 min): a stuck glance-api fails the test instead of stalling the run
  return { url, dir, client: new GlanceClient(url, { timeoutMs: 90_000 }), stop };
}
