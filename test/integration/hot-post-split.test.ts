import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { PostSnapshot } from '@likepipe/core';
import { createRedisCluster, waitForReady, type RedisCluster } from '@likepipe/pipeline/redis/client.js';
import { redisKeys, shardOf } from '@likepipe/pipeline/redis/keys.js';
import { RedisSpeedLayer, type SplitOptions } from '@likepipe/pipeline/redis/speed-layer.js';
import { createBreaker } from '@likepipe/pipeline/resilience/breaker.js';
import {
  API_B,
  call,
  closeClients,
  createPost,
  env,
  like,
  pool,
  stack,
  truthOf,
  uid,
  unlike,
  waitFor,
  waitHealthy,
  type Reply,
} from '../support/stack.js';

/**
 * One viral post split over sub-slots (post-split.lua, shard-apply.lua) on the real Redis Cluster: exact counts
 * and dedup across the split, replicas with a stale layout, the reconciler's un-split, and a master failover.
 *
 * The speed layers built here are extra "API replicas" in this process, each with its own layout cache; the
 * posts they alone touch are never in Postgres, so the stack's reconciler leaves them alone.
 */
const clients: RedisCluster[] = [];
async function speedLayer(splitting: Partial<SplitOptions> = {}): Promise<RedisSpeedLayer> {
  const redis = createRedisCluster(env.REDIS_CLUSTER_NODES!.split(','), { commandTimeoutMs: 5_000, failFast: false });
  redis.on('error', () => undefined);
  clients.push(redis);
  await waitForReady(redis, 20_000);
  return new RedisSpeedLayer(redis, createBreaker({ name: `test-${clients.length}`, timeoutMs: 10_000 }), {
    hotRate: 0,
    shards: 8,
    countTtlMs: 200,
    ...splitting,
  });
}

/** A post that exists only in Redis, with these likers before any split. */
async function redisOnlyPost(speed: RedisSpeedLayer, likers: string[]): Promise<string> {
  const id = uid('split');
  await speed.warm({ id, authorId: 'author', createdAt: new Date().toISOString(), likeCount: likers.length, likers });
  return id;
}

const layoutOf = async (speed: RedisSpeedLayer, postId: string) => (await speed.count(postId))!;

let admin: RedisSpeedLayer;
beforeAll(async () => {
  admin = await speedLayer();
});
afterAll(async () => {
  for (const c of clients) c.disconnect();
  await closeClients();
});

