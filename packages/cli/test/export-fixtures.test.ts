/**
 * `tensorscope export --format json` on tensorboardX's sample logdir agrees with what the writer
 * says it wrote (tensorboardx-sample.expected.json), in every respect the expected file lists.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { SHARED, tensorscope } from './cli';

const LOGDIR = join(SHARED, 'fixtures/tfevents/tensorboardx-sample');
const expected = JSON.parse(
  readFileSync(join(SHARED, 'fixtures/tfevents/tensorboardx-sample.expected.json'), 'utf8'),
);

type Pt = Record<string, unknown> & { step: number };
type Exported = { runs: { name: string; tags: { tag: string; kind: string; points: Pt[] }[] }[] };
let out: Exported;
let stderr: string;

const tag = (run: string, name: string) => {
  const t = out.runs.find((r) => r.name === run)?.tags.find((x) => x.tag === name);
  if (!t) throw new Error(`no tag ${name} in run ${run}`);
  return t;
};
const pngHeader = (b64: string) => {
  const b = Buffer.from(b64, 'base64');
  return {
    width: b.readUInt32BE(16),
    height: b.readUInt32BE(20),
    colorType: b[25],
    magic: b.subarray(1, 4).toString(),
  };
};

beforeAll(() => {
  const r = tensorscope('export', LOGDIR, '--format', 'json');
  expect(r.code).toBe(0);
  stderr = r.stderr;
  out = JSON.parse(r.stdout);
});

describe('export of tensorboardx-sample', () => {
  it('reads every file with zero errors', () => {
    expect(stderr).toBe('');
  });

  it('has every run, named by its path relative to the logdir', () => {
    expect(out.runs.map((r) => r.name).sort()).toEqual(
      [
        'hparams',
        'hparams/trial0',
        'hparams/trial1',
        'hparams/trial2',
        'main',
        'multi',
        'multi/compare/cos',
        'multi/compare/sin',
      ].sort(),
    );
  });

  it('scalars: step counts, ranges, first and last values (float32-rounded)', () => {
    for (const [name, e] of Object.entries<{
      steps: number;
      first: number;
      last: number;
      step_range: number[];
    }>(expected.runs.main.scalars)) {
      const t = tag('main', name);
      expect(t.kind).toBe('scalar');
      expect(t.points).toHaveLength(e.steps);
      expect([t.points[0].step, t.points.at(-1)?.step]).toEqual(e.step_range);
      expect(Math.fround(t.points[0].value as number)).toBe(Math.fround(e.first));
      expect(Math.fround(t.points.at(-1)?.value as number)).toBe(Math.fround(e.last));
    }
  });

  it('prints float32 values with the fewest digits that round-trip', () => {
    const v = tag('main', 'loss/val').points[0].value;
    expect(v).toBe(1.05);
    expect(JSON.stringify(v)).toBe('1.05');
  });

  it('histograms: steps and count per step, buckets adding up to the count', () => {
    for (const [name, e] of Object.entries<{ steps: number; count_per_step: number }>(
      expected.runs.main.histograms,
    )) {
      const t = tag('main', name);
      expect(t.kind).toBe('histogram');
      expect(t.points).toHaveLength(e.steps);
      for (const p of t.points) {
        expect(p.num).toBe(e.count_per_step);
        const buckets = p.buckets as { left: number; right: number; count: number }[];
        expect(buckets.reduce((a, b) => a + b.count, 0)).toBe(e.count_per_step);
        expect(buckets[0].left).toBe(p.min);
        expect(buckets.at(-1)?.right).toBe(p.max);
      }
    }
    // normal(mean=step/10, sd=1): the sample mean tracks step/10
    const w = tag('main', 'weights/layer1').points;
    const last = w.at(-1) as Pt;
    expect(Math.abs((last.sum as number) / (last.num as number) - last.step / 10)).toBeLessThan(0.15);
    // relu: about half exact zeros, so min is exactly 0
    expect(tag('main', 'activations/relu').points.every((p) => p.min === 0)).toBe(true);
  });

  it('images: steps, size, PNG encoding and channels', () => {
    const e = expected.runs.main.images['images/gradient'];
    const t = tag('main', 'images/gradient');
    expect(t.kind).toBe('image');
    expect(t.points).toHaveLength(e.steps);
    for (const p of t.points) {
      expect([p.width, p.height, p.content_type]).toEqual([e.width, e.height, 'image/png']);
      const h = pngHeader((p.images as string[])[0]);
      expect(h).toEqual({ width: e.width, height: e.height, colorType: 2 /* RGB */, magic: 'PNG' });
    }
    const grid = tag('main', 'images/batch_gray');
    expect(grid.points).toHaveLength(expected.runs.main.images['images/batch_gray'].steps);
  });

  it('text: the on-disk tag, steps, and the markdown and unicode as written', () => {
    const e = expected.runs.main.text['notes/markdown'];
    const t = tag('main', e.on_disk_tag);
    expect(t.kind).toBe('text');
    expect(t.points).toHaveLength(e.steps);
    const strings = t.points.flatMap((p) => p.strings as string[]);
    expect(strings[0]).toContain('| a | b |');
    expect([...strings.join('')].some((ch) => ch.charCodeAt(0) > 127)).toBe(true);
  });

  it('PR curves: steps, thresholds and the [6, N] shape', () => {
    const e = expected.runs.main.pr_curves['pr/classifier'];
    const t = tag('main', 'pr/classifier');
    expect(t.kind).toBe('pr_curve');
    expect(t.points).toHaveLength(e.steps);
    for (const p of t.points) {
      for (const row of ['tp', 'fp', 'tn', 'fn', 'precision', 'recall'])
        expect(p[row]).toHaveLength(e.num_thresholds);
      expect(p.thresholds).toHaveLength(e.num_thresholds);
      const precision = p.precision as number[];
      expect(precision.every((x) => x >= 0 && x <= 1)).toBe(true);
    }
  });

  it('audio: sample rate, WAV encoding and frames', () => {
    const e = expected.runs.main.audio['audio/sine440'];
    const t = tag('main', 'audio/sine440');
    expect(t.points).toHaveLength(e.steps);
    const p = t.points[0];
    expect(p.sample_rate).toBe(e.sample_rate);
    expect(p.content_type).toBe('audio/wav');
    const wav = Buffer.from((p.clips as string[])[0], 'base64');
    expect(wav.subarray(0, 4).toString()).toBe('RIFF');
    const bytesPerFrame = wav.readUInt16LE(32);
    expect(wav.readUInt32LE(40) / bytesPerFrame).toBe(e.frames);
  });

  it('custom scalars: the layout', () => {
    const t = tag('main', 'custom_scalars__config__');
    const layout = t.points[0].layout as {
      categories: { title: string; charts: { title: string; kind: string; tags: string[] }[] }[];
    };
    const e = expected.runs.main.custom_scalars.layout;
    expect(layout.categories.map((c) => c.title)).toEqual(Object.keys(e));
    const chart = layout.categories[0].charts[0];
    expect([chart.title, chart.kind, chart.tags]).toEqual([
      'train vs val',
      'multiline',
      e.Losses['train vs val'][1],
    ]);
  });

  it('embeddings: shape, metadata columns and sprite from projector_config.pbtxt', () => {
    const f = tag('main', 'features').points[0];
    const ef = expected.runs.main.embeddings.features;
    expect(f.shape).toEqual(ef.shape);
    expect(f.metadata_columns).toEqual(ef.metadata_columns);
    expect(f.sprite_single_image_dim).toEqual(ef.sprite_single_image_dim);
    expect(f.tensor_path).toBe(`${ef.dir}/tensors.tsv`);
    const p = tag('main', 'plain').points[0];
    const ep = expected.runs.main.embeddings.plain;
    expect(p.shape).toEqual(ep.shape);
    expect(p.metadata_columns).toHaveLength(ep.metadata_columns);
    expect(p.sprite_path).toBeUndefined();
  });

  it('mesh: vertices and the on-disk tags', () => {
    const e = expected.runs.main.mesh['mesh/points'];
    const v = tag('main', 'mesh/points_1');
    expect(v.kind).toBe('mesh');
    expect(v.points[0].content_type).toBe('vertex');
    expect((v.points[0].shape as number[])[1]).toBe(e.vertices);
    expect(v.points[0].values).toHaveLength(e.vertices * 3);
    expect(tag('main', 'mesh/points_3').points[0].content_type).toBe('color');
  });

  it('add_scalars: one run per key with the compare tag', () => {
    const sin = tag('multi/compare/sin', 'compare').points;
    const cos = tag('multi/compare/cos', 'compare').points;
    expect(sin).toHaveLength(100);
    expect(cos).toHaveLength(100);
    for (const p of sin) expect(Math.fround(p.value as number)).toBe(Math.fround(Math.sin(p.step / 10)));
    for (const p of cos) expect(Math.fround(p.value as number)).toBe(Math.fround(Math.cos(p.step / 10)));
    expect(out.runs.find((r) => r.name === 'multi')?.tags).toEqual([]);
  });

  it('hparams: experiment, session start values and end status, metrics', () => {
    for (const s of expected.runs.hparams.sessions) {
      const start = tag(s.run, '_hparams_/session_start_info').points[0].session_start as {
        hparams: Record<string, unknown>;
      };
      expect(start.hparams).toEqual(s.hparams);
      const exp = tag(s.run, '_hparams_/experiment').points[0].experiment as {
        hparams: { name: string }[];
        metrics: string[];
      };
      expect(exp.hparams.map((h) => h.name).sort()).toEqual(Object.keys(s.hparams).sort());
      expect(exp.metrics.sort()).toEqual(Object.keys(s.metrics).sort());
      expect(
        (tag(s.run, '_hparams_/session_end_info').points[0].session_end as { status: number }).status,
      ).toBe(1);
      for (const [m, v] of Object.entries<number>(s.metrics)) {
        expect(Math.fround(tag(s.run, m).points[0].value as number)).toBe(Math.fround(v));
      }
    }
  });
});
