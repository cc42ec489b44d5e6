/**
 * Broker-loss phase: the client produces at a fixed rate to a topic whose every partition is led by one broker
 * (RF 3, min ISR 2); after a few seconds that broker is SIGKILLed (scripts/stack/kafka.sh kill-broker) and the
 * load goes on against the two left. Reported: sends that failed, the longest stretch with no acknowledgement
 * at all, the worst ack latency of events sent after the kill, and every acknowledged id, which the caller then
 * looks for in the topic.
 */
import { execFileSync } from 'node:child_process';
import { Load } from './load.ts';
import { sleep } from './produce.ts';
import { longestGap, quantile, round } from './stats.ts';
import type { ClientAdapter } from './types.ts';

export interface BrokerLossArgs {
  topic: string;
  broker: number;
  rate: number;
  killAfterMs: number;
  observeMs: number;
  kafkaScript: string;
}

export async function brokerLossPhase(client: ClientAdapter, args: BrokerLossArgs) {
  const producer = client.producer(args.topic);
  await producer.connect();
  const load = new Load(producer, {
    rate: args.rate,
    concurrency: 0,
    durationMs: args.killAfterMs + args.observeMs,
    keepIds: true,
  });
  const loading = load.start();
  await sleep(args.killAfterMs);
  const killAt = performance.now();
  execFileSync('bash', [args.kafkaScript, 'kill-broker', String(args.broker)], { stdio: 'ignore' });
  const killedAfterMs = performance.now() - killAt;
  const run = await loading;
  await producer.close();
  const end = performance.now();
  const ackTimes: number[] = [];
  const failTimes: number[] = [];
  const afterKill: number[] = [];
  for (let i = 0; i < run.submitAt.length; i++) {
    const done = run.doneAt[i]!;
    if (run.ok[i]) ackTimes.push(done);
    else failTimes.push(done);
    if (run.submitAt[i]! >= killAt) afterKill.push(done - run.submitAt[i]!);
  }
  return {
    rate: args.rate,
    killed_broker: args.broker,
    kill_took_ms: round(killedAfterMs, 0),
    submitted: run.submitAt.length,
    acked: run.ackedIds.length,
    failed: failTimes.length,
    first_failure_after_kill_ms: failTimes.length ? round(Math.min(...failTimes) - killAt, 0) : null,
    last_failure_after_kill_ms: failTimes.length ? round(Math.max(...failTimes) - killAt, 0) : null,
    longest_ack_gap_ms: round(longestGap(ackTimes, killAt, end), 0),
    latency_after_kill_p99_ms: round(quantile(afterKill, 0.99), 0),
    latency_after_kill_max_ms: round(quantile(afterKill, 1), 0),
    errors: Object.fromEntries(run.errors),
    ackedIds: run.ackedIds,
  };
}
