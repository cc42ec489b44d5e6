import { CONSUMER_ROLES, consumerGroup } from '@likepipe/contract';
import {
  closeClients,
  createPost,
  db,
  describeGroup,
  expectConverged,
  like,
  pool,
  readCommittedOffsets,
  readTopicEnds,
  stack,
  testKafka,
  TOPIC,
  uid,
  waitFor,
  waitHealthy,
} from '../support/stack.js';

/**
 * The truth-writer on the shared consumer runtime (apps/pipeline/src/runtime/consumer-runtime.ts), on the real
 * stack: it takes its Kafka session timeout from LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS like every consumer role,
 * and a flush it cannot write (Postgres down) neither holds up its shutdown nor moves its offsets.
 */
const GROUP = consumerGroup('truth-writer');
const METRICS = `http://127.0.0.1:${process.env.LIKEPIPE_TRUTH_WRITER_METRICS_PORT ?? '9564'}/metrics`;

const kafka = testKafka('consumer-runtime-test');
const admin = kafka.admin();

beforeAll(async () => {
  // This file stops Postgres: the test's own pool must survive its idle connections being closed.
  db.on('error', () => undefined);
  await waitHealthy();
});
afterAll(async () => {
  await admin.close();
  await closeClients();
});

const group = () => describeGroup(admin, GROUP);

/** A group's committed offset per partition ('-1' where it never committed). */
async function committed(groupId = GROUP): Promise<Record<number, string>> {
  const offsets = await readCommittedOffsets(admin, groupId, TOPIC);
  return Object.fromEntries(offsets.map((p) => [p.partition, p.offset]));
}

/** Messages on the topic a group has not committed yet. */
async function lag(groupId = GROUP): Promise<number> {
  const [ends, done] = await Promise.all([readTopicEnds(admin, TOPIC), committed(groupId)]);
  return ends.reduce((n, e) => n + Number(e.high) - Math.max(0, Number(done[e.partition] ?? '-1')), 0);
}

/** The truth-writer's failed flush attempts so far. */
async function failedFlushes(): Promise<number> {
  const text = await (await fetch(METRICS)).text();
  const m = /^likepipe_truth_flushes_total\{outcome="error"\} (\d+)/m.exec(text);
  return m ? Number(m[1]) : 0;
}

describe('truth-writer on the consumer runtime', () => {
  it('LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS is its Kafka session timeout: a SIGKILLed member is dropped within it', async () => {
    // The default (30 s) would keep a dead member, and its partitions, for 27–30 s after its last heartbeat.
    const sessionTimeoutMs = 6_000;
    await stack('app', 'stop', 'truth-writer');
    await stack(
      'app',
      'start',
      'truth-writer',
      'truth-writer',
      `LIKEPIPE_CONSUMER_SESSION_TIMEOUT_MS=${sessionTimeoutMs}`,
    );
    try {
      await waitFor('the truth-writer to hold the group alone', async () => {
        const g = await group();
        return g.stable && g.members === 1;
      });
      const killedAt = Date.now();
      await stack('app', 'kill', 'truth-writer');
      // Only the session timeout removes a member that died without leaving: heartbeats every 3 s, so it goes
      // between timeout − 3 s and timeout after the kill (plus the coordinator's check).
      await waitFor(
        'the killed member to be dropped from the group',
        async () => (await group()).members === 0,
        25_000,
        100,
      );
      expect(Date.now() - killedAt).toBeLessThan(sessionTimeoutMs + 5_000);
    } finally {
      await stack('app', 'start', 'truth-writer', 'truth-writer');
    }
    // Back to normal: a like reaches Postgres again.
    const postId = await createPost();
    expect((await like(uid('after-kill'), postId)).status).toBe(200);
    await expectConverged(postId, 1);
  });

  it('with Postgres down it stops promptly on SIGTERM and commits nothing it did not write; nothing is lost', async () => {
    const postId = await createPost();
    // Loads the post into Redis, so likes keep working on the fast path while Postgres is away.
    expect((await like(uid('before'), postId)).status).toBe(200);
    await expectConverged(postId, 1);
    const users = Array.from({ length: 40 }, (_, i) => `${postId}-pgdown-${i}`);
    let stopMs: number;
    await stack('postgres', 'stop');
    try {
      const failedBefore = await failedFlushes();
      const replies = await pool(users, 8, (u) => like(u, postId));
      expect(replies.map((r) => r.status)).toEqual(users.map(() => 200));
      // The truth-writer has the likes and keeps failing to write them…
      await waitFor('the truth-writer to fail flushes', async () => (await failedFlushes()) >= failedBefore + 2);
      const offsets = await committed();
      expect(await lag()).toBeGreaterThanOrEqual(users.length);
      // …without committing their offsets, however long it retries.
      await new Promise((r) => setTimeout(r, 3_000));
      expect(await committed()).toEqual(offsets);
      await stack('app', 'status', 'truth-writer'); // still running (throws if it died)

      // SIGTERM: the retrying flush is abandoned at once instead of holding the stop until the hard exit (30 s).
      const t0 = Date.now();
      await stack('app', 'stop', 'truth-writer');
      stopMs = Date.now() - t0;
      expect(await committed()).toEqual(offsets);
    } finally {
      await stack('postgres', 'start');
      await stack('app', 'start', 'truth-writer', 'truth-writer');
    }
    expect(stopMs).toBeLessThan(10_000);
    // The restarted truth-writer writes what the stopped one could not: every like exactly once.
    await expectConverged(postId, users.length + 1, 60_000);
    // The other consumer roles sat out the outage retrying (still members of their groups) and caught up.
    for (const role of CONSUMER_ROLES) {
      await waitFor(
        `${role} to catch up after the outage`,
        async () => (await lag(consumerGroup(role))) === 0,
        60_000,
        500,
      );
    }
  });
});
