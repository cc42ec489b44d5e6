// The benchmark of Kafka clients (bench/kafka-clients) reports percentiles and pauses through these helpers;
// a wrong rank or an edge left out would put wrong numbers in the README's table.
import { longestGap, quantile, round } from '../../bench/kafka-clients/src/stats.js';

describe('kafka-clients bench stats', () => {
  it('quantile takes the nearest rank and does not sort its input in place', () => {
    const values = [5, 1, 4, 2, 3];
    expect(quantile(values, 0.5)).toBe(3);
    expect(quantile(values, 0.99)).toBe(5);
    expect(quantile(values, 0)).toBe(1);
    expect(values).toEqual([5, 1, 4, 2, 3]);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('longestGap counts the stretches before the first and after the last time', () => {
    expect(longestGap([10, 12, 30], 0, 35)).toBe(18);
    expect(longestGap([2, 4], 0, 100)).toBe(96);
    expect(longestGap([], 0, 7)).toBe(7);
    // Times outside the window do not shorten a gap inside it.
    expect(longestGap([-5, 50, 200], 0, 100)).toBe(50);
  });

  it('round keeps NaN and undefined out of the JSON', () => {
    expect(round(1.26, 1)).toBe(1.3);
    expect(round(Number.NaN)).toBeNull();
    expect(round(undefined)).toBeNull();
  });
});
