import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { internals } from './internals.js';
import { overview } from './overview.js';
import { processes } from './processes.js';

/** Every dashboard the chart ships, in the order the README lists them. */
export const DASHBOARDS: readonly (() => Dashboard)[] = [overview, internals, processes];

/** The file a dashboard is written to, under charts/likepipe-operator/dashboards/. */
export const fileName = (d: Dashboard) => `${d.uid}.json`;

export { render } from './helpers.js';
