import { backoffMs } from '@likepipe/contract';
import {
  Admin,
  Consumer,
  Producer,
  type BaseOptions,
  type ConsumeBaseOptions,
  type GroupOptions,
  type ProducerOptions,
} from '@platformatic/kafka';
import type { Logger } from '../observability/logger.js';

/** How every client waits between its own attempts at a request: 100 ms doubling to 1 s. */
const CLIENT_BACKOFF = { baseMs: 100, maxMs: 1_000 };

/** The consumers' records: key and value as fetched (bytes), header keys and values as text (trace headers). */
export type KafkaConsumer = Consumer<Buffer, Buffer, string, string>;
/** The producers' records: keys, values and headers are strings. */
export type KafkaProducer = Producer<string, string, string, string>;

/** What a consumer sets beyond the shared settings: its group, and how it fetches. */
type ConsumerSettings = { groupId: string } & GroupOptions & ConsumeBaseOptions<Buffer, Buffer, string, string>;
/** What a producer sets beyond (or instead of) the shared settings. */
type ProducerSettings = Partial<ProducerOptions<string, string, string, string>>;

/**
 * Makes the Kafka clients of one process (@platformatic/kafka has no client object they share: each producer,
 * consumer and admin holds its own connections), all with the same brokers, client id, timeouts and retries,
 * and all reporting to our JSON logger what deserves a line: a broker that cannot be reached, and the
 * consumer group's heartbeat trouble. The library's own tracing goes to `debug` (DEBUG=plt:kafka:*), never to
 * stdout unasked.
 */
export interface KafkaClients {
  readonly brokers: readonly string[];
  producer(settings?: ProducerSettings): KafkaProducer;
  consumer(settings: ConsumerSettings): KafkaConsumer;
  admin(): Admin;
}

export function createKafka(brokers: string[], clientId: string, log: Logger): KafkaClients {
  const base = (): BaseOptions => ({
    clientId,
    bootstrapBrokers: brokers,
    connectTimeout: 2_000,
    requestTimeout: 10_000,
    retries: 3,
    retryDelay: (_client, _operation, attempt) => backoffMs(attempt, CLIENT_BACKOFF),
  });
  const logged = <C extends Admin | KafkaConsumer | KafkaProducer>(client: C): C => {
    const fields = { kafka: client.type };
    client.on('client:broker:failed', ({ broker }) =>
      log.warn('kafka broker unreachable', { ...fields, broker: `${broker.host}:${broker.port}` }),
    );
    if (client instanceof Consumer) {
      const consumer = client as KafkaConsumer;
      consumer.on('consumer:heartbeat:error', ({ error }) =>
        log.warn('kafka consumer heartbeat failed', { ...fields, group: consumer.groupId, err: error }),
      );
      consumer.on('consumer:heartbeat:stalled', ({ stalledFor, lastError }) =>
        log.error('kafka consumer heartbeats stalled', {
          ...fields,
          group: consumer.groupId,
          stalledMs: stalledFor,
          err: lastError,
        }),
      );
    }
    // An emitter's 'error' event with no listener would end the process; the consumer runtime adds its own.
    client.on('error', (err: Error) => log.error('kafka client error', { ...fields, err }));
    return client;
  };
  return {
    brokers,
    producer: (settings = {}) => logged(new Producer<string, string, string, string>({ ...base(), ...settings })),
    consumer: (settings) => logged(new Consumer<Buffer, Buffer, string, string>({ ...base(), ...settings })),
    admin: () => logged(new Admin(base())),
  };
}
