import { PIPELINE_METRICS, PROCESS_METRICS } from '@likepipe/contract';

/**
 * Where a like's time goes, from the like-API's own /metrics read before and after a stretch of load: the
 * request, the two Redis scripts, the Kafka produce batch (with its size), garbage collection and the event
 * loop's delay. A long tail at light load is not queueing, so this is what tells a stall (GC, event-loop lag,
 * a slow batch) from a slow stage. Means are exact; p99s are interpolated inside the histograms' buckets, so
 * they are only as fine as the buckets (0.5, 1, 2.5, 5, 10, 25 … ms).
 */
export type MetricsSample = Map<string, number>;

/** Every sample line of a Prometheus text exposition, keyed by name and labels as written. */
export function parseMetrics(text: string): MetricsSample {
  const out: MetricsSample = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const cut = line.lastIndexOf(' ');
    out.set(line.slice(0, cut), Number(line.slice(cut + 1)));
  }
  return out;
}

export async function scrape(apiUrl: string): Promise<MetricsSample> {
  const r = await fetch(new URL('/metrics', apiUrl));
  if (!r.ok) throw new Error(`GET /metrics answered ${r.status}`);
  return parseMetrics(await r.text());
}

interface Histogram {
  count: number;
  sum: number;
  /** Cumulative counts per upper bound, ascending. */
  buckets: [number, number][];
}

/** A series key's labels, e.g. `{le="0.5",op="apply"}` → le → 0.5, op → apply (values never hold quotes here). */
function labelsOf(key: string): Map<string, string> {
  const open = key.indexOf('{');
  const out = new Map<string, string>();
  if (open < 0) return out;
  for (const m of key.slice(open + 1, -1).matchAll(/([a-zA-Z_]\w*)="([^"]*)"/g)) out.set(m[1]!, m[2]!);
  return out;
}

/**
 * The difference of one histogram between two samples, over the series whose labels include every one of
 * `labels` (prom-client writes `le` first, and label order is not part of the format).
 */
function histogramDelta(
  before: MetricsSample,
  after: MetricsSample,
  name: string,
  labels: Record<string, string>,
): Histogram {
  const matches = (key: string, suffix: string) => {
    const brace = key.indexOf('{');
    if ((brace < 0 ? key : key.slice(0, brace)) !== `${name}_${suffix}`) return undefined;
    const l = labelsOf(key);
    return Object.entries(labels).every(([k, v]) => l.get(k) === v) ? l : undefined;
  };
  const h: Histogram = { count: 0, sum: 0, buckets: [] };
  const byBound = new Map<number, number>();
  for (const [key, v] of after) {
    const d = v - (before.get(key) ?? 0);
    const bucket = matches(key, 'bucket');
    if (bucket) {
      const le = bucket.get('le')!;
      const bound = le === '+Inf' ? Infinity : Number(le);
      byBound.set(bound, (byBound.get(bound) ?? 0) + d);
    } else if (matches(key, 'count')) h.count += d;
    else if (matches(key, 'sum')) h.sum += d;
  }
  h.buckets = [...byBound].sort((a, b) => a[0] - b[0]);
  return h;
}

function quantile(h: Histogram, q: number): number {
  const rank = q * h.count;
  let lower = 0;
  let below = 0;
  for (const [le, cumulative] of h.buckets) {
    if (cumulative >= rank) {
      if (le === Infinity) return lower;
      const inBucket = cumulative - below;
      return lower + (le - lower) * (inBucket > 0 ? (rank - below) / inBucket : 0);
    }
    lower = le;
    below = cumulative;
  }
  return NaN;
}

export interface StageRow {
  stage: string;
  count: number;
  meanMs: number;
  p99Ms: number;
}

/** One row per stage of the like path over the stretch between the two samples, and the GC and loop figures. */
export function stages(
  before: MetricsSample,
  after: MetricsSample,
  likes: number,
): { rows: StageRow[]; gcMsPerLike: number; eventLoopP99Ms: number; meanBatchSize: number } {
  const row = (stage: string, name: string, labels: Record<string, string>): StageRow => {
    const h = histogramDelta(before, after, name, labels);
    return { stage, count: h.count, meanMs: (h.sum / Math.max(1, h.count)) * 1000, p99Ms: quantile(h, 0.99) * 1000 };
  };
  const rows = [
    row('request (POST like, 200)', PIPELINE_METRICS.httpDuration.name, {
      route: '/api/posts/:id/like',
      method: 'POST',
      status: '200',
    }),
    row('Redis user-admit', PIPELINE_METRICS.redisDuration.name, { op: 'admit', outcome: 'ok' }),
    row('Redis post-apply', PIPELINE_METRICS.redisDuration.name, { op: 'apply', outcome: 'ok' }),
    row('Kafka produce batch (acks=all)', PIPELINE_METRICS.kafkaProduceDuration.name, { outcome: 'ok' }),
  ];
  const batches = histogramDelta(before, after, PIPELINE_METRICS.kafkaProduceBatchSize.name, {});
  let gcS = 0;
  for (const key of after.keys()) {
    if (key.startsWith(`${PROCESS_METRICS.gcDuration}_sum`)) gcS += (after.get(key) ?? 0) - (before.get(key) ?? 0);
  }
  // A gauge: prom-client's p99 of the loop delay since the process started (averaged over the API's workers
  // by the cluster's aggregation); read after the stretch, it is dominated by it.
  let loopS = 0;
  for (const [key, v] of after) if (key.startsWith(PROCESS_METRICS.eventLoopLagP99)) loopS = Math.max(loopS, v);
  return {
    rows,
    gcMsPerLike: (gcS * 1000) / Math.max(1, likes),
    eventLoopP99Ms: loopS * 1000,
    meanBatchSize: batches.sum / Math.max(1, batches.count),
  };
}
