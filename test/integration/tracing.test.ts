import { createServer, type Server } from 'node:http';
import { API_B, call, closeClients, createPost, like, uid, waitFor, waitHealthy } from '../support/stack.js';

/**
 * Tracing on the real stack. scripts/test.sh points every role at an OTLP/HTTP JSON endpoint
 * (OTEL_EXPORTER_OTLP_ENDPOINT, 127.0.0.1:4318 + offset) that nobody serves except this file, for the length
 * of it: for the rest of the suite the roles export into the void, which must cost them nothing visible.
 * Here one like must become one trace from the like-API through Kafka to the truth-writer and Postgres.
 */
const ENDPOINT = new URL(process.env.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://127.0.0.1:4318');
const TRUTH_WRITER_METRICS = `http://127.0.0.1:${process.env.LIKEPIPE_TRUTH_WRITER_METRICS_PORT ?? '9564'}/metrics`;

interface OtlpValue {
  stringValue?: string;
  intValue?: string | number;
  boolValue?: boolean;
  doubleValue?: number;
}
interface ExportedSpan {
  service: string;
  scope: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean | undefined>;
  links: { traceId: string; spanId: string }[];
}
const KIND = { INTERNAL: 1, SERVER: 2, CLIENT: 3, PRODUCER: 4, CONSUMER: 5 } as const;

const value = (v: OtlpValue) =>
  v.stringValue ?? (v.intValue !== undefined ? Number(v.intValue) : (v.boolValue ?? v.doubleValue));
const attrs = (list: { key: string; value: OtlpValue }[] = []) =>
  Object.fromEntries(list.map((a) => [a.key, value(a.value)]));

/** A minimal OTLP/HTTP JSON trace receiver: remembers every span it is sent. */
function startReceiver(): Promise<{ server: Server; spans: ExportedSpan[]; posts: () => number }> {
  const spans: ExportedSpan[] = [];
  let posts = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      posts++;
      // eslint-disable-next-line @typescript-eslint/no-explicit-any
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as any;
      for (const rs of body.resourceSpans ?? []) {
        const service = String(attrs(rs.resource?.attributes)['service.name']);
        for (const ss of rs.scopeSpans ?? []) {
          for (const s of ss.spans ?? []) {
            spans.push({
              service,
              scope: ss.scope?.name ?? '',
              traceId: s.traceId,
              spanId: s.spanId,
              ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
              name: s.name,
              kind: s.kind,
              attributes: attrs(s.attributes),
              links: (s.links ?? []).map((l: { traceId: string; spanId: string }) => ({
                traceId: l.traceId,
                spanId: l.spanId,
              })),
            });
          }
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(Number(ENDPOINT.port), ENDPOINT.hostname, () => resolve({ server, spans, posts: () => posts }));
  });
}

/** Flushes the truth-writer has done so far (all outcomes). */
async function truthFlushes(): Promise<number> {
  const text = await (await fetch(TRUTH_WRITER_METRICS)).text();
  let n = 0;
  for (const m of text.matchAll(/^likepipe_truth_flushes_total\{[^}]*\} (\d+)/gm)) n += Number(m[1]);
  return n;
}

let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  await waitHealthy();
  receiver = await startReceiver();
});
afterAll(async () => {
  await new Promise<void>((r) => receiver.server.close(() => r()));
  await closeClients();
});

