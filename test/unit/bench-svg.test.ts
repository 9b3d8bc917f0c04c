import test from 'ava';
import { escapeXml, lineChart, linearTicks, logTicks, shortNumber, type ChartSpec } from '../../bench/svg.js';
import { checkXml } from '../../bench/xml-check.js';

const spec: ChartSpec = {
  title: 'Latency <&> "size"',
  subtitle: 'p50',
  xLabel: 'image size',
  yLabel: 'ms',
  xLog: true,
  yLog: true,
  xTicks: [64, 256, 1024, 4096],
  xFormat: (v) => `${v} MiB`,
  series: [
    {
      name: 'rbd-ts & co',
      color: '#1f77b4',
      points: [
        { x: 64, y: 5, lo: 4, hi: 7 },
        { x: 256, y: 5.2 },
        { x: 1024, y: 5.1 },
        { x: 4096, y: 5.3 },
      ],
    },
    {
      name: 'librbd',
      color: '#d62728',
      dash: '6 4',
      marker: 'square',
      points: [
        { x: 64, y: 300 },
        { x: 4096, y: 19000 },
        { x: 256, y: NaN },
      ],
    },
  ],
};

test('ticks', (t) => {
  t.deepEqual(logTicks(3, 600), [5, 10, 20, 50, 100, 200, 500]);
  t.deepEqual(linearTicks(0, 42), [0, 10, 20, 30, 40]);
  t.deepEqual(linearTicks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  t.is(shortNumber(1500), '1.5k');
  t.is(shortNumber(0.25), '0.25');
  t.is(shortNumber(2_000_000), '2M');
});

test('escapeXml', (t) => {
  t.is(escapeXml(`<a & "b" 'c'>`), '&lt;a &amp; &quot;b&quot; &apos;c&apos;&gt;');
});

test('a line chart is well-formed SVG with axes, labels, legend and one polyline per series', (t) => {
  const svg = lineChart(spec);
  const { errors, elements } = checkXml(svg);
  t.deepEqual(errors, []);
  t.is(elements[0], 'svg');
  t.regex(svg, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
  t.true(svg.includes('<title>Latency &lt;&amp;&gt; &quot;size&quot;</title>'));
  t.is((svg.match(/<polyline /g) ?? []).length, 2);
  // the NaN point is dropped: librbd's polyline has two points
  const lines = [...svg.matchAll(/<polyline points="([^"]+)"/g)].map((m) => m[1]!.split(' ').length);
  t.deepEqual(lines, [4, 2]);
  for (const label of ['64 MiB', '256 MiB', '1024 MiB', '4096 MiB', 'image size (log scale)', 'ms (log scale)', 'rbd-ts &amp; co', 'librbd'])
    t.true(svg.includes(`>${label}<`), label);
  // y spans 5 .. 19000 on a 1-2-5 log axis, ending on labelled ticks
  for (const y of ['2', '5', '10', '100', '1k', '10k', '20k']) t.true(svg.includes(`>${y}</text>`), y);
  t.true(svg.includes('stroke-dasharray="6 4"'));
  t.is((svg.match(/<g class="series"/g) ?? []).length, 2);
  t.true(svg.includes('<g class="legend">'));
  // whisker for the first point only
  t.is((svg.match(/opacity="0.7"/g) ?? []).length, 1);
  // every coordinate is a finite number
  t.false(/NaN|Infinity/.test(svg));
});

test('a linear chart from zero, and an empty one, are well formed', (t) => {
  const lin = lineChart({ ...spec, yLog: false, yZero: true, dodge: 6 });
  t.deepEqual(checkXml(lin).errors, []);
  t.true(lin.includes('>0</text>'));
  t.false(lin.includes('>ms (log scale)<'));
  const empty = lineChart({ ...spec, series: [] });
  t.deepEqual(checkXml(empty).errors, []);
  t.false(/NaN|Infinity/.test(empty));
});

test('the XML checker finds what a renderer would choke on', (t) => {
  t.deepEqual(checkXml('<svg><g></g></svg>').errors, []);
  t.true(checkXml('<svg><g></svg>').errors.length > 0);
  t.true(checkXml('<svg>a & b</svg>').errors.length > 0);
  t.true(checkXml('<svg x=1/>').errors.length > 0);
  t.true(checkXml('<svg/><svg/>').errors.length > 0);
  t.true(checkXml('<svg><text>1 < 2</text></svg>').errors.length > 0);
  t.deepEqual(checkXml('<?xml version="1.0"?>\n<svg a="&amp;"><!-- c --></svg>\n').errors, []);
});
