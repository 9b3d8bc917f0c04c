// Object names of format-2 images (src/include/rbd_types.h, src/librbd/Utils.cc).

export const RBD_DIRECTORY = 'rbd_directory';
export const RBD_CHILDREN = 'rbd_children';
export const RBD_INFO = 'rbd_info';
/** the trash directory: omap keys id_<image id> (cls_rbd trash_add) */
export const RBD_TRASH = 'rbd_trash';
/** the header's exclusive lock, and the head object map's lock (cls lock name) */
export const RBD_LOCK_NAME = 'rbd_lock';
/** RBD_MAX_IMAGE_ID_LENGTH */
export const MAX_IMAGE_ID_LENGTH = 14;
export const MIN_ORDER = 12;
export const MAX_ORDER = 25;
/** object_map_resize refuses more objects than this */
export const MAX_OBJECT_MAP_OBJECTS = 256_000_000;

export const idObject = (name: string): string => `rbd_id.${name}`;
export const headerObject = (id: string): string => `rbd_header.${id}`;
export const v1HeaderObject = (name: string): string => `${name}.rbd`;
const hex16 = (n: bigint | number): string => BigInt(n).toString(16).padStart(16, '0');
export const objectMapObject = (id: string, snapId?: bigint): string =>
  snapId === undefined ? `rbd_object_map.${id}` : `rbd_object_map.${id}.${hex16(snapId)}`;
export const dataObject = (prefix: string, objno: number): string => `${prefix}.${hex16(objno)}`;

/** object_prefix: rbd_data.<id>, or rbd_data.<metadata pool id>.<id> with a separate data pool */
export function objectPrefix(id: string, metadataPoolId: number, dataPool: boolean): string {
  return dataPool ? `rbd_data.${metadataPoolId}.${id}` : `rbd_data.${id}`;
}

/** An image id as librbd makes one: hex global id then hex random u32, last 14 characters. */
export function generateImageId(globalId: bigint, random: number): string {
  const s = globalId.toString(16) + (random >>> 0).toString(16);
  return s.length > MAX_IMAGE_ID_LENGTH ? s.slice(s.length - MAX_IMAGE_ID_LENGTH) : s;
}
