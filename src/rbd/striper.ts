// Image extents → object extents (Striper::file_to_extents; docs/rbd-format.md §7.1). Image
// bytes are dealt out in stripe units round-robin across `stripe_count` objects of an
// object set; with the default layout (unit = object size, count 1) object n simply holds
// bytes [n·os, (n+1)·os).

import type { Layout } from './layout.js';

export interface ObjectExtent {
  objno: number;
  /** offset inside the object */
  offset: number;
  length: number;
  /** where these bytes sit in the image: [image offset, length] pieces, in object order */
  imageExtents: Array<[number, number]>;
}

/** The object extents covering image bytes [offset, offset + length), one entry per object. */
export function mapExtent(l: Layout, offset: number, length: number): ObjectExtent[] {
  const su = l.stripeUnit;
  const sc = l.stripeCount;
  const stripesPerObject = l.objectSize / su;
  const byObject = new Map<number, ObjectExtent>();
  let cur = offset;
  let left = length;
  while (left > 0) {
    const blockno = Math.floor(cur / su);
    const stripeno = Math.floor(blockno / sc);
    const stripepos = blockno % sc;
    const objectsetno = Math.floor(stripeno / stripesPerObject);
    const objno = objectsetno * sc + stripepos;
    const blockStart = (stripeno % stripesPerObject) * su;
    const blockOff = cur % su;
    const len = Math.min(left, su - blockOff);
    const xoff = blockStart + blockOff;
    const ex = byObject.get(objno);
    if (ex && ex.offset + ex.length === xoff) {
      ex.length += len;
      const last = ex.imageExtents[ex.imageExtents.length - 1]!;
      if (last[0] + last[1] === cur) last[1] += len;
      else ex.imageExtents.push([cur, len]);
    } else if (!ex) {
      byObject.set(objno, { objno, offset: xoff, length: len, imageExtents: [[cur, len]] });
    } else {
      // not contiguous in the object (cannot happen for one ascending image range)
      throw new Error(`striper: object ${objno} extent not contiguous`);
    }
    cur += len;
    left -= len;
  }
  return [...byObject.values()].sort((a, b) => a.objno - b.objno);
}

/** The image extents an object's bytes [0, objectSize) come from (inverse of mapExtent). */
export function objectImageExtents(l: Layout, objno: number): Array<[number, number]> {
  const su = l.stripeUnit;
  const sc = l.stripeCount;
  const spo = l.objectSize / su;
  const objectsetno = Math.floor(objno / sc);
  const stripepos = objno % sc;
  const out: Array<[number, number]> = [];
  for (let k = 0; k < spo; k++) {
    const start = ((objectsetno * spo + k) * sc + stripepos) * su;
    const last = out[out.length - 1];
    if (last && last[0] + last[1] === start) last[1] += su;
    else out.push([start, su]);
  }
  return out;
}
