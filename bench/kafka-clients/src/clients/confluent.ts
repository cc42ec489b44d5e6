/**
 * @confluentinc/kafka-javascript through its KafkaJS-compatible API (`KafkaJS`), which is what a switch from
 * kafkajs would use. Differences from kafkajs that matter to us: acks and the request timeout are producer
 * settings, not send() options; the delivery timeout (librdkafka's message.timeout.ms, default 300 s) is what
 * bounds a send during a broker loss, so it is set to what kafkajs's three attempts of our produce timeout come
 * to; librdkafka batches per partition by itself, behind our MicroBatcher, with its default linger (5 ms: 1 ms
 * made it slower still); eachBatch hands over at most 32 records unless js.consumer.max.batch.size says otherwise.
 */
import { KafkaJS } from '@confluentinc/kafka-javascript';
import type { BenchConsumer, BenchProducer, ClientAdapter, ClientOptions, OutMessage } from '../types.ts';
import { FETCH_MAX_WAIT_MS, HEARTBEAT_INTERVAL_MS, SESSION_TIMEOUT_MS } from './settings.ts';

/** Matches the MicroBatcher's cap, so one of our batches is one eachBatch call, as with kafkajs. */
const MAX_BATCH = 1_000;
/** librdkafka's statistics are the only place it reports its produce requests; once a second costs little. */
const STATS_INTERVAL_MS = 1_000;

export function confluentAdapter(opts: ClientOptions): ClientAdapter {
  const kafka = new KafkaJS.Kafka({
    kafkaJS: {
      clientId: 'bench-confluent',
      brokers: opts.brokers,
      connectionTimeout: 2_000,
      requestTimeout: 10_000,
      retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 3 },
      logLevel: KafkaJS.logLevel.NOTHING,
    },
  });
  return {
    name: 'confluent',
    producer: (topic) => confluentProducer(kafka, topic, opts.timeoutMs),
    consumer: (topic, group) => confluentConsumer(kafka, topic, group),
    async offsets(topic, group) {
      const admin = kafka.admin();
      await admin.connect();
      try {
        const ends = await admin.fetchTopicOffsets(topic);
        const groups = await admin.fetchOffsets({ groupId: group, topics: [topic] });
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

interface BrokerStats {
  brokers?: Record<string, { req?: Record<string, number> }>;
}

function confluentProducer(kafka: KafkaJS.Kafka, topic: string, timeoutMs: number): BenchProducer {
  let requests: number | undefined;
  const producer = kafka.producer({
    kafkaJS: { acks: -1, idempotent: false, allowAutoTopicCreation: false, timeout: timeoutMs },
    'message.timeout.ms': 3 * timeoutMs,
    'statistics.interval.ms': STATS_INTERVAL_MS,
    stats_cb: (event: { message: string }) => {
      const stats = JSON.parse(event.message) as BrokerStats;
      requests = Object.values(stats.brokers ?? {}).reduce((n, b) => n + (b.req?.Produce ?? 0), 0);
    },
  });
  return {
    connect: () => producer.connect(),
    async send(messages: OutMessage[]) {
      await producer.send({ topic, messages });
    },
    produceRequests: () => requests,
    close: () => producer.disconnect(),
  };
}

function confluentConsumer(kafka: KafkaJS.Kafka, topic: string, group: string): BenchConsumer {
  const consumer = kafka.consumer({
    kafkaJS: {
      groupId: group,
      fromBeginning: true,
      autoCommit: false,
      sessionTimeout: SESSION_TIMEOUT_MS,
      heartbeatInterval: HEARTBEAT_INTERVAL_MS,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    },
    'js.consumer.max.batch.size': MAX_BATCH,
  });
  return {
    async start(apply) {
      await consumer.connect();
      await consumer.subscribe({ topics: [topic] });
      await consumer.run({
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: 12,
        eachBatch: async ({ batch, resolveOffset }) => {
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
        },
      });
    },
    stop: () => consumer.disconnect(),
  };
}
