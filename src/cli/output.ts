// Output and exit status as the `rbd` command does them: --format json (optionally
// --pretty-format), plain text otherwise; errors are one line on stderr and the exit
// status is the errno.

import { CephError, strerror } from '../encoding/errno.js';
import { Rados, type ConnectOptions } from '../rados/rados.js';

export type Format = 'plain' | 'json';

export function parseFormat(value: string | undefined): Format {
  if (value === undefined || value === 'plain') return 'plain';
  if (value === 'json') return 'json';
  if (value === 'xml') throw new CliError('xml output is not supported by rbd-ts (plain or json)', 95);
  throw new CliError("the argument for option '--format' is invalid", 1);
}

export function printJson(value: unknown, pretty: boolean): void {
  process.stdout.write(JSON.stringify(value, null, pretty ? 4 : undefined) + '\n');
}

/**
 * An error the command reports itself, as rbd words it: `message` is printed after
 * "rbd-ts: " and the exit status is `status` (an errno, or 1 for argument errors).
 */
export class CliError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** Errors rbd finds while reading its arguments exit with status 1, not an errno. */
export function usageError(message: string): CliError {
  return new CliError(message, 1);
}

/** strerror(3) text, with the few glibc messages the errno table lacks. */
export function errorText(errno: number): string {
  const t = strerror(errno);
  if (!/^E[A-Z0-9]+$/.test(t)) return t;
  return ({ 33: 'Numerical argument out of domain', 85: 'Interrupted system call should be restarted' } as Record<number, string>)[errno] ?? t;
}

/** rbd's `<what>: (<errno>) <strerror>` for a failed library call; other errors pass through. */
export function failed(what: string, e: unknown): unknown {
  if (e instanceof CephError) return new CliError(`${what}: (${e.errno}) ${errorText(e.errno)}`, e.errno > 0 && e.errno < 256 ? e.errno : 1);
  return e;
}

/** One line for stderr and the exit status for any error. */
export function describeError(e: unknown): { line: string; status: number } {
  if (e instanceof CliError) return { line: `rbd-ts: ${e.message.split('\n')[0]}`, status: e.status };
  if (e instanceof CephError) {
    return { line: `rbd-ts: ${e.message}`, status: e.errno > 0 && e.errno < 256 ? e.errno : 1 };
  }
  const msg = e instanceof Error ? e.message : String(e);
  return { line: `rbd-ts: ${msg.split('\n')[0]}`, status: 1 };
}

// ---- plain text as rbd prints it ------------------------------------------------------------

/** printf("%.*f") of a double: round to nearest, ties (exact in binary) to even. */
function cFixed(x: number, digits: number): string {
  const scale = 10 ** digits;
  const scaled = x * scale;
  if (scaled % 1 !== 0.5) return x.toFixed(digits);
  let k = Math.floor(scaled);
  if (k % 2 !== 0) k++;
  const s = String(k).padStart(digits + 1, '0');
  return digits ? `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}` : s;
}

const BYTE_UNITS = [' B', ' KiB', ' MiB', ' GiB', ' TiB', ' PiB', ' EiB'];

/** Ceph's byte_u_t: "10 MiB", "1.5 MiB", "1023 B", at most 7 characters when fractional. */
export function formatBytes(v: number): string {
  let n = v;
  let index = 0;
  while (n >= 1024 && index < BYTE_UNITS.length - 1) {
    n = Math.floor(n / 1024);
    index++;
  }
  const unit = BYTE_UNITS[index]!;
  const mult = 2 ** (10 * index);
  if (index === 0 || v % mult === 0) return `${n}${unit}`;
  let out = '';
  for (let i = 2; i >= 0; i--) {
    out = cFixed(v / mult, i) + unit;
    if (out.length <= 7) break;
  }
  return out;
}

export interface Column {
  header: string;
  align?: 'left' | 'right';
}

/** Ceph's TextTable: headers left-aligned, cells padded to the column width, two spaces apart. */
export function formatTable(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): string {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[], header: boolean) =>
    columns.map((c, i) => (!header && c.align === 'right' ? (cells[i] ?? '').padStart(widths[i]!) : (cells[i] ?? '').padEnd(widths[i]!))).join('  ');
  return (
    [
      line(
        columns.map((c) => c.header),
        true,
      ),
      ...rows.map((r) => line(r, false)),
    ].join('\n') + '\n'
  );
}

/**
 * Run one command: `connect` opens the cluster handle on first use (once); an error prints
 * one line and becomes the exit status (its errno, as rbd does); the handle is always shut down.
 */
export async function runCommand(body: (connect: (o: ConnectOptions) => Promise<Rados>) => Promise<number>): Promise<number> {
  let rados: Rados | undefined;
  try {
    return await body(async (o) => (rados ??= await Rados.connect(o)));
  } catch (e) {
    const { line, status } = describeError(e);
    process.stderr.write(line + '\n');
    return status;
  } finally {
    rados?.shutdown();
  }
}
