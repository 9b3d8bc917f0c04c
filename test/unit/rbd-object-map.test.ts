import test from 'ava';
import { readFileSync } from 'node:fs';
import { DecodeError } from '../../src/encoding/errno.js';
import { BitVector } from '../../src/rbd/bit-vector.js';
import { OBJECT_EXISTS, OBJECT_NONEXISTENT, OBJECT_PENDING } from '../../src/rbd/object-map-state.js';

// rbd_object_map.<id> of a 40 MiB image after librbd wrote objects 0 and 9 (rados get, CRC footer included)
const captured = readFileSync(new URL('../../fixtures/rbd/object-map-10-objects.bin', import.meta.url));

test('decodes a stored object map (footer ignored)', (t) => {
  const m = BitVector.decode(captured);
  t.is(m.count, 10);
  t.deepEqual(m.existing(), [0, 9]);
  t.is(m.get(9), OBJECT_EXISTS);
  t.is(m.get(100), OBJECT_NONEXISTENT);
});

test('decodes the vector without footer (object_map_load output)', (t) => {
  const m = BitVector.decode(captured.subarray(0, 18 + 3));
  t.deepEqual(m.existing(), [0, 9]);
});

test('set changes only its own two bits', (t) => {
  const m = BitVector.decode(captured);
  m.set(8, OBJECT_PENDING);
  m.set(0, OBJECT_NONEXISTENT);
  t.is(m.get(8), OBJECT_PENDING);
  t.is(m.get(9), OBJECT_EXISTS);
  t.deepEqual(m.existing(), [8, 9]);
});

test('truncated data is a DecodeError', (t) => {
  t.throws(() => BitVector.decode(captured.subarray(0, 19)), { instanceOf: DecodeError });
  t.throws(() => BitVector.decode(captured.subarray(0, 10)), { instanceOf: DecodeError });
});
