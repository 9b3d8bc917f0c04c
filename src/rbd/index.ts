export { RBD } from './rbd.js';
export { Image, type OpenOptions } from './image.js';
export * from './types.js';
export { Feature, OpFeature, featureNames, parseFeatures } from './features.js';
