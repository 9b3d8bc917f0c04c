// What a phase of rbd-ts work costs this process, and what it sends: CPU seconds
// (process.cpuUsage deltas), peak memory (VmHWM after a reset through /proc/self/clear_refs,
// else RSS sampled every 10 ms), and every objecter submit with its start and end, from which
// the dependent round trips are counted (the longest chain of ops each sent after the
// previous one's reply).

import { readFileSync, writeFileSync } from 'node:fs';
import type { OpRequest, Objecter } from '../src/rados/objecter.js';
import { OsdOpCode, osdOpName } from '../src/rados/osd-ops.js';

export interface Cost {
  cpuSeconds: number;
  peakRssMiB: number;
}

function vmHwmMiB(): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

function resetHwm(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/** Measure this process over `fn`: its result, CPU seconds and peak RSS during it. */
export async function metered<T>(fn: () => Promise<T>): Promise<{ value: T; cost: Cost }> {
  const exact = resetHwm();
  let sampled = process.memoryUsage.rss();
  const timer = exact ? undefined : setInterval(() => (sampled = Math.max(sampled, process.memoryUsage.rss())), 10);
  const cpu0 = process.cpuUsage();
  try {
    const value = await fn();
    const cpu = process.cpuUsage(cpu0);
    sampled = Math.max(sampled, process.memoryUsage.rss());
    const hwm = exact ? vmHwmMiB() : undefined;
    return { value, cost: { cpuSeconds: (cpu.user + cpu.system) / 1e6, peakRssMiB: hwm ?? sampled / 2 ** 20 } };
  } finally {
    if (timer) clearInterval(timer);
  }
}

export interface Sent {
  start: number;
  end: number;
  oid: string;
  ops: string[];
}

/** Log every op the objecter submits (a notify ends when its acks are in). Returns the log. */
export function instrument(objecter: Objecter): Sent[] {
  const log: Sent[] = [];
  const submit = objecter.submit.bind(objecter);
  const notify = objecter.notify.bind(objecter);
  const describe = (req: OpRequest): string[] =>
    req.ops.map((o) => {
      if (o.op === OsdOpCode.CALL && o.cls && o.indata) {
        const c = o.indata.subarray(0, o.cls.classLen).toString();
        const m = o.indata.subarray(o.cls.classLen, o.cls.classLen + o.cls.methodLen).toString();
        return `${c}.${m}`;
      }
      return osdOpName(o.op);
    });
  objecter.submit = async (req: OpRequest) => {
    const e: Sent = { start: performance.now(), end: Infinity, oid: req.oid, ops: describe(req) };
    log.push(e);
    try {
      return await submit(req);
    } finally {
      e.end = performance.now();
    }
  };
  objecter.notify = async (...a: Parameters<Objecter['notify']>) => {
    const i = log.length;
    const p = notify(...a);
    const e = log[i];
    try {
      return await p;
    } finally {
      if (e) e.end = performance.now();
    }
  };
  return log;
}

/** Round number of each op (1 = sent with nothing before it awaited), in start order. */
export function roundOf(ops: readonly Pick<Sent, 'start' | 'end'>[]): number[] {
  const order = ops.map((_, i) => i).sort((a, b) => ops[a]!.start - ops[b]!.start);
  const depth = new Array<number>(ops.length).fill(0);
  order.forEach((i, k) => {
    let d = 0;
    for (let q = 0; q < k; q++) {
      const j = order[q]!;
      if (ops[j]!.end <= ops[i]!.start) d = Math.max(d, depth[j]!);
    }
    depth[i] = d + 1;
  });
  return depth;
}

/** the longest chain of ops where each was sent after the previous one's reply */
export function roundTrips(ops: readonly Pick<Sent, 'start' | 'end'>[]): number {
  return Math.max(0, ...roundOf(ops));
}
