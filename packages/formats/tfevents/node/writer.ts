/**
 * Event-file writer: the framing, file name and first event tensorboardX writes. Records are
 * buffered and appended by a timer every `flushMillis`, off the caller's path; past `maxPendingBytes`
 * they are appended at once, so memory stays bounded whatever the caller logs. Every append is one
 * synchronous write of the whole buffer: a page-cache append takes microseconds, and a single writer
 * can never put records out of order (an async write still in flight could be overtaken).
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { encodeEvent } from '../encode';
import type { HparamValue } from '../plugins';
import { frameRecord } from '../records';
import {
  audioValue,
  customScalarsValue,
  histogramValue,
  hparamsValues,
  imageValue,
  type LayoutChart,
  prCurveValue,
  scalarValue,
  tensorValue,
  textValue,
} from '../summaries';
import type { HistogramValue, SummaryValue, TensorValue, TfEvent } from '../types';
import { encodeWav } from '../wav';

export interface WriterOptions {
  filenameSuffix?: string;
  flushMillis?: number;
  maxPendingBytes?: number;
}

let fileCounter = 0;

export class EventFileWriter {
  readonly path: string;
  private pending: Uint8Array[] = [];
  private pendingBytes = 0;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly maxPending: number;

  constructor(
    readonly dir: string,
    opts: WriterOptions = {},
  ) {
    mkdirSync(dir, { recursive: true });
    const now = Date.now() / 1000;
    this.path = join(
      dir,
      `events.out.tfevents.${Math.floor(now)}.${hostname()}.${process.pid}.${fileCounter++}${opts.filenameSuffix ?? ''}`,
    );
    this.maxPending = opts.maxPendingBytes ?? 16 << 20;
    writeFileSync(
      this.path,
      frameRecord(encodeEvent({ wallTime: now, step: 0, fileVersion: 'brain.Event:2' })),
    );
    const every = opts.flushMillis ?? 1000;
    this.timer = setInterval(() => this.flushSync(), every);
    this.timer.unref();
  }

  writeEvent(ev: TfEvent): void {
    if (this.closed) throw new Error(`${this.path}: writer is closed`);
    const rec = frameRecord(encodeEvent(ev));
    this.pending.push(rec);
    this.pendingBytes += rec.length;
    // bounded memory: a caller logging faster than the disk takes it waits here, briefly
    if (this.pendingBytes > this.maxPending) this.flushSync();
  }

  summary(step: number, values: SummaryValue[], wallTime = Date.now() / 1000): void {
    this.writeEvent({ wallTime, step, summary: values });
  }

  scalar(tag: string, value: number, step: number, wallTime?: number): void {
    this.summary(step, [scalarValue(tag, value)], wallTime);
  }

  histogram(tag: string, values: ArrayLike<number> | HistogramValue, step: number, wallTime?: number): void {
    this.summary(step, [histogramValue(tag, values)], wallTime);
  }

  image(tag: string, png: Uint8Array, width: number, height: number, step: number, colorspace = 3): void {
    this.summary(step, [imageValue(tag, png, width, height, colorspace)]);
  }

  text(tag: string, text: string, step: number): void {
    this.summary(step, [textValue(tag, text)]);
  }

  audio(tag: string, samples: ArrayLike<number>, sampleRate: number, step: number): void {
    this.summary(step, [audioValue(tag, encodeWav(samples, sampleRate), sampleRate, samples.length)]);
  }

  tensor(tag: string, tensor: TensorValue, step: number, plugin?: string): void {
    this.summary(step, [tensorValue(tag, tensor, plugin)]);
  }

  prCurve(
    tag: string,
    labels: ArrayLike<number>,
    predictions: ArrayLike<number>,
    step: number,
    numThresholds = 127,
  ): void {
    this.summary(step, [prCurveValue(tag, labels, predictions, numThresholds)]);
  }

  /** tensorboardX writes the three hparams summaries as separate events, then the metrics as scalars. */
  hparams(hparams: Record<string, HparamValue>, metrics: Record<string, number>, step = 0): void {
    for (const v of hparamsValues(hparams, Object.keys(metrics))) this.summary(step, [v]);
    for (const [tag, value] of Object.entries(metrics)) this.scalar(tag, value, step);
  }

  customScalars(layout: { title: string; charts: LayoutChart[] }[]): void {
    this.summary(0, [customScalarsValue(layout)]);
  }

  graph(graphDef: Uint8Array): void {
    this.writeEvent({ wallTime: Date.now() / 1000, step: 0, graphDef });
  }

  private take(): Uint8Array | undefined {
    if (!this.pending.length) return undefined;
    const out = new Uint8Array(this.pendingBytes);
    let o = 0;
    for (const r of this.pending) {
      out.set(r, o);
      o += r.length;
    }
    this.pending = [];
    this.pendingBytes = 0;
    return out;
  }

  private flushSync(): void {
    const bytes = this.take();
    if (bytes) appendFileSync(this.path, bytes);
  }

  /** Appends everything written so far. */
  flush(): Promise<void> {
    this.flushSync();
    return Promise.resolve();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    clearInterval(this.timer);
  }
}
