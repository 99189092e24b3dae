/**
 * Opening a 500 MB ONNX model (graph and tensor table, weights not yet read), against two baselines
 * measured in the same run: reading the whole file (fs.readFile) and decoding the same ModelProto with
 * protobufjs. Each measurement runs in its own process, so peak RSS is its own.
 *
 * `npm run bench -- model-open` (MODEL_OPEN_MB=500 by default)
 */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fileSource } from '../packages/formats/node-source';
import { openModel } from '../packages/formats/open';
import { ProtoWriter } from '../packages/formats/proto';

const HIDDEN = 2048;

/** An MLP of MatMul + Add + Relu layers with HIDDEN x HIDDEN float32 weights, written in pieces. */
export function writeModel(path: string, megabytes: number): { layers: number; nodes: number } {
  const layers = Math.max(1, Math.round((megabytes * 2 ** 20) / (HIDDEN * HIDDEN * 4)));
  const weights = new Float32Array(HIDDEN * HIDDEN);
  for (let i = 0; i < weights.length; i++) weights[i] = (((i * 2654435761) % 1000) / 1000 - 0.5) * 0.05;
  const weightBytes = new Uint8Array(weights.buffer);
  const bias = new Uint8Array(HIDDEN * 4);

  const nodes = new ProtoWriter();
  const small = new ProtoWriter();
  let x = 'input';
  for (let l = 0; l < layers; l++) {
    const mm = `/layers/${l}/MatMul_output_0`;
    const add = `/layers/${l}/Add_output_0`;
    const relu = `/layers/${l}/Relu_output_0`;
    nodes.message(1, (n) =>
      n
        .string(1, x)
        .string(1, `layers.${l}.weight`)
        .string(2, mm)
        .string(3, `/layers/${l}/MatMul`)
        .string(4, 'MatMul'),
    );
    nodes.message(1, (n) =>
      n
        .string(1, mm)
        .string(1, `layers.${l}.bias`)
        .string(2, add)
        .string(3, `/layers/${l}/Add`)
        .string(4, 'Add'),
    );
    nodes.message(1, (n) =>
      n.string(1, add).string(2, relu).string(3, `/layers/${l}/Relu`).string(4, 'Relu'),
    );
    small.message(5, (t) => t.uint(1, HIDDEN).uint(2, 1).string(8, `layers.${l}.bias`).bytes(9, bias));
    x = relu;
  }
  const io = new ProtoWriter()
    .string(2, 'mlp')
    .message(11, (v) =>
      v
        .string(1, 'input')
        .message(2, (t) =>
          t.message(1, (tt) =>
            tt
              .uint(1, 1)
              .message(2, (s) => s.message(1, (d) => d.uint(1, 1)).message(1, (d) => d.uint(1, HIDDEN))),
          ),
        ),
    )
    .message(12, (v) => v.string(1, x));
  // each big initializer: its small fields, then raw_data's key and length, then the bytes themselves
  const heads = Array.from({ length: layers }, (_, l) => {
    const fields = new ProtoWriter()
      .uint(1, HIDDEN)
      .uint(1, HIDDEN)
      .uint(2, 1)
      .string(8, `layers.${l}.weight`)
      .finish();
    const rawKey = new ProtoWriter();
    rawKey.varint((9 << 3) | 2);
    rawKey.varint(weightBytes.length);
    const body = fields.length + rawKey.pos + weightBytes.length;
    const key = new ProtoWriter();
    key.varint((5 << 3) | 2);
    key.varint(body);
    return [key.finish(), fields, rawKey.finish()];
  });
  const parts = [nodes.finish(), small.finish(), io.finish()];
  const graphLength =
    parts.reduce((n, p) => n + p.length, 0) +
    heads.reduce((n, h) => n + h.reduce((m, p) => m + p.length, 0) + weightBytes.length, 0);
  const head = new ProtoWriter()
    .uint(1, 8)
    .string(2, 'tensorscope-bench')
    .message(8, (o) => o.uint(2, 17));
  head.varint((7 << 3) | 2);
  head.varint(graphLength);

  const fd = openSync(path, 'w');
  writeSync(fd, head.finish());
  for (const p of parts) writeSync(fd, p);
  for (const h of heads) {
    for (const p of h) writeSync(fd, p);
    writeSync(fd, weightBytes);
  }
  closeSync(fd);
  return { layers, nodes: 3 * layers };
}

