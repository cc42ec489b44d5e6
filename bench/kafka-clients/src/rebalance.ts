/**
 * Rebalance phase: while the same client produces a steady trickle to the topic, member A of a group consumes
 * alone; then member B joins, and later leaves cleanly. For each of the two moves, the pause is the longest
 * stretch in the following seconds during which some partition delivered nothing to either member: the time
 * that partition's likes waited for the group to settle. The same measure before the join is the baseline
 * (a quiet partition between fetches).
 */
import { Load } from './load.ts';
import { sleep } from './produce.ts';
import { longestGap, round } from './stats.ts';
import type { ClientAdapter } from './types.ts';

export interface RebalanceArgs {
  topic: string;
  group: string;
  partitions: number;
  rate: number;
  settleMs: number;
  observeMs: number;
}

export async function rebalancePhase(client: ClientAdapter, args: RebalanceArgs) {
  const producer = client.producer(args.topic);
  await producer.connect();
  const total = args.settleMs * 2 + args.observeMs * 2 + 10_000;
  const load = new Load(producer, { rate: args.rate, concurrency: 0, durationMs: total, keepIds: false });
  const loading = load.start();
  const deliveries: number[][] = Array.from({ length: args.partitions }, () => []);
  const record = (partition: number) => deliveries[partition]?.push(performance.now());
  let bFirstAt = 0;
  const a = client.consumer(args.topic, args.group);
  const b = client.consumer(args.topic, args.group);
  const errors: string[] = [];
  const aStarted = performance.now();
  await a.start((batch) => record(batch.partition));
  // Until A has every partition flowing.
  while (deliveries.some((d) => d.length === 0) && performance.now() - aStarted < 60_000) await sleep(50);
  const firstAllMs = performance.now() - aStarted;
  await sleep(args.settleMs);
  const joinAt = performance.now();
  await b
    .start((batch) => {
      bFirstAt ||= performance.now();
      record(batch.partition);
    })
    .catch((e: unknown) => errors.push(`join: ${String(e)}`));
  await sleep(args.observeMs);
  const leaveAt = performance.now();
  await b.stop().catch((e: unknown) => errors.push(`leave: ${String(e)}`));
  await sleep(args.observeMs);
  const endAt = performance.now();
  load.stop();
  await a.stop();
  const run = await loading;
  await producer.close();
  const worst = (from: number, to: number) => Math.max(...deliveries.map((d) => longestGap(d, from, to)));
  return {
    rate: args.rate,
    all_partitions_flowing_after_ms: round(firstAllMs, 0),
    baseline_gap_ms: round(worst(joinAt - args.settleMs, joinAt), 0),
    join_pause_ms: round(worst(joinAt, leaveAt), 0),
    // Whether, and when, the joining member got partitions at all within the observation.
    second_member_first_batch_after_ms: bFirstAt ? round(bFirstAt - joinAt, 0) : null,
    leave_pause_ms: round(worst(leaveAt, endAt), 0),
    produce_failed: run.ok.filter((o) => !o).length,
    errors,
  };
}
