import {
  API,
  API_B,
  closeClients,
  createPost,
  expectConverged,
  like,
  pool,
  uid,
  unlike,
  waitHealthy,
} from '../support/stack.js';

/** Invariants 4 (rate limit, exact across replicas) and 5 (idempotency across replicas). */

// Start from a healthy stack whatever an earlier test file broke (jest runs the files one after another).
beforeAll(() => waitHealthy());
afterAll(closeClients);

describe('idempotency keys', () => {
  it('replays the same body with Idempotent-Replayed: true and counts once, also from another API process', async () => {
    const postId = await createPost();
    const u = uid('idem');
    const key = uid('key');
    const first = await like(u, postId, { headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(200);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    // Another user likes in between: a replay must still return the first answer, not today's count.
    await like(uid('other'), postId);
    const sameProcess = await like(u, postId, { headers: { 'Idempotency-Key': key } });
    const otherProcess = await like(u, postId, { headers: { 'Idempotency-Key': key }, base: API_B });
    const legacyHeader = await like(u, postId, { headers: { 'X-Idempotency-Key': key }, base: API_B });
    for (const r of [sameProcess, otherProcess, legacyHeader]) {
      expect(r.status).toBe(200);
      expect(r.body).toEqual(first.body);
      expect(r.headers.get('idempotent-replayed')).toBe('true');
    }
    await expectConverged(postId, 2);
  });

  it('lets concurrent duplicates through once: the rest replay or are told it is in progress', async () => {
    const postId = await createPost();
    const u = uid('idem-burst');
    const key = uid('key');
    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        like(u, postId, { headers: { 'Idempotency-Key': key }, base: i % 2 ? API_B : API }),
      ),
    );
    const fresh = replies.filter((r) => r.status === 200 && r.headers.get('idempotent-replayed') === null);
    expect(fresh).toHaveLength(1);
    for (const r of replies) {
      expect([200, 409]).toContain(r.status);
      if (r.status === 409) expect(r.body.error.code).toBe('idempotency_in_progress');
    }
    await expectConverged(postId, 1);
  });

  it('422s the same key for a different post or action, changing nothing', async () => {
    const [p1, p2] = [await createPost(), await createPost()];
    const u = uid('reuse');
    const key = uid('key');
    expect((await like(u, p1, { headers: { 'Idempotency-Key': key } })).status).toBe(200);
    const otherPost = await like(u, p2, { headers: { 'Idempotency-Key': key }, base: API_B });
    expect(otherPost.status).toBe(422);
    expect(otherPost.body.error.code).toBe('idempotency_key_reused');
    const otherAction = await unlike(u, p1, { headers: { 'Idempotency-Key': key } });
    expect(otherAction.status).toBe(422);
    await expectConverged(p1, 1);
    await expectConverged(p2, 0);
  });

  it('scopes keys per user: the same key from another user is a new request', async () => {
    const postId = await createPost();
    const key = uid('key');
    const a = await like(uid('a'), postId, { headers: { 'Idempotency-Key': key } });
    const b = await like(uid('b'), postId, { headers: { 'Idempotency-Key': key } });
    expect(b.headers.get('idempotent-replayed')).toBeNull();
    expect([a.body.likeCount, b.body.likeCount].sort()).toEqual([1, 2]);
  });
});

describe('rate limit (100 per user per rolling 60 s)', () => {
  it('admits exactly 100 of 110 concurrent actions spread over two API processes, then 429s with headers', async () => {
    const posts = await Promise.all(Array.from({ length: 110 }, () => createPost()));
    const u = uid('greedy');
    const replies = await pool(posts, 32, (p, i) => like(u, p, i % 2 ? { base: API_B } : {}));
    const ok = replies.filter((r) => r.status === 200);
    const limited = replies.filter((r) => r.status === 429);
    expect(ok).toHaveLength(100);
    expect(limited).toHaveLength(10);
    for (const r of limited) {
      expect(r.body.error.code).toBe('rate_limited');
      const retryAfter = Number(r.headers.get('retry-after'));
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(r.headers.get('ratelimit-policy')).toMatch(/q=100;w=60/);
      expect(r.headers.get('ratelimit')).toMatch(/r=0/);
    }
    // The 101st, sequentially, from either process: still limited.
    expect((await like(u, await createPost(), { base: API_B })).status).toBe(429);
    // A limited like changed nothing.
    const limitedPosts = posts.filter((_, i) => replies[i]!.status === 429);
    await expectConverged(limitedPosts[0]!, 0);
    // Other users are not affected.
    expect((await like(uid('polite'), posts[0]!)).status).toBe(200);
  });
});
