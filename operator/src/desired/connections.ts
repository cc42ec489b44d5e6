import type { LikePipeline, SecretKeyRef } from '../api/types.js';
import { names } from './meta.js';

/** Where the pipeline's roles find Redis, Kafka and Postgres, whatever mode each runs in. */
export interface Connections {
  redisNodes: string[];
  kafkaBrokers: string[];
  databaseUrl: SecretKeyRef;
}

export const REDIS_PORT = 6379;
export const KAFKA_PORT = 9092;
export const KAFKA_CONTROLLER_PORT = 9093;
export const POSTGRES_PORT = 5432;

export const redisNodeCount = (lp: LikePipeline) => lp.spec.redis.shards * (1 + lp.spec.redis.replicasPerShard);

/** Stable per-pod DNS names of a StatefulSet behind its headless Service. */
export const podHosts = (lp: LikePipeline, sts: string, count: number, port: number) =>
  Array.from({ length: count }, (_, i) => `${sts}-${i}.${sts}.${lp.metadata.namespace}.svc:${port}`);

export function connections(lp: LikePipeline): Connections {
  const n = names(lp);
  const { redis, kafka, postgres } = lp.spec;
  return {
    redisNodes:
      redis.mode === 'external' ? (redis.external?.nodes ?? []) : podHosts(lp, n.redis, redisNodeCount(lp), REDIS_PORT),
    kafkaBrokers:
      kafka.mode === 'external'
        ? (kafka.external?.bootstrapServers ?? [])
        : kafka.mode === 'strimzi'
          ? [`${n.strimziBootstrap}.${lp.metadata.namespace}.svc:${KAFKA_PORT}`]
          : podHosts(lp, n.kafka, kafka.brokers, KAFKA_PORT),
    databaseUrl:
      postgres.mode === 'external'
        ? (postgres.external?.urlSecretRef ?? { name: '', key: 'url' })
        : postgres.mode === 'cnpg'
          ? { name: n.cnpgAppSecret, key: 'uri' }
          : { name: n.postgresSecret, key: 'url' },
  };
}
