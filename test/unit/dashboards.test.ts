import { readdirSync, readFileSync } from 'node:fs';
import { DASHBOARDS, fileName, render } from '../../packages/monitoring/src/dashboards/all.js';
import { withPanelTables } from '../../packages/monitoring/src/dashboards/docs.js';
import { INTERNALS_UID } from '../../packages/monitoring/src/dashboards/internals.js';
import {
  lintDashboard,
  lintExpr,
  selectors,
  type JsonDashboard,
} from '../../packages/monitoring/src/dashboards/lint.js';
import { OVERVIEW_UID } from '../../packages/monitoring/src/dashboards/overview.js';
import { PROCESSES_UID } from '../../packages/monitoring/src/dashboards/processes.js';

/**
 * The dashboards as a linter sees them: the committed JSON (what the chart ships and users import) is what the
 * code generates today, and it passes every rule. The rules themselves are checked on small bad dashboards, so
 * a rule that silently stopped catching anything would fail here.
 */
const DIR = new URL('../../charts/likepipe-operator/dashboards/', import.meta.url);
const committed = () =>
  readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort();
const readCommitted = (f: string) => readFileSync(new URL(f, DIR), 'utf8');

describe('committed dashboards', () => {
  const built = DASHBOARDS.map((make) => make());

  test('are current: regenerated in memory, they equal the files', () => {
    expect(committed()).toEqual(built.map(fileName).sort());
    for (const d of built) {
      const file = fileName(d);
      const stale = readCommitted(file) !== render(d);
      expect(stale ? `${file} is stale: run \`npm run gen:dashboards\` and commit the result` : file).toBe(file);
    }
  });

  test("dashboards/README.md's panel tables are current", () => {
    const readme = readFileSync(new URL('../../dashboards/README.md', import.meta.url), 'utf8');
    const stale = withPanelTables(readme, built) !== readme;
    expect(stale ? 'dashboards/README.md is stale: run `npm run gen:dashboards` and commit the result' : 'ok').toBe(
      'ok',
    );
  });

  test('keep their uids (links and bookmarks point at them)', () => {
    expect(built.map((d) => d.uid)).toEqual([OVERVIEW_UID, INTERNALS_UID, PROCESSES_UID]);
    expect([OVERVIEW_UID, INTERNALS_UID, PROCESSES_UID]).toEqual([
      'likepipe-overview',
      'likepipe-internals',
      'likepipe-processes',
    ]);
  });

  test.each(committed())('%s passes every lint rule', (file) => {
    const d = JSON.parse(readCommitted(file)) as JsonDashboard;
    expect(lintDashboard(d)).toEqual([]);
    expect(d.schemaVersion).toBe(42);
    expect(render(d as never)).toBe(readCommitted(file));
  });

  test('have the panels on-call needs', () => {
    const titles = (uid: string) =>
      (JSON.parse(readCommitted(`${uid}.json`)) as JsonDashboard).panels!.map((p) => p.title ?? '');
    const overview = titles(OVERVIEW_UID).join('\n');
    for (const t of [
      'Likes and unlikes per second',
      'Degraded (202)',
      'latency by route',
      'Availability SLI',
      'Latency SLI',
      'error budget left',
      'Consumer lag per role',
      'Likes not yet in Postgres',
      'Open circuit breakers',
      'Redis, Kafka and Postgres dashboards',
    ]) {
      expect(overview).toContain(t);
    }
    expect(titles(PROCESSES_UID).join('\n')).toMatch(/CPU[\s\S]*memory[\s\S]*Heap[\s\S]*Event-loop[\s\S]*GC/);
  });
});

/** A dashboard that passes every rule; each test below breaks one thing in a copy of it. */
const good = (): JsonDashboard & { panels: NonNullable<JsonDashboard['panels']> } => ({
  uid: 'likepipe-test',
  title: 'test',
  schemaVersion: 42,
  tags: ['likepipe'],
  refresh: '30s',
  templating: {
    list: [
      { name: 'datasource', type: 'datasource', query: 'prometheus' },
      ...['namespace', 'pipeline', 'instance'].map((name) => ({
        name,
        type: 'query',
        datasource: { type: 'prometheus', uid: '${datasource}' },
        query: `label_values(likepipe_count_cache_entries, ${name})`,
      })),
    ],
  },
  panels: [
    { id: 1, type: 'row', title: 'row' },
    {
      id: 2,
      type: 'timeseries',
      title: 'likes',
      description: 'Bad: low.',
      datasource: { type: 'prometheus', uid: '${datasource}' },
      fieldConfig: { defaults: { unit: 'ops' }, overrides: [] },
      targets: [
        {
          refId: 'A',
          datasource: { type: 'prometheus', uid: '${datasource}' },
          expr:
            'sum by (outcome) (rate(likepipe_like_actions_total{namespace=~"$namespace", pipeline=~"$pipeline"}' +
            '[$__rate_interval]))',
        },
      ],
    },
  ],
});
const panel = (d: ReturnType<typeof good>) => d.panels[1]!;
const withExpr = (expr: string) => {
  const d = good();
  panel(d).targets![0]!.expr = expr;
  return lintDashboard(d);
};
const M = '{namespace=~"$namespace", pipeline=~"$pipeline"}';

