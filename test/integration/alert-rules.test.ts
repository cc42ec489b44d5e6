import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { consumerGroup, PIPELINE_METRICS as M, SCRAPE_LABELS } from '@likepipe/contract';
import {
  ALERTS,
  BURN_RATE_ALERTS,
  isAlert,
  ruleGroups,
  SLO,
  THRESHOLDS,
  type AlertKey,
  type RuleGroup,
} from '@likepipe/monitoring';
import yaml from 'js-yaml';
import { rulesYaml } from '@likepipe/operator/monitoring/rules-yaml.js';
import { env } from '../support/stack.js';

/**
 * The alert rules against promtool (Debian's Prometheus package, installed by `npm run up`): the committed rule
 * file is current and valid, every alert has its runbook, and `promtool test rules` shows each alert firing on
 * the series that should fire it and staying quiet on a healthy series and on a short blip. The scenarios are
 * built from the same SLOs and thresholds as the rules, so moving a threshold without moving the rule (or the
 * other way round) fails here.
 */
const ROOT = new URL('../../', import.meta.url).pathname;
const RULES_FILE = `${ROOT}monitoring/prometheus/likepipe.rules.yaml`;
const RUNBOOKS = `${ROOT}docs/runbooks`;
const DASHBOARDS = `${ROOT}charts/likepipe-operator/dashboards`;
const PROMTOOL = process.env.LIKEPIPE_PROMTOOL ?? env.LIKEPIPE_PROMTOOL ?? 'promtool';

function promtool(...args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile(PROMTOOL, args, { timeout: 60_000, maxBuffer: 16 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, out: `${stdout}${stderr}` }),
    );
  });
}

const P = { [SCRAPE_LABELS.namespace]: 'prod', [SCRAPE_LABELS.pipeline]: 'likes' };
const MINUTES = 200;

type Labels = Record<string, string>;
interface Series {
  name: string;
  labels: Labels;
  values: (number | undefined)[];
}
/** A counter from its increase per minute (minute m -> events in minute m); the value at minute 0 is 0. */
const counter = (name: string, labels: Labels, perMinute: (m: number) => number, minutes = MINUTES): Series => {
  const values: number[] = [0];
  for (let m = 1; m <= minutes; m++) values.push(values[m - 1]! + perMinute(m));
  return { name, labels: { ...P, ...labels }, values };
};
const gauge = (name: string, labels: Labels, at: (m: number) => number | undefined, minutes = MINUTES): Series => ({
  name,
  labels: { ...P, ...labels },
  values: Array.from({ length: minutes + 1 }, (_, m) => at(m)),
});

const API = { [SCRAPE_LABELS.role]: 'like-api', method: 'POST' };
const LIKE = { ...API, route: '/api/posts/:id/like' };
/** The like-API's answers: 6000 a minute, `bad(m)` of them (a share) with `badStatus`. */
function answers(bad: (m: number) => number, badStatus = '503'): Series[] {
  return [
    counter(M.httpRequests.name, { ...LIKE, status: '200' }, (m) => 6000 * (1 - bad(m))),
    counter(M.httpRequests.name, { ...LIKE, status: badStatus }, (m) => 6000 * bad(m)),
  ];
}
/** Latency: `slow(m)` of 6000 requests a minute above the SLO threshold, the rest below. */
function latency(slow: (m: number) => number): Series[] {
  const h = M.httpDuration.name;
  const l = { ...LIKE, status: '200' };
  return [
    counter(`${h}_bucket`, { ...l, le: String(SLO.latency.thresholdSeconds) }, (m) => 6000 * (1 - slow(m))),
    counter(`${h}_bucket`, { ...l, le: '+Inf' }, () => 6000),
    counter(`${h}_count`, l, () => 6000),
  ];
}
const during =
  (from: number, to: number, inside: number, outside = 0) =>
  (m: number) =>
    m > from && m <= to ? inside : outside;

interface Case {
  name: string;
  alert: AlertKey;
  series: Series[];
  /** Minutes after the start. */
  at: number;
  /** The full label sets of the alerts expected to fire then; none: quiet. */
  fires: Labels[];
}

const burn = (i: number) => ({
  severity: BURN_RATE_ALERTS[i]!.severity,
  long_window: BURN_RATE_ALERTS[i]!.long,
  short_window: BURN_RATE_ALERTS[i]!.short,
  ...P,
});
const page = { severity: 'page' };
const ticket = { severity: 'ticket' };
const budget = 1 - SLO.availability;
const latencyBudget = 1 - SLO.latency.objective;
const truthGroup = consumerGroup('truth-writer');

