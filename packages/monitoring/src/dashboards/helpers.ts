import {
  BigValueColorMode,
  BigValueGraphMode,
  GraphThresholdsStyleConfigBuilder,
  GraphThresholdsStyleMode,
  LegendDisplayMode,
  LegendPlacement,
  ReduceDataOptionsBuilder,
  SortOrder,
  StackingConfigBuilder,
  StackingMode,
  TooltipDisplayMode,
  VisibilityMode,
  VizLegendOptionsBuilder,
  VizTooltipOptionsBuilder,
} from '@grafana/grafana-foundation-sdk/common';
import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  RowBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
  type Dashboard,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanelBuilder } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TextPanelBuilder, TextMode } from '@grafana/grafana-foundation-sdk/text';
import { PanelBuilder as TimeseriesPanelBuilder } from '@grafana/grafana-foundation-sdk/timeseries';
import { PIPELINE_METRICS, SCRAPE_LABELS, type MetricDefinition } from '@likepipe/contract';

/**
 * What the LikePipeline dashboards share: the template variables, the label matchers every query starts from,
 * the PromQL shapes (rates over $__rate_interval, quantiles over histogram buckets) and the panel kinds. The
 * dashboard modules only say what to show; everything that makes a dashboard pass the linter is decided here.
 */

/** Every panel and query reads the data source the viewer picks, so no Grafana install's uid is baked in. */
export const DATASOURCE = { type: 'prometheus', uid: '${datasource}' } as const;

/** The Grafana schema these files are written for (what Grafana 12 writes when it saves a dashboard). */
export const SCHEMA_VERSION = 42;

/** The tag all LikePipeline dashboards carry; the links between them select on it. */
export const TAG = 'likepipe';

const { namespace, pipeline, role, instance } = SCRAPE_LABELS;

/**
 * An unlabelled gauge: every pipeline role registers every metric, and prom-client exports an unlabelled gauge
 * from the first scrape, so each scraped process has exactly one series of it to read label values from
 * (a labelled counter has none until it is first incremented).
 */
const PRESENCE = PIPELINE_METRICS.countCacheEntries.name;

/** Matchers of the recorded SLIs: they are summed by namespace and pipeline, so they have no instance. */
export const SLI_MATCHERS = `${namespace}=~"$namespace", ${pipeline}=~"$pipeline"`;
/** Matchers of every raw series. */
export const MATCHERS = `${SLI_MATCHERS}, ${instance}=~"$instance"`;

/** `name{namespace=~"$namespace", pipeline=~"$pipeline", instance=~"$instance", <extra>}` */
export function sel(name: string, extra?: string): string {
  return `${name}{${MATCHERS}${extra ? `, ${extra}` : ''}}`;
}

/** A recorded SLI series with the dashboard's namespace and pipeline. */
export const sli = (name: string) => `${name}{${SLI_MATCHERS}}`;

/** `role="<r>"`, the label the ServiceMonitor copies from the pod. */
export const roleIs = (r: string) => `${role}="${r}"`;

/** rate() over Grafana's $__rate_interval: at least four scrape intervals, so a missed scrape leaves no gap. */
export const rate = (selector: string) => `rate(${selector}[$__rate_interval])`;

type Histogram = MetricDefinition & { readonly type: 'histogram' };
/** The series Prometheus stores for a histogram; only histograms have them, which the type enforces. */
export const bucket = (h: Histogram) => `${h.name}_bucket`;
export const count = (h: Histogram) => `${h.name}_count`;
export const sum = (h: Histogram) => `${h.name}_sum`;

/** `sum by (<by>) (rate(<selector>))`, or the plain sum when `by` is empty. */
export function sumRate(selector: string, by = ''): string {
  return `sum${by ? ` by (${by})` : ''} (${rate(selector)})`;
}

/** The q-quantile of a histogram, per `by`, from the buckets' rates. */
export function quantile(q: number, h: Histogram, extra?: string, by = ''): string {
  return `histogram_quantile(${q}, ${sumRate(sel(bucket(h), extra), by ? `le, ${by}` : 'le')})`;
}

/** The mean observation of a histogram over the interval (e.g. events per flush), per `by`. */
export function mean(h: Histogram, extra?: string, by = ''): string {
  return `${sumRate(sel(sum(h), extra), by)}\n/\n${sumRate(sel(count(h), extra), by)}`;
}

export interface Query {
  readonly expr: string;
  /** Grafana's legend template, e.g. `{{role}}`. */
  readonly legend: string;
}

