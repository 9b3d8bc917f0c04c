// Node streams over an image's bytes (placeholder: filled in by the streams work of issue 5).

import { Readable, Writable } from 'node:stream';
import type { Image } from './image.js';

export interface ImageReadStreamOptions {
  /** first byte (default 0) */
  start?: number;
  /** bytes to read (default: to the end of the image) */
  length?: number;
  /** bytes per read (default: the object size) */
  chunkSize?: number;
  signal?: AbortSignal;
}

export interface ImageWriteStreamOptions {
  /** image offset of the first byte written (default 0) */
  start?: number;
  signal?: AbortSignal;
}

export class ImageReadStream extends Readable {
  constructor(readonly image: Image, readonly options: ImageReadStreamOptions = {}) {
    super();
    throw new Error('not implemented yet');
  }
}

export class ImageWriteStream extends Writable {
  constructor(readonly image: Image, readonly options: ImageWriteStreamOptions = {}) {
    super();
    throw new Error('not implemented yet');
  }
}