const CASES: Case[] = [
  // Availability: an outage (half the answers 503) pages through both fast windows; a slow leak (4× budget)
  // opens a ticket; a healthy half-budget rate and a two-minute blip stay quiet.
  { name: 'outage', alert: 'availabilityBurn', series: answers(() => 0.5), at: 30, fires: [burn(0), burn(1)] },
  { name: 'slow leak', alert: 'availabilityBurn', series: answers(() => budget * 4), at: 120, fires: [burn(2)] },
  { name: 'healthy', alert: 'availabilityBurn', series: answers(() => budget / 2), at: 200, fires: [] },
  { name: 'blip', alert: 'availabilityBurn', series: answers(during(60, 62, 0.02, budget / 2)), at: 65, fires: [] },
  // Latency, the same shape.
  { name: 'slow', alert: 'latencyBurn', series: latency(() => 0.3), at: 30, fires: [burn(0), burn(1)] },
  {
    name: 'slightly slow',
    alert: 'latencyBurn',
    series: latency(() => latencyBudget * 4),
    at: 120,
    fires: [burn(2)],
  },
  { name: 'fast', alert: 'latencyBurn', series: latency(() => latencyBudget / 2), at: 200, fires: [] },
  // Degraded: Redis bypassed for a quarter of an hour, against a two-minute Redis failover.
  {
    name: 'redis down',
    alert: 'degraded',
    series: answers(during(10, 40, 0.5), '202'),
    at: 30,
    fires: [{ ...ticket, ...P }],
  },
  { name: 'failover', alert: 'degraded', series: answers(during(10, 12, 1), '202'), at: 20, fires: [] },
  {
    name: 'below threshold',
    alert: 'degraded',
    series: answers(() => THRESHOLDS.degradedRatio / 2, '202'),
    at: 60,
    fires: [],
  },
  // Circuit breakers: open for five minutes pages; open for one minute, or half-open, does not.
  {
    name: 'open',
    alert: 'breakerOpen',
    series: [gauge(M.breakerState.name, { role: 'like-api', breaker: 'kafka', instance: 'a' }, during(10, 40, 2))],
    at: 20,
    fires: [{ ...page, ...P, role: 'like-api', breaker: 'kafka' }],
  },
  {
    name: 'flapping',
    alert: 'breakerOpen',
    series: [gauge(M.breakerState.name, { role: 'like-api', breaker: 'kafka', instance: 'a' }, during(10, 11, 2, 1))],
    at: 20,
    fires: [],
  },
  // Lag: growing for half an hour vs. a burst that drains.
  {
    name: 'falling behind',
    alert: 'lagGrowing',
    series: [
      gauge(
        M.consumerLagGauge.name,
        { role: 'analytics', group: 'likepipe-analytics', topic: 'like-events' },
        (m) => 500 + 200 * m,
      ),
    ],
    at: 40,
    fires: [{ ...ticket, ...P, group: 'likepipe-analytics' }],
  },
  {
    name: 'burst',
    alert: 'lagGrowing',
    series: [
      gauge(M.consumerLagGauge.name, { role: 'analytics', group: 'likepipe-analytics', topic: 'like-events' }, (m) =>
        m > 10 && m <= 14 ? THRESHOLDS.lagEvents * 5 * (m - 10) : 0,
      ),
    ],
    at: 30,
    fires: [],
  },
  // Stalls: one every ten minutes for an hour (the watchdog's restarts do not cure it) vs. one stall, cured.
  {
    name: 'stalling again and again',
    alert: 'stallsRecurring',
    series: [
      counter(M.consumerStalls.name, { role: 'notifier', group: 'likepipe-notifier', instance: 'a' }, (m) =>
        m >= 20 && m % 10 === 0 ? 1 : 0,
      ),
    ],
    at: 60,
    fires: [{ ...ticket, ...P, group: 'likepipe-notifier' }],
  },
  {
    name: 'one stall, cured',
    alert: 'stallsRecurring',
    series: [
      counter(M.consumerStalls.name, { role: 'notifier', group: 'likepipe-notifier', instance: 'a' }, (m) =>
        m === 20 ? 1 : 0,
      ),
    ],
    at: 60,
    fires: [],
  },
  // The truth-writer: lag and no successful flush for a quarter of an hour, vs. a three-minute pause.
  {
    name: 'stalled',
    alert: 'truthWriterStalled',
    series: [
      gauge(M.consumerLagGauge.name, { role: 'truth-writer', group: truthGroup, topic: 'like-events' }, () => 800),
      counter(M.truthFlushes.name, { role: 'truth-writer', outcome: 'ok' }, (m) => (m <= 20 ? 120 : 0)),
      counter(M.truthFlushes.name, { role: 'truth-writer', outcome: 'error' }, (m) => (m > 20 ? 30 : 0)),
    ],
    at: 40,
    fires: [{ ...page, ...P }],
  },
  {
    name: 'paused',
    alert: 'truthWriterStalled',
    series: [
      gauge(M.consumerLagGauge.name, { role: 'truth-writer', group: truthGroup, topic: 'like-events' }, () => 800),
      counter(M.truthFlushes.name, { role: 'truth-writer', outcome: 'ok' }, (m) => (m > 20 && m <= 23 ? 0 : 120)),
    ],
    at: 30,
    fires: [],
  },
  // Reconciler repairs: a tenth of the checks for half an hour vs. the usual trickle.
  {
    name: 'many repairs',
    alert: 'repairsHigh',
    series: [
      counter(M.reconcileChecks.name, { role: 'reconciler', verdict: 'ok' }, () => 900),
      counter(M.reconcileRepairs.name, { role: 'reconciler' }, () => 900 * THRESHOLDS.repairRatio * 2),
    ],
    at: 60,
    fires: [{ ...ticket, ...P }],
  },
  {
    name: 'few repairs',
    alert: 'repairsHigh',
    series: [
      counter(M.reconcileChecks.name, { role: 'reconciler', verdict: 'ok' }, () => 900),
      counter(M.reconcileRepairs.name, { role: 'reconciler' }, () => 900 * THRESHOLDS.repairRatio * 0.2),
    ],
    at: 60,
    fires: [],
  },
  // Kafka produce errors: a broken producer vs. one failed batch.
  {
    name: 'broker gone',
    alert: 'produceErrors',
    series: [
      counter(`${M.kafkaProduceDuration.name}_count`, { role: 'like-api', outcome: 'ok' }, (m) => (m > 10 ? 100 : 600)),
      counter(`${M.kafkaProduceDuration.name}_count`, { role: 'like-api', outcome: 'error' }, (m) =>
        m > 10 ? 500 : 0,
      ),
    ],
    at: 30,
    fires: [{ ...page, ...P }],
  },
  {
    name: 'one failed batch',
    alert: 'produceErrors',
    series: [
      counter(`${M.kafkaProduceDuration.name}_count`, { role: 'like-api', outcome: 'ok' }, () => 600),
      counter(`${M.kafkaProduceDuration.name}_count`, { role: 'like-api', outcome: 'error' }, (m) =>
        m === 12 ? 1 : 0,
      ),
    ],
    at: 15,
    fires: [],
  },
  // The Redis Cluster: broken for ten minutes vs. a two-minute failover.
  {
    name: 'broken',
    alert: 'redisCluster',
    series: [gauge(M.redisKeeperClusterOk.name, { role: 'redis-cluster-keeper' }, during(10, 30, 0, 1))],
    at: 25,
    fires: [{ ...page, ...P }],
  },
  {
    name: 'failover',
    alert: 'redisCluster',
    series: [gauge(M.redisKeeperClusterOk.name, { role: 'redis-cluster-keeper' }, during(10, 12, 0, 1))],
    at: 20,
    fires: [],
  },
  // A role down: no instance up for ten minutes vs. a restart; one instance of two down is no alert.
  {
    name: 'down',
    alert: 'roleDown',
    series: [gauge('up', { role: 'notifier', instance: 'a' }, during(10, 40, 0, 1))],
    at: 25,
    fires: [{ ...page, ...P, role: 'notifier' }],
  },
  {
    name: 'restart',
    alert: 'roleDown',
    series: [gauge('up', { role: 'notifier', instance: 'a' }, during(10, 12, 0, 1))],
    at: 20,
    fires: [],
  },
  {
    name: 'one of two',
    alert: 'roleDown',
    series: [
      gauge('up', { role: 'notifier', instance: 'a' }, during(10, 40, 0, 1)),
      gauge('up', { role: 'notifier', instance: 'b' }, () => 1),
    ],
    at: 25,
    fires: [],
  },
];

