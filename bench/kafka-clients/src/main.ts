/**
 * `npm run bench -- kafka-clients` (scripts/bench.sh starts Kafka on a private stack, then this): runs every
 * phase for every client, each measurement in a child process of its own, one at a time; prints a Markdown table
 * and writes the whole result to bench/results/kafka-clients-<time>.json (after each phase, so a failure late in
 * the run keeps what was measured). KC_PHASES and KC_CLIENTS (comma lists) narrow a run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { Harness } from './harness.ts';
import { BATCHER } from './load.ts';
import { installedBytes, PACKAGES, upkeep } from './packages.ts';
import { renderTable } from './table.ts';
import { CLIENT_NAMES, type ClientName } from './types.ts';

const HERE = import.meta.dirname;
const PKG_DIR = join(HERE, '..');
const ROOT = join(PKG_DIR, '..', '..');
const KAFKA_SCRIPT = join(ROOT, 'scripts', 'stack', 'kafka.sh');
const PARTITIONS = 12;
const RATE = Number(process.env.KC_RATE ?? 2_000);
const CONSUME_EVENTS = Number(process.env.KC_CONSUME_EVENTS ?? 200_000);
const PHASES = (process.env.KC_PHASES ?? 'produce,consume,rebalance,broker-loss').split(',');
const CLIENTS = (process.env.KC_CLIENTS ?? CLIENT_NAMES.join(',')).split(',') as ClientName[];

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
if (brokers.length === 0) throw new Error('KAFKA_BROKERS is not set (run through npm run bench -- kafka-clients)');
const harness = new Harness(brokers);
const stamp = new Date().toISOString().replace(/[:.]/g, '').slice(0, 15);
const run = Date.now().toString(36);

type Result = Record<string, unknown>;
const resumed = process.env.KC_RESUME ? (JSON.parse(readFileSync(process.env.KC_RESUME, 'utf8')) as Result) : undefined;
const results: Result = resumed ?? {
  benchmark: 'kafka-clients',
  issue: 13,
  date: new Date().toISOString(),
  machine: { cores: cpus().length, load1_at_start: loadavg()[0] },
  kafka: {
    brokers: brokers.length,
    replication: brokers.length,
    min_insync_replicas: brokers.length >= 3 ? 2 : 1,
    partitions: PARTITIONS,
  },
  batcher: BATCHER,
  notes:
    'CPU is process CPU time (user+system, every thread) per event, steady on a shared machine; events/s and latencies depend on what else ran.',
  build: readBuildInfo(),
  clients: {} as Record<string, Result>,
};
const clientResults = results.clients as Record<string, Result>;
const outDir = join(ROOT, 'bench', 'results');
mkdirSync(outDir, { recursive: true });
const outFile = process.env.KC_RESUME ?? join(outDir, `kafka-clients-${stamp}.json`);
if (resumed) {
  const runs = (results.resumed as string[] | undefined) ?? [];
  runs.push(`${new Date().toISOString()} ${PHASES.join(',')}`);
  results.resumed = runs;
}
const save = () => writeFileSync(outFile, `${JSON.stringify(results, null, 2)}\n`);

function readBuildInfo(): unknown {
  const modules = realpathSync(join(PKG_DIR, 'node_modules'));
  const file = join(dirname(modules), 'build-info.json');
  return existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : null;
}

function slot(client: string): Result {
  return (clientResults[client] ??= {});
}

/** Runs one measurement in a child process; its stderr passes through, its last stdout line is the result. */
function measure(phase: string, client: ClientName, args: object, timeoutMs: number): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--no-warnings', join(HERE, 'child.ts'), phase, client, JSON.stringify(args)],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: process.env,
      },
    );
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(last) as Result);
      } catch {
        resolve({ error: `exit ${code ?? signal}: ${out.trim().slice(-400)}` });
      }
    });
  });
}

function log(msg: string): void {
  console.error(`[kafka-clients] ${new Date().toISOString().slice(11, 19)} ${msg}`);
}

