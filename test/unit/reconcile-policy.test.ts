import { StableMismatchPolicy } from '@likepipe/core';

describe('StableMismatchPolicy', () => {
  it('repairs only a mismatch seen unchanged twice, at least minAge apart', () => {
    const p = new StableMismatchPolicy(1_000);
    expect(p.observe('x', 5, 7, 0)).toBe('watch');
    expect(p.observe('x', 5, 7, 500)).toBe('watch'); // too soon
    expect(p.observe('x', 5, 7, 1_000)).toBe('repair');
  });

  it('does not fight live traffic: a moving mismatch is only watched', () => {
    const p = new StableMismatchPolicy(1_000);
    expect(p.observe('x', 10, 8, 0)).toBe('watch');
    expect(p.observe('x', 12, 10, 2_000)).toBe('watch');
    expect(p.observe('x', 14, 12, 4_000)).toBe('watch');
  });

  it('is in sync when the counts agree and forgets the earlier mismatch', () => {
    const p = new StableMismatchPolicy(1_000);
    p.observe('x', 1, 2, 0);
    expect(p.observe('x', 2, 2, 2_000)).toBe('in_sync');
    expect(p.observe('x', 1, 2, 4_000)).toBe('watch');
  });
});
