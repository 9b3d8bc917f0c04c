// Throwaway Ceph clusters for integration tests, driven by scripts/cluster.sh.
//
//   const cluster = await sharedCluster();          // CEPH_CONF, or one per process
//   const {stdout} = await ceph(cluster, ['fsid']);
//
// Every cluster this module starts is stopped when the process exits, even on
// SIGINT/SIGTERM/SIGHUP; a watchdog started by cluster.sh (--owner-pid) also
// stops it if this process is SIGKILLed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface TestCluster {
  /** Directory holding everything of the cluster (ceph.conf, keyring, logs, ...). */
  dir: string;
  /** Path of ceph.conf. */
  conf: string;
  /** Path of the keyring with client.admin. */
  keyring: string;
  fsid: string;
  /** The `mon host` line of ceph.conf, e.g. `[v2:127.0.0.1:23456]`. */
  monHost: string;
  /** Stops the daemons and removes dir; a no-op for a cluster given by CEPH_CONF. */
  stop(): Promise<void>;
  /** Kills mon `name` (a, b or c) by pid. */
  killMon(name: string): Promise<void>;
  /** Kills osd.`id` by pid (SIGKILL unless told TERM). */
  killOsd(id: number, signal?: 'KILL' | 'TERM'): Promise<void>;
  /** Starts osd.`id` again (a memstore OSD comes back empty and recovers from its peers). */
  reviveOsd(id: number): Promise<void>;
  /** Starts mon `name` again (it rejoins the quorum with its store). */
  reviveMon(name: string): Promise<void>;
}

export interface StartOptions {
  mons?: 1 | 3;
  osds?: number;
  secure?: boolean;
}

export interface CommandResult {
  stdout: string;
  stderr: string;
  /** Exit status; 124 if the command timed out, 128+n if killed by signal n. */
  code: number;
}

const MARKER = '.rbd-ts-cluster';
const COMMAND_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 180_000;

function findScript(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'scripts', 'cluster.sh');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('scripts/cluster.sh not found above ' + fileURLToPath(import.meta.url));
    dir = parent;
  }
}

const SCRIPT = findScript();

// ---------------------------------------------------------------- cleanup ---

/** Dirs of clusters started by this process and not yet stopped. */
const live = new Set<string>();
let hooksInstalled = false;

function stopSync(dir: string): void {
  spawnSync('bash', [SCRIPT, 'stop', dir], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 30_000 });
  live.delete(dir);
}

function stopAllSync(): void {
  for (const dir of [...live]) stopSync(dir);
}

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', stopAllSync);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      stopAllSync();
      // If nobody else handles the signal, die of it as we would have.
      process.removeListener(signal, handler);
      if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
    };
    process.on(signal, handler);
  }
}

// -------------------------------------------------------------- conf file ---

function confValue(text: string, key: string): string | undefined {
  // ceph treats spaces, underscores and dashes in option names alike
  const norm = (s: string): string =>
    s
      .trim()
      .toLowerCase()
      .replace(/[ _-]+/g, '_');
  const want = norm(key);
  let section = '';
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[;#].*$/, '').trim();
    if (!line) continue;
    const sec = /^\[(.+)\]$/.exec(line);
    if (sec) {
      section = sec[1]!.trim();
      continue;
    }
    if (section !== 'global') continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    if (norm(line.slice(0, eq)) === want) return line.slice(eq + 1).trim();
  }
  return undefined;
}

async function daemonCommand(managed: boolean, dir: string, args: string[]): Promise<void> {
  if (!managed) throw new Error(`${dir} was not made by scripts/cluster.sh: cannot ${args[0]}`);
  const r = await runCommand('bash', [SCRIPT, ...args], 60_000);
  if (r.code !== 0) throw new Error(`cluster.sh ${args.join(' ')} failed (${r.code}): ${r.stderr.trim()}`);
}

function describe(conf: string, own: boolean): TestCluster {
  conf = resolve(conf);
  const text = readFileSync(conf, 'utf8');
  const dir = dirname(conf);
  const fsid = confValue(text, 'fsid');
  const monHost = confValue(text, 'mon host');
  if (!fsid || !monHost) throw new Error(`${conf}: no fsid or mon host in [global]`);
  const keyring = confValue(text, 'keyring') ?? join(dir, 'keyring');
  const managed = existsSync(join(dir, MARKER));
  return {
    dir,
    conf,
    keyring,
    fsid,
    monHost,
    async stop() {
      if (!own || !live.has(dir)) return;
      live.delete(dir);
      const r = await runCommand('bash', [SCRIPT, 'stop', dir], 60_000);
      if (r.code !== 0) throw new Error(`cluster.sh stop ${dir} failed (${r.code}): ${r.stderr.trim()}`);
    },
    async killMon(name: string) {
      await daemonCommand(managed, dir, ['kill-mon', dir, name]);
    },
    async killOsd(id: number, signal: 'KILL' | 'TERM' = 'KILL') {
      await daemonCommand(managed, dir, ['kill-osd', dir, String(id), signal]);
    },
    async reviveOsd(id: number) {
      await daemonCommand(managed, dir, ['revive-osd', dir, String(id)]);
    },
    async reviveMon(name: string) {
      await daemonCommand(managed, dir, ['revive-mon', dir, name]);
    },
  };
}

