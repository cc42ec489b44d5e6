import { call, closeClients, createPost, db, env, like, token, uid, waitHealthy } from '../support/stack.js';

/** Invariants 4 and 6: only verified users act, and bad input gets a clear error and changes nothing. */
// Start from a healthy stack whatever an earlier test file broke (jest runs the files one after another).
beforeAll(() => waitHealthy());
afterAll(closeClients);

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

async function likesRowsFor(postId: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM likes WHERE post_id = $1', [postId]);
  return Number(rows[0]!.n);
}

describe('authentication', () => {
  let postId: string;
  beforeAll(async () => {
    postId = await createPost();
  });

  const cases: [string, () => Promise<string>][] = [
    ['no Authorization header', async () => ''],
    [
      'a token signed with another secret (forged)',
      async () => `Bearer ${await token('mallory', { secret: 'x'.repeat(40) })}`,
    ],
    [
      'an expired token',
      async () =>
        `Bearer ${await token('alice', { issuedAt: Math.floor(Date.now() / 1000) - 7200, expiresIn: Math.floor(Date.now() / 1000) - 3600 })}`,
    ],
    [
      'alg: none',
      async () => `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', exp: 9_999_999_999 })}.`,
    ],
    [
      'a token whose signature was cut off',
      async () => `Bearer ${(await token('alice')).split('.').slice(0, 2).join('.')}.`,
    ],
    ['a token for an invalid user id', async () => `Bearer ${await token('bad id!')}`],
    ['a non-Bearer scheme', async () => `Basic ${Buffer.from('alice:pw').toString('base64')}`],
  ];

  it.each(cases)('rejects %s with 401 and writes nothing', async (_name, makeAuth) => {
    const auth = await makeAuth();
    const r = await call('POST', `/api/posts/${postId}/like`, auth ? { auth } : {});
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('unauthorized');
    expect(typeof r.body.error.message).toBe('string');
    const g = await call('GET', `/api/posts/${postId}`, { user: 'someone' });
    expect(g.body.likeCount).toBe(0);
  });

  it('rejects an HS512 token (only HS256 is allowed)', async () => {
    const { SignJWT } = await import('jose');
    const t = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject('alice')
      .setExpirationTime('1h')
      .sign(new TextEncoder().encode(env.LIKEPIPE_JWT_SECRET! + env.LIKEPIPE_JWT_SECRET!));
    const r = await call('POST', `/api/posts/${postId}/like`, { auth: `Bearer ${t}` });
    expect(r.status).toBe(401);
  });
});

describe('validation', () => {
  it('400s malformed JSON with a message naming the body, and writes nothing', async () => {
    const postId = await createPost();
    const r = await call('POST', `/api/posts/${postId}/like`, { user: uid('u'), rawBody: '{"oops":' });
    expect(r.status).toBe(400);
    expect(r.body.error).toMatchObject({ code: 'invalid_request' });
    expect(r.body.error.message).toMatch(/body/);
    expect((await call('GET', `/api/posts/${postId}`, { user: 'x' })).body.likeCount).toBe(0);
  });

  it('413s an oversized body and writes nothing', async () => {
    const r = await call('POST', '/api/posts', {
      user: uid('u'),
      rawBody: JSON.stringify({ id: 'x', pad: 'a'.repeat(64 * 1024) }),
    });
    expect(r.status).toBe(413);
    expect(r.body.error.code).toBe('payload_too_large');
    const { rows } = await db.query("SELECT 1 FROM posts WHERE id = 'x'");
    expect(rows).toHaveLength(0);
  });

  it.each([
    ['too long', 'p'.repeat(65)],
    ['a forbidden character', 'bad.id'],
    ['a percent-encoded slash', 'a%2Fb'],
  ])('400s a post id with %s', async (_n, id) => {
    const r = await like(uid('u'), id);
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe('invalid_request');
    expect(r.body.error.message).toMatch(/id/);
  });

  it('400s a bad id and unknown fields when creating a post, and creates nothing', async () => {
    const bad = await call('POST', '/api/posts', { user: 'alice', body: { id: 'no spaces allowed' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toMatch(/body\.id/);
    const extra = await call('POST', '/api/posts', { user: 'alice', body: { id: uid('p'), title: 'x' } });
    expect(extra.status).toBe(400);
    expect(extra.body.error.message).toMatch(/title/);
    const { rows } = await db.query("SELECT count(*)::int AS n FROM posts WHERE author_id = 'alice' AND id LIKE 'p-%'");
    expect(rows[0].n).toBe(0);
  });

  it('400s an invalid Idempotency-Key', async () => {
    const postId = await createPost();
    const r = await like(uid('u'), postId, { headers: { 'Idempotency-Key': 'x'.repeat(300) } });
    expect(r.status).toBe(400);
    expect(r.body.error.message).toMatch(/Idempotency-Key/);
    expect(await likesRowsFor(postId)).toBe(0);
  });
});

describe('posts', () => {
  it('creates a post with the caller as author and 409s a taken id', async () => {
    const id = uid('post');
    const r = await call('POST', '/api/posts', { user: 'carol', body: { id } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ id, authorId: 'carol', likeCount: 0 });
    expect(new Date(r.body.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const again = await call('POST', '/api/posts', { user: 'dave', body: { id } });
    expect(again.status).toBe(409);
    const { rows } = await db.query('SELECT author_id FROM posts WHERE id = $1', [id]);
    expect(rows).toEqual([{ author_id: 'carol' }]);
  });

  it('generates an id when none is given', async () => {
    const r = await call('POST', '/api/posts', { user: 'carol', body: {} });
    expect(r.status).toBe(201);
    expect(r.body.id).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  });

  it('404s an unknown post for GET, like and unlike', async () => {
    const id = uid('missing');
    for (const r of [
      await call('GET', `/api/posts/${id}`, { user: 'u' }),
      await like('u', id),
      await call('DELETE', `/api/posts/${id}/like`, { user: 'u' }),
    ]) {
      expect(r.status).toBe(404);
      expect(r.body.error.code).toBe('not_found');
    }
  });

  it('serves /healthz, /readyz and Prometheus /metrics without ids in labels', async () => {
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/readyz')).status).toBe(200);
    const postId = await createPost();
    await like(uid('u'), postId);
    const m = await call('GET', '/metrics');
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/text\/plain/);
    for (const name of [
      'likepipe_http_request_duration_seconds_bucket',
      'likepipe_redis_call_duration_seconds',
      'likepipe_kafka_produce_batch_size',
      'likepipe_circuit_breaker_state',
    ]) {
      expect(m.body).toContain(name);
    }
    expect(m.body).toContain('route="/api/posts/:id/like"');
    expect(m.body).not.toContain(postId);
  });
});