/** A Grafana unit id (https://grafana.com/docs/grafana/latest/panels-visualizations/configure-standard-options/). */
export type Unit = 'ops' | 'reqps' | 's' | 'percentunit' | 'bytes' | 'short' | 'none';

export interface PanelSpec {
  readonly title: string;
  /** What the panel shows and what a bad value means: the text on-call reads under the (i). */
  readonly description: string;
  readonly unit: Unit;
  readonly queries: readonly Query[];
  /** Grid width (of 24) and height. */
  readonly w?: number;
  readonly h?: number;
  readonly min?: number;
  readonly max?: number;
  /** Values from which the panel turns amber and red (drawn as dashed lines on time series). */
  readonly warn?: number;
  readonly bad?: number;
  /** When low values are the bad ones (availability, budget left): red below `bad`, amber below `warn`. */
  readonly lowIsBad?: boolean;
  readonly stack?: boolean;
  /**
   * One evaluation at the end of the range instead of one per step: for stats over long windows (30 days of
   * SLI), where a range query would evaluate the whole window again at every step.
   */
  readonly instant?: boolean;
}

function targets(spec: PanelSpec): DataqueryBuilder[] {
  return spec.queries.map((q, i) => {
    const t = new DataqueryBuilder()
      .datasource(DATASOURCE)
      .refId(String.fromCharCode(65 + i))
      .expr(q.expr)
      .legendFormat(q.legend);
    return spec.instant ? t.instant() : t.range();
  });
}

function thresholds(spec: PanelSpec): ThresholdsConfigBuilder {
  if (spec.lowIsBad) {
    const low: { value: number | null; color: string }[] = [{ value: null, color: 'red' }];
    if (spec.bad !== undefined) low.push({ value: spec.bad, color: 'orange' });
    if (spec.warn !== undefined) low.push({ value: spec.warn, color: 'green' });
    return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(low);
  }
  const steps: { value: number | null; color: string }[] = [{ value: null, color: 'green' }];
  if (spec.warn !== undefined) steps.push({ value: spec.warn, color: 'orange' });
  if (spec.bad !== undefined) steps.push({ value: spec.bad, color: 'red' });
  return new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps(steps);
}

/** The builder methods both panel kinds share, applied once. */
function common<P extends TimeseriesPanelBuilder | StatPanelBuilder>(p: P, spec: PanelSpec): P {
  p.title(spec.title)
    .description(spec.description)
    .datasource(DATASOURCE)
    .unit(spec.unit)
    .span(spec.w ?? 12)
    .height(spec.h ?? 8)
    .thresholds(thresholds(spec));
  for (const t of targets(spec)) p.withTarget(t);
  if (spec.min !== undefined) p.min(spec.min);
  if (spec.max !== undefined) p.max(spec.max);
  return p;
}

export function timeseries(spec: PanelSpec): TimeseriesPanelBuilder {
  const p = common(new TimeseriesPanelBuilder(), spec)
    .legend(
      new VizLegendOptionsBuilder()
        .showLegend(true)
        .displayMode(LegendDisplayMode.List)
        .placement(LegendPlacement.Bottom)
        .calcs([]),
    )
    .tooltip(new VizTooltipOptionsBuilder().mode(TooltipDisplayMode.Multi).sort(SortOrder.Descending))
    .fillOpacity(spec.stack ? 30 : 10)
    .showPoints(VisibilityMode.Never)
    .spanNulls(false);
  if (spec.warn !== undefined || spec.bad !== undefined) {
    p.thresholdsStyle(new GraphThresholdsStyleConfigBuilder().mode(GraphThresholdsStyleMode.Dashed));
  }
  if (spec.stack) p.stacking(new StackingConfigBuilder().mode(StackingMode.Normal).group('A'));
  return p;
}

