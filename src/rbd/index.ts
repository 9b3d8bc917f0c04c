export { RBD } from './rbd.js';
export { Image, type OpenOptions } from './image.js';
export * from './types.js';
export { Feature, OpFeature, featureNames, parseFeatures } from './features.js';
export { importImage, exportImage, type ImportSource, type ImportOptions, type ImportResult, type ExportOptions } from './import-export.js';
export { ImageReadStream, ImageWriteStream, type ImageReadStreamOptions, type ImageWriteStreamOptions, type StreamStats } from './stream.js';
