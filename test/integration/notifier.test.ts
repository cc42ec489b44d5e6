import { createServer, type Server } from 'node:http';
import type { LikeEvent } from '@likepipe/core';
import { PgNotificationStore } from '@likepipe/pipeline/postgres/notification-store.js';
import { call, closeClients, createPost, db, like, uid, unlike, waitFor, waitHealthy } from '../support/stack.js';

/**
 * The notifier on the real stack. scripts/test.sh runs it with 2 s windows and a webhook (127.0.0.1:8199 by default)
 * that nobody serves except the last test here: for the rest of the suite the push service is dead.
 */
const WINDOW_MS = Number(process.env.LIKEPIPE_NOTIFY_WINDOW_MS ?? 2000);
const HOOK = new URL(process.env.LIKEPIPE_NOTIFY_WEBHOOK_URL ?? 'http://127.0.0.1:8199/hook');

beforeAll(() => waitHealthy());
afterAll(() => closeClients());

interface Notification {
  id: string;
  postId: string;
  likers: string[];
  likeCount: number;
  text: string;
  final: boolean;
  deliveredAt: string | null;
}
const notifications = async (user: string): Promise<Notification[]> => {
  const r = await call('GET', '/api/notifications?limit=100', { user });
  expect(r.status).toBe(200);
  return r.body.notifications as Notification[];
};
const of = async (user: string, postId: string) => (await notifications(user)).filter((n) => n.postId === postId);

/** Waits until a window has just begun, so a few quick actions all fall in it. */
async function atWindowStart(): Promise<void> {
  const into = Date.now() % WINDOW_MS;
  await new Promise((r) => setTimeout(r, WINDOW_MS - into + 50));
}

