#!/usr/bin/env node
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { LikePipeError } from '@likepipe/contract';
import { createSigner } from 'fast-jwt';
import { Auditor } from './audit.js';
import { UsageError } from './errors/index.js';
import { Ledger } from './ledger.js';
import { renderReport } from './report-html.js';
import { renderConsoleSummary } from './report-text.js';
import { runScenario } from './run.js';
import { loadScenario } from './scenario.js';
import { readStackEnv } from './stack.js';

const USAGE = `usage:
  likepipe-loadtest run <scenario|file.json>... [--short] [--results DIR]
      runs a scenario against the stack of LIKEPIPE_ENV_FILE (default .likepipe/local.env); a second like-API
      the chaos schedule may stop is LIKEPIPE_API_URL_B (process name like-api-b). Writes the JSON summary,
      the HTML report and the ledger to DIR (default loadtest/results); exits 1 if a threshold failed.
  likepipe-loadtest audit --k6-ledger FILE
      holds that stack's Postgres and API to a k6 run's ledger (k6 run --out json=FILE); exits 1 on a loss.`;

const ROOT = new URL('../../', import.meta.url);

async function main(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      short: { type: 'boolean', default: false },
      results: { type: 'string' },
      'k6-ledger': { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  const [command, scenarioName] = positionals;
  if (values.help || !command) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const envFile = process.env.LIKEPIPE_ENV_FILE ?? new URL('.likepipe/local.env', ROOT).pathname;
  const env = readStackEnv(envFile, []);
  const log = (line: string) => process.stderr.write(`${line}\n`);

  if (command === 'audit') {
    const file = values['k6-ledger'];
    if (!file) throw new UsageError('audit needs --k6-ledger FILE (the output of k6 run --out json=FILE)');
    const ledger = await Ledger.read(file);
    const posts = [...ledger.posts()];
    if (posts.length === 0) throw new UsageError(`${file} holds no loadtest_acked points: nothing to audit`);
    const token = createSigner({ key: env.jwtSecret, algorithm: 'HS256', expiresIn: 3600_000 })({
      sub: 'loadtest-auditor',
    });
    const auditor = new Auditor(env.databaseUrl, env.apiUrls[0]!, token, env.reconcileIntervalMs);
    const audit = await auditor.audit(ledger, posts, 0, 0);
    await auditor.close();
    console.log(
      [
        `ledger ${file}: ${audit.acknowledgedLikes} likes and ${audit.acknowledgedUnlikes} unlikes acknowledged on ${posts.length} posts`,
        `Postgres quiet after ${audit.quietAfterS.toFixed(1)} s`,
        `expected rows ${audit.expectedRows}; missing (lost likes) ${audit.missing}; unlikes lost ${audit.unlikesLost}; rows nobody was told about ${audit.unacknowledgedRows}`,
        `posts with like_count ≠ rows: ${audit.countMismatches.length}; posts the API counts wrong: ${audit.apiMismatches.length}`,
        audit.ok ? 'AUDIT OK' : 'AUDIT FAILED',
      ].join('\n'),
    );
    return audit.ok ? 0 : 1;
  }

  if (command !== 'run' || !scenarioName) throw new UsageError(USAGE);
  // Every scenario is loaded (and checked) before the first one runs.
  const scenarios = positionals.slice(1).map((n) => loadScenario(n, values.short ? 'short' : 'full'));
  const resultsDir = resolve(values.results ?? new URL('loadtest/results', ROOT).pathname);
  mkdirSync(resultsDir, { recursive: true });
  const urlB = process.env.LIKEPIPE_API_URL_B;
  let failed = 0;
  for (const scenario of scenarios) {
    const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
    const base = `${resultsDir}/${scenario.name}${scenario.profile === 'short' ? '-short' : ''}-${stamp}`;
    log(`▶ ${scenario.name} (${scenario.profile}): ${scenario.description}`);
    const summary = await runScenario(scenario, {
      env,
      secondApi: urlB ? { name: process.env.LIKEPIPE_API_B_NAME ?? 'like-api-b', url: urlB } : null,
      ledgerFile: `${base}.ledger.ndjson`,
      progress: log,
    });
    writeFileSync(`${base}.json`, `${JSON.stringify(summary, null, 2)}\n`);
    writeFileSync(`${base}.html`, renderReport(summary));
    console.log(renderConsoleSummary(summary));
    console.log(`summary ${base}.json\nreport  ${base}.html\nledger  ${base}.ledger.ndjson`);
    console.log(`${scenario.name}: ${summary.pass ? 'PASS' : 'FAIL'}`);
    if (!summary.pass) failed++;
  }
  return failed === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof LikePipeError) console.error(`likepipe-loadtest: ${err.message}`);
    else console.error(err);
    process.exit(2);
  },
);
