import {
  applySnapshot,
  confirm,
  initialState,
  nextRequest,
  rollBack,
  startRequest,
  tap,
  view,
  type PostLikeState,
} from '../../packages/client/src/like-state.js';

const loaded = (liked: boolean, likeCount: number): PostLikeState =>
  applySnapshot(initialState('p'), { postId: 'p', liked, likeCount }, 0);

/** Sends what the state asks for, as the queue would. */
function send(s: PostLikeState): PostLikeState {
  const r = nextRequest(s);
  if (!r) throw new Error('expected a request');
  return startRequest(s, r);
}

describe('like state', () => {
  test('a tap shows at once: liked, count moved by one, pending', () => {
    const s = tap(loaded(false, 41), true, 'k1');
    expect(view(s)).toEqual({ postId: 'p', liked: true, likeCount: 42, pending: true, degraded: false });
    expect(nextRequest(s)).toEqual({ liked: true, idempotencyKey: 'k1' });
  });

  test('nothing more is sent while a request is in flight', () => {
    const s = tap(send(tap(loaded(false, 0), true, 'k1')), false, 'k2');
    expect(nextRequest(s)).toBeUndefined();
    expect(view(s)).toMatchObject({ liked: false, likeCount: 0, pending: true });
  });

  test('like, unlike, like during the like: nothing to send once it is confirmed', () => {
    let s = send(tap(loaded(false, 0), true, 'k1'));
    s = tap(tap(s, false, 'k2'), true, 'k3');
    s = confirm(s, { postId: 'p', liked: true, likeCount: 1, degraded: false });
    expect(nextRequest(s)).toBeUndefined();
    expect(view(s)).toEqual({ postId: 'p', liked: true, likeCount: 1, pending: false, degraded: false });
  });

  test('like, unlike during the like: the unlike follows with the key of its own tap', () => {
    let s = send(tap(loaded(false, 0), true, 'k1'));
    s = tap(s, false, 'k2');
    s = confirm(s, { postId: 'p', liked: true, likeCount: 1, degraded: false });
    expect(nextRequest(s)).toEqual({ liked: false, idempotencyKey: 'k2' });
    expect(view(s)).toMatchObject({ liked: false, likeCount: 0, pending: true });
  });

  test("the server's count replaces the local one", () => {
    const s = confirm(send(tap(loaded(false, 10), true, 'k1')), {
      postId: 'p',
      liked: true,
      likeCount: 57,
      degraded: false,
    });
    expect(view(s).likeCount).toBe(57);
  });

  test('a degraded answer (202, no count) is a success that keeps the estimated count', () => {
    const s = confirm(send(tap(loaded(false, 10), true, 'k1')), {
      postId: 'p',
      liked: true,
      likeCount: null,
      degraded: true,
    });
    expect(view(s)).toEqual({ postId: 'p', liked: true, likeCount: 11, pending: false, degraded: true });
  });

  test('a rollback returns to the confirmed state and drops the taps made meanwhile', () => {
    let s = send(tap(loaded(false, 3), true, 'k1'));
    s = tap(tap(s, false, 'k2'), true, 'k3');
    s = rollBack(s);
    expect(view(s)).toEqual({ postId: 'p', liked: false, likeCount: 3, pending: false, degraded: false });
    expect(nextRequest(s)).toBeUndefined();
  });

  test('a snapshot is ignored while a request is in flight or when the user tapped since it was asked for', () => {
    const inFlight = send(tap(loaded(false, 0), true, 'k1'));
    expect(applySnapshot(inFlight, { postId: 'p', liked: false, likeCount: 9 }, inFlight.taps)).toBe(inFlight);
    const s = loaded(false, 0);
    const tapped = tap(s, true, 'k1');
    expect(applySnapshot(tapped, { postId: 'p', liked: false, likeCount: 9 }, s.taps)).toBe(tapped);
  });

  test('an idle post follows a snapshot (a like from another device)', () => {
    const s = applySnapshot(loaded(false, 4), { postId: 'p', liked: true, likeCount: 5 }, 0);
    expect(view(s)).toMatchObject({ liked: true, likeCount: 5, pending: false });
  });

  test('before anything is known the count is unknown, and a tap is sent', () => {
    const s = tap(initialState('p'), true, 'k1');
    expect(view(s)).toMatchObject({ liked: true, likeCount: null, pending: true });
    expect(nextRequest(s)).toEqual({ liked: true, idempotencyKey: 'k1' });
  });
});
