"""Training loop shared by the PyTorch runs of the doctor's suite: trains, logs like practitioners do, labels."""

import json
import math
import os
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from tbwriter import SummaryWriter

torch.set_num_threads(1)

# Tag-naming styles seen in the wild: (PyTorch tutorials, Lightning, Keras-like, tensorscope's SDK).
STYLES = {
    "slash": dict(loss="train/loss", val_loss="val/loss", acc="train/acc", val_acc="val/acc", lr="lr",
                  weight="{p}", grad="{p}.grad", act="activations/{m}", input="input/x"),
    "capital": dict(loss="Loss/train", val_loss="Loss/val", acc="Accuracy/train", val_acc="Accuracy/val",
                    lr="learning_rate", weight="weights/{p}", grad="grads/{p}", grad_norm="grad_norm/{p}"),
    "keras": dict(loss="loss", val_loss="val_loss", acc="acc", val_acc="val_acc", lr="epoch_lr",
                  weight="{p}", grad="gradients/{p}", act="activations/{m}"),
    "lightning": dict(loss="train_loss", val_loss="val_loss", acc="train_acc", val_acc="val_acc", lr="lr-Adam",
                      weight="{p}", grad="grad/{p}"),
    "sdk": dict(loss="loss/train", val_loss="loss/validation", acc="accuracy/train", val_acc="accuracy/validation",
                lr="learning_rate", grad_norm="grad_norm/{p}", update_ratio="update_ratio/{p}",
                act_zero_frac="act_zero_frac/{m}", act_mean="act_mean/{m}", act_std="act_std/{m}",
                input_stats="input/{s}"),
}


@dataclass
class Data:
    x: torch.Tensor
    y: torch.Tensor
    xv: torch.Tensor
    yv: torch.Tensor
    xt: torch.Tensor  # large held-out set: the ground truth for the overfitting onset
    yt: torch.Tensor
    classify: bool = True


def teacher_data(seed=0, d=16, classes=4, n=2048, nv=512, nt=4096, scale=1.0, shift=0.0) -> Data:
    g = torch.Generator().manual_seed(seed)
    w1 = torch.randn(d, 32, generator=g)
    w2 = torch.randn(32, classes, generator=g)

    def make(m):
        x = torch.randn(m, d, generator=g)
        return x * scale + shift, (torch.tanh(x @ w1 / math.sqrt(d)) @ w2).argmax(1)

    (x, y), (xv, yv), (xt, yt) = make(n), make(nv), make(nt)
    return Data(x, y, xv, yv, xt, yt)


def regression_data(seed=0, d=8, n=2048, nv=512, nt=4096) -> Data:
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(d, 2, generator=g)

    def make(m):
        x = torch.randn(m, d, generator=g)
        z = x @ w / math.sqrt(d)
        return x, (torch.sin(2 * z[:, :1]) + 0.5 * torch.cos(z[:, 1:]) + 0.05 * torch.randn(m, 1, generator=g))

    (x, y), (xv, yv), (xt, yt) = make(n), make(nv), make(nt)
    return Data(x, y, xv, yv, xt, yt, classify=False)


def image_data(seed=0, n=2048, nv=512, nt=2048, size=12, scale=1.0) -> Data:
    """4 classes of 1xSxS images: horizontal bar, vertical bar, diagonal, square, at random places, noisy."""
    g = torch.Generator().manual_seed(seed)

    def make(m):
        y = torch.randint(0, 4, (m,), generator=g)
        img = 0.3 * torch.randn(m, 1, size, size, generator=g)
        pos = torch.randint(2, size - 3, (m, 2), generator=g)
        for i in range(m):
            r, c = int(pos[i, 0]), int(pos[i, 1])
            k = int(y[i])
            if k == 0:
                img[i, 0, r, c - 2 : c + 3] += 1.5
            elif k == 1:
                img[i, 0, r - 2 : r + 3, c] += 1.5
            elif k == 2:
                for t in range(-2, 3):
                    img[i, 0, r + t, c + t] += 1.5
            else:
                img[i, 0, r - 1 : r + 2, c - 1 : c + 2] += 1.0
        return img * scale, y

    (x, y), (xv, yv), (xt, yt) = make(n), make(nv), make(nt)
    return Data(x, y, xv, yv, xt, yt)


