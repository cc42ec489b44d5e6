/**
 * kafkajs, configured as apps/pipeline configures it (src/kafka/client.ts, event-log.ts, runtime/consumer-runtime.ts):
 * the baseline the other two are measured against.
 */
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import type { BenchConsumer, BenchProducer, ClientAdapter, ClientOptions, OutMessage } from '../types.ts';
import { SESSION_TIMEOUT_MS, HEARTBEAT_INTERVAL_MS, FETCH_MAX_WAIT_MS } from './settings.ts';

export function kafkajsAdapter(opts: ClientOptions): ClientAdapter {
  const kafka = new Kafka({
    clientId: 'bench-kafkajs',
    brokers: opts.brokers,
    connectionTimeout: 2_000,
    requestTimeout: 10_000,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
    logLevel: logLevel.NOTHING,
  });
  return {
    name: 'kafkajs',
    producer: (topic) => kafkajsProducer(kafka, topic, opts.timeoutMs),
    consumer: (topic, group) => kafkajsConsumer(kafka, topic, group),
    async offsets(topic, group) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const [ends, groups] = await Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchOffsets({ groupId: group, topics: [topic] }),
        ]);
        const committed = groups.find((t) => t.topic === topic)?.partitions ?? [];
        return {
          high: new Map(ends.map((p) => [p.partition, BigInt(p.high)])),
          committed: new Map(committed.map((p) => [p.partition, BigInt(p.offset)])),
        };
      } finally {
        await admin.disconnect();
      }
    },
  };
}

function kafkajsProducer(kafka: Kafka, topic: string, timeoutMs: number): BenchProducer {
  const producer: Producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
    retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 2 },
  });
  let requests = 0;
  producer.on(producer.events.REQUEST, ({ payload }) => {
    if (payload.apiName === 'Produce') requests++;
  });
  return {
    connect: () => producer.connect(),
    async send(messages: OutMessage[]) {
      await producer.send({ topic, acks: -1, timeout: timeoutMs, messages });
    },
    produceRequests: () => requests,
    close: () => producer.disconnect(),
  };
}

function kafkajsConsumer(kafka: Kafka, topic: string, group: string): BenchConsumer {
  const consumer = kafka.consumer({
    groupId: group,
    sessionTimeout: SESSION_TIMEOUT_MS,
    heartbeatInterval: HEARTBEAT_INTERVAL_MS,
    maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
  });
  return {
    async start(apply) {
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 12,
        eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
          if (batch.messages.length === 0) return;
          const tp = batch.messages[0]!.headers?.traceparent;
          apply({
            partition: batch.partition,
            values: batch.messages.map((m) => m.value),
            firstTraceparent: tp?.toString(),
          });
          resolveOffset(batch.lastOffset());
          const next = (BigInt(batch.lastOffset()) + 1n).toString();
          await consumer.commitOffsets([{ topic, partition: batch.partition, offset: next }]);
          await heartbeat();
        },
      });
    },
    stop: () => consumer.disconnect(),
  };
}
