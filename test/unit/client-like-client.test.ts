import {
  LikeClient,
  NetworkError,
  RateLimitedError,
  RequestRejectedError,
  type LikeClientOptions,
  type PostLikeView,
  type RollbackEvent,
} from '@likepipe/client';

/** One request as the fake server saw it. */
interface Seen {
  method: string;
  path: string;
  key: string | null;
  auth: string | null;
}
type Answer = { status: number; body?: unknown; headers?: Record<string, string> } | Error;

/**
 * A fake like-API: `answer` decides each request's fate and may hold it (return a promise that resolves later).
 * Everything else in the client is real; sleeps are recorded and skipped.
 */
function harness(answer: (req: Seen, n: number) => Answer | Promise<Answer>, extra: Partial<LikeClientOptions> = {}) {
  const seen: Seen[] = [];
  const sleeps: number[] = [];
  const changes: PostLikeView[] = [];
  const rollbacks: RollbackEvent[] = [];
  let keys = 0;
  const fetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers = new Headers(init?.headers);
    const req = {
      method: init?.method ?? 'GET',
      path: new URL(String(input)).pathname,
      key: headers.get('idempotency-key'),
      auth: headers.get('authorization'),
    };
    seen.push(req);
    const a = await answer(req, seen.length);
    if (a instanceof Error) throw a;
    return new Response(a.body === undefined ? '' : JSON.stringify(a.body), {
      status: a.status,
      headers: a.headers ?? {},
    });
  }) as typeof globalThis.fetch;
  const client = new LikeClient({
    baseUrl: 'http://api.test/',
    token: 'tok',
    fetch,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0,
    newIdempotencyKey: () => `key-${++keys}`,
    ...extra,
  });
  client.on('change', (v) => changes.push(v));
  client.on('rollback', (e) => rollbacks.push(e));
  return { client, seen, sleeps, changes, rollbacks };
}

