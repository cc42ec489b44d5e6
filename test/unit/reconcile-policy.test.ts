import { StableMismatchPolicy } from '@likepipe/core';

describe('StableMismatchPolicy', () => {
  it('repairs only a mismatch seen unchanged twice, at least minAge apart', () => {
    const p = new StableMismatchPolicy(1_000);
    expect(p.observe('x', 5, 7, 0, true)).toBe('watch');
    expect(p.observe('x', 5, 7, 500, true)).toBe('watch'); // too soon
    expect(p.observe('x', 5, 7, 1_000, true)).toBe('repair');
  });

  it('does not fight live traffic: a moving mismatch is only watched', () => {
    const p = new StableMismatchPolicy(1_000);
    expect(p.observe('x', 10, 8, 0, true)).toBe('watch');
    expect(p.observe('x', 12, 10, 2_000, true)).toBe('watch');
    expect(p.observe('x', 14, 12, 4_000, true)).toBe('watch');
  });

  it('is in sync when the counts agree and forgets the earlier mismatch', () => {
    const p = new StableMismatchPolicy(1_000);
    p.observe('x', 1, 2, 0, true);
    expect(p.observe('x', 2, 2, 2_000, true)).toBe('in_sync');
    expect(p.observe('x', 1, 2, 4_000, true)).toBe('watch');
  });

  it('holds a stable mismatch while the truth is behind, and repairs it on the first check once caught up', () => {
    const p = new StableMismatchPolicy(1_000);
    expect(p.observe('x', 9, 4, 0, false)).toBe('watch');
    expect(p.observe('x', 9, 4, 1_000, false)).toBe('watch'); // stable, but Postgres may just be stale
    expect(p.observe('x', 9, 4, 5_000, false)).toBe('watch');
    expect(p.observe('x', 9, 4, 6_000, true)).toBe('repair'); // no further interval of waiting
  });

  it('while the truth is behind, a mismatch that moves starts a new observation', () => {
    const p = new StableMismatchPolicy(1_000);
    p.observe('x', 9, 4, 0, false);
    expect(p.observe('x', 9, 6, 1_000, false)).toBe('watch');
    expect(p.observe('x', 9, 6, 1_500, true)).toBe('watch'); // changed at 1,000: not yet stable for minAge
    expect(p.observe('x', 9, 6, 2_000, true)).toBe('repair');
  });
});