for (const c of CLIENTS) {
  if (c === 'none') continue;
  const name = PACKAGES[c];
  const pinned = (
    JSON.parse(readFileSync(join(PKG_DIR, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }
  ).dependencies[name]!;
  slot(c).package = { name, install_bytes: installedBytes(PKG_DIR, name), upkeep: upkeep(name, pinned) };
}
save();

if (PHASES.includes('produce')) {
  for (const c of ['none', ...CLIENTS] as ClientName[]) {
    const topic = `kc-produce-${c}-${run}`;
    await harness.createTopic(topic, PARTITIONS);
    log(`produce ${c}: ${RATE}/s for 20 s`);
    slot(c).produce_fixed = await measure(
      'produce',
      c,
      { topic, rate: RATE, concurrency: 0, warmupMs: 3_000, windowMs: 20_000 },
      120_000,
    );
    log(`produce ${c}: ${JSON.stringify(slot(c).produce_fixed)}`);
    log(`produce ${c}: closed loop, 4,000 outstanding, 10 s`);
    slot(c).produce_max = await measure(
      'produce',
      c,
      { topic, rate: 0, concurrency: 4_000, warmupMs: 3_000, windowMs: 10_000 },
      120_000,
    );
    log(`produce ${c}: ${JSON.stringify(slot(c).produce_max)}`);
    if (c === 'confluent') {
      // librdkafka batches by itself: also measured with a send() per event, without our batcher.
      slot(c).produce_fixed_direct = await measure(
        'produce',
        c,
        { topic, rate: RATE, concurrency: 0, warmupMs: 3_000, windowMs: 20_000, direct: true },
        120_000,
      );
      log(`produce ${c} direct: ${JSON.stringify(slot(c).produce_fixed_direct)}`);
      slot(c).produce_max_direct = await measure(
        'produce',
        c,
        { topic, rate: 0, concurrency: 4_000, warmupMs: 3_000, windowMs: 10_000, direct: true },
        120_000,
      );
      log(`produce ${c} direct: ${JSON.stringify(slot(c).produce_max_direct)}`);
    }
    save();
  }
}

if (PHASES.includes('consume')) {
  const topic = `kc-consume-${run}`;
  await harness.createTopic(topic, PARTITIONS);
  log(`pre-filling ${topic} with ${CONSUME_EVENTS} events`);
  await harness.prefill(topic, CONSUME_EVENTS);
  for (const c of CLIENTS) {
    log(`consume ${c}`);
    slot(c).consume = await measure(
      'consume',
      c,
      { topic, group: `kc-${c}-${run}`, expected: CONSUME_EVENTS, timeoutMs: 240_000 },
      300_000,
    );
    log(`consume ${c}: ${JSON.stringify(slot(c).consume)}`);
    save();
  }
}

if (PHASES.includes('rebalance')) {
  for (const c of CLIENTS) {
    const topic = `kc-rebalance-${c}-${run}`;
    await harness.createTopic(topic, PARTITIONS);
    log(`rebalance ${c}`);
    slot(c).rebalance = await measure(
      'rebalance',
      c,
      { topic, group: `kc-rb-${c}-${run}`, partitions: PARTITIONS, rate: 600, settleMs: 4_000, observeMs: 15_000 },
      180_000,
    );
    log(`rebalance ${c}: ${JSON.stringify(slot(c).rebalance)}`);
    save();
  }
}

if (PHASES.includes('broker-loss') && brokers.length >= 3) {
  for (const [i, c] of CLIENTS.entries()) {
    // A different broker each time, so no broker's restart is still under way when its turn comes.
    const broker = (i % brokers.length) + 1;
    const topic = `kc-loss-${c}-${run}`;
    let leaders: Record<number, number>;
    try {
      await harness.createTopic(topic, PARTITIONS, broker);
      leaders = Object.fromEntries(await harness.leaders(topic));
    } catch (err) {
      slot(c).broker_loss = { error: `topic setup: ${String(err)}` };
      continue;
    }
    log(`broker loss ${c}: partition leaders ${JSON.stringify(leaders)}, killing broker ${broker}`);
    const r = await measure(
      'broker-loss',
      c,
      { topic, broker, rate: 1_000, killAfterMs: 5_000, observeMs: 25_000, kafkaScript: KAFKA_SCRIPT },
      180_000,
    );
    log(`broker loss ${c}: restarting broker ${broker}, reading ${topic} back`);
    const restart = spawn('bash', [KAFKA_SCRIPT, 'start-broker', String(broker)], {
      stdio: 'ignore',
      env: process.env,
    });
    const restarted = new Promise((resolve) => restart.on('exit', resolve));
    const acked = (r.ackedIds as string[] | undefined) ?? [];
    delete r.ackedIds;
    if (acked.length > 0) {
      const { ids, duplicates } = await harness.readIds(topic);
      r.leaders_before_kill = leaders;
      r.acked_missing = acked.filter((id) => !ids.has(id)).length;
      r.records_in_topic = ids.size;
      // Sends the client reported as failed whose events are in the topic all the same: a like the API would
      // have answered with an error although it was recorded.
      r.failed_but_written = ids.size - (acked.length - Number(r.acked_missing));
      r.duplicate_records = duplicates;
    }
    slot(c).broker_loss = r;
    log(`broker loss ${c}: ${JSON.stringify(r)}`);
    save();
    await restarted;
  }
  // Every broker must be back before the stack is stopped, or the whole-cluster stop waits for it.
  spawnSync('bash', [KAFKA_SCRIPT, 'status'], { stdio: 'ignore', env: process.env });
}

save();
console.log(renderTable(results));
log(`written ${outFile}`);
process.exit(0);
