import { formatClock, formatCompact } from './format.js';
import { attrs, escapeHtml } from './markup.js';

/**
 * A small time-series chart drawn as inline SVG. Our own code rather than a charting library because the report
 * must be one static page: no script to run (libraries draw in the browser), no CDN to reach (it is opened from
 * disk, often offline, often long after the run), nothing to install, and markup the tests can parse and
 * measure (a marker's x is a number in an attribute, not pixels on a canvas). A report needs only lines, areas,
 * marker lines and bands on a time axis, which is a few hundred lines.
 *
 * Colours and fonts are presentation attributes, not page CSS, so an SVG copied out of the page looks the same.
 */

export interface SeriesPoint {
  x: number;
  /** null is a gap (nothing measured then), not zero. */
  y: number | null;
}

export interface Series {
  name: string;
  color: string;
  kind: 'line' | 'area';
  dashed?: boolean;
  points: readonly SeriesPoint[];
}

/** A vertical line at x across the plot, its label above the plot. */
export interface Marker {
  x: number;
  label: string;
  color: string;
  dashed?: boolean;
  /** Hover text (an SVG <title>, so no script): the details the label has no room for. */
  title?: string;
  className?: string;
}

/** A shaded stretch of the x axis, e.g. a phase or an error window. */
export interface Band {
  from: number;
  to: number;
  fill: string;
  opacity?: number;
  /** Written inside the band's top-left corner when it fits. */
  label?: string;
  title?: string;
  className?: string;
}

export interface ChartSpec {
  /** Read by screen readers and shown on hover; the page shows its own heading. */
  title: string;
  width?: number;
  height?: number;
  x: { min: number; max: number; format?: (v: number) => string };
  y: { label: string; log?: boolean; format?: (v: number) => string };
  /** Area series are stacked on one another (in the order given); lines are not. */
  stacked?: boolean;
  series: readonly Series[];
  markers?: readonly Marker[];
  bands?: readonly Band[];
  /** Shown across the plot when no series has a point. */
  emptyText?: string;
}

export interface PlotArea {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface Scale {
  (v: number): number;
  ticks: number[];
  domain: [number, number];
}

const FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif';
const FONT_SIZE = 11;
/** Average advance of an 11 px sans-serif character; labels are placed without a browser to measure them. */
const CHAR_WIDTH = 6.3;
const LEGEND_ROW = 18;
const MARKER_ROW = 13;
const MARKER_ROWS = 2;
const MARGIN = { left: 58, right: 18, bottom: 24 };
const AXIS_COLOR = '#9aa3ad';
const GRID_COLOR = '#e6e9ed';
const TEXT_COLOR = '#3d4650';

const round = (v: number): number => Math.round(v * 10) / 10;
const textWidth = (text: string): number => text.length * CHAR_WIDTH;

/** The smallest step of 1, 2 or 5 × 10^k that cuts span into at most target intervals. */
export function niceStep(span: number, target: number): number {
  if (!(span > 0)) return 1;
  const raw = span / target;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 5, 10]) if (m * magnitude >= raw) return m * magnitude;
  return 10 * magnitude;
}

/** Steps a clock reads well in: seconds, then minutes, then hours. */
const TIME_STEPS = [1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600];

export function timeStep(span: number, target: number): number {
  return TIME_STEPS.find((s) => span / s <= target) ?? Math.ceil(span / target / 3600) * 3600;
}

function ticksBetween(min: number, max: number, step: number): number[] {
  const ticks: number[] = [];
  // Multiplying rather than adding keeps 0.1 steps from drifting into 0.30000000000000004.
  // `+ 0` turns the -0 that Math.ceil(-1e-9) gives into 0, which would otherwise be labelled "-0".
  for (let i = Math.ceil(min / step - 1e-9) + 0; i * step <= max + step * 1e-9; i++) ticks.push(i * step);
  return ticks;
}

/** The x (time) scale: exactly the domain given, so a marker's position is (x − min) / (max − min) of the width. */
export function timeScale(min: number, max: number, area: PlotArea): Scale {
  const hi = max > min ? max : min + 1;
  const f = ((v: number) => area.left + ((v - min) / (hi - min)) * area.width) as Scale;
  f.ticks = ticksBetween(min, hi, timeStep(hi - min, Math.max(2, Math.floor(area.width / 80))));
  f.domain = [min, hi];
  return f;
}

