import http from 'node:http';

/**
 * A constant-arrival-rate load generator (the wrk2 / k6 constant-arrival-rate model): request i is due at
 * start + i/rate whatever happened to earlier requests, and its latency is measured from when it was due, so a
 * server that stalls is charged for the requests that queued behind the stall (no coordinated omission).
 * autocannon's rate option paces each connection instead, which sends in bursts and hides queueing.
 */
export interface OpenLoopResult {
  requests: number;
  ok: number;
  errors: number;
  durationS: number;
  latenciesMs: number[];
}

export async function openLoop(opts: {
  url: string;
  rate: number;
  count: number;
  connections: number;
  request: (i: number) => { path: string; headers: Record<string, string> };
}): Promise<OpenLoopResult> {
  const target = new URL(opts.url);
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.connections });
  const latencies: number[] = [];
  let ok = 0;
  let errors = 0;
  let done = 0;
  const start = performance.now();
  await new Promise<void>((resolve) => {
    let sent = 0;
    const send = (i: number, due: number) => {
      const { path, headers } = opts.request(i);
      const req = http.request(
        { host: target.hostname, port: target.port, method: 'POST', path, headers, agent, timeout: 30_000 },
        (res) => {
          res.resume();
          res.on('end', () => {
            latencies.push(performance.now() - due);
            if (res.statusCode && res.statusCode < 300) ok++;
            else errors++;
            if (++done === opts.count) resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        if (++done === opts.count) resolve();
      });
      req.end();
    };
    const tick = () => {
      const now = performance.now();
      while (sent < opts.count && start + (sent * 1000) / opts.rate <= now) {
        send(sent, start + (sent * 1000) / opts.rate);
        sent++;
      }
      if (sent < opts.count) setTimeout(tick, 1);
    };
    tick();
  });
  agent.destroy();
  return { requests: opts.count, ok, errors, durationS: (performance.now() - start) / 1000, latenciesMs: latencies };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
