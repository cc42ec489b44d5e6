import {
  formatClock,
  formatCount,
  formatNumber,
  formatRate,
  formatSeconds,
  formatStatuses,
  statusList,
} from './format.js';
import type { Audit, ChaosEvent, RunSummary } from './summary.js';

/**
 * What the HTML report and the console summary both show, worked out and formatted once, so the two cannot
 * disagree about a verdict or a number.
 */

/** ok and not ok are checks; info is a figure with no limit of its own (a threshold may judge it). */
export type Verdict = 'ok' | 'not ok' | 'info';

export interface AuditRow {
  field: keyof Audit;
  label: string;
  value: string;
  verdict: Verdict;
  note: string;
}

const LIST_AT_MOST = 5;

function listed<T>(items: readonly T[], show: (item: T) => string): string {
  if (items.length === 0) return 'none';
  const shown = items.slice(0, LIST_AT_MOST).map(show).join('; ');
  return items.length > LIST_AT_MOST
    ? `${formatCount(items.length)}: ${shown}; …`
    : `${formatCount(items.length)}: ${shown}`;
}

const zero = (n: number): Verdict => (n === 0 ? 'ok' : 'not ok');

/** Every field of the audit, in the order a reader checks them: what was acknowledged, then what went wrong. */
export function auditRows(a: Audit): AuditRow[] {
  const rows: { [K in keyof Audit]: Omit<AuditRow, 'field'> } = {
    acknowledgedLikes: {
      label: 'acknowledged likes',
      value: formatCount(a.acknowledgedLikes),
      verdict: 'info',
      note: '2xx likes in the ledger',
    },
    acknowledgedUnlikes: {
      label: 'acknowledged unlikes',
      value: formatCount(a.acknowledgedUnlikes),
      verdict: 'info',
      note: '2xx unlikes in the ledger',
    },
    expectedRows: {
      label: 'expected rows',
      value: formatCount(a.expectedRows),
      verdict: 'info',
      note: 'pairs whose last acknowledged action is a like',
    },
    missing: {
      label: 'missing rows',
      value: formatCount(a.missing),
      verdict: zero(a.missing),
      note: 'acknowledged likes not in Postgres: lost',
    },
    unlikesLost: {
      label: 'unlikes lost',
      value: formatCount(a.unlikesLost),
      verdict: zero(a.unlikesLost),
      note: 'rows of pairs whose last acknowledged action is an unlike',
    },
    unacknowledgedRows: {
      label: 'unacknowledged rows',
      value: formatCount(a.unacknowledgedRows),
      verdict: 'info',
      note: 'allowed: failed or timed-out requests that landed anyway',
    },
    countMismatches: {
      label: 'like_count mismatches',
      value: listed(
        a.countMismatches,
        (m) => `${m.postId} count ${formatCount(m.likeCount)} ≠ rows ${formatCount(m.rows)}`,
      ),
      verdict: zero(a.countMismatches.length),
      note: 'posts whose like_count differs from their rows',
    },
    apiMismatches: {
      label: 'API count mismatches',
      value: listed(
        a.apiMismatches,
        (m) =>
          `${m.postId} API ${m.api === null ? 'no answer' : formatCount(m.api)} ≠ Postgres ${formatCount(m.postgres)}`,
      ),
      verdict: zero(a.apiMismatches.length),
      note: "posts whose API count did not reach Postgres' within a reconcile period",
    },
    quietAfterS: {
      label: 'quiet after',
      value: formatSeconds(a.quietAfterS),
      verdict: 'info',
      note: 'from the end of the load until Postgres held every acknowledged like',
    },
    postgresTxPer1000Likes: {
      label: 'Postgres tx per 1,000 likes',
      value: formatNumber(a.postgresTxPer1000Likes),
      verdict: 'info',
      note: 'batching: fewer is better',
    },
    kafkaProduceRequestsPer1000Likes: {
      label: 'Kafka produce requests per 1,000 likes',
      value: formatNumber(a.kafkaProduceRequestsPer1000Likes),
      verdict: 'info',
      note: 'batching: fewer is better',
    },
    replayMismatches: {
      label: 'replay mismatches',
      value: formatCount(a.replayMismatches),
      verdict: zero(a.replayMismatches),
      note: 'idempotent retries answered differently the second time',
    },
    ok: {
      label: 'audit',
      value: a.ok ? 'ok' : 'not ok',
      verdict: a.ok ? 'ok' : 'not ok',
      note: 'all of the above',
    },
  };
  return (Object.keys(rows) as (keyof Audit)[]).map((field) => ({ field, ...rows[field] }));
}

