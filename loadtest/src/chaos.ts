import { createLogger, DEFAULT_TOPIC } from '@likepipe/contract';
import { likeEventKey } from '@likepipe/core';
import { createKafka } from '@likepipe/pipeline/kafka/client.js';
import { partitionOf } from '@likepipe/pipeline/kafka/partitioner.js';
import { readPartitionReplicas } from '@likepipe/pipeline/kafka/replicas.js';
import { redisKeys } from '@likepipe/pipeline/redis/keys.js';
import { ChaosError } from './errors/index.js';
import type { Fault } from './scenario.js';
import { redisCli, stackScript, type StackEnv } from './stack.js';

/** A fault in place: what was hit, and how to bring it back. */
export interface Injected {
  target: string;
  recover(): Promise<void>;
}

export interface ChaosTarget {
  env: StackEnv;
  /** The post under load: faults aim at the parts that serve it. */
  hotPost: string;
  /** User ids the hot post's likes come from (a sample), to find the Kafka partitions they go to. */
  sampleUsers: string[];
  /** The like-API process that may be stopped (pid name for scripts/stack/app.sh) and its URL. */
  secondApi: { name: string; url: string } | null;
}

const TOPIC = process.env.LIKEPIPE_KAFKA_TOPIC ?? DEFAULT_TOPIC;

/**
 * The chaos schedule's faults on the local stack, each through the stack scripts an operator of that stack
 * uses (scripts/stack/*.sh), aimed at what serves the hot post: its Redis master, the Kafka broker leading most
 * of its partitions. Recovery brings the part back and waits until it has rejoined.
 */
export async function inject(fault: Fault, t: ChaosTarget): Promise<Injected> {
  try {
    switch (fault) {
      case 'kill-redis-master':
        return await killRedisMaster(t);
      case 'kill-kafka-leader':
        return await killKafkaLeader(t);
      case 'kill-truth-writer':
        await stackScript('app', 'kill', 'truth-writer');
        return {
          target: 'truth-writer (SIGKILL)',
          recover: () => stackScript('app', 'start', 'truth-writer', 'truth-writer').then(() => undefined),
        };
      case 'restart-postgres':
        await stackScript('postgres', 'stop');
        return { target: 'postgres (stopped)', recover: () => stackScript('postgres', 'start').then(() => undefined) };
      case 'stop-like-api':
        return await stopApi(t);
    }
  } catch (err) {
    if (err instanceof ChaosError) throw err;
    throw new ChaosError(`${fault}: ${(err as Error).message}`, { cause: err });
  }
}

async function killRedisMaster(t: ChaosTarget): Promise<Injected> {
  const key = redisKeys.post(t.hotPost);
  const ask = async (...args: string[]) => {
    for (const node of t.env.redisNodes) {
      const out = await redisCli(node.split(':')[1]!, ...args).catch(() => '');
      if (out.trim()) return out;
    }
    throw new ChaosError('no Redis node answered');
  };
  const slot = Number((await ask('cluster', 'keyslot', key)).trim());
  const master = (await ask('cluster', 'nodes'))
    .split('\n')
    .map((l) => l.trim().split(' '))
    .find((f) => f[2]?.includes('master') && !f[2].includes('fail') && f.slice(8).some((r) => inRange(r, slot)));
  if (!master) throw new ChaosError(`no live master serves slot ${slot}`);
  const port = master[1]!.split('@')[0]!.split(':')[1]!;
  await stackScript('redis', 'kill-node', port);
  return {
    target: `redis 127.0.0.1:${port}, master of slot ${slot} (${key})`,
    recover: () => stackScript('redis', 'start-node', port).then(() => undefined),
  };
}

function inRange(range: string, slot: number): boolean {
  if (range.startsWith('[')) return false; // a slot being migrated
  const [a, b] = range.split('-').map(Number);
  return slot >= a! && slot <= (b ?? a!);
}

async function killKafkaLeader(t: ChaosTarget): Promise<Injected> {
  if (t.env.kafkaBrokers.length < 3) {
    throw new ChaosError(
      `kill-kafka-leader needs 3 brokers to fail over to (KAFKA_BROKERS has ${t.env.kafkaBrokers.length}): ` +
        'start the stack with LIKEPIPE_KAFKA_BROKERS=3, as npm run loadtest does',
    );
  }
  // Quiet: the broker it kills is unreachable on purpose.
  const kafka = createKafka(
    t.env.kafkaBrokers,
    'likepipe-loadtest',
    createLogger({ level: 'error', write: () => undefined }),
  );
  const admin = kafka.admin();
  try {
    const parts = (await admin.metadata({ topics: [TOPIC], forceUpdate: true })).topics.get(TOPIC)!.partitions;
    // Events are keyed by (post, user): the hot post spreads over partitions the way the producer's own
    // partitioner sends them. Kill the broker that leads most of those.
    const leads = new Map<number, number>();
    for (const userId of t.sampleUsers) {
      const leader = parts[partitionOf(likeEventKey({ postId: t.hotPost, userId }), parts.length)]!.leader;
      leads.set(leader, (leads.get(leader) ?? 0) + 1);
    }
    const [victim, share] = [...leads.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]!;
    const led = parts.filter((p) => p.leader === victim).length;
    await stackScript('kafka', 'kill-broker', String(victim));
    return {
      target: `kafka broker ${victim} (SIGKILL): leader of ${led}/${parts.length} partitions, ${Math.round((100 * share) / t.sampleUsers.length)} % of the hot post's likes`,
      recover: async () => {
        await stackScript('kafka', 'start-broker', String(victim));
        await waitInSync(t.env.kafkaBrokers);
      },
    };
  } finally {
    await admin.close();
  }
}

/** Until every partition of the topic and of the offsets topic has a leader and a full ISR again. */
async function waitInSync(brokers: readonly string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const topics = await readPartitionReplicas(brokers, [TOPIC, '__consumer_offsets']).catch(() => null);
    const ok =
      topics?.size === 2 &&
      [...topics.values()].every(
        (ps) => ps.length > 0 && ps.every((p) => p.leader >= 0 && p.isr.length === brokers.length),
      );
    if (ok) return;
    if (Date.now() > deadline) throw new ChaosError('the restarted Kafka broker did not rejoin every ISR in 120 s');
    await new Promise((r) => setTimeout(r, 500));
  }
}

async function stopApi(t: ChaosTarget): Promise<Injected> {
  const api = t.secondApi;
  if (!api) {
    throw new ChaosError(
      'stop-like-api needs a second like-API process to stop while the first serves (LIKEPIPE_API_URL_B, ' +
        'which npm run loadtest starts as like-api-b)',
    );
  }
  await stackScript('app', 'stop', api.name);
  return {
    target: `${api.name} ${api.url} (SIGTERM: drains, then exits)`,
    recover: () =>
      stackScript(
        'app',
        'start',
        api.name,
        'like-api',
        `LIKEPIPE_API_PORT=${new URL(api.url).port}`,
        'LIKEPIPE_API_WORKERS=1',
      ).then(() => undefined),
  };
}
