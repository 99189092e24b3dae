"""Exports torchvision resnet18 and mobilenet_v2 (random init, no download) to ONNX with Debian's PyTorch
and prints facts computed by PyTorch itself.

usage: export_torchvision.py OUTDIR
Writes OUTDIR/resnet18.onnx, OUTDIR/ext/resnet18.onnx + resnet18.data (external data), OUTDIR/broken.onnx
(damaged weights), OUTDIR/mobilenet_v2.onnx, OUTDIR/input.bin, and activations as float32 .bin files.
"""
import json
import os
import sys

import numpy as np
import torch
import torchvision

out = sys.argv[1]
torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None).eval()
x = torch.randn(1, 3, 224, 224)

macs = 0
captured = {}


def count(module, inputs, output):
    global macs
    if isinstance(module, torch.nn.Conv2d):
        kh, kw = module.kernel_size
        macs += output.numel() * (module.in_channels // module.groups) * kh * kw
    elif isinstance(module, torch.nn.Linear):
        macs += output.numel() * module.in_features


hooks = [m.register_forward_hook(count) for m in model.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
hooks.append(model.bn1.register_forward_hook(lambda m, i, o: captured.__setitem__("bn1", o.clone())))
hooks.append(model.layer1.register_forward_hook(lambda m, i, o: captured.__setitem__("layer1", o.clone())))
with torch.no_grad():
    y = model(x)
for h in hooks:
    h.remove()
resnet_macs = macs
x.numpy().astype(np.float32).tofile(os.path.join(out, "input.bin"))
y.numpy().astype(np.float32).tofile(os.path.join(out, "output.bin"))
for k, v in captured.items():
    v.numpy().astype(np.float32).tofile(os.path.join(out, k + ".bin"))

path = os.path.join(out, "resnet18.onnx")
torch.onnx.export(model, x, path, opset_version=13)

import onnx  # noqa: E402

m = onnx.load(path)
os.makedirs(os.path.join(out, "ext"), exist_ok=True)
onnx.save_model(m, os.path.join(out, "ext", "resnet18.onnx"), save_as_external_data=True,
                all_tensors_to_one_file=True, location="resnet18.data", size_threshold=1024)

# a damaged copy for the weight findings: each change is one rule's case
from onnx import numpy_helper  # noqa: E402

m = onnx.load(path)  # save_model above moved the data of m out to the external file

convs = [t for t in m.graph.initializer if len(t.dims) == 4]
fc = [t for t in m.graph.initializer if len(t.dims) == 2][0]
damage = {}


def patch(t, f):
    a = numpy_helper.to_array(t).copy()
    f(a)
    t.CopyFrom(numpy_helper.from_array(a, t.name))


patch(convs[0], lambda a: (a.reshape(-1).__setitem__(slice(0, 5), np.nan), a.reshape(-1).__setitem__(slice(5, 7), np.inf)))
damage["nan_inf"] = convs[0].name
patch(convs[1], lambda a: a.__setitem__([0, 5, 9], 0))
damage["dead_filters"] = convs[1].name
patch(convs[2], lambda a: a.__imul__(100))
damage["too_large"] = convs[2].name
patch(convs[3], lambda a: a.__imul__(0.001))
damage["too_small"] = convs[3].name
patch(convs[4], lambda a: a.reshape(-1).__setitem__(0, 1e5))
damage["extreme"] = convs[4].name
patch(fc, lambda a: a.__imul__(0))
damage["zeros"] = fc.name
onnx.save_model(m, os.path.join(out, "broken.onnx"))
m = onnx.load(path)

bns = [mod for mod in model.modules() if isinstance(mod, torch.nn.BatchNorm2d)]
readers = {}
for n in m.graph.node:
    for i in n.input:
        readers[i] = readers.get(i, 0) + 1
inits = {t.name for t in m.graph.initializer}
# mobilenet_v2: depthwise (grouped) convolutions and ReLU6 (Clip)
macs = 0
mobilenet = torchvision.models.mobilenet_v2(weights=None).eval()
hooks = [m.register_forward_hook(count) for m in mobilenet.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.Linear))]
with torch.no_grad():
    mobilenet(x)
for h in hooks:
    h.remove()
mobilenet_macs = macs
torch.onnx.export(mobilenet, x, os.path.join(out, "mobilenet_v2.onnx"), opset_version=13)
mobilenet_bns = [mod for mod in mobilenet.modules() if isinstance(mod, torch.nn.BatchNorm2d)]

json.dump({
    "mobilenet_v2": {
        "parameters": sum(p.numel() for p in mobilenet.parameters()),
        "batchnorm_channels": sum(b.num_features for b in mobilenet_bns),
        "grouped_convs": sum(1 for m in mobilenet.modules() if isinstance(m, torch.nn.Conv2d) and m.groups > 1),
        "macs": mobilenet_macs,
    },
    "torch": torch.__version__,
    "parameters": sum(p.numel() for p in model.parameters()),
    "batchnorm_layers": len(bns),
    "batchnorm_channels": sum(b.num_features for b in bns),
    "macs": resnet_macs,
    "damage": damage,
    "shared_initializers": sum(1 for name, n in readers.items() if name in inits and n > 1),
}, sys.stdout)
