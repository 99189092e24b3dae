/**
 * Real models for the graph view's tests and benchmark, exported to ONNX by PyTorch (Debian's torch
 * 1.13 at /usr/bin/python3) at run time, untrained (no weight downloads).
 */
import { execFileSync } from 'node:child_process';
import type { Graph, GraphNode, ValueInfo } from '@tensorscope/formats/model';

const SCRIPT = `
import sys, torch, torch.nn as nn, torchvision
torch.manual_seed(0)
kind, out = sys.argv[1], sys.argv[2]
if kind == 'resnet18':
    m, x = torchvision.models.resnet18(weights=None), torch.randn(1, 3, 224, 224)
else:
    layers = int(kind.split(':')[1])
    layer = nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, batch_first=True)
    m = nn.Sequential(nn.TransformerEncoder(layer, num_layers=layers, enable_nested_tensor=False))
    x = torch.randn(1, 8, 32)
m.eval()
torch.onnx.export(m, x, out, opset_version=13, do_constant_folding=True)
`;

/** `resnet18`, or `transformer:L` (an L-layer nn.TransformerEncoder, about 75 ONNX nodes per layer). */
export function exportTorchModel(kind: string, out: string): string {
  execFileSync('/usr/bin/python3', ['-c', SCRIPT, kind, out], {
    stdio: ['ignore', 'ignore', 'pipe'],
    timeout: 600_000,
  });
  return out;
}

/**
 * `copies` copies of a graph joined end to end (each copy's first output feeds the next copy's first
 * input), under modules `stack.0`, `stack.1`, ...: a deep network from a real exported one, for sizes
 * that PyTorch 1.13's exporter would take many minutes to write (its time grows with the square of the
 * node count: 10 transformer layers take 6 s, 40 take 96 s).
 */
export function stackGraph(graph: Graph, copies: number): Graph {
  const input = graph.inputs.find((v) => !graph.initializers.has(v.name))!.name;
  const output = graph.outputs[0].name;
  const nodes: GraphNode[] = [];
  const values = new Map<string, ValueInfo>();
  for (let k = 0; k < copies; k++) {
    const rename = (v: string) =>
      !v || graph.initializers.has(v) ? v : v === input && k > 0 ? `s${k - 1}:${output}` : `s${k}:${v}`;
    for (const n of graph.nodes) {
      nodes.push({
        ...n,
        id: `s${k}:${n.id}`,
        name: n.name.startsWith('/') ? `/stack.${k}${n.name}` : `stack.${k}/${n.name}`,
        inputs: n.inputs.map(rename),
        outputs: n.outputs.map(rename),
        modulePath: undefined,
      });
    }
    for (const [name, info] of graph.values) values.set(rename(name), { ...info, name: rename(name) });
  }
  const first = (v: ValueInfo) => ({ ...v, name: `s0:${v.name}` });
  return {
    ...graph,
    nodes,
    values,
    inputs: graph.inputs.filter((v) => v.name === input).map(first),
    outputs: [{ ...graph.outputs[0], name: `s${copies - 1}:${output}` }],
  };
}
