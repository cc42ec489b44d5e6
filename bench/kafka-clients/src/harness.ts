/**
 * The benchmark's own Kafka chores, done with kafkajs whatever client is measured (never inside a measured
 * process): creating topics, pre-filling the consume topic, finding where leaders are, reading a topic back to
 * check that acknowledged events are there.
 */
import { Kafka, logLevel } from 'kafkajs';
import { makeEvent } from './events.ts';

export class Harness {
  private readonly kafka: Kafka;
  private readonly brokers: string[];

  constructor(brokers: string[]) {
    this.brokers = brokers;
    this.kafka = new Kafka({ clientId: 'bench-harness', brokers, logLevel: logLevel.NOTHING });
  }

  get replication(): number {
    return this.brokers.length;
  }

  /** RF = every broker, min ISR 2 with three; with `leader`, that broker is every partition's preferred leader. */
  async createTopic(topic: string, partitions: number, leader?: number): Promise<void> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const ids = Array.from({ length: this.replication }, (_, i) => i + 1);
      const replicaAssignment =
        leader === undefined
          ? undefined
          : Array.from({ length: partitions }, (_, partition) => ({
              partition,
              replicas: [leader, ...ids.filter((id) => id !== leader)],
            }));
      // kafkajs's waitForLeaders trips over KRaft's brief "unknown topic" right after a create: poll instead.
      await admin.createTopics({
        waitForLeaders: false,
        topics: [
          {
            topic,
            ...(replicaAssignment
              ? { replicaAssignment }
              : { numPartitions: partitions, replicationFactor: this.replication }),
            configEntries: [{ name: 'min.insync.replicas', value: this.replication >= 3 ? '2' : '1' }],
          },
        ],
      });
      const deadline = Date.now() + 30_000;
      for (;;) {
        const ready = await admin
          .fetchTopicMetadata({ topics: [topic] })
          .then((m) => m.topics[0]?.partitions.filter((p) => p.leader >= 0).length === partitions)
          .catch(() => false);
        if (ready) break;
        if (Date.now() > deadline) throw new Error(`topic ${topic} has no leader for every partition after 30 s`);
        await new Promise((r) => setTimeout(r, 200));
      }
    } finally {
      await admin.disconnect();
    }
  }

  /** Partition count per leader broker id. */
  async leaders(topic: string): Promise<Map<number, number>> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      // A broker other than the one that answered createTopic may not know the topic yet: ask again.
      for (let attempt = 1; ; attempt++) {
        try {
          const meta = await admin.fetchTopicMetadata({ topics: [topic] });
          const counts = new Map<number, number>();
          for (const p of meta.topics[0]?.partitions ?? []) counts.set(p.leader, (counts.get(p.leader) ?? 0) + 1);
          return counts;
        } catch (err) {
          if (attempt >= 20) throw err;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    } finally {
      await admin.disconnect();
    }
  }

  async prefill(topic: string, count: number): Promise<void> {
    const producer = this.kafka.producer();
    await producer.connect();
    const batch = 1_000;
    let next = 0;
    const worker = async () => {
      while (next < count) {
        const from = next;
        next = Math.min(count, next + batch);
        const messages = [];
        for (let i = from; i < next; i++) messages.push(makeEvent(i));
        await producer.send({ topic, acks: -1, messages });
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    await producer.disconnect();
  }

  async endOffsetTotal(topic: string): Promise<number> {
    const admin = this.kafka.admin();
    await admin.connect();
    try {
      const ends = await admin.fetchTopicOffsets(topic);
      return ends.reduce((n, p) => n + Number(p.high) - Number(p.low), 0);
    } finally {
      await admin.disconnect();
    }
  }

  /** Every event id in the topic (and how many records held one already seen). */
  async readIds(topic: string, timeoutMs = 120_000): Promise<{ ids: Set<string>; duplicates: number }> {
    const total = await this.endOffsetTotal(topic);
    const consumer = this.kafka.consumer({ groupId: `readback-${topic}-${Date.now()}`, maxWaitTimeInMs: 250 });
    const ids = new Set<string>();
    let records = 0;
    let duplicates = 0;
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          records++;
          const id = (JSON.parse(m.value!.toString()) as { id: string }).id;
          if (ids.has(id)) duplicates++;
          ids.add(id);
        }
      },
    });
    const deadline = Date.now() + timeoutMs;
    while (records < total && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();
    return { ids, duplicates };
  }
}
