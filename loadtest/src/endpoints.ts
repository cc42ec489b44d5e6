import http from 'node:http';

/**
 * The like-API processes a run spreads its requests over, as a Kubernetes Service would: round robin over the
 * ones whose /readyz answered 200 at the last probe (every 250 ms). A process that is stopping turns not-ready
 * and leaves the rotation; one that is gone entirely fails its requests until the next probe notices.
 */
export class Endpoints {
  readonly all: { url: URL; agent: http.Agent; ready: boolean }[];
  private next = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(urls: string[], maxSockets: number) {
    this.all = urls.map((u) => ({
      url: new URL(u),
      agent: new http.Agent({ keepAlive: true, maxSockets: Math.ceil(maxSockets / urls.length) }),
      ready: true,
    }));
  }

  startProbing(intervalMs = 250): void {
    const probe = () => {
      for (const e of this.all) {
        const req = http.get(new URL('/readyz', e.url), { timeout: 1_000 }, (res) => {
          e.ready = res.statusCode === 200;
          res.resume();
        });
        req.on('timeout', () => req.destroy());
        req.on('error', () => (e.ready = false));
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