export function stat(spec: PanelSpec): StatPanelBuilder {
  return (
    common(new StatPanelBuilder(), { w: 6, h: 5, ...spec })
      .reduceOptions(new ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
      .colorMode(BigValueColorMode.Background)
      // An instant query has one point: nothing to draw a sparkline from.
      .graphMode(spec.instant ? BigValueGraphMode.None : BigValueGraphMode.Area)
  );
}

export interface TextSpec {
  readonly title: string;
  readonly description: string;
  readonly markdown: string;
  readonly w?: number;
  readonly h?: number;
}

export function text(spec: TextSpec): TextPanelBuilder {
  return new TextPanelBuilder()
    .title(spec.title)
    .description(spec.description)
    .mode(TextMode.Markdown)
    .content(spec.markdown)
    .span(spec.w ?? 24)
    .height(spec.h ?? 6);
}

type AnyPanel = TimeseriesPanelBuilder | StatPanelBuilder | TextPanelBuilder;
export interface Section {
  readonly row: string;
  readonly panels: readonly AnyPanel[];
}

function labelVariable(name: string, label: string, matchers: string, description: string): QueryVariableBuilder {
  const query = `label_values(${PRESENCE}${matchers ? `{${matchers}}` : ''}, ${name})`;
  return (
    new QueryVariableBuilder(name)
      .label(label)
      .description(description)
      .datasource(DATASOURCE)
      .query(query)
      .definition(query)
      .refresh(VariableRefresh.OnTimeRangeChanged)
      .sort(VariableSort.AlphabeticalAsc)
      .multi(true)
      .includeAll(true)
      // `.*` rather than Grafana's list of every value: the list would be cut off at a few hundred pods.
      .allValue('.*')
      .current({ selected: true, text: ['All'], value: ['$__all'] })
  );
}

/**
 * The variables of every dashboard: data source, then namespace → pipeline → (role) → instance, each narrowing
 * the next. The role variable is for the dashboards that compare processes across roles.
 */
export function variables(withRole = false) {
  const scoped = `${namespace}=~"$namespace", ${pipeline}=~"$pipeline"`;
  return [
    new DatasourceVariableBuilder('datasource')
      .label('Data source')
      .description('The Prometheus that scrapes the pipeline (with the recording rules loaded).')
      .type('prometheus'),
    labelVariable(namespace, 'Namespace', '', 'Kubernetes namespace of the LikePipeline.'),
    labelVariable(pipeline, 'Pipeline', `${namespace}=~"$namespace"`, 'Name of the LikePipeline resource.'),
    ...(withRole ? [labelVariable(role, 'Role', scoped, 'Pipeline role (like-api, truth-writer, ...).')] : []),
    labelVariable(
      instance,
      'Instance',
      withRole ? `${scoped}, ${role}=~"$role"` : scoped,
      'Scraped process (pod address); SLI panels are per pipeline and ignore it.',
    ),
  ];
}

export interface DashboardSpec {
  readonly uid: string;
  readonly title: string;
  readonly description: string;
  readonly tags: readonly string[];
  readonly sections: readonly Section[];
  readonly roleVariable?: boolean;
}

/**
 * The dashboard as Grafana's JSON model. Rows stay expanded, with their panels after them at the top level (the
 * way Grafana stores an open row); panel ids are numbered in order so they never change between generations.
 */
export function dashboard(spec: DashboardSpec): Dashboard {
  const b = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([TAG, ...spec.tags])
    .refresh('30s')
    .time({ from: 'now-3h', to: 'now' })
    .timezone('browser')
    .tooltip(DashboardCursorSync.Crosshair)
    .editable()
    .link(
      new DashboardLinkBuilder('LikePipeline')
        .type(DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true)
        .icon('external link')
        .tooltip('The other LikePipeline dashboards')
        .targetBlank(false),
    );
  for (const v of variables(spec.roleVariable)) b.withVariable(v);
  for (const section of spec.sections) {
    b.withRow(new RowBuilder(section.row).collapsed(false));
    for (const p of section.panels) b.withPanel(p);
  }
  const d = b.build();
  d.schemaVersion = SCHEMA_VERSION;
  d.annotations = { list: [] };
  layout(d.panels ?? []);
  return d;
}

/**
 * Ids in order, and positions: panels fill the 24-column grid left to right and wrap when the next one does not
 * fit (the SDK's own placement lets a wide panel run past the edge); a row starts below everything above it.
 */
function layout(panels: NonNullable<Dashboard['panels']>): void {
  let x = 0;
  let y = 0;
  let rowHeight = 0;
  panels.forEach((p, i) => {
    p.id = i + 1;
    const pos = p.gridPos ?? { x: 0, y: 0, w: 24, h: 8 };
    if (p.type === 'row' || x + pos.w > 24) {
      y += rowHeight;
      x = 0;
      rowHeight = 0;
    }
    p.gridPos = { ...pos, x, y };
    x += pos.w;
    rowHeight = Math.max(rowHeight, pos.h);
    if (p.type === 'row') x = 24;
  });
}

/** Object keys sorted at every level, so a regenerated file only differs where the dashboard changed. */
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.keys(v)
        .sort()
        .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
    );
  }
  return v;
}

/** The committed file's text: pretty, stable key order, newline at the end. */
export const render = (d: Dashboard) => `${JSON.stringify(sortKeys(d), null, 2)}\n`;