/** A linear y scale from 0 to a nice number a little above the largest value, so the top line is not clipped. */
export function linearYScale(maxValue: number, area: PlotArea): Scale {
  const target = Math.max(2, Math.floor(area.height / 40));
  const top = maxValue > 0 ? maxValue * 1.05 : 1;
  const step = niceStep(top, target);
  const hi = Math.ceil(top / step) * step;
  const f = ((v: number) => area.top + area.height - (Math.max(0, Math.min(v, hi)) / hi) * area.height) as Scale;
  f.ticks = ticksBetween(0, hi, step);
  f.domain = [0, hi];
  return f;
}

/**
 * A log y scale over whole decades around the positive values (zero and negatives cannot be drawn on it and are
 * left as gaps). With few decades the 2 and 5 in between are ticked too.
 */
export function logYScale(values: readonly number[], area: PlotArea): Scale {
  const positive = values.filter((v) => v > 0);
  let lo = positive.length > 0 ? 10 ** Math.floor(Math.log10(Math.min(...positive))) : 1;
  let hi = positive.length > 0 ? 10 ** Math.ceil(Math.log10(Math.max(...positive))) : 10;
  if (hi <= lo) hi = lo * 10;
  lo = Math.max(lo, 1e-6);
  const [logLo, logHi] = [Math.log10(lo), Math.log10(hi)];
  const f = ((v: number) => {
    const clamped = Math.min(Math.max(v, lo), hi);
    return area.top + area.height - ((Math.log10(clamped) - logLo) / (logHi - logLo)) * area.height;
  }) as Scale;
  const decades = Math.round(logHi - logLo);
  const multiples = decades <= 3 ? [1, 2, 5] : [1];
  f.ticks = [];
  for (let d = Math.round(logLo); d <= Math.round(logHi); d++) {
    for (const m of multiples) {
      const v = m * 10 ** d;
      if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) f.ticks.push(v);
    }
  }
  f.domain = [lo, hi];
  return f;
}

interface LegendItem {
  series: Series;
  x: number;
  row: number;
}

function layoutLegend(series: readonly Series[], width: number): { items: LegendItem[]; rows: number } {
  const items: LegendItem[] = [];
  let x = MARGIN.left;
  let row = 0;
  for (const s of series) {
    const w = 22 + textWidth(s.name) + 14;
    if (x + w > width - MARGIN.right && x > MARGIN.left) {
      row++;
      x = MARGIN.left;
    }
    items.push({ series: s, x, row });
    x += w;
  }
  return { items, rows: Math.max(1, row + 1) };
}

/** Where the plot sits in a chart whose legend takes legendRows rows (the markers' label rows are always kept). */
export function plotArea(width: number, height: number, legendRows = 1): PlotArea {
  const top = legendRows * LEGEND_ROW + MARKER_ROWS * MARKER_ROW + 8;
  return {
    left: MARGIN.left,
    top,
    width: width - MARGIN.left - MARGIN.right,
    height: Math.max(40, height - top - MARGIN.bottom),
  };
}

/** y values after stacking: each area series sits on the sum of the area series before it. */
function stackedValues(spec: ChartSpec): { top: (number | null)[][]; base: (number | null)[][] } {
  const running = new Map<number, number>();
  const top: (number | null)[][] = [];
  const base: (number | null)[][] = [];
  for (const s of spec.series) {
    const stack = spec.stacked === true && s.kind === 'area';
    top.push(
      s.points.map((p) => {
        if (p.y === null) return null;
        return stack ? (running.get(p.x) ?? 0) + p.y : p.y;
      }),
    );
    base.push(s.points.map((p) => (stack ? (running.get(p.x) ?? 0) : null)));
    if (stack) for (const p of s.points) if (p.y !== null) running.set(p.x, (running.get(p.x) ?? 0) + p.y);
  }
  return { top, base };
}

/** Runs of consecutive drawable points; a gap (null, or ≤ 0 on a log scale) ends a run. */
function runs(xs: readonly number[], ys: readonly (number | null)[], log: boolean): number[][] {
  const out: number[][] = [];
  let current: number[] = [];
  ys.forEach((y, i) => {
    if (y === null || (log && y <= 0) || xs[i] === undefined) {
      if (current.length > 0) out.push(current);
      current = [];
    } else current.push(i);
  });
  if (current.length > 0) out.push(current);
  return out;
}

function linePath(indices: readonly number[], px: (i: number) => number, py: (i: number) => number): string {
  return indices.map((i, k) => `${k === 0 ? 'M' : 'L'}${round(px(i))},${round(py(i))}`).join('');
}

