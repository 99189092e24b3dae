/** Builds the doctor's RunSignals from the places runs live: an event-file accumulator, or `export --format json`. */
import type { RunAccumulator, TagSeries } from '@tensorscope/formats/tfevents';
import type { HistPoint, RunSignals, Series } from './types';

/** Scalars and histograms of a run read from event files (TF2 [k,3] histogram tensors included). */
export function signalsFromAccumulator(acc: Pick<RunAccumulator, 'tags'>): RunSignals {
  return signalsFromTags(acc.tags.values());
}

/** The same from a run's tag series, in the order the run logged them. */
export function signalsFromTags(tags: Iterable<TagSeries>): RunSignals {
  const signals: RunSignals = { scalars: new Map(), histograms: new Map() };
  for (const s of tags) {
    const tag = s.tag;
    if (s.kind === 'scalar') {
      const c = s.columns;
      signals.scalars.set(tag, {
        steps: c.steps.subarray(0, c.length),
        values: c.values.subarray(0, c.length),
      });
    } else if (s.kind === 'histogram') {
      signals.histograms.set(
        tag,
        s.points.map((p) => ({ step: p.step, ...p.value })),
      );
    }
  }
  return signals;
}

interface ExportedTag {
  tag: string;
  kind: string;
  points: {
    step: number;
    value?: number | null;
    min?: number;
    max?: number;
    num?: number;
    sum?: number;
    sum_squares?: number;
    buckets?: { left: number; right: number; count: number }[];
  }[];
}

/** RunSignals from one run of `tensorscope export --format json` (DESIGN.md's shape), e.g. in the browser. */
export function signalsFromExport(run: { tags: ExportedTag[] }): RunSignals {
  const signals: RunSignals = { scalars: new Map(), histograms: new Map() };
  for (const t of run.tags) {
    if (t.kind === 'scalar') {
      const series: Series = {
        steps: Float64Array.from(t.points, (p) => p.step),
        // JSON has no NaN: exporters write null for a non-finite value
        values: Float64Array.from(t.points, (p) => (typeof p.value === 'number' ? p.value : Number.NaN)),
      };
      signals.scalars.set(t.tag, series);
    } else if (t.kind === 'histogram') {
      const points: HistPoint[] = t.points.map((p) => ({
        step: p.step,
        min: p.min ?? Number.NaN,
        max: p.max ?? Number.NaN,
        num: p.num ?? 0,
        sum: p.sum ?? Number.NaN,
        sumSquares: p.sum_squares ?? Number.NaN,
        bucketLimit: Float64Array.from(p.buckets ?? [], (b) => b.right),
        bucket: Float64Array.from(p.buckets ?? [], (b) => b.count),
      }));
      signals.histograms.set(t.tag, points);
    }
  }
  return signals;
}

const VALIDATION_NAMES = ['validation', 'valid', 'val', 'eval'];
/** A set of run names (a Set, or a Map keyed by run name). */
export interface RunNames {
  has(name: string): boolean;
}

const VALIDATION_RUN = new RegExp(`^(.*/)?(${VALIDATION_NAMES.join('|')})$`);

/** The training run a Keras validation run (`x/validation`) folds into, when `names` has it. */
export function trainRunOf(name: string, names: RunNames): string | undefined {
  const m = VALIDATION_RUN.exec(name);
  const train = m ? `${m[1] ?? ''}train` : undefined;
  return train !== undefined && names.has(train) ? train : undefined;
}

/** The validation runs of `names` that fold into the training run `name` (`x/train`). */
export function validationRunsOf(name: string, names: RunNames): string[] {
  const m = /^(.*\/)?train$/.exec(name);
  return m ? VALIDATION_NAMES.map((v) => `${m[1] ?? ''}${v}`).filter((v) => names.has(v)) : [];
}

/**
 * Keras writes training and validation metrics as sibling runs (`x/train`, `x/validation`) under the
 * same tag names. Each validation run is folded into its training run as `validation/<tag>` scalars,
 * so overfitting can be judged, and is not diagnosed on its own (its loss is not a training loss).
 */
export function pairTrainValidation<T extends { name: string; signals: RunSignals }>(runs: T[]): T[] {
  const byName = new Map(runs.map((r) => [r.name, r]));
  const names = new Set(byName.keys());
  const folded = new Set<string>();
  for (const r of runs) {
    const train = trainRunOf(r.name, names);
    if (train === undefined) continue;
    for (const [tag, s] of r.signals.scalars) byName.get(train)!.signals.scalars.set(`validation/${tag}`, s);
    folded.add(r.name);
  }
  return runs.filter((r) => !folded.has(r.name));
}
