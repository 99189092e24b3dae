/**
 * watch(model): instruments a TF.js LayersModel's training, under the tag names the doctor reads.
 *
 * It hooks the optimizer, so it sees the exact gradients each step applies: `computeGradients` is
 * wrapped to count steps, check the loss (the NaN sentinel: one scalar read per step) and, on
 * logged steps (step % every == 0), read the gradients; `applyGradients` is wrapped to measure how
 * far the step moved each weight. `model.fit` / `fitDataset` / `trainOnBatch` get the current batch
 * through the model's train function; a custom loop passes it with `watcher.batch(x)`. On other
 * steps the only extra work is the loss check and a counter.
 *
 * Weights are tagged by their name in the model (`conv1/kernel`, without the `_1` TF.js appends when
 * another model in the process has a layer of the same name).
 *
 * Per logged step: `lr`; per weight `<weight>` and `<weight>.grad` histograms, `grad_norm/<weight>`,
 * `update_ratio/<weight>`; per layer `activations/<layer>` histograms and `act_mean/`, `act_std/`,
 * `act_zero_frac/` (and for tanh/sigmoid `act_saturated_frac/`) scalars; the input batch as an
 * `input/values` histogram (the Python SDK's name) and `input/{mean,std,min,max,nan_count,inf_count}`
 * scalars. The fit callback adds `loss` and the metrics every step and the validation metrics every epoch.
 */
import * as tf from '@tensorflow/tfjs';
import { SummaryWriter } from '../writer';
import { graphDefFromModel } from './graph';
import { Probe } from './probe';
import { locateNonFinite, type NanReport } from './sentinel';
import { activationStats, inputStats, l2norm, updateRatio } from './stats';

export type { NanReport } from './sentinel';

export interface WatchOptions {
  /** log the expensive signals every `every` steps (default 50) */
  every?: number;
  /** histograms every `histEvery` steps (default: every) */
  histEvery?: number;
  /** where to write (a SummaryWriter is created); or pass `writer` */
  logdir?: string;
  writer?: SummaryWriter;
  /** the optimizer of a custom training loop (default: model.optimizer, set by compile) */
  optimizer?: tf.Optimizer;
  activations?: boolean;
  /** check the loss every step and name the layer where NaN/Inf first appears (default true) */
  sentinel?: boolean;
  /** set model.stopTraining once the sentinel finds a NaN (default false) */
  stopOnNaN?: boolean;
  onNaN?: (report: NanReport) => void;
  /** write the model's graph at the first step (default true) */
  graph?: boolean;
}

type ComputeGradients = (
  f: () => tf.Scalar,
  varList?: tf.Variable[],
) => { value: tf.Scalar; grads: tf.NamedTensorMap };
type ApplyGradients = (grads: tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]) => void;
type TrainFunction = (data: tf.Tensor[]) => tf.Scalar[];

interface Hooked {
  computeGradients: ComputeGradients;
  applyGradients: ApplyGradients;
}

export class Watcher {
  readonly writer: SummaryWriter;
  readonly every: number;
  readonly histEvery: number;
  /** the step in progress or last finished (-1 before the first) */
  step = -1;
  /** what the NaN sentinel found, once it found something */
  found: NanReport | undefined;
  private readonly ownWriter: boolean;
  private batchInputs: tf.Tensor[] | undefined;
  private optimizer: tf.Optimizer | undefined;
  private probe: Probe | undefined;
  private snapshot: Map<string, Float32Array> | undefined;
  private graphWritten: boolean;
  private closed = false;
  private readonly disabled = new Set<string>();

  constructor(
    readonly model: tf.LayersModel,
    private readonly opts: WatchOptions = {},
  ) {
    const every = opts.every ?? 50;
    if (!Number.isInteger(every) || every < 1)
      throw new Error(`watch: every must be a positive integer, got ${every}`);
    if (!opts.writer && !opts.logdir) throw new Error('watch: pass logdir or writer');
    this.every = every;
    this.histEvery = opts.histEvery ?? every;
    this.writer = opts.writer ?? new SummaryWriter(opts.logdir as string);
    this.ownWriter = !opts.writer;
    this.graphWritten = opts.graph === false;
    this.hookTrainFunction();
    this.hookOptimizer();
  }

  /** The model whose train function fit runs: a Sequential delegates to an inner LayersModel. */
  private get trainer(): tf.LayersModel | undefined {
    // Sequential keeps its LayersModel in a private field
    return this.model instanceof tf.Sequential
      ? (this.model as unknown as { model?: tf.LayersModel }).model
      : this.model;
  }

