import { deliveryBackoffMs, notificationText } from '@likepipe/core';
import type { Logger } from '../observability/logger.js';
import { notificationDeliveries } from '../observability/metrics.js';
import type { PgNotificationStore } from '../postgres/notification-store.js';
import { createBreaker, fire } from '../resilience/breaker.js';
import { startPeriodicTask, type PeriodicTask } from '../runtime/periodic-task.js';

export interface PusherOptions {
  webhookUrl: string;
  intervalMs: number;
  timeoutMs: number;
  backoff: { baseMs: number; maxMs: number };
  batch: number;
}

/**
 * Pushes closed notifications to the webhook, apart from the Kafka consumer: a slow or dead push service only
 * delays pushes (retries with backoff, a circuit breaker that stops calling it while it is down), it never
 * holds up consuming and storing. State lives in Postgres, so pushes survive restarts and go out at least once.
 */
export class NotificationPusher {
  private task: PeriodicTask | undefined;
  private readonly breaker = createBreaker({
    name: 'notify-webhook',
    timeoutMs: false, // fetch has its own timeout below
    volumeThreshold: 3,
    resetTimeoutMs: 5_000,
  });

  constructor(
    private readonly store: PgNotificationStore,
    private readonly opts: PusherOptions,
    private readonly log: Logger,
  ) {}

  start(): void {
    this.task ??= startPeriodicTask(
      this.opts.intervalMs,
      () => this.tick(),
      (err) => this.log.warn('push pass failed', { err: err as Error }),
    );
  }

  /** Resolves once the pass in progress has finished. */
  async stop(): Promise<void> {
    await this.task?.stop();
  }

  /** One pass: claim what is due, push each, record the outcome. */
  async tick(): Promise<void> {
    if (this.breaker.opened) return; // the push service is down: leave everything due for later
    const due = await this.store.claimDeliveries(this.opts.batch, this.opts.timeoutMs * 2);
    for (const d of due) {
      try {
        await fire(this.breaker, () => this.push(d));
        await this.store.finishDelivery(d.id, true, 0);
        notificationDeliveries.inc({ outcome: 'delivered' });
      } catch (err) {
        const retryIn = deliveryBackoffMs(d.attempt, this.opts.backoff.baseMs, this.opts.backoff.maxMs);
        await this.store.finishDelivery(d.id, false, retryIn);
        notificationDeliveries.inc({ outcome: this.breaker.opened ? 'breaker_open' : 'failed' });
        this.log.debug('push failed; will retry', {
          id: d.id,
          attempt: d.attempt,
          retryInMs: retryIn,
          err: err as Error,
        });
      }
    }
  }

  private async push(d: Awaited<ReturnType<PgNotificationStore['claimDeliveries']>>[number]): Promise<void> {
    const res = await fetch(this.opts.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': `notification-${d.id}` },
      body: JSON.stringify({
        id: d.id,
        recipientId: d.recipientId,
        postId: d.postId,
        windowStart: d.windowStart,
        likers: d.likers,
        likeCount: d.likers.length,
        text: notificationText(d.likers),
      }),
      signal: AbortSignal.timeout(this.opts.timeoutMs),
    });
    await res.arrayBuffer().catch(() => undefined);
    if (!res.ok) throw new Error(`webhook answered ${res.status}`);
  }
}
