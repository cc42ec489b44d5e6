import { formatCount, formatMs, formatNumber, formatPercent, formatRate, formatSeconds } from './format.js';
import { attrs, escapeHtml } from './markup.js';
import { COLORS, reportCharts } from './report-charts.js';
import { auditRows, chaosRows, phaseRows, type Verdict } from './report-rows.js';
import type { RunSummary } from './summary.js';

/**
 * The HTML report of a run: one file with everything inline (CSS, SVG plots), no script and no external URL, so
 * it can be attached to a ticket, archived as a CI artefact and opened from disk years later. The markup is
 * XHTML-ish (void elements closed, attributes quoted) so the tests can check it with an XML parser.
 */
export function renderReport(summary: RunSummary): string {
  const title = `${summary.scenario} (${summary.profile}) — ${summary.pass ? 'PASS' : 'FAIL'}`;
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8" />',
    '<meta name="viewport" content="width=device-width, initial-scale=1" />',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    header(summary),
    glance(summary),
    thresholds(summary),
    plots(summary),
    phases(summary),
    chaos(summary),
    audit(summary),
    saturation(summary),
    `<footer>Rendered from the run summary of ${escapeHtml(summary.scenario)} started ${escapeHtml(summary.startedAt)}.</footer>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

const e = escapeHtml;

function when(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return e(iso);
  return `<time${attrs({ datetime: iso })}>${e(
    d
      .toISOString()
      .replace('T', ' ')
      .replace(/\.\d+Z$/, ' UTC'),
  )}</time>`;
}

function badge(pass: boolean, text = pass ? 'PASS' : 'FAIL'): string {
  return `<span class="badge ${pass ? 'pass' : 'fail'}">${e(text)}</span>`;
}

function verdict(v: Verdict): string {
  if (v === 'info') return '<span class="verdict info">—</span>';
  return `<span class="verdict ${v === 'ok' ? 'ok' : 'not-ok'}">${v === 'ok' ? '✔ ok' : '✘ not ok'}</span>`;
}

function header(s: RunSummary): string {
  const durationS = (Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / 1000;
  const finished = new Date(s.finishedAt);
  const urls = s.target.apiUrls.map((u) => `<code>${e(u)}</code>`).join(', ') || '—';
  const meta: [string, string][] = [
    ['Started', when(s.startedAt)],
    [
      'Duration',
      Number.isFinite(durationS)
        ? `${e(formatSeconds(durationS))} <span class="dim">until ${e(finished.toISOString().slice(11, 19))}</span>`
        : e(s.finishedAt),
    ],
    [
      'Machine',
      e(`${formatCount(s.machine.cpus)} CPUs, ${formatNumber(s.machine.memoryGiB)} GiB, Node ${s.machine.node}`),
    ],
    [
      'Target',
      `${urls}; ${e(formatCount(s.target.kafkaBrokers))} Kafka broker${s.target.kafkaBrokers === 1 ? '' : 's'}`,
    ],
  ];
  return [
    '<header class="run">',
    `<div class="title-row"><h1>${e(s.scenario)}</h1>${badge(s.pass)}<span class="profile">${e(s.profile)} profile</span></div>`,
    `<p class="description">${e(s.description)}</p>`,
    `<dl class="meta">${meta.map(([k, v]) => `<div><dt>${e(k)}</dt><dd>${v}</dd></div>`).join('')}</dl>`,
    '</header>',
  ].join('\n');
}

/** The handful of numbers someone opening the report wants before any plot. */
function glance(s: RunSummary): string {
  const sum = (f: (p: RunSummary['phases'][number]) => number) => s.phases.reduce((t, p) => t + f(p), 0);
  const arrivals = sum((p) => p.arrivals);
  const ok = sum((p) => p.ok);
  const errors = sum((p) => p.errors);
  const dropped = sum((p) => p.dropped);
  const share = (n: number) => (arrivals > 0 ? formatPercent(n / arrivals) : '—');
  const worstP99 = s.phases.length > 0 ? Math.max(...s.phases.map((p) => p.latency.p99)) : null;
  const passed = s.thresholds.filter((t) => t.pass).length;
  const cards: { label: string; value: string; sub: string; tone?: 'good' | 'bad' }[] = [
    { label: 'arrivals', value: formatCount(arrivals), sub: `${formatCount(s.phases.length)} phases` },
    { label: 'ok', value: formatCount(ok), sub: share(ok), tone: 'good' },
    { label: 'errors', value: formatCount(errors), sub: share(errors), ...(errors > 0 ? { tone: 'bad' } : {}) },
    { label: 'dropped', value: formatCount(dropped), sub: share(dropped), ...(dropped > 0 ? { tone: 'bad' } : {}) },
    { label: 'worst p99', value: worstP99 === null ? '—' : formatMs(worstP99), sub: 'of the worst phase' },
    {
      label: 'thresholds',
      value: `${formatCount(passed)} / ${formatCount(s.thresholds.length)}`,
      sub: 'passed',
      tone: passed === s.thresholds.length ? 'good' : 'bad',
    },
    {
      label: 'audit',
      value: s.audit.ok ? 'ok' : 'not ok',
      sub: `${formatCount(s.audit.missing)} missing`,
      tone: s.audit.ok ? 'good' : 'bad',
    },
    { label: 'chaos', value: formatCount(s.chaos.length), sub: s.chaos.length === 1 ? 'fault' : 'faults' },
  ];
  return [
    '<section class="glance" aria-label="At a glance">',
    ...cards.map(
      (c) =>
        `<div${attrs({ class: c.tone ? `card ${c.tone}` : 'card' })}><div class="label">${e(c.label)}</div><div class="value">${e(c.value)}</div><div class="sub">${e(c.sub)}</div></div>`,
    ),
    '</section>',
  ].join('\n');
}

/** Text (escaped when written) or markup already escaped; cls adds to the cell's classes. */
type Cell = string | { html: string; cls?: string };

/** A table; numeric columns align right and do not wrap. */
function table(
  headings: readonly string[],
  rows: readonly { cells: Cell[]; cls?: string }[],
  numeric: number[],
): string {
  const th = headings.map((h, i) => `<th${attrs({ class: numeric.includes(i) ? 'num' : undefined })}>${e(h)}</th>`);
  const body = rows.map(
    (r) =>
      `<tr${attrs({ class: r.cls })}>${r.cells
        .map((c, i) => {
          const classes = [numeric.includes(i) ? 'num' : '', typeof c === 'string' ? '' : (c.cls ?? '')];
          const cls = classes.filter(Boolean).join(' ') || undefined;
          return `<td${attrs({ class: cls })}>${typeof c === 'string' ? e(c) : c.html}</td>`;
        })
        .join('')}</tr>`,
  );
  return `<div class="table-wrap"><table><thead><tr>${th.join('')}</tr></thead><tbody>\n${body.join('\n')}\n</tbody></table></div>`;
}

function section(id: string, heading: string, body: string): string {
  return `<section${attrs({ id })}><h2>${e(heading)}</h2>\n${body}\n</section>`;
}

function thresholds(s: RunSummary): string {
  if (s.thresholds.length === 0) return section('thresholds', 'Thresholds', '<p class="none">No thresholds.</p>');
  const rows = s.thresholds.map((t) => ({
    cls: t.pass ? 'pass' : 'fail',
    cells: [t.name, t.limit, t.actual, { html: badge(t.pass, t.pass ? '✔ pass' : '✘ fail') }] as Cell[],
  }));
  return section('thresholds', 'Thresholds', table(['threshold', 'limit', 'actual', 'result'], rows, [1, 2]));
}

/** What the lines and bands common to every plot mean; CSS swatches, so the page's only SVGs are the plots. */
function plotKey(s: RunSummary): string {
  const items = [
    s.chaos.length > 0 ? `<span class="key"><i class="sw fault"></i>fault injected</span>` : '',
    s.chaos.some((c) => c.recoveredAtS !== null) ? `<span class="key"><i class="sw recovery"></i>recovered</span>` : '',
    s.chaos.some((c) => c.errors > 0) ? `<span class="key"><i class="sw window"></i>error window</span>` : '',
    s.phases.length > 0 ? `<span class="key"><i class="sw phase"></i>phases (alternating)</span>` : '',
  ].filter(Boolean);
  return items.length > 0 ? `<p class="plot-key">${items.join('')}</p>` : '';
}

function plots(s: RunSummary): string {
  const figures = reportCharts(s).map(
    (c) =>
      `<figure${attrs({ id: `plot-${c.id}`, class: 'plot' })}><h3>${e(c.heading)}</h3>${c.svg}<figcaption>${e(c.caption)}</figcaption></figure>`,
  );
  return section('plots', 'Over time', `${plotKey(s)}\n${figures.join('\n')}`);
}

function phases(s: RunSummary): string {
  if (s.phases.length === 0) return section('phases', 'Phases', '<p class="none">No phases.</p>');
  const rows = phaseRows(s).map((p) => ({
    ...(p.troubled ? { cls: 'warn' } : {}),
    cells: [
      { html: `<strong>${e(p.name)}</strong> <span class="dim">${e(p.kind)}</span>`, cls: 'nowrap' },
      { html: e(p.span), cls: 'nowrap' },
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
    ] as Cell[],
  }));
  const headings = ['phase', 'time', 'rate', 'arrivals', 'ok', 'errors', 'exp. 429', 'dropped', 'achieved'];
  return section(
    'phases',
    'Phases',
    table([...headings, 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'], rows, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]),
  );
}

function chaos(s: RunSummary): string {
  if (s.chaos.length === 0)
    return section('chaos', 'Chaos', '<p class="none">No faults were injected in this run.</p>');
  const rows = chaosRows(s).map((c) => ({
    ...(c.withinWindow ? {} : { cls: 'fail' }),
    cells: [
      { html: `<strong>${e(c.fault)}</strong>`, cls: 'nowrap' },
      c.target,
      c.at,
      { html: e(c.recovered), cls: 'nowrap' },
      { html: `${e(c.errorWindow)} ${verdict(c.withinWindow ? 'ok' : 'not ok')}`, cls: 'nowrap' },
      c.errors,
      // Wrap between statuses, never inside one ("conn-" / "refused").
      { html: c.statusList.map((st) => `<span class="nowrap">${e(st)}</span>`).join(', ') || '—' },
    ] as Cell[],
  }));
  return section(
    'chaos',
    'Chaos',
    table(['fault', 'target', 'at', 'recovered', 'error window / max', 'errors', 'statuses'], rows, [2, 5]),
  );
}

function audit(s: RunSummary): string {
  const rows = auditRows(s.audit).map((r) => ({
    cls:
      r.field === 'ok' ? `total ${r.verdict === 'ok' ? 'pass' : 'fail'}` : r.verdict === 'not ok' ? 'fail' : undefined,
    cells: [
      { html: `${e(r.label)} <code class="dim">${e(r.field)}</code>` },
      // Mismatch lists can be long: let them wrap.
      r.value.length > 24 ? { html: e(r.value), cls: 'wrap' } : r.value,
      { html: verdict(r.verdict) },
      r.note,
    ] as Cell[],
  }));
  return section('audit', 'Ledger audit', table(['check', 'value', 'result', 'meaning'], rows, [1]));
}

function saturation(s: RunSummary): string {
  const body =
    s.saturation === null
      ? '<p class="none">No steps phase: the saturation rate was not measured.</p>'
      : table(
          ['sustained rate', 'why the next step was saturated'],
          [{ cells: [formatRate(s.saturation.rate), s.saturation.reason] }],
          [0],
        );
  return section('saturation', 'Saturation', body);
}

const STYLE = `
:root { color-scheme: light; --fg: #1f2933; --dim: #6b7580; --line: #e3e7ec; --bg: #f6f7f9; --ok: #2e9e5b;
  --bad: ${COLORS.fault}; --warn: #f0a500; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1040px; padding: 24px 20px 48px; color: var(--fg); background: var(--bg);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; }
h1 { font-size: 26px; margin: 0; letter-spacing: -0.01em; }
h2 { font-size: 18px; margin: 32px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 14px; margin: 0 0 4px; }
code { font: 12.5px ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.dim { color: var(--dim); font-weight: normal; }
.title-row { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 999px; font-weight: 700; font-size: 12px;
  letter-spacing: 0.04em; color: #fff; white-space: nowrap; }
.badge.pass { background: var(--ok); }
.badge.fail { background: var(--bad); }
.title-row > .badge { font-size: 15px; padding: 3px 14px; }
.profile { color: var(--dim); }
.description { margin: 8px 0 12px; max-width: 80ch; }
.meta { display: flex; flex-wrap: wrap; gap: 8px 40px; margin: 0; }
.meta dt { color: var(--dim); font-size: 12px; }
.meta dd { margin: 0; overflow-wrap: anywhere; }
.glance { display: grid; grid-template-columns: repeat(auto-fit, minmax(112px, 1fr)); gap: 10px; margin-top: 20px; }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.card .label { color: var(--dim); font-size: 12px; }
.card .value { font-size: 20px; font-weight: 650; font-variant-numeric: tabular-nums; white-space: nowrap; }
.card .sub { color: var(--dim); font-size: 12px; }
.card.good { border-top: 3px solid var(--ok); }
.card.bad { border-top: 3px solid var(--bad); }
.card.bad .value { color: var(--bad); }
.plot { margin: 0 0 18px; background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px 6px; }
.plot svg { display: block; width: 100%; height: auto; }
figcaption { color: var(--dim); font-size: 12px; margin-top: 2px; }
.plot-key { display: flex; gap: 18px; flex-wrap: wrap; color: var(--dim); font-size: 12px; margin: 0 0 10px; }
.key { display: inline-flex; align-items: center; gap: 6px; }
.sw { display: inline-block; width: 18px; height: 12px; }
.sw.fault { border-left: 2px solid var(--bad); width: 2px; }
.sw.recovery { border-left: 2px dashed var(--bad); width: 2px; }
.sw.window { background: rgba(215, 38, 61, 0.15); }
.sw.phase { background: linear-gradient(90deg, ${COLORS.phaseEven} 50%, ${COLORS.phaseOdd} 50%); border: 1px solid var(--line); }
.table-wrap { overflow-x: auto; background: #fff; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { padding: 6px 9px; text-align: left; vertical-align: top; border-bottom: 1px solid var(--line); }
th { font-size: 12px; color: var(--dim); font-weight: 600; background: #fafbfc; white-space: nowrap; }
tbody tr:last-child td { border-bottom: none; }
tbody tr:nth-child(even) { background: #fbfcfd; }
.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tr.fail { background: #fdecee !important; }
tr.fail td:first-child { box-shadow: inset 4px 0 0 var(--bad); }
tr.warn td:first-child { box-shadow: inset 4px 0 0 var(--warn); }
tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
.verdict { white-space: nowrap; font-weight: 600; }
.verdict.ok { color: var(--ok); }
.verdict.not-ok { color: var(--bad); }
.verdict.info { color: var(--dim); font-weight: normal; }
.none { color: var(--dim); }
.nowrap { white-space: nowrap; }
td.wrap { white-space: normal; }
footer { margin-top: 36px; color: var(--dim); font-size: 12px; }
@media print { body { background: #fff; } .plot, .table-wrap, .card { break-inside: avoid; } }
`;
