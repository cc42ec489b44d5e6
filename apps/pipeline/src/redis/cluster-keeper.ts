import {
  formatSlots,
  parseClusterNodes,
  planRedisCluster,
  type RedisClusterAction,
  type RedisClusterPlan,
} from '@likepipe/ops';
import type { Redis } from 'ioredis';
import { KeeperActionError } from '../errors/keeper-action-error.js';
import type { Logger } from '../observability/logger.js';
import {
  redisKeeperActions,
  redisKeeperClusterOk,
  redisKeeperPasses,
  redisKeeperReachableNodes,
  redisKeeperUncoveredSlots,
} from '../observability/metrics.js';
import { clusterCommand, reachNode, type ReachedNode } from './cluster-node.js';

export interface KeeperOptions {
  /** Every pod, `host:port`, in StatefulSet ordinal order. */
  nodes: string[];
  shards: number;
  replicasPerShard: number;
  password?: string;
  /** A stale node id is forgotten once seen stale on more than this many consecutive passes. */
  forgetAfterPasses: number;
  /** How long to wait for meetings to propagate before replicas are attached. */
  awaitTimeoutMs?: number;
  connectTimeoutMs?: number;
  commandTimeoutMs?: number;
}

export interface KeeperPassResult {
  plan: RedisClusterPlan;
  /** The actions planned for this pass, in order; empty when the cluster needs nothing. */
  actions: RedisClusterAction[];
  executed: RedisClusterAction[];
  failed: { action: RedisClusterAction; error: string }[];
}

/**
 * Creates and heals the builtin Redis Cluster from outside: each pass observes every pod, asks the pure planner
 * (packages/core/src/redis-cluster-plan.ts) what to do, and runs it. All state that matters lives in Redis; the
 * keeper itself only remembers how many passes each stale node id has been seen, so it can be restarted anytime.
 */
export class RedisClusterKeeper {
  private staleSeen = new Map<string, number>();
  private lastClusterOk: boolean | undefined;

  constructor(
    private readonly opts: KeeperOptions,
    private readonly log: Logger,
  ) {}

  async pass(): Promise<KeeperPassResult> {
    const reached = await Promise.all(
      this.opts.nodes.map((address, ordinal) =>
        reachNode(ordinal, address, {
          ...(this.opts.password ? { password: this.opts.password } : {}),
          connectTimeoutMs: this.opts.connectTimeoutMs ?? 2_000,
          commandTimeoutMs: this.opts.commandTimeoutMs ?? 5_000,
        }),
      ),
    );
    try {
      const plan = planRedisCluster(
        reached.map((r) => r.observation),
        {
          shards: this.opts.shards,
          replicasPerShard: this.opts.replicasPerShard,
          forgetAfterPasses: this.opts.forgetAfterPasses,
        },
        this.staleSeen,
      );
      this.staleSeen = plan.staleSeen;
      this.report(plan);
      const result: KeeperPassResult = { plan, actions: plan.actions, executed: [], failed: [] };
      for (const action of plan.actions) {
        try {
          await this.execute(action, reached);
          redisKeeperActions.inc({ action: action.kind, outcome: 'ok' });
          result.executed.push(action);
        } catch (err) {
          const error = (err as Error).message;
          redisKeeperActions.inc({ action: action.kind, outcome: 'error' });
          result.failed.push({ action, error });
          this.log.error('keeper action failed', { ...this.describe(action), error });
          // What follows a wait depends on it; the next pass re-plans from what is true by then.
          if (action.kind === 'await-known') break;
        }
      }
      redisKeeperPasses.inc({ outcome: result.failed.length === 0 ? 'ok' : 'error' });
      return result;
    } catch (err) {
      redisKeeperPasses.inc({ outcome: 'error' });
      throw err;
    } finally {
      for (const r of reached) r.client?.disconnect();
    }
  }