  /** Wraps the train function fit builds, so that each step's batch is known to the hooks. */
  private hookTrainFunction(): void {
    const target = this.trainer as unknown as { makeTrainFunction(): TrainFunction } | undefined;
    if (!target || Object.hasOwn(target, 'makeTrainFunction')) return;
    const make = target.makeTrainFunction;
    target.makeTrainFunction = () => {
      const train = make.call(target);
      return (data: tf.Tensor[]) => {
        this.hookOptimizer();
        this.batchInputs = data.slice(0, this.model.inputs.length);
        try {
          return train(data);
        } finally {
          this.batchInputs = undefined;
        }
      };
    };
  }

  /** The callback for model.fit / fitDataset: loss and metrics every step, validation every epoch. */
  get callback(): tf.CustomCallback {
    this.hookTrainFunction(); // a Sequential built after watch() has its inner model now
    return new tf.CustomCallback({
      onBatchEnd: async (_batch, logs) => this.log(logs ?? {}),
      // the training metrics were logged per batch; an epoch adds the validation ones
      onEpochEnd: async (_epoch, logs) =>
        this.log(Object.fromEntries(Object.entries(logs ?? {}).filter(([k]) => k.startsWith('val_')))),
      onTrainEnd: async () => this.flush(),
    });
  }

  /** A custom training loop calls this with the batch's inputs before optimizer.minimize. */
  batch(inputs: tf.Tensor | tf.Tensor[]): void {
    this.hookOptimizer();
    this.batchInputs = Array.isArray(inputs) ? inputs : [inputs];
  }

  /** Scalars at `step` (default: the current step); fit's bookkeeping keys are skipped. */
  log(values: Record<string, number | tf.Scalar>, step = Math.max(this.step, 0)): void {
    if (this.closed) return;
    for (const [tag, v] of Object.entries(values)) {
      if (tag === 'batch' || tag === 'size') continue;
      this.writer.scalar(tag, typeof v === 'number' ? v : v.dataSync()[0], step);
    }
  }

  isLoggedStep(step = this.step): boolean {
    return step % this.every === 0;
  }

  private hookOptimizer(): void {
    const opt = this.opts.optimizer ?? this.model.optimizer;
    if (!opt || opt === this.optimizer || this.closed) return;
    this.unhookOptimizer();
    this.optimizer = opt;
    const o = opt as unknown as Hooked;
    const compute = o.computeGradients;
    const apply = o.applyGradients;
    o.computeGradients = (f, varList) => this.computeGradients(compute.bind(opt), f, varList);
    o.applyGradients = (grads) => {
      apply.call(opt, grads);
      if (this.snapshot) this.logUpdateRatios();
    };
  }

  private unhookOptimizer(): void {
    if (!this.optimizer) return;
    Reflect.deleteProperty(this.optimizer, 'computeGradients');
    Reflect.deleteProperty(this.optimizer, 'applyGradients');
    this.optimizer = undefined;
  }

  private computeGradients(
    compute: ComputeGradients,
    f: () => tf.Scalar,
    varList?: tf.Variable[],
  ): { value: tf.Scalar; grads: tf.NamedTensorMap } {
    this.step++;
    const logged = this.isLoggedStep();
    if (!this.graphWritten) {
      this.graphWritten = true;
      this.safely('the graph', () => this.writer.graph(graphDefFromModel(this.model)));
    }
    if (logged) this.beforeLoggedStep();
    const r = compute(f, varList);
    if (this.opts.sentinel !== false && !this.found) {
      const loss = r.value.dataSync()[0];
      if (!Number.isFinite(loss)) {
        let found: NanReport = {
          layer: 'unknown',
          step: this.step,
          phase: 'forward',
          message: `the loss is ${loss}`,
        };
        this.safely('the NaN sentinel', () => (found = this.locate(loss)));
        this.report(found); // outside safely: an onNaN that throws to stop training must be heard
      }
    }
    if (logged) this.logGradients(r.grads, r.value.dataSync()[0]);
    this.batchInputs = undefined; // a custom loop passes each step's batch anew
    return r;
  }

  private get weights(): tf.LayerVariable[] {
    return this.model.trainableWeights;
  }

  private hist(): boolean {
    return this.step % this.histEvery === 0;
  }

