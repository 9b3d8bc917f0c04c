// A small SVG line-chart writer (no browser, no dependency): linear or log axes with ticks and
// grid, axis labels, a title, one polyline + markers per series with optional whiskers
// (lo..hi), and a legend. Output is standalone SVG 1.1 that rsvg/ImageMagick render.

export interface Point {
  x: number;
  y: number;
  /** whisker bottom and top, same units as y */
  lo?: number;
  hi?: number;
}

export interface Series {
  name: string;
  color: string;
  /** stroke-dasharray, e.g. "6 4" */
  dash?: string;
  marker?: 'circle' | 'square' | 'triangle';
  points: Point[];
}

export interface ChartSpec {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  xLog?: boolean;
  yLog?: boolean;
  /** tick positions on x (default: computed) */
  xTicks?: number[];
  xFormat?: (v: number) => string;
  yFormat?: (v: number) => string;
  /** force y to start at 0 (linear axes) */
  yZero?: boolean;
  /** shift series i by (i - (n-1)/2) * dodge px along x, so whiskers at the same x stay apart */
  dodge?: number;
  width?: number;
  height?: number;
  series: Series[];
}

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

const num = (v: number): string => (Math.round(v * 100) / 100).toString();

/** 1, 2, 5 × 10^k ticks covering [lo, hi] for a log axis */
export function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const k0 = Math.floor(Math.log10(lo));
  const k1 = Math.ceil(Math.log10(hi));
  for (let k = k0; k <= k1; k++)
    for (const m of [1, 2, 5]) {
      const v = m * 10 ** k;
      if (v >= lo * 0.999 && v <= hi * 1.001) out.push(Number(v.toPrecision(12)));
    }
  return out;
}

/** about `n` round ticks covering [lo, hi] for a linear axis */
export function linearTicks(lo: number, hi: number, n = 6): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** a compact tick label: 1500 -> "1.5k", 0.25 -> "0.25" */
export function shortNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${+(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e3) return `${+(v / 1e3).toPrecision(3)}k`;
  return `${+v.toPrecision(3)}`;
}

interface Scale {
  map(v: number): number;
  ticks: number[];
}

function scale(lo: number, hi: number, log: boolean, from: number, to: number, ticks?: number[]): Scale {
  if (log) {
    const l0 = Math.log10(lo);
    const l1 = Math.log10(hi);
    const span = l1 - l0 || 1;
    return { map: (v) => from + ((Math.log10(v) - l0) / span) * (to - from), ticks: ticks ?? logTicks(lo, hi) };
  }
  const span = hi - lo || 1;
  return { map: (v) => from + ((v - lo) / span) * (to - from), ticks: ticks ?? linearTicks(lo, hi) };
}

function marker(kind: Series['marker'], x: number, y: number, color: string): string {
  if (kind === 'square') return `<rect x="${num(x - 4)}" y="${num(y - 4)}" width="8" height="8" fill="${color}"/>`;
  if (kind === 'triangle') return `<path d="M${num(x)} ${num(y - 5)} L${num(x + 5)} ${num(y + 4)} L${num(x - 5)} ${num(y + 4)} Z" fill="${color}"/>`;
  return `<circle cx="${num(x)}" cy="${num(y)}" r="4" fill="${color}"/>`;
}

