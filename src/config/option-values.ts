// Typed readings of option strings: numbers, booleans, durations and sizes.
// Each throws CephError EINVAL naming the option when the text does not fit.

import { cephError, type CephError } from '../encoding/errno.js';

function bad(option: string, value: string, expected: string): CephError {
  return cephError('EINVAL', `option ${option} = '${value}': expected ${expected}`, {
    op: 'parse option',
    target: option,
  });
}

/** A decimal (or 0x hex) number, integer or not. */
export function parseNumber(value: string, option = 'value'): number {
  const s = value.trim();
  let n: number;
  if (/^[+-]?0[xX][0-9a-fA-F]+$/.test(s)) {
    n = (s.startsWith('-') ? -1 : 1) * parseInt(s.replace(/^[+-]/, ''), 16);
  } else if (/^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/.test(s)) {
    n = Number(s);
  } else {
    throw bad(option, value, 'a number');
  }
  if (!Number.isFinite(n)) throw bad(option, value, 'a finite number');
  return n;
}

/** An integer (decimal or 0x hex). */
export function parseInteger(value: string, option = 'value'): number {
  const n = parseNumber(value, option);
  if (!Number.isSafeInteger(n)) throw bad(option, value, 'an integer');
  return n;
}

/** true/false, yes/no, on/off, 1/0 (case-insensitive). */
export function parseBool(value: string, option = 'value'): boolean {
  const s = value.trim().toLowerCase();
  if (['true', 'yes', 'on', '1'].includes(s)) return true;
  if (['false', 'no', 'off', '0'].includes(s)) return false;
  throw bad(option, value, 'true or false');
}

const TIME_UNITS: Record<string, number> = {
  ns: 1e-9,
  nsec: 1e-9,
  us: 1e-6,
  usec: 1e-6,
  ms: 1e-3,
  msec: 1e-3,
  s: 1,
  sec: 1,
  secs: 1,
  second: 1,
  seconds: 1,
  m: 60,
  min: 60,
  mins: 60,
  minute: 60,
  minutes: 60,
  h: 3600,
  hr: 3600,
  hrs: 3600,
  hour: 3600,
  hours: 3600,
  d: 86400,
  day: 86400,
  days: 86400,
  w: 604800,
  wk: 604800,
  week: 604800,
  weeks: 604800,
};

/**
 * A duration in seconds: "30", "2.5", "30s", "5 min", "1h30m", "500ms".
 * A bare number is seconds.
 */
export function parseSeconds(value: string, option = 'value'): number {
  const s = value.trim();
  if (s === '') throw bad(option, value, 'a duration');
  if (/^[0-9]+(?:\.[0-9]*)?$|^\.[0-9]+$/.test(s)) return Number(s);
  const re = /\s*([0-9]+(?:\.[0-9]*)?|\.[0-9]+)\s*([a-zA-Z]+)\s*/y;
  let total = 0;
  let pos = 0;
  while (pos < s.length) {
    re.lastIndex = pos;
    const m = re.exec(s);
    if (!m) throw bad(option, value, 'a duration such as 30, 30s, 5m or 1h30m');
    const unit = TIME_UNITS[m[2]!.toLowerCase()];
    if (unit === undefined) throw bad(option, value, `a known time unit, not '${m[2]}'`);
    total += Number(m[1]) * unit;
    pos = re.lastIndex;
  }
  return total;
}

const SIZE_EXPONENT: Record<string, number> = { k: 10, m: 20, g: 30, t: 40, p: 50, e: 60 };

/** A byte size with optional IEC suffix: "4096", "4K", "4Ki", "4KiB", "1G" (powers of 1024). */
export function parseSize(value: string, option = 'value'): number {
  const m = /^\s*([0-9]+(?:\.[0-9]*)?)\s*([a-zA-Z]*)\s*$/.exec(value);
  if (!m) throw bad(option, value, 'a size such as 4096, 4K or 1G');
  const suffix = m[2]!.toLowerCase();
  let unit = 1;
  if (suffix !== '' && suffix !== 'b') {
    const u = /^([kmgtpe])i?b?$/.exec(suffix);
    const exp = u ? SIZE_EXPONENT[u[1]!] : undefined;
    if (exp === undefined) throw bad(option, value, `a size unit (K, M, G, T, P, E), not '${m[2]}'`);
    unit = 2 ** exp;
  }
  const n = Math.round(Number(m[1]) * unit);
  if (!Number.isSafeInteger(n)) throw bad(option, value, 'a size that fits in a safe integer');
  return n;
}
