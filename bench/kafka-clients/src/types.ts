/**
 * The little the benchmark needs from a Kafka client, so each of the three sits behind the same shape and every
 * phase (produce, consume, broker loss, rebalance) runs the same code against each. Shaped after our own ports:
 * a producer that sends one micro-batch per call and resolves when every record in it has acks=all, and a
 * consumer that hands over whole batches and commits after each.
 */
export interface OutMessage {
  key: string;
  value: string;
  headers: Record<string, string>;
}

export interface BenchProducer {
  connect(): Promise<void>;
  /** One micro-batch; resolves when all of it is acknowledged by every in-sync replica. */
  send(messages: OutMessage[]): Promise<void>;
  /** Produce requests sent so far, when the client lets us count them. */
  produceRequests(): number | undefined;
  close(): Promise<void>;
}

export interface InBatch {
  partition: number;
  /** Raw record values, for the "apply" step (JSON.parse) to do the work a role does. */
  values: (Buffer | null)[];
  /** The traceparent header of the batch's first record: proves headers arrive. */
  firstTraceparent: string | undefined;
}

export interface BenchConsumer {
  /** Joins the group and calls `apply` per batch; offsets are committed after `apply` resolves. */
  start(apply: (batch: InBatch) => void): Promise<void>;
  stop(): Promise<void>;
}

export interface ClientAdapter {
  name: ClientName;
  producer(topic: string): BenchProducer;
  consumer(topic: string, group: string): BenchConsumer;
  /**
   * What our reconciler and lag gauge read (kafkajs admin.fetchTopicOffsets / fetchOffsets): the topic's high
   * water marks and the group's committed offsets, per partition, through this client's own admin API.
   */
  offsets(topic: string, group: string): Promise<{ high: Map<number, bigint>; committed: Map<number, bigint> }>;
}

export const CLIENT_NAMES = ['kafkajs', 'platformatic', 'confluent'] as const;
/** The three clients, and `none`: the harness without Kafka, for its share of produce CPU. */
export type ClientName = (typeof CLIENT_NAMES)[number] | 'none';

/** Everything a client adapter is built from. */
export interface ClientOptions {
  brokers: string[];
  /** Per-request timeout the pipeline also uses for produce (ms). */
  timeoutMs: number;
}
