import test from 'ava';
import { makeLayout, objectCount } from '../../src/rbd/layout.js';
import { mapExtent } from '../../src/rbd/striper.js';

test('default layout: object n holds bytes [n·os, (n+1)·os)', (t) => {
  const l = makeLayout(22);
  t.deepEqual(mapExtent(l, 0, 10), [{ objno: 0, offset: 0, length: 10, imageExtents: [[0, 10]] }]);
  t.deepEqual(mapExtent(l, (4 << 20) - 5, 10), [
    { objno: 0, offset: (4 << 20) - 5, length: 5, imageExtents: [[(4 << 20) - 5, 5]] },
    { objno: 1, offset: 0, length: 5, imageExtents: [[4 << 20, 5]] },
  ]);
});

test('fancy striping: 64 KiB units dealt round-robin over 4 objects of 4 MiB', (t) => {
  const l = makeLayout(22, 65536, 4);
  const su = 65536;
  // unit k of the image goes to object k % 4 at offset floor(k / 4) · su (first object set)
  t.deepEqual(mapExtent(l, 0, 5 * su), [
    {
      objno: 0,
      offset: 0,
      length: 2 * su,
      imageExtents: [
        [0, su],
        [4 * su, su],
      ],
    },
    { objno: 1, offset: 0, length: su, imageExtents: [[su, su]] },
    { objno: 2, offset: 0, length: su, imageExtents: [[2 * su, su]] },
    { objno: 3, offset: 0, length: su, imageExtents: [[3 * su, su]] },
  ]);
  // the second object set starts at 4 objects × 4 MiB = 16 MiB of image data
  const setBytes = 4 * (4 << 20);
  t.deepEqual(mapExtent(l, setBytes + 10, 5), [{ objno: 4, offset: 10, length: 5, imageExtents: [[setBytes + 10, 5]] }]);
  // every byte is mapped exactly once
  const ex = mapExtent(l, 12345, 3 * setBytes);
  t.is(
    ex.reduce((n, e) => n + e.length, 0),
    3 * setBytes,
  );
  t.is(
    ex.reduce((n, e) => n + e.imageExtents.reduce((m, [, len]) => m + len, 0), 0),
    3 * setBytes,
  );
  t.is(objectCount(l, 10 << 20), 4);
});
