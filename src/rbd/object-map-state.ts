// Object map states (src/include/rbd/object_map_types.h) and what they promise.

export const OBJECT_NONEXISTENT = 0;
export const OBJECT_EXISTS = 1;
/** an update (removal) is in flight: the object may or may not exist */
export const OBJECT_PENDING = 2;
/** exists, unchanged since the latest snapshot (fast-diff) */
export const OBJECT_EXISTS_CLEAN = 3;

/** The object certainly exists. */
export const objectExists = (state: number | undefined): boolean => state === OBJECT_EXISTS || state === OBJECT_EXISTS_CLEAN;

/** The object may exist: anything but a trusted NONEXISTENT (undefined: no map to trust). */
export const objectMayExist = (state: number | undefined): boolean => state !== OBJECT_NONEXISTENT;
