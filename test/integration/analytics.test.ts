import type { LikeEvent } from '@likepipe/core';
import { PgStatsStore } from '@likepipe/pipeline/postgres/stats-store.js';
import { call, closeClients, createPost, db, like, uid, unlike, waitFor, waitHealthy } from '../support/stack.js';

/** The analytics role on the real stack: per-minute counters in Postgres, exact under replay. */
beforeAll(() => waitHealthy());
afterAll(() => closeClients());

const stats = (user: string, postId: string, query = '') => call('GET', `/api/posts/${postId}/stats${query}`, { user });

describe('analytics', () => {
  it('counts the likes and unlikes that changed something, per minute, behind GET /api/posts/{id}/stats', async () => {
    const postId = await createPost();
    const [a, b, c] = [uid('fan'), uid('fan'), uid('fan')];
    for (const u of [a, b, c]) expect((await like(u, postId)).status).toBe(200);
    expect((await like(a, postId)).body.changed).toBe(false); // a repeated like is not a like
    expect((await unlike(b, postId)).body.changed).toBe(true);
    expect((await unlike(b, postId)).body.changed).toBe(false);

    const reply = await waitFor('the analytics role to write the counters', async () => {
      const r = await stats(a, postId);
      return r.status === 200 && r.body.totals.likes === 3 && r.body.totals.unlikes === 1 && r;
    });
    const minute = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    expect(reply.body.postId).toBe(postId);
    // The last hour, widened to whole minutes.
    const span = Date.parse(reply.body.to) - Date.parse(reply.body.from);
    expect(span >= 60 * 60_000 && span <= 61 * 60_000).toBe(true);
    const total = (reply.body.series as { minute: string; likes: number; unlikes: number }[]).reduce(
      (s, r) => ({ likes: s.likes + r.likes, unlikes: s.unlikes + r.unlikes }),
      { likes: 0, unlikes: 0 },
    );
    expect(total).toEqual({ likes: 3, unlikes: 1 });
    for (const row of reply.body.series) expect(Date.parse(row.minute) % 60_000).toBe(0);
    expect(Date.parse(reply.body.series.at(-1).minute)).toBeLessThanOrEqual(minute.getTime());

    // A window that ends before the likes holds none of them.
    const before = await stats(a, postId, `?from=2020-01-01T00:00:00Z&to=2020-01-01T01:00:00Z`);
    expect(before.body).toMatchObject({ series: [], totals: { likes: 0, unlikes: 0 } });
  });

  it('rejects bad windows with the parameter named, and unknown posts with 404', async () => {
    const postId = await createPost();
    const user = uid('viewer');
    const bad = await stats(user, postId, '?from=yesterday');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({
      code: 'invalid_request',
      message: expect.stringContaining('query parameter from'),
    });
    const backwards = await stats(user, postId, '?from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z');
    expect(backwards.body.error.message).toBe('query parameter to: must be after from');
    const long = await stats(user, postId, '?from=2026-01-01T00:00:00Z&to=2026-01-09T00:00:00Z');
    expect(long.body.error.message).toContain('at most 7 days');
    expect((await stats(user, uid('nope'))).status).toBe(404);
    expect((await call('GET', `/api/posts/${postId}/stats`)).status).toBe(401);
  });

  it('a redelivered batch adds nothing: progress is stored with the counters (real Postgres)', async () => {
    const store = new PgStatsStore(db);
    const postId = uid('replayed');
    const group = uid('test-group');
    const at = '2026-03-01T10:15:30.000Z';
    const event = (i: number, type: 'like' | 'unlike' = 'like'): LikeEvent => ({
      v: 1,
      id: `e${i}`,
      type,
      postId,
      userId: `u${i}`,
      at,
      redisBypassed: false,
      changed: true,
    });
    const batch = (from: number, to: number) => ({
      group,
      topic: 'like-events',
      partition: 3,
      records: Array.from({ length: to - from + 1 }, (_, k) => ({
        offset: BigInt(from + k),
        event: event(from + k, from + k === 4 ? 'unlike' : 'like'),
      })),
    });
    const counters = async () =>
      (
        await db.query<{ likes: string; unlikes: string }>(
          'SELECT likes, unlikes FROM like_stats_minute WHERE post_id = $1',
          [postId],
        )
      ).rows.map((r) => ({ likes: Number(r.likes), unlikes: Number(r.unlikes) }));

    expect(await store.apply([batch(0, 2)])).toEqual({ applied: 3, skipped: 0, rows: 1 });
    expect(await counters()).toEqual([{ likes: 3, unlikes: 0 }]);
    expect(await store.apply([batch(0, 2)])).toEqual({ applied: 0, skipped: 3, rows: 0 }); // the same batch again
    expect(await store.apply([batch(1, 4)])).toEqual({ applied: 2, skipped: 2, rows: 1 }); // overlapping
    expect(await counters()).toEqual([{ likes: 4, unlikes: 1 }]);
    // One flush holding several partitions: each partition's progress is its own. Partition 3 again (all
    // applied) next to partition 5, seen for the first time, in one transaction.
    const other = { ...batch(10, 12), partition: 5 };
    expect(await store.apply([other, batch(2, 4)])).toEqual({ applied: 3, skipped: 3, rows: 1 });
    expect(await counters()).toEqual([{ likes: 7, unlikes: 1 }]);
    expect(await store.apply([batch(0, 4), other])).toEqual({ applied: 0, skipped: 8, rows: 0 });
    expect(await counters()).toEqual([{ likes: 7, unlikes: 1 }]);
    const window = { from: new Date('2026-03-01T10:00:00Z'), to: new Date('2026-03-01T11:00:00Z') };
    expect(await store.series(postId, window)).toEqual([
      { postId, minute: '2026-03-01T10:15:00.000Z', likes: 7, unlikes: 1 },
    ]);
  });
});
