import { foldMinuteStats, InvalidRequestError, StatsService, type LikeEvent } from '@likepipe/core';

const ev = (over: Partial<LikeEvent>): LikeEvent => ({
  v: 1,
  id: 'x',
  type: 'like',
  postId: 'p1',
  userId: 'u1',
  at: '2026-03-01T10:15:30.000Z',
  redisBypassed: false,
  changed: true,
  ...over,
});

describe('per-minute stats (pure)', () => {
  test('folds by post and minute; only changes count; bypassed (unknown) counts', () => {
    expect(
      foldMinuteStats([
        ev({}),
        ev({ at: '2026-03-01T10:15:59.999Z', userId: 'u2' }),
        ev({ changed: false }),
        ev({ type: 'unlike', at: '2026-03-01T10:16:00.000Z' }),
        ev({ postId: 'p2', redisBypassed: true, changed: null }),
        ev({ postId: 'p2', changed: undefined }),
      ]),
    ).toEqual([
      { postId: 'p1', minute: '2026-03-01T10:15:00.000Z', likes: 2, unlikes: 0 },
      { postId: 'p1', minute: '2026-03-01T10:16:00.000Z', likes: 0, unlikes: 1 },
      { postId: 'p2', minute: '2026-03-01T10:15:00.000Z', likes: 2, unlikes: 0 },
    ]);
  });

  const service = new StatsService({
    stats: { series: () => Promise.resolve([]) },
    posts: { exists: () => Promise.resolve(true) },
    clock: { now: () => Date.parse('2026-03-01T10:15:30Z') },
  });

  test('the window defaults to the last hour in whole minutes', () => {
    expect(service.window(undefined, undefined)).toEqual({
      from: new Date('2026-03-01T09:15:00Z'),
      to: new Date('2026-03-01T10:16:00Z'),
    });
    expect(service.window('2026-03-01T08:00:10+01:00', '2026-03-01T07:30:00Z')).toEqual({
      from: new Date('2026-03-01T07:00:00Z'),
      to: new Date('2026-03-01T07:30:00Z'),
    });
  });

  test.each([
    ['2026-03-01', undefined, 'query parameter from: expected an ISO-8601 time with a zone'],
    ['2026-03-01T10:00:00', undefined, 'query parameter from: expected an ISO-8601 time with a zone'],
    [undefined, '2026-13-45T99:00:00Z', 'query parameter to: "2026-13-45T99:00:00Z" is not a valid time'],
    ['2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z', 'query parameter to: must be after from'],
    ['2026-02-01T00:00:00Z', '2026-02-09T00:00:00Z', 'query parameter to: the window from..to may span at most 7 days'],
  ])('rejects from=%s to=%s', (from, to, message) => {
    expect(() => service.window(from, to)).toThrow(InvalidRequestError);
    expect(() => service.window(from, to)).toThrow(message);
  });
});
