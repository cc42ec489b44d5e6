import http, { type RefinedResponse, type ResponseType } from 'k6/http';
import { Counter, Trend } from 'k6/metrics';

/**
 * The like-API's HTTP contract as the scripts use it, and the metrics that make a k6 run auditable.
 *
 * The ledger: every acknowledged (2xx, including a degraded 202) like or unlike adds 1 to the Counter
 * `loadtest_acked`, tagged with the post, the user and the action. `k6 run --out json=ledger.json` writes each
 * such point as one NDJSON line,
 *   {"type":"Point","metric":"loadtest_acked","data":{"time":"…","value":1,"tags":{"post":"…","user":"…","action":"like",…}}}
 * and `npm run loadtest -- audit --k6-ledger ledger.json` replays those lines against Postgres: nothing the API
 * acknowledged may be missing from the truth. Replayed retries are not points: the action was acknowledged once.
 * The post and user tags make one k6 time series per pair, which costs k6 memory on long distinct-user runs.
 */
export const acked = new Counter('loadtest_acked');
/** Regular (non-bot) requests that failed, tagged with the chaos slot they fell in. */
export const errors = new Counter('likepipe_errors');
/** When each of those errors happened, seconds since the run started: per slot, max − min is its error window. */
export const errorAt = new Trend('likepipe_error_at_s');

export type Action = 'like' | 'unlike';

export function apiUrls(env: Record<string, string | undefined>): string[] {
  const urls = (env.LIKEPIPE_API_URL ?? '')
    .split(',')
    .map((u) => u.trim().replace(/\/+$/, ''))
    .filter((u) => u !== '');
  if (urls.length === 0) {
    throw new Error('LIKEPIPE_API_URL is not set: pass -e LIKEPIPE_API_URL=http://host:port[,http://other:port]');
  }
  return urls;
}

let turn = 0;
/** Round-robin over the API processes; each VU starts at a different one so they are not all in step. */
export function nextUrl(urls: readonly string[]): string {
  // __VU, not k6/execution's vu: setup() and teardown() call this too, where __VU is simply 0.
  return urls[(__VU + turn++) % urls.length]!;
}

export interface CallOptions {
  token: string;
  timeoutS: number;
  /** Tags for this request beyond the scenario's (phase, bot): the endpoint name, the chaos slot. */
  tags: Record<string, string>;
  idempotencyKey?: string;
  /** Bots' 429s are the point of having bots: they must not count as http_req_failed. */
  expect429?: boolean;
  body?: ResponseType;
}

export function call(
  method: 'GET' | 'POST' | 'DELETE',
  url: string,
  payload: string | null,
  o: CallOptions,
): RefinedResponse<ResponseType> {
  const headers: Record<string, string> = { Authorization: `Bearer ${o.token}` };
  if (payload !== null) headers['Content-Type'] = 'application/json';
  if (o.idempotencyKey !== undefined) headers['Idempotency-Key'] = o.idempotencyKey;
  return http.request(method, url, payload, {
    headers,
    tags: o.tags,
    timeout: `${o.timeoutS}s`,
    ...(o.body !== undefined ? { responseType: o.body } : {}),
    ...(o.expect429 ? { responseCallback: http.expectedStatuses({ min: 200, max: 299 }, 429) } : {}),
  });
}

export const ok = (status: number): boolean => status >= 200 && status < 300;

export function postUrl(base: string, postId: string, suffix: '' | '/like' | '/count' = ''): string {
  return `${base}/api/posts/${encodeURIComponent(postId)}${suffix}`;
}
