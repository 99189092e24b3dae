/**
 * SummaryWriter: a TensorBoard-compatible logger for one run directory, with the methods of
 * tensorboardX's SummaryWriter. Summaries are encoded at the call and appended to the event file in
 * the background (every `flushMillis`, or as soon as about `flushBytes` are queued), so a call costs
 * microseconds for a scalar and the queue never holds more than about `flushBytes` in memory.
 */
import { join } from 'node:path';
import type { HistogramValue, HparamValue, LayoutChart } from '@tensorscope/formats/tfevents';
import { EventFileWriter } from '@tensorscope/formats/tfevents/node';
import { type EmbeddingOptions, embeddingFiles, writeEmbedding } from './embedding';
import { type ImageInput, imageGrid, imagePng } from './image';

export interface SummaryWriterOptions {
  /** how often queued events are appended to the file (default 1000 ms) */
  flushMillis?: number;
  /** queued bytes that start an append at once (default 1 MiB) */
  flushBytes?: number;
  filenameSuffix?: string;
}

export class SummaryWriter {
  private readonly events: EventFileWriter;
  private readonly subWriters = new Map<string, SummaryWriter>();
  private queued = 0;
  private readonly flushBytes: number;
  private files: Promise<void> = Promise.resolve();
  private fileError: Error | undefined;
  private readonly projector: string[] = [];
  private closed = false;

  constructor(
    readonly logdir: string,
    private readonly opts: SummaryWriterOptions = {},
  ) {
    this.flushBytes = opts.flushBytes ?? 1 << 20;
    // the engine writes synchronously past maxPendingBytes; we append long before that
    this.events = new EventFileWriter(logdir, {
      flushMillis: opts.flushMillis,
      filenameSuffix: opts.filenameSuffix,
      maxPendingBytes: 8 * this.flushBytes + (64 << 20),
    });
  }

  /** The event file being written. */
  get path(): string {
    return this.events.path;
  }

  private queuedBytes(n: number): void {
    if (this.closed) throw new Error(`${this.logdir}: the SummaryWriter is closed`);
    this.queued += n;
    if (this.queued >= this.flushBytes) {
      this.queued = 0;
      void this.events.flush();
    }
  }

  scalar(tag: string, value: number, step: number, wallTime?: number): void {
    this.queuedBytes(32 + tag.length);
    this.events.scalar(tag, value, step, wallTime);
  }

  /**
   * Several scalars in one chart, as tensorboardX's add_scalars: each key goes to its own run
   * `<logdir>/<mainTag>_<key>` under the tag `mainTag`.
   */
  scalars(mainTag: string, values: Record<string, number>, step: number, wallTime?: number): void {
    for (const [key, value] of Object.entries(values)) {
      const dir = join(this.logdir, `${mainTag.replace(/\//g, '_')}_${key}`);
      let w = this.subWriters.get(dir);
      if (!w) this.subWriters.set(dir, (w = new SummaryWriter(dir, this.opts)));
      w.scalar(mainTag, value, step, wallTime);
    }
  }

  /** Raw values (binned with TensorFlow's default buckets; NaN/Inf left out) or a ready histogram. */
  histogram(tag: string, values: ArrayLike<number> | HistogramValue, step: number, wallTime?: number): void {
    const n = 'bucket' in values ? values.bucket.length : Math.min(values.length, 1500);
    this.queuedBytes(64 + 16 * n);
    this.events.histogram(tag, values, step, wallTime);
  }

  image(tag: string, img: ImageInput, step: number): void {
    const { png, width, height, channels } = imagePng(img);
    this.queuedBytes(png.length + 64);
    this.events.image(tag, png, width, height, step, channels);
  }

  /** Several same-sized images tiled into one grid image (add_images). */
  images(tag: string, imgs: ImageInput[], step: number, columns?: number): void {
    this.image(tag, imageGrid(imgs, columns), step);
  }

  text(tag: string, text: string, step: number): void {
    this.queuedBytes(text.length * 3 + 64);
    this.events.text(tag, text, step);
  }

  /** Mono samples in [-1, 1], written as 16-bit WAV. */
  audio(tag: string, samples: ArrayLike<number>, sampleRate: number, step: number): void {
    this.queuedBytes(samples.length * 2 + 108);
    this.events.audio(tag, samples, sampleRate, step);
  }

  /** labels: 0/1 (or booleans as numbers); predictions: probabilities in [0, 1]. */
  prCurve(
    tag: string,
    labels: ArrayLike<number>,
    predictions: ArrayLike<number>,
    step: number,
    numThresholds = 127,
  ): void {
    if (labels.length !== predictions.length)
      throw new Error(`prCurve ${tag}: ${labels.length} labels but ${predictions.length} predictions`);
    this.queuedBytes(24 * numThresholds + 64);
    this.events.prCurve(tag, labels, predictions, step, numThresholds);
  }

  /** One trial's hyperparameters and its final metrics (written as scalars too). */
  hparams(hparams: Record<string, HparamValue>, metrics: Record<string, number>, step = 0): void {
    this.queuedBytes(256 + 64 * Object.keys(hparams).length);
    this.events.hparams(hparams, metrics, step);
  }

  customScalars(layout: { title: string; charts: LayoutChart[] }[]): void {
    this.queuedBytes(1024);
    this.events.customScalars(layout);
  }

  /** A serialized TensorFlow GraphDef (see graphDefFromModel for a TF.js model's). */
  graph(graphDef: Uint8Array): void {
    this.queuedBytes(graphDef.length + 32);
    this.events.graph(graphDef);
  }

  /**
   * An embedding matrix (rows of numbers, or flat data with its [rows, dims] shape) for the projector,
   * with optional per-row metadata and thumbnails. The files are written in the background.
   */
  embedding(
    rows: ArrayLike<number>[] | { data: ArrayLike<number>; shape: [number, number] },
    opts: EmbeddingOptions = {},
  ): void {
    if (this.closed) throw new Error(`${this.logdir}: the SummaryWriter is closed`);
    const emb = embeddingFiles(rows, opts);
    this.projector.push(emb.entry);
    const entries = [...this.projector];
    this.files = this.files.then(() =>
      writeEmbedding(this.logdir, emb, entries).catch((err: Error) => {
        this.fileError ??= err;
      }),
    );
  }

  /** Resolves when everything logged so far is on disk. */
  async flush(): Promise<void> {
    this.queued = 0;
    await Promise.all([
      this.events.flush(),
      this.files,
      ...[...this.subWriters.values()].map((w) => w.flush()),
    ]);
    if (this.fileError) {
      const err = this.fileError;
      this.fileError = undefined;
      throw new Error(`${this.logdir}: could not write an embedding: ${err.message}`);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await Promise.all([this.events.close(), ...[...this.subWriters.values()].map((w) => w.close())]);
  }
}