export function lineChart(spec: ChartSpec): string {
  const W = spec.width ?? 760;
  const H = spec.height ?? 460;
  const m = { left: 78, right: 200, top: spec.subtitle ? 62 : 46, bottom: 58 };
  const pts = spec.series
    .flatMap((s) => s.points)
    .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!spec.yLog || p.y > 0) && (!spec.xLog || p.x > 0));
  const ys = pts.flatMap((p) => [p.y, p.lo ?? p.y, p.hi ?? p.y]).filter((v) => Number.isFinite(v) && (!spec.yLog || v > 0));
  const xs = pts.map((p) => p.x);
  let x0 = xs.length ? Math.min(...xs) : 1;
  let x1 = xs.length ? Math.max(...xs) : 10;
  let y0 = ys.length ? Math.min(...ys) : 1;
  let y1 = ys.length ? Math.max(...ys) : 10;
  if (spec.xLog) {
    x0 /= 1.25;
    x1 *= 1.25;
  } else {
    const pad = (x1 - x0) * 0.05 || 1;
    x0 -= pad;
    x1 += pad;
  }
  // y runs from a tick to a tick, so both ends are labelled
  if (spec.yLog) {
    const t = logTicks(y0 / 10, y1 * 10);
    y0 = [...t].reverse().find((v) => v <= y0 / 1.05) ?? y0 / 1.2;
    y1 = t.find((v) => v >= y1 * 1.05) ?? y1 * 1.2;
  } else {
    if (spec.yZero) y0 = 0;
    const t = linearTicks(y0, y1 + (y1 - y0) * 0.05 || 1);
    y1 = Math.max(y1, t[t.length - 1] ?? y1);
  }
  const px0 = m.left;
  const px1 = W - m.right;
  const py0 = H - m.bottom;
  const py1 = m.top;
  const sx0 = scale(x0, x1, !!spec.xLog, px0, px1, spec.xTicks);
  const sy = scale(y0, y1, !!spec.yLog, py0, py1);
  const xf = spec.xFormat ?? shortNumber;
  const yf = spec.yFormat ?? shortNumber;
  const o: string[] = [];
  o.push(`<?xml version="1.0" encoding="UTF-8"?>`);
  o.push(
    `<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif" font-size="12">`,
  );
  o.push(`<title>${escapeXml(spec.title)}</title>`);
  o.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  o.push(`<text x="${W / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">${escapeXml(spec.title)}</text>`);
  if (spec.subtitle) o.push(`<text x="${W / 2}" y="42" text-anchor="middle" fill="#555555">${escapeXml(spec.subtitle)}</text>`);
  // grid and ticks
  o.push(`<g class="grid" stroke="#e3e3e3" stroke-width="1">`);
  for (const t of sy.ticks) if (t >= y0 && t <= y1) o.push(`<line x1="${px0}" y1="${num(sy.map(t))}" x2="${px1}" y2="${num(sy.map(t))}"/>`);
  for (const t of sx0.ticks) if (t >= x0 && t <= x1) o.push(`<line x1="${num(sx0.map(t))}" y1="${py0}" x2="${num(sx0.map(t))}" y2="${py1}"/>`);
  o.push(`</g>`);
  o.push(
    `<g class="axes" stroke="#333333" stroke-width="1.2"><line x1="${px0}" y1="${py0}" x2="${px1}" y2="${py0}"/><line x1="${px0}" y1="${py0}" x2="${px0}" y2="${py1}"/></g>`,
  );
  o.push(`<g class="ticks" fill="#333333">`);
  for (const t of sy.ticks) if (t >= y0 && t <= y1) o.push(`<text x="${px0 - 8}" y="${num(sy.map(t) + 4)}" text-anchor="end">${escapeXml(yf(t))}</text>`);
  for (const t of sx0.ticks) if (t >= x0 && t <= x1) o.push(`<text x="${num(sx0.map(t))}" y="${py0 + 18}" text-anchor="middle">${escapeXml(xf(t))}</text>`);
  o.push(`</g>`);
  o.push(`<text x="${(px0 + px1) / 2}" y="${H - 16}" text-anchor="middle" font-size="13">${escapeXml(spec.xLabel + (spec.xLog ? ' (log scale)' : ''))}</text>`);
  o.push(
    `<text x="18" y="${(py0 + py1) / 2}" text-anchor="middle" font-size="13" transform="rotate(-90 18 ${(py0 + py1) / 2})">${escapeXml(spec.yLabel + (spec.yLog ? ' (log scale)' : ''))}</text>`,
  );
  // series
  for (const [si, s] of spec.series.entries()) {
    const ok = s.points.filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (!spec.yLog || p.y > 0)).sort((a, b) => a.x - b.x);
    const shift = (si - (spec.series.length - 1) / 2) * (spec.dodge ?? 0);
    const sx = { map: (v: number) => sx0.map(v) + shift };
    o.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    for (const p of ok) {
      if (p.lo === undefined || p.hi === undefined || !Number.isFinite(p.lo) || !Number.isFinite(p.hi)) continue;
      const x = num(sx.map(p.x));
      const a = num(sy.map(spec.yLog ? Math.max(p.lo, y0) : p.lo));
      const b = num(sy.map(p.hi));
      o.push(
        `<path d="M${x} ${a} V${b} M${num(sx.map(p.x) - 4)} ${a} h8 M${num(sx.map(p.x) - 4)} ${b} h8" stroke="${s.color}" stroke-width="1" fill="none" opacity="0.7"/>`,
      );
    }
    if (ok.length > 1) {
      const d = ok.map((p) => `${num(sx.map(p.x))},${num(sy.map(p.y))}`).join(' ');
      o.push(`<polyline points="${d}" fill="none" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    }
    for (const p of ok) o.push(marker(s.marker, sx.map(p.x), sy.map(p.y), s.color));
    o.push(`</g>`);
  }
  // legend, right of the plot
  const lx = px1 + 16;
  o.push(`<g class="legend">`);
  spec.series.forEach((s, i) => {
    const ly = py1 + 10 + i * 22;
    o.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 26}" y2="${ly}" stroke="${s.color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${s.dash}"` : ''}/>`);
    o.push(marker(s.marker, lx + 13, ly, s.color));
    o.push(`<text x="${lx + 34}" y="${ly + 4}">${escapeXml(s.name)}</text>`);
  });
  o.push(`</g>`);
  o.push(`</svg>`);
  return o.join('\n') + '\n';
}
