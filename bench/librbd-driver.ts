// librbd's side of the harness: one long-running python3-rbd process driven over stdin/stdout
// (so interpreter start and cluster connect are never timed). Each request is timed inside
// python with time.perf_counter; CPU is resource.getrusage(RUSAGE_SELF) (every thread of the
// process, librbd's included); peak memory is VmHWM after resetting it (/proc/self/clear_refs
// "5", Linux >= 4.0). OSD ops per clone come from the objecter perf counters on the process's
// admin socket.

import { execFileSync } from 'node:child_process';
import { librbdProcess, type LibrbdProcess } from '../test/helpers/librbd.js';

const DRIVER = String.raw`
import resource, threading
io = ioctx(A['pool'])
chunk = open(A['chunk'], 'rb').read()

def cpu():
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime

def reset_hwm():
    try:
        with open('/proc/self/clear_refs', 'w') as f:
            f.write('5')
    except OSError:
        pass

def hwm_mib():
    with open('/proc/self/status') as f:
        for l in f:
            if l.startswith('VmHWM:'):
                return int(l.split()[1]) / 1024.0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

def fill(img, size, depth):
    sem = threading.Semaphore(depth)
    errs = []
    def done(c):
        r = c.get_return_value()
        if r < 0:
            errs.append(r)
        sem.release()
    step = len(chunk)
    for off in range(0, size, step):
        sem.acquire()
        n = min(step, size - off)
        img.aio_write(chunk if n == step else chunk[:n], off, done)
    for _ in range(depth):
        sem.acquire()
    img.flush()
    if errs:
        raise rbd.Error('aio_write failed: %d' % errs[0])

emit({'ready': True})
while True:
    req = recv()
    if req is None:
        break
    op = req['op']
    try:
        if op == 'clone':
            cluster.conf_set('rbd_default_clone_format', str(req['format']))
            c0 = cpu()
            t0 = time.perf_counter()
            rbd.RBD().clone(io, req['parent'], req['snap'], io, req['name'])
            emit({'ms': (time.perf_counter() - t0) * 1000, 'cpuSeconds': cpu() - c0})
        elif op == 'remove':
            rbd.RBD().remove(io, req['name'])
            emit({'ok': True})
        elif op == 'copy':
            reset_hwm()
            c0 = cpu()
            t0 = time.perf_counter()
            rbd.RBD().create(io, req['name'], req['size'])
            img = rbd.Image(io, req['name'])
            try:
                fill(img, req['size'], req['depth'])
            finally:
                img.close()
            emit({'ms': (time.perf_counter() - t0) * 1000, 'cpuSeconds': cpu() - c0, 'peakRssMiB': hwm_mib()})
        elif op == 'reset_hwm':
            reset_hwm()
            emit({'ok': True})
        elif op == 'usage':
            emit({'cpuSeconds': cpu(), 'peakRssMiB': hwm_mib()})
        else:
            emit({'error': 'unknown op ' + op})
    except (rbd.Error, rados.Error) as e:
        emit({'error': type(e).__name__ + ': ' + str(e), 'errno': getattr(e, 'errno', None)})
`;

export interface LibrbdTiming {
  ms: number;
  cpuSeconds: number;
  peakRssMiB?: number;
}

export interface LibrbdDriverOptions {
  conf: string;
  pool: string;
  /** a file holding the bytes every object write repeats */
  chunkFile: string;
  /** admin socket path for the objecter perf counters */
  asok: string;
  timeoutMs?: number;
}

export class LibrbdDriver {
  private constructor(
    private readonly p: LibrbdProcess,
    private readonly o: LibrbdDriverOptions,
  ) {}

  static async start(o: LibrbdDriverOptions): Promise<LibrbdDriver> {
    const p = librbdProcess({ conf: o.conf }, DRIVER, { pool: o.pool, chunk: o.chunkFile, _conf: { admin_socket: o.asok } });
    const d = new LibrbdDriver(p, o);
    await p.next(o.timeoutMs ?? 60_000);
    return d;
  }

  private async request<T>(req: Record<string, unknown>, timeoutMs = this.o.timeoutMs ?? 120_000): Promise<T> {
    this.p.send(req);
    const r = await this.p.next<T & { error?: string }>(timeoutMs);
    if (r.error) throw new Error(`librbd ${String(req['op'])}: ${r.error}`);
    return r;
  }

  clone(parent: string, snap: string, name: string, format: 1 | 2): Promise<LibrbdTiming> {
    return this.request({ op: 'clone', parent, snap, name, format });
  }

  async remove(name: string): Promise<void> {
    await this.request({ op: 'remove', name });
  }

  /** create + 4 MiB aio_writes `depth` in flight + flush + close, timed in python */
  copy(name: string, size: number, depth: number, timeoutMs = 600_000): Promise<Required<LibrbdTiming>> {
    return this.request({ op: 'copy', name, size, depth }, timeoutMs);
  }

  async resetPeak(): Promise<void> {
    await this.request({ op: 'reset_hwm' });
  }

  /** cumulative CPU seconds of the process, and its peak RSS since the last reset */
  usage(): Promise<{ cpuSeconds: number; peakRssMiB: number }> {
    return this.request({ op: 'usage' });
  }

  /** OSD ops the process's objecter has sent so far (perf counter objecter.op_send) */
  osdOpsSent(): number {
    const out = execFileSync('ceph', ['--admin-daemon', this.o.asok, 'perf', 'dump'], { encoding: 'utf8', timeout: 30_000 });
    return (JSON.parse(out) as { objecter: { op_send: number } }).objecter.op_send;
  }

  get pid(): number {
    return this.p.pid;
  }

  async stop(): Promise<void> {
    await this.p.stop();
  }
}
