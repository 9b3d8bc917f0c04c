// Linux errno numbers as Ceph daemons return them (negative on the wire), and the
// project's error classes. Every failure a caller sees is a CephError (or a subclass):
// errno number and name, the operation, and what it was done to.

const ERRNO: Record<string, number> = {
  EPERM: 1,
  ENOENT: 2,
  ESRCH: 3,
  EINTR: 4,
  EIO: 5,
  ENXIO: 6,
  E2BIG: 7,
  ENOEXEC: 8,
  EBADF: 9,
  EAGAIN: 11,
  ENOMEM: 12,
  EACCES: 13,
  EFAULT: 14,
  EBUSY: 16,
  EEXIST: 17,
  EXDEV: 18,
  ENODEV: 19,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  ENFILE: 23,
  EMFILE: 24,
  EFBIG: 27,
  ENOSPC: 28,
  ESPIPE: 29,
  EROFS: 30,
  EMLINK: 31,
  EPIPE: 32,
  EDOM: 33,
  ERANGE: 34,
  EDEADLK: 35,
  ENAMETOOLONG: 36,
  ENOLCK: 37,
  ENOSYS: 38,
  ENOTEMPTY: 39,
  ELOOP: 40,
  ENOMSG: 42,
  ENODATA: 61,
  ETIME: 62,
  ENOLINK: 67,
  EPROTO: 71,
  EBADMSG: 74,
  EOVERFLOW: 75,
  EOLDSNAPC: 85,
  EUSERS: 87,
  ENOTSOCK: 88,
  EMSGSIZE: 90,
  EPROTONOSUPPORT: 93,
  EOPNOTSUPP: 95,
  EADDRINUSE: 98,
  EADDRNOTAVAIL: 99,
  ENETDOWN: 100,
  ENETUNREACH: 101,
  ECONNABORTED: 103,
  ECONNRESET: 104,
  ENOBUFS: 105,
  EISCONN: 106,
  ENOTCONN: 107,
  ESHUTDOWN: 108,
  ETIMEDOUT: 110,
  ECONNREFUSED: 111,
  EHOSTDOWN: 112,
  EHOSTUNREACH: 113,
  EALREADY: 114,
  EINPROGRESS: 115,
  ESTALE: 116,
  EDQUOT: 122,
  ECANCELED: 125,
  EKEYEXPIRED: 127,
  EKEYREJECTED: 129,
  // Ceph-specific (src/include/compat.h style aliases on Linux)
  EBLOCKLISTED: 108,
};

const NAME_BY_NUMBER = new Map<number, string>();
for (const [name, num] of Object.entries(ERRNO)) {
  if (!NAME_BY_NUMBER.has(num)) NAME_BY_NUMBER.set(num, name);
}

const MESSAGES: Record<string, string> = {
  EPERM: 'Operation not permitted',
  ENOENT: 'No such file or directory',
  EIO: 'Input/output error',
  ENOEXEC: 'Exec format error',
  EAGAIN: 'Resource temporarily unavailable',
  ENOMEM: 'Cannot allocate memory',
  EACCES: 'Permission denied',
  EBUSY: 'Device or resource busy',
  EEXIST: 'File exists',
  EXDEV: 'Invalid cross-device link',
  EINVAL: 'Invalid argument',
  EFBIG: 'File too large',
  ENOSPC: 'No space left on device',
  EDQUOT: 'Disk quota exceeded',
  EROFS: 'Read-only file system',
  ERANGE: 'Numerical result out of range',
  ENAMETOOLONG: 'File name too long',
  ENOSYS: 'Function not implemented',
  ENOTEMPTY: 'Directory not empty',
  ENODATA: 'No data available',
  EPROTO: 'Protocol error',
  EBADMSG: 'Bad message',
  EOVERFLOW: 'Value too large for defined data type',
  EMSGSIZE: 'Message too long',
  EOPNOTSUPP: 'Operation not supported',
  ECONNRESET: 'Connection reset by peer',
  ENOTCONN: 'Transport endpoint is not connected',
  ESHUTDOWN: 'Cannot send after transport endpoint shutdown',
  ETIMEDOUT: 'Connection timed out',
  ECONNREFUSED: 'Connection refused',
  EHOSTUNREACH: 'No route to host',
  ECANCELED: 'Operation canceled',
  EBLOCKLISTED: 'Client is blocklisted',
};

/** errno number for a name, e.g. errnoNumber('ENOENT') === 2. */
export function errnoNumber(name: string): number {
  const n = ERRNO[name];
  if (n === undefined) throw new TypeError(`unknown errno name ${name}`);
  return n;
}

