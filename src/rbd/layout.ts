// Striping (src/osdc/Striper.cc; docs/rbd-format.md §7.1): object size 2^order, stripe unit
// and count; image bytes are dealt out in stripe units across stripe_count objects.

export interface Layout {
  order: number;
  objectSize: number;
  stripeUnit: number;
  stripeCount: number;
}

export function makeLayout(order: number, stripeUnit = 0, stripeCount = 0): Layout {
  const objectSize = 2 ** order;
  return { order, objectSize, stripeUnit: stripeUnit || objectSize, stripeCount: stripeCount || 1 };
}

/** How many data objects an image of `size` bytes spans (Striper::get_num_objects). */
export function objectCount(l: Layout, size: number): number {
  if (size <= 0) return 0;
  const period = l.objectSize * l.stripeCount;
  const periods = Math.ceil(size / period);
  const rem = size % period;
  const short = rem > 0 && rem < l.stripeCount * l.stripeUnit ? l.stripeCount - Math.ceil(rem / l.stripeUnit) : 0;
  return periods * l.stripeCount - short;
}
