import { PIPELINE_METRICS, SCRAPE_LABELS } from '@likepipe/contract';
import { SLI_WINDOWS, SLO, type SliWindow } from '../slo.js';
import type { RecordingRule, RuleGroup } from './types.js';

const { namespace, pipeline, role } = SCRAPE_LABELS;
/** Every SLI is per pipeline: one namespace may run several. */
export const PIPELINE_BY = `${namespace}, ${pipeline}`;

const requests = PIPELINE_METRICS.httpRequests.name;
const duration = PIPELINE_METRICS.httpDuration.name;
/** The like-API's own routes: /healthz, /readyz, /metrics and unmatched paths are not the service. */
export const API_SELECTOR = `${role}="like-api", route=~"/api/.+"`;
/** Likes and unlikes, where a 202 means "accepted with Redis bypassed" (degraded mode). */
export const LIKE_SELECTOR = `${role}="like-api", route="/api/posts/:id/like"`;

/** One pipeline, for rules that must see only its series (the PrometheusRule the operator makes per LikePipeline). */
export interface Scope {
  namespace: string;
  pipeline: string;
}

/** `matchers` with the scope's namespace and pipeline added (none for the shared rule file). */
export function withScope(matchers: string, scope?: Scope): string {
  const own = scope
    ? `${namespace}=${JSON.stringify(scope.namespace)}, ${pipeline}=${JSON.stringify(scope.pipeline)}`
    : '';
  return [matchers, own].filter(Boolean).join(', ');
}
/** `{matchers}` with the scope added, or nothing when both are empty. */
export const selector = (matchers: string, scope?: Scope) => {
  const all = withScope(matchers, scope);
  return all ? `{${all}}` : '';
};

/** The recorded series, by SLI and window; the alerts and dashboards read these names, never the raw queries. */
export const SLI = {
  /** API requests per second. */
  requests: (w: SliWindow) => `likepipe:api_requests:rate${w}`,
  /** Share of API requests answered 5xx (503 included): the availability SLI's bad events. */
  errors: (w: SliWindow) => `likepipe:api_availability_errors:ratio_rate${w}`,
  /** Share of API requests slower than SLO.latency.thresholdSeconds. */
  slow: (w: SliWindow) => `likepipe:api_latency_slow:ratio_rate${w}`,
  /** Share of likes and unlikes accepted in degraded mode (202): durable in Kafka, counted later. */
  degraded: (w: SliWindow) => `likepipe:api_degraded:ratio_rate${w}`,
} as const;

const sumRate = (selector: string, w: string) => `sum by (${PIPELINE_BY}) (rate(${selector}[${w}]))`;

function windowRules(w: SliWindow, scope?: Scope): RecordingRule[] {
  const api = (extra = '') => selector(withScope(API_SELECTOR, scope) + extra);
  const likes = (extra = '') => selector(withScope(LIKE_SELECTOR, scope) + extra);
  const all = sumRate(`${requests}${api()}`, w);
  // `le` is written as Prometheus writes the bucket boundary (0.25 -> "0.25").
  const fast = sumRate(`${duration}_bucket${api(`, le="${SLO.latency.thresholdSeconds}"`)}`, w);
  const timed = sumRate(`${duration}_count${api()}`, w);
  return [
    { record: SLI.requests(w), expr: all },
    { record: SLI.errors(w), expr: `${sumRate(`${requests}${api(', status=~"5.."')}`, w)}\n/\n${all}` },
    { record: SLI.slow(w), expr: `1 - (\n${fast}\n/\n${timed}\n)` },
    {
      record: SLI.degraded(w),
      expr: `${sumRate(`${requests}${likes(', status="202"')}`, w)}\n/\n${sumRate(`${requests}${likes()}`, w)}`,
    },
  ];
}

/** One group per window, so a slow 3-day evaluation never delays the 5-minute ones. */
export function recordingGroups(scope?: Scope): RuleGroup[] {
  return SLI_WINDOWS.map((w) => ({ name: `likepipe-sli-${w}`, rules: windowRules(w, scope) }));
}