/** errno name for a (positive or negative) number; 'E<n>' when unknown. */
export function errnoName(errno: number): string {
  const n = Math.abs(errno);
  return NAME_BY_NUMBER.get(n) ?? `E${n}`;
}

/** strerror(3)-like text. */
export function strerror(errno: number): string {
  const name = errnoName(errno);
  return MESSAGES[name] ?? name;
}

export interface CephErrorContext {
  /** what was being done: 'connect', 'auth', 'mon_command', 'read', 'rbd.create', ... */
  op?: string;
  /** what it was done to: an object, image, pool, address or entity name */
  target?: string;
  pool?: string | number;
  object?: string;
  image?: string;
  cause?: unknown;
}

/**
 * The error every public API rejects with. `errno` is positive (ENOENT = 2), as the
 * `rbd` command uses it for its exit status; `code` is the errno name.
 */
export class CephError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly op: string | undefined;
  readonly target: string | undefined;
  readonly pool: string | number | undefined;
  readonly object: string | undefined;
  readonly image: string | undefined;

  /** `code`: the name, where one number has two (EBLOCKLISTED is ESHUTDOWN's 108) */
  constructor(errno: number, message: string, ctx: CephErrorContext = {}, code?: string) {
    const n = Math.abs(errno);
    const name = code !== undefined && ERRNO[code] === n ? code : errnoName(n);
    const where = [ctx.op, ctx.target ?? ctx.image ?? ctx.object].filter(Boolean).join(' ');
    super(`${where ? where + ': ' : ''}${message} (${name}, errno ${n})`, ctx.cause !== undefined ? { cause: ctx.cause } : undefined);
    this.name = 'CephError';
    this.errno = n;
    this.code = name;
    this.op = ctx.op;
    this.target = ctx.target;
    this.pool = ctx.pool;
    this.object = ctx.object;
    this.image = ctx.image;
  }

  /** Build from a daemon's negative return value (e.g. -2) with strerror text. */
  static fromResult(result: number, ctx: CephErrorContext = {}, detail?: string): CephError {
    const text = detail ? `${strerror(result)}: ${detail}` : strerror(result);
    return new CephError(result, text, ctx);
  }
}

/** Malformed or truncated bytes from the wire or a file. Always EBADMSG. */
export class DecodeError extends CephError {
  /** byte offset where decoding failed */
  readonly offset: number;
  constructor(message: string, offset: number, what?: string, cause?: unknown) {
    super(ERRNO.EBADMSG!, `${what ? what + ': ' : ''}${message} at offset ${offset}`, cause !== undefined ? { op: 'decode', cause } : { op: 'decode' });
    this.name = 'DecodeError';
    this.offset = offset;
  }
}

/** A wait that ran out of time. Always ETIMEDOUT. */
export class TimeoutError extends CephError {
  constructor(op: string, ms: number, target?: string) {
    super(ERRNO.ETIMEDOUT!, `timed out after ${ms} ms`, target !== undefined ? { op, target } : { op });
    this.name = 'TimeoutError';
  }
}

/** A wait that the caller's AbortSignal cancelled. Always ECANCELED. */
export class AbortError extends CephError {
  constructor(op: string, reason?: unknown) {
    super(ERRNO.ECANCELED!, 'operation aborted', reason !== undefined ? { op, cause: reason } : { op });
    this.name = 'AbortError';
  }
}

/**
 * A `.catch()` handler that swallows CephErrors with the given codes (resolving to
 * undefined) and rethrows anything else: `await io.remove(oid).catch(ignoring('ENOENT'))`.
 */
export function ignoring(...codes: string[]): (e: unknown) => undefined {
  return (e: unknown) => {
    if (e instanceof CephError && codes.includes(e.code)) return undefined;
    throw e;
  };
}

/** Make a CephError from an errno name: `cephError('ENOENT', 'image foo does not exist', { op: 'open', image: 'foo' })`. */
export function cephError(code: string, message: string, ctx: CephErrorContext = {}): CephError {
  return new CephError(errnoNumber(code), message, ctx, code);
}

/** Whether `e` is a CephError with one of `codes` (any CephError when none are given). */
export function isErrno(e: unknown, ...codes: string[]): e is CephError {
  return e instanceof CephError && (codes.length === 0 || codes.includes(e.code));
}

/**
 * A `.catch()` handler for best-effort steps whose failure must not fail the caller (cleanup
 * after an error, a courtesy notify): any error is dropped. Use `ignoring(...)` when only
 * some errnos are expected.
 */
export function bestEffort(_e: unknown): undefined {
  return undefined;
}

/** A Node.js system error's errno name (`err.code`) if it is one we know, else EIO. */
export function systemErrno(e: unknown): string {
  const code = (e as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && ERRNO[code] !== undefined ? code : 'EIO';
}