const seriesText = (s: Series) =>
  `${s.name}{${Object.entries(s.labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',')}}`;
const valuesText = (s: Series) => s.values.map((v) => (v === undefined ? '_' : String(+v.toFixed(6)))).join(' ');

/** The groups with their annotations left out: promtool compares those too, and their text is not the point. */
function withoutAnnotations(groups: RuleGroup[]): unknown[] {
  return groups.map((g) => ({
    ...g,
    rules: g.rules.map((r) => (isAlert(r) ? { alert: r.alert, expr: r.expr, for: r.for, labels: r.labels } : r)),
  }));
}

describe('alert rules (promtool)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'likepipe-rules-'));

  it('the committed rule file is current and passes promtool check rules', async () => {
    expect(readFileSync(RULES_FILE, 'utf8')).toBe(rulesYaml());
    const r = await promtool('check', 'rules', RULES_FILE);
    expect(r.out).toMatch(/SUCCESS/);
    expect(r.code).toBe(0);
  });

  it('every alert links a runbook that exists and says what it means, how to confirm it and what to do', () => {
    const alerts = ruleGroups().flatMap((g) => g.rules.filter(isAlert));
    const files = new Set(readdirSync(RUNBOOKS));
    for (const a of alerts) {
      const file = a.annotations.runbook_url.split('/').pop()!;
      expect(files).toContain(file);
      const text = readFileSync(`${RUNBOOKS}/${file}`, 'utf8');
      expect(text).toContain(`# ${a.alert}`);
      for (const heading of ['## What it means', '## Confirm it', '## What to do']) expect(text).toContain(heading);
      expect(a.annotations.summary.length).toBeGreaterThan(10);
    }
    // The panels a runbook sends the reader to (quoted in "Confirm it") exist on the dashboards.
    const titles = new Set<string>();
    const walk = (panels: { title?: string; panels?: unknown[] }[]) => {
      for (const p of panels) {
        if (p.title) titles.add(p.title);
        if (p.panels) walk(p.panels as typeof panels);
      }
    };
    for (const f of readdirSync(DASHBOARDS)) walk(JSON.parse(readFileSync(`${DASHBOARDS}/${f}`, 'utf8')).panels);
    for (const f of files) {
      const confirm = readFileSync(`${RUNBOOKS}/${f}`, 'utf8').split('## Confirm it')[1]?.split('## ')[0] ?? '';
      const quoted = [...confirm.replace(/`[^`]*`/g, '').matchAll(/"([^"]+)"/g)].map((m) => m[1]!);
      for (const q of quoted)
        expect({ runbook: f, panel: q, exists: titles.has(q) }).toEqual({ runbook: f, panel: q, exists: true });
    }
    // No runbook without its alert.
    const linked = new Set(Object.values(ALERTS).map((a) => `${a.runbook}.md`));
    for (const f of files) if (f !== 'README.md') expect(linked).toContain(f);
  });

  it('every alert fires on the series that should fire it, and stays quiet when healthy and on a blip', async () => {
    // Every alert has a firing case and a quiet one.
    for (const key of Object.keys(ALERTS) as AlertKey[]) {
      expect(CASES.some((c) => c.alert === key && c.fires.length > 0)).toBe(true);
      expect(CASES.some((c) => c.alert === key && c.fires.length === 0)).toBe(true);
    }
    const rules = `${dir}/rules.yaml`;
    writeFileSync(rules, yaml.dump({ groups: withoutAnnotations(ruleGroups()) }, { lineWidth: -1 }));
    const tests = {
      rule_files: [rules],
      evaluation_interval: '1m',
      tests: CASES.map((c) => ({
        name: `${ALERTS[c.alert].name}: ${c.name}`,
        interval: '1m',
        input_series: c.series.map((s) => ({ series: seriesText(s), values: valuesText(s) })),
        alert_rule_test: [
          {
            eval_time: `${c.at}m`,
            alertname: ALERTS[c.alert].name,
            exp_alerts: c.fires.map((labels) => ({ exp_labels: labels })),
          },
        ],
      })),
    };
    writeFileSync(`${dir}/tests.yaml`, yaml.dump(tests, { lineWidth: -1 }));
    const r = await promtool('test', 'rules', `${dir}/tests.yaml`);
    expect(r.out).toMatch(/SUCCESS/);
    expect(r.code).toBe(0);
  });
});
