import type { Server } from 'node:http';
import type { Role } from '@likepipe/contract';
import type pg from 'pg';
import { createKafka, type KafkaClients } from '../kafka/client.js';
import type { Logger } from '../observability/logger.js';
import { createPool } from '../postgres/pool.js';
import { createRedisCluster, type RedisCluster } from '../redis/client.js';
import { startMetricsServer } from './metrics-server.js';
import { onShutdown } from './shutdown.js';

/**
 * What every long-running worker role repeats, once: its clients (named after the role), its /metrics,
 * /healthz and /readyz listener, and an orderly stop on SIGTERM. A role builds what it needs here, registers
 * how to stop what it starts, and calls `run()`.
 *
 * Stopping goes in a fixed order: readiness drops first (so nothing routes to a stopping process), then what
 * was registered with `onStop`, last registered first (the loops and consumers started last end first, while
 * the clients they use are still open), then every client, then the listener.
 */
export class RoleProcess {
  private state: 'starting' | 'running' | 'stopping' = 'starting';
  private readonly stops: (() => Promise<unknown>)[] = [];
  private readonly clients: (() => Promise<unknown>)[] = [];
  private readonly readyChecks: (() => boolean)[] = [];
  private server: Server | undefined;

  constructor(
    readonly role: Role,
    readonly log: Logger,
  ) {}

  pool(url: string, max: number): pg.Pool {
    const pool = createPool(url, { max, applicationName: `likepipe-${this.role}`, log: this.log });
    this.clients.push(() => pool.end());
    return pool;
  }

  kafka(brokers: string[]): KafkaClients {
    return createKafka(brokers, `likepipe-${this.role}`, this.log);
  }

  redis(nodes: string[], opts: { commandTimeoutMs: number; failFast: boolean }): RedisCluster {
    const redis = createRedisCluster(nodes, opts);
    redis.on('error', (err: Error) => this.log.debug('redis client error', { err }));
    this.clients.push(() => redis.quit());
    return redis;
  }

  /**
   * Serves /metrics, /healthz and /readyz. Ready from `run()` until the stop begins, unless the role says what
   * ready means to it (the reconciler: its last pass worked; the keeper: the cluster it keeps is whole), and in
   * either case only while every `readyOnlyWhile` condition holds.
   */
  async serveMetrics(
    config: { LIKEPIPE_METRICS_PORT: number; LIKEPIPE_METRICS_HOST: string },
    isReady: () => boolean = () => this.state === 'running',
  ): Promise<void> {
    this.server = await startMetricsServer(config, () => isReady() && this.readyChecks.every((ready) => ready()));
  }

  /** A condition /readyz also requires, e.g. a consumer that is not restarting after a stall. */
  readyOnlyWhile(ready: () => boolean): void {
    this.readyChecks.push(ready);
  }

  /** Registers how to stop something this role started; see the class comment for the order. */
  onStop(stop: () => Promise<unknown>): void {
    this.stops.push(stop);
  }

  /** Marks the role running and resolves once SIGTERM or SIGINT has stopped everything. */
  run(details: Record<string, unknown> = {}): Promise<void> {
    this.state = 'running';
    this.log.info(`${this.role} running`, details);
    return new Promise((resolve) => {
      onShutdown(this.log, async () => {
        this.state = 'stopping';
        // One step failing (Kafka gone while leaving the group) must not keep the others from running; the
        // process still exits non-zero.
        for (const stop of [...this.stops].reverse()) {
          await stop().catch((err: unknown) => {
            process.exitCode = 1;
            this.log.error('error during shutdown', { err: err instanceof Error ? err : String(err) });
          });
        }
        await Promise.allSettled(this.clients.map((close) => close()));
        this.server?.close();
        resolve();
      });
    });
  }
}
