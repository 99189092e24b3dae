/**
 * `npm run bench -- tfevents`: full ingest of generated logdirs (CRC checked, every point decoded and
 * kept) against (a) reading the same bytes raw and (b) decoding them with protobufjs with the same CRC
 * check. Sizes: TFEVENTS_SCALE=1 (default) writes ~1 GB of scalars and ~300 MB of histograms under
 * .bench-data/ (kept between runs; delete it to regenerate).
 */
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import {
  encodeEvent,
  frameRecord,
  type HistogramValue,
  histogramFromValues,
  maskedCrc32c,
  ScalarColumns,
  scanRecords,
} from '@tensorscope/formats/tfevents';
import { RunReader } from '@tensorscope/formats/tfevents/node';
import protobuf from 'protobufjs';
import { best, fmt, mb, table } from './lib/measure';

const SCALE = Number(process.env.TFEVENTS_SCALE ?? 1);
const ROOT = join(import.meta.dirname, '../.bench-data/tfevents');

interface Spec {
  name: string;
  runs: number;
  tags: number;
  steps: number;
  kind: 'scalar' | 'histogram';
}

const SPECS: Spec[] = [
  { name: 'scalars', runs: 100, tags: 10, steps: Math.round(20_000 * SCALE), kind: 'scalar' },
  { name: 'histograms', runs: 20, tags: 10, steps: Math.round(1_000 * SCALE), kind: 'histogram' },
];

/**
 * Scalar event records byte for byte as tensorboardX writes them (wall_time, step, one tag +
 * simple_value), built directly into one buffer: generating 20M events through the general
 * encoder would take longer than the benchmark itself. codec tests check the encoder's output equals
 * tensorboardX's, and this layout is that output.
 */
class ScalarRecords {
  private buf = new Uint8Array(64 << 20);
  private dv = new DataView(this.buf.buffer);
  private pos = 0;
  private chunks: Uint8Array[] = [];

  add(wall: number, step: number, tag: Uint8Array, value: number): void {
    if (this.pos + 128 + tag.length > this.buf.length) this.flush();
    const b = this.buf;
    const rec = this.pos;
    let p = rec + 12;
    b[p++] = 0x09;
    this.dv.setFloat64(p, wall, true);
    p += 8;
    if (step) {
      b[p++] = 0x10;
      let v = step;
      while (v >= 0x80) {
        b[p++] = (v & 0x7f) | 0x80;
        v >>>= 7;
      }
      b[p++] = v;
    }
    const valueLen = 2 + tag.length + 5;
    b[p++] = 0x2a;
    b[p++] = valueLen + 2;
    b[p++] = 0x0a;
    b[p++] = valueLen;
    b[p++] = 0x0a;
    b[p++] = tag.length;
    b.set(tag, p);
    p += tag.length;
    b[p++] = 0x15;
    this.dv.setFloat32(p, value, true);
    p += 4;
    const len = p - rec - 12;
    this.dv.setUint32(rec, len, true);
    this.dv.setUint32(rec + 4, 0, true);
    this.dv.setUint32(rec + 8, maskedCrc32c(b, rec, rec + 8), true);
    this.dv.setUint32(p, maskedCrc32c(b, rec + 12, p), true);
    this.pos = p + 4;
  }

  private flush(): void {
    this.chunks.push(this.buf.slice(0, this.pos));
    this.pos = 0;
  }

  finish(): Uint8Array {
    this.flush();
    return Buffer.concat(this.chunks);
  }
}

