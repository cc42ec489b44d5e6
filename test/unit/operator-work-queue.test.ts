import { WorkQueue } from '@likepipe/operator/controller/work-queue.js';

describe('operator work queue', () => {
  test('a key waits once however often it is added', async () => {
    const q = new WorkQueue();
    q.add('ns/a');
    q.add('ns/a');
    q.add('ns/b');
    expect(q.length).toBe(2);
    expect(await q.get()).toBe('ns/a');
    expect(await q.get()).toBe('ns/b');
    expect(q.length).toBe(0);
  });

  test('a key is never handed out twice at once; an add while processing runs again after done()', async () => {
    const q = new WorkQueue();
    q.add('ns/a');
    const key = await q.get();
    q.add('ns/a');
    expect(q.length).toBe(0); // not handed to a second worker
    const next = q.get();
    q.done(key!);
    expect(await next).toBe('ns/a');
  });

  test('failures back off per key, exponentially and capped; forget() resets', () => {
    const q = new WorkQueue({ baseMs: 100, maxMs: 1000 });
    expect([1, 2, 3, 4, 5, 6].map(() => q.addRateLimited('ns/broken'))).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(q.addRateLimited('ns/other')).toBe(100); // another key is not slowed by the broken one
    q.forget('ns/broken');
    expect(q.addRateLimited('ns/broken')).toBe(100);
    q.shutDown();
  });

  test('addAfter delivers later; shutDown releases waiting workers', async () => {
    const q = new WorkQueue();
    q.addAfter('ns/a', 20);
    expect(q.length).toBe(0);
    expect(await q.get()).toBe('ns/a');
    const waiting = q.get();
    q.shutDown();
    expect(await waiting).toBeUndefined();
  });
});
