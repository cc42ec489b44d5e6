import { planTopic, type ObservedTopic, type TopicAction, type TopicSpec } from '@likepipe/ops';
import { AuthenticationError, findErrorBy, GenericError, ProtocolError, type Admin } from '@platformatic/kafka';
import type { EnsureTopicConfig } from '../config.js';
import { EnsureTopicError } from '../errors/ensure-topic-error.js';
import { TopicLeadersPendingError } from '../errors/topic-leaders-pending-error.js';
import { createKafka } from '../kafka/client.js';
import { applyTopicAction, assertLeaders, observeTopic } from '../kafka/topic-admin.js';
import type { Logger } from '../observability/logger.js';
import { retry } from '../runtime/retry.js';

export interface EnsureTopicResult {
  topic: string;
  /** What was changed, in order; empty when the topic already matched. */
  actions: TopicAction[];
  /** What differs from the spec but was left alone (fewer partitions asked for, another replication factor). */
  warnings: string[];
  /** The topic as it is now. */
  observed: ObservedTopic;
}

/** Observe-plan-apply rounds: the second normally only confirms; a third covers a race with another run. */
const ROUNDS = 3;
/** How long a topic just created may take to have a leader on every partition. */
const LEADERS_TIMEOUT_MS = 30_000;

/**
 * Makes the topic exist with the configured partitions and min.insync.replicas. It runs as an initContainer
 * that may start before Kafka does, so anything short of a definite refusal from Kafka is retried until
 * LIKEPIPE_ENSURE_TOPIC_TIMEOUT_MS has passed (a last attempt that started in time may end a little later).
 */
export async function ensureTopic(config: EnsureTopicConfig, log: Logger): Promise<EnsureTopicResult> {
  const spec: TopicSpec = {
    topic: config.LIKEPIPE_KAFKA_TOPIC,
    partitions: config.LIKEPIPE_KAFKA_PARTITIONS,
    replicationFactor: config.LIKEPIPE_KAFKA_REPLICATION_FACTOR,
    minInsyncReplicas: config.LIKEPIPE_KAFKA_MIN_INSYNC_REPLICAS,
  };
  const timeoutMs = config.LIKEPIPE_ENSURE_TOPIC_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  // Each unreachable broker is logged as a warning; while Kafka is starting that is expected, so those lines
  // go to debug and this loop reports progress instead.
  const kafka = createKafka(config.KAFKA_BROKERS, 'likepipe-ensure-topic', {
    ...log,
    warn: log.debug,
    error: log.debug,
  });
  let attempts = 0;
  try {
    return await retry(
      async (attempt) => {
        attempts = attempt;
        const admin = kafka.admin();
        try {
          return await converge(admin, spec, log);
        } finally {
          await admin.close().catch(() => undefined);
        }
      },
      {
        backoff: { baseMs: 250, maxMs: 4_000 },
        retryIf: isRetriable,
        deadline,
        onRetry: ({ attempt, delayMs, err }) =>
          log.info('Kafka not ready yet; retrying', { attempt, delayMs, error: explain(err) }),
      },
    );
  } catch (err) {
    if (err instanceof EnsureTopicError) throw err;
    if (!isRetriable(err)) {
      throw new EnsureTopicError(`Kafka refused to set up topic ${spec.topic}: ${explain(err)}`, false, {
        cause: err,
      });
    }
    throw new EnsureTopicError(
      `Kafka at ${config.KAFKA_BROKERS.join(',')} was not usable within ${timeoutMs} ms ` +
        `(${attempts} attempts); last error: ${explain(err)}`,
      true,
      { cause: err },
    );
  }
}

async function converge(admin: Admin, spec: TopicSpec, log: Logger): Promise<EnsureTopicResult> {
  const done: TopicAction[] = [];
  let warnings: string[] = [];
  let refusal: { action: TopicAction; err: unknown } | undefined;
  for (let round = 1; round <= ROUNDS; round++) {
    refusal = undefined;
    const observed = await observeTopic(admin, spec.topic);
    const plan = planTopic(spec, observed);
    if (round === 1) {
      warnings = plan.warnings;
      for (const w of warnings) log.warn(w, { topic: spec.topic });
    }
    if (observed && plan.actions.length === 0) return { topic: spec.topic, actions: done, warnings, observed };
    for (const action of plan.actions) {
      try {
        if (!(await applyTopicAction(admin, action))) continue;
      } catch (err) {
        if (isRetriable(err)) throw err;
        // A refusal can be a lost race (another run grew the topic first): look again before giving up.
        refusal = { action, err };
        log.warn('Kafka refused a change; checking the topic again', { topic: spec.topic, error: explain(err) });
        break;
      }
      if (action.kind === 'create-topic') await waitForLeaders(admin, action.topic);
      done.push(action);
      log.info(summarize(action), { topic: spec.topic, action: action.kind });
    }
  }
  throw new EnsureTopicError(
    refusal
      ? `Kafka refused to ${intent(refusal.action)} for topic ${spec.topic}: ${explain(refusal.err)}`
      : `topic ${spec.topic} still does not match its spec after ${ROUNDS} attempts`,
    false,
    { cause: refusal?.err },
  );
}

