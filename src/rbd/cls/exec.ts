// Running cls calls on an object: one at a time, or several in one compound op (the OSD
// runs them in order, atomically; outputs come back in order).

import type { CallOptions, IoCtx } from '../../rados/ioctx.js';
import { ReadOp, WriteOp } from '../../rados/op-builder.js';
import type { ClsCall } from './rbd.js';

export async function call<T>(io: IoCtx, oid: string, c: ClsCall<T>, opts: CallOptions = {}): Promise<T> {
  const op = c.write ? new WriteOp().call(c.cls, c.method, c.input).returnVec() : new ReadOp().call(c.cls, c.method, c.input);
  const r = await io.operate(oid, op, opts);
  return c.decode(r.ops[0]!.outdata);
}

type Results<T extends readonly ClsCall<unknown>[]> = { [K in keyof T]: T[K] extends ClsCall<infer R> ? R : never };

/** Several read calls in one op; resolves with each call's decoded output. */
export async function batch<const T extends readonly ClsCall<unknown>[]>(io: IoCtx, oid: string, calls: T, opts: CallOptions = {}): Promise<Results<T>> {
  const op = new ReadOp();
  for (const c of calls) op.call(c.cls, c.method, c.input);
  const r = await io.operate(oid, op, opts);
  return calls.map((c, i) => c.decode(r.ops[i]!.outdata)) as Results<T>;
}

/** A write op made of cls calls (optionally preceded by an exclusive create). */
export function writeOp(calls: readonly ClsCall<unknown>[], opts: { createExclusive?: boolean } = {}): WriteOp {
  const op = new WriteOp();
  if (opts.createExclusive) op.create(true);
  for (const c of calls) op.call(c.cls, c.method, c.input);
  return op;
}
