import { consumerLag } from '@likepipe/ops';

describe('consumer lag (pure)', () => {
  test('sums high watermark minus committed offset; an uncommitted partition counts from its low watermark', () => {
    expect(
      consumerLag(
        [
          { partition: 0, high: '100', low: '0' },
          { partition: 1, high: '50', low: '20' },
          { partition: 2, high: '7', low: '0' },
        ],
        [
          { partition: 0, offset: '90' },
          { partition: 1, offset: '-1' }, // never committed
          { partition: 2, offset: '7' },
        ],
      ),
    ).toBe(10 + 30 + 0);
  });

  test('a partition the group does not list at all, and an offset ahead of a truncated log, are handled', () => {
    expect(consumerLag([{ partition: 0, high: '5', low: '2' }], [])).toBe(3);
    expect(consumerLag([{ partition: 0, high: '5', low: '0' }], [{ partition: 0, offset: '9' }])).toBe(0);
  });
});
