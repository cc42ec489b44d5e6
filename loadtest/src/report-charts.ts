import { formatClock, formatSeconds, formatStatuses } from './format.js';
import { errorStatusKeys, errorWindowSpan, runDurationS } from './report-rows.js';
import type { RunSummary, Second } from './summary.js';
import { renderChart, type Band, type ChartSpec, type Marker, type Series } from './svg-chart.js';

/** The report's four plots, all on the same time axis with the same phases and chaos drawn on them. */

export const COLORS = {
  offered: '#8a939c',
  ok: '#2e9e5b',
  errors: '#d7263d',
  dropped: '#f08c00',
  p50: '#3b82c4',
  p90: '#8e5cc9',
  p99: '#d0512b',
  inFlight: '#3b82c4',
  fault: '#d7263d',
  phaseEven: '#eef1f5',
  phaseOdd: '#f9fafb',
} as const;

/** Server errors in reds, client errors in ambers, failures to answer at all in purples and browns. */
const STATUS_PALETTES = {
  server: ['#d7263d', '#8f1d2c', '#f07167', '#b5179e'],
  client: ['#f0a500', '#b86e00', '#e9c46a'],
  other: ['#6a4c93', '#7f5539', '#457b9d', '#555b6e'],
};

export function statusColor(status: string, indexInGroup: number): string {
  const group = /^5\d\d$/.test(status) ? 'server' : /^4\d\d$/.test(status) ? 'client' : 'other';
  const palette = STATUS_PALETTES[group];
  return palette[indexInGroup % palette.length]!;
}

export interface ReportChart {
  id: string;
  heading: string;
  caption: string;
  svg: string;
}

/** A second's counts belong to the whole second, so they are drawn at its middle. */
const at = (s: Second): number => s.t + 0.5;

function series(
  timeline: readonly Second[],
  name: string,
  color: string,
  kind: Series['kind'],
  y: (s: Second) => number | null,
  dashed = false,
): Series {
  return { name, color, kind, dashed, points: timeline.map((s) => ({ x: at(s), y: y(s) })) };
}

/** Phases as alternating bands, chaos as marker lines and shaded error windows: the same on every plot. */
export function annotations(summary: RunSummary): { markers: Marker[]; bands: Band[] } {
  const bands: Band[] = summary.phases.map((p, i) => ({
    from: p.startS,
    to: p.endS,
    fill: i % 2 === 0 ? COLORS.phaseEven : COLORS.phaseOdd,
    label: p.name,
    title: `phase ${p.name} (${p.kind}), ${formatClock(p.startS)}–${formatClock(p.endS)}`,
    className: 'band phase',
  }));
  const markers: Marker[] = [];
  summary.chaos.forEach((c, i) => {
    markers.push({
      x: c.atS,
      label: c.fault,
      color: COLORS.fault,
      title: `${c.fault} at ${formatClock(c.atS)}: ${c.target}`,
      className: 'marker chaos-fault',
    });
    if (c.recoveredAtS !== null) {
      markers.push({
        x: c.recoveredAtS,
        label: 'recovered',
        color: COLORS.fault,
        dashed: true,
        title: `${c.fault} recovered at ${formatClock(c.recoveredAtS)}`,
        className: 'marker chaos-recovery',
      });
    }
    const span = errorWindowSpan(summary, i);
    if (span) {
      bands.push({
        ...span,
        fill: COLORS.fault,
        opacity: 0.12,
        title: `${c.fault}: errors for ${formatSeconds(c.errorWindowS)} (allowed ${formatSeconds(c.maxErrorWindowS)}); ${formatStatuses(c.statuses)}`,
        className: 'band error-window',
      });
    }
  });
  return { markers, bands };
}

export function reportCharts(summary: RunSummary): ReportChart[] {
  const tl = summary.timeline;
  const { markers, bands } = annotations(summary);
  const base = {
    x: { min: 0, max: runDurationS(summary) },
    markers,
    bands,
  };
  const chart = (spec: Omit<ChartSpec, keyof typeof base>) =>
    renderChart({ emptyText: 'no seconds were measured', ...base, ...spec });

  const keys = errorStatusKeys(summary);
  const groupIndex = new Map<string, number>();
  const statusSeries = keys.map((status) => {
    const group = /^5\d\d$/.test(status) ? '5' : /^4\d\d$/.test(status) ? '4' : 'x';
    const index = groupIndex.get(group) ?? 0;
    groupIndex.set(group, index + 1);
    return series(tl, status, statusColor(status, index), 'area', (s) => s.statuses[status] ?? 0);
  });

  return [
    {
      id: 'throughput',
      heading: 'Throughput',
      caption: 'Requests per second: offered (due), answered ok, errors, and dropped because too many were in flight.',
      svg: chart({
        title: 'Throughput over time: offered, ok, errors and dropped requests per second',
        y: { label: 'requests/s' },
        series: [
          series(tl, 'ok', COLORS.ok, 'area', (s) => s.ok),
          series(tl, 'offered', COLORS.offered, 'line', (s) => s.offered, true),
          series(tl, 'errors', COLORS.errors, 'line', (s) => s.errors),
          series(tl, 'dropped', COLORS.dropped, 'line', (s) => s.dropped),
        ],
      }),
    },
    {
      id: 'latency',
      heading: 'Latency',
      caption: 'Percentiles of the requests due in each second, from when they were due (log scale).',
      svg: chart({
        title: 'Latency over time: p50, p90 and p99 per second in milliseconds, log scale',
        y: { label: 'ms', log: true },
        series: [
          series(tl, 'p50', COLORS.p50, 'line', (s) => s.latency?.p50 ?? null),
          series(tl, 'p90', COLORS.p90, 'line', (s) => s.latency?.p90 ?? null),
          series(tl, 'p99', COLORS.p99, 'line', (s) => s.latency?.p99 ?? null),
        ],
      }),
    },
    {
      id: 'errors',
      heading: 'Errors by status',
      caption:
        keys.length > 0
          ? 'Answers other than 2xx per second, stacked by status.'
          : 'Every answer was a 2xx: nothing to stack.',
      svg: chart({
        title: 'Errors over time, stacked by status',
        y: { label: 'answers/s' },
        stacked: true,
        series: statusSeries,
        emptyText: tl.length === 0 ? 'no seconds were measured' : 'no answers other than 2xx',
      }),
    },
    {
      id: 'in-flight',
      heading: 'In flight',
      caption: 'Requests sent and not yet answered: waiting on the API, or queued behind a stall.',
      svg: chart({
        title: 'In-flight requests over time',
        y: { label: 'requests' },
        series: [series(tl, 'in flight', COLORS.inFlight, 'area', (s) => s.inFlight)],
      }),
    },
  ];
}
