// ceph.conf parser (the INI dialect of src/common/ConfUtils.cc) and option lookup with
// Ceph's section precedence ([type.id] > [type] > [global]) and metavariable expansion.
//
// Syntax accepted:
//   [section]                  section heading (name trimmed; duplicates are merged)
//   key = value                keys: whitespace runs, '-' and '_' are equivalent
//                              ("mon host" == "mon-host" == "mon_host"); last one wins
//   key = "quoted ; # value"   single or double quotes; only blanks or a comment may follow
//   # comment / ; comment      full line or trailing (unquoted values end at '#' or ';')
//   \x                         backslash escapes the next character (\# \; \" \\)
//   backslash + newline        line continuation (joins the next line)
// Keys that appear before any section heading are put in [global].

import { readFile } from 'node:fs/promises';
import { CephError, cephError, errnoNumber } from '../encoding/errno.js';
import type { EntityName } from './entity-name.js';
import { expandMeta, type MetaContext } from './metavars.js';

/** Cap on config file size, as Ceph's MAX_CONFIG_FILE_SZ (1 GiB) is silly for a client. */
const MAX_CONF_BYTES = 64 * 1024 * 1024;

interface Tok {
  ch: string;
  /** produced by a backslash escape: never syntax */
  esc: boolean;
}

interface LogicalLine {
  /** 1-based number of the physical line it starts on */
  lineNo: number;
  toks: Tok[];
}

/** Canonical option name: trimmed, whitespace runs and dashes become '_'. */
export function normalizeKey(key: string): string {
  return key.trim().replace(/\s+/g, '_').replace(/-/g, '_');
}

/** The sections consulted for an entity, highest priority first. */
export function sectionsFor(entity: EntityName): string[] {
  return [`${entity.type}.${entity.id}`, entity.type, 'global'];
}

/** Map a Node fs error to a CephError (ENOENT, EACCES, EISDIR, ... or EIO). */
export function fsError(err: unknown, op: string, path: string): CephError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  let errno = errnoNumber('EIO');
  if (typeof code === 'string') {
    try {
      errno = errnoNumber(code);
    } catch {
      // unknown name: keep EIO
    }
  }
  const detail = (err as Error | undefined)?.message ?? String(err);
  return new CephError(errno, `cannot read ${path}: ${detail}`, { op, target: path, cause: err });
}

/** Split text into logical lines, joining backslash-newline continuations and tokenising escapes. */
function logicalLines(text: string): LogicalLine[] {
  const out: LogicalLine[] = [];
  let toks: Tok[] = [];
  let physical = 1;
  let start = 1;
  const endLine = (): void => {
    // drop the '\r' of a CRLF line ending
    const last = toks[toks.length - 1];
    if (last && !last.esc && last.ch === '\r') toks.pop();
    out.push({ lineNo: start, toks });
    toks = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\') {
      const n = text[i + 1];
      if (n === '\n') {
        i += 1;
        physical++;
        continue;
      }
      if (n === '\r' && text[i + 2] === '\n') {
        i += 2;
        physical++;
        continue;
      }
      if (n === undefined) {
        // a lone backslash at the very end is literal
        toks.push({ ch: c, esc: false });
        continue;
      }
      toks.push({ ch: n, esc: true });
      i += 1;
      continue;
    }
    if (c === '\n') {
      endLine();
      physical++;
      start = physical;
      continue;
    }
    toks.push({ ch: c, esc: false });
  }
  if (toks.length > 0) endLine();
  return out;
}

const isBlank = (t: Tok | undefined): boolean => t !== undefined && !t.esc && (t.ch === ' ' || t.ch === '\t');
const isCommentStart = (t: Tok | undefined): boolean => t !== undefined && !t.esc && (t.ch === '#' || t.ch === ';');
const isSyntax = (t: Tok | undefined, ch: string): boolean => t !== undefined && !t.esc && t.ch === ch;
const text = (toks: Tok[]): string => toks.map((t) => t.ch).join('');

