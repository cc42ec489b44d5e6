import { PIPELINE_METRICS } from '@likepipe/contract';

const SERIES = `${PIPELINE_METRICS.kafkaProduceBatchSize.name}_count`;

/**
 * Kafka produce requests the like-API processes sent, from their own /metrics (one observation of the batch-size
 * histogram per request), summed over the processes and over their restarts: a counter that went down was
 * restarted from zero, so its new value is all new. Sampled every second so a process stopped by the chaos
 * schedule loses at most its last second.
 */
export class ProduceRequests {
  private readonly last = new Map<string, number>();
  total = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly apiUrls: string[]) {}

  async sample(): Promise<void> {
    await Promise.all(
      this.apiUrls.map(async (url) => {
        const text = await fetch(new URL('/metrics', url), { signal: AbortSignal.timeout(2_000) })
          .then((r) => (r.ok ? r.text() : null))
          .catch(() => null);
        if (text === null) return;
        const m = new RegExp(`^${SERIES}(?:\\{[^}]*\\})? ([0-9.e+]+)$`, 'm').exec(text);
        if (!m) return;
        const value = Number(m[1]);
        const before = this.last.get(url);
        if (before !== undefined) this.total += value >= before ? value - before : value;
        this.last.set(url, value);
      }),
    );
  }

  start(): void {
    this.timer = setInterval(() => void this.sample(), 1_000);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.sample();
  }
}
