import { PIPELINE_METRICS, PROCESS_METRICS, SCRAPE_LABELS } from '@likepipe/contract';
import { SLI } from '../rules/recording.js';
import { SLI_WINDOWS } from '../slo.js';

/**
 * The rules every LikePipeline dashboard must pass, in the spirit of grafana/dashboard-linter, over the JSON that
 * is committed (so a hand edit is checked as strictly as generated output). Each rule returns messages that name
 * the dashboard, the panel and what is wrong; an empty list is a pass.
 */

/** The dashboard JSON as far as the rules read it; everything else passes through untouched. */
export interface JsonPanel {
  id?: number;
  type?: string;
  title?: string;
  description?: string;
  datasource?: unknown;
  targets?: { expr?: string; refId?: string; datasource?: unknown }[];
  fieldConfig?: { defaults?: { unit?: string }; overrides?: unknown[] };
  panels?: JsonPanel[];
}
export interface JsonDashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  tags?: string[];
  refresh?: string;
  timepicker?: Record<string, unknown>;
  templating?: { list?: { name?: string; type?: string; query?: unknown; datasource?: unknown }[] };
  panels?: JsonPanel[];
}

export const REQUIRED_SCHEMA_VERSION = 42;
/** The variables every dashboard filters by, besides the data source. */
export const REQUIRED_VARIABLES = [SCRAPE_LABELS.namespace, SCRAPE_LABELS.pipeline, SCRAPE_LABELS.instance];
const DS_UID = '${datasource}';
/** Panels that show no query data and so need no unit or data source. */
const STATIC_PANELS = new Set(['row', 'text']);
const RATE_FUNCTIONS = new Set(['rate', 'increase', 'irate']);
/** PromQL words that look like metric names but are not (aggregations may be followed by `by (...)`). */
const KEYWORDS = new Set(
  [
    ...['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'and', 'or', 'unless', 'offset'],
    ...['inf', 'nan', 'sum', 'min', 'max', 'avg', 'count', 'group', 'stddev', 'stdvar', 'topk', 'bottomk'],
    ...['quantile', 'count_values', 'limitk', 'limit_ratio'],
  ].map((w) => w.toLowerCase()),
);
const LABEL_LIST_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);

/** Every series name a dashboard may read: the contract's metrics (histograms by their series) and the SLIs. */
export function knownSeries(): Set<string> {
  const names = new Set<string>();
  for (const m of Object.values(PIPELINE_METRICS)) {
    if (m.type === 'histogram') for (const s of ['_bucket', '_count', '_sum']) names.add(m.name + s);
    else names.add(m.name);
  }
  for (const n of Object.values(PROCESS_METRICS)) names.add(n);
  // prom-client's GC metric is a histogram; the contract names it by its base name.
  for (const s of ['_bucket', '_count', '_sum']) names.add(PROCESS_METRICS.gcDuration + s);
  for (const w of SLI_WINDOWS) for (const f of Object.values(SLI)) names.add(f(w));
  return names;
}

/** Counters and histogram series: meaningless as raw values, so they belong inside rate()/increase()/irate(). */
export const isCounterSeries = (name: string) => /_(total|bucket|count|sum)$/.test(name);

export interface Selector {
  metric: string;
  /** The text between the braces, '' when there are none. */
  matchers: string;
  /** The innermost function the selector is an argument of ('' for none or plain parentheses). */
  enclosing: string;
}

/** String literals blanked out (same length), so names inside "..." are never taken for metrics. */
function blankStrings(expr: string): string {
  return expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, (s) => `"${' '.repeat(s.length - 2)}"`);
}

/**
 * The metric selectors of a PromQL expression, found with a small scanner rather than a full parser: it skips
 * label matchers, range and subquery brackets, and the label lists after by/without/on/ignoring/group_*.
 */
export function selectors(expr: string): Selector[] {
  const text = blankStrings(expr);
  const out: Selector[] = [];
  const calls: string[] = [];
  let i = 0;
  let skipNextParen = false;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '{') {
      i = text.indexOf('}', i) + 1 || text.length;
      continue;
    }
    if (c === '[') {
      i = text.indexOf(']', i) + 1 || text.length;
      continue;
    }
    if (c === '(') {
      if (skipNextParen) {
        i = text.indexOf(')', i) + 1 || text.length;
        skipNextParen = false;
        continue;
      }
      calls.push('');
      i++;
      continue;
    }
    if (c === ')') {
      calls.pop();
      i++;
      continue;
    }
    const word = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(text.slice(i))?.[0];
    if (!word) {
      i++;
      continue;
    }
    // A word right after a digit is a duration or number suffix (5m, 1e3), never a name.
    if (i > 0 && /[0-9.]/.test(text[i - 1]!)) {
      i += word.length;
      continue;
    }
    let j = i + word.length;
    while (text[j] === ' ' || text[j] === '\n' || text[j] === '\t') j++;
    if (LABEL_LIST_KEYWORDS.has(word)) {
      skipNextParen = text[j] === '(';
    } else if (text[j] === '(') {
      calls.push(word);
      i = j + 1;
      continue;
    } else if (!KEYWORDS.has(word.toLowerCase())) {
      const matchers = text[j] === '{' ? expr.slice(j + 1, text.indexOf('}', j)) : '';
      out.push({ metric: word, matchers, enclosing: calls.at(-1) ?? '' });
    }
    i += word.length;
  }
  return out;
}

