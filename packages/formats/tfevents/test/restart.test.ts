/** TensorBoard's restart semantics: SessionLog.START and steps going backwards orphan later points. */
import { describe, expect, it } from 'vitest';
import {
  histogramValue,
  RunAccumulator,
  type ScalarSeries,
  SESSION_STATUS,
  scalarValue,
  type TfEvent,
} from '../index';

const steps = (acc: RunAccumulator, tag: string) => {
  const s = acc.tags.get(tag);
  if (!s) return [];
  if (s.kind === 'scalar') return Array.from((s as ScalarSeries).columns.steps.subarray(0, s.columns.length));
  return s.points.map((p) => p.step);
};

const scalarEvent = (step: number, tag = 'loss', v = step): TfEvent => ({
  wallTime: step,
  step,
  summary: [scalarValue(tag, v)],
});

describe('restart semantics', () => {
  it('SessionLog.START at step s drops every tag’s points at or after s', () => {
    const acc = new RunAccumulator('r');
    for (let s = 0; s < 10; s++) {
      acc.addEvent(scalarEvent(s));
      acc.addEvent({ wallTime: s, step: s, summary: [histogramValue('w', [s, s + 1])] });
    }
    acc.addEvent({
      wallTime: 20,
      step: 6,
      sessionLog: { status: SESSION_STATUS.START, checkpointPath: '', msg: '' },
    });
    expect(steps(acc, 'loss')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(steps(acc, 'w')).toEqual([0, 1, 2, 3, 4, 5]);
    acc.addEvent(scalarEvent(6, 'loss', 99));
    expect(steps(acc, 'loss')).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  it('a step going backwards drops that tag’s orphaned points, not other tags’', () => {
    const acc = new RunAccumulator('r');
    for (let s = 0; s < 10; s++)
      acc.addEvent({ wallTime: s, step: s, summary: [scalarValue('a', s), scalarValue('b', s)] });
    acc.addEvent(scalarEvent(4, 'a'));
    expect(steps(acc, 'a')).toEqual([0, 1, 2, 3, 4]);
    expect(steps(acc, 'b')).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('a repeated step (not backwards) keeps both points, as TensorBoard does', () => {
    const acc = new RunAccumulator('r');
    acc.addEvent(scalarEvent(3));
    acc.addEvent(scalarEvent(3));
    expect(steps(acc, 'loss')).toEqual([3, 3]);
  });

  it('SessionLog STOP and CHECKPOINT change nothing', () => {
    const acc = new RunAccumulator('r');
    for (let s = 0; s < 5; s++) acc.addEvent(scalarEvent(s));
    acc.addEvent({
      wallTime: 9,
      step: 1,
      sessionLog: { status: SESSION_STATUS.STOP, checkpointPath: '', msg: '' },
    });
    acc.addEvent({
      wallTime: 9,
      step: 1,
      sessionLog: { status: SESSION_STATUS.CHECKPOINT, checkpointPath: 'x', msg: '' },
    });
    expect(steps(acc, 'loss')).toEqual([0, 1, 2, 3, 4]);
  });

  it('the plugin metadata of a tag comes from its first value', () => {
    const acc = new RunAccumulator('r');
    acc.addEvent({ wallTime: 1, step: 0, summary: [scalarValue('x', 1)] });
    acc.addEvent({ wallTime: 1, step: 1, summary: [histogramValue('x', [1, 2])] });
    expect(acc.tags.get('x')?.kind).toBe('scalar');
    expect(steps(acc, 'x')).toEqual([0]);
    expect(acc.issues[0].message).toMatch(/holds scalar data but this event has histogram data/);
  });
});
