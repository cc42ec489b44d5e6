import type { LikeEvent } from '@likepipe/core';
import {
  extractTraceContext,
  injectTraceHeaders,
  type ConsumedMessage,
  startCreateSpan,
  startProcessSpans,
  startSendSpan,
} from '@likepipe/pipeline/kafka/tracing.js';
import { inSpan, startBatchSpan } from '@likepipe/pipeline/observability/spans.js';
import { context, propagation, ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { TraceState, W3CTraceContextPropagator } from '@opentelemetry/core';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';

/** The Kafka side of tracing (apps/pipeline/src/kafka/tracing.ts) against the real SDK, in memory. */
const exporter = new InMemorySpanExporter();
const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
const contextManager = new AsyncLocalStorageContextManager();

beforeAll(() => {
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(contextManager.enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
  propagation.disable();
});
beforeEach(() => exporter.reset());

const event = (id: string): LikeEvent => ({
  v: 1,
  id,
  type: 'like',
  postId: 'p1',
  userId: 'u1',
  at: '2026-11-24T12:00:00.000Z',
  redisBypassed: false,
  changed: true,
});

/** A fetched record as the consumer runtime's client hands it over: headers a Map, decoded to text. */
const record = (offset: number, headers: Record<string, string> = {}): ConsumedMessage => ({
  key: Buffer.from('p1:u1'),
  offset: BigInt(offset),
  headers: new Map(Object.entries(headers)),
});
/** Headers as a client without header deserializers hands them over: keys and values are bytes. */
const rawHeaders = (headers: Record<string, string>) =>
  new Map(Object.entries(headers).map(([k, v]) => [Buffer.from(k), Buffer.from(v)]));

const byName = (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name);
const parentOf = (s: ReadableSpan) => s.parentSpanContext?.spanId;

describe('Kafka trace headers', () => {
  it('inject writes W3C traceparent (and tracestate) that extract reads back, from text or byte headers', () => {
    const sc = {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.SAMPLED,
      traceState: new TraceState('vendor=x'),
    };
    const headers = injectTraceHeaders(trace.setSpanContext(ROOT_CONTEXT, sc));
    expect(headers).toEqual({ traceparent: `00-${sc.traceId}-${sc.spanId}-01`, tracestate: 'vendor=x' });

    for (const carrier of [new Map(Object.entries(headers)), rawHeaders(headers)]) {
      const back = trace.getSpanContext(extractTraceContext(carrier));
      expect(back).toMatchObject({ traceId: sc.traceId, spanId: sc.spanId, traceFlags: 1, isRemote: true });
      expect(back?.traceState?.serialize()).toBe('vendor=x');
    }
  });

  it('extract finds no context in missing, empty or malformed headers', () => {
    for (const h of [
      undefined,
      new Map(),
      new Map([['traceparent', 'garbage']]),
      rawHeaders({ traceparent: 'garbage' }),
      new Map([['traceparent', undefined]]),
    ]) {
      expect(trace.getSpanContext(extractTraceContext(h))).toBeUndefined();
    }
    // Another header that merely looks alike is not taken for it.
    const tp = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    expect(trace.getSpanContext(extractTraceContext(rawHeaders({ 'x-traceparent': tp })))).toBeUndefined();
    expect(trace.getSpanContext(extractTraceContext(rawHeaders({ traceparent: tp })))?.spanId).toBe('00f067aa0ba902b7');
  });
});

describe('Kafka spans', () => {
  it('one like: request → create (PRODUCER) → send (CLIENT, linked) → process (CONSUMER) → batch, all one trace', async () => {
    const tracer = trace.getTracer('test');
    const request = tracer.startSpan('POST /api/posts/:id/like', { kind: SpanKind.SERVER });
    const [create, headers] = context.with(trace.setSpan(ROOT_CONTEXT, request), () => {
      const s = startCreateSpan('like-events', 'p1:u1', event('e1'));
      return [s, injectTraceHeaders(trace.setSpan(context.active(), s))] as const;
    });
    await inSpan(startSendSpan('like-events', [create]), async () => undefined);
    create.end();
    request.end();

    const spans = startProcessSpans(
      { topic: 'like-events', partition: 3, messages: [record(41), record(42, headers)] },
      'likepipe-truth-writer',
    );
    expect(spans[0]).toBeUndefined(); // untraced message: no span, no new trace
    await inSpan(startBatchSpan('truth-writer flush', spans, { 'messaging.batch.message_count': 2 }), async () => {
      trace.getTracer('test').startSpan('pg.query:apply-like-batch').end(); // what the pg instrumentation does
    });
    spans[1]!.end();

    const [c] = byName('create like-events');
    const [send] = byName('send like-events');
    const [proc] = byName('process like-events');
    const [flush] = byName('truth-writer flush');
    const [query] = byName('pg.query:apply-like-batch');
    const traceId = request.spanContext().traceId;
    for (const s of [c, send, proc, flush, query]) expect(s?.spanContext().traceId).toBe(traceId);

    expect(c).toMatchObject({ kind: SpanKind.PRODUCER });
    expect(parentOf(c!)).toBe(request.spanContext().spanId);
    expect(c!.attributes).toMatchObject({
      'messaging.system': 'kafka',
      'messaging.operation.type': 'create',
      'messaging.destination.name': 'like-events',
      'messaging.kafka.message.key': 'p1:u1',
      'messaging.message.id': 'e1',
    });

    expect(send).toMatchObject({ kind: SpanKind.CLIENT });
    expect(send!.links.map((l) => l.context.spanId)).toEqual([c!.spanContext().spanId]);
    expect(send!.attributes).toMatchObject({ 'messaging.operation.type': 'send', 'messaging.batch.message_count': 1 });

    expect(proc).toMatchObject({ kind: SpanKind.CONSUMER });
    expect(parentOf(proc!)).toBe(c!.spanContext().spanId);
    expect(proc!.attributes).toMatchObject({
      'messaging.operation.type': 'process',
      'messaging.consumer.group.name': 'likepipe-truth-writer',
      'messaging.destination.partition.id': '3',
      'messaging.kafka.offset': 42,
    });
    // The batch span and the message span point at each other; the query nests under the batch.
    expect(parentOf(flush!)).toBe(proc!.spanContext().spanId);
    expect(flush!.links.map((l) => l.context.spanId)).toEqual([proc!.spanContext().spanId]);
    expect(proc!.links.map((l) => l.context.spanId)).toEqual([flush!.spanContext().spanId]);
    expect(parentOf(query!)).toBe(flush!.spanContext().spanId);
  });

  it('a batch of several likes joins the first sampled one’s trace and links to all of them', () => {
    const tracer = trace.getTracer('test');
    const unsampled = trace.wrapSpanContext({
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.NONE,
    });
    const a = tracer.startSpan('a');
    const b = tracer.startSpan('b');
    startSendSpan('like-events', [unsampled, undefined, a, b]).end();
    const [send] = byName('send like-events');
    expect(send!.spanContext().traceId).toBe(a.spanContext().traceId);
    expect(parentOf(send!)).toBe(a.spanContext().spanId);
    expect(send!.links).toHaveLength(3);
    expect(send!.attributes['messaging.batch.message_count']).toBe(4);
  });

  it('inSpan marks the span failed and rethrows', async () => {
    await expect(
      inSpan(trace.getTracer('test').startSpan('boom'), () => Promise.reject(new Error('kafka down'))),
    ).rejects.toThrow('kafka down');
    const [s] = byName('boom');
    expect(s!.status).toMatchObject({ code: 2, message: 'kafka down' });
    expect(s!.events[0]?.name).toBe('exception');
  });
});
