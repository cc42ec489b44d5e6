import { Cluster } from 'ioredis';
import { registerScripts, type WithScripts } from './scripts.js';

export type RedisCluster = WithScripts<Cluster>;

/**
 * A Redis Cluster client tuned to fail fast: with the offline queue off, a command sent while the cluster is
 * unreachable errors at once instead of waiting for a reconnect, so the like-API degrades within one request.
 */
export function createRedisCluster(
  nodes: string[],
  opts: { commandTimeoutMs: number; failFast: boolean },
): RedisCluster {
  const cluster = new Cluster(
    nodes.map((n) => {
      const [host, port] = n.split(':');
      return { host: host!, port: Number(port) };
    }),
    {
      enableOfflineQueue: !opts.failFast,
      // Commands issued in the same event-loop tick go out as one pipeline per node: under a burst of likes
      // this turns hundreds of writes and reads into a handful of syscalls on both ends.
      enableAutoPipelining: true,
      enableReadyCheck: true,
      scaleReads: 'master',
      slotsRefreshTimeout: 2_000,
      retryDelayOnFailover: 100,
      retryDelayOnClusterDown: 200,
      maxRedirections: 8,
      clusterRetryStrategy: (times) => Math.min(100 * times, 2_000),
      redisOptions: {
        connectTimeout: 2_000,
        commandTimeout: opts.commandTimeoutMs,
        maxRetriesPerRequest: opts.failFast ? 1 : 20,
      },
    },
  );
  return registerScripts(cluster);
}

/** Resolves once the cluster client has loaded the slot map, or rejects after `timeoutMs`. */
export function waitForReady(cluster: Cluster, timeoutMs: number): Promise<void> {
  if (cluster.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`Redis Cluster not ready after ${timeoutMs} ms (status ${cluster.status})`));
    }, timeoutMs);
    const onReady = () => {
      cleanup();
      resolve();
    };
    const cleanup = () => {
      clearTimeout(timer);
      cluster.off('ready', onReady);
    };
    cluster.on('ready', onReady);
  });
}