/** The text of each rate()/increase()/irate() call's argument. */
function rateCalls(expr: string): { fn: string; arg: string }[] {
  const out: { fn: string; arg: string }[] = [];
  for (const m of expr.matchAll(/\b(rate|increase|irate)\s*\(/g)) {
    let depth = 1;
    let j = m.index + m[0].length;
    const start = j;
    while (j < expr.length && depth > 0) {
      if (expr[j] === '(') depth++;
      if (expr[j] === ')') depth--;
      j++;
    }
    out.push({ fn: m[1]!, arg: expr.slice(start, j - 1) });
  }
  return out;
}

/** Every panel, rows' nested panels included. */
export function allPanels(d: JsonDashboard): JsonPanel[] {
  return (d.panels ?? []).flatMap((p) => [p, ...(p.panels ?? [])]);
}

const usesVariable = (ds: unknown) => typeof ds === 'object' && ds !== null && (ds as { uid?: unknown }).uid === DS_UID;

/** Problems with one PromQL expression (a target's or a variable's). */
export function lintExpr(expr: string, where: string, known = knownSeries()): string[] {
  const problems: string[] = [];
  if (!expr.trim()) return [`${where}: empty query`];
  for (const s of selectors(expr)) {
    if (!known.has(s.metric)) problems.push(`${where}: ${s.metric} is not a metric of the contract or a recorded SLI`);
    if (isCounterSeries(s.metric) && !RATE_FUNCTIONS.has(s.enclosing)) {
      problems.push(`${where}: counter ${s.metric} outside rate()/increase()/irate()`);
    }
  }
  for (const { fn, arg } of rateCalls(expr)) {
    if (!/\[\$__rate_interval\]\s*$/.test(arg)) problems.push(`${where}: ${fn}() without [$__rate_interval]`);
  }
  return problems;
}

/** Every rule over one dashboard. */
export function lintDashboard(d: JsonDashboard): string[] {
  const name = d.uid ?? d.title ?? '(no uid)';
  const problems: string[] = [];
  const known = knownSeries();
  if (!d.uid || !/^[a-z0-9-]{1,40}$/.test(d.uid)) problems.push(`${name}: uid must be set, [a-z0-9-], at most 40`);
  if (d.schemaVersion !== REQUIRED_SCHEMA_VERSION) {
    problems.push(`${name}: schemaVersion ${d.schemaVersion}, want ${REQUIRED_SCHEMA_VERSION}`);
  }
  if (!d.tags?.length) problems.push(`${name}: no tags`);
  if (!d.refresh) problems.push(`${name}: no refresh interval`);
  // Dropped by the schema 41 migration; a file carrying it was saved by an older Grafana.
  if (d.timepicker && 'time_options' in d.timepicker) problems.push(`${name}: timepicker.time_options (pre-41)`);

  const vars = d.templating?.list ?? [];
  const ds = vars.find((v) => v.type === 'datasource');
  if (!ds || ds.name !== 'datasource' || ds.query !== 'prometheus') {
    problems.push(`${name}: no datasource variable named "datasource" of type prometheus`);
  }
  for (const want of REQUIRED_VARIABLES) {
    if (!vars.some((v) => v.name === want && v.type === 'query')) problems.push(`${name}: no ${want} variable`);
  }
  for (const v of vars.filter((x) => x.type === 'query')) {
    const where = `${name} variable ${v.name}`;
    if (!usesVariable(v.datasource)) problems.push(`${where}: datasource is not \${datasource}`);
    const q = typeof v.query === 'string' ? v.query : ((v.query as { query?: string } | undefined)?.query ?? '');
    const inner = /^label_values\((.*),\s*[a-z_]+\)$/.exec(q)?.[1];
    if (!inner) problems.push(`${where}: not a label_values() query`);
    else problems.push(...lintExpr(inner, where, known));
  }

  const ids = new Set<number>();
  for (const p of allPanels(d)) {
    const where = `${name} panel "${p.title ?? p.id}"`;
    if (typeof p.id !== 'number') problems.push(`${where}: no id`);
    else if (ids.has(p.id)) problems.push(`${where}: duplicate id ${p.id}`);
    else ids.add(p.id);
    if (p.type === 'row') continue;
    if (!p.description?.trim()) problems.push(`${where}: no description`);
    if (STATIC_PANELS.has(p.type ?? '')) continue;
    if (!p.fieldConfig?.defaults?.unit) problems.push(`${where}: no unit`);
    if (!usesVariable(p.datasource)) problems.push(`${where}: datasource is not \${datasource}`);
    for (const o of p.fieldConfig?.overrides ?? []) {
      // Schema 42 hides a series from the tooltip wherever it is hidden from the graph.
      for (const prop of (o as { properties?: { id?: string; value?: { viz?: boolean; tooltip?: boolean } }[] })
        .properties ?? []) {
        if (prop.id === 'custom.hideFrom' && prop.value?.viz && !prop.value.tooltip) {
          problems.push(`${where}: hideFrom.viz without hideFrom.tooltip (schema 42)`);
        }
      }
    }
    if (!p.targets?.length) problems.push(`${where}: no targets`);
    for (const t of p.targets ?? []) {
      const tw = `${where} target ${t.refId ?? '?'}`;
      if (!usesVariable(t.datasource)) problems.push(`${tw}: datasource is not \${datasource}`);
      const expr = t.expr ?? '';
      problems.push(...lintExpr(expr, tw, known));
      for (const s of selectors(expr)) {
        for (const label of [SCRAPE_LABELS.namespace, SCRAPE_LABELS.pipeline]) {
          if (!s.matchers.includes(`${label}=~"$${label}"`)) {
            problems.push(`${tw}: ${s.metric} not filtered by ${label}=~"$${label}"`);
          }
        }
      }
    }
  }
  return problems;
}
