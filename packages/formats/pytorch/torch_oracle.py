"""Test oracle: real PyTorch reads the given .pt files and prints every tensor as JSON.

Names follow tensorscope's dotted paths (dict keys and list indices joined by '.').
torch.load runs with weights_only=True; if torch 1.13's checker rejects a file whose pickle names only
safe globals (it does for some OrderedDict memo patterns), the file is loaded fully after that check.
"""
import json
import pickletools
import sys
import zipfile

import torch

SAFE = {
    "collections OrderedDict",
    "torch._utils _rebuild_tensor_v2",
    "torch._utils _rebuild_parameter",
} | {f"torch {s}Storage" for s in "Float Double Half BFloat16 Long Int Short Char Byte Bool".split()}


def safe_globals(path):
    with zipfile.ZipFile(path) as z:
        data = z.read(next(n for n in z.namelist() if n.endswith("/data.pkl")))
    for op, arg, _ in pickletools.genops(data):
        if op.name in ("GLOBAL", "STACK_GLOBAL", "INST") and arg not in SAFE:
            return False
    return True


def load(path):
    try:
        return torch.load(path, weights_only=True, map_location="cpu")
    except Exception:
        if zipfile.is_zipfile(path) and safe_globals(path):
            return torch.load(path, weights_only=False, map_location="cpu")
        raise


def number(x):
    if isinstance(x, float) and (x != x or x in (float("inf"), float("-inf"))):
        return str(x)
    return x


def dump(t):
    dtype = str(t.dtype).replace("torch.", "")
    flat = t.detach().reshape(-1)
    if dtype in ("float16", "bfloat16"):
        flat = flat.float()
    if dtype == "int64":
        values = [str(v) for v in flat.tolist()]
    elif dtype == "bool":
        values = [1 if v else 0 for v in flat.tolist()]
    else:
        values = [number(v) for v in flat.tolist()]
    return {"dtype": dtype, "shape": list(t.shape), "values": values}


def walk(obj, path, out):
    if isinstance(obj, torch.Tensor):
        out[".".join(path) or "tensor"] = dump(obj)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            walk(v, path + [str(k)], out)
    elif isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            walk(v, path + [str(i)], out)


result = {}
for path in sys.argv[1:]:
    out = {}
    walk(load(path), [], out)
    result[path] = out
print(json.dumps(result))
