import type { Scenario } from './scenario.ts';

/**
 * The end-of-test text. Our own, small: k6's textSummary lives in a remote jslib module, and this one can say
 * what the like pipeline cares about (the ledger, the chaos slots' error windows) in a few lines.
 */

/** The part of k6's handleSummary() argument read here. */
export interface SummaryData {
  metrics: Record<
    string,
    { type: string; values: Record<string, number>; thresholds?: Record<string, { ok: boolean }> } | undefined
  >;
  state?: { testRunDurationMs?: number };
}

const num = (v: number | undefined, digits = 0) => (v === undefined ? '-' : v.toFixed(digits));

export function textSummary(s: Scenario, data: SummaryData): string {
  const m = data.metrics;
  const value = (name: string, stat: string) => m[name]?.values[stat];
  const failedThresholds = Object.entries(m).flatMap(([name, metric]) =>
    Object.entries(metric?.thresholds ?? {})
      .filter(([, t]) => !t.ok)
      .map(([expr]) => `${name} ${expr}`),
  );
  const lines = [
    '',
    `k6 ${s.name} (${s.profile}): ${failedThresholds.length === 0 ? 'thresholds PASS' : 'thresholds FAIL'}, ` +
      `${num((data.state?.testRunDurationMs ?? 0) / 1000)} s`,
    `  requests ${num(value('http_reqs', 'count'))} (${num(value('http_reqs', 'rate'), 1)}/s), ` +
      `dropped arrivals ${num(value('dropped_iterations', 'count') ?? 0)}, ` +
      `checks ${num((value('checks', 'rate') ?? 0) * 100, 2)} % passed`,
    `  ledger loadtest_acked: ${num(value('loadtest_acked{action:like}', 'count') ?? 0)} likes, ` +
      `${num(value('loadtest_acked{action:unlike}', 'count') ?? 0)} unlikes`,
  ];
  for (const p of s.phases) {
    const failed = value(`http_req_failed{phase:${p.name},bot:false}`, 'rate');
    const p99 = value(`http_req_duration{phase:${p.name},bot:false}`, 'p(99)');
    lines.push(
      `  phase ${p.name}: errors ${failed === undefined ? '-' : `${num(failed * 100, 3)} %`}` +
        (p99 === undefined ? '' : `, p99 ${num(p99)} ms`),
    );
  }
  for (const c of s.chaos) {
    const errors = value(`likepipe_errors{slot:${c.fault}}`, 'count') ?? 0;
    const first = value(`likepipe_error_at_s{slot:${c.fault}}`, 'min');
    const last = value(`likepipe_error_at_s{slot:${c.fault}}`, 'max');
    const window = errors > 0 && first !== undefined && last !== undefined ? last - first : 0;
    // Not a k6 threshold (k6 cannot compare two statistics), so the verdict is only printed here.
    lines.push(
      `  chaos ${c.fault} at ${c.atS} s: ${errors} error(s) over ${num(window, 1)} s ` +
        `(allowed ${c.maxErrorWindowS} s) ${window <= c.maxErrorWindowS ? 'ok' : 'TOO LONG'}`,
    );
  }
  for (const t of failedThresholds) lines.push(`  FAILED ${t}`);
  lines.push(
    `  Postgres transactions per 1,000 likes (≤ ${s.thresholds.maxPostgresTxPer1000Likes}) are the audit's to check.`,
    '',
  );
  return lines.join('\n');
}
