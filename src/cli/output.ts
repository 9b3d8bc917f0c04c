// Output and exit status as the `rbd` command does them: --format json (optionally
// --pretty-format), plain text otherwise; errors are one line on stderr and the exit
// status is the errno.

import { CephError } from '../encoding/errno.js';

export type Format = 'plain' | 'json';

export function parseFormat(value: string | undefined): Format {
  if (value === undefined || value === 'plain') return 'plain';
  if (value === 'json') return 'json';
  throw new CephError(22, `unsupported format '${value}' (plain or json)`, { op: 'parse arguments' });
}

export function printJson(value: unknown, pretty: boolean): void {
  process.stdout.write(JSON.stringify(value, null, pretty ? 4 : undefined) + '\n');
}

/** One line for stderr and the exit status for any error. */
export function describeError(e: unknown): { line: string; status: number } {
  if (e instanceof CephError) {
    return { line: `rbd-ts: ${e.message}`, status: e.errno > 0 && e.errno < 256 ? e.errno : 1 };
  }
  const msg = e instanceof Error ? e.message : String(e);
  return { line: `rbd-ts: ${msg.split('\n')[0]}`, status: 1 };
}