describe('a hot post split over sub-slots (Redis, several replicas)', () => {
  it('splits by itself when its like rate crosses the threshold, and counts exactly across the split', async () => {
    const splits: string[] = [];
    const onSplit = (_: string, outcome: unknown) => splits.push(outcome instanceof Error ? outcome.message : 'ok');
    const a = await speedLayer({ hotRate: 20, shards: 4, onSplit });
    const b = await speedLayer({ hotRate: 20, shards: 4, onSplit });
    const base = Array.from({ length: 30 }, (_, i) => `base-${i}`);
    const postId = await redisOnlyPost(a, base);
    // 400 new users like over two replicas, in bursts of 80 at once: a burst is well over 20 a second unless the
    // machine is so loaded that 80 calls take four seconds, so the post splits within the first bursts. Bursts go
    // on (up to 1,200 users) until it has, so a slow box changes how many like, not the outcome.
    const fresh = Array.from({ length: 1_200 }, (_, i) => `new-${i}`);
    let liked = 0;
    while (liked < 400 || ((await layoutOf(admin, postId)).shards === 1 && liked < fresh.length)) {
      const burst = fresh.slice(liked, liked + 80);
      const r = await Promise.all(burst.map((u, i) => (i % 2 ? a : b).apply(postId, u, 'like')));
      expect(r.every((x) => x.kind === 'applied' && x.changed)).toBe(true);
      liked += burst.length;
    }
    // Usually one split; a second hot second before the first split landed asks again and gets the same layout.
    expect({ split: splits.length > 0, outcomes: [...new Set(splits)] }).toEqual({ split: true, outcomes: ['ok'] });
    expect(await layoutOf(admin, postId)).toEqual({ count: 30 + liked, shards: 4 });
    const frozen = await clients[0]!.hget(redisKeys.post(postId), 'count');

    // After the split: base likers unlike (10) and like again (5), new likers unlike (20), duplicates change
    // nothing, on both replicas at once.
    const ops: [string, 'like' | 'unlike', boolean][] = [
      ...base.slice(0, 10).map((u): [string, 'like' | 'unlike', boolean] => [u, 'unlike', true]),
      ...fresh.slice(0, 20).map((u): [string, 'like' | 'unlike', boolean] => [u, 'unlike', true]),
      ...fresh.slice(100, 140).map((u): [string, 'like' | 'unlike', boolean] => [u, 'like', false]),
      ...base.slice(20, 30).map((u): [string, 'like' | 'unlike', boolean] => [u, 'like', false]),
    ];
    const second = await pool(ops, 32, ([u, action], i) => (i % 2 ? a : b).apply(postId, u, action));
    expect(second.map((r) => r.kind === 'applied' && r.changed)).toEqual(ops.map(([, , changes]) => changes));
    const relike = await pool(base.slice(0, 5), 5, (u) => b.apply(postId, u, 'like'));
    expect(relike.every((r) => r.kind === 'applied' && r.changed)).toBe(true);
    const again = await pool(base.slice(0, 5), 5, (u) => a.apply(postId, u, 'like'));
    expect(again.every((r) => r.kind === 'applied' && !r.changed)).toBe(true);

    const expected = 30 + liked - 10 - 20 + 5;
    expect(await layoutOf(admin, postId)).toEqual({ count: expected, shards: 4 });
    // The served view sums the sub-slots and knows each viewer's state wherever it lives.
    const view = async (u: string) => (await a.read(postId, u))!;
    expect((await view('')).likeCount).toBe(expected);
    expect((await view(base[0]!)).likedByMe).toBe(true); // unliked, then liked again
    expect((await view(base[7]!)).likedByMe).toBe(false); // base liker who unliked after the split
    expect((await view(base[25]!)).likedByMe).toBe(true); // base liker untouched
    expect((await view(fresh[5]!)).likedByMe).toBe(false);
    expect((await view(fresh[200]!)).likedByMe).toBe(true);
    expect((await view('stranger')).likedByMe).toBe(false);
    // The frozen base did not move: every change since the split lives in the sub-slots.
    expect(await clients[0]!.hget(redisKeys.post(postId), 'count')).toBe(frozen);
  });

  it('many replicas with stale layouts: likes, unlikes and re-likes around a split land exactly once', async () => {
    const replicas = await Promise.all([speedLayer(), speedLayer(), speedLayer()]);
    const postId = await redisOnlyPost(admin, []);
    // Each user runs like → unlike → like (ending liked) or like → unlike (ending not), in order, while the
    // post is split after a random share of the traffic by a replica that none of the others has heard from.
    const users = Array.from({ length: 240 }, (_, i) => `u${i}-${randomBytes(2).toString('hex')}`);
    const endsLiked = (i: number) => i % 3 !== 0;
    let splitAt: Promise<unknown> | undefined;
    await pool(users, 48, async (u, i) => {
      if (i === 80) splitAt = admin.splitPost(postId, 8);
      const steps: ('like' | 'unlike')[] = endsLiked(i) ? ['like', 'unlike', 'like'] : ['like', 'unlike'];
      for (const [n, action] of steps.entries()) {
        const r = await replicas[(i + n) % replicas.length]!.apply(postId, u, action);
        if (r.kind !== 'applied' || !r.changed) throw new Error(`${u} ${action}: ${JSON.stringify(r)}`);
      }
    });
    await splitAt;
    const expected = users.filter((_, i) => endsLiked(i)).length;
    expect(await layoutOf(admin, postId)).toEqual({ count: expected, shards: 8 });
    // Every sub-slot took some of it: the writes really spread.
    const { epoch } = (await admin.splitPost(postId))!;
    const perShard = new Set(users.map((u) => shardOf(u, 8)));
    expect(perShard.size).toBe(8);
    const partials = await Promise.all(
      Array.from({ length: 8 }, (_, k) => clients[0]!.hget(redisKeys.shard(postId, epoch, k), 'partial')),
    );
    expect(partials.every((p) => p !== null)).toBe(true);
  });

  it('a reinstall fences the sub-slots: a replica holding the old layout re-reads it and loses nothing', async () => {
    const stale = await speedLayer();
    const postId = await redisOnlyPost(admin, ['a', 'b']);
    await admin.splitPost(postId, 8);
    expect((await stale.apply(postId, 'c', 'like')).kind).toBe('applied'); // `stale` now holds the layout
    const { epoch } = (await admin.splitPost(postId))!;

    // The reconciler's un-split: fence, then read the truth (here: what Redis holds, as Postgres would).
    const truth: PostSnapshot = {
      id: postId,
      authorId: 'author',
      createdAt: new Date().toISOString(),
      likeCount: 3,
      likers: ['a', 'b', 'c'],
    };
    let fencedBeforeLoad = false;
    expect(
      await admin.replaceFromTruth(postId, async () => {
        const r = await clients[0]!.hget(redisKeys.shard(postId, epoch, shardOf('c', 8)), 'closed');
        fencedBeforeLoad = r === '1';
        return truth;
      }),
    ).toBe(3);
    expect(fencedBeforeLoad).toBe(true);
    expect(await layoutOf(admin, postId)).toEqual({ count: 3, shards: 1 });

    // `stale` still believes in the old split: its sub-slot says "closed", it re-reads and writes the base.
    const r = await stale.apply(postId, 'd', 'like');
    expect(r).toMatchObject({ kind: 'applied', changed: true, likeCount: 4 });
    expect(await clients[0]!.sismember(redisKeys.likers(postId), 'd')).toBe(1);
    expect(await layoutOf(admin, postId)).toEqual({ count: 4, shards: 1 });

    // Split again: a fresh epoch, so the old fenced sub-slots are never read or written again.
    const again = (await admin.splitPost(postId, 8))!;
    expect(again.epoch).not.toBe(epoch);
    expect(await stale.apply(postId, 'c', 'unlike')).toMatchObject({ kind: 'applied', changed: true });
    expect(await stale.apply(postId, 'c', 'unlike')).toMatchObject({ kind: 'applied', changed: false });
    expect(await layoutOf(admin, postId)).toEqual({ count: 3, shards: 8 });
  });

  it('once its sub-slots hold a copy of the frozen base, a like no longer reads the base slot, and dedup holds', async () => {
    const mine = clients.length;
    const a = await speedLayer();
    const client = clients[mine]!;
    const base = Array.from({ length: 50 }, (_, i) => `b${i}`);
    const postId = await redisOnlyPost(a, base);
    const layout = (await a.splitPost(postId, 4))!;
    await a.seed(postId, layout);
    const seeded = await Promise.all(
      Array.from({ length: 4 }, (_, k) => client.hget(redisKeys.shard(postId, layout.epoch, k), 'seeded')),
    );
    expect(seeded.reduce((sum, v) => sum + Number(v), 0)).toBe(50);
    // The split chose an epoch that spreads the 4 sub-slots over every master the cluster has (3 in the tests).
    const masters = await Promise.all(
      Array.from({ length: 4 }, async (_, k) => {
        const slot = Number(await client.cluster('KEYSLOT', redisKeys.shard(postId, layout.epoch, k)));
        return client.slots[slot]![0];
      }),
    );
    expect(new Set(masters).size).toBe(new Set(client.slots.map((nodes) => nodes[0])).size);

    // Count the base-slot membership reads this replica makes from here on.
    const sismember = client.sismember.bind(client);
    let baseReads = 0;
    client.sismember = ((...args: Parameters<typeof sismember>) => {
      if (args[0] === redisKeys.likers(postId)) baseReads++;
      return sismember(...args);
    }) as typeof client.sismember;
    const again = await pool(base.slice(0, 20), 10, (u) => a.apply(postId, u, 'like'));
    expect(again.every((r) => r.kind === 'applied' && !r.changed)).toBe(true);
    const gone = await pool(base.slice(0, 10), 10, (u) => a.apply(postId, u, 'unlike'));
    expect(gone.every((r) => r.kind === 'applied' && r.changed)).toBe(true);
    const fresh = await pool(['n1', 'n2', 'n3'], 3, (u) => a.apply(postId, u, 'like'));
    expect(fresh.every((r) => r.kind === 'applied' && r.changed)).toBe(true);
    client.sismember = sismember;
    expect(baseReads).toBe(0);
    expect(await layoutOf(admin, postId)).toEqual({ count: 50 - 10 + 3, shards: 4 });
  });

  it('a like whose event could not be made durable is reverted in its sub-slot when the post split meanwhile', async () => {
    const a = await speedLayer();
    const postId = await redisOnlyPost(a, []);
    expect(await a.apply(postId, 'x', 'like')).toMatchObject({ changed: true, likeCount: 1 });
    await admin.splitPost(postId, 8); // `a` has not heard of it
    await a.revert(postId, 'x', 'like');
    expect(await layoutOf(admin, postId)).toEqual({ count: 0, shards: 8 });
    expect((await a.read(postId, 'x'))!.likedByMe).toBe(false);
    expect(await clients[0]!.sismember(redisKeys.likers(postId), 'x')).toBe(1); // the frozen base is untouched
  });
});

