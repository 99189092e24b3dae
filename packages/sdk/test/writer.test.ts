import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { graphDefModel } from '@tensorscope/formats/graphdef';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { graphDefFromModel } from '../tfjs/graph';
import { SummaryWriter } from '../writer';
import { type ExportedRun, exportLogdir, tagOf, tempDir } from './helpers';

const b64 = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));
const png = (s: string) => PNG.sync.read(Buffer.from(s, 'base64'));

describe('SummaryWriter read back with tensorscope export', () => {
  const logdir = tempDir('sdk-writer');
  const runDir = join(logdir, 'main');
  let runs: ExportedRun[];
  let main: ExportedRun | undefined;
  const histValues = [-1.5, -0.25, 0, 0, 0.125, 0.5, 2, 3.5, Number.NaN];
  const audio = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i / 3) * 0.8);
  // 3 wide, 2 high, RGB: every channel value distinct
  const rgb = Uint8Array.from({ length: 18 }, (_, i) => i * 13);
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [4], units: 3, activation: 'relu', name: 'hidden' }),
      tf.layers.dense({ units: 2, name: 'out' }),
    ],
  });

  beforeAll(async () => {
    const w = new SummaryWriter(runDir);
    w.scalar('loss', 0.5, 0);
    w.scalar('loss', -2.25, 1);
    w.scalar('loss', 3.75, 7);
    w.scalars('acc', { train: 0.75, val: 0.625 }, 3);
    w.histogram('fc1.weight', histValues, 2);
    w.image('digits/one', { data: rgb, width: 3, height: 2, channels: 3 }, 4);
    w.images(
      'digits/grid',
      [
        { data: new Float32Array([0, 1, 1, 0]), width: 2, height: 2 },
        { data: new Float32Array([0.5, 0.5, 0.5, 0.5]), width: 2, height: 2 },
      ],
      5,
      2,
    );
    w.text('notes', 'hello **tensorscope**\nsecond line', 6);
    w.audio('tone', audio, 8000, 7);
    w.prCurve('pr', [1, 0, 1, 1, 0], [0.9, 0.8, 0.6, 0.2, 0.1], 8, 11);
    w.hparams({ lr: 0.001, optimizer: 'adam', augment: true }, { 'hparam/accuracy': 0.875 });
    w.customScalars([{ title: 'Losses', charts: [{ title: 'loss', multiline: ['loss', 'val_loss'] }] }]);
    w.graph(graphDefFromModel(model));
    w.embedding(
      [
        [1, 2, 3],
        [4.5, 5, 6],
        [7, 8, -9],
      ],
      {
        metadata: [
          ['a', 1],
          ['b', 2],
          ['c', 3],
        ],
        metadataHeader: ['name', 'digit'],
        labelImages: [0, 1, 2].map((k) => ({ data: new Uint8Array(4).fill(k * 100), width: 2, height: 2 })),
        tag: 'features',
        step: 9,
      },
    );
    await w.close();
    runs = exportLogdir(logdir);
    main = runs.find((r) => r.name === 'main');
  });

  it('scalars: every value at its step', () => {
    const pts = tagOf(main, 'loss').points;
    expect(pts.map((p) => [p.step, p.value])).toEqual([
      [0, 0.5],
      [1, -2.25],
      [7, 3.75],
    ]);
  });

  it('scalars(): one run per key under the main tag, as tensorboardX', () => {
    const train = runs.find((r) => r.name === 'main/acc_train');
    const val = runs.find((r) => r.name === 'main/acc_val');
    expect(tagOf(train, 'acc').points.map((p) => [p.step, p.value])).toEqual([[3, 0.75]]);
    expect(tagOf(val, 'acc').points.map((p) => [p.step, p.value])).toEqual([[3, 0.625]]);
  });

  it('histogram: exact count, range, sums and bucket total of the finite values', () => {
    const p = tagOf(main, 'fc1.weight').points[0];
    const finite = histValues.filter(Number.isFinite);
    expect(p.step).toBe(2);
    expect(p.num).toBe(finite.length);
    expect(p.min).toBe(-1.5);
    expect(p.max).toBe(3.5);
    expect(p.sum).toBe(finite.reduce((a, b) => a + b, 0));
    expect(p.sum_squares).toBe(finite.reduce((a, b) => a + b * b, 0));
    const buckets = p.buckets as { left: number; right: number; count: number }[];
    expect(buckets.reduce((a, b) => a + b.count, 0)).toBe(finite.length);
    // the two zeros share the bucket that starts at 0 (TensorFlow's exponential buckets)
    expect(buckets.find((b) => b.left === 0)?.count).toBe(2);
  });

  it('image: PNG with the exact pixels', () => {
    const p = tagOf(main, 'digits/one').points[0];
    expect([p.step, p.width, p.height]).toEqual([4, 3, 2]);
    const img = png((p.images as string[])[0]);
    expect([img.width, img.height]).toEqual([3, 2]);
    const rgbOut = [...img.data].filter((_, i) => i % 4 !== 3);
    expect(rgbOut).toEqual([...rgb]);
  });

  it('images(): a grid with 2 px spacing, floats scaled to 0..255', () => {
    const p = tagOf(main, 'digits/grid').points[0];
    const img = png((p.images as string[])[0]);
    expect([img.width, img.height]).toEqual([6, 2]);
    const gray = [...img.data].filter((_, i) => i % 4 === 0);
    expect(gray).toEqual([0, 255, 0, 0, 128, 128, 255, 0, 0, 0, 128, 128]);
  });

  it('text', () => {
    const p = tagOf(main, 'notes').points[0];
    expect(p.step).toBe(6);
    expect(p.strings).toEqual(['hello **tensorscope**\nsecond line']);
  });

  it('audio: 16-bit WAV of the samples', () => {
    const p = tagOf(main, 'tone').points[0];
    expect(p.sample_rate).toBe(8000);
    const wav = b64((p.clips as string[])[0]);
    const dv = new DataView(wav.buffer, wav.byteOffset);
    expect(dv.getUint32(24, true)).toBe(8000);
    const pcm = Array.from({ length: audio.length }, (_, i) => dv.getInt16(44 + 2 * i, true));
    expect(pcm).toEqual(Array.from(audio, (s) => Math.round(s * 32767)));
  });

  it('PR curve: counts at each threshold from the labels and predictions', () => {
    const p = tagOf(main, 'pr').points[0];
    const labels = [1, 0, 1, 1, 0];
    const preds = [0.9, 0.8, 0.6, 0.2, 0.1];
    const thresholds = p.thresholds as number[];
    expect(thresholds.length).toBe(11);
    for (let i = 0; i < 11; i++) {
      // a prediction counts as positive at threshold i when it falls in bucket i or above
      const pos = preds.map((x) => Math.floor(x * 10) >= i);
      const tp = pos.filter((q, k) => q && labels[k]).length;
      const fp = pos.filter((q, k) => q && !labels[k]).length;
      expect([(p.tp as number[])[i], (p.fp as number[])[i]]).toEqual([tp, fp]);
      expect((p.fn as number[])[i]).toBe(3 - tp);
      expect((p.tn as number[])[i]).toBe(2 - fp);
    }
  });

  it('hparams: the trial and its metric', () => {
    const p = tagOf(main, '_hparams_/session_start_info').points[0] as unknown as {
      session_start: { hparams: Record<string, unknown> };
    };
    expect(p.session_start.hparams).toEqual({ lr: 0.001, optimizer: 'adam', augment: true });
    const exp = tagOf(main, '_hparams_/experiment').points[0] as unknown as {
      experiment: { metrics: string[]; hparams: { name: string; type: string }[] };
    };
    expect(exp.experiment.metrics).toEqual(['hparam/accuracy']);
    expect(exp.experiment.hparams.map((h) => h.name)).toEqual(['lr', 'optimizer', 'augment']);
    expect(tagOf(main, 'hparam/accuracy').points[0].value).toBe(0.875);
  });

  it('custom scalars layout', () => {
    const p = tagOf(main, 'custom_scalars__config__').points[0] as unknown as {
      layout: { categories: { title: string; charts: { title: string; kind: string; tags: string[] }[] }[] };
    };
    expect(p.layout.categories).toEqual([
      {
        title: 'Losses',
        closed: false,
        charts: [{ title: 'loss', kind: 'multiline', tags: ['loss', 'val_loss'] }],
      },
    ]);
  });

  it('graph: a GraphDef with one node per layer and weight, read by the GraphDef reader', async () => {
    const graphTag = main?.tags.find((t) => t.kind === 'graph');
    expect(graphTag).toBeDefined();
    const p = graphTag!.points[0];
    const bytes = graphDefFromModel(model);
    expect(p.bytes).toBe(bytes.length);
    const g = graphDefModel(bytes).graph!;
    const ops = Object.fromEntries(g.nodes.map((n) => [n.name, n.op]));
    expect(ops).toEqual({
      hidden_input: 'Placeholder',
      'hidden/kernel': 'VariableV2',
      'hidden/bias': 'VariableV2',
      hidden: 'Dense',
      'out/kernel': 'VariableV2',
      'out/bias': 'VariableV2',
      out: 'Dense',
    });
    const out = g.nodes.find((n) => n.name === 'out');
    expect(out?.inputs).toEqual(['hidden', 'out/kernel', 'out/bias']);
    expect(g.nodes.find((n) => n.name === 'hidden')?.attributes.units).toBe(3);
  });

  it('embedding: projector config, tensors, metadata columns and sprite', () => {
    const p = tagOf(main, 'features').points[0];
    expect(tagOf(main, 'features').kind).toBe('embedding');
    expect(p.shape).toEqual([3, 3]);
    expect(p.metadata_columns).toEqual(['name', 'digit']);
    expect(p.sprite_single_image_dim).toEqual([2, 2]);
    expect(readFileSync(join(runDir, p.tensor_path as string), 'utf8')).toBe(
      '1\t2\t3\n4.5\t5\t6\n7\t8\t-9\n',
    );
    expect(readFileSync(join(runDir, p.metadata_path as string), 'utf8')).toBe(
      'name\tdigit\na\t1\nb\t2\nc\t3\n',
    );
    // ceil(sqrt(3)) = 2 thumbnails a side, the fourth blank
    const sprite = PNG.sync.read(readFileSync(join(runDir, p.sprite_path as string)));
    expect([sprite.width, sprite.height]).toEqual([4, 4]);
    const at = (x: number, y: number) => sprite.data[(y * 4 + x) * 4];
    expect([at(0, 0), at(2, 0), at(0, 2), at(3, 3)]).toEqual([0, 100, 200, 0]);
  });
});

describe('SummaryWriter queue', () => {
  it('appends in the background once flushBytes are queued, without flush() or the timer', async () => {
    const w = new SummaryWriter(join(tempDir('sdk-queue'), 'run'), {
      flushBytes: 4096,
      flushMillis: 3_600_000,
    });
    const initial = statSync(w.path).size;
    for (let i = 0; i < 1000; i++) w.scalar('loss', i, i);
    await new Promise((r) => setTimeout(r, 300));
    // 1000 scalars of ~40 bytes: all but the last partial 4 KiB are on disk already
    expect(statSync(w.path).size - initial).toBeGreaterThan(30_000);
    await w.close();
    const points = tagOf(exportLogdir(join(w.logdir, '..'))[0], 'loss').points;
    expect(points.map((p) => p.value)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });
});