const ok = (liked: boolean, likeCount: number): Answer => ({
  status: 200,
  body: { postId: 'p', liked, changed: true, likeCount },
});
const post = (likedByMe: boolean, likeCount: number): Answer => ({
  status: 200,
  body: { id: 'p', authorId: 'a', createdAt: '2026-11-24T12:00:00Z', likeCount, likedByMe },
});

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('LikeClient', () => {
  test('a like shows before the answer; the answer reconciles the count', async () => {
    const answer = deferred<Answer>();
    const h = harness((req) => (req.method === 'GET' ? post(false, 10) : answer.promise));
    await h.client.load(['p']);

    const shown = h.client.like('p');
    expect(shown).toEqual({ postId: 'p', liked: true, likeCount: 11, pending: true, degraded: false });
    expect(h.changes.at(-1)).toEqual(shown);
    await Promise.resolve();
    expect(h.seen.at(-1)).toEqual({ method: 'POST', path: '/api/posts/p/like', key: 'key-1', auth: 'Bearer tok' });

    answer.resolve(ok(true, 25));
    await h.client.settled('p');
    expect(h.client.get('p')).toEqual({ postId: 'p', liked: true, likeCount: 25, pending: false, degraded: false });
    expect(h.rollbacks).toEqual([]);
  });

  test('retries network errors, 5xx, 429 and 409 in-progress with the same key, honouring Retry-After', async () => {
    const h = harness(
      (_req, n) =>
        [
          new TypeError('fetch failed'),
          { status: 503, headers: { 'retry-after': '2' }, body: { error: { code: 'unavailable', message: 'x' } } },
          { status: 429, headers: { 'retry-after': '1' }, body: { error: { code: 'rate_limited', message: 'x' } } },
          { status: 409, body: { error: { code: 'idempotency_in_progress', message: 'x' } } },
          ok(true, 1),
        ][n - 1]!,
    );
    h.client.like('p');
    await h.client.settled('p');
    expect(h.seen.map((r) => r.key)).toEqual(['key-1', 'key-1', 'key-1', 'key-1', 'key-1']);
    expect(h.sleeps).toEqual([0, 2000, 1000, 0]);
    expect(h.client.get('p')).toMatchObject({ liked: true, likeCount: 1, pending: false });
    expect(h.rollbacks).toEqual([]);
  });

  test('gives up after maxAttempts and rolls back with an event', async () => {
    const h = harness(() => new TypeError('fetch failed'), { maxAttempts: 3 });
    h.client.like('p');
    await h.client.settled('p');
    expect(h.seen).toHaveLength(3);
    expect(h.client.get('p')).toMatchObject({ liked: false, pending: false });
    expect(h.rollbacks).toHaveLength(1);
    expect(h.rollbacks[0]).toMatchObject({ postId: 'p', attempted: true, liked: false });
    expect(h.rollbacks[0]!.error).toBeInstanceOf(NetworkError);
    expect(h.rollbacks[0]!.error.code).toBe('network');
  });

  test('a 4xx other than 429 is final: one attempt, rolled back to the server state', async () => {
    const h = harness((req) =>
      req.method === 'GET' ? post(true, 7) : { status: 404, body: { error: { code: 'not_found', message: 'gone' } } },
    );
    await h.client.load(['p']);
    h.client.unlike('p');
    expect(h.client.get('p')).toMatchObject({ liked: false, likeCount: 6 });
    await h.client.settled('p');
    expect(h.seen.filter((r) => r.method === 'DELETE')).toHaveLength(1);
    expect(h.client.get('p')).toEqual({ postId: 'p', liked: true, likeCount: 7, pending: false, degraded: false });
    const error = h.rollbacks[0]!.error as RequestRejectedError;
    expect(error).toBeInstanceOf(RequestRejectedError);
    expect([error.code, error.status, error.serverCode, error.retriable]).toEqual([
      'rejected',
      404,
      'not_found',
      false,
    ]);
  });

  test('a Retry-After longer than maxRetryAfterMs is not waited for', async () => {
    const h = harness(() => ({
      status: 429,
      headers: { 'retry-after': '60' },
      body: { error: { code: 'rate_limited' } },
    }));
    h.client.like('p');
    await h.client.settled('p');
    expect(h.seen).toHaveLength(1);
    expect(h.sleeps).toEqual([]);
    expect(h.rollbacks[0]!.error).toBeInstanceOf(RateLimitedError);
    expect((h.rollbacks[0]!.error as RateLimitedError).retryAfterMs).toBe(60_000);
  });

  test('a 202 (degraded) is a success: no rollback, the count estimated until the server has one', async () => {
    const h = harness((req) =>
      req.method === 'GET'
        ? post(false, 4)
        : { status: 202, body: { postId: 'p', liked: true, changed: null, likeCount: null, degraded: true } },
    );
    await h.client.load(['p']);
    h.client.like('p');
    await h.client.settled('p');
    expect(h.client.get('p')).toEqual({ postId: 'p', liked: true, likeCount: 5, pending: false, degraded: true });
    expect(h.rollbacks).toEqual([]);
  });

  test('like, unlike, like while the like is in flight: one request, ends liked', async () => {
    const answer = deferred<Answer>();
    const h = harness(() => answer.promise);
    h.client.like('p');
    h.client.unlike('p');
    h.client.like('p');
    answer.resolve(ok(true, 1));
    await h.client.settled('p');
    expect(h.seen.map((r) => r.method)).toEqual(['POST']);
    expect(h.client.get('p')).toMatchObject({ liked: true, likeCount: 1, pending: false });
  });

  test('like, unlike while the like is in flight: the unlike follows with its own key', async () => {
    const first = deferred<Answer>();
    const h = harness((req) => (req.method === 'POST' ? first.promise : ok(false, 0)));
    h.client.like('p');
    h.client.unlike('p');
    expect(h.seen).toHaveLength(1);
    first.resolve(ok(true, 1));
    await h.client.settled('p');
    expect(h.seen.map((r) => [r.method, r.key])).toEqual([
      ['POST', 'key-1'],
      ['DELETE', 'key-2'],
    ]);
    expect(h.client.get('p')).toMatchObject({ liked: false, likeCount: 0, pending: false });
  });

  test('a failure the user already undid is not reported (nothing visible changes back)', async () => {
    const answer = deferred<Answer>();
    const h = harness((req) => (req.method === 'GET' ? post(false, 2) : answer.promise));
    await h.client.load(['p']);
    h.client.like('p');
    h.client.unlike('p');
    answer.resolve({ status: 400, body: { error: { code: 'invalid_request', message: 'x' } } });
    await h.client.settled('p');
    expect(h.rollbacks).toEqual([]);
    expect(h.client.get('p')).toMatchObject({ liked: false, likeCount: 2, pending: false });
  });

  test('posts are independent: one in flight each', async () => {
    const held = deferred<Answer>();
    const h = harness((req) => (req.path.includes('/a/') ? held.promise : ok(true, 1)));
    h.client.like('a');
    h.client.like('b');
    await h.client.settled('b');
    expect(h.client.get('b')).toMatchObject({ liked: true, pending: false });
    expect(h.client.get('a')).toMatchObject({ liked: true, pending: true });
    held.resolve(ok(true, 1));
    await h.client.idle();
    expect(h.client.get('a')).toMatchObject({ liked: true, pending: false });
  });

  test('a timed-out attempt is retried with the same key', async () => {
    let n = 0;
    const fetch = ((_url: string, init?: RequestInit) => {
      n++;
      if (n === 1) {
        // Never answers; only the client's timeout ends it.
        return new Promise((_resolve, reject) =>
          init!.signal!.addEventListener('abort', () => reject(init!.signal!.reason)),
        );
      }
      return Promise.resolve(new Response(JSON.stringify({ liked: true, likeCount: 1 }), { status: 200 }));
    }) as typeof globalThis.fetch;
    const h = harness(() => ok(true, 1), { fetch, requestTimeoutMs: 20 });
    h.client.like('p');
    await h.client.settled('p');
    expect(n).toBe(2);
    expect(h.client.get('p')).toMatchObject({ liked: true, likeCount: 1, pending: false });
    expect(h.rollbacks).toEqual([]);
  });

  test('the token function is asked before every attempt', async () => {
    let t = 0;
    const h = harness((_req, n) => (n === 1 ? { status: 503, body: {} } : ok(true, 1)), { token: () => `t${++t}` });
    h.client.like('p');
    await h.client.settled('p');
    expect(h.seen.map((r) => r.auth)).toEqual(['Bearer t1', 'Bearer t2']);
  });

  test('a refresh answered after a tap does not overwrite the tap', async () => {
    const get = deferred<Answer>();
    const h = harness((req) => (req.method === 'GET' ? get.promise : ok(true, 3)));
    const refreshing = h.client.refresh('p');
    h.client.like('p');
    await h.client.settled('p');
    get.resolve(post(false, 2));
    await refreshing;
    expect(h.client.get('p')).toMatchObject({ liked: true, likeCount: 3 });
  });

  test('a success without the contract body is an unexpected response, rolled back', async () => {
    const h = harness(() => ({ status: 200, body: '<html>' }));
    h.client.like('p');
    await h.client.settled('p');
    expect(h.seen).toHaveLength(1);
    expect(h.rollbacks[0]!.error.code).toBe('unexpected_response');
  });
});