  private report(plan: RedisClusterPlan): void {
    const h = plan.health;
    redisKeeperClusterOk.set(h.clusterOk ? 1 : 0);
    redisKeeperReachableNodes.set(h.reachable);
    redisKeeperUncoveredSlots.set(h.uncoveredSlots);
    for (const w of plan.warnings) this.log.warn(w);
    // While the cluster is being created every slot is unserved, and that is no news.
    if (plan.mode === 'maintain' && h.uncoveredSlots > 0) {
      this.log.error('Redis Cluster has slots that no reachable master serves; the keeper will not reassign them', {
        ...h,
      });
    }
    if (h.clusterOk !== this.lastClusterOk) {
      this.log.info(h.clusterOk ? 'Redis Cluster is ok' : 'Redis Cluster is not ok', { mode: plan.mode, ...h });
      this.lastClusterOk = h.clusterOk;
    }
  }

  private async execute(action: RedisClusterAction, reached: readonly ReachedNode[]): Promise<void> {
    const client = (ordinal: number): Redis => {
      const c = reached[ordinal]?.client;
      // The planner only targets nodes it saw answer; anything else is a bug worth stopping for.
      if (!c) throw new KeeperActionError(`node ${ordinal} was not reached in this pass`);
      return c;
    };
    this.log.info(`redis keeper: ${action.kind}`, this.describe(action));
    switch (action.kind) {
      case 'add-slots':
        await clusterCommand(client(action.node), 'ADDSLOTSRANGE', ...action.slots.flat());
        return;
      case 'meet':
        await clusterCommand(client(action.node), 'MEET', action.ip, action.port, action.busPort);
        return;
      case 'replicate':
        await clusterCommand(client(action.node), 'REPLICATE', action.masterId);
        return;
      case 'await-known':
        await this.awaitKnown(
          action.nodes.map((n) => [n, client(n)] as const),
          action.ids,
        );
        return;
      case 'forget': {
        // On every node that knows it, back to back: one that kept it would gossip it back within a minute.
        const results = await Promise.allSettled(
          action.nodes.map((n) => clusterCommand(client(n), 'FORGET', action.nodeId)),
        );
        const errors = results.flatMap((r, i) =>
          r.status === 'rejected' && !/unknown node/i.test(String(r.reason))
            ? [`${this.opts.nodes[action.nodes[i]!]}: ${(r.reason as Error).message}`]
            : [],
        );
        if (errors.length > 0)
          throw new KeeperActionError(`CLUSTER FORGET ${action.nodeId} failed on ${errors.join('; ')}`);
        return;
      }
    }
  }

  private async awaitKnown(nodes: readonly (readonly [number, Redis])[], ids: readonly string[]): Promise<void> {
    const timeoutMs = this.opts.awaitTimeoutMs ?? 15_000;
    const deadline = Date.now() + timeoutMs;
    let missing: string[] = [];
    for (;;) {
      missing = [];
      for (const [ordinal, c] of nodes) {
        const known = new Set(
          parseClusterNodes(await clusterCommand(c, 'NODES'))
            .filter((e) => !e.handshake && !e.noaddr)
            .map((e) => e.id),
        );
        const lacking = ids.filter((id) => !known.has(id));
        if (lacking.length > 0) missing.push(`${this.opts.nodes[ordinal]} lacks ${lacking.length}`);
      }
      if (missing.length === 0) return;
      if (Date.now() > deadline) {
        throw new KeeperActionError(
          `cluster membership did not propagate within ${timeoutMs} ms: ${missing.join(', ')}`,
        );
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  private describe(a: RedisClusterAction): Record<string, unknown> {
    const at = (n: number) => this.opts.nodes[n];
    switch (a.kind) {
      case 'add-slots':
        return { action: a.kind, node: at(a.node), slots: formatSlots(a.slots) };
      case 'meet':
        return { action: a.kind, node: at(a.node), target: at(a.target), ip: a.ip, reason: a.reason };
      case 'replicate':
        return { action: a.kind, node: at(a.node), master: at(a.master), masterId: a.masterId, reason: a.reason };
      case 'await-known':
        return { action: a.kind, nodes: a.nodes.map(at), ids: a.ids.length };
      case 'forget':
        return { action: a.kind, nodeId: a.nodeId, nodes: a.nodes.map(at), reason: a.reason };
    }
  }
}
