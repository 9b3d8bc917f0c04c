// RBD building blocks without a cluster: object counts (against librbd's stat()['num_objs'],
// recorded from python3-rbd on Pacific 16.2.15), object names, image ids, feature names and
// creation checks, and the bytes of the cls inputs the object-map code sends.

import test from 'ava';
import { CephError } from '../../src/encoding/errno.js';
import * as R from '../../src/rbd/cls/rbd.js';
import {
  FEATURES_DEFAULT,
  FEATURES_IMPLICIT,
  Feature,
  featureNames,
  flagNames,
  opFeatureNames,
  parseFeatures,
  validateCreateFeatures,
} from '../../src/rbd/features.js';
import { makeLayout, objectCount } from '../../src/rbd/layout.js';
import { dataObject, generateImageId, headerObject, idObject, objectMapObject, objectPrefix, v1HeaderObject } from '../../src/rbd/names.js';

// [size, order, stripe unit, stripe count, librbd's num_objs]
const LIBRBD_COUNTS: Array<[number, number, number, number, number]> = [
  [0, 22, 0, 0, 0],
  [1, 22, 0, 0, 1],
  [4194304, 22, 0, 0, 1],
  [4194305, 22, 0, 0, 2],
  [67108864, 22, 0, 0, 16],
  [10489856, 20, 16384, 3, 12],
  [10485761, 20, 65536, 5, 11],
  [67108864, 22, 65536, 8, 16],
  [1, 22, 65536, 8, 1],
  [196608, 22, 65536, 8, 3],
  [524289, 22, 65536, 8, 8],
  [34144256, 22, 65536, 8, 16],
  [3145735, 12, 0, 0, 769],
  [104857600, 16, 4096, 16, 1600],
  [1073754169, 25, 1048576, 7, 35],
];

test('objectCount equals librbd num_objs for plain and striped layouts', (t) => {
  for (const [size, order, su, sc, want] of LIBRBD_COUNTS) {
    t.is(objectCount(makeLayout(order, su, sc), size), want, `size ${size} order ${order} su ${su} sc ${sc}`);
  }
});

test('makeLayout: stripe unit/count 0 mean object size / 1', (t) => {
  t.deepEqual(makeLayout(22), { order: 22, objectSize: 4194304, stripeUnit: 4194304, stripeCount: 1 });
  t.deepEqual(makeLayout(20, 65536, 4), { order: 20, objectSize: 1048576, stripeUnit: 65536, stripeCount: 4 });
});

test('object names as librbd makes them', (t) => {
  t.is(idObject('vm disk'), 'rbd_id.vm disk');
  t.is(headerObject('10a2b3c4d5e6'), 'rbd_header.10a2b3c4d5e6');
  t.is(v1HeaderObject('old'), 'old.rbd');
  t.is(objectMapObject('abc'), 'rbd_object_map.abc');
  t.is(objectMapObject('abc', 255n), 'rbd_object_map.abc.00000000000000ff');
  t.is(dataObject('rbd_data.abc', 0), 'rbd_data.abc.0000000000000000');
  t.is(dataObject('rbd_data.abc', 0x1234), 'rbd_data.abc.0000000000001234');
  t.is(objectPrefix('abc', 7, false), 'rbd_data.abc');
  t.is(objectPrefix('abc', 7, true), 'rbd_data.7.abc');
});

test('image ids: hex global id + hex random, last 14 characters', (t) => {
  t.is(generateImageId(0x1234n, 0xabcdef), '1234abcdef');
  t.is(generateImageId(0x10a2n, 0xffffffff), '10a2ffffffff');
  t.is(generateImageId(0x123456789an, 0xdeadbeef), '3456789adeadbeef'.slice(-14));
  t.is(generateImageId(0x123456789an, 0xdeadbeef).length, 14);
  t.regex(generateImageId(4242n, 0), /^[0-9a-f]+$/);
});

test('feature names and parsing as rbd prints them', (t) => {
  t.deepEqual(featureNames(FEATURES_DEFAULT), ['layering', 'exclusive-lock', 'object-map', 'fast-diff', 'deep-flatten']);
  t.deepEqual(featureNames(1 | 2 | 128 | 256), ['layering', 'striping', 'data-pool', 'operations']);
  t.is(parseFeatures(['layering', 'exclusive-lock']), 5);
  t.is(parseFeatures('layering,object-map exclusive-lock'), 13);
  t.is(parseFeatures('61'), 61);
  t.is(parseFeatures(7), 7);
  const e = t.throws(() => parseFeatures(['layering', 'warp-drive']));
  t.is((e as CephError).errno, 22);
  t.deepEqual(opFeatureNames(3), ['clone-parent', 'clone-child']);
  t.deepEqual(flagNames(3), ['object map invalid', 'fast diff invalid']);
});

test('creation checks: librbd errnos, fast-diff follows object-map', (t) => {
  const errno = (f: number) => {
    try {
      validateCreateFeatures(f);
      return 0;
    } catch (e) {
      return (e as CephError).errno;
    }
  };
  t.is(errno(1 << 16), 38, 'unknown bit: ENOSYS');
  t.is(errno(1 | 8), 22, 'object-map without exclusive-lock: EINVAL');
  t.is(errno(1 | 64), 22, 'journaling without exclusive-lock: EINVAL');
  t.is(validateCreateFeatures(1 | 4 | 8), 1 | 4 | 8 | 16, 'object-map brings fast-diff');
  t.is(validateCreateFeatures(1 | 16), 1, 'fast-diff alone is dropped');
  // the bits librbd sets by itself are dropped from a caller's mask before the checks
  t.is(
    FEATURES_IMPLICIT & (Feature.STRIPINGV2 | Feature.DATA_POOL | Feature.FAST_DIFF | Feature.OPERATIONS | Feature.MIGRATING | Feature.NON_PRIMARY | 2048),
    FEATURES_IMPLICIT,
  );
  for (const f of [1 | 256, 1 | 512, 1 | 1024, 1 | 2048]) t.is(validateCreateFeatures(f & ~FEATURES_IMPLICIT), 1, `features ${f}`);
});

test('cls inputs of the object-map calls (cls_rbd_client encodings)', (t) => {
  const u = R.objectMapUpdate(3, 10, 2, 1);
  t.is(u.method, 'object_map_update');
  t.true(u.write);
  t.is(u.input.toString('hex'), '0300000000000000' + '0a00000000000000' + '02' + '01' + '01');
  t.is(R.objectMapUpdate(0, 1, 0).input.toString('hex'), '0000000000000000' + '0100000000000000' + '00' + '00');
  const map = Buffer.from('0e0000000101080000000400000000000000d30c000000', 'hex');
  const r = R.objectMapSnapRemove(map);
  t.is(r.method, 'object_map_snap_remove');
  t.deepEqual(r.input, map, 'the loaded map is passed back as is');
  t.is(R.objectMapLoad().method, 'object_map_load');
  t.false(R.objectMapLoad().write);
  t.deepEqual(R.objectMapLoad().decode(map), map);
  t.is(R.objectMapResize(5, 0).input.toString('hex'), '0500000000000000' + '00');
});
