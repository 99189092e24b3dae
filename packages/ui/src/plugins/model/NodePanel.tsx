/** The selected node: op, attributes, inputs and outputs with shapes, and each weight it reads. */
import { nodeMacs } from '@tensorscope/analysis/model';
import type { AttrValue, ValueInfo } from '@tensorscope/formats/model';
import { ActivationView } from './ActivationView';
import type { RunResult } from './runApi';
import type { ViewGraph } from './viewGraph';
import { WeightView } from './WeightView';

function shapeText(v: ValueInfo | undefined): string {
  if (!v) return '';
  const shape = v.shape ? `[${v.shape.map((d) => (d === null ? '?' : String(d))).join(', ')}]` : '';
  return `${v.type ?? v.dtype ?? ''} ${shape}`.trim();
}

function attrText(v: AttrValue): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) {
    const items = (v as (number | string)[]).slice(0, 16).map(String).join(', ');
    return `[${items}${v.length > 16 ? `, … ${v.length} in all` : ''}]`;
  }
  if (typeof v === 'object') {
    if ('tensor' in v) return `tensor ${v.tensor.dtype} [${v.tensor.shape.join(', ')}]`;
    if ('graph' in v) return `graph (${v.graph.nodes.length} nodes)`;
    if ('graphs' in v) return `${v.graphs.length} graphs`;
    if ('tensors' in v) return `${v.tensors.length} tensors`;
    if ('ref' in v) return `= @${v.ref}`;
  }
  const s = String(v);
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}

function valueRow(vg: ViewGraph, name: string, key: string) {
  const graph = vg.graph;
  const weight = vg.weights.get(name);
  const info = graph.values.get(name);
  return (
    <tr key={key}>
      <td className="mono" title={name}>
        {name || '(omitted)'}
      </td>
      <td className="mono">
        {weight ? `${weight.dtype} [${weight.shape.join(', ')}]` : shapeText(info)}
        {weight && <span className="chip">weight</span>}
      </td>
    </tr>
  );
}

export function NodePanel({
  vg,
  item,
  run,
  onClose,
}: {
  vg: ViewGraph;
  item: number;
  /** the last run of the model, whose activations the panel shows */
  run?: RunResult | null;
  onClose(): void;
}) {
  const graph = vg.graph;
  const nodeIndex = vg.node[item];
  const node = nodeIndex >= 0 ? graph.nodes[nodeIndex] : undefined;
  const kind = vg.kind[item];
  const macs = node ? nodeMacs(node, graph) : undefined;
  const weights = node ? [...new Set(node.inputs.filter((v) => v && vg.weights.has(v)))] : [];
  return (
    <aside className="model-panel" data-testid="node-panel" aria-label="Node details">
      <div className="model-panel-head">
        <div>
          <div className="model-panel-op" data-testid="node-op">
            {kind === 'op' ? vg.op[item] : kind}
          </div>
          <div className="mono muted model-panel-name" title={vg.name[item]}>
            {vg.name[item]}
          </div>
        </div>
        <button type="button" className="icon-button" aria-label="Close" onClick={onClose}>
          ×
        </button>
      </div>
      {kind === 'module' && (
        <p className="muted">
          {vg.leaves[item].toLocaleString('en')} operators. Click the box to open or close it.
        </p>
      )}
      {node && (
        <>
          {node.modulePath && node.modulePath.length > 0 && (
            <p className="muted">module {node.modulePath.join('.')}</p>
          )}
          {macs !== undefined && <p className="muted">{macs.toLocaleString('en')} multiply-accumulates</p>}
          {Object.keys(node.attributes).length > 0 && (
            <>
              <h4>Attributes</h4>
              <table className="data-table compact">
                <tbody>
                  {Object.entries(node.attributes).map(([k, v]) => (
                    <tr key={k}>
                      <th className="mono">{k}</th>
                      <td className="mono">{attrText(v)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </>
          )}
          <h4>Inputs</h4>
          <table className="data-table compact" data-testid="node-inputs">
            <tbody>{node.inputs.map((v, i) => valueRow(vg, v, `i${i}`))}</tbody>
          </table>
          <h4>Outputs</h4>
          <table className="data-table compact" data-testid="node-outputs">
            <tbody>{node.outputs.map((v, i) => valueRow(vg, v, `o${i}`))}</tbody>
          </table>
          {run && <h4>Activations (run {run.run})</h4>}
          {run &&
            node.outputs
              .filter((v) => v && run.tensors[v])
              .map((v) => <ActivationView key={v} name={v} tensor={run.tensors[v]} run={run} />)}
          {run && !node.outputs.some((v) => v && run.tensors[v]) && (
            <p className="muted">The run captured no output of this node.</p>
          )}
          {weights.length > 0 && <h4>Weights</h4>}
          {weights.map((w) => (
            <WeightView key={w} tensor={vg.weights.get(w)!} />
          ))}
        </>
      )}
      {(kind === 'input' || kind === 'output') && (
        <p className="mono">{shapeText(graph.values.get(vg.name[item]) ?? { name: vg.name[item] })}</p>
      )}
    </aside>
  );
}
