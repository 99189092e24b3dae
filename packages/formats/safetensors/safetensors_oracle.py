"""Test oracle: an independent safetensors read with json + numpy, printing every tensor as JSON."""
import json
import struct
import sys

import numpy as np

DTYPES = {"BOOL": "?", "U8": "u1", "I8": "i1", "U16": "<u2", "I16": "<i2", "U32": "<u4", "I32": "<i4",
          "U64": "<u8", "I64": "<i8", "F16": "<f2", "F32": "<f4", "F64": "<f8"}


def number(x):
    if isinstance(x, float) and not np.isfinite(x):
        return "nan" if x != x else ("inf" if x > 0 else "-inf")
    return x


result = {}
for path in sys.argv[1:]:
    raw = open(path, "rb").read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    tensors = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        a = np.frombuffer(raw[8 + n + begin:8 + n + end], dtype=DTYPES[e["dtype"]])
        if e["dtype"] in ("I64", "U64"):
            values = [str(int(v)) for v in a]
        elif e["dtype"] == "BOOL":
            values = [int(v) for v in a]
        else:
            values = [number(v.item()) for v in a.astype(np.float64) if True] if a.dtype.kind == "f" else [int(v) for v in a]
        tensors[name] = {"dtype": e["dtype"], "shape": e["shape"], "values": values}
    result[path] = {"metadata": header.get("__metadata__", {}), "tensors": tensors}
print(json.dumps(result))
