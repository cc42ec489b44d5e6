import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';
import type { LikeEvent } from '@likepipe/core';
import { batchParent, tracer } from '../observability/spans.js';

/**
 * Traces across Kafka, written by hand because the shape matters: one like is one trace from the API through
 * Kafka to every consumer.
 *
 * - like-API: a `create <topic>` PRODUCER span per like (child of the HTTP request; it lasts until the like's
 *   batch is acknowledged), whose context goes into that message's `traceparent`/`tracestate` headers; and a
 *   `send <topic>` CLIENT span per Kafka request, linked to every like it carries (messaging semantic
 *   conventions: `send` is CLIENT when per-message `create` spans are the messages' creation context).
 * - consumers: a `process <topic>` CONSUMER span per message whose parent is the context in its headers; the
 *   batch work (a Postgres transaction) is one span linked to every message's span, and each message's span
 *   links back to it.
 * - A span for a batch joins the trace of its first sampled item, so a like that travels alone (a quiet
 *   pipeline, a test) has every span in one trace; the other items reach it through links.
 *
 * Callers check `tracingOn()` first: with tracing off, nothing here runs on the hot path. The helpers that are
 * not about Kafka (the batch span, `inSpan`, ending spans) are in observability/spans.ts.
 */

const headerSetter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * A fetched message's headers as the consumer hands them over: a Map, keys and values decoded to text (the
 * consumer's header deserializers) or still bytes. A header given twice keeps its last value in the Map.
 */
export type MessageHeaders = ReadonlyMap<string | Buffer, string | Buffer | undefined>;

const text = (v: string | Buffer | undefined): string | undefined =>
  v === undefined || typeof v === 'string' ? v : v.toString('utf8');

const headerGetter: TextMapGetter<MessageHeaders | undefined> = {
  keys: (carrier) => (carrier ? [...carrier.keys()].map((k) => text(k)!) : []),
  get: (carrier, key) => {
    if (!carrier) return undefined;
    const direct = carrier.get(key);
    if (direct !== undefined) return text(direct);
    for (const [k, v] of carrier) if (typeof k !== 'string' && k.toString('utf8') === key) return text(v);
    return undefined;
  },
};

/** The W3C trace headers (`traceparent`, and `tracestate` when set) for a message created in `ctx`. */
export function injectTraceHeaders(ctx: Context): Record<string, string> {
  const headers: Record<string, string> = {};
  propagation.inject(ctx, headers, headerSetter);
  return headers;
}

/** The context a message's headers carry; ROOT_CONTEXT-based, so no ambient span leaks into it. */
export function extractTraceContext(headers: MessageHeaders | undefined): Context {
  return propagation.extract(ROOT_CONTEXT, headers, headerGetter);
}

const messaging = (topic: string, operation: 'create' | 'send' | 'process', extra: Attributes = {}): Attributes => ({
  'messaging.system': 'kafka',
  'messaging.operation.type': operation,
  'messaging.operation.name': operation,
  'messaging.destination.name': topic,
  ...extra,
});

/** The per-like producer span, a child of whatever is active (the HTTP request). */
export function startCreateSpan(topic: string, key: string, event: LikeEvent): Span {
  return tracer.startSpan(
    `create ${topic}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: messaging(topic, 'create', {
        'messaging.kafka.message.key': key,
        'messaging.message.id': event.id,
        'likepipe.action': event.type,
        'likepipe.post_id': event.postId,
      }),
    },
    context.active(),
  );
}

/** The span of one Kafka produce request carrying `items` (their create spans). */
export function startSendSpan(topic: string, items: readonly (Span | undefined)[]): Span {
  const spans = items.filter((s): s is Span => s !== undefined);
  return tracer.startSpan(
    `send ${topic}`,
    {
      kind: SpanKind.CLIENT,
      attributes: messaging(topic, 'send', { 'messaging.batch.message_count': items.length }),
      links: spans.map((s) => ({ context: s.spanContext() })),
    },
    batchParent(spans),
  );
}

/** What a consumer span needs of a fetched message (a @platformatic/kafka `Message`). */
export interface ConsumedMessage {
  offset: bigint;
  /** Undefined for a record without a key. */
  key?: Buffer;
  headers: MessageHeaders;
}

/**
 * A `process <topic>` span per message that arrived with a trace context; messages without one get none
 * (a consumer does not start a new trace per untraced message: their batch span still covers them).
 */
export function startProcessSpans(
  batch: { topic: string; partition: number; messages: readonly ConsumedMessage[] },
  group: string,
): (Span | undefined)[] {
  return batch.messages.map((m) => {
    const parent = extractTraceContext(m.headers);
    if (!trace.getSpanContext(parent)) return undefined;
    return tracer.startSpan(
      `process ${batch.topic}`,
      {
        kind: SpanKind.CONSUMER,
        attributes: messaging(batch.topic, 'process', {
          'messaging.consumer.group.name': group,
          'messaging.destination.partition.id': String(batch.partition),
          'messaging.kafka.offset': Number(m.offset),
          ...(m.key?.length ? { 'messaging.kafka.message.key': m.key.toString('utf8') } : {}),
        }),
      },
      parent,
    );
  });
}
