import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';

/**
 * What the Prometheus suite needs: the committed dashboards' and rules' PromQL, made runnable against the local
 * stack's Prometheus (Grafana's template variables substituted), the metric names it mentions, and a small
 * client for the HTTP API and promtool. Nothing here runs at import, so unit tests can use the pure parts.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DASHBOARD_DIR = 'charts/likepipe-operator/dashboards';
export const RULES_DIR = 'monitoring/prometheus';

// ------------------------------------------------------------------------------------------ dashboards

/** One PromQL query a dashboard runs: a panel target's `expr` or a query variable's `query`. */
export interface DashboardQuery {
  file: string;
  /** e.g. `panel "Request rate" (A)` or `variable namespace` */
  where: string;
  kind: 'panel' | 'variable';
  raw: string;
}

export interface TemplateVariable {
  name: string;
  type: string;
  /** The variable's current value when it is a single literal (interval, custom, constant variables). */
  value?: string;
}

/* eslint-disable @typescript-eslint/no-explicit-any -- dashboard JSON is Grafana's, untyped here */
function panelsOf(panels: any[] | undefined): any[] {
  // Rows hold their panels in `panels` (collapsed rows) or are followed by them (expanded): both are walked.
  return (panels ?? []).flatMap((p) => [p, ...panelsOf(p?.panels)]);
}

export function dashboardQueries(file: string, dashboard: any): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  for (const panel of panelsOf(dashboard?.panels)) {
    for (const target of panel?.targets ?? []) {
      if (typeof target?.expr === 'string' && target.expr.trim() !== '') {
        out.push({
          file,
          where: `panel "${panel.title ?? panel.id ?? '?'}" (${target.refId ?? '?'})`,
          kind: 'panel',
          raw: target.expr,
        });
      }
    }
  }
  for (const v of dashboard?.templating?.list ?? []) {
    if (v?.type !== 'query') continue;
    const q = typeof v.query === 'string' ? v.query : (v.query?.query ?? v.definition);
    if (typeof q === 'string' && q.trim() !== '')
      out.push({ file, where: `variable ${v.name}`, kind: 'variable', raw: q });
  }
  return out;
}

