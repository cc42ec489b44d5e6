import type { Cluster } from 'ioredis';
import { redisKeys } from '@likepipe/pipeline/redis/keys.js';
import {
  call,
  closeClients,
  expectConverged,
  like,
  likedPost,
  pool,
  redisCluster,
  stack,
  truthOf,
  uid,
  waitHealthy,
} from '../support/stack.js';

/**
 * The reconciler against a truth-writer that is down: Postgres is then stable but stale, and Redis, ahead, holds
 * the acknowledged likes. A stable mismatch alone must not overwrite Redis with Postgres' count.
 */
let redis: Cluster;
beforeAll(async () => {
  redis = redisCluster();
  await waitHealthy();
});
afterAll(async () => {
  redis.disconnect();
  await closeClients();
});

// scripts/test.sh runs the stack with LIKEPIPE_RECONCILE_INTERVAL_MS=1000.
const RECONCILE_INTERVAL_MS = Number(process.env.LIKEPIPE_RECONCILE_INTERVAL_MS ?? 1_000);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('reconciler', () => {
  it('does not repair Redis down to a stale Postgres while the truth-writer is down', async () => {
    // Liked once and flushed first, so the post is among the reconciler's "recently flushed" candidates every
    // pass rather than waiting for the sweep to reach it.
    const postId = await likedPost(uid('rw'), 1);
    const n = 40;
    const viewer = uid('viewer');
    const expected = n + 1;
    await stack('app', 'kill', 'truth-writer');
    try {
      const users = Array.from({ length: n }, (_, i) => `${postId}-u${i}`);
      const replies = await pool(users, 8, (u) => like(u, postId));
      expect(replies.map((r) => r.status)).toEqual(users.map(() => 200));
      expect(await truthOf(postId)).toEqual({ likeCount: 1, rows: 1 });

      // Quiet now: Redis and Postgres are both stable, the mismatch with them. Sampled across several
      // intervals, so a repair at any point in between (the old rule fired after about two) is seen.
      const until = Date.now() + 5 * RECONCILE_INTERVAL_MS;
      while (Date.now() < until) {
        expect(Number(await redis.hget(redisKeys.post(postId), 'count'))).toBe(expected);
        expect(await redis.scard(redisKeys.likers(postId))).toBe(expected);
        await sleep(200);
      }
      const served = await call('GET', `/api/posts/${postId}`, { user: viewer });
      expect(served.body).toMatchObject({ likeCount: expected });
    } finally {
      await stack('app', 'start', 'truth-writer', 'truth-writer');
    }
    // Back, the truth-writer replays what it had not committed: Postgres, Redis and the API agree.
    await expectConverged(postId, expected, 90_000);
  });

  it('still repairs real drift once the truth-writer is caught up', async () => {
    const postId = await likedPost(uid('drift'), 5);
    await redis.hset(redisKeys.post(postId), 'count', '2');
    await expectConverged(postId, 5);
  });
});
