// The OpenStack layer, published as `rbd-ts/openstack`: Glance's rbd store, the Nova-side clone
// handler, a Glance v2 API client, and the rbd:// location format they share.
export { parseLocation, formatLocation, isLocation, RBD_SCHEME, type RbdLocation } from './location.js';
export { RbdStore, type ImageSource, type StoreConfig, type AddOptions, type AddResult, type GetResult } from './store.js';
export { NovaHandler, type Cloneability, type DiskPlan, type DiskOptions, type DiskResult, type BootManyResult, type NovaOptions } from './nova.js';
export { GlanceClient, GlanceError, type GlanceImage, type CreateImageRequest, type GlanceClientOptions, type DownloadResult } from './glance-client.js';
