// The librbd oracle: small python3-rbd scripts (Debian's /usr/bin/python3, `import rados, rbd`)
// run against a test cluster, answering in JSON.
//
//   const r = await librbd(cluster, `return dump(ioctx(A['pool']), A['name'])`, { pool: 'rbd', name: 'img' });
//   const errno = await librbdErrno(cluster, `rbd.RBD().remove(ioctx('rbd'), A['name'])`, { name: 'gone' }); // 2
//   const p = await librbdProcess(cluster, `img = rbd.Image(ioctx('rbd'), A['name'])\nemit({'open': True})\nwait()`, {...});
//   await p.next(); p.send({...}); ... await p.stop();
//
// A script is the body of a function: `A` holds the arguments, `cluster` the connected
// rados.Rados handle (built from the test cluster's ceph.conf plus A['_conf'] overrides),
// `ioctx(pool, ns='')` opens an ioctx, `dump(io, name, snap=None)` reads every property
// python-rbd exposes of an image, `emit(x)` writes one JSON line (long-running scripts),
// `wait()` blocks until stdin closes, `recv()` reads a JSON line sent with send(),
// `attempt(fn)` turns an rbd/rados exception into {'errno', 'error'}. The function's return value is the JSON answer; a
// rados/rbd exception becomes a LibrbdError carrying librbd's errno (positive).

import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The release's python3 (RBD_TS_TOOLS: its root's, see scripts/release.sh), else Debian's on the host. */
export function python(): string {
  const tools = process.env['RBD_TS_TOOLS'];
  return tools ? join(tools, 'python3') : '/usr/bin/python3';
}

const PRELUDE = String.raw`
import base64, datetime, json, os, sys, time
import rados, rbd

A = json.loads(sys.argv[2])
cluster = rados.Rados(conffile=sys.argv[1], conf=A.get('_conf') or {})
cluster.connect(timeout=30)

def ioctx(pool, ns=''):
    io = cluster.open_ioctx(pool)
    if ns:
        io.set_namespace(ns)
    return io

def jsonable(x):
    if isinstance(x, (bytes, bytearray)):
        try:
            return x.decode('utf8')
        except UnicodeDecodeError:
            return {'base64': base64.b64encode(x).decode()}
    if isinstance(x, datetime.datetime):
        return x.isoformat()
    if isinstance(x, dict):
        return {str(k): jsonable(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set)):
        return [jsonable(v) for v in x]
    if isinstance(x, int) and not isinstance(x, bool) and abs(x) > 2**53:
        return str(x)
    return x

def emit(x):
    sys.stdout.write(json.dumps(jsonable(x)) + '\n')
    sys.stdout.flush()

def wait():
    sys.stdin.read()

def recv():
    """the next JSON line sent with LibrbdProcess.send(), or None once stdin is closed"""
    l = sys.stdin.readline()
    return json.loads(l) if l.strip() else None

def attempt(fn):
    """fn() -> value, or {'errno': n, 'error': class name} for an rbd/rados error"""
    try:
        return fn()
    except (rbd.Error, rados.Error) as e:
        return {'errno': getattr(e, 'errno', None), 'error': type(e).__name__}

def dump(io, name, snap=None):
    """Everything python-rbd tells about an image (opened read-only)."""
    img = rbd.Image(io, name, snapshot=snap, read_only=True)
    try:
        d = {}
        d['stat'] = img.stat()
        d['size'] = img.size()
        d['features'] = img.features()
        d['op_features'] = img.op_features()
        d['flags'] = img.flags()
        d['old_format'] = img.old_format()
        d['stripe_unit'] = img.stripe_unit()
        d['stripe_count'] = img.stripe_count()
        d['data_pool_id'] = img.data_pool_id()
        d['id'] = img.id()
        d['block_name_prefix'] = img.block_name_prefix()
        d['create_timestamp'] = img.create_timestamp()
        d['access_timestamp'] = img.access_timestamp()
        d['modify_timestamp'] = img.modify_timestamp()
        d['snap_limit'] = img.get_snap_limit()
        d['metadata'] = dict(img.metadata_list())
        snaps = []
        for s in img.list_snaps():
            s = dict(s)
            s['protected'] = attempt(lambda: img.is_protected_snap(s['name']))
            s['timestamp'] = img.get_snap_timestamp(s['id'])
            snaps.append(s)
        d['snaps'] = snaps
        d['parent_info'] = attempt(lambda: list(img.parent_info()))
        d['parent_spec'] = attempt(lambda: img.get_parent_image_spec())
        d['parent_id'] = attempt(lambda: img.parent_id())
        d['overlap'] = attempt(lambda: img.overlap())
        return d
    finally:
        img.close()

def children(io, name, snap):
    """list_children2 of image@snap, as [pool, namespace, image, trash] sorted"""
    img = rbd.Image(io, name, snapshot=snap, read_only=True)
    try:
        return sorted([[c['pool'], c['pool_namespace'], c['image'], c['trash']] for c in img.list_children2()])
    finally:
        img.close()

def __body__():
__BODY__

try:
    __r = __body__()
    sys.stdout.write('\x1e' + json.dumps({'ok': True, 'value': jsonable(__r)}) + '\n')
except (rbd.Error, rados.Error) as e:
    sys.stdout.write('\x1e' + json.dumps({'ok': False, 'errno': getattr(e, 'errno', None), 'error': type(e).__name__, 'message': str(e)}) + '\n')
finally:
    sys.stdout.flush()
    cluster.shutdown()
`;

