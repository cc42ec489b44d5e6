import type { TextSpec } from './helpers.js';

/**
 * Where to look when the cause is below LikePipeline: the dashboards the exporters' own projects publish. They
 * read the exporters' metrics, not ours, so they are linked rather than copied (and stay current upstream).
 */
export const dependencyLinks: TextSpec = {
  title: 'Redis, Kafka and Postgres dashboards',
  description:
    'Links to the standard dashboards of the stores under the pipeline. Open them when a panel here points at a ' +
    'store (Redis latency, consumer lag, slow flushes) and the cause is not in the pipeline itself.',
  h: 7,
  markdown: [
    'The stores have dashboards of their own, over their exporters\u2019 metrics. Import them into the same Grafana:',
    '',
    '| store | exporter | dashboards |',
    '|---|---|---|',
    '| Redis Cluster | [redis_exporter](https://github.com/oliver006/redis_exporter) | the Grafana dashboard published with redis_exporter (memory, evictions, commands per second, latency per command, cluster state) |',
    '| Kafka | [KMinion](https://github.com/redpanda-data/kminion), or Strimzi\u2019s Kafka Exporter and JMX metrics | KMinion\u2019s cluster, topic and consumer-group dashboards; with Strimzi, the [Strimzi Kafka, Kafka Exporter and KRaft dashboards](https://github.com/strimzi/strimzi-kafka-operator/tree/main/packaging/examples/metrics/grafana-dashboards) |',
    '| Postgres | [postgres_exporter](https://github.com/prometheus-community/postgres_exporter), or CloudNativePG\u2019s built-in exporter | the postgres_exporter dashboard; with CloudNativePG, [its dashboard](https://github.com/cloudnative-pg/grafana-dashboards) |',
    '',
    'Consumer lag per partition (which partition is stuck) is in the Kafka dashboards; this one shows it per consumer role.',
  ].join('\n'),
};