/** Waits for Postgres, the API and Redis's summed count to agree on `expected` likes. */
async function expectSplitConverged(postId: string, expected: number, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    `post ${postId} to converge on ${expected} likes`,
    async () => {
      const t = await truthOf(postId);
      if (t.likeCount !== expected || t.rows !== expected) return false;
      const r = await call('GET', `/api/posts/${postId}/count`, { user: uid('viewer') });
      if (r.status !== 200 || r.body.likeCount !== expected) return false;
      return (await admin.count(postId))?.count === expected;
    },
    timeoutMs,
  );
}

const statuses = (rs: Reply[]) =>
  rs.reduce<Record<number, number>>((m, r) => ((m[r.status] = (m[r.status] ?? 0) + 1), m), {});

describe('a hot post split over sub-slots (the whole pipeline)', () => {
  beforeEach(() => waitHealthy());

  it('counts exactly through the API across a split, and the reconciler un-splits it once cold', async () => {
    const postId = await createPost();
    const early = Array.from({ length: 60 }, (_, i) => `${postId}-e${i}`);
    expect(statuses(await pool(early, 16, (u, i) => like(u, postId, i % 2 ? { base: API_B } : {})))).toEqual({
      200: 60,
    });
    expect(await admin.splitPost(postId, 8)).toMatchObject({ shards: 8 });

    // Both API processes learn the split from the base slot's answer; users like, unlike and like again.
    const late = Array.from({ length: 240 }, (_, i) => `${postId}-l${i}`);
    const replies = await pool(late, 32, (u, i) => like(u, postId, i % 2 ? { base: API_B } : {}));
    expect(replies.every((r) => r.status === 200 && r.body.changed === true)).toBe(true);
    const dupes = await pool(late.slice(0, 20), 10, (u) => like(u, postId, { base: API_B }));
    expect(dupes.every((r) => r.status === 200 && r.body.changed === false)).toBe(true);
    const gone = [...early.slice(0, 20), ...late.slice(0, 30)];
    const unliked = await pool(gone, 16, (u, i) => unlike(u, postId, i % 2 ? { base: API_B } : {}));
    expect(unliked.every((r) => r.status === 200 && r.body.changed === true)).toBe(true);
    const back = await pool(early.slice(0, 5), 5, (u) => like(u, postId));
    expect(back.every((r) => r.status === 200 && r.body.changed === true)).toBe(true);
    expect((await admin.count(postId))!.shards).toBe(8);

    const expected = 60 + 240 - 50 + 5;
    expect((await admin.count(postId))!.count).toBe(expected);
    const me = await call('GET', `/api/posts/${postId}`, { user: early[10]! });
    expect(me.body).toMatchObject({ likeCount: expected, likedByMe: false });
    await expectSplitConverged(postId, expected);

    // Cold (LIKEPIPE_HOT_POST_COLD_MS in the test stack) and in sync: the stack's reconciler reinstalls it in
    // one slot from Postgres, and likes go on through the base slot.
    await waitFor('the reconciler to un-split the cold post', async () => (await admin.count(postId))?.shards === 1);
    expect(await admin.count(postId)).toEqual({ count: expected, shards: 1 });
    expect((await like(`${postId}-after`, postId)).body).toMatchObject({ changed: true, likeCount: expected + 1 });
    await expectSplitConverged(postId, expected + 1);
  });

  it('one post split 8 ways keeps exact counts through a master failover', async () => {
    const postId = await createPost();
    const early = Array.from({ length: 40 }, (_, i) => `${postId}-e${i}`);
    await pool(early, 16, (u) => like(u, postId));
    const { epoch } = (await admin.splitPost(postId, 8))!;

    // Kill the master that holds the most of this post's sub-slots (not its base slot's: that one is frozen).
    const probe = clients[0]!;
    const slots = await probe.cluster('SLOTS');
    const masterOf = async (key: string) => {
      const slot = Number(await probe.cluster('KEYSLOT', key));
      return String(slots.find(([from, to]) => slot >= from && slot <= to)![2]![1]);
    };
    const basePort = await masterOf(redisKeys.post(postId));
    const shardPorts = await Promise.all(
      Array.from({ length: 8 }, (_, k) => masterOf(redisKeys.shard(postId, epoch, k))),
    );
    const tally = new Map<string, number>();
    for (const p of shardPorts) if (p !== basePort) tally.set(p, (tally.get(p) ?? 0) + 1);
    const victim = [...tally].sort((x, y) => y[1] - x[1])[0]![0];

    const users = Array.from({ length: 400 }, (_, i) => `${postId}-f${i}`);
    let killed: Promise<string> | undefined;
    let replies: Reply[];
    try {
      replies = await pool(users, 16, async (u, i) => {
        if (i === 120) killed = stack('redis', 'kill-node', victim);
        return like(u, postId, i % 2 ? { base: API_B } : {});
      });
      await killed;
      const survivor = env.REDIS_CLUSTER_NODES!.split(',').find((n) => !n.endsWith(`:${victim}`))!;
      await waitFor('the replica to take over every slot', async () => {
        const r = new Redis({ host: '127.0.0.1', port: Number(survivor.split(':')[1]), lazyConnect: true });
        try {
          await r.connect();
          return /cluster_slots_ok:16384/.test(await r.cluster('INFO'));
        } finally {
          r.disconnect();
        }
      });
    } finally {
      await stack('redis', 'start-node', victim);
    }
    // Every like was acknowledged, on the fast path or (while its sub-slot had no master) the degraded one;
    // each reaches Postgres once, and the reconciler brings Redis's count to the truth.
    const s = statuses(replies);
    expect((s[200] ?? 0) + (s[202] ?? 0)).toBe(400);
    const total = 40 + 400;
    await waitHealthy();
    await expectSplitConverged(postId, total, 90_000);
    const t = await truthOf(postId);
    expect(t).toEqual({ likeCount: total, rows: total });
  });
});
