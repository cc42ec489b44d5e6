import { ConfigError, loadApiConfig, loadTruthWriterConfig } from '@likepipe/pipeline/config.js';

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
