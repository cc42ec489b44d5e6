/**
 * Consume phase: one client's group reads a pre-filled topic from the beginning, batch by batch, "applies" each
 * batch as a role would (JSON.parse of every value) and commits after it. Throughput and CPU are over the whole
 * run from start() (joining included) until every record is applied; afterwards the group's committed offsets,
 * read through the client's own admin API, must equal the topic's end offsets.
 */
import { sleep } from './produce.ts';
import { cpuMicros, round } from './stats.ts';
import type { ClientAdapter } from './types.ts';

export interface ConsumeArgs {
  topic: string;
  group: string;
  expected: number;
  timeoutMs: number;
}

export async function consumePhase(client: ClientAdapter, args: ConsumeArgs) {
  const consumer = client.consumer(args.topic, args.group);
  let applied = 0;
  let batches = 0;
  let withTraceparent = 0;
  let firstAt = 0;
  let lastAt = 0;
  const t0 = performance.now();
  const cpu0 = cpuMicros();
  await consumer.start((batch) => {
    for (const v of batch.values) if (v) JSON.parse(v.toString());
    applied += batch.values.length;
    batches++;
    if (batch.firstTraceparent?.startsWith('00-')) withTraceparent++;
    lastAt = performance.now();
    firstAt ||= lastAt;
  });
  const deadline = t0 + args.timeoutMs;
  while (applied < args.expected && performance.now() < deadline) await sleep(20);
  const t1 = performance.now();
  const cpu1 = cpuMicros();
  // Give the last commit time to land before checking it.
  await sleep(500);
  await consumer.stop();
  const { high, committed } = await client.offsets(args.topic, args.group);
  let lagAfter = 0n;
  for (const [p, end] of high) lagAfter += end - (committed.get(p) ?? 0n);
  return {
    expected: args.expected,
    applied,
    complete: applied >= args.expected,
    events_per_s: round(applied / ((t1 - t0) / 1000), 0),
    events_per_s_after_first_batch: round(applied / ((lastAt - firstAt) / 1000), 0),
    first_batch_after_ms: round(firstAt - t0, 0),
    cpu_us_per_event: round((cpu1 - cpu0) / applied, 2),
    batches,
    events_per_batch: round(applied / batches, 1),
    batches_with_traceparent: withTraceparent,
    committed_lag_after: Number(lagAfter),
  };
}
