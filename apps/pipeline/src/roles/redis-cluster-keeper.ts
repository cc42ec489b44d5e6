import type { RedisKeeperConfig } from '../config.js';
import { KeeperActionError } from '../errors/keeper-action-error.js';
import type { Logger } from '../observability/logger.js';
import { RedisClusterKeeper } from '../redis/cluster-keeper.js';
import { startPeriodicTask } from '../runtime/periodic-task.js';
import { RoleProcess } from '../runtime/role-process.js';

/**
 * The redis-cluster-keeper role: a single-replica Deployment that runs a pass every interval, or, with
 * LIKEPIPE_KEEPER_ONCE, one pass whose failure is the exit status.
 */
export async function runRedisClusterKeeper(config: RedisKeeperConfig, log: Logger): Promise<void> {
  const keeper = new RedisClusterKeeper(
    {
      nodes: config.LIKEPIPE_REDIS_NODES,
      shards: config.LIKEPIPE_REDIS_SHARDS,
      replicasPerShard: config.LIKEPIPE_REDIS_REPLICAS_PER_SHARD,
      forgetAfterPasses: config.LIKEPIPE_KEEPER_FORGET_AFTER_PASSES,
      ...(config.LIKEPIPE_REDIS_PASSWORD ? { password: config.LIKEPIPE_REDIS_PASSWORD } : {}),
    },
    log,
  );
  if (config.LIKEPIPE_KEEPER_ONCE) {
    const r = await keeper.pass();
    if (r.failed.length > 0) {
      throw new KeeperActionError(
        `${r.failed.length} of ${r.actions.length} actions failed: ${r.failed.map((f) => f.error).join('; ')}`,
      );
    }
    return;
  }

  const proc = new RoleProcess('redis-cluster-keeper', log);
  const interval = config.LIKEPIPE_KEEPER_INTERVAL_MS;
  // Ready means the cluster it keeps is whole (cluster_state ok, every slot covered), not just that a pass ran:
  // the operator reports RedisReady from this pod's readiness.
  let lastPassOk = false;
  await proc.serveMetrics(config, () => lastPassOk);
  const passes = startPeriodicTask(
    interval,
    async () => {
      const r = await keeper.pass();
      lastPassOk = r.failed.length === 0 && r.plan.health.clusterOk;
    },
    (err) => {
      lastPassOk = false;
      log.error('keeper pass failed; will retry', { err: err as Error });
    },
  );
  // A pass in progress finishes: stopping between a MEET and its REPLICATE is safe, but there is no need.
  proc.onStop(() => passes.stop());
  return proc.run({
    nodes: config.LIKEPIPE_REDIS_NODES.length,
    shards: config.LIKEPIPE_REDIS_SHARDS,
    replicasPerShard: config.LIKEPIPE_REDIS_REPLICAS_PER_SHARD,
    intervalMs: interval,
  });
}
