import { likeEventKey, MicroBatcher, type EventLog, type LikeEvent } from '@likepipe/core';
import { Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { kafkaProduceBatchSize, kafkaProduceDuration } from '../observability/metrics.js';
import { fire, type Breaker } from '../resilience/breaker.js';

export interface KafkaEventLogOptions {
  topic: string;
  lingerMs: number;
  maxBatchSize: number;
  maxQueued: number;
  timeoutMs: number;
}

/**
 * The EventLog port on Kafka. kafkajs sends one produce request per send(), so likes are micro-batched: each
 * like waits at most `lingerMs` (or for the batch in flight) and resolves only when its batch has acks=all.
 * One batch in flight at a time keeps each (post, user) key's events in the order they were accepted.
 */
export class KafkaEventLog implements EventLog {
  private readonly producer: Producer;
  private readonly batcher: MicroBatcher<Message>;

  constructor(
    kafka: Kafka,
    private readonly breaker: Breaker,
    private readonly opts: KafkaEventLogOptions,
  ) {
    this.producer = kafka.producer({
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      retry: { initialRetryTime: 100, maxRetryTime: 1_000, retries: 2 },
    });
    this.batcher = new MicroBatcher<Message>((messages) => this.sendBatch(messages), {
      lingerMs: opts.lingerMs,
      maxBatchSize: opts.maxBatchSize,
      maxQueued: opts.maxQueued,
      maxInFlight: 1,
      onBatch: (size, ms, ok) => {
        kafkaProduceBatchSize.observe(size);
        kafkaProduceDuration.observe({ outcome: ok ? 'ok' : 'error' }, ms / 1000);
      },
    });
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  publish(event: LikeEvent): Promise<void> {
    return this.batcher.submit({ key: likeEventKey(event), value: JSON.stringify(event) });
  }

  /** Flushes what is queued, then disconnects: part of graceful shutdown. */
  async close(): Promise<void> {
    await this.batcher.close();
    await this.producer.disconnect();
  }

  private async sendBatch(messages: Message[]): Promise<void> {
    await fire(this.breaker, () =>
      this.producer.send({ topic: this.opts.topic, acks: -1, timeout: this.opts.timeoutMs, messages }),
    );
  }
}
