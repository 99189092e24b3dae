import { describe, expect, it } from 'vitest';
import { runGroup } from './logdir';

describe('runGroup', () => {
  const names = new Set(['a/train', 'a/validation', 'a/eval', 'b/val', 'train', 'val', 'c']);
  it('loads a training run with every validation run folded into it', () => {
    expect(runGroup('a/train', names)).toEqual({ runs: ['a/train', 'a/validation', 'a/eval'] });
    expect(runGroup('train', names)).toEqual({ runs: ['train', 'val'] });
  });
  it('sends a validation run to its training run, and leaves one without a training run alone', () => {
    expect(runGroup('a/validation', names)).toEqual({ foldedInto: 'a/train' });
    expect(runGroup('val', names)).toEqual({ foldedInto: 'train' });
    expect(runGroup('b/val', names)).toEqual({ runs: ['b/val'] });
    expect(runGroup('c', names)).toEqual({ runs: ['c'] });
  });
});
