/**
 * @platformatic/kafka. It has no eachBatch: its consumer is a stream of single messages, so a batch here is
 * what the stream holds at the moment (one fetch's worth, at most MAX_BATCH), applied and committed as one, the
 * way our roles would have to use it. The producer uses compatibilityPartitioner: its default partitioner
 * maps keys to partitions differently from Java and kafkajs (unsigned murmur2 instead of masked), and a switch
 * of client must not move a (post, user) key to another partition while older events for it are unread.
 */
import { channel } from 'node:diagnostics_channel';
import {
  Admin,
  compatibilityPartitioner,
  Consumer,
  ListOffsetTimestamps,
  ProduceAcks,
  Producer,
  stringSerializers,
  type CommitOptionsPartition,
  type Message,
} from '@platformatic/kafka';
import type { BenchConsumer, BenchProducer, ClientAdapter, ClientOptions, OutMessage } from '../types.ts';
import { FETCH_MAX_WAIT_MS, HEARTBEAT_INTERVAL_MS, SESSION_TIMEOUT_MS } from './settings.ts';

const MAX_BATCH = 1_000;
/** Kafka's API key of Produce requests. */
const PRODUCE_API_KEY = 0;

export function platformaticAdapter(opts: ClientOptions): ClientAdapter {
  const base = { bootstrapBrokers: opts.brokers, timeout: opts.timeoutMs, retries: 3, retryDelay: 100 };
  return {
    name: 'platformatic',
    producer: (topic) => platformaticProducer(base, topic),
    consumer: (topic, group) => platformaticConsumer(base, topic, group),
    async offsets(topic, group) {
      const admin = new Admin({ ...base, clientId: 'bench-platformatic-admin' });
      try {
        const meta = await admin.metadata({ topics: [topic] });
        const count = meta.topics.get(topic)?.partitionsCount ?? 0;
        const partitions = Array.from({ length: count }, (_, i) => ({
          partitionIndex: i,
          timestamp: ListOffsetTimestamps.LATEST,
        }));
        const [ends, groups] = await Promise.all([
          admin.listOffsets({ topics: [{ name: topic, partitions }] }),
          admin.listConsumerGroupOffsets({ groups: [group] }),
        ]);
        const committed = groups[0]?.topics.find((t) => t.name === topic)?.partitions ?? [];
        return {
          high: new Map((ends[0]?.partitions ?? []).map((p) => [p.partitionIndex, p.offset])),
          committed: new Map(committed.map((p) => [p.partitionIndex, p.committedOffset])),
        };
      } finally {
        await admin.close();
      }
    },
  };
}

interface BaseOpts {
  bootstrapBrokers: string[];
  timeout: number;
  retries: number;
  retryDelay: number;
}

function platformaticProducer(base: BaseOpts, topic: string): BenchProducer {
  const producer = new Producer({
    ...base,
    clientId: 'bench-platformatic',
    serializers: stringSerializers,
    acks: ProduceAcks.ALL,
    autocreateTopics: false,
    partitioner: compatibilityPartitioner,
  });
  // The client publishes every request it writes on a diagnostics channel; only Produce requests are counted.
  let requests = 0;
  const onRequest = (msg: unknown) => {
    if ((msg as { apiKey?: number }).apiKey === PRODUCE_API_KEY) requests++;
  };
  const requestsChannel = channel('tracing:plt:kafka:connections:api:start');
  return {
    async connect() {
      requestsChannel.subscribe(onRequest);
      // Loads the topic's metadata now rather than inside the first measured send.
      await producer.metadata({ topics: [topic] });
    },
    async send(messages: OutMessage[]) {
      await producer.send({
        messages: messages.map((m) => ({ topic, key: m.key, value: m.value, headers: m.headers })),
      });
    },
    produceRequests: () => requests,
    async close() {
      requestsChannel.unsubscribe(onRequest);
      await producer.close();
    },
  };
}

function platformaticConsumer(base: BaseOpts, topic: string, group: string): BenchConsumer {
  const consumer = new Consumer({
    ...base,
    clientId: 'bench-platformatic-consumer',
    groupId: group,
    autocommit: false,
    sessionTimeout: SESSION_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    maxWaitTime: FETCH_MAX_WAIT_MS,
  });
  let done: Promise<void> | undefined;
  return {
    async start(apply) {
      const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest' });
      done = (async () => {
        let batch: Message<Buffer, Buffer, Buffer, Buffer>[] = [];
        for await (const m of stream as AsyncIterable<Message<Buffer, Buffer, Buffer, Buffer>>) {
          batch.push(m);
          // Nothing more buffered: the fetch is drained, so this is the batch a role would write in one go.
          if (batch.length < MAX_BATCH && stream.readableLength > 0) continue;
          await applyAndCommit(batch, apply);
          batch = [];
        }
      })();
    },
    async stop() {
      await consumer.close(true);
      await done?.catch(() => undefined);
    },
  };

  async function applyAndCommit(
    batch: Message<Buffer, Buffer, Buffer, Buffer>[],
    apply: Parameters<BenchConsumer['start']>[0],
  ): Promise<void> {
    const byPartition = new Map<number, Message<Buffer, Buffer, Buffer, Buffer>[]>();
    for (const m of batch) {
      const list = byPartition.get(m.partition);
      if (list) list.push(m);
      else byPartition.set(m.partition, [m]);
    }
    const offsets: CommitOptionsPartition[] = [];
    for (const [partition, msgs] of byPartition) {
      const tp = msgs[0]!.headerEntries.find(([k]) => k.toString() === 'traceparent')?.[1];
      apply({ partition, values: msgs.map((m) => m.value), firstTraceparent: tp?.toString() });
      const last = msgs[msgs.length - 1]!;
      offsets.push({ topic, partition, offset: last.offset + 1n, leaderEpoch: last.leaderEpoch });
    }
    await consumer.commit({ offsets });
  }
}
