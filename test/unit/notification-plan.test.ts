import {
  deliveryBackoffMs,
  notificationText,
  NotificationService,
  planNotifications,
  windowStartOf,
  type LikeEvent,
} from '@likepipe/core';

const ev = (userId: string, type: 'like' | 'unlike', at: string, changed: boolean | null = true): LikeEvent => ({
  v: 1,
  id: `${userId}-${type}-${at}`,
  type,
  postId: 'p',
  userId,
  at,
  redisBypassed: changed === null,
  changed,
});

describe('notifications (pure)', () => {
  test('last intent per post, window and user; repeated likes do not count; windows are aligned', () => {
    const w = 60_000;
    expect(
      planNotifications(
        [
          ev('a', 'like', '2026-03-01T10:00:01Z'),
          ev('b', 'like', '2026-03-01T10:00:02Z'),
          ev('a', 'like', '2026-03-01T10:00:03Z', false), // a repeat: a stays where they were
          ev('b', 'unlike', '2026-03-01T10:00:04Z'), // same window: takes b's like back
          ev('c', 'like', '2026-03-01T10:01:00Z'), // next window
          ev('a', 'unlike', '2026-03-01T10:01:30Z'), // a later window than a's like
          ev('d', 'like', '2026-03-01T10:00:05Z', null), // Redis bypassed: counts
        ],
        w,
      ),
    ).toEqual([
      { postId: 'p', windowStart: '2026-03-01T10:00:00.000Z', userId: 'a', liked: true, at: '2026-03-01T10:00:01Z' },
      { postId: 'p', windowStart: '2026-03-01T10:00:00.000Z', userId: 'b', liked: false, at: '2026-03-01T10:00:04Z' },
      { postId: 'p', windowStart: '2026-03-01T10:01:00.000Z', userId: 'c', liked: true, at: '2026-03-01T10:01:00Z' },
      { postId: 'p', windowStart: '2026-03-01T10:01:00.000Z', userId: 'a', liked: false, at: '2026-03-01T10:01:30Z' },
      { postId: 'p', windowStart: '2026-03-01T10:00:00.000Z', userId: 'd', liked: true, at: '2026-03-01T10:00:05Z' },
    ]);
    expect(windowStartOf('2026-03-01T10:00:01.999Z', 2000)).toBe('2026-03-01T10:00:00.000Z');
  });

  test('text names the newest liker and counts the rest', () => {
    expect(notificationText([])).toBe('');
    expect(notificationText(['alice'])).toBe('alice liked your post');
    expect(notificationText(['bob', 'alice'])).toBe('bob and 1 other liked your post');
    expect(notificationText(['zoe', ...Array.from({ length: 41 }, (_, i) => `u${i}`)])).toBe(
      'zoe and 41 others liked your post',
    );
  });

  test('delivery backoff doubles and is capped', () => {
    expect([1, 2, 3, 4, 5, 6].map((n) => deliveryBackoffMs(n, 1000, 10_000))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
  });

  test('a notification is final once its window has closed', async () => {
    const row = {
      id: '1',
      postId: 'p',
      windowStart: '2026-03-01T10:00:00.000Z',
      windowEnd: '2026-03-01T10:01:00.000Z',
      likers: ['b', 'a'],
      likeCount: 2,
      deliveredAt: null,
    };
    const at = (now: string) =>
      new NotificationService({
        notifications: { forRecipient: () => Promise.resolve([row]) },
        clock: { now: () => Date.parse(now) },
      }).list('author', 10);
    expect((await at('2026-03-01T10:00:59Z'))[0]).toMatchObject({
      final: false,
      text: 'b and 1 other liked your post',
    });
    expect((await at('2026-03-01T10:01:00Z'))[0]!.final).toBe(true);
  });
});
