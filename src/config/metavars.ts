// Ceph configuration metavariable expansion ($cluster, $type, $id, $name, $host, ...)
// following md_config_t::_expand_meta: a variable is `$name` where name is made of
// [a-z_], or `${name}`. Known metavariables are substituted; any other name is looked
// up as a configuration option (recursively expanded, loops broken); a name that is
// neither is left in the text unchanged.

import os from 'node:os';
import { cephError } from '../encoding/errno.js';

export interface MetaContext {
  cluster: string;
  /** entity type, e.g. 'client' */
  type: string;
  /** entity id, e.g. 'admin' */
  id: string;
  /** short host name; defaults to os.hostname() up to the first '.' */
  host?: string;
  /** $home; defaults to process.env.HOME */
  home?: string;
  /** $pid; defaults to process.pid */
  pid?: number;
}

/**
 * Looks up another option's raw (unexpanded) value for `$option` references;
 * undefined when there is no such option.
 */
export type OptionLookup = (name: string) => string | undefined;

const VAR_CHARS = /[a-z_]/;

/** The short host name, as ceph_get_short_hostname(). */
export function shortHostname(): string {
  const h = os.hostname();
  const dot = h.indexOf('.');
  return dot >= 0 ? h.slice(0, dot) : h;
}

function metaValue(varName: string, ctx: MetaContext): string | undefined {
  switch (varName) {
    case 'cluster':
      return ctx.cluster;
    case 'type':
      return ctx.type;
    case 'id':
    case 'num':
      return ctx.id;
    case 'name':
      return `${ctx.type}.${ctx.id}`;
    case 'host':
      return ctx.host ?? shortHostname();
    case 'home':
      return ctx.home ?? process.env.HOME ?? '';
    case 'pid':
      return String(ctx.pid ?? process.pid);
    default:
      return undefined;
  }
}

/**
 * Bounds on one expansion. References may fan out without looping (a = $b$b, b = $c$c, ...:
 * each level doubles the text), so a few hundred bytes of config could expand to gigabytes.
 */
const MAX_EXPANDED_LEN = 64 * 1024;
const MAX_REFERENCES = 4096;

/**
 * Expand metavariables and `$option` references in `value`.
 * `self` is the name of the option being expanded (for loop detection).
 * EINVAL when the expansion exceeds MAX_EXPANDED_LEN characters or MAX_REFERENCES references.
 */
export function expandMeta(value: string, ctx: MetaContext, lookup?: OptionLookup, self?: string): string {
  const stack: string[] = self !== undefined ? [self] : [];
  return expandInner(value, ctx, lookup, stack, { refs: 0, what: self ?? value.slice(0, 64) });
}

interface Budget {
  /** option references expanded so far */
  refs: number;
  /** what is being expanded, for the error */
  what: string;
}

function tooBig(b: Budget, problem: string): never {
  throw cephError('EINVAL', `expanding ${b.what}: ${problem}`, { op: 'expand config' });
}

function expandInner(value: string, ctx: MetaContext, lookup: OptionLookup | undefined, stack: string[], budget: Budget): string {
  if (!value.includes('$')) return value;
  let out = '';
  let i = 0;
  while (i < value.length) {
    const c = value[i]!;
    if (c !== '$') {
      out += c;
      i++;
      continue;
    }
    // parse the variable name: ${name} or $name
    let varName = '';
    let end = i + 1;
    if (value[i + 1] === '{') {
      let j = i + 2;
      while (j < value.length && VAR_CHARS.test(value[j]!)) j++;
      if (j < value.length && value[j] === '}' && j > i + 2) {
        varName = value.slice(i + 2, j);
        end = j + 1;
      }
    } else {
      let j = i + 1;
      while (j < value.length && VAR_CHARS.test(value[j]!)) j++;
      varName = value.slice(i + 1, j);
      end = j;
    }
    if (varName === '') {
      out += '$';
      i++;
      continue;
    }
    const original = value.slice(i, end);
    i = end;
    const meta = metaValue(varName, ctx);
    if (meta !== undefined) {
      out += meta;
      continue;
    }
    const raw = lookup?.(varName);
    if (raw === undefined) {
      out += original;
      continue;
    }
    if (stack.includes(varName)) {
      // substitution loop: leave the reference unexpanded
      out += `$${varName}`;
      continue;
    }
    if (++budget.refs > MAX_REFERENCES) tooBig(budget, `more than ${MAX_REFERENCES} option references`);
    stack.push(varName);
    out += expandInner(raw, ctx, lookup, stack, budget);
    stack.pop();
    if (out.length > MAX_EXPANDED_LEN) tooBig(budget, `longer than ${MAX_EXPANDED_LEN} characters`);
  }
  return out;
}
