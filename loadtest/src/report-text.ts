import { formatRate, formatSeconds } from './format.js';
import { auditRows, chaosRows, phaseRows, type Verdict } from './report-rows.js';
import type { RunSummary } from './summary.js';
import { textTable } from './text-table.js';

/**
 * The summary printed at the end of a run: what passed, what did not and the numbers behind it, readable in a CI
 * log (plain text, no colours: logs are often stored without them). The HTML report has the plots.
 */
export function renderConsoleSummary(summary: RunSummary): string {
  const s = summary;
  const out: string[] = [];
  out.push(`${s.scenario} (${s.profile}): ${s.pass ? 'PASS' : 'FAIL'}`);
  out.push(`started ${s.startedAt}, target ${s.target.apiUrls.join(', ') || '—'}`);

  out.push('', 'Thresholds');
  out.push(
    s.thresholds.length === 0
      ? '  none'
      : indent(
          textTable(
            ['', 'threshold', 'limit', 'actual'],
            s.thresholds.map((t) => [t.pass ? '✔' : '✘', t.name, t.limit, t.actual]),
            ['left', 'left', 'right', 'right'],
          ),
        ),
  );

  out.push('', 'Audit');
  out.push(
    indent(
      textTable(
        ['', 'check', 'value'],
        auditRows(s.audit).map((r) => [mark(r.verdict), r.label, r.value]),
        ['left', 'left', 'right'],
      ),
    ),
  );

  out.push('', 'Phases');
  out.push(
    s.phases.length === 0
      ? '  none'
      : indent(
          textTable(
            [
              'phase',
              'rate',
              'arrivals',
              'ok',
              'errors',
              'exp. 429',
              'dropped',
              'achieved',
              'p50 ms',
              'p90 ms',
              'p99 ms',
              'max ms',
            ],
            phaseRows(s).map((p) => [
              p.name,
              p.rate,
              p.arrivals,
              p.ok,
              p.errors,
              p.expectedRejections,
              p.dropped,
              p.achievedRate,
              p.p50,
              p.p90,
              p.p99,
              p.max,
            ]),
            ['left', ...Array<'right'>(11).fill('right')],
          ),
        ),
  );

  out.push('', 'Chaos');
  out.push(
    s.chaos.length === 0
      ? '  none'
      : indent(
          textTable(
            ['', 'fault', 'at', 'recovered', 'error window / max', 'errors', 'statuses'],
            chaosRows(s).map((c) => [
              c.withinWindow ? '✔' : '✘',
              c.fault,
              c.at,
              c.recovered,
              c.errorWindow,
              c.errors,
              c.statuses,
            ]),
            ['left', 'left', 'right', 'right', 'right', 'right', 'left'],
          ),
        ),
  );

  if (s.saturation) out.push('', `Saturation: ${formatRate(s.saturation.rate)} sustained; ${s.saturation.reason}`);
  const duration = (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000;
  if (Number.isFinite(duration)) out.push('', `Ran ${formatSeconds(duration)}.`);
  return out.join('\n') + '\n';
}

function mark(v: Verdict): string {
  return v === 'ok' ? '✔' : v === 'not ok' ? '✘' : '·';
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