function program(body: string): string {
  const indented = body
    .replace(/^\n+/, '')
    .split('\n')
    .map((l) => '    ' + l)
    .join('\n');
  return PRELUDE.replace('__BODY__', indented + '\n    return None');
}

export class LibrbdError extends Error {
  constructor(
    readonly errno: number,
    readonly type: string,
    message: string,
  ) {
    super(`librbd: ${type} (errno ${errno}): ${message}`);
    this.name = 'LibrbdError';
  }
}

export interface ClusterConf {
  conf: string;
}

export interface LibrbdOptions {
  timeoutMs?: number;
}

/** Run a python3-rbd script; resolves with its return value, rejects with LibrbdError (errno) on an rbd/rados error. */
export function librbd<T = unknown>(cluster: ClusterConf, body: string, args: Record<string, unknown> = {}, opts: LibrbdOptions = {}): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = spawn(python(), ['-c', program(body), cluster.conf, JSON.stringify(args)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const text = Buffer.concat(out).toString('utf8');
      const mark = text.lastIndexOf('\x1e');
      if (mark < 0) {
        reject(new Error(`python3-rbd script failed (exit ${code ?? signal}): ${Buffer.concat(err).toString('utf8').slice(-3000)}`));
        return;
      }
      const r = JSON.parse(text.slice(mark + 1)) as { ok: true; value: T } | { ok: false; errno: number | null; error: string; message: string };
      if (r.ok) resolve(r.value);
      else reject(new LibrbdError(r.errno ?? -1, r.error, r.message));
    });
  });
}

/** 0 if the script succeeded, else librbd's errno (positive). Non-rbd failures still reject. */
export async function librbdErrno(cluster: ClusterConf, body: string, args: Record<string, unknown> = {}, opts: LibrbdOptions = {}): Promise<number> {
  try {
    await librbd(cluster, body, args, opts);
    return 0;
  } catch (e) {
    if (e instanceof LibrbdError) return e.errno;
    throw e;
  }
}

/** A long-running python3-rbd script: read the JSON lines it emits; stop() closes its stdin. */
export interface LibrbdProcess {
  readonly pid: number;
  /** the next line emitted with emit(), within timeoutMs (default 30 s) */
  next<T = unknown>(timeoutMs?: number): Promise<T>;
  /** write one JSON line to the script's stdin (read it with recv()) */
  send(x: unknown): void;
  /** close stdin (the script's wait() returns) and wait for exit; SIGKILL after 10 s */
  stop(): Promise<{ value?: unknown; errno?: number; stderr: string }>;
}

export function librbdProcess(cluster: ClusterConf, body: string, args: Record<string, unknown> = {}): LibrbdProcess {
  const child = spawn(python(), ['-c', program(body), cluster.conf, JSON.stringify(args)], { stdio: ['pipe', 'pipe', 'pipe'] });
  const err: Buffer[] = [];
  child.stderr.on('data', (b: Buffer) => err.push(b));
  child.stdin.on('error', () => {});
  const lines: string[] = [];
  const waiters: Array<(l: string | undefined) => void> = [];
  let ended = false;
  let final: { ok: boolean; value?: unknown; errno?: number } | undefined;
  const rl = createInterface({ input: child.stdout });
  rl.on('line', (l) => {
    if (l.startsWith('\x1e')) {
      final = JSON.parse(l.slice(1)) as typeof final;
      return;
    }
    const w = waiters.shift();
    if (w) w(l);
    else lines.push(l);
  });
  const exited = new Promise<void>((res) => child.on('close', () => res()));
  void exited.then(() => {
    ended = true;
    for (const w of waiters.splice(0)) w(undefined);
  });
  return {
    pid: child.pid ?? -1,
    next<T>(timeoutMs = 30_000): Promise<T> {
      const l = lines.shift();
      if (l !== undefined) return Promise.resolve(JSON.parse(l) as T);
      if (ended) return Promise.reject(new Error(`python3-rbd process exited: ${JSON.stringify(final)} ${Buffer.concat(err).toString('utf8').slice(-3000)}`));
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) waiters.splice(i, 1);
          reject(new Error(`no line from the python3-rbd process within ${timeoutMs} ms; stderr: ${Buffer.concat(err).toString('utf8').slice(-2000)}`));
        }, timeoutMs);
        const w = (line: string | undefined) => {
          clearTimeout(timer);
          if (line === undefined) reject(new Error(`python3-rbd process exited: ${JSON.stringify(final)} ${Buffer.concat(err).toString('utf8').slice(-3000)}`));
          else resolve(JSON.parse(line) as T);
        };
        waiters.push(w);
      });
    },
    send(x: unknown) {
      child.stdin.write(JSON.stringify(x) + '\n');
    },
    async stop() {
      child.stdin.end();
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(killer);
      const stderr = Buffer.concat(err).toString('utf8');
      if (final?.ok) return { value: final.value, stderr };
      if (final) return { errno: final.errno ?? -1, stderr };
      return { stderr };
    },
  };
}
