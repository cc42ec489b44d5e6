import { createServer, type Server } from 'node:http';
import { registry } from '../observability/metrics.js';

/** /metrics, /healthz and /readyz for the worker roles, which have no HTTP API of their own. */
export function startMetricsServer(
  config: { LIKEPIPE_METRICS_PORT: number; LIKEPIPE_METRICS_HOST: string },
  isReady: () => boolean,
): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      registry.metrics().then(
        (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
        () => res.writeHead(500).end(),
      );
    } else if (req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    } else if (req.url === '/readyz') {
      const ok = isReady();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ready' : 'not_ready' }));
    } else {
      res.writeHead(404).end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.LIKEPIPE_METRICS_PORT, config.LIKEPIPE_METRICS_HOST, () => resolve(server));
  });
}