/**
 * Until every partition of a topic just created has a leader: the roles started next produce to it and join
 * groups on it at once, and a partition without a leader would only fail their first requests.
 */
async function waitForLeaders(admin: Admin, topic: string): Promise<void> {
  await retry(() => assertLeaders(admin, topic), {
    backoff: { baseMs: 100, maxMs: 1_000 },
    // Until then the broker may also answer the metadata request itself with "leader not available".
    retryIf: (err) => err instanceof TopicLeadersPendingError || !!findErrorBy(err as Error, 'hasStaleMetadata', true),
    deadline: Date.now() + LEADERS_TIMEOUT_MS,
  });
}

/** The role: one run, a summary line, exit 0; failures reach main.ts, which exits non-zero with the message. */
export async function runEnsureTopic(config: EnsureTopicConfig, log: Logger): Promise<void> {
  const r = await ensureTopic(config, log);
  log.info(r.actions.length > 0 ? 'topic ready' : 'topic already as specified', {
    topic: r.topic,
    partitions: r.observed.partitions,
    replicationFactor: r.observed.replicationFactor,
    minInsyncReplicas: r.observed.minInsyncReplicas,
    changes: r.actions.map((a) => a.kind),
    warnings: r.warnings.length,
  });
}

function summarize(a: TopicAction): string {
  switch (a.kind) {
    case 'create-topic':
      return `created topic with ${a.partitions} partitions, replication factor ${a.replicationFactor}`;
    case 'add-partitions':
      return `grew partitions from ${a.from} to ${a.to}`;
    case 'set-configs':
      return `set ${a.changed.map((c) => `${c.name} ${c.from} → ${c.to}`).join(', ')}`;
  }
}

function intent(a: TopicAction): string {
  switch (a.kind) {
    case 'create-topic':
      return `create ${a.partitions} partitions with replication factor ${a.replicationFactor}`;
    case 'add-partitions':
      return `grow partitions from ${a.from} to ${a.to}`;
    case 'set-configs':
      return `set ${a.changed.map((c) => `${c.name}=${c.to}`).join(', ')}`;
  }
}

/**
 * Kafka saying no for good (bad replication factor, policy, authorization) is final; anything else — refused
 * connections, timeouts, leader elections — may pass while the cluster starts, so unknown errors count as
 * retriable here. The client wraps errors in retry and aggregate errors, so the whole chain is searched for
 * a protocol error Kafka marks as not retriable, or a failed authentication. (Its `canRetry: false` alone says
 * less: a request that timed out carries it too, and a timeout is what a starting Kafka gives.)
 */
function isRetriable(err: unknown): boolean {
  if (err instanceof EnsureTopicError) return err.retriable;
  for (const e of chain(err)) {
    if (e instanceof ProtocolError && (e as GenericError).canRetry === false) return false;
    if (e instanceof AuthenticationError) return false;
  }
  return true;
}

function chain(err: unknown, depth = 0): Error[] {
  if (!(err instanceof Error) || depth > 6) return [];
  const e = err as Error & { errors?: unknown };
  const nested = [e.cause, ...(Array.isArray(e.errors) ? e.errors : [])].filter((x) => x !== e);
  return [e, ...nested.flatMap((x) => chain(x, depth + 1))];
}

function explain(err: unknown): string {
  // A protocol error's message is the generic one for its code; what the broker said is beside it.
  const messages = chain(err).map((e) => {
    const said = (e as { serverErrorMessage?: unknown }).serverErrorMessage;
    return typeof said === 'string' && said ? `${e.message} (${said})` : e.message;
  });
  const distinct = messages.filter((m, i) => m && messages.indexOf(m) === i);
  return distinct.length > 0 ? distinct.join(': ') : String(err);
}
