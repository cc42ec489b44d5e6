import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARDS, fileName, render } from '../dashboards/all.js';
import { withPanelTables } from '../dashboards/docs.js';
import { lintDashboard } from '../dashboards/lint.js';

/**
 * `npm run gen:dashboards`: writes every dashboard's JSON into the given directory (the chart's dashboards/,
 * which the chart ships as ConfigMaps and users import by hand) and, when a README is named, its panel tables.
 * A dashboard that breaks a lint rule is not written, so a broken file never reaches the chart; JSON files of
 * dashboards that no longer exist are removed.
 */
const [dir, readme] = process.argv.slice(2);
if (!dir) {
  console.error('usage: gen-dashboards <output directory> [README with panel-table markers]');
  process.exit(2);
}
const built = DASHBOARDS.map((make) => make());
const problems = built.flatMap((d) => lintDashboard(d as never));
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
mkdirSync(dir, { recursive: true });
const wanted = new Set(built.map(fileName));
for (const f of readdirSync(dir)) if (f.endsWith('.json') && !wanted.has(f)) rmSync(join(dir, f));
for (const d of built) {
  writeFileSync(join(dir, fileName(d)), render(d));
  console.log(join(dir, fileName(d)));
}
if (readme) {
  writeFileSync(readme, withPanelTables(readFileSync(readme, 'utf8'), built));
  console.log(readme);
}
