import test from 'ava';
import { latencySummary, median, parseSizeList, percentile, ratio, relativeRange, sizeLabel, spread } from '../../bench/stats.js';

const thirty = Array.from({ length: 30 }, (_, i) => 30 - i); // 30..1, unsorted on purpose

test('nearest-rank percentiles', (t) => {
  t.is(percentile(thirty, 0.5), 15); // ceil(0.5*30) = 15th smallest
  t.is(percentile(thirty, 0.95), 29); // ceil(28.5) = 29th
  t.is(percentile(thirty, 0.99), 30); // ceil(29.7) = 30th: p99 of 30 samples is the largest
  t.is(percentile(thirty, 0), 1);
  t.is(percentile(thirty, 1), 30);
  t.is(percentile([7], 0.99), 7);
  t.true(Number.isNaN(percentile([], 0.5)));
  t.throws(() => percentile([1], 1.5), { instanceOf: RangeError });
  t.deepEqual(thirty[0], 30, 'input left unsorted');
});

test('median, spread, summary', (t) => {
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
  t.deepEqual(spread([5, 1, 9]), { n: 3, min: 1, median: 5, max: 9 });
  t.is(spread([]).n, 0);
  const s = latencySummary(thirty);
  t.like(s, { n: 30, min: 1, max: 30, p50: 15, p95: 29, p99: 30, median: 15.5, mean: 15.5 });
});

test('ratio and relative range', (t) => {
  t.is(ratio(1, 4), 0.25);
  t.true(Number.isNaN(ratio(1, 0)));
  t.true(Number.isNaN(ratio(undefined, 2)));
  t.true(Number.isNaN(ratio(NaN, 2)));
  t.is(relativeRange([10, 11, 10.5]), 0.1); // (11 - 10) / 10
  t.is(relativeRange([5, NaN, 5]), 0);
  t.true(Number.isNaN(relativeRange([])));
});

test('size lists and labels', (t) => {
  t.deepEqual(parseSizeList('64M,256M,1G,4G'), [64 * 2 ** 20, 256 * 2 ** 20, 2 ** 30, 4 * 2 ** 30]);
  t.deepEqual(parseSizeList('512K, 1.5G, 4096, 2MiB'), [512 * 1024, 1.5 * 2 ** 30, 4096, 2 * 2 ** 20]);
  t.throws(() => parseSizeList('64X'), { instanceOf: RangeError });
  t.throws(() => parseSizeList('0'), { instanceOf: RangeError });
  t.is(sizeLabel(64 * 2 ** 20), '64 MiB');
  t.is(sizeLabel(4 * 2 ** 30), '4 GiB');
  t.is(sizeLabel(1.5 * 2 ** 30), '1.5 GiB');
  t.is(sizeLabel(100), '100 B');
});

test('dependent round trips: the longest chain of ops each sent after a reply', async (t) => {
  const { roundOf, roundTrips } = await import('../../bench/meter.js');
  // a and b in parallel; c after both; d after a only, overlapping c; e after c
  const ops = [
    { start: 0, end: 10 }, // a
    { start: 1, end: 12 }, // b
    { start: 13, end: 20 }, // c
    { start: 11, end: 30 }, // d
    { start: 21, end: 25 }, // e
  ];
  t.deepEqual(roundOf(ops), [1, 1, 2, 2, 3]);
  t.is(roundTrips(ops), 3);
  t.is(roundTrips([]), 0);
});