export interface PhaseRow {
  name: string;
  kind: string;
  span: string;
  rate: string;
  arrivals: string;
  ok: string;
  errors: string;
  expectedRejections: string;
  dropped: string;
  achievedRate: string;
  p50: string;
  p90: string;
  p99: string;
  max: string;
  /** Whether the phase had errors or drops, for highlighting. */
  troubled: boolean;
}

export function phaseRows(summary: RunSummary): PhaseRow[] {
  return summary.phases.map((p) => ({
    name: p.name,
    kind: p.kind,
    span: `${formatClock(p.startS)}–${formatClock(p.endS)}`,
    rate: formatRate(p.rate),
    arrivals: formatCount(p.arrivals),
    ok: formatCount(p.ok),
    errors: formatCount(p.errors),
    expectedRejections: formatCount(p.expectedRejections),
    dropped: formatCount(p.dropped),
    achievedRate: formatRate(p.achievedRate),
    // The unit is in the column heading ("p99 ms"): four columns of " ms" would crowd the table.
    p50: formatNumber(p.latency.p50),
    p90: formatNumber(p.latency.p90),
    p99: formatNumber(p.latency.p99),
    max: formatNumber(p.latency.max),
    troubled: p.errors > 0 || p.dropped > 0,
  }));
}

export interface ChaosRow {
  fault: string;
  target: string;
  at: string;
  recovered: string;
  errorWindow: string;
  /** The error window stayed within the fault's allowance. */
  withinWindow: boolean;
  errors: string;
  statuses: string;
  /** The same, one entry a status ("503 ×120"). */
  statusList: string[];
}

export function chaosRows(summary: RunSummary): ChaosRow[] {
  return summary.chaos.map((c) => ({
    fault: c.fault,
    target: c.target,
    at: formatClock(c.atS),
    recovered:
      c.recoveredAtS === null ? 'never' : `${formatClock(c.recoveredAtS)} (+${formatSeconds(c.recoveredAtS - c.atS)})`,
    errorWindow: `${formatSeconds(c.errorWindowS)} / ${formatSeconds(c.maxErrorWindowS)}`,
    withinWindow: c.errorWindowS <= c.maxErrorWindowS,
    errors: formatCount(c.errors),
    statuses: formatStatuses(c.statuses),
    statusList: statusList(c.statuses),
  }));
}

/** The length of the run's time axis: the phases, the seconds measured and the recoveries all fit on it. */
export function runDurationS(summary: RunSummary): number {
  const ends = [
    ...summary.phases.map((p) => p.endS),
    ...summary.timeline.map((s) => s.t + 1),
    ...summary.chaos.flatMap((c) => [c.atS, c.recoveredAtS ?? 0]),
  ];
  return Math.max(1, ...ends);
}

/**
 * Where a fault's error window lies. The summary gives only its length (first to last error among requests due
 * before the next fault), so it starts at the first second after the fault with errors, or at the fault itself.
 * null when there were no errors.
 */
export function errorWindowSpan(summary: RunSummary, index: number): { from: number; to: number } | null {
  const event: ChaosEvent | undefined = summary.chaos[index];
  if (!event || event.errors === 0 || event.errorWindowS <= 0) return null;
  const next = summary.chaos[index + 1]?.atS ?? Infinity;
  const first = summary.timeline.find((s) => s.t >= Math.floor(event.atS) && s.t < next && s.errors > 0);
  const from = first ? Math.max(event.atS, first.t) : event.atS;
  return { from, to: from + event.errorWindowS };
}

/** Status keys that are answers, but not successful ones, in a stable order: numeric codes, then the rest. */
export function errorStatusKeys(summary: RunSummary): string[] {
  const keys = new Set<string>();
  for (const s of summary.timeline) {
    for (const [status, n] of Object.entries(s.statuses)) if (n > 0 && !/^2\d\d$/.test(status)) keys.add(status);
  }
  return [...keys].sort((a, b) => {
    const [na, nb] = [Number(a), Number(b)];
    if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
    if (Number.isFinite(na) !== Number.isFinite(nb)) return Number.isFinite(na) ? -1 : 1;
    return a.localeCompare(b);
  });
}
