"""Models and reference values for the runtime tests, made with Debian's PyTorch (no downloads).

usage: export_models.py OUTDIR
Writes OUTDIR/resnet18.onnx (torchvision, random init; stem BatchNorm channels 0, 5, 9 made dead),
OUTDIR/input.npy, OUTDIR/encoder.onnx (a 2-layer transformer encoder), OUTDIR/linear.onnx, OUTDIR/nan.onnx (NaN first made by node "sqrt"), OUTDIR/image.png with
OUTDIR/image_imagenet.npy (torch's bilinear resize to 224x224 + ImageNet normalization), and prints
the statistics of every module output seen by forward hooks, keyed by the ONNX node that computes it.
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
import torchvision
from onnx import TensorProto, helper
from PIL import Image

out = sys.argv[1]
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None).eval()
with torch.no_grad():
    model.bn1.bias[[0, 5, 9]] = -1e3  # these channels are zero after the stem ReLU for any input
x = torch.randn(1, 3, 224, 224)
np.save(os.path.join(out, "input.npy"), x.numpy())


def scope(path):
    """torch.onnx scope of a module path: layer1.0.conv1 -> /layer1/layer1.0/conv1"""
    parts, prev = [], None
    for p in path.split("."):
        parts.append(f"{prev}.{p}" if p.isdigit() else p)
        prev = p if not p.isdigit() else f"{prev}.{p}"
    return "/" + "/".join(parts)


def onnx_node(path, module, call):
    if isinstance(module, torch.nn.BatchNorm2d):  # folded into the preceding Conv
        if path.endswith("downsample.1"):
            return scope(path[:-1] + "0") + "/Conv"
        head, _, last = path.rpartition(".")
        return scope((head + "." if head else "") + last.replace("bn", "conv")) + "/Conv"
    if isinstance(module, torch.nn.ReLU):
        return scope(path) + ("_1" if call else "") + "/Relu"
    if isinstance(module, torch.nn.MaxPool2d):
        return scope(path) + "/MaxPool"
    if isinstance(module, torch.nn.AdaptiveAvgPool2d):
        return scope(path) + "/GlobalAveragePool"
    if isinstance(module, torch.nn.Linear):
        return scope(path) + "/Gemm"
    return None


def stats(t):
    a = t.detach().numpy().astype(np.float64)
    s = {"shape": list(a.shape), "mean": a.mean(), "std": a.std(), "min": a.min(), "max": a.max(),
         "zeros": float((a == 0).mean()), "nan": int(np.isnan(a).sum()), "inf": int(np.isinf(a).sum())}
    if a.ndim == 4:
        s["dead_channels"] = [int(c) for c in np.nonzero(np.all(a == 0, axis=(0, 2, 3)))[0]]
    return {k: (float(v) if isinstance(v, np.floating) else v) for k, v in s.items()}


calls, hooked = {}, {}


def hook(path):
    def f(module, inputs, output):
        call = calls.get(path, 0)
        calls[path] = call + 1
        node = onnx_node(path, module, call)
        if node:
            hooked[node] = stats(output)
    return f


handles = [m.register_forward_hook(hook(path)) for path, m in model.named_modules()
           if path and not list(m.children())]
with torch.no_grad():
    model(x)
for h in handles:
    h.remove()
torch.onnx.export(model, x, os.path.join(out, "resnet18.onnx"), opset_version=13)

# a model that first makes NaN at node "sqrt": sqrt(x @ W + b - 10) for values below 10
W = helper.make_tensor("W", TensorProto.FLOAT, [4, 3], np.full(12, 0.5, np.float32))
b = helper.make_tensor("b", TensorProto.FLOAT, [3], np.array([1, 2, 3], np.float32))
ten = helper.make_tensor("ten", TensorProto.FLOAT, [], [10.0])
nodes = [
    helper.make_node("MatMul", ["X", "W"], ["mm"], name="matmul"),
    helper.make_node("Add", ["mm", "b"], ["biased"], name="bias"),
    helper.make_node("Sub", ["biased", "ten"], ["shifted"], name="shift"),
    helper.make_node("Sqrt", ["shifted"], ["root"], name="sqrt"),
    helper.make_node("Relu", ["root"], ["act"], name="relu"),
    helper.make_node("Mul", ["act", "mm"], ["Y"], name="scale"),
]
graph = helper.make_graph(nodes, "nan", [helper.make_tensor_value_info("X", TensorProto.FLOAT, [2, 4])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, [2, 3])], [W, b, ten])
onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(out, "nan.onnx"))

# a transformer encoder: 2 layers of 4-head self-attention over 10 tokens
torch.manual_seed(0)
layer = torch.nn.TransformerEncoderLayer(d_model=32, nhead=4, dim_feedforward=64, dropout=0.0)
encoder = torch.nn.TransformerEncoder(layer, num_layers=2).eval()
torch.onnx.export(encoder, torch.randn(10, 1, 32), os.path.join(out, "encoder.onnx"), opset_version=13)

# an image and torch's preprocessing of it
rng = np.random.default_rng(0)
pixels = rng.integers(0, 256, (50, 70, 3), dtype=np.uint8)
Image.fromarray(pixels).save(os.path.join(out, "image.png"))
img = torch.from_numpy(np.asarray(Image.open(os.path.join(out, "image.png")), np.float32)).permute(2, 0, 1)[None]
img = torch.nn.functional.interpolate(img / 255, size=(224, 224), mode="bilinear", align_corners=False)
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
np.save(os.path.join(out, "image_imagenet.npy"), ((img - mean) / std).numpy())

# Grad-CAM at layer4 for the top class, as the Grad-CAM paper and pytorch-grad-cam compute it
acts = {}


def keep_layer4(module, inputs, output):
    acts["a"] = output
    output.register_hook(lambda g: acts.__setitem__("g", g))


h = model.layer4.register_forward_hook(keep_layer4)
scores = model(x)
h.remove()
top = int(scores[0].argmax())
scores[0, top].backward()
weights = acts["g"].mean(dim=(2, 3), keepdim=True)
cam = torch.relu((weights * acts["a"]).sum(dim=1))[0]

# a linear model over a [1, 2, 3, 3] input: saliency is |W| and integrated gradients x * W, exactly
lin_w = (np.arange(18 * 4, dtype=np.float32).reshape(18, 4) % 7 - 3) / 4
lin = helper.make_graph(
    [helper.make_node("Flatten", ["x"], ["flat"], name="flatten"),
     helper.make_node("Gemm", ["flat", "W"], ["y"], name="fc")], "linear",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2, 3, 3])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])],
    [helper.make_tensor("W", TensorProto.FLOAT, [18, 4], lin_w.flatten())])
onnx.save(helper.make_model(lin, opset_imports=[helper.make_opsetid("", 13)]), os.path.join(out, "linear.onnx"))

json.dump({"hooks": hooked, "gradcam": {"class": top, "map": cam.detach().numpy().tolist()},
           "linear_w": lin_w.tolist()}, sys.stdout)
