import { likeEventKey, MicroBatcher, type EventLog, type LikeEvent } from '@likepipe/core';
import { context, trace, type Span } from '@opentelemetry/api';
import { compatibilityPartitioner, ProduceAcks, stringSerializers, type MessageToProduce } from '@platformatic/kafka';
import { kafkaProduceBatchSize, kafkaProduceDuration } from '../observability/metrics.js';
import { tracingOn } from '../observability/tracing.js';
import { fire, type Breaker } from '../resilience/breaker.js';
import { endSpans, inSpan } from '../observability/spans.js';
import type { KafkaClients, KafkaProducer } from './client.js';
import { injectTraceHeaders, startCreateSpan, startSendSpan } from './tracing.js';

/** A message waiting for its batch, with its `create` span when the like is traced. */
interface Outgoing {
  message: MessageToProduce<string, string, string, string> & { key: string };
  span: Span | undefined;
}

export interface KafkaEventLogOptions {
  topic: string;
  lingerMs: number;
  maxBatchSize: number;
  maxQueued: number;
  maxInFlight: number;
  timeoutMs: number;
}

/**
 * The EventLog port on Kafka. Each send() is one produce request per leader broker, so likes are micro-batched
 * here rather than left to the client (whose own batching knows nothing of our keys or metrics): each
 * like waits at most `lingerMs` (or until a batch may be sent) and resolves only when its batch has acks=all.
 * Up to `maxInFlight` batches overlap, but never two holding the same (post, user) key: a key's next event
 * waits for the acknowledgement of its previous one, so each key's events reach Kafka in the order they were
 * accepted, while a slow produce request no longer holds up every like behind it (one batch in flight made a
 * like wait for the batch before it and then its own: twice a produce round trip, and every tail of it).
 */
export class KafkaEventLog implements EventLog {
  private readonly producer: KafkaProducer;
  private readonly batcher: MicroBatcher<Outgoing>;

  constructor(
    kafka: KafkaClients,
    private readonly breaker: Breaker,
    private readonly opts: KafkaEventLogOptions,
  ) {
    this.producer = kafka.producer({
      serializers: stringSerializers,
      autocreateTopics: false,
      // Keys land where the Java client puts them, as they did before the switch of client (partitioner.ts).
      partitioner: compatibilityPartitioner,
      // How long the leader may wait for the in-sync replicas before it answers, as the produce timeout.
      timeout: opts.timeoutMs,
      retries: 2,
    });
    this.batcher = new MicroBatcher<Outgoing>((items) => this.sendBatch(items), {
      lingerMs: opts.lingerMs,
      maxBatchSize: opts.maxBatchSize,
      maxQueued: opts.maxQueued,
      maxInFlight: opts.maxInFlight,
      keyOf: (o) => o.message.key,
      onBatch: (size, ms, ok) => {
        kafkaProduceBatchSize.observe(size);
        kafkaProduceDuration.observe({ outcome: ok ? 'ok' : 'error' }, ms / 1000);
      },
    });
  }

  /** Reaches Kafka and loads the topic's partitions and leaders: fails while Kafka or the topic is missing. */
  async connect(): Promise<void> {
    await this.producer.metadata({ topics: [this.opts.topic] });
  }

  publish(event: LikeEvent): Promise<void> {
    const key = likeEventKey(event);
    const value = JSON.stringify(event);
    const topic = this.opts.topic;
    if (!tracingOn()) return this.batcher.submit({ message: { topic, key, value }, span: undefined });
    // Traced: a producer span per like, whose context travels in the message's headers to every consumer.
    const span = startCreateSpan(this.opts.topic, key, event);
    const headers = injectTraceHeaders(trace.setSpan(context.active(), span));
    return this.batcher.submit({ message: { topic, key, value, headers }, span }).then(
      () => endSpans([span]),
      (err: unknown) => {
        endSpans([span], err);
        throw err;
      },
    );
  }

  /** Flushes what is queued, then disconnects: part of graceful shutdown. */
  async close(): Promise<void> {
    await this.batcher.close();
    await this.producer.close();
  }

  private async sendBatch(items: Outgoing[]): Promise<void> {
    const messages = items.map((i) => i.message);
    const send = async () => {
      await fire(this.breaker, () => this.producer.send({ acks: ProduceAcks.ALL, messages }));
    };
    if (!tracingOn()) return send();
    return inSpan(
      startSendSpan(
        this.opts.topic,
        items.map((i) => i.span),
      ),
      send,
    );
  }
}
