import type { Fault, Profile } from './scenario.js';

/**
 * The JSON summary of one run (loadtest/results/<scenario>-<stamp>.json), the input of the HTML report and of
 * the tests. Times are seconds since the run started; latencies are milliseconds measured from when each
 * request was due (open model), so queueing behind a stall is counted.
 */
export interface RunSummary {
  scenario: string;
  description: string;
  profile: Profile;
  startedAt: string;
  finishedAt: string;
  machine: { cpus: number; memoryGiB: number; node: string };
  target: { apiUrls: string[]; kafkaBrokers: number };
  phases: PhaseSummary[];
  /** The rate the steps phase sustained (null without a steps phase). */
  saturation: { rate: number; reason: string } | null;
  timeline: Second[];
  chaos: ChaosEvent[];
  audit: Audit;
  thresholds: ThresholdResult[];
  pass: boolean;
}

export interface Latency {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface PhaseSummary {
  name: string;
  kind: 'constant' | 'steps' | 'hold' | 'step';
  /** Offered rate, requests/s (for a steps phase, its last step's). */
  rate: number;
  startS: number;
  endS: number;
  /** Arrivals due in the phase, and how they ended. */
  arrivals: number;
  ok: number;
  errors: number;
  /** 429 answers to bots: expected, neither ok nor errors. */
  expectedRejections: number;
  dropped: number;
  achievedRate: number;
  latency: Latency;
}

export interface Second {
  t: number;
  offered: number;
  ok: number;
  errors: number;
  dropped: number;
  /** Answers by status ("200", "202", "503", "timeout", "conn-refused", …). */
  statuses: Record<string, number>;
  latency: Latency | null;
  inFlight: number;
}

export interface ChaosEvent {
  fault: Fault;
  /** What was hit, e.g. "redis 127.0.0.1:7003, master of slot 4721 (post p-1)". */
  target: string;
  atS: number;
  recoveredAtS: number | null;
  /** First to last error among requests due between this fault and the next one; 0 without errors. */
  errorWindowS: number;
  errors: number;
  maxErrorWindowS: number;
  /** What answered during the window, by status. */
  statuses: Record<string, number>;
}

export interface Audit {
  /** Acknowledged (2xx) actions the ledger holds. */
  acknowledgedLikes: number;
  acknowledgedUnlikes: number;
  /** (post, user) pairs whose last acknowledged action is a like: each must be one row in likes. */
  expectedRows: number;
  /** Expected rows not in Postgres: lost. */
  missing: number;
  /** Rows of a pair whose last acknowledged action is an unlike: an unlike lost. */
  unlikesLost: number;
  /** Rows nobody was told about: requests that failed or timed out may still have landed (allowed). */
  unacknowledgedRows: number;
  /** Posts whose like_count differs from their rows. */
  countMismatches: { postId: string; likeCount: number; rows: number }[];
  /** Posts whose API count did not reach Postgres' within one reconcile period. */
  apiMismatches: { postId: string; api: number | null; postgres: number }[];
  /** Seconds from the end of the load until Postgres held every acknowledged like. */
  quietAfterS: number;
  postgresTxPer1000Likes: number;
  kafkaProduceRequestsPer1000Likes: number;
  /** Idempotent retries whose replay differed from the first answer. */
  replayMismatches: number;
  ok: boolean;
}

export interface ThresholdResult {
  name: string;
  limit: string;
  actual: string;
  pass: boolean;
}