  /** lr, weights (and their snapshot for the update ratios), activations and the input batch. */
  private beforeLoggedStep(): void {
    const step = this.step;
    const w = this.writer;
    const lr = (this.optimizer as unknown as { learningRate?: unknown } | undefined)?.learningRate;
    if (typeof lr === 'number') w.scalar('lr', lr, step);
    this.snapshot = new Map();
    for (const v of this.weights) {
      const values = v.read().dataSync() as Float32Array;
      this.snapshot.set(v.name, values.slice());
      if (this.hist()) w.histogram(v.originalName, values, step);
    }
    const inputs = this.batchInputs;
    if (!inputs?.length) return;
    const x = inputs[0].dataSync() as Float32Array;
    for (const [k, v] of Object.entries(inputStats(x))) w.scalar(`input/${k}`, v, step);
    if (this.hist()) w.histogram('input/values', x, step);
    if (this.opts.activations === false || this.disabled.has('activations')) return;
    this.safely('activations', () => this.logActivations(inputs, step));
  }

  private logActivations(inputs: tf.Tensor[], step: number): void {
    const w = this.writer;
    const probe = (this.probe ??= new Probe(this.model));
    const outs = probe.run(inputs);
    probe.layers.forEach((l, i) => {
      if (l.probabilities) return;
      const s = activationStats(outs[i], l.saturation);
      w.scalar(`act_mean/${l.name}`, s.mean, step);
      w.scalar(`act_std/${l.name}`, s.std, step);
      w.scalar(`act_zero_frac/${l.name}`, s.zeroFrac, step);
      if (l.saturation) w.scalar(`act_saturated_frac/${l.name}`, s.saturatedFrac, step);
      if (this.hist()) w.histogram(`activations/${l.name}`, outs[i], step);
    });
  }

  private logGradients(grads: tf.NamedTensorMap, loss: number): void {
    const step = this.step;
    let nonFinite: tf.LayerVariable | undefined;
    for (const v of this.weights) {
      const g = grads[v.name];
      if (!g) continue;
      const values = g.dataSync() as Float32Array;
      const norm = l2norm(values);
      if (!Number.isFinite(norm)) nonFinite = v; // the last one: closest to the output
      this.writer.scalar(`grad_norm/${v.originalName}`, norm, step);
      if (this.hist()) this.writer.histogram(`${v.originalName}.grad`, values, step);
    }
    if (nonFinite && Number.isFinite(loss) && this.opts.sentinel !== false && !this.found) {
      const bad = nonFinite;
      const layer = this.model.layers.find((l) => l.weights.some((w) => w.name === bad.name))?.name;
      this.report({
        layer: layer ?? bad.originalName,
        step,
        phase: 'backward',
        message: `the gradient of ${bad.originalName} is NaN/Inf while the loss is finite`,
      });
    }
  }

  private logUpdateRatios(): void {
    const before = this.snapshot;
    this.snapshot = undefined;
    if (!before) return;
    for (const v of this.weights) {
      const b = before.get(v.name);
      if (!b) continue;
      const r = updateRatio(b, v.read().dataSync() as Float32Array);
      if (!Number.isNaN(r)) this.writer.scalar(`update_ratio/${v.originalName}`, r, this.step);
    }
  }

  private locate(loss: number): NanReport {
    this.probe ??= new Probe(this.model);
    return locateNonFinite({
      step: this.step,
      loss,
      probe: this.probe,
      inputs: this.batchInputs,
      weights: (name) =>
        this.weights
          .find((v) => v.name === name)
          ?.read()
          .dataSync() as Float32Array | undefined,
    });
  }

  private report(r: NanReport): void {
    this.found = r;
    this.writer.text(
      'nan_sentinel',
      `**${r.layer}**: step ${r.step}, ${r.phase}: ${r.message}`,
      Math.max(r.step, 0),
    );
    void this.writer.flush();
    if (this.opts.stopOnNaN) this.model.stopTraining = true;
    this.opts.onNaN?.(r);
  }

  /**
   * Runs an optional part of the instrumentation; if it throws (a model shape the probe cannot
   * handle), that part is switched off with one warning instead of stopping the training.
   */
  private safely(what: string, fn: () => void): void {
    if (this.disabled.has(what)) return;
    try {
      fn();
    } catch (err) {
      this.disabled.add(what);
      console.warn(`tensorscope watch: ${what} turned off: ${(err as Error).message}`);
    }
  }

  /** Resolves when everything logged so far is on disk. */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /** Removes the hooks and closes the writer (if watch created it). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unhookOptimizer();
    const target = this.trainer;
    if (target) Reflect.deleteProperty(target, 'makeTrainFunction');
    if (this.ownWriter) await this.writer.close();
    else await this.writer.flush();
  }
}

export function watch(model: tf.LayersModel, opts: WatchOptions = {}): Watcher {
  return new Watcher(model, opts);
}
