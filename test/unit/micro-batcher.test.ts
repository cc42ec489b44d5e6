import { BatcherClosedError, BatcherOverloadedError, MicroBatcher } from '@likepipe/core';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('MicroBatcher', () => {
  it('groups submits that arrive within the linger into one batch and resolves each', async () => {
    const batches: number[][] = [];
    const b = new MicroBatcher<number>(async (items) => void batches.push(items), {
      lingerMs: 5,
      maxBatchSize: 100,
      maxQueued: 1000,
      maxInFlight: 1,
    });
    await Promise.all([1, 2, 3].map((n) => b.submit(n)));
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('sends at once when a batch is full and fills the next one while the first is in flight', async () => {
    const batches: number[][] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const b = new MicroBatcher<number>(
      async (items) => {
        batches.push(items);
        if (batches.length === 1) await gate;
      },
      { lingerMs: 1000, maxBatchSize: 2, maxQueued: 1000, maxInFlight: 1 },
    );
    const all = [1, 2, 3, 4, 5].map((n) => b.submit(n));
    await tick(5);
    expect(batches).toEqual([[1, 2]]); // full batch sent without waiting for the linger
    release();
    await Promise.all(all);
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('fails every item of a failed batch, and only those', async () => {
    let n = 0;
    const b = new MicroBatcher<number>(
      async () => {
        if (n++ === 0) throw new Error('broker down');
      },
      { lingerMs: 1, maxBatchSize: 2, maxQueued: 1000, maxInFlight: 1 },
    );
    const r = await Promise.allSettled([b.submit(1), b.submit(2), b.submit(3)]);
    expect(r.map((x) => x.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
  });

  it('refuses submits beyond maxQueued instead of growing without bound', async () => {
    const b = new MicroBatcher<number>(() => new Promise(() => undefined), {
      lingerMs: 1,
      maxBatchSize: 1,
      maxQueued: 2,
      maxInFlight: 1,
    });
    void b.submit(1);
    await tick(3);
    void b.submit(2);
    void b.submit(3);
    await expect(b.submit(4)).rejects.toBeInstanceOf(BatcherOverloadedError);
  });

  it('close() flushes what is queued and then refuses new items', async () => {
    const sent: number[] = [];
    const b = new MicroBatcher<number>(async (items) => void sent.push(...items), {
      lingerMs: 10_000,
      maxBatchSize: 100,
      maxQueued: 1000,
      maxInFlight: 1,
    });
    const p = b.submit(7);
    await b.close();
    await p;
    expect(sent).toEqual([7]);
    await expect(b.submit(8)).rejects.toBeInstanceOf(BatcherClosedError);
  });

  describe('with keyOf: overlapping batches that never share a key', () => {
    /** A sender whose batches stay in flight until released one by one. */
    function gatedSender() {
      const batches: string[][] = [];
      const gates: (() => void)[] = [];
      const send = (items: string[]) =>
        new Promise<void>((resolve) => {
          batches.push(items);
          gates.push(resolve);
        });
      return { batches, send, release: (i: number) => gates[i]!() };
    }
    const keyOf = (item: string) => item.split(':')[0]!;

    it('sends a second batch of other keys while the first is in flight', async () => {
      const g = gatedSender();
      const b = new MicroBatcher<string>(g.send, {
        lingerMs: 1,
        maxBatchSize: 100,
        maxQueued: 100,
        maxInFlight: 4,
        keyOf,
      });
      const first = b.submit('a:1');
      await tick(5);
      const second = b.submit('b:1');
      await tick(5);
      expect(g.batches).toEqual([['a:1'], ['b:1']]);
      g.release(1);
      await second;
      g.release(0);
      await first;
    });

    it('holds an item whose key is in flight, and later items of that key behind it, but not other keys', async () => {
      const g = gatedSender();
      const b = new MicroBatcher<string>(g.send, {
        lingerMs: 1,
        maxBatchSize: 100,
        maxQueued: 100,
        maxInFlight: 4,
        keyOf,
      });
      const done: string[] = [];
      const submit = (x: string) => b.submit(x).then(() => void done.push(x));
      const all = [submit('a:1')];
      await tick(5);
      all.push(submit('a:2'), submit('c:1'), submit('a:3'));
      await tick(5);
      expect(g.batches).toEqual([['a:1'], ['c:1']]);
      g.release(1);
      await tick(5);
      expect(done).toEqual(['c:1']);
      g.release(0);
      await tick(5);
      // a's next items go together, in order, once a:1 is acknowledged.
      expect(g.batches[2]).toEqual(['a:2', 'a:3']);
      g.release(2);
      await Promise.all(all);
      expect(done).toEqual(['c:1', 'a:1', 'a:2', 'a:3']);
    });

    it('close() waits for held items without spinning, then sends them', async () => {
      const g = gatedSender();
      const b = new MicroBatcher<string>(g.send, {
        lingerMs: 1,
        maxBatchSize: 100,
        maxQueued: 100,
        maxInFlight: 4,
        keyOf,
      });
      const first = b.submit('a:1');
      await tick(5);
      const held = b.submit('a:2');
      const closed = b.close();
      await tick(5);
      expect(g.batches).toEqual([['a:1']]);
      g.release(0);
      await first;
      await tick(5);
      expect(g.batches).toEqual([['a:1'], ['a:2']]);
      g.release(1);
      await Promise.all([held, closed]);
    });
  });
});
