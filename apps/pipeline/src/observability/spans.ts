import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

/**
 * Span helpers every role uses, whatever the work is (a Kafka flush, a reconcile pass). The Kafka-specific
 * spans (create, send, process) are in kafka/tracing.ts. Callers check `tracingOn()` first (tracing.ts): with
 * tracing off, nothing here runs on a hot path.
 */
export const tracer = trace.getTracer('@likepipe/pipeline');

/**
 * A span for work done on a batch of items (a Postgres transaction for many messages): in the trace of the
 * first sampled item, linked to all of them, and each item's span linked back to it.
 */
export function startBatchSpan(name: string, items: readonly (Span | undefined)[], attributes: Attributes): Span {
  const spans = items.filter((s): s is Span => s !== undefined);
  const span = tracer.startSpan(
    name,
    { kind: SpanKind.INTERNAL, attributes, links: spans.map((s) => ({ context: s.spanContext() })) },
    batchParent(spans),
  );
  const back = { context: span.spanContext() };
  for (const s of spans) s.addLink(back);
  return span;
}

/** A span for a batch joins the trace of its first sampled item, so a like that travels alone has one trace. */
export function batchParent(spans: readonly Span[]): Context {
  const first = spans.find((s) => s.isRecording());
  return first ? trace.setSpan(ROOT_CONTEXT, first) : ROOT_CONTEXT;
}

/** Runs `fn` with `span` active (so Postgres and Redis spans nest under it) and ends it with the outcome. */
export async function inSpan<T>(span: Span, fn: () => Promise<T>): Promise<T> {
  try {
    return await context.with(trace.setSpan(context.active(), span), fn);
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

export function failSpan(span: Span, err: unknown): void {
  span.recordException(err instanceof Error ? err : String(err));
  span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
}

/** Ends every span, marking them failed when `err` is given. */
export function endSpans(spans: readonly (Span | undefined)[], err?: unknown): void {
  for (const s of spans) {
    if (!s) continue;
    if (err !== undefined) failSpan(s, err);
    s.end();
  }
}
