import { committedUpTo, consumerLag } from '@likepipe/ops';

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

describe('committedUpTo (pure)', () => {
  const marks = [
    { partition: 0, high: '10', low: '0' },
    { partition: 1, high: '5', low: '5' },
  ];

  it('holds once every partition is committed at or past the marks, whatever arrived since', () => {
    expect(committedUpTo(marks, [{ partition: 0, offset: '10' }])).toBe(true);
    expect(
      committedUpTo(marks, [
        { partition: 0, offset: '12' },
        { partition: 1, offset: '9' },
      ]),
    ).toBe(true);
  });

  it('fails while one partition is behind its mark', () => {
    expect(
      committedUpTo(marks, [
        { partition: 0, offset: '9' },
        { partition: 1, offset: '5' },
      ]),
    ).toBe(false);
  });

  it('counts a partition never committed from its low watermark', () => {
    expect(committedUpTo(marks, [])).toBe(false);
    expect(committedUpTo([{ partition: 0, high: '3', low: '3' }], [{ partition: 0, offset: '-1' }])).toBe(true);
  });
});
