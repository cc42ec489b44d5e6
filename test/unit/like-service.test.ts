import {
  IdempotencyKeyReusedError,
  LikeService,
  LocalRateLimiter,
  NotFoundError,
  SpeedLayerUnavailableError,
  UnavailableError,
  type AdmitRequest,
  type Admission,
  type LikeEvent,
  type PostApply,
  type SpeedLayer,
  type StoredResponse,
} from '@likepipe/core';

/**
 * Unit tests of the like path's decisions with in-memory ports. The same behaviour against real Redis,
 * Kafka and Postgres is proven in test/integration.
 */
class MemorySpeed implements SpeedLayer {
  down = false;
  posts = new Map<string, Set<string>>();
  released: string[] = [];
  idem = new Map<string, { fp: string; r?: StoredResponse }>();
  private check() {
    if (this.down) throw new SpeedLayerUnavailableError('down');
  }
  async admit(req: AdmitRequest): Promise<Admission> {
    this.check();
    if (req.idempotencyKey) {
      const rec = this.idem.get(req.idempotencyKey);
      if (rec && rec.fp !== req.fingerprint) return { kind: 'key_reused' };
      if (rec?.r) return { kind: 'replay', response: rec.r };
      if (rec) return { kind: 'in_progress' };
      this.idem.set(req.idempotencyKey, { fp: req.fingerprint });
    }
    return { kind: 'admitted', slot: 's1' };
  }
  async release(_u: string, slot: string, key?: string) {
    this.released.push(slot);
    if (key) this.idem.delete(key);
  }
  async completeIdempotency(_u: string, key: string, fp: string, r: StoredResponse) {
    this.idem.set(key, { fp, r });
  }
  async apply(postId: string, userId: string, action: 'like' | 'unlike'): Promise<PostApply> {
    this.check();
    const s = this.posts.get(postId);
    if (!s) return { kind: 'unknown_post' };
    const changed = action === 'like' ? !s.has(userId) && !!s.add(userId) : s.delete(userId);
    return { kind: 'applied', changed, likeCount: s.size };
  }
  async revert(postId: string, userId: string, action: 'like' | 'unlike') {
    const s = this.posts.get(postId)!;
    if (action === 'like') s.delete(userId);
    else s.add(userId);
  }
  async read() {
    return null;
  }
  async warm(snap: { id: string; likers: string[] }) {
    if (!this.posts.has(snap.id)) this.posts.set(snap.id, new Set(snap.likers));
  }
}

function setup(opts: { kafkaDown?: boolean; truthPosts?: string[] } = {}) {
  const speed = new MemorySpeed();
  const published: LikeEvent[] = [];
  const truthPosts = new Set(opts.truthPosts ?? ['p1']);
  const service = new LikeService({
    speed,
    log: {
      publish: async (e) => {
        if (opts.kafkaDown) throw new Error('broker unreachable');
        published.push(e);
      },
    },
    truth: {
      loadSnapshot: async (id) =>
        truthPosts.has(id) ? { id, authorId: 'a', createdAt: 'c', likeCount: 0, likers: [] } : null,
      readPost: async () => null,
    },
    posts: { create: async () => true, exists: async (id) => truthPosts.has(id) },
    clock: { now: () => 0 },
    localLimiter: new LocalRateLimiter(100, 60_000, { now: () => 0 }),
    localIdempotency: new Map(),
    options: { rateLimit: 100, rateWindowMs: 60_000, idempotencyTtlMs: 1000, inflightTtlMs: 1000 },
  });
  return { speed, published, service };
}

describe('LikeService', () => {
  it('warms an unknown-to-Redis post from the truth, applies, and publishes before answering', async () => {
    const { service, published } = setup();
    const r = await service.act({ userId: 'u', postId: 'p1', action: 'like' });
    expect(r).toMatchObject({ status: 200, body: { liked: true, changed: true, likeCount: 1 }, replayed: false });
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({ type: 'like', postId: 'p1', userId: 'u', redisBypassed: false });
  });

  it('404s a post that is in neither Redis nor the truth, and gives back the admission', async () => {
    const { service, speed, published } = setup();
    await expect(service.act({ userId: 'u', postId: 'nope', action: 'like' })).rejects.toBeInstanceOf(NotFoundError);
    expect(speed.released).toEqual(['s1']);
    expect(published).toHaveLength(0);
  });

  it('undoes the Redis change and answers 503 when Kafka cannot take the event', async () => {
    const { service, speed } = setup({ kafkaDown: true });
    await expect(
      service.act({ userId: 'u', postId: 'p1', action: 'like', idempotencyKey: 'k' }),
    ).rejects.toBeInstanceOf(UnavailableError);
    expect(speed.posts.get('p1')?.size).toBe(0);
    expect(speed.released).toEqual(['s1']);
    expect(speed.idem.has('k')).toBe(false);
  });

  it('goes degraded (202, redisBypassed) when Redis is down', async () => {
    const { service, speed, published } = setup();
    speed.down = true;
    const r = await service.act({ userId: 'u', postId: 'p1', action: 'like' });
    expect(r).toMatchObject({ status: 202, body: { changed: null, likeCount: null, degraded: true } });
    expect(published[0]?.redisBypassed).toBe(true);
  });

  it('degrades rather than 404s when Redis drops a post again right after it was warmed', async () => {
    const { service, speed, published } = setup();
    speed.warm = async () => undefined; // evicted as soon as installed
    const r = await service.act({ userId: 'u', postId: 'p1', action: 'like' });
    expect(r.status).toBe(202);
    expect(published[0]?.redisBypassed).toBe(true);
  });

  it('replays an idempotent answer and rejects the key for another post', async () => {
    const { service, published } = setup({ truthPosts: ['p1', 'p2'] });
    const first = await service.act({ userId: 'u', postId: 'p1', action: 'like', idempotencyKey: 'k' });
    const again = await service.act({ userId: 'u', postId: 'p1', action: 'like', idempotencyKey: 'k' });
    expect(again).toEqual({ ...first, replayed: true });
    expect(published).toHaveLength(1);
    await expect(
      service.act({ userId: 'u', postId: 'p2', action: 'like', idempotencyKey: 'k' }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });
});
