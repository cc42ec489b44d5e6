import type { AppDeps } from '@likepipe/pipeline/http/app.js';
import { createApp } from '@likepipe/pipeline/http/app.js';
import { openApiDocument } from '@likepipe/pipeline/http/openapi.js';

/**
 * Every route the like-API serves is in its OpenAPI document, method by method, read from the express app
 * itself (its router's layers), so a route added without documenting it fails here. The other direction, every
 * documented operation answering on the running API, is test/integration/fuzz.test.ts's. Left out on purpose:
 * the demo page's static files under /app (not part of the API contract) and /bench (off unless
 * LIKEPIPE_BENCH_ENDPOINTS is set; the app is built here without it).
 */
interface Layer {
  rawPath?: string;
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
}

function routes(stack: Layer[], prefix = ''): string[] {
  const out: string[] = [];
  for (const layer of stack) {
    if (layer.route) {
      const path = (prefix + (layer.route.path === '/' ? '' : layer.route.path)).replace(/:(\w+)/g, '{$1}');
      for (const [method, on] of Object.entries(layer.route.methods))
        if (on) out.push(`${method.toUpperCase()} ${path}`);
    } else if (layer.handle.stack && typeof layer.rawPath === 'string') {
      out.push(...routes(layer.handle.stack, prefix + layer.rawPath));
    }
  }
  return out;
}

const quiet = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };
const app = createApp({
  jwtSecret: 'openapi-routes-test-secret-of-enough-length',
  log: quiet,
  isReady: () => ({ ready: true }),
  metrics: async () => ({ contentType: 'text/plain', body: '' }),
  isDraining: () => false,
} as unknown as AppDeps);
const served = routes((app as unknown as { router: { stack: Layer[] } }).router.stack)
  .filter((r) => !/^\w+ \/app(\/|$)/.test(r))
  .sort();
const documented = Object.entries(openApiDocument.paths)
  .flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`))
  .sort();

describe('the OpenAPI document and the routes', () => {
  it('finds the routes (the introspection works)', () => {
    expect(served).toEqual(expect.arrayContaining(['GET /healthz', 'POST /api/posts/{id}/like']));
  });

  it('documents every route the app serves, and nothing it does not', () => {
    expect(served).toEqual(documented);
  });
});
