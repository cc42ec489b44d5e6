import {
  ConfigError,
  loadApiConfig,
  loadEnsureTopicConfig,
  loadFeedRankerConfig,
  loadRedisKeeperConfig,
  loadTruthWriterConfig,
} from '@likepipe/pipeline/config.js';

const base = {
  REDIS_CLUSTER_NODES: '127.0.0.1:7001,127.0.0.1:7002',
  KAFKA_BROKERS: '127.0.0.1:9092',
  DATABASE_URL: 'postgres://u:p@127.0.0.1:5433/db',
  LIKEPIPE_JWT_SECRET: 's'.repeat(40),
};

describe('configuration', () => {
  it('parses a valid environment with defaults', () => {
    const c = loadApiConfig(base);
    expect(c.REDIS_CLUSTER_NODES).toEqual(['127.0.0.1:7001', '127.0.0.1:7002']);
    expect(c.LIKEPIPE_RATE_LIMIT).toBe(100);
    expect(c.LIKEPIPE_RATE_WINDOW_MS).toBe(60_000);
    expect(c.LIKEPIPE_BENCH_ENDPOINTS).toBe(false);
    expect(loadTruthWriterConfig(base)).toMatchObject({
      LIKEPIPE_FLUSH_INTERVAL_MS: 1_000,
      LIKEPIPE_BATCH_SIZE: 5_000,
    });
  });

  it('feed and cache settings: defaults, and a zero TTL (which would mean "forever" to the cache) refused', () => {
    expect(loadFeedRankerConfig(base)).toMatchObject({
      LIKEPIPE_FEED_REFRESH_MS: 2_000,
      LIKEPIPE_FEED_HOT_CANDIDATES: 500,
      LIKEPIPE_FEED_NEW_CANDIDATES: 200,
      LIKEPIPE_METRICS_PORT: 9469,
      LIKEPIPE_METRICS_HOST: '127.0.0.1',
    });
    expect(loadApiConfig(base)).toMatchObject({ LIKEPIPE_COUNT_CACHE_TTL_MS: 500, LIKEPIPE_FEED_CACHE_MS: 1_000 });
    for (const name of ['LIKEPIPE_COUNT_CACHE_TTL_MS', 'LIKEPIPE_FEED_CACHE_MS']) {
      expect(() => loadApiConfig({ ...base, [name]: '0' })).toThrow(new RegExp(`${name} is invalid`));
    }
    expect(() => loadFeedRankerConfig({ ...base, LIKEPIPE_FEED_REFRESH_MS: 'soon' })).toThrow(
      /LIKEPIPE_FEED_REFRESH_MS is invalid/,
    );
  });

  it('names every bad variable, says why, and never echoes the secret', () => {
    const secret = 'short-secret-value';
    let err: unknown;
    try {
      loadApiConfig({
        ...base,
        LIKEPIPE_JWT_SECRET: secret,
        LIKEPIPE_RATE_LIMIT: 'lots',
        KAFKA_BROKERS: 'no-port',
        DATABASE_URL: undefined,
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/LIKEPIPE_JWT_SECRET is invalid: must be at least 32 characters/);
    expect(msg).toMatch(/LIKEPIPE_RATE_LIMIT is invalid/);
    expect(msg).toMatch(/KAFKA_BROKERS is invalid: expected host:port/);
    expect(msg).toMatch(/DATABASE_URL is not set/);
    expect(msg).not.toContain(secret);
  });
});

const messageOf = (fn: () => unknown): string => {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration of ensure-topic', () => {
  it('defaults to 12 partitions, replication factor 1, min.insync.replicas 1, a 120 s wait', () => {
    expect(loadEnsureTopicConfig({ KAFKA_BROKERS: '127.0.0.1:9092' })).toMatchObject({
      LIKEPIPE_KAFKA_TOPIC: 'like-events',
      LIKEPIPE_KAFKA_PARTITIONS: 12,
      LIKEPIPE_KAFKA_REPLICATION_FACTOR: 1,
      LIKEPIPE_KAFKA_MIN_INSYNC_REPLICAS: 1,
      LIKEPIPE_ENSURE_TOPIC_TIMEOUT_MS: 120_000,
    });
  });

  it('rejects min.insync.replicas above the replication factor, and partitions out of 1..10000', () => {
    const base = { KAFKA_BROKERS: '127.0.0.1:9092' };
    expect(
      messageOf(() =>
        loadEnsureTopicConfig({
          ...base,
          LIKEPIPE_KAFKA_REPLICATION_FACTOR: '2',
          LIKEPIPE_KAFKA_MIN_INSYNC_REPLICAS: '3',
        }),
      ),
    ).toMatch(/LIKEPIPE_KAFKA_MIN_INSYNC_REPLICAS is invalid: must be at most LIKEPIPE_KAFKA_REPLICATION_FACTOR \(2\)/);
    expect(messageOf(() => loadEnsureTopicConfig({ ...base, LIKEPIPE_KAFKA_PARTITIONS: '0' }))).toMatch(
      /LIKEPIPE_KAFKA_PARTITIONS is invalid/,
    );
    expect(messageOf(() => loadEnsureTopicConfig({ ...base, LIKEPIPE_KAFKA_PARTITIONS: '10001' }))).toMatch(
      /LIKEPIPE_KAFKA_PARTITIONS is invalid/,
    );
    expect(messageOf(() => loadEnsureTopicConfig({}))).toMatch(/KAFKA_BROKERS is not set/);
  });
});

describe('configuration of redis-cluster-keeper', () => {
  const nodes = Array.from({ length: 6 }, (_, i) => `redis-${i}.redis.ns.svc:6379`).join(',');

  it('parses the node list in ordinal order with defaults', () => {
    const c = loadRedisKeeperConfig({ LIKEPIPE_REDIS_NODES: nodes, LIKEPIPE_REDIS_PASSWORD: '' });
    expect(c.LIKEPIPE_REDIS_NODES[5]).toBe('redis-5.redis.ns.svc:6379');
    expect(c).toMatchObject({
      LIKEPIPE_REDIS_SHARDS: 3,
      LIKEPIPE_REDIS_REPLICAS_PER_SHARD: 1,
      LIKEPIPE_KEEPER_INTERVAL_MS: 10_000,
      LIKEPIPE_KEEPER_ONCE: false,
      LIKEPIPE_KEEPER_FORGET_AFTER_PASSES: 3,
      LIKEPIPE_METRICS_PORT: 9466,
    });
    expect(c.LIKEPIPE_REDIS_PASSWORD).toBeUndefined();
  });

  it('needs exactly shards × (1 + replicas) nodes, at least 3 shards, and never echoes the password', () => {
    const msg = messageOf(() =>
      loadRedisKeeperConfig({
        LIKEPIPE_REDIS_NODES: nodes,
        LIKEPIPE_REDIS_REPLICAS_PER_SHARD: '2',
        LIKEPIPE_REDIS_PASSWORD: 'hunter2-secret',
      }),
    );
    expect(msg).toMatch(/LIKEPIPE_REDIS_NODES is invalid: lists 6 nodes, but .* = 9/);
    expect(msg).not.toContain('hunter2-secret');
    expect(messageOf(() => loadRedisKeeperConfig({ LIKEPIPE_REDIS_NODES: nodes, LIKEPIPE_REDIS_SHARDS: '2' }))).toMatch(
      /LIKEPIPE_REDIS_SHARDS is invalid/,
    );
    expect(messageOf(() => loadRedisKeeperConfig({ LIKEPIPE_REDIS_NODES: 'a:1,a:1,b:1,c:1,d:1,e:1' }))).toMatch(
      /LIKEPIPE_REDIS_NODES is invalid: lists a node twice/,
    );
  });
});