function parseText(src: string, where: string): Map<string, Map<string, string>> {
  const data = new Map<string, Map<string, string>>();
  const fail = (lineNo: number, msg: string): never => {
    throw cephError('EINVAL', `${where}:${lineNo}: ${msg}`, { op: 'parse config', target: where });
  };
  const sectionMap = (name: string): Map<string, string> => {
    let m = data.get(name);
    if (!m) {
      m = new Map();
      data.set(name, m);
    }
    return m;
  };
  let current: Map<string, string> | undefined;

  for (const { lineNo, toks } of logicalLines(src)) {
    let i = 0;
    while (isBlank(toks[i])) i++;
    if (i >= toks.length || isCommentStart(toks[i])) continue;

    // checks that only blanks or a comment remain from position j
    const expectEnd = (j: number, after: string): void => {
      while (isBlank(toks[j])) j++;
      if (j < toks.length && !isCommentStart(toks[j])) {
        fail(lineNo, `unexpected '${text(toks.slice(j))}' after ${after}`);
      }
    };

    if (isSyntax(toks[i], '[')) {
      let j = i + 1;
      while (j < toks.length && !isSyntax(toks[j], ']')) j++;
      if (j >= toks.length) fail(lineNo, `expected ']' to close section name`);
      const name = text(toks.slice(i + 1, j)).trim();
      if (name === '') fail(lineNo, 'empty section name');
      expectEnd(j + 1, `section name [${name}]`);
      current = sectionMap(name);
      continue;
    }

    // key = value
    let j = i;
    while (j < toks.length && !isSyntax(toks[j], '=')) {
      const t = toks[j]!;
      if (isCommentStart(t)) fail(lineNo, `expected '=' after key '${text(toks.slice(i, j)).trim()}'`);
      if (isSyntax(t, '[') || isSyntax(t, ']')) fail(lineNo, `unexpected '${t.ch}' in key '${text(toks.slice(i, j + 1)).trim()}'`);
      j++;
    }
    const rawKey = text(toks.slice(i, j)).trim();
    if (j >= toks.length) fail(lineNo, `expected '=' after key '${rawKey}'`);
    if (rawKey === '') fail(lineNo, `missing key before '='`);
    const key = normalizeKey(rawKey);

    let k = j + 1;
    while (isBlank(toks[k])) k++;
    let value: string;
    const q = toks[k];
    if (q !== undefined && !q.esc && (q.ch === '"' || q.ch === "'")) {
      let e = k + 1;
      while (e < toks.length && !isSyntax(toks[e], q.ch)) e++;
      if (e >= toks.length) fail(lineNo, `unterminated quoted value for '${rawKey}' (missing closing ${q.ch})`);
      value = text(toks.slice(k + 1, e));
      expectEnd(e + 1, `quoted value of '${rawKey}'`);
    } else {
      let e = k;
      while (e < toks.length && !isCommentStart(toks[e])) e++;
      value = text(toks.slice(k, e)).trim();
    }
    (current ?? (current = sectionMap('global'))).set(key, value);
  }
  return data;
}

export class CephConf {
  /** the file it was read from, if any */
  readonly path: string | undefined;
  private readonly data: Map<string, Map<string, string>>;

  private constructor(data: Map<string, Map<string, string>>, path: string | undefined) {
    this.data = data;
    this.path = path;
  }

  /** Parse ceph.conf text; EINVAL naming `path` (or '<string>') and the line on bad syntax. */
  static parse(text: string, path?: string): CephConf {
    const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    return new CephConf(parseText(src, path ?? '<string>'), path);
  }

  /** Read and parse a file. ENOENT when missing, EINVAL when malformed or not UTF-8. */
  static async load(path: string): Promise<CephConf> {
    let buf: Buffer;
    try {
      buf = await readFile(path);
    } catch (err) {
      throw fsError(err, 'read config', path);
    }
    if (buf.length > MAX_CONF_BYTES) {
      throw cephError('EINVAL', `${path}: config file is ${buf.length} bytes, more than ${MAX_CONF_BYTES}`, {
        op: 'read config',
        target: path,
      });
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      throw cephError('EINVAL', `${path}: invalid UTF-8`, { op: 'parse config', target: path });
    }
    return CephConf.parse(text, path);
  }

  /** An empty configuration. */
  static empty(): CephConf {
    return new CephConf(new Map(), undefined);
  }

  /** Section names, in the order they first appear. */
  sections(): string[] {
    return [...this.data.keys()];
  }

  /** The (normalized key → raw value) entries of one section, or undefined. */
  section(name: string): ReadonlyMap<string, string> | undefined {
    return this.data.get(name);
  }

  /** The raw value of `name` in the first of `sections` that sets it (no expansion). */
  getFromSections(name: string, sections: readonly string[]): string | undefined {
    const key = normalizeKey(name);
    for (const s of sections) {
      const v = this.data.get(s)?.get(key);
      if (v !== undefined) return v;
    }
    return undefined;
  }

  /** The raw value for an entity ([type.id] > [type] > [global]), without metavariable expansion. */
  getRaw(name: string, entity: EntityName): string | undefined {
    return this.getFromSections(name, sectionsFor(entity));
  }

  /**
   * The value of option `name` for `entity`, with $cluster, $type, $id, $name, $host,
   * $num, $pid, $home and `$other_option` / `${other_option}` references expanded.
   * `meta` may override $host/$home/$pid (mostly for tests).
   */
  get(name: string, entity: EntityName, cluster = 'ceph', meta: Partial<Pick<MetaContext, 'host' | 'home' | 'pid'>> = {}): string | undefined {
    const sections = sectionsFor(entity);
    const raw = this.getFromSections(name, sections);
    if (raw === undefined) return undefined;
    const ctx: MetaContext = { ...meta, cluster, type: entity.type, id: entity.id };
    return expandMeta(raw, ctx, (n) => this.getFromSections(n, sections), normalizeKey(name));
  }
}
