import { readFileSync } from 'node:fs';
import { renderReport } from '../report-html.js';
import type { RunSummary } from '../summary.js';

/**
 * Renders a saved run summary again, e.g. after changing the report:
 *   node loadtest/dist/cli/render-report.js loadtest/results/failover-….json > report.html
 * The summary is trusted to be one this package wrote; it is not validated beyond being JSON.
 */
const [file] = process.argv.slice(2);
if (!file) {
  console.error('usage: render-report.js <summary.json> > report.html');
  process.exit(2);
}
const summary = JSON.parse(readFileSync(file, 'utf8')) as RunSummary;
process.stdout.write(renderReport(summary));
