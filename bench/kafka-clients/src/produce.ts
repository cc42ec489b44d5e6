/**
 * Produce phase: one client, one mode (a fixed offered rate, or closed loop at its maximum), measured over a
 * window after a warm-up (JIT, metadata, connections). CPU is the whole process's, per acknowledged event;
 * latency is submit to acknowledgement, so it includes the batcher's linger.
 */
import { Load } from './load.ts';
import { cpuMicros, quantile, round } from './stats.ts';
import type { ClientAdapter } from './types.ts';

export interface ProduceArgs {
  topic: string;
  rate: number;
  concurrency: number;
  warmupMs: number;
  windowMs: number;
  direct?: boolean;
}

export async function producePhase(client: ClientAdapter, args: ProduceArgs) {
  const producer = client.producer(args.topic);
  await producer.connect();
  const load = new Load(producer, {
    rate: args.rate,
    concurrency: args.concurrency,
    durationMs: args.warmupMs + args.windowMs,
    keepIds: false,
    direct: args.direct ?? false,
  });
  const finished = load.start();
  await sleep(args.warmupMs);
  const t0 = performance.now();
  const cpu0 = cpuMicros();
  const firstIndex = load.run.submitAt.length;
  await sleep(args.windowMs);
  const t1 = performance.now();
  const cpu1 = cpuMicros();
  const run = await finished;
  // The window's events are those acknowledged inside it; latency is taken over those submitted inside it.
  let ackedInWindow = 0;
  const latencies: number[] = [];
  for (let i = 0; i < run.submitAt.length; i++) {
    const done = run.doneAt[i]!;
    if (run.ok[i] && done >= t0 && done < t1) ackedInWindow++;
    if (i >= firstIndex && run.submitAt[i]! < t1 && run.ok[i]) latencies.push(done - run.submitAt[i]!);
  }
  const acked = run.ok.filter(Boolean).length;
  // librdkafka reports its request counts once a second: wait for its last report before reading them.
  await sleep(1_200);
  const requests = producer.produceRequests();
  await producer.close();
  const seconds = (t1 - t0) / 1000;
  return {
    offered_per_s: args.rate || null,
    events_per_s: round(ackedInWindow / seconds, 0),
    cpu_us_per_event: round((cpu1 - cpu0) / ackedInWindow, 1),
    cpu_share_of_one_core: round((cpu1 - cpu0) / 1e6 / seconds, 3),
    ack_p50_ms: round(quantile(latencies, 0.5), 2),
    ack_p99_ms: round(quantile(latencies, 0.99), 2),
    ack_max_ms: round(quantile(latencies, 1), 1),
    failed: run.ok.length - acked,
    errors: Object.fromEntries(run.errors),
    batches: run.batches,
    events_per_batch: run.batches ? round(acked / run.batches, 1) : null,
    produce_requests: requests ?? null,
    events_per_produce_request: requests ? round(acked / requests, 1) : null,
  };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
