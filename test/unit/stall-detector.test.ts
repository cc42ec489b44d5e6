import { partitionLags } from '@likepipe/ops';
import { StallDetector, type PartitionLag } from '@likepipe/pipeline/runtime/stall-detector.js';

/**
 * The consumer runtime's stall watchdog (apps/pipeline/src/runtime/stall-detector.ts) as a pure module: fed
 * an assignment, batches and lag readings over a fake clock (ms), it names the partitions that are stalled.
 */
const TIMEOUT = 60_000;
const lagOf = (partition: number, committed: string, lag: number): PartitionLag => ({ partition, committed, lag });

/** Feeds the same reading every 5 s from `from` to `to` (inclusive) and returns the first stall seen, if any. */
function readEvery5s(d: StallDetector, from: number, to: number, lags: PartitionLag[]) {
  for (let t = from; t <= to; t += 5_000) {
    const stalls = d.observe(lags, t);
    if (stalls.length > 0) return { at: t, stalls };
  }
  return undefined;
}

describe('StallDetector', () => {
  it('an assigned partition with lag and no fetch or commit is stalled once the timeout has passed', () => {
    const d = new StallDetector(TIMEOUT);
    d.assigned([0, 1]);
    const lags = [lagOf(0, '10', 0), lagOf(1, '40', 7)];
    // The clock starts at the first reading that sees the lag (t = 0), not earlier.
    expect(readEvery5s(d, 0, 55_000, lags)).toBeUndefined();
    expect(d.observe(lags, 60_000)).toEqual([{ partition: 1, lag: 7, stalledMs: 60_000 }]);
  });

  it('nothing is stalled while a flush keeps failing, however far apart its retries, nor until a timeout after it went through', () => {
    const d = new StallDetector(TIMEOUT);
    d.assigned([0, 1]);
    const lags = [lagOf(0, '10', 5), lagOf(1, '40', 7)];
    // Retries spaced wider than the timeout, for five minutes.
    for (let t = 0; t <= 300_000; t += 90_000) {
      d.flushFailed();
      expect(readEvery5s(d, t, t + 85_000, lags)).toBeUndefined();
    }
    // The sink is back but nothing moves: a stall, one timeout after the flush went through.
    d.flushSucceeded(400_000);
    expect(readEvery5s(d, 400_000, 455_000, lags)).toBeUndefined();
    expect(d.observe(lags, 460_000).map((s) => s.partition)).toEqual([0, 1]);
  });

  it('a partition with no lag is never stalled, however long nothing moves', () => {
    const d = new StallDetector(TIMEOUT);
    d.assigned([0]);
    expect(readEvery5s(d, 0, 600_000, [lagOf(0, '10', 0)])).toBeUndefined();
  });

  it('lag that went back to 0 restarts the clock when records wait again', () => {
    const d = new StallDetector(TIMEOUT);
    d.assigned([0]);
    d.observe([lagOf(0, '10', 3)], 0);
    d.observe([lagOf(0, '10', 0)], 50_000); // caught up without a commit moving (the reading raced)
    expect(d.observe([lagOf(0, '10', 2)], 70_000)).toEqual([]);
    expect(d.observe([lagOf(0, '10', 2)], 125_000)).toEqual([]);
    expect(d.observe([lagOf(0, '10', 2)], 130_000)).toEqual([{ partition: 0, lag: 2, stalledMs: 60_000 }]);
  });

  it('a committed offset that moves is progress, even while the lag stays above 0', () => {
    const d = new StallDetector(TIMEOUT);
    d.assigned([0]);
    for (let t = 0, committed = 100; t <= 300_000; t += 5_000, committed += 10) {
      expect(d.observe([lagOf(0, String(committed), 500)], t)).toEqual([]);
    }
    // Then it stops moving: stalled a timeout after the last reading that saw it move.
    const stuck = readEvery5s(d, 305_000, 400_000, [lagOf(0, '1000', 500)]);
    expect(stuck?.at).toBe(300_000 + TIMEOUT + 5_000);
  });

  it('a fetched batch is progress; a batch in the handler (waiting on its flush) is never a stall', () => {
    const d = new StallDetector(TIMEOUT);
    d.assigned([0]);
    const lags = [lagOf(0, '10', 5)];
    d.observe(lags, 0);
    d.batchStarted(0, 40_000);
    // Postgres is down: the flush retries for minutes, nothing is committed, the partition is busy, not stalled.
    expect(readEvery5s(d, 40_000, 400_000, lags)).toBeUndefined();
    d.batchEnded(0, 410_000);
    expect(d.observe(lags, 465_000)).toEqual([]);
    expect(d.observe(lags, 470_000)).toEqual([{ partition: 0, lag: 5, stalledMs: 60_000 }]);
  });

  it('a flush that cannot be written holds back partitions not in it: no stall until a timeout after it is released', () => {
    const d = new StallDetector(TIMEOUT);
    d.assigned([0, 1]);
    // Partition 0's batch waits on a flush Postgres refuses; partition 1's records arrive after it, and the
    // consumer takes no further batch until that one has been written.
    d.batchStarted(0, 0);
    const lags = [lagOf(0, '10', 5), lagOf(1, '20', 3)];
    expect(readEvery5s(d, 1_000, 301_000, lags)).toBeUndefined();
    d.batchEnded(0, 302_000);
    expect(d.observe([lagOf(0, '15', 0), lagOf(1, '20', 3)], 306_000)).toEqual([]);
    expect(d.observe([lagOf(0, '15', 0), lagOf(1, '20', 3)], 361_000)).toEqual([]);
    expect(d.observe([lagOf(0, '15', 0), lagOf(1, '20', 3)], 362_000)).toEqual([
      { partition: 1, lag: 3, stalledMs: 60_000 },
    ]);
  });

  it('a partition the client lost is still found while the others go through the handler every second', () => {
    const d = new StallDetector(TIMEOUT);
    d.assigned([0, 1]);
    let found: ReturnType<typeof d.observe> = [];
    let committed = 0;
    for (let t = 0; t <= 120_000 && found.length === 0; t += 1_000) {
      d.batchStarted(0, t);
      if (t % 5_000 === 0) found = d.observe([lagOf(0, String((committed += 50)), 40), lagOf(1, '7', 9)], t);
      d.batchEnded(0, t + 900);
    }
    expect(found).toEqual([{ partition: 1, lag: 9, stalledMs: 60_000 }]);
  });

  it('only partitions assigned to this member count; a newly assigned one starts afresh, a kept one does not', () => {
    const d = new StallDetector(TIMEOUT);
    d.assigned([0]);
    const lags = [lagOf(0, '10', 5), lagOf(1, '20', 5)];
    d.observe(lags, 0);
    // Partition 1 is another member's until a rebalance at 50 s gives it to this one, which also keeps 0.
    d.assigned([0, 1]);
    expect(d.observe(lags, 50_000)).toEqual([]);
    expect(d.observe(lags, 60_000)).toEqual([{ partition: 0, lag: 5, stalledMs: 60_000 }]);
    expect(d.observe(lags, 110_000)).toEqual([
      { partition: 0, lag: 5, stalledMs: 110_000 },
      { partition: 1, lag: 5, stalledMs: 60_000 },
    ]);
    // A partition taken away is forgotten, and so is everything after a reset (a new consumer).
    d.assigned([1]);
    expect(d.observe(lags, 120_000).map((s) => s.partition)).toEqual([1]);
    d.reset();
    expect(d.observe(lags, 500_000)).toEqual([]);
    d.assigned([0, 1]);
    expect(d.observe(lags, 500_000)).toEqual([]);
    expect(d.observe(lags, 559_999)).toEqual([]);
    expect(d.observe(lags, 560_000)).toHaveLength(2);
  });

  it('reads per-partition lags as the lag reporter does: never-committed partitions count from the low watermark', () => {
    expect(
      partitionLags(
        [
          { partition: 0, high: '100', low: '0' },
          { partition: 1, high: '50', low: '20' },
          { partition: 2, high: '7', low: '0' },
        ],
        [
          { partition: 0, offset: '90' },
          { partition: 1, offset: '-1' },
        ],
      ),
    ).toEqual([lagOf(0, '90', 10), lagOf(1, '-1', 30), lagOf(2, '-1', 7)]);
  });
});