describe('notifier', () => {
  it('coalesces a window of likes into one notification for the author only; an unlike in the window takes its like back', async () => {
    const author = uid('author');
    const postId = await createPost(author);
    const [a, b, c] = [uid('a'), uid('b'), uid('c')];
    await atWindowStart();
    expect((await like(author, postId)).status).toBe(200); // your own like is no news
    for (const u of [a, b, c]) expect((await like(u, postId)).status).toBe(200);
    expect((await like(a, postId)).body.changed).toBe(false); // a repeat does not move a up
    expect((await unlike(b, postId)).status).toBe(200);

    const [n] = await waitFor('the final notification', async () => {
      const list = await of(author, postId);
      return list.length === 1 && list[0]!.final && list;
    });
    expect(n).toMatchObject({ likers: [c, a], likeCount: 2, text: `${c} and 1 other liked your post` });
    // Owners only: the likers see nothing of it, and the author has no notification of their own like.
    for (const u of [a, b, c]) expect(await of(u, postId)).toEqual([]);
    expect((await call('GET', '/api/notifications?limit=0', { user: author })).body.error.message).toBe(
      'query parameter limit: must be a whole number from 1 to 100',
    );
    expect((await call('GET', '/api/notifications')).status).toBe(401);
  });

  it('an unlike in a later window does not take back what was already told', async () => {
    const author = uid('author');
    const postId = await createPost(author);
    const a = uid('a');
    await atWindowStart();
    await like(a, postId);
    await new Promise((r) => setTimeout(r, WINDOW_MS + 100));
    await unlike(a, postId);
    await new Promise((r) => setTimeout(r, WINDOW_MS));
    const list = await waitFor('the notification', async () => {
      const l = await of(author, postId);
      return l.length === 1 && l[0]!.final && l;
    });
    expect(list[0]!.likers).toEqual([a]);
  });

  it('a redelivered batch notifies nobody twice (real Postgres)', async () => {
    const store = new PgNotificationStore(db);
    const author = uid('author');
    const postId = await createPost(author);
    const group = uid('test-group');
    const at = new Date(Math.floor(Date.now() / 60_000) * 60_000 + 5_000).toISOString();
    const event = (userId: string, type: 'like' | 'unlike'): LikeEvent => ({
      v: 1,
      id: uid('e'),
      type,
      postId,
      userId,
      at,
      redisBypassed: false,
      changed: true,
    });
    const records = [event('x', 'like'), event('y', 'like'), event('x', 'unlike'), event('x', 'like')].map((e, i) => ({
      offset: BigInt(i),
      event: e,
    }));
    const batch = { group, topic: 'like-events', partition: 0, records };
    expect(await store.apply([batch], 60_000)).toMatchObject({ applied: 4, skipped: 0 });
    expect(await store.apply([batch], 60_000)).toMatchObject({ applied: 0, skipped: 4 });
    const rows = await store.forRecipient(author, 10);
    expect(rows.filter((r) => r.postId === postId).map((r) => r.likers)).toEqual([['x', 'y']]);
  });

  it('lists likers newest first by when they liked, whatever order the partitions are read in (real Postgres)', async () => {
    const store = new PgNotificationStore(db);
    const author = uid('author');
    const postId = await createPost(author);
    const group = uid('test-group');
    const minute = Math.floor(Date.now() / 60_000) * 60_000;
    const event = (userId: string, second: number, type: 'like' | 'unlike' = 'like'): LikeEvent => ({
      v: 1,
      id: uid('e'),
      type,
      postId,
      userId,
      at: new Date(minute + second * 1000).toISOString(),
      redisBypassed: false,
      changed: true,
    });
    const batch = (partition: number, events: LikeEvent[]) => ({
      group,
      topic: 'like-events',
      partition,
      records: events.map((event, i) => ({ offset: BigInt(i), event })),
    });
    // The newest like is read first, from another partition than the older ones.
    await store.apply([batch(1, [event('late', 30)])], 60_000);
    await store.apply([batch(2, [event('early', 10), event('middle', 20)])], 60_000);
    const likers = async () =>
      (await store.forRecipient(author, 10)).filter((r) => r.postId === postId).map((r) => r.likers);
    expect(await likers()).toEqual([['late', 'middle', 'early']]);
    // An unlike takes its liker out and leaves the others' order alone.
    await store.apply([batch(3, [event('middle', 40, 'unlike')])], 60_000);
    expect(await likers()).toEqual([['late', 'early']]);
    // Two partitions in one flush, the newer like in the lower partition: still newest first.
    await store.apply([batch(4, [event('newest', 50)]), batch(5, [event('newer', 45)])], 60_000);
    expect(await likers()).toEqual([['newest', 'newer', 'late', 'early']]);
  });

  it('pushes each closed notification to the webhook once, after retries, without holding up the consumer', async () => {
    const author = uid('author');
    const postId = await createPost(author);
    const fan = uid('fan');
    await like(fan, postId);
    // Stored and final while the push service is still dead: consuming never waited for it.
    const [stored] = await waitFor('the notification, stored with the webhook down', async () => {
      const l = await of(author, postId);
      return l.length === 1 && l[0]!.final && l;
    });
    expect(stored!.deliveredAt).toBeNull();

    const seen: { id: string; status: number; body: Record<string, unknown> }[] = [];
    let failuresLeft = 2;
    const server: Server = createServer((req, res) => {
      let text = '';
      req.on('data', (c: Buffer) => (text += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(text) as Record<string, unknown>;
        // The push service fails our notification twice before it accepts it.
        const fail = body.postId === postId && failuresLeft-- > 0;
        const status = fail ? 503 : 200;
        if (body.postId === postId) seen.push({ id: String(body.id), status, body });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(Number(HOOK.port), HOOK.hostname, r));
    try {
      const delivered = await waitFor(
        'the push',
        async () => {
          const [n] = await of(author, postId);
          return n?.deliveredAt ? n : undefined;
        },
        60_000,
      );
      expect(seen.map((s) => s.status)).toEqual([503, 503, 200]);
      expect(new Set(seen.map((s) => s.id))).toEqual(new Set([delivered.id]));
      expect(seen[2]!.body).toMatchObject({
        recipientId: author,
        postId,
        likers: [fan],
        likeCount: 1,
        text: `${fan} liked your post`,
      });
      await new Promise((r) => setTimeout(r, 1500));
      expect(seen.filter((s) => s.status === 200)).toHaveLength(1); // once, not again
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