interface PlacedLabel {
  marker: Marker;
  x: number;
  row: number;
  anchor: 'start' | 'end';
}

/**
 * Marker labels go above the plot in a few rows, each label in the first row where it does not overlap the one
 * before it, so a fault and its recovery a few seconds later stay readable.
 */
function placeMarkerLabels(markers: readonly Marker[], sx: Scale, area: PlotArea): PlacedLabel[] {
  const rowEnds: number[] = Array.from({ length: MARKER_ROWS }, () => -Infinity);
  const placed: PlacedLabel[] = [];
  const visible = markers.filter((m) => m.x >= sx.domain[0] && m.x <= sx.domain[1]).sort((a, b) => a.x - b.x);
  for (const marker of visible) {
    const x = sx(marker.x);
    const w = textWidth(marker.label);
    const anchor = x + 3 + w > area.left + area.width + MARGIN.right ? 'end' : 'start';
    const start = anchor === 'start' ? x + 3 : x - 3 - w;
    let row = rowEnds.findIndex((end) => end + 6 <= start);
    if (row < 0) row = rowEnds.indexOf(Math.min(...rowEnds));
    rowEnds[row] = anchor === 'start' ? start + w : x;
    placed.push({ marker, x, row, anchor });
  }
  return placed;
}

function title(text: string | undefined): string {
  return text ? `<title>${escapeHtml(text)}</title>` : '';
}