/** Writes the logdir in the exact byte form tensorboardX produces (one value per event). */
function generate(spec: Spec): string {
  const dir = join(ROOT, `${spec.name}-${spec.runs}x${spec.tags}x${spec.steps}`);
  if (existsSync(join(dir, 'done'))) return dir;
  const t0 = performance.now();
  const tagNames = Array.from({ length: spec.tags }, (_, i) =>
    i % 2 ? `loss/layer_${i}` : `metrics/accuracy_${i}`,
  );
  const tagBytes = tagNames.map((t) => new TextEncoder().encode(t));
  let histos: HistogramValue[] = [];
  if (spec.kind === 'histogram') {
    // a pool of realistic histograms (1,000 normal samples in TF's default buckets)
    histos = Array.from({ length: 16 }, (_, k) =>
      histogramFromValues(
        Float64Array.from(
          { length: 1000 },
          (_, i) => ((Math.sin(i * 12.9898 + k) * 43758.5453) % 1) + k / 10,
        ),
      ),
    );
  }
  for (let r = 0; r < spec.runs; r++) {
    const runDir = join(dir, `run_${String(r).padStart(3, '0')}`);
    mkdirSync(runDir, { recursive: true });
    const parts: Uint8Array[] = [
      frameRecord(encodeEvent({ wallTime: 1.7e9, step: 0, fileVersion: 'brain.Event:2' })),
    ];
    let wall = 1.7e9 + r;
    const scalars = new ScalarRecords();
    for (let s = 0; s < spec.steps; s++) {
      for (let t = 0; t < spec.tags; t++) {
        wall += 0.0137;
        if (spec.kind === 'scalar') {
          scalars.add(wall, s, tagBytes[t], Math.exp(-s / 5000) * (1 + 0.1 * Math.sin(s * 0.7 + t)));
        } else {
          const value = { tag: tagNames[t], histo: histos[(s + t) % histos.length] };
          parts.push(frameRecord(encodeEvent({ wallTime: wall, step: s, summary: [value] })));
        }
      }
    }
    if (spec.kind === 'scalar') parts.push(scalars.finish());
    writeFileSync(join(runDir, `events.out.tfevents.1700000000.bench.${r}`), Buffer.concat(parts));
  }
  writeFileSync(join(dir, 'done'), '');
  console.log(`generated ${dir} in ${fmt((performance.now() - t0) / 1000)} s`);
  return dir;
}

function files(dir: string): string[] {
  return readdirSync(dir)
    .filter((d) => d.startsWith('run_'))
    .sort()
    .flatMap((d) => readdirSync(join(dir, d)).map((f) => join(dir, d, f)));
}

/** (a) the limit: the same bytes read in the same chunk size, nothing decoded. */
function rawRead(paths: string[]): number {
  const buf = Buffer.allocUnsafe(8 << 20);
  let total = 0;
  for (const p of paths) {
    const fd = openSync(p, 'r');
    let n = 0;
    while ((n = readSync(fd, buf, 0, buf.length, null)) > 0) total += n;
    closeSync(fd);
  }
  return total;
}

/** (b) the general-library baseline: protobufjs decode after the same framing and CRC checks. */
const PROTO = `
syntax = "proto3";
message HistogramProto { double min = 1; double max = 2; double num = 3; double sum = 4; double sum_squares = 5;
  repeated double bucket_limit = 6 [packed = true]; repeated double bucket = 7 [packed = true]; }
message PluginData { string plugin_name = 1; bytes content = 2; }
message SummaryMetadata { PluginData plugin_data = 1; string display_name = 2; string summary_description = 3; int32 data_class = 4; }
message Value { string node_name = 7; string tag = 1; SummaryMetadata metadata = 9;
  oneof value { float simple_value = 2; bytes obsolete_old_style_histogram = 3; bytes image = 4; HistogramProto histo = 5; bytes audio = 6; bytes tensor = 8; } }
message Summary { repeated Value value = 1; }
message SessionLog { int32 status = 1; string checkpoint_path = 2; string msg = 3; }
message Event { double wall_time = 1; int64 step = 2;
  oneof what { string file_version = 3; bytes graph_def = 4; Summary summary = 5; bytes log_message = 6; SessionLog session_log = 7; bytes tagged_run_metadata = 8; bytes meta_graph_def = 9; } }
`;
const EventType = protobuf.parse(PROTO).root.lookupType('Event');

interface PbValue {
  tag: string;
  simpleValue?: number;
  histo?: {
    min: number;
    max: number;
    num: number;
    sum: number;
    sumSquares: number;
    bucketLimit: number[];
    bucket: number[];
  };
}

