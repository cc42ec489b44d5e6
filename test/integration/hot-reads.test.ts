import { redisKeys } from '@likepipe/pipeline/redis/keys.js';
import {
  API_B,
  call,
  closeClients,
  createPost,
  expectConverged,
  like,
  likedPost,
  pool,
  redisCluster,
  uid,
  waitHealthy,
} from '../support/stack.js';

/**
 * GET /api/posts/{id}/count through the like-API's in-process cache, on the real stack. The second API process
 * (API_B) runs one worker, so its /metrics are one cache's.
 */
const TTL_MS = Number(process.env.LIKEPIPE_COUNT_CACHE_TTL_MS ?? 500);
const redis = redisCluster();

beforeAll(() => waitHealthy());
afterAll(async () => {
  redis.disconnect();
  await closeClients();
});

async function lookups(): Promise<Record<string, number>> {
  const text = await (await fetch(`${API_B}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^likepipe_count_cache_lookups_total\{result="(\w+)"\} (\d+)/gm))
    out[m[1]!] = Number(m[2]);
  return out;
}

describe('hot reads', () => {
  it("serves a viral post's count from memory: one Redis read per TTL however many readers", async () => {
    const postId = await likedPost(uid('viral'), 5);
    const before = await lookups();
    const started = Date.now();
    const replies = await pool(
      Array.from({ length: 600 }, (_, i) => `reader-${i % 50}`),
      50,
      (user) => call('GET', `/api/posts/${postId}/count`, { user, base: API_B }),
    );
    const elapsed = Date.now() - started;
    const after = await lookups();
    expect(replies.every((r) => r.status === 200 && r.body.likeCount === 5 && r.body.postId === postId)).toBe(true);

    const delta = (k: string) => (after[k] ?? 0) - (before[k] ?? 0);
    const reads = delta('miss') + delta('stale');
    const served = delta('hit') + delta('inflight');
    expect(reads + served).toBe(600);
    // At most one read per TTL period (plus the first): everything else came from memory.
    expect(reads).toBeGreaterThanOrEqual(1);
    expect(reads).toBeLessThanOrEqual(Math.ceil(elapsed / TTL_MS) + 1);
    expect(served / 600).toBeGreaterThan(0.9);
  });

  it('catches up with likes within one TTL, and 404s unknown posts', async () => {
    const postId = await likedPost(uid('warm'), 2);
    const reader = uid('reader');
    expect((await call('GET', `/api/posts/${postId}/count`, { user: reader, base: API_B })).body.likeCount).toBe(2);
    // A like through the other process: this one learns of it when its cached count expires.
    expect((await like(uid('fan'), postId)).status).toBe(200);
    await new Promise((r) => setTimeout(r, TTL_MS + 50));
    expect((await call('GET', `/api/posts/${postId}/count`, { user: reader, base: API_B })).body.likeCount).toBe(3);

    const missing = await call('GET', `/api/posts/${uid('nope')}/count`, { user: reader, base: API_B });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not_found');
    const bad = await call('GET', '/api/posts/a%20b/count', { user: reader });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('path parameter id');
  });

  it("rebuilds a cold post's Redis keys on demand after Redis evicted them", async () => {
    const postId = await likedPost(uid('cold'), 3);
    // What allkeys-lru does to a post nobody touched for a while.
    await redis.del(redisKeys.post(postId));
    await redis.del(redisKeys.likers(postId));
    await new Promise((r) => setTimeout(r, TTL_MS + 50));
    const r = await call('GET', `/api/posts/${postId}/count`, { user: uid('reader'), base: API_B });
    expect(r.body).toEqual({ postId, likeCount: 3 });
    expect(await redis.hget(redisKeys.post(postId), 'count')).toBe('3');
    expect(await redis.scard(redisKeys.likers(postId))).toBe(3);
    await expectConverged(postId, 3);
    // A new post is counted from zero, not from a cached "not found".
    const fresh = await createPost();
    expect((await call('GET', `/api/posts/${fresh}/count`, { user: uid('reader') })).body.likeCount).toBe(0);
  });
});
