// A Glance v2 image API client over Node's fetch: create, upload (streamed, with a
// Content-Length when the size is known, so glance_store creates the RBD image at full size),
// show, download (streamed; md5 checked against Content-MD5 / the image's checksum), add a
// location (JSON patch, needs show_multiple_locations), delete. An X-Auth-Token header is sent
// when a token is given. Errors carry the HTTP status and Glance's message.

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { CephError, bestEffort, cephError, errnoNumber } from '../encoding/errno.js';
import type { CallOptions } from '../rados/ioctx.js';

/** The fields of GET /v2/images/{id} this project reads (Glance sends more). */
export interface GlanceImage {
  id: string;
  name: string | null;
  status: 'queued' | 'saving' | 'active' | 'killed' | 'deleted' | 'pending_delete' | 'deactivated' | 'uploading' | 'importing';
  disk_format: string | null;
  container_format: string | null;
  size: number | null;
  virtual_size: number | null;
  checksum: string | null;
  os_hash_algo: string | null;
  os_hash_value: string | null;
  /** with show_image_direct_url */
  direct_url?: string;
  /** with show_multiple_locations */
  locations?: Array<{ url: string; metadata: Record<string, unknown> }>;
  stores?: string;
  [key: string]: unknown;
}

export interface CreateImageRequest {
  name?: string;
  id?: string;
  disk_format?: string;
  container_format?: string;
  visibility?: string;
  [key: string]: unknown;
}

export interface GlanceClientOptions {
  /** sent as X-Auth-Token when given (Keystone deployments) */
  token?: string;
  /** default per-call timeout (default 60 s; uploads and downloads: 10 min) */
  timeoutMs?: number;
}

export interface DownloadResult {
  stream: Readable;
  /** Content-Length */
  size: number | undefined;
  /** Content-MD5 (Glance's checksum) */
  md5: string | undefined;
}

/** An HTTP error from Glance: errno from the status, plus the status and Glance's own message. */
export class GlanceError extends CephError {
  constructor(
    readonly status: number,
    readonly glanceMessage: string,
    op: string,
    target?: string,
  ) {
    super(errnoNumber(GlanceError.errnoFor(status)), `HTTP ${status}: ${glanceMessage}`, target ? { op, target } : { op });
    this.name = 'GlanceError';
  }

  static errnoFor(status: number): string {
    if (status === 400) return 'EINVAL';
    if (status === 401 || status === 403) return 'EACCES';
    if (status === 404) return 'ENOENT';
    if (status === 409) return 'EBUSY';
    if (status === 413) return 'EFBIG';
    if (status === 503) return 'EAGAIN';
    return 'EIO';
  }
}