describe('tracing', () => {
  it('one like is one trace: HTTP route, Redis, a producer span per like and per batch, the truth-writer and its Postgres write', async () => {
    const author = uid('author');
    const postId = await createPost(author);
    // A truth-writer flush span joins the trace of its first traced like: let earlier likes (the health probes
    // of waitHealthy) flush first, so this like travels alone, as on a quiet pipeline.
    let before = await truthFlushes();
    await waitFor('the truth-writer to be idle', async () => {
      await new Promise((r) => setTimeout(r, 1_200));
      const now = await truthFlushes();
      const idle = now === before;
      before = now;
      return idle;
    });

    const liker = uid('liker');
    const r = await like(liker, postId);
    expect(r.status).toBe(200);

    const inTrace = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
    const find = (spans: ExportedSpan[], f: (s: ExportedSpan) => boolean) => spans.find(f);
    const trace = await waitFor(
      'the like’s trace to reach the receiver from the like-API and the truth-writer',
      async () => {
        const create = receiver.spans.find(
          (s) => s.name === 'create like-events' && s.attributes['likepipe.post_id'] === postId,
        );
        if (!create) return false;
        const spans = inTrace(create.traceId);
        const consume = find(spans, (s) => s.service === 'likepipe-truth-writer' && s.kind === KIND.CONSUMER);
        const flush = find(spans, (s) => s.service === 'likepipe-truth-writer' && s.name === 'truth-writer flush');
        const pg = flush && find(spans, (s) => s.parentSpanId === flush.spanId && s.name.startsWith('pg.query'));
        return consume && pg && spans.some((s) => s.name === 'send like-events') ? { create, spans } : false;
      },
      30_000,
    );
    const { create, spans } = trace;
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const ancestors = (s: ExportedSpan): ExportedSpan[] => {
      const out: ExportedSpan[] = [];
      for (let p = s.parentSpanId && byId.get(s.parentSpanId); p; p = p.parentSpanId && byId.get(p.parentSpanId))
        out.push(p);
      return out;
    };

    // like-API: the server span named by route is the root; Redis and the per-like producer span are in it.
    const server = spans.find((s) => s.kind === KIND.SERVER);
    expect(server).toMatchObject({ service: 'likepipe-like-api', name: 'POST /api/posts/:id/like' });
    expect(server!.parentSpanId).toBeUndefined();
    const redis = spans.filter((s) => s.scope === '@opentelemetry/instrumentation-ioredis');
    expect(redis.length).toBeGreaterThan(0);
    expect(redis.every((s) => s.service === 'likepipe-like-api' && ancestors(s).includes(server!))).toBe(true);
    expect(create).toMatchObject({ service: 'likepipe-like-api', kind: KIND.PRODUCER });
    expect(ancestors(create)).toContain(server);
    expect(create.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'create',
      'messaging.destination.name': 'like-events',
    });
    expect(create.attributes['messaging.kafka.message.key']).toBe(`${postId}:${liker}`);

    // The Kafka request that carried it: linked to the like (and, as its first like, a child of it).
    const send = spans.find((s) => s.name === 'send like-events')!;
    expect(send).toMatchObject({ service: 'likepipe-like-api', kind: KIND.CLIENT, parentSpanId: create.spanId });
    expect(send.links).toContainEqual({ traceId: create.traceId, spanId: create.spanId });
    expect(send.attributes['messaging.batch.message_count']).toBeGreaterThanOrEqual(1);

    // truth-writer: the consumer span continues the like's trace from the traceparent header…
    const consume = spans.find((s) => s.service === 'likepipe-truth-writer' && s.kind === KIND.CONSUMER)!;
    expect(consume).toMatchObject({ name: 'process like-events', parentSpanId: create.spanId });
    expect(consume.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': 'likepipe-truth-writer',
    });
    // …and the flush that wrote it to Postgres is linked both ways and holds the Postgres spans.
    const flush = spans.find((s) => s.name === 'truth-writer flush')!;
    expect(flush.service).toBe('likepipe-truth-writer');
    expect(flush.links).toContainEqual({ traceId: consume.traceId, spanId: consume.spanId });
    expect(consume.links).toContainEqual({ traceId: flush.traceId, spanId: flush.spanId });
    const pg = spans.filter(
      (s) => s.scope === '@opentelemetry/instrumentation-pg' && s.service === 'likepipe-truth-writer',
    );
    expect(pg.map((s) => s.name)).toEqual(expect.arrayContaining(['pg.query:apply-like-batch likepipe']));
    expect(pg.every((s) => ancestors(s).includes(flush))).toBe(true);

    // Every other consumer role continues the same trace too.
    await waitFor('the analytics and notifier spans of the like', async () => {
      const services = new Set(
        inTrace(create.traceId)
          .filter((s) => s.kind === KIND.CONSUMER && s.parentSpanId === create.spanId)
          .map((s) => s.service),
      );
      return services.has('likepipe-analytics') && services.has('likepipe-notifier');
    });
  });

  it('probes and scrapes make no spans; the other API process traces too', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics']) expect((await call('GET', path)).status).toBe(200);
    const postId = await createPost();
    const r = await like(uid('liker'), postId, { base: API_B });
    expect(r.status).toBe(200);
    await waitFor('the second API’s producer span', async () =>
      receiver.spans.some((s) => s.name === 'create like-events' && s.attributes['likepipe.post_id'] === postId),
    );
    const path = (s: ExportedSpan) => `${s.name} ${s.attributes['url.path'] ?? s.attributes['http.target'] ?? ''}`;
    const servers = receiver.spans.filter((s) => s.kind === KIND.SERVER);
    expect(servers.filter((s) => /healthz|readyz|metrics/.test(path(s)))).toEqual([]);
    expect(receiver.posts()).toBeGreaterThan(0);
  });
});