describe('dashboard linter', () => {
  test('passes the good dashboard', () => {
    expect(lintDashboard(good())).toEqual([]);
  });

  test.each<[string, (d: ReturnType<typeof good>) => void, RegExp]>([
    ['no datasource variable', (d) => d.templating!.list!.shift(), /no datasource variable/],
    ['a hard-coded panel datasource', (d) => (panel(d).datasource = { uid: 'P1809F7CD0C75ACF3' }), /datasource is not/],
    [
      'a hard-coded target datasource',
      (d) => (panel(d).targets![0]!.datasource = 'Prometheus'),
      /target A: datasource is not/,
    ],
    ['no unit', (d) => delete panel(d).fieldConfig!.defaults!.unit, /no unit/],
    ['no description', (d) => delete panel(d).description, /no description/],
    ['an empty target', (d) => (panel(d).targets![0]!.expr = ' '), /empty query/],
    ['no targets', (d) => (panel(d).targets = []), /no targets/],
    ['a duplicate panel id', (d) => (panel(d).id = 1), /duplicate id 1/],
    ['schemaVersion 41', (d) => (d.schemaVersion = 41), /schemaVersion 41, want 42/],
    ['no uid', (d) => delete d.uid, /uid must be set/],
    ['no tags', (d) => (d.tags = []), /no tags/],
    ['no pipeline variable', (d) => d.templating!.list!.splice(2, 1), /no pipeline variable/],
    ['a pre-41 timepicker', (d) => (d.timepicker = { time_options: ['5m'] }), /time_options/],
    [
      'a variable on an unknown metric',
      (d) => (d.templating!.list![1]!.query = 'label_values(up, namespace)'),
      /variable namespace: up is not a metric/,
    ],
    [
      'hideFrom.viz without tooltip',
      (d) => (panel(d).fieldConfig!.overrides = [{ properties: [{ id: 'custom.hideFrom', value: { viz: true } }] }]),
      /hideFrom.viz/,
    ],
  ])('catches %s', (_what, breakIt, message) => {
    const d = good();
    breakIt(d);
    const problems = lintDashboard(d);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).toMatch(message);
  });

  test('catches a rate over a fixed window instead of $__rate_interval', () => {
    expect(withExpr(`rate(likepipe_like_actions_total${M}[5m])`).join('\n')).toMatch(/rate\(\) without/);
    expect(withExpr(`increase(likepipe_like_actions_total${M}[1h])`).join('\n')).toMatch(/increase\(\) without/);
  });

  test('catches counters and histogram series outside rate()', () => {
    for (const name of [
      'likepipe_like_actions_total',
      'likepipe_http_request_duration_seconds_bucket',
      'likepipe_truth_flush_events_count',
      'likepipe_truth_flush_events_sum',
    ]) {
      expect(withExpr(`sum by (le) (${name}${M})`).join('\n')).toContain(`counter ${name} outside rate()`);
    }
    // Inside a rate, under an aggregation and a quantile, it is fine.
    expect(
      withExpr(
        `histogram_quantile(0.99, sum by (le, route) (rate(likepipe_http_request_duration_seconds_bucket${M}` +
          '[$__rate_interval])))',
      ),
    ).toEqual([]);
  });

  test('catches a target that does not filter by namespace and pipeline', () => {
    const p = withExpr('sum(rate(likepipe_like_actions_total{namespace=~"$namespace"}[$__rate_interval]))');
    expect(p.join('\n')).toMatch(/not filtered by pipeline=~"\$pipeline"/);
    expect(withExpr('sum(rate(likepipe_like_actions_total[$__rate_interval]))').join('\n')).toMatch(
      /not filtered by namespace/,
    );
  });

  test('catches metrics the contract does not define, and knows histograms, process metrics and SLIs', () => {
    expect(withExpr(`likepipe_likes_in_flight${M}`).join('\n')).toMatch(/likepipe_likes_in_flight is not a metric/);
    expect(withExpr(`sum(rate(likepipe_truth_flush_events_total${M}[$__rate_interval]))`).join('\n')).toMatch(
      /not a metric/,
    );
    expect(withExpr(`max(nodejs_eventloop_lag_p99_seconds${M})`)).toEqual([]);
    expect(withExpr(`sum(rate(nodejs_gc_duration_seconds_sum${M}[$__rate_interval]))`)).toEqual([]);
    expect(withExpr(`1 - likepipe:api_availability_errors:ratio_rate5m${M}`)).toEqual([]);
    expect(withExpr(`likepipe:api_availability_errors:ratio_rate4m${M}`).join('\n')).toMatch(/not a metric/);
  });

  test('the PromQL scanner skips label matchers, label lists, strings and durations', () => {
    const expr =
      'sum by (status) (rate(likepipe_http_requests_total{status=~"5..|up"}[$__rate_interval]))\n' +
      '/ ignoring (status) group_left\nsum(rate(likepipe_http_requests_total{route="/api/x"}[5m] offset 1h)) ' +
      'or vector(0)';
    expect(selectors(expr).map((s) => [s.metric, s.enclosing])).toEqual([
      ['likepipe_http_requests_total', 'rate'],
      ['likepipe_http_requests_total', 'rate'],
    ]);
    expect(lintExpr(expr, 'x')).toEqual(['x: rate() without [$__rate_interval]']);
  });
});