export function templateVariables(dashboard: any): TemplateVariable[] {
  return (dashboard?.templating?.list ?? []).map((v: any) => {
    const cur = Array.isArray(v?.current?.value) ? v.current.value[0] : v?.current?.value;
    const value = typeof cur === 'string' && cur !== '' && !cur.startsWith('$') ? cur : undefined;
    return { name: String(v?.name), type: String(v?.type), ...(value !== undefined ? { value } : {}) };
  });
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/** Grafana's built-in variables, with the values a 1 s-scraped local stack answers sensibly. */
const BUILTINS = new Map([
  ['__rate_interval', '1m'],
  ['__interval', '15s'],
  ['__interval_ms', '15000'],
  ['__range', '5m'],
  ['__range_s', '300'],
  ['__range_ms', '300000'],
]);

// `$var`, `${var}`, `${var:format}`, `[[var]]`, `[[var:format]]`
const VARIABLE = /\$\{(\w+)(?::[^}]*)?\}|\[\[(\w+)(?::[^\]]*)?\]\]|\$(\w+)/g;
// A label matcher whose quoted value mentions a variable: `label op "…$var…"`
const MATCHER_WITH_VARIABLE = /([A-Za-z_]\w*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"/g;

/**
 * Makes a dashboard query runnable: Grafana's built-ins become fixed durations; a variable inside a label
 * matcher stands for "all values", so `label="$v"` and `label=~"$v"` become `label=~".*"` (and negative matchers
 * exclude nothing); a variable elsewhere takes its current value when the dashboard gives one (an interval
 * variable, say). What is left unsubstituted makes the query fail, naming the variable.
 */
export function substituteVariables(expr: string, variables: TemplateVariable[] = []): string {
  const known = new Map(variables.map((v) => [v.name, v]));
  // The three alternatives of VARIABLE each capture the name; exactly one matched.
  const nameOf = (a?: string, b?: string, c?: string) => a ?? b ?? c ?? '';
  const hasUserVariable = (s: string) => [...s.matchAll(VARIABLE)].some((m) => !BUILTINS.has(nameOf(m[1], m[2], m[3])));
  let out = expr.replace(MATCHER_WITH_VARIABLE, (whole, label: string, op: string, value: string) => {
    if (!hasUserVariable(value)) return whole;
    const all = value.replace(VARIABLE, (_v, a?: string, b?: string, c?: string) => {
      const n = nameOf(a, b, c);
      return BUILTINS.get(n) ?? '.*';
    });
    if (op === '=' || op === '=~') return `${label}=~"${all}"`;
    return `${label}!~"likepipe-no-such-value"`;
  });
  out = out.replace(VARIABLE, (whole, a?: string, b?: string, c?: string) => {
    const n = nameOf(a, b, c);
    return BUILTINS.get(n) ?? known.get(n)?.value ?? whole;
  });
  return out;
}

/**
 * What a query variable asks the data source, in Prometheus API terms. Grafana's Prometheus data source takes
 * `label_values(selector, label)`, `label_values(label)`, `label_names()`, `metrics(regex)`, `query_result(expr)`
 * or plain PromQL.
 */
export type VariableLookup =
  | { kind: 'promql'; expr: string }
  | { kind: 'label-values'; label: string }
  | { kind: 'label-names' }
  | { kind: 'metric-names'; regex: string };

export function variableLookup(query: string): VariableLookup {
  const q = query.trim();
  let m = /^label_values\(\s*(.+)\s*,\s*([A-Za-z_]\w*)\s*\)$/s.exec(q);
  if (m) return { kind: 'promql', expr: `count by (${m[2]}) (${m[1]})` };
  m = /^label_values\(\s*([A-Za-z_]\w*)\s*\)$/.exec(q);
  if (m) return { kind: 'label-values', label: m[1]! };
  if (/^label_names\(.*\)$/s.test(q)) return { kind: 'label-names' };
  m = /^metrics\(\s*(.*)\s*\)$/s.exec(q);
  if (m) return { kind: 'metric-names', regex: m[1]! };
  m = /^query_result\(\s*(.+)\s*\)$/s.exec(q);
  if (m) return { kind: 'promql', expr: m[1]! };
  return { kind: 'promql', expr: q };
}

// ------------------------------------------------------------------------------------------ rules

export interface RuleSet {
  file: string;
  records: { group: string; record: string; expr: string }[];
  alerts: { group: string; alert: string; expr: string }[];
}

export function readRules(file: string, text: string): RuleSet {
  const doc = yaml.load(text) as {
    groups?: { name?: string; rules?: { record?: string; alert?: string; expr?: unknown }[] }[];
  } | null;
  const out: RuleSet = { file, records: [], alerts: [] };
  for (const g of doc?.groups ?? []) {
    for (const r of g.rules ?? []) {
      const expr = String(r.expr ?? '');
      if (r.record) out.records.push({ group: String(g.name), record: r.record, expr });
      if (r.alert) out.alerts.push({ group: String(g.name), alert: r.alert, expr });
    }
  }
  return out;
}

// ------------------------------------------------------------------------------------------ metric names

const HISTOGRAM_SERIES = /_(bucket|count|sum)$/;
const OUR_METRIC = /^(likepipe_|process_|nodejs_)/;

/**
 * The metric names a PromQL expression reads that LikePipeline exports (`likepipe_*`, `process_*`,
 * `nodejs_*`), histogram series named by their histogram (`x_bucket` → `x`). Function names (followed by `(`),
 * label names inside braces and string literals are not metric names.
 */
export function metricNamesIn(expr: string): string[] {
  const code = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""').replace(/\{[^}]*\}/g, '{}');
  const names = new Set<string>();
  for (const m of code.matchAll(/(?<![\w:])([A-Za-z_:][\w:]*)(?=\s*([{[)\s,]|$))/g)) {
    const n = m[1]!;
    // `by (label)` / `without (label)` / `on (…)` lists hold label names, not metrics; none has our prefixes
    // except by accident, so the prefix filter below is what keeps them out.
    if (OUR_METRIC.test(n)) names.add(n.replace(HISTOGRAM_SERIES, ''));
  }
  return [...names].sort();
}

/** Every metric an exposition (a /metrics body) declares or samples, histogram series under their base name. */
export function metricNamesInExposition(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const declared = /^# (?:TYPE|HELP) (\S+)/.exec(line);
    const sampled = /^([A-Za-z_:][\w:]*)(?:\{|\s)/.exec(line);
    const n = declared?.[1] ?? sampled?.[1];
    if (n) {
      names.add(n);
      names.add(n.replace(HISTOGRAM_SERIES, ''));
    }
  }
  return names;
}

// ------------------------------------------------------------------------------------------ files

function filesIn(dir: string, suffix: string): string[] {
  const abs = `${ROOT}${dir}`;
  if (!existsSync(abs)) return [];
  return readdirSync(abs)
    .filter((f) => f.endsWith(suffix))
    .sort()
    .map((f) => `${dir}/${f}`);
}

/** The committed Grafana dashboards, parsed, by repository path. */
export function dashboards(): { file: string; json: unknown }[] {
  return filesIn(DASHBOARD_DIR, '.json').map((file) => ({
    file,
    json: JSON.parse(readFileSync(`${ROOT}${file}`, 'utf8')) as unknown,
  }));
}

/** The rules files the local Prometheus loads (scripts/stack/prometheus.sh: rule_files). */
export function ruleSets(): RuleSet[] {
  return filesIn(RULES_DIR, '.rules.yaml').map((file) => readRules(file, readFileSync(`${ROOT}${file}`, 'utf8')));
}

// ------------------------------------------------------------------------------------------ Prometheus

export interface Target {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: 'up' | 'down' | 'unknown';
  lastError: string;
}

export interface RuleState {
  name: string;
  type: 'recording' | 'alerting';
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
}

/** The answer to a query: how many series (or 1 for a scalar or string), or why it failed. */
export type QueryOutcome = { ok: true; series: number } | { ok: false; error: string };

export class Prometheus {
  private parseEndpoint: boolean | undefined;

  constructor(
    readonly url: string,
    readonly promtool: string,
  ) {}

  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Prometheus's JSON, read field by field below
  private async api(path: string, form?: Record<string, string>): Promise<{ status: number; body: any }> {
    const res = await fetch(`${this.url}${path}`, {
      method: form ? 'POST' : 'GET',
      ...(form ? { body: new URLSearchParams(form) } : {}),
    });
    const text = await res.text();
    try {
      return { status: res.status, body: JSON.parse(text) };
    } catch {
      return { status: res.status, body: { status: 'error', error: text.trim() } };
    }
  }

  async query(expr: string): Promise<QueryOutcome> {
    const { body } = await this.api('/api/v1/query', { query: expr });
    if (body.status !== 'success') return { ok: false, error: `${body.errorType ?? 'error'}: ${body.error}` };
    const { resultType, result } = body.data as { resultType: string; result: unknown[] };
    return { ok: true, series: resultType === 'scalar' || resultType === 'string' ? 1 : result.length };
  }

  /**
   * Whether `expr` parses: through /api/v1/parse_query where this Prometheus has it (2.47 and later), else by
   * running it (a parse error fails the query with `bad_data`).
   */
  async parse(expr: string): Promise<QueryOutcome> {
    if (this.parseEndpoint === undefined) {
      this.parseEndpoint = (await this.api('/api/v1/parse_query', { query: 'up' })).status !== 404;
    }
    if (!this.parseEndpoint) return this.query(expr);
    const { body } = await this.api('/api/v1/parse_query', { query: expr });
    return body.status === 'success' ? { ok: true, series: 0 } : { ok: false, error: String(body.error) };
  }

  /** Answers a query variable: how many values it would offer. */
  async lookup(l: VariableLookup): Promise<QueryOutcome> {
    if (l.kind === 'promql') return this.query(l.expr);
    const path =
      l.kind === 'label-names'
        ? '/api/v1/labels'
        : `/api/v1/label/${l.kind === 'label-values' ? l.label : '__name__'}/values`;
    const { body } = await this.api(path);
    if (body.status !== 'success') return { ok: false, error: String(body.error) };
    let values = body.data as string[];
    if (l.kind === 'metric-names') {
      const re = new RegExp(l.regex);
      values = values.filter((v) => re.test(v));
    }
    return { ok: true, series: values.length };
  }

  async targets(): Promise<Target[]> {
    const { body } = await this.api('/api/v1/targets?state=active');
    return body.data.activeTargets as Target[];
  }

  async rules(): Promise<(RuleState & { file: string; group: string })[]> {
    const { body } = await this.api('/api/v1/rules');
    return (body.data.groups as { file: string; name: string; rules: RuleState[] }[]).flatMap((g) =>
      g.rules.map((r) => ({ ...r, file: g.file, group: g.name })),
    );
  }

  /** `promtool check metrics` on an exposition: exit code and what it said (empty when clean). */
  checkMetrics(exposition: string): Promise<{ code: number | null; output: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.promtool, ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code, output: output.trim() }));
      child.stdin.end(exposition);
    });
  }
}
