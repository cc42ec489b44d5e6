import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunSummary } from '@likepipe/loadtest/summary.js';

/**
 * The short hot-post and failover load tests, run as a user runs them (`npm run loadtest -- hot-post failover
 * --short`): a private stack with 3 Kafka brokers and two like-API processes, the project's runner, the chaos
 * schedule. Asserted is what does not depend on this machine's speed: nothing acknowledged lost or doubled,
 * every count right, every fault injected and recovered within its error window, 503 and never 500 while Kafka
 * fails over, and the batching bound. Rates and latencies are printed, not asserted.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const results = mkdtempSync(join(tmpdir(), 'likepipe-loadtest-'));
let output = '';
let exitCode: number | null = null;

beforeAll(async () => {
  // The loadtest stack is its own: none of the test stack's settings (ports, state, tuned intervals, trace
  // endpoint, one broker) may leak into it. The tool cache is shared.
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if ((k.startsWith('LIKEPIPE_') && k !== 'LIKEPIPE_CACHE') || k.startsWith('OTEL_')) continue;
    env[k] = v;
  }
  const offset = Number(process.env.LIKEPIPE_TEST_OFFSET ?? 100) + 450;
  Object.assign(env, {
    LIKEPIPE_LOADTEST_NAME: 'test-loadtest',
    LIKEPIPE_LOADTEST_OFFSET: String(offset),
    LIKEPIPE_KAFKA_BROKERS: '3',
  });
  const child = spawn('bash', ['scripts/loadtest.sh', 'hot-post', 'failover', '--short', '--results', results], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  exitCode = await new Promise<number | null>((resolve) => child.on('close', resolve));
  // What a person reads after `npm run loadtest`: the tables and verdicts, here in the test log.
  console.log(
    output
      .split('\n')
      .filter((l) => !/^\s*\d+ s {2}/.test(l))
      .slice(-120)
      .join('\n'),
  );
}, 1_200_000);

function summary(scenario: string): RunSummary {
  const file = readdirSync(results).find((f) => f.startsWith(`${scenario}-short-`) && f.endsWith('.json'));
  if (!file) throw new Error(`no ${scenario} summary in ${results}; the run printed:\n${output.slice(-4_000)}`);
  return JSON.parse(readFileSync(join(results, file), 'utf8')) as RunSummary;
}

function expectNothingLost(s: RunSummary): void {
  expect(s.audit.acknowledgedLikes).toBeGreaterThan(0);
  expect({
    missing: s.audit.missing,
    unlikesLost: s.audit.unlikesLost,
    countMismatches: s.audit.countMismatches,
    apiMismatches: s.audit.apiMismatches,
    replayMismatches: s.audit.replayMismatches,
  }).toEqual({ missing: 0, unlikesLost: 0, countMismatches: [], apiMismatches: [], replayMismatches: 0 });
  // The ledger holds every acknowledged action, one line each.
  const ledger = readdirSync(results).find(
    (f) => f.startsWith(`${s.scenario}-short-`) && f.endsWith('.ledger.ndjson'),
  )!;
  const lines = readFileSync(join(results, ledger), 'utf8').trim().split('\n');
  expect(lines).toHaveLength(s.audit.acknowledgedLikes + s.audit.acknowledgedUnlikes);
  const batching = s.thresholds.find((t) => t.name === 'Postgres transactions per 1,000 likes')!;
  expect(batching.pass).toBe(true);
  // Never a 500, whatever broke.
  expect(s.timeline.filter((sec) => Object.keys(sec.statuses).some((k) => k.startsWith('5') && k !== '503'))).toEqual(
    [],
  );
  const html = readFileSync(join(results, ledger.replace('.ledger.ndjson', '.html')), 'utf8');
  expect(html.match(/<svg/g)?.length).toBe(4);
}

describe('npm run loadtest -- hot-post failover --short', () => {
  it('exits with its verdict (0 pass, 1 a threshold failed), not a crash', () => {
    expect([0, 1]).toContain(exitCode);
  });

  it('hot-post: steps up to saturation, holds, and loses nothing', () => {
    const s = summary('hot-post');
    expectNothingLost(s);
    expect(s.saturation).not.toBeNull();
    expect(s.phases.map((p) => p.name)).toEqual(expect.arrayContaining(['warm-up', 'steps-1', 'hold']));
    expect(s.phases.find((p) => p.name === 'hold')!.arrivals).toBeGreaterThan(0);
  });

  it('failover: every fault injected and recovered within its error window, nothing acknowledged lost', () => {
    const s = summary('failover');
    expectNothingLost(s);
    expect(s.target.kafkaBrokers).toBe(3);
    expect(s.chaos.map((c) => c.fault)).toEqual([
      'kill-redis-master',
      'kill-kafka-leader',
      'kill-truth-writer',
      'restart-postgres',
      'stop-like-api',
    ]);
    for (const c of s.chaos) {
      expect({ fault: c.fault, target: c.target }).not.toEqual({
        fault: c.fault,
        target: expect.stringMatching(/FAILED/),
      });
      expect({ fault: c.fault, recovered: c.recoveredAtS !== null }).toEqual({ fault: c.fault, recovered: true });
      expect({ fault: c.fault, window: c.errorWindowS <= c.maxErrorWindowS }).toEqual({ fault: c.fault, window: true });
      // While a partition has no leader the like-API says 503 (Retry-After), nothing else.
      expect(Object.keys(c.statuses).filter((k) => k !== '503')).toEqual([]);
    }
  });
});
