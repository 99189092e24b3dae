"""Independent facts about ONNX files from the onnx Python package (Debian python3-onnx), as JSON.

usage: facts.py FILE... ; .onnx files give model facts, .pb files give tensor facts.
Sums are float64 over numpy_helper.to_array, so the TypeScript reader can be checked value by value.
"""
import json
import sys

import numpy as np
import onnx
from onnx import numpy_helper, shape_inference


def tensor_facts(t):
    out = {"name": t.name, "data_type": t.data_type, "dims": list(t.dims)}
    try:
        a = numpy_helper.to_array(t)
    except Exception as e:  # dtypes this onnx version cannot convert
        out["error"] = str(e)
        return out
    if a.dtype.kind in "OSU":
        out["strings"] = [x.decode() if isinstance(x, bytes) else str(x) for x in a.reshape(-1)]
        return out
    if a.dtype.kind == "c":
        a = np.stack([a.real, a.imag], axis=-1)
    f = a.astype(np.float64).reshape(-1)
    finite = f[np.isfinite(f)]
    out.update(count=int(f.size), sum=float(finite.sum()), abs_sum=float(np.abs(finite).sum()),
               nan=int(np.isnan(f).sum()), inf=int(np.isinf(f).sum()),
               first=[float(x) for x in f[:4]])
    return out


def dims_of(vi):
    t = vi.type
    if not t.HasField("tensor_type") or not t.tensor_type.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in t.tensor_type.shape.dim]


def count_nodes(g):
    n = len(g.node)
    for node in g.node:
        for a in node.attribute:
            if a.type == onnx.AttributeProto.GRAPH:
                n += count_nodes(a.g)
            for sub in a.graphs:
                n += count_nodes(sub)
    return n


def model_facts(path):
    m = onnx.load(path, load_external_data=False)
    g = m.graph
    ops = {}
    for n in g.node:
        ops[n.op_type] = ops.get(n.op_type, 0) + 1
    facts = {
        "ir_version": m.ir_version,
        "opset": {o.domain: o.version for o in m.opset_import},
        "producer": (m.producer_name + " " + m.producer_version).strip(),
        "nodes": len(g.node),
        "all_nodes": count_nodes(g),
        "op_types": ops,
        "node_names": [n.name for n in g.node],
        "attributes": sum(len(n.attribute) for n in g.node),
        "inputs": [i.name for i in g.input],
        "outputs": [o.name for o in g.output],
        "value_info": {vi.name: dims_of(vi) for vi in g.value_info},
        "functions": len(m.functions),
        "initializers": [],
        "constants": [],
    }
    external = any(t.data_location == onnx.TensorProto.EXTERNAL for t in g.initializer)
    if external:
        onnx.load_external_data_for_model(m, __import__("os").path.dirname(path))
    facts["initializers"] = [tensor_facts(t) for t in g.initializer]
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                facts["constants"].append(dict(tensor_facts(a.t), node=n.name, output=n.output[0] if n.output else ""))
    try:
        inferred = shape_inference.infer_shapes(m)
        facts["inferred"] = {vi.name: dims_of(vi) for vi in inferred.graph.value_info}
    except Exception as e:
        facts["inferred_error"] = str(e)
    return facts


def pb_facts(path):
    data = open(path, "rb").read()
    t = onnx.TensorProto()
    t.ParseFromString(data)
    # a SequenceProto parses as a TensorProto too (elem_type looks like data_type, tensor_values like
    # segment): real tensors never carry a segment, so a segment means a sequence
    if t.data_type and not t.HasField("segment"):
        return {"kind": "tensor", "tensor": tensor_facts(t)}
    s = onnx.SequenceProto()
    s.ParseFromString(data)
    return {"kind": "sequence", "tensors": [tensor_facts(x) for x in s.tensor_values]}


out = {}
for p in sys.argv[1:]:
    try:
        out[p] = model_facts(p) if p.endswith(".onnx") else pb_facts(p)
    except Exception as e:
        out[p] = {"error": str(e)}
json.dump(out, sys.stdout)