/** Glance's message from an error body: JSON {message} (with Accept: application/json), else the HTML page's text. */
export function glanceMessage(body: string, fallback: string): string {
  try {
    const j = JSON.parse(body) as { message?: string; error?: { message?: string } };
    const m = j.message ?? j.error?.message;
    if (m)
      return m
        .replace(/<br \/>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim();
  } catch {
    // HTML or text
  }
  const text = body
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return text || fallback;
}

export class GlanceClient {
  readonly baseUrl: string;

  constructor(
    baseUrl: string,
    readonly options: GlanceClientOptions = {},
  ) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
  }

  private headers(extra: Record<string, string> = {}): Record<string, string> {
    const h: Record<string, string> = { accept: 'application/json', ...extra };
    if (this.options.token) h['x-auth-token'] = this.options.token;
    return h;
  }

  private signal(op: string, opts: CallOptions, defaultMs: number): AbortSignal {
    const ms = opts.timeoutMs ?? this.options.timeoutMs ?? defaultMs;
    const t = AbortSignal.timeout(ms);
    void op;
    return opts.signal ? AbortSignal.any([t, opts.signal]) : t;
  }

  private async request(
    method: string,
    path: string,
    op: string,
    target: string | undefined,
    init: RequestInit & { duplex?: 'half' },
    opts: CallOptions,
    defaultMs = 60_000,
  ): Promise<Response> {
    let res: Response;
    try {
      res = await fetch(this.baseUrl + path, { ...init, method, signal: this.signal(op, opts, defaultMs) });
    } catch (e) {
      const err = e as Error;
      if (err.name === 'TimeoutError') throw cephError('ETIMEDOUT', `Glance did not answer in time`, { op, target: target ?? this.baseUrl, cause: e });
      if (err.name === 'AbortError') throw cephError('ECANCELED', 'operation aborted', { op, cause: e });
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw cephError(cause === 'ECONNREFUSED' ? 'ECONNREFUSED' : 'EIO', `cannot reach Glance at ${this.baseUrl}: ${cause ?? err.message}`, {
        op,
        target: target ?? this.baseUrl,
        cause: e,
      });
    }
    if (!res.ok) throw new GlanceError(res.status, glanceMessage(await res.text().catch(() => ''), res.statusText), op, target);
    return res;
  }

  private async json<T>(res: Response): Promise<T> {
    return (await res.json()) as T;
  }

  /** POST /v2/images: a queued image record. */
  async createImage(req: CreateImageRequest, opts: CallOptions = {}): Promise<GlanceImage> {
    const res = await this.request(
      'POST',
      '/v2/images',
      'glance.create',
      req.name ?? undefined,
      { headers: this.headers({ 'content-type': 'application/json' }), body: JSON.stringify(req) },
      opts,
    );
    return this.json<GlanceImage>(res);
  }

  /** GET /v2/images/{id}. */
  async showImage(id: string, opts: CallOptions = {}): Promise<GlanceImage> {
    const res = await this.request('GET', `/v2/images/${encodeURIComponent(id)}`, 'glance.show', id, { headers: this.headers() }, opts);
    return this.json<GlanceImage>(res);
  }

  /** GET /v2/images (one page). */
  async listImages(opts: CallOptions & { limit?: number } = {}): Promise<GlanceImage[]> {
    const q = opts.limit ? `?limit=${opts.limit}` : '';
    const res = await this.request('GET', `/v2/images${q}`, 'glance.list', undefined, { headers: this.headers() }, opts);
    return (await this.json<{ images: GlanceImage[] }>(res)).images;
  }

  /** PUT /v2/images/{id}/file, streamed; with `size` a Content-Length is sent. */
  async upload(id: string, data: Buffer | Uint8Array | AsyncIterable<Uint8Array>, opts: CallOptions & { size?: number } = {}): Promise<void> {
    const headers = this.headers({ 'content-type': 'application/octet-stream' });
    const size = data instanceof Uint8Array ? data.byteLength : opts.size;
    if (size !== undefined) headers['content-length'] = String(size);
    const body = data instanceof Uint8Array ? data : (data as AsyncIterable<Uint8Array>);
    await this.request(
      'PUT',
      `/v2/images/${encodeURIComponent(id)}/file`,
      'glance.upload',
      id,
      { headers, body: body as unknown as RequestInit['body'], duplex: 'half' },
      opts,
      600_000,
    );
  }

  /** Create, upload, and return the active image. */
  async createAndUpload(
    req: CreateImageRequest,
    data: Buffer | Uint8Array | AsyncIterable<Uint8Array>,
    opts: CallOptions & { size?: number } = {},
  ): Promise<GlanceImage> {
    const img = await this.createImage({ disk_format: 'raw', container_format: 'bare', ...req }, opts);
    try {
      await this.upload(img.id, data, opts);
    } catch (e) {
      await this.deleteImage(img.id).catch(bestEffort);
      throw e;
    }
    return this.showImage(img.id, opts);
  }

  /**
   * GET /v2/images/{id}/file, streamed. The stream errors with EBADMSG at its end when the
   * bytes' md5 differs from Content-MD5 (or `expectMd5`), or EIO when fewer bytes came.
   */
  async download(id: string, opts: CallOptions & { expectMd5?: string } = {}): Promise<DownloadResult> {
    const res = await this.request(
      'GET',
      `/v2/images/${encodeURIComponent(id)}/file`,
      'glance.download',
      id,
      { headers: this.headers({ accept: 'application/octet-stream' }) },
      opts,
      600_000,
    );
    if (res.status === 204 || !res.body) throw new GlanceError(204, 'image has no data', 'glance.download', id);
    const len = res.headers.get('content-length');
    const size = len !== null ? Number(len) : undefined;
    const md5 = opts.expectMd5 ?? res.headers.get('content-md5') ?? undefined;
    const body = res.body;
    async function* checked(): AsyncGenerator<Buffer> {
      const h = createHash('md5');
      let n = 0;
      for await (const piece of body as unknown as AsyncIterable<Uint8Array>) {
        const b = Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
        h.update(b);
        n += b.length;
        yield b;
      }
      if (size !== undefined && n !== size) throw cephError('EIO', `download ended after ${n} of ${size} bytes`, { op: 'glance.download', target: id });
      const got = h.digest('hex');
      if (md5 && got !== md5) throw cephError('EBADMSG', `checksum mismatch: md5 ${got}, Glance says ${md5}`, { op: 'glance.download', target: id });
    }
    return { stream: Readable.from(checked(), { objectMode: false }), size, md5 };
  }

  /** The whole image in memory (small images, tests). */
  async downloadBuffer(id: string, opts: CallOptions & { expectMd5?: string } = {}): Promise<Buffer> {
    const { stream } = await this.download(id, opts);
    const parts: Buffer[] = [];
    for await (const b of stream) parts.push(b as Buffer);
    return Buffer.concat(parts);
  }

  /**
   * Add a location to an image (PATCH, JSON patch `add /locations/-`); a queued image becomes
   * active. Glance checks the location through its own store driver.
   */
  async addLocation(id: string, url: string, metadata: Record<string, unknown> = {}, opts: CallOptions = {}): Promise<GlanceImage> {
    const patch = [{ op: 'add', path: '/locations/-', value: { url, metadata } }];
    const res = await this.request(
      'PATCH',
      `/v2/images/${encodeURIComponent(id)}`,
      'glance.add_location',
      id,
      { headers: this.headers({ 'content-type': 'application/openstack-images-v2.1-json-patch' }), body: JSON.stringify(patch) },
      opts,
    );
    return this.json<GlanceImage>(res);
  }

  /** DELETE /v2/images/{id}: 409 (EBUSY) while the image is in use in the backend (clones). */
  async deleteImage(id: string, opts: CallOptions = {}): Promise<void> {
    await this.request('DELETE', `/v2/images/${encodeURIComponent(id)}`, 'glance.delete', id, { headers: this.headers() }, opts);
  }
}
