/** `tensorscope inspect <model> [--json]`: architecture and weight summary of any supported model file. */
import { type InspectReport, inspectModel } from '@tensorscope/analysis/model';
import type { Dim } from '@tensorscope/formats/model';
import { fileSource } from '@tensorscope/formats/node-source';
import { openModel } from '@tensorscope/formats/open';
import { parseArgs } from '../args';
import { UsageError } from '../errors';

export const usage = 'inspect <model> [--json] [--no-weights]      architecture and weight summary';

export async function run(argv: string[]): Promise<number> {
  const args = parseArgs(argv, ['json', 'no-weights']);
  if (args.positionals.length !== 1) {
    throw new UsageError('inspect takes one model file: tensorscope inspect <model> [--json].');
  }
  const model = await openModel(await fileSource(args.positionals[0]));
  const tty = process.stderr.isTTY && !args.flags.has('json');
  const report = await inspectModel(model, {
    weights: !args.flags.has('no-weights'),
    onProgress: tty ? (done, total) => process.stderr.write(`\rreading weights ${done}/${total}`) : undefined,
  });
  if (tty && report.parameters.tensors) process.stderr.write('\r\x1b[K');
  if (args.flags.has('json')) process.stdout.write(JSON.stringify(report, null, 1) + '\n');
  else process.stdout.write(render(args.positionals[0], report));
  return 0;
}

const int = (n: number) => n.toLocaleString('en-US');

function si(n: number | null): string {
  if (n === null) return '';
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)}G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)}M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)}K`;
  return String(n);
}

function bytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

const shapeText = (s: Dim[] | null) => (s ? `[${s.map((d) => d ?? '?').join(', ')}]` : '?');

/** Columns padded to their widest cell; `right` lists the numeric columns. */
function table(header: string[], rows: string[][], right: number[]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => r[c].length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, c) => (right.includes(c) ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function render(file: string, r: InspectReport): string {
  const out: string[] = [];
  const head = [
    r.format,
    r.producer && `producer ${r.producer}`,
    r.opset !== undefined && `opset ${r.opset}`,
  ];
  out.push(`${file}: ${head.filter(Boolean).join(', ')}`);
  if (r.graph) {
    const ops = Object.entries(r.graph.op_types)
      .sort((a, b) => b[1] - a[1])
      .map(([op, n]) => `${op} ${n}`);
    out.push(`graph: ${r.graph.nodes} nodes (${ops.join(', ')})`);
    for (const v of r.graph.inputs) out.push(`  input   ${v.name}  ${v.dtype} ${shapeText(v.shape)}`);
    for (const v of r.graph.outputs) out.push(`  output  ${v.name}  ${v.dtype} ${shapeText(v.shape)}`);
    for (const [k, n] of Object.entries(r.graph.subgraphs ?? {})) out.push(`  subgraph ${k}: ${n} nodes`);
    out.push('');
    const rows = r.layers.map((l, i) => [
      String(i),
      l.name,
      l.op,
      l.output ? shapeText(l.output.shape) : '',
      l.parameters ? int(l.parameters) : '',
      si(l.macs),
    ]);
    out.push(...table(['#', 'node', 'op', 'output shape', 'params', 'MACs'], rows, [0, 4, 5]));
    const modules = r.modules.filter((m) => m.depth >= 1 && m.depth <= 2 && m.parameters + m.macs > 0);
    if (modules.length) {
      out.push('', 'modules:');
      const mrows = modules.map((m) => [
        '  '.repeat(m.depth - 1) + m.path.split('.').at(-1),
        int(m.parameters),
        si(m.macs),
      ]);
      out.push(...table(['module', 'params', 'MACs'], mrows, [1, 2]));
    }
  } else {
    const rows = r.tensors.map((t) => [
      t.name,
      t.dtype,
      shapeText(t.shape),
      int(t.shape.reduce<number>((p, d) => p * (typeof d === 'number' ? d : 0), 1)),
    ]);
    out.push(...table(['tensor', 'dtype', 'shape', 'elements'], rows, [3]));
  }
  out.push('');
  const p = r.parameters;
  out.push(`parameters: ${int(p.elements)} in ${int(p.tensors)} tensors (${bytes(p.bytes)})`);
  if (r.flops) out.push(`compute: ${si(r.flops.macs)} MACs, ${si(r.flops.flops)} FLOPs per item`);
  for (const n of r.notes) out.push(`note: ${n}`);
  out.push('');
  if (!r.findings.length) out.push('findings: none');
  else {
    out.push(`findings (${r.findings.length}):`);
    for (const f of r.findings) out.push(`  ${f.severity.padEnd(7)} ${f.id}: ${f.message}`);
  }
  return out.join('\n') + '\n';
}
