import { parseMetrics, stages } from '../../bench/stages.ts';

/** A histogram exposition in prom-client's shape, with cumulative bucket counts. */
function exposition(apply: [number, number][], count: number, sum: number): string {
  const lines = apply.map(
    // prom-client writes le first.
    ([le, n]) => `likepipe_redis_call_duration_seconds_bucket{le="${le}",op="apply",outcome="ok"} ${n}`,
  );
  lines.push(`likepipe_redis_call_duration_seconds_bucket{le="+Inf",op="apply",outcome="ok"} ${count}`);
  // Another series of the same histogram, which must not be counted in.
  lines.push(`likepipe_redis_call_duration_seconds_bucket{le="+Inf",op="admit",outcome="ok"} 7`);
  lines.push(`likepipe_redis_call_duration_seconds_count{op="admit",outcome="ok"} 7`);
  lines.push(`likepipe_redis_call_duration_seconds_sum{op="apply",outcome="ok"} ${sum}`);
  lines.push(`likepipe_redis_call_duration_seconds_count{op="apply",outcome="ok"} ${count}`);
  lines.push('nodejs_gc_duration_seconds_sum{kind="minor"} ' + sum / 10);
  return ['# HELP x', '# TYPE x histogram', ...lines].join('\n');
}

describe('bench stage breakdown', () => {
  it('takes the difference between two scrapes and interpolates the p99 inside its bucket', () => {
    const before = parseMetrics(
      exposition(
        [
          [0.001, 10],
          [0.005, 10],
        ],
        10,
        0.005,
      ),
    );
    // 100 more calls: 90 under 1 ms, 10 between 1 and 5 ms, 0.2 s in all.
    const after = parseMetrics(
      exposition(
        [
          [0.001, 100],
          [0.005, 110],
        ],
        110,
        0.205,
      ),
    );
    const s = stages(before, after, 100);
    const apply = s.rows.find((r) => r.stage === 'Redis post-apply')!;
    expect(apply.count).toBe(100);
    expect(apply.meanMs).toBeCloseTo(2, 6);
    // Rank 99 of 100 is the 9th of the 10 calls in (1, 5] ms: 1 + 4 × 9/10.
    expect(apply.p99Ms).toBeCloseTo(4.6, 6);
    expect(s.gcMsPerLike).toBeCloseTo(0.2, 6);
    // A stage with no calls in the stretch is zero, not a division by zero.
    expect(s.rows.find((r) => r.stage === 'Redis user-admit')!.count).toBe(0);
  });
});
