import {
  dashboardQueries,
  metricNamesIn,
  metricNamesInExposition,
  readRules,
  substituteVariables,
  templateVariables,
  variableLookup,
} from '../support/prometheus.js';

/**
 * The pure half of test/support/prometheus.ts, which the Prometheus integration suite trusts to turn Grafana's
 * queries into runnable PromQL and to find the metric names in them: if it got these wrong, that suite would
 * check the wrong thing and pass.
 */
describe('substituteVariables', () => {
  it("turns every form of a dashboard variable in a label matcher into 'all values'", () => {
    expect(substituteVariables('x{namespace="$namespace", pipeline=~"${pipeline}", role=~"${role:regex}"}')).toBe(
      'x{namespace=~".*", pipeline=~".*", role=~".*"}',
    );
    expect(substituteVariables('x{instance=~"[[instance]]", role!="$role"}')).toBe(
      'x{instance=~".*", role!~"likepipe-no-such-value"}',
    );
    expect(substituteVariables('x{route=~"/api/.+", pod=~"$pipeline-.*"}')).toBe('x{route=~"/api/.+", pod=~".*-.*"}');
  });

  it("gives Grafana's built-ins fixed durations and other variables their current value", () => {
    const vars = [{ name: 'window', type: 'interval', value: '2m' }];
    expect(substituteVariables('rate(x[$__rate_interval]) + rate(y[${__interval}]) + rate(z[$window])', vars)).toBe(
      'rate(x[1m]) + rate(y[15s]) + rate(z[2m])',
    );
    // Unknown and valueless variables stay, so the query fails and names them.
    expect(substituteVariables('topk($k, x)')).toBe('topk($k, x)');
  });
});

describe('dashboardQueries and templateVariables', () => {
  const dashboard = {
    panels: [
      { type: 'row', title: 'API', panels: [{ title: 'nested', targets: [{ refId: 'A', expr: 'up' }] }] },
      {
        title: 'top',
        targets: [
          { refId: 'A', expr: 'sum(x)' },
          { refId: 'B', expr: '' },
        ],
      },
    ],
    templating: {
      list: [
        { name: 'ds', type: 'datasource', query: 'prometheus' },
        { name: 'namespace', type: 'query', query: { query: 'label_values(up, namespace)', refId: 'v' } },
        { name: 'role', type: 'query', query: 'label_values(role)' },
        { name: 'window', type: 'interval', current: { value: '5m' } },
      ],
    },
  };

  it('finds the panel targets in rows and the query variables, and nothing else', () => {
    expect(dashboardQueries('d.json', dashboard).map((q) => `${q.kind} ${q.where}: ${q.raw}`)).toEqual([
      'panel panel "nested" (A): up',
      'panel panel "top" (A): sum(x)',
      'variable variable namespace: label_values(up, namespace)',
      'variable variable role: label_values(role)',
    ]);
    expect(templateVariables(dashboard).find((v) => v.name === 'window')?.value).toBe('5m');
  });

  it("translates Grafana's variable functions into Prometheus API lookups", () => {
    expect(variableLookup('label_values(up{job="a"}, namespace)')).toEqual({
      kind: 'promql',
      expr: 'count by (namespace) (up{job="a"})',
    });
    expect(variableLookup('label_values(role)')).toEqual({ kind: 'label-values', label: 'role' });
    expect(variableLookup('query_result(sum by (role) (up))')).toEqual({ kind: 'promql', expr: 'sum by (role) (up)' });
    expect(variableLookup('metrics(likepipe_.*)')).toEqual({ kind: 'metric-names', regex: 'likepipe_.*' });
    expect(variableLookup('label_names()')).toEqual({ kind: 'label-names' });
  });
});

describe('metric names', () => {
  it('names the metrics an expression reads, histograms by their base name, not functions, labels or strings', () => {
    const expr = `histogram_quantile(0.99, sum by (le) (rate(likepipe_http_request_duration_seconds_bucket{route=~"likepipe_fake"}[1m])))
      / ignoring(x) likepipe_truth_flushes_total + on (role) group_left process_resident_memory_bytes
      + sum(nodejs_eventloop_lag_p99_seconds) + likepipe:api_requests:rate5m + up`;
    expect(metricNamesIn(expr)).toEqual([
      'likepipe_http_request_duration_seconds',
      'likepipe_truth_flushes_total',
      'nodejs_eventloop_lag_p99_seconds',
      'process_resident_memory_bytes',
    ]);
  });

  it('reads declared and sampled names from an exposition', () => {
    const text = [
      '# HELP likepipe_x_seconds latency',
      '# TYPE likepipe_x_seconds histogram',
      'likepipe_x_seconds_bucket{le="1"} 1',
      'likepipe_labelled_total{a="b"} 3',
      '# TYPE likepipe_unset_total counter',
    ].join('\n');
    const names = metricNamesInExposition(text);
    for (const n of ['likepipe_x_seconds', 'likepipe_labelled_total', 'likepipe_unset_total']) {
      expect(names.has(n)).toBe(true);
    }
    expect(names.has('likepipe_other')).toBe(false);
  });

  it('reads recording and alert rules from a rules file', () => {
    const rules = readRules(
      'r.yaml',
      'groups:\n  - name: g\n    rules:\n      - record: a:b:c\n        expr: sum(x)\n      - alert: A\n        expr: x > 1\n',
    );
    expect(rules).toEqual({
      file: 'r.yaml',
      records: [{ group: 'g', record: 'a:b:c', expr: 'sum(x)' }],
      alerts: [{ group: 'g', alert: 'A', expr: 'x > 1' }],
    });
  });
});