// --------------------------------------------------------------- releases ---

/**
 * Make `release` (pacific, reef, tentacle) the one this process's clusters run and its tools
 * (ceph, rbd, rados, python3-rbd) the ones on PATH: scripts/release.sh ensure (builds the
 * release's root on first use), then RBD_TS_RELEASE, RBD_TS_TOOLS and PATH.
 */
export function useRelease(release: string): void {
  const r = spawnSync('bash', [join(dirname(SCRIPT), 'release.sh'), 'ensure', release], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 1_800_000,
  });
  if (r.status !== 0) throw new Error(`release ${release} is not available (scripts/release.sh ensure ${release} exited ${r.status ?? r.signal})`);
  const tools = r.stdout.trim();
  process.env['RBD_TS_RELEASE'] = release;
  process.env['RBD_TS_TOOLS'] = tools;
  if (tools && !(process.env['PATH'] ?? '').startsWith(`${tools}:`)) process.env['PATH'] = `${tools}:${process.env['PATH'] ?? ''}`;
}

// ------------------------------------------------------------------ start ---

export async function startCluster(opts: StartOptions = {}): Promise<TestCluster> {
  const args = [SCRIPT, 'start', '--mons', String(opts.mons ?? 1), '--osds', String(opts.osds ?? 1)];
  if (opts.secure) args.push('--secure');
  args.push('--owner-pid', String(process.pid));
  installHooks();
  const r = await runCommand('bash', args, START_TIMEOUT_MS);
  const lines = r.stdout.trim().split('\n');
  const dir = lines[lines.length - 1]?.trim() ?? '';
  if (r.code !== 0 || !dir.startsWith('/')) {
    throw new Error(`cluster.sh start failed (exit ${r.code}):\n${r.stderr.split('\n').slice(-60).join('\n')}`);
  }
  live.add(dir);
  return describe(join(dir, 'ceph.conf'), true);
}

let shared: Promise<TestCluster> | undefined;

/**
 * The cluster named by CEPH_CONF if set (never stopped by us), otherwise one
 * cluster (1 mon, 1 osd) started on first use and stopped when the process exits.
 */
export function sharedCluster(): Promise<TestCluster> {
  if (!shared) {
    const conf = process.env['CEPH_CONF'];
    shared = conf ? Promise.resolve(describe(conf, false)) : startCluster();
    shared.catch(() => {
      shared = undefined; // let a later caller try again
    });
  }
  return shared;
}

// ------------------------------------------------------------------- CLIs ---

export interface RunOptions {
  /** Written to the command's stdin (stdin is empty otherwise). */
  input?: string | Uint8Array;
  /** Default 60 s. */
  timeoutMs?: number;
}

/**
 * Run a command in a process group of its own; on timeout the whole group gets TERM, then KILL:
 * a grandchild (a `ceph` under cluster.sh or glance.sh) cannot keep the pipes, and this
 * promise, open. Never rejects.
 */
export function runCommand(cmd: string, args: string[], timeoutMs: number, input?: string | Uint8Array): Promise<CommandResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const killGroup = (signal: NodeJS.Signals): void => {
      try {
        process.kill(-child.pid!, signal);
      } catch {
        child.kill(signal); // the group is gone (or never formed)
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      // TERM first: cluster.sh start cleans up after itself on TERM
      killGroup('SIGTERM');
      killer = setTimeout(() => killGroup('SIGKILL'), 10_000);
    }, timeoutMs);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.stdin.on('error', () => {}); // EPIPE if the command does not read its input
    child.stdin.end(input ?? '');
    child.on('error', (e) => {
      clearTimeout(timer);
      resolvePromise({ stdout: '', stderr: String(e), code: 127 });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      clearTimeout(killer);
      const stderr = Buffer.concat(err).toString('utf8');
      resolvePromise({
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: timedOut ? `${stderr}\n[timed out after ${timeoutMs} ms]` : stderr,
        code: timedOut ? 124 : (code ?? 128 + (signal ? constants.signals[signal] : 0)),
      });
    });
  });
}

function cli(tool: string, cluster: Pick<TestCluster, 'conf'>, args: string[], opts: RunOptions = {}): Promise<CommandResult> {
  return runCommand(tool, ['-c', cluster.conf, ...args], opts.timeoutMs ?? COMMAND_TIMEOUT_MS, opts.input);
}

/** Runs the `ceph` CLI against the cluster (60 s timeout). Never rejects: check `code`. */
export function ceph(cluster: Pick<TestCluster, 'conf'>, args: string[], opts?: RunOptions): Promise<CommandResult> {
  return cli('ceph', cluster, args, opts);
}

/** Runs the `rados` CLI against the cluster (60 s timeout). Never rejects: check `code`. */
export function rados(cluster: Pick<TestCluster, 'conf'>, args: string[], opts?: RunOptions): Promise<CommandResult> {
  return cli('rados', cluster, args, opts);
}

/** Runs the `rbd` CLI against the cluster (60 s timeout). Never rejects: check `code`. */
export function rbd(cluster: Pick<TestCluster, 'conf'>, args: string[], opts?: RunOptions): Promise<CommandResult> {
  return cli('rbd', cluster, args, opts);
}
