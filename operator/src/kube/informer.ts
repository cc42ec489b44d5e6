import { backoffMs } from '@likepipe/contract';
import {
  ListWatch,
  Watch,
  type KubeConfig,
  type KubernetesListObject,
  type KubernetesObject,
} from '@kubernetes/client-node';
import type { Logger } from '@likepipe/contract';

export interface ResilientInformerOptions {
  /** Restart a watch that has said nothing (no event, no reconnect) for this long. */
  watchdogMs: number;
  /** First and longest delay between restarts after an error. */
  backoffMs: { base: number; max: number };
}

/**
 * client-node's ListWatch reconnects after a watch times out, but after any other error it stops for good.
 * This wrapper restarts it with exponential backoff, and a watchdog restarts watches that went silent (a dead
 * TCP connection a proxy never closed looks exactly like a quiet resource).
 */
export class ResilientInformer<T extends KubernetesObject> {
  private readonly lw: ListWatch<T>;
  private lastActivity = Date.now();
  private failures = 0;
  private timer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private stopped = false;
  private synced = false;
  private readonly syncWaiters: (() => void)[] = [];

  constructor(
    kc: KubeConfig,
    readonly name: string,
    path: string,
    list: () => Promise<KubernetesListObject<T>>,
    onChange: (obj: T) => void,
    private readonly log: Logger,
    private readonly opts: ResilientInformerOptions,
    labelSelector?: string,
  ) {
    this.lw = new ListWatch<T>(path, new Watch(kc), list, false, labelSelector);
    const touch = () => {
      this.lastActivity = Date.now();
    };
    for (const verb of ['add', 'update', 'delete'] as const) {
      this.lw.on(verb, (obj) => {
        touch();
        onChange(obj);
      });
    }
    this.lw.on('connect', () => {
      touch();
      if (this.failures > 0) this.log.info('watch reconnected', { informer: this.name });
      this.failures = 0;
    });
    this.lw.on('error', (err) => this.restartLater(err));
  }

  get cache(): ListWatch<T> {
    return this.lw;
  }

  async start(): Promise<void> {
    this.stopped = false;
    this.watchdog = setInterval(
      () => {
        if (Date.now() - this.lastActivity > this.opts.watchdogMs) {
          this.log.warn('watch silent too long, restarting it', { informer: this.name });
          this.lastActivity = Date.now();
          void this.restartNow();
        }
      },
      Math.max(1000, Math.floor(this.opts.watchdogMs / 4)),
    );
    this.watchdog.unref();
    await this.lw.start().then(
      () => this.markSynced(),
      (err: unknown) => this.restartLater(err),
    );
  }

  /** ListWatch.start() resolves after the list, or after an error it reported through 'error'. */
  private markSynced(): void {
    if (this.synced || !this.lw.latestResourceVersion()) return;
    this.synced = true;
    this.syncWaiters.splice(0).forEach((w) => w());
  }

  /** Resolves once the first list has filled the cache (or immediately if it already has). */
  waitForSync(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    clearInterval(this.watchdog);
    await this.lw.stop();
  }

  private restartLater(err: unknown): void {
    if (this.stopped) return;
    this.failures++;
    const delay = backoffMs(this.failures, { baseMs: this.opts.backoffMs.base, maxMs: this.opts.backoffMs.max });
    this.log.warn('watch failed, restarting', {
      informer: this.name,
      delayMs: delay,
      err: err instanceof Error ? err.message : String(err),
    });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.restartNow(), delay);
  }

  private async restartNow(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.lw.stop();
      await this.lw.start();
      this.markSynced();
    } catch (err) {
      this.restartLater(err);
    }
  }
}
