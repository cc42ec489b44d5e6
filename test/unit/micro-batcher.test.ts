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
});