def mlp(sizes, act=nn.ReLU, bn=False, last_act=False):
    layers = []
    for i in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[i], sizes[i + 1]))
        if i < len(sizes) - 2 or last_act:
            if bn:
                layers.append(nn.BatchNorm1d(sizes[i + 1]))
            layers.append(act())
    return nn.Sequential(*layers)


class SmallCNN(nn.Module):
    def __init__(self, act=nn.ReLU, width=8):
        super().__init__()
        self.conv1 = nn.Conv2d(1, width, 3, padding=1)
        self.act1 = act()
        self.conv2 = nn.Conv2d(width, 2 * width, 3, padding=1)
        self.act2 = act()
        self.fc = nn.Linear(2 * width * 3 * 3, 4)

    def forward(self, x):
        x = F.max_pool2d(self.act1(self.conv1(x)), 2)
        x = F.max_pool2d(self.act2(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


@dataclass
class Spec:
    name: str
    data: Data
    model: nn.Module
    opt: torch.optim.Optimizer
    style: str
    steps: int = 400
    batch: int = 64
    lr_at: Optional[Callable[[int], float]] = None  # lr multiplier by step (schedules and schedule bugs)
    before_step: Optional[Callable[[int, nn.Module, torch.Tensor], torch.Tensor]] = None  # may alter the batch
    after_step: Optional[Callable[[int, nn.Module], None]] = None
    loss_fn: Optional[Callable] = None
    loss_at: Optional[Callable[[int], Callable]] = None  # the loss function by step (loss bugs)
    clip: Optional[float] = None
    hist_every: int = 20
    val_every: int = 20
    log_input: bool = False
    problems: list = field(default_factory=list)  # [(id, onset step)]; onset None = measured, see below
    allowed: list = field(default_factory=list)  # true consequences of the labeled problems (not false positives)
    stop_after_nan: int = 15
    bins: str = "tensorflow"
    seed: int = 0


def _param_names(model):
    return [(n, p) for n, p in model.named_parameters() if p.requires_grad]


def train(spec: Spec, outdir: str) -> None:
    torch.manual_seed(spec.seed)
    style = STYLES[spec.style]
    w = SummaryWriter(os.path.join(outdir, spec.name), bins=spec.bins)
    model, opt, d = spec.model, spec.opt, spec.data
    base_lrs = [g["lr"] for g in opt.param_groups]
    acts: dict = {}
    kinds: dict = {}
    capture = {"on": False}
    for mname, m in model.named_modules():
        if isinstance(m, (nn.ReLU, nn.Tanh, nn.Sigmoid, nn.LeakyReLU)):
            kinds[mname] = "tanh" if isinstance(m, nn.Tanh) else "sigmoid" if isinstance(m, nn.Sigmoid) else "relu"
            def hook(_m, _i, out, mname=mname):
                if capture["on"]:
                    acts[mname] = out.detach()
            m.register_forward_hook(hook)
    loss_fn = spec.loss_fn or (F.cross_entropy if d.classify else F.mse_loss)
    g = torch.Generator().manual_seed(spec.seed + 1)
    first_nan = None
    truth = []  # (step, held-out loss) for the overfitting onset
    n = d.x.shape[0]
    for step in range(spec.steps):
        mult = spec.lr_at(step) if spec.lr_at else 1.0
        for grp, base in zip(opt.param_groups, base_lrs):
            grp["lr"] = base * mult
        idx = torch.randint(0, n, (spec.batch,), generator=g)
        xb, yb = d.x[idx], d.y[idx]
        if spec.before_step:
            xb = spec.before_step(step, model, xb)
        log_hist = step % spec.hist_every == 0
        capture["on"] = log_hist
        model.train()
        out = model(xb)
        capture["on"] = False
        loss = (spec.loss_at(step) if spec.loss_at else loss_fn)(out, yb)
        opt.zero_grad()
        loss.backward()
        params = _param_names(model)
        before = {name: p.detach().clone() for name, p in params} if log_hist and "update_ratio" in style else None
        if log_hist:
            for name, p in params:
                if "weight" in style:
                    w.add_histogram(style["weight"].format(p=name), p, step)
                if "grad" in style and p.grad is not None:
                    w.add_histogram(style["grad"].format(p=name), p.grad, step)
                if "grad_norm" in style and p.grad is not None:
                    w.add_scalar(style["grad_norm"].format(p=name), p.grad.norm().item(), step)
            for mname, a in acts.items():
                if "act" in style:
                    w.add_histogram(style["act"].format(m=mname), a, step)
                if "act_zero_frac" in style:
                    w.add_scalar(style["act_zero_frac"].format(m=mname), (a == 0).float().mean().item(), step)
                    if kinds[mname] == "tanh":  # as tensorscope's Python SDK: within 3% of the bounds
                        w.add_scalar(f"act_saturated_frac/{mname}", (a.abs() > 0.97).float().mean().item(), step)
                    elif kinds[mname] == "sigmoid":
                        w.add_scalar(f"act_saturated_frac/{mname}", ((2 * a - 1).abs() > 0.97).float().mean().item(), step)
                    w.add_scalar(style["act_mean"].format(m=mname), a.mean().item(), step)
                    w.add_scalar(style["act_std"].format(m=mname), a.std().item(), step)
            if spec.log_input:
                if "input" in style:
                    w.add_histogram(style["input"], xb, step)
                if "input_stats" in style:
                    for s, v in (("mean", xb.mean()), ("std", xb.std()), ("min", xb.min()), ("max", xb.max())):
                        w.add_scalar(style["input_stats"].format(s=s), v.item(), step)
        if spec.clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), spec.clip)
        opt.step()
        if spec.after_step:
            spec.after_step(step, model)
        if before is not None:
            for name, p in params:
                ratio = (p.detach() - before[name]).norm() / (before[name].norm() + 1e-12)
                w.add_scalar(style["update_ratio"].format(p=name), ratio.item(), step)
        lv = loss.item()
        w.add_scalar(style["loss"], lv, step)
        if d.classify:
            w.add_scalar(style["acc"], (out.argmax(1) == yb).float().mean().item(), step)
        if "lr" in style:
            w.add_scalar(style["lr"], opt.param_groups[0]["lr"], step)
        if (step + 1) % spec.val_every == 0 or step == spec.steps - 1:
            model.eval()
            with torch.no_grad():
                ov = model(d.xv)
                w.add_scalar(style["val_loss"], loss_fn(ov, d.yv).item(), step)
                if d.classify:
                    w.add_scalar(style["val_acc"], (ov.argmax(1) == d.yv).float().mean().item(), step)
                truth.append((step, loss_fn(model(d.xt), d.yt).item()))
        if not math.isfinite(lv):
            first_nan = step if first_nan is None else first_nan
            if step - first_nan >= spec.stop_after_nan:
                break
    w.close()
    problems = []
    for pid, onset in spec.problems:
        if onset == "nan":
            onset = first_nan if first_nan is not None else 0
        elif onset == "val_min":  # where the held-out loss starts rising: its minimum
            onset = min(truth, key=lambda t: t[1])[0]
        problems.append({"id": pid, "onset": onset})
    label = {"framework": "pytorch", "steps": step + 1, "problems": problems, "allowed": spec.allowed}
    with open(os.path.join(outdir, spec.name, "label.json"), "w") as f:
        json.dump(label, f)
