import type { Counter, Histogram } from 'prom-client';

export interface ApplyMetrics {
  /** Flushes written, by outcome (ok, error). */
  batches: Counter<'outcome'>;
  /** Events read, by outcome: applied, or skipped as already applied (a redelivery). */
  events: Counter<'outcome'>;
  duration?: Histogram;
}

/**
 * Runs one once-per-offset flush and counts it the same way for every role that writes through
 * consumer_progress (analytics, notifier, feed-ranker), so their dashboards read alike.
 */
export async function countedApply(
  m: ApplyMetrics,
  write: () => Promise<{ applied: number; skipped: number }>,
): Promise<void> {
  const end = m.duration?.startTimer();
  try {
    const r = await write();
    m.batches.inc({ outcome: 'ok' });
    m.events.inc({ outcome: 'applied' }, r.applied);
    if (r.skipped > 0) m.events.inc({ outcome: 'skipped' }, r.skipped);
  } catch (err) {
    m.batches.inc({ outcome: 'error' });
    throw err;
  } finally {
    end?.();
  }
}
