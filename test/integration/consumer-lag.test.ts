import { CONSUMER_ROLES, consumerGroup, type ConsumerRole } from '@likepipe/contract';
import {
  call,
  closeClients,
  createPost,
  expectConverged,
  like,
  pool,
  stack,
  waitFor,
  waitHealthy,
} from '../support/stack.js';

/**
 * Every consumer role reports its group's lag on /metrics (what the lag autoscaler and dashboards read). The
 * lag is read from Kafka's admin API, so it counts what the group has not committed, however that came about:
 * here, likes sent while the role was stopped. The role can only report once it runs again, so it restarts
 * with a long flush interval: for those seconds it holds the backlog uncommitted and must report it, and once
 * the flush is written the lag falls back to 0. Then the role restarts with its usual settings.
 */
const METRICS_PORT: Record<ConsumerRole, string> = {
  'truth-writer': process.env.LIKEPIPE_TRUTH_WRITER_METRICS_PORT ?? '9564',
  analytics: process.env.LIKEPIPE_ANALYTICS_METRICS_PORT ?? '9567',
  notifier: process.env.LIKEPIPE_NOTIFIER_METRICS_PORT ?? '9568',
  'feed-ranker': process.env.LIKEPIPE_FEED_RANKER_METRICS_PORT ?? '9569',
};
const BACKLOG = 20;
/** How long the restarted role holds its backlog uncommitted: the window in which it must report it. */
const HOLD_MS = 4_000;

beforeAll(() => waitHealthy());
afterAll(() => closeClients());

async function lagOf(role: ConsumerRole): Promise<number | undefined> {
  const r = await call('GET', '/metrics', { base: `http://127.0.0.1:${METRICS_PORT[role]}` });
  const line = String(r.body)
    .split('\n')
    .find((l) => l.startsWith(`likepipe_kafka_consumer_lag{group="${consumerGroup(role)}",topic="like-events"}`));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('likepipe_kafka_consumer_lag{group,topic}', () => {
  it.each(CONSUMER_ROLES.map((role) => [role]))(
    '%s: rises with likes sent while it is stopped, falls back to 0 once it has caught up',
    async (role) => {
      await waitFor(`${role} to report a lag of 0`, async () => (await lagOf(role)) === 0, 30_000, 500);
      const postId = await createPost();
      await stack('app', 'stop', role);
      try {
        const users = Array.from({ length: BACKLOG }, (_, i) => `${postId}-lag-${i}`);
        const replies = await pool(users, 8, (u) => like(u, postId));
        expect(replies.map((r) => r.status)).toEqual(users.map(() => 200));
        await stack('app', 'start', role, role, `LIKEPIPE_FLUSH_INTERVAL_MS=${HOLD_MS}`, 'LIKEPIPE_BATCH_SIZE=1000000');
        const risen = await waitFor(
          `${role} to report the backlog`,
          async () => {
            const lag = await lagOf(role);
            return lag !== undefined && lag >= BACKLOG ? lag : undefined;
          },
          HOLD_MS,
          200,
        );
        expect(risen).toBeGreaterThanOrEqual(BACKLOG);
        await waitFor(`${role} to catch up to a lag of 0`, async () => (await lagOf(role)) === 0, 30_000, 500);
      } finally {
        await stack('app', 'stop', role);
        await stack('app', 'start', role, role);
      }
      await expectConverged(postId, BACKLOG);
    },
  );
});
