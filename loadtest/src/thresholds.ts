import type { Scenario } from './scenario.js';
import type { Audit, ChaosEvent, PhaseSummary, ThresholdResult } from './summary.js';

const pct = (x: number) => `${(x * 100).toFixed(x < 0.01 ? 3 : 2)} %`;

/**
 * Every pass/fail judgement of a run, each with its limit and what was measured. Error and drop rates are judged
 * per phase except the steps phase, which looks for saturation and so is meant to fail its targets at the end.
 * A run fails when any of these fails.
 */
export function judge(s: Scenario, phases: PhaseSummary[], chaos: ChaosEvent[], audit: Audit): ThresholdResult[] {
  const out: ThresholdResult[] = [];
  const add = (name: string, limit: string, actual: string, pass: boolean) => out.push({ name, limit, actual, pass });
  for (const p of phases) {
    if (p.kind === 'step') continue;
    const answered = p.ok + p.errors;
    const errorRate = answered ? p.errors / answered : 0;
    const droppedRate = p.arrivals ? p.dropped / p.arrivals : 0;
    add(
      `${p.name}: error rate`,
      `≤ ${pct(s.thresholds.maxErrorRate)}`,
      pct(errorRate),
      errorRate <= s.thresholds.maxErrorRate,
    );
    add(
      `${p.name}: dropped arrivals`,
      `≤ ${pct(s.thresholds.maxDroppedRate)}`,
      `${pct(droppedRate)} (${p.dropped})`,
      droppedRate <= s.thresholds.maxDroppedRate,
    );
    const p99 = s.thresholds.p99Ms[p.name];
    if (p99 !== undefined)
      add(`${p.name}: p99 latency`, `≤ ${p99} ms`, `${p.latency.p99.toFixed(1)} ms`, p.latency.p99 <= p99);
  }
  for (const c of chaos) {
    add(
      `${c.fault}: error window`,
      `≤ ${c.maxErrorWindowS} s`,
      c.recoveredAtS === null
        ? `${c.errorWindowS.toFixed(1)} s, NOT RECOVERED`
        : `${c.errorWindowS.toFixed(1)} s (${c.errors} errors)`,
      c.errorWindowS <= c.maxErrorWindowS && c.recoveredAtS !== null,
    );
  }
  add('acknowledged likes lost', '0', String(audit.missing), audit.missing === 0);
  add('acknowledged unlikes lost', '0', String(audit.unlikesLost), audit.unlikesLost === 0);
  add('posts with like_count ≠ rows', '0', String(audit.countMismatches.length), audit.countMismatches.length === 0);
  add(
    'posts the API counts wrong after one reconcile period',
    '0',
    String(audit.apiMismatches.length),
    audit.apiMismatches.length === 0,
  );
  add('idempotent replays that differed', '0', String(audit.replayMismatches), audit.replayMismatches === 0);
  add(
    'Postgres transactions per 1,000 likes',
    `≤ ${s.thresholds.maxPostgresTxPer1000Likes}`,
    audit.postgresTxPer1000Likes.toFixed(1),
    audit.postgresTxPer1000Likes <= s.thresholds.maxPostgresTxPer1000Likes,
  );
  return out;
}

/**
 * Errors seen (by completion time) from a fault until the next fault (or the end): the window is first to last
 * error, so a fault that caused none has a window of 0.
 */
export function errorWindow(
  errors: { doneMs: number; status: string }[],
  fromS: number,
  toS: number,
): Pick<ChaosEvent, 'errorWindowS' | 'errors' | 'statuses'> {
  const inSlot = errors.filter((e) => e.doneMs >= fromS * 1000 && e.doneMs < toS * 1000);
  const statuses: Record<string, number> = {};
  for (const e of inSlot) statuses[e.status] = (statuses[e.status] ?? 0) + 1;
  if (inSlot.length === 0) return { errorWindowS: 0, errors: 0, statuses };
  const first = inSlot.reduce((m, e) => Math.min(m, e.doneMs), Infinity);
  const last = inSlot.reduce((m, e) => Math.max(m, e.doneMs), -Infinity);
  return { errorWindowS: (last - first) / 1000, errors: inSlot.length, statuses };
}