/** The chart as one standalone <svg> element. */
export function renderChart(spec: ChartSpec): string {
  const width = spec.width ?? 960;
  const height = spec.height ?? 260;
  const legend = layoutLegend(spec.series, width);
  const area = plotArea(width, height, legend.rows);
  const sx = timeScale(spec.x.min, spec.x.max, area);
  const { top, base } = stackedValues(spec);
  const allY = top.flat().filter((v): v is number => v !== null);
  const log = spec.y.log === true;
  const sy = log ? logYScale(allY, area) : linearYScale(allY.length > 0 ? Math.max(...allY) : 0, area);
  const formatX = spec.x.format ?? ((v: number) => (spec.x.max - spec.x.min >= 60 ? formatClock(v) : `${v} s`));
  const formatY = spec.y.format ?? formatCompact;
  const bottom = area.top + area.height;
  const right = area.left + area.width;
  const parts: string[] = [];

  parts.push(
    `<svg${attrs({
      xmlns: 'http://www.w3.org/2000/svg',
      class: 'chart',
      viewBox: `0 0 ${width} ${height}`,
      width,
      height,
      role: 'img',
      'font-family': FONT,
      'font-size': FONT_SIZE,
      'data-x-min': sx.domain[0],
      'data-x-max': sx.domain[1],
    })}>`,
    title(spec.title),
    `<rect${attrs({ class: 'plot-area', x: area.left, y: area.top, width: area.width, height: area.height, fill: '#ffffff' })}/>`,
  );

  for (const band of spec.bands ?? []) {
    const from = Math.max(band.from, sx.domain[0]);
    const to = Math.min(band.to, sx.domain[1]);
    if (!(to > from)) continue;
    const x0 = sx(from);
    const w = sx(to) - x0;
    parts.push(
      `<g${attrs({ class: band.className ?? 'band' })}>${title(band.title)}<rect${attrs({
        x: round(x0),
        y: area.top,
        width: round(w),
        height: area.height,
        fill: band.fill,
        'fill-opacity': band.opacity,
      })}/>`,
    );
    if (band.label && textWidth(band.label) + 8 <= w) {
      parts.push(
        `<text${attrs({ x: round(x0 + 4), y: area.top + 12, fill: '#6b7580', 'font-size': 10 })}>${escapeHtml(band.label)}</text>`,
      );
    }
    parts.push('</g>');
  }

  parts.push('<g class="y-axis">');
  for (const t of sy.ticks) {
    const y = round(sy(t));
    parts.push(
      `<line${attrs({ x1: area.left, x2: right, y1: y, y2: y, stroke: GRID_COLOR })}/>`,
      `<text${attrs({ x: area.left - 6, y: y + 4, 'text-anchor': 'end', fill: TEXT_COLOR })}>${escapeHtml(formatY(t))}</text>`,
    );
  }
  const midY = round(area.top + area.height / 2);
  parts.push(
    `<text${attrs({ x: 14, y: midY, 'text-anchor': 'middle', fill: TEXT_COLOR, transform: `rotate(-90 14 ${midY})` })}>${escapeHtml(spec.y.label)}${log ? ' (log)' : ''}</text>`,
    '</g><g class="x-axis">',
  );
  for (const t of sx.ticks) {
    const x = round(sx(t));
    parts.push(
      `<line${attrs({ x1: x, x2: x, y1: bottom, y2: bottom + 4, stroke: AXIS_COLOR })}/>`,
      `<text${attrs({ x, y: bottom + 16, 'text-anchor': 'middle', fill: TEXT_COLOR })}>${escapeHtml(formatX(t))}</text>`,
    );
  }
  parts.push(
    `<line${attrs({ x1: area.left, x2: right, y1: bottom, y2: bottom, stroke: AXIS_COLOR })}/>`,
    `<line${attrs({ x1: area.left, x2: area.left, y1: area.top, y2: bottom, stroke: AXIS_COLOR })}/>`,
    '</g>',
  );

  // Areas first, so no fill hides a line drawn after it.
  const order = spec.series.map((s, i) => i).sort((a, b) => rank(spec.series[a]!) - rank(spec.series[b]!));
  for (const i of order) {
    const s = spec.series[i]!;
    const xs = s.points.map((p) => p.x);
    const px = (k: number) => sx(xs[k]!);
    const py = (k: number) => sy(top[i]![k]!);
    const pyBase = (k: number) => {
      const b = base[i]![k];
      return b === null || b === undefined ? bottom : sy(b);
    };
    const segments = runs(xs, top[i]!, log);
    const stroke = attrs({
      fill: 'none',
      stroke: s.color,
      'stroke-width': 1.6,
      'stroke-linejoin': 'round',
      'stroke-dasharray': s.dashed ? '5 3' : undefined,
    });
    parts.push(`<g${attrs({ class: 'series', 'data-name': s.name })}>`);
    for (const seg of segments) {
      if (s.kind === 'area') {
        const back = [...seg]
          .reverse()
          .map((k) => `L${round(px(k))},${round(pyBase(k))}`)
          .join('');
        parts.push(
          `<path${attrs({ d: `${linePath(seg, px, py)}${back}Z`, fill: s.color, 'fill-opacity': 0.28, stroke: 'none' })}/>`,
        );
      }
      parts.push(`<path${attrs({ d: linePath(seg, px, py) })}${stroke}/>`);
    }
    parts.push('</g>');
  }

  if (allY.length === 0 && spec.emptyText) {
    parts.push(
      `<text${attrs({ x: round(area.left + area.width / 2), y: midY, 'text-anchor': 'middle', fill: '#8a939c', 'font-size': 13 })}>${escapeHtml(spec.emptyText)}</text>`,
    );
  }

  for (const label of placeMarkerLabels(spec.markers ?? [], sx, area)) {
    const { marker, x, row, anchor } = label;
    const rx = round(x);
    const ty = legend.rows * LEGEND_ROW + (row + 1) * MARKER_ROW;
    parts.push(
      `<g${attrs({ class: marker.className ?? 'marker', 'data-x': marker.x })}>${title(marker.title ?? marker.label)}`,
      `<line${attrs({
        x1: rx,
        x2: rx,
        y1: ty + 3,
        y2: bottom,
        stroke: marker.color,
        'stroke-width': 1.5,
        'stroke-dasharray': marker.dashed ? '4 3' : undefined,
      })}/>`,
      `<text${attrs({ x: round(anchor === 'start' ? x + 3 : x - 3), y: ty, 'text-anchor': anchor, fill: marker.color })}>${escapeHtml(marker.label)}</text>`,
      '</g>',
    );
  }

  parts.push('<g class="legend">');
  for (const item of legend.items) {
    const y = item.row * LEGEND_ROW + 12;
    const s = item.series;
    parts.push(
      s.kind === 'area'
        ? `<rect${attrs({ x: item.x, y: y - 7, width: 16, height: 8, fill: s.color, 'fill-opacity': 0.45, stroke: s.color })}/>`
        : `<line${attrs({ x1: item.x, x2: item.x + 16, y1: y - 3, y2: y - 3, stroke: s.color, 'stroke-width': 2, 'stroke-dasharray': s.dashed ? '5 3' : undefined })}/>`,
      `<text${attrs({ x: item.x + 22, y: y + 1, fill: TEXT_COLOR })}>${escapeHtml(s.name)}</text>`,
    );
  }
  parts.push('</g></svg>');
  return parts.join('');
}

function rank(s: Series): number {
  return s.kind === 'area' ? 0 : 1;
}
