import http from 'node:http';

/**
 * The like-API processes a run spreads its requests over, as a Kubernetes Service would: round robin over the
 * ones whose /readyz answered 200 at the last probe (every 250 ms). A process that is stopping turns not-ready
 * and leaves the rotation; one that is gone entirely fails its requests until the next probe notices. A probe
 * that only times out counts as a failure after SLOW_PROBES_TO_FAIL in a row, as a readiness probe's
 * failureThreshold does: on a saturated box a healthy process can answer late, and marking it not-ready at
 * once left a stopped process as the only "choice" (7 s of refused connections in one CI run).
 */
const SLOW_PROBES_TO_FAIL = 3;

export class Endpoints {
  readonly all: { url: URL; agent: http.Agent; ready: boolean; slowProbes: number }[];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(urls: string[], maxSockets: number) {
    this.all = urls.map((u) => ({
      url: new URL(u),
      agent: new http.Agent({ keepAlive: true, maxSockets: Math.ceil(maxSockets / urls.length) }),
      ready: true,
      slowProbes: 0,
    }));
  }

  startProbing(intervalMs = 250): void {
    const probe = () => {
      for (const e of this.all) {
        let timedOut = false;
        const req = http.get(new URL('/readyz', e.url), { timeout: 1_000 }, (res) => {
          e.ready = res.statusCode === 200;
          e.slowProbes = 0;
          res.resume();
        });
        req.on('timeout', () => {
          timedOut = true;
          req.destroy();
        });
        req.on('error', () => {
          if (timedOut && ++e.slowProbes < SLOW_PROBES_TO_FAIL) return;
          e.ready = false;
        });
      }
    };
    probe();
    this.timer = setInterval(probe, intervalMs);
  }

  /** The next ready endpoint; when none is ready, the next one anyway (its failures are the errors to see). */
  pick(): { url: URL; agent: http.Agent } {
    for (let i = 0; i < this.all.length; i++) {
      const e = this.all[this.next++ % this.all.length]!;
      if (e.ready) return e;
    }
    return this.all[this.next++ % this.all.length]!;
  }

  close(): void {
    clearInterval(this.timer);
    for (const e of this.all) e.agent.destroy();
  }
}