function protobufjsIngest(paths: string[]): number {
  let points = 0;
  const scalars = new Map<string, ScalarColumns>();
  const histograms = new Map<string, { step: number; wallTime: number; value: PbValue['histo'] }[]>();
  const buf = Buffer.allocUnsafe(64 << 20);
  for (const p of paths) {
    const fd = openSync(p, 'r');
    let carry = 0;
    let n = 0;
    while ((n = readSync(fd, buf, carry, buf.length - carry, null)) > 0 || carry) {
      const view = new Uint8Array(buf.buffer, buf.byteOffset, carry + n);
      const res = scanRecords(
        view,
        p,
        (s, e) => {
          const ev = EventType.toObject(EventType.decode(view.subarray(s, e)), { longs: Number }) as {
            wallTime: number;
            step: number;
            summary?: { value: PbValue[] };
          };
          for (const v of ev.summary?.value ?? []) {
            points++;
            const key = p + v.tag;
            if (v.simpleValue !== undefined) {
              let c = scalars.get(key);
              if (!c) scalars.set(key, (c = new ScalarColumns()));
              c.push(ev.step ?? 0, ev.wallTime ?? 0, v.simpleValue);
            } else if (v.histo) {
              let h = histograms.get(key);
              if (!h) histograms.set(key, (h = []));
              h.push({ step: ev.step ?? 0, wallTime: ev.wallTime ?? 0, value: v.histo });
            }
          }
        },
        () => {},
        { eof: n === 0 },
      );
      if (n === 0) break;
      carry = view.length - res.consumed;
      buf.copy(buf, 0, res.consumed, view.length);
    }
    closeSync(fd);
  }
  return points;
}

async function tensorscopeIngest(dir: string): Promise<{ points: number }> {
  let points = 0;
  for (const d of readdirSync(dir)
    .filter((x) => x.startsWith('run_'))
    .sort()) {
    const reader = new RunReader(d, join(dir, d));
    await reader.poll();
    reader.data.trim();
    for (const s of reader.data.tags.values()) {
      points += s.kind === 'scalar' ? s.columns.length : s.points.length;
    }
    if (reader.data.issues.length)
      throw new Error(`unexpected read issues: ${reader.data.issues[0].message}`);
  }
  return { points };
}

async function main(): Promise<void> {
  console.log(`node ${process.version}; MB/s per CPU-second (one core); TFEVENTS_SCALE=${SCALE}`);
  const rows: (string | number)[][] = [
    [
      'logdir',
      'MB',
      'points',
      'raw MB/s',
      'tensorscope MB/s',
      'Mevents/s',
      'protobufjs MB/s',
      'vs raw',
      'vs protobufjs',
    ],
  ];
  const notes: string[] = [];
  for (const spec of SPECS) {
    const dir = generate(spec);
    const paths = files(dir);
    const bytes = paths.reduce((n, p) => n + statSync(p).size, 0);
    rawRead(paths); // warm the page cache so every contender reads from memory
    const raw = await best(3, () => rawRead(paths));
    const ours = await best(3, () => tensorscopeIngest(dir));
    const base = await best(1, () => protobufjsIngest(paths));
    if (base.result !== ours.result.points)
      throw new Error(`point counts differ: ${base.result} vs ${ours.result.points}`);
    // throughput per CPU-second: what one core sustains, whatever else the machine is doing
    const mbps = (ms: number) => mb(bytes) / (ms / 1000);
    rows.push([
      spec.name,
      fmt(mb(bytes), 0),
      ours.result.points,
      fmt(mbps(raw.cpuMs), 0),
      fmt(mbps(ours.cpuMs), 0),
      fmt(ours.result.points / ours.cpuMs / 1000, 2),
      fmt(mbps(base.cpuMs), 0),
      `${fmt(ours.cpuMs / raw.cpuMs, 1)}x cost`,
      `${fmt(base.cpuMs / ours.cpuMs, 1)}x faster`,
      `${fmt(mbps(ours.ms), 0)} vs ${fmt(mbps(base.ms), 0)}`,
    ]);
    if (spec.kind === 'scalar') {
      // memory held per scalar point, in a fresh process: the columns exactly, and heap + external
      const child = spawnSync(
        process.execPath,
        ['--import', 'tsx', '--expose-gc', join(import.meta.dirname, 'lib/ingest-memory.ts'), dir],
        {
          encoding: 'utf8',
        },
      );
      const m = JSON.parse(child.stdout) as { points: number; columns: number; held: number; rss: number };
      notes.push(
        `scalar memory held: ${fmt(m.columns / m.points, 2)} bytes/point in the columns; ` +
          `${fmt(m.held / m.points, 2)} bytes/point of heap + external memory after GC ` +
          `(${m.points} points, ${fmt(mb(m.held), 0)} MB held, RSS ${fmt(mb(m.rss), 0)} MB)`,
      );
    }
  }
  console.log(table(rows));
  for (const n of notes) console.log(n);
}

await main();