const PROTO = `
syntax = "proto2";
message ModelProto { optional int64 ir_version = 1; optional string producer_name = 2; optional GraphProto graph = 7;
  repeated OperatorSetIdProto opset_import = 8; }
message OperatorSetIdProto { optional string domain = 1; optional int64 version = 2; }
message GraphProto { repeated NodeProto node = 1; optional string name = 2; repeated TensorProto initializer = 5;
  repeated ValueInfoProto input = 11; repeated ValueInfoProto output = 12; repeated ValueInfoProto value_info = 13; }
message NodeProto { repeated string input = 1; repeated string output = 2; optional string name = 3; optional string op_type = 4;
  repeated AttributeProto attribute = 5; optional string domain = 7; }
message AttributeProto { optional string name = 1; optional float f = 2; optional int64 i = 3; optional bytes s = 4;
  optional TensorProto t = 5; repeated float floats = 7; repeated int64 ints = 8; optional int32 type = 20; }
message TensorProto { repeated int64 dims = 1; optional int32 data_type = 2; repeated float float_data = 4 [packed = true];
  optional string name = 8; optional bytes raw_data = 9; }
message ValueInfoProto { optional string name = 1; }
`;

interface Measure {
  ms: number;
  rssMB: number;
  nodes: number;
  tensors: number;
}

async function measure(mode: string, file: string): Promise<Measure> {
  const t0 = performance.now();
  let nodes = 0;
  let tensors = 0;
  if (mode === 'raw') {
    const bytes = readFileSync(file);
    tensors = bytes.length > 0 ? 1 : 0;
  } else if (mode === 'protobufjs') {
    const protobuf = (await import('protobufjs')).default;
    const type = protobuf.parse(PROTO).root.lookupType('ModelProto');
    const m = type.decode(readFileSync(file)) as unknown as {
      graph: { node: unknown[]; initializer: unknown[] };
    };
    nodes = m.graph.node.length;
    tensors = m.graph.initializer.length;
  } else if (mode === 'tensorscope') {
    const m = await openModel(await fileSource(file));
    nodes = m.graph?.nodes.length ?? 0;
    tensors = m.tensors.length;
  }
  const ms = performance.now() - t0;
  return { ms, rssMB: process.resourceUsage().maxRSS / 1024, nodes, tensors };
}

function child(mode: string, file: string): Measure {
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(import.meta.url), '--measure', mode, file],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  if (r.status !== 0) throw new Error(`${mode} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Measure;
}

async function main(): Promise<void> {
  const measureAt = process.argv.indexOf('--measure');
  if (measureAt > 0) {
    const [mode, file] = process.argv.slice(measureAt + 1);
    process.stdout.write(JSON.stringify(await measure(mode, file)) + '\n');
    return;
  }
  const mb = Number(process.env.MODEL_OPEN_MB ?? 500);
  const dir = mkdtempSync(join(tmpdir(), 'ts-bench-model-open-'));
  const file = join(dir, 'mlp.onnx');
  try {
    const t0 = performance.now();
    const { layers, nodes } = writeModel(file, mb);
    const size = statSync(file).size;
    process.stdout.write(
      `model: ${(size / 2 ** 20).toFixed(0)} MiB ONNX, ${layers} layers of ${HIDDEN}x${HIDDEN} float32, ${nodes} nodes ` +
        `(written in ${((performance.now() - t0) / 1000).toFixed(1)} s)\n`,
    );
    const idle = child('idle', file);
    const rows: [string, Measure][] = [];
    for (const mode of ['raw', 'protobufjs', 'tensorscope']) {
      // best of three for time; RSS is the same each run
      const runs = [child(mode, file), child(mode, file), child(mode, file)];
      rows.push([mode, runs.reduce((a, b) => (b.ms < a.ms ? b : a))]);
    }
    const ours = rows.find(([m]) => m === 'tensorscope')![1];
    if (ours.nodes !== nodes || ours.tensors !== 2 * layers)
      throw new Error(`opened ${ours.nodes} nodes / ${ours.tensors} tensors`);
    process.stdout.write(
      `process baseline (node + tsx, nothing read): ${idle.rssMB.toFixed(0)} MiB peak RSS\n`,
    );
    process.stdout.write('mode          open ms   peak RSS MiB (above baseline)\n');
    for (const [mode, m] of rows) {
      process.stdout.write(
        `${mode.padEnd(12)} ${m.ms.toFixed(1).padStart(8)}   ${m.rssMB.toFixed(0).padStart(6)} (+${(m.rssMB - idle.rssMB).toFixed(0)})\n`,
      );
    }
    const raw = rows[0][1];
    const pbjs = rows[1][1];
    process.stdout.write(
      `ratio: tensorscope opens in ${(ours.ms / raw.ms).toFixed(3)}x the time of a raw read and ` +
        `${(ours.ms / pbjs.ms).toFixed(3)}x the time of protobufjs; extra memory ${(ours.rssMB - idle.rssMB).toFixed(0)} MiB ` +
        `vs ${(raw.rssMB - idle.rssMB).toFixed(0)} MiB (raw) and ${(pbjs.rssMB - idle.rssMB).toFixed(0)} MiB (protobufjs)\n`,
    );
    process.stdout.write(
      `target (open <= 1000 ms, memory well below the file size): ${ours.ms <= 1000 && ours.rssMB - idle.rssMB < size / 2 ** 20 / 4 ? 'met' : 'MISSED'}\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
