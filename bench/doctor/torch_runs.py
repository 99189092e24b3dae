"""The PyTorch runs of the doctor's evaluation suite.

usage: /usr/bin/python3 bench/doctor/torch_runs.py OUTDIR [NAME ...]
Each run is a real training run of a small model, logged the way practitioners log (varied tag styles),
with a label.json naming its problems and their onset steps (by construction: the step a cause was
introduced; or measured: the first non-finite loss, the minimum of a large held-out set's loss).
"""

import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from harness import SmallCNN, Spec, image_data, mlp, regression_data, teacher_data, train

T = teacher_data(0)
R = regression_data(1)
IMG = image_data(2)
SMALL = teacher_data(3, n=64)  # too few examples for the model: it memorizes them
BIG_X = teacher_data(4, scale=60.0, shift=100.0)  # features in raw units, never standardized


def step_at(k, factor):
    return lambda s: factor if s >= k else 1.0


def seeded(seed, build):
    torch.manual_seed(seed)
    return build()


def init_(model, fn):
    for m in model.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            fn(m)
    return model


def specs():
    out = []

    def add(name, model, opt, **kw):
        out.append(Spec(name=name, model=model, opt=opt(model.parameters()), **kw))

    # ---- healthy runs ----
    m = seeded(10, lambda: mlp([16, 64, 64, 4]))
    add("healthy_mlp_adam", m, lambda p: torch.optim.Adam(p, 1e-3), data=T, style="slash")
    m = seeded(11, lambda: mlp([16, 128, 4]))
    add("healthy_mlp_sgd_stepdecay", m, lambda p: torch.optim.SGD(p, 0.05, momentum=0.9), data=T,
        style="capital", lr_at=lambda s: 0.1 if s >= 250 else 1.0)
    m = seeded(12, SmallCNN)
    add("healthy_cnn_warmup_cosine", m, lambda p: torch.optim.AdamW(p, 3e-3), data=IMG, style="keras",
        lr_at=lambda s: (s + 1) / 60 if s < 60 else 0.5 * (1 + torch.cos(torch.tensor((s - 60) / 340 * 3.14159)).item()))
    m = seeded(13, lambda: mlp([16, 64, 64, 4], act=nn.Tanh))
    add("healthy_tanh_rmsprop", m, lambda p: torch.optim.RMSprop(p, 1e-3), data=T, style="lightning")
    m = seeded(14, lambda: mlp([16, 64, 4]))
    add("healthy_small_batch_noisy", m, lambda p: torch.optim.SGD(p, 0.02), data=T, style="slash", batch=4, steps=600)
    m = seeded(15, lambda: mlp([16, 64, 64, 4]))
    add("healthy_benign_spike", m, lambda p: torch.optim.Adam(p, 1e-3), data=T, style="capital",
        before_step=lambda s, _m, x: x * 30.0 if s == 180 else x)
    m = seeded(16, lambda: mlp([16, 64, 64, 64, 64, 4], bn=True))
    add("healthy_bn_deep_onecycle", m, lambda p: torch.optim.SGD(p, 0.1, momentum=0.9), data=T, style="sdk",
        lr_at=lambda s: 0.1 + 0.9 * s / 120 if s < 120 else max(0.01, 1 - (s - 120) / 280), log_input=True)
    m = seeded(17, lambda: mlp([8, 64, 64, 1]))
    add("healthy_regression_expdecay", m, lambda p: torch.optim.Adam(p, 3e-3), data=R, style="lightning",
        lr_at=lambda s: 0.995**s)
    m = seeded(18, lambda: mlp([16, 32, 4], act=nn.Sigmoid))
    add("healthy_sigmoid_shallow", m, lambda p: torch.optim.Adam(p, 1e-2), data=T, style="keras")
    m = seeded(19, lambda: SmallCNN(width=6))
    add("healthy_cnn_sgd", m, lambda p: torch.optim.SGD(p, 0.05, momentum=0.9), data=IMG, style="slash",
        log_input=True, bins="auto")

    # ---- nan_loss ----
    m = seeded(20, lambda: mlp([16, 64, 64, 4]))
    add("nan_lr_spike", m, lambda p: torch.optim.SGD(p, 0.05), data=T, style="slash",
        lr_at=step_at(220, 2000.0), problems=[("nan_loss", "nan")],
        allowed=["divergence", "exploding_gradients", "broken_weights", "saturation", "dead_relu"])

    def nan_row(s, _m, x):
        if s == 160:
            x = x.clone()
            x[3, 5] = float("nan")
        return x

    m = seeded(21, lambda: mlp([16, 64, 4]))
    add("nan_corrupt_batch", m, lambda p: torch.optim.Adam(p, 1e-3), data=T, style="capital",
        before_step=nan_row, problems=[("nan_loss", 160)],
        allowed=["broken_weights", "exploding_gradients"])

    # ---- divergence ----
    m = seeded(30, lambda: mlp([16, 64, 64, 4]))
    add("divergence_lr_bug", m, lambda p: torch.optim.Adam(p, 1e-3), data=T, style="keras",
        lr_at=step_at(200, 300.0), problems=[("divergence", 200)],
        allowed=["exploding_gradients", "oscillation", "dead_relu", "saturation"])
    m = seeded(31, lambda: mlp([8, 64, 64, 1], act=nn.Tanh))
    add("divergence_regression_adam", m, lambda p: torch.optim.Adam(p, 3e-3), data=R, style="sdk",
        lr_at=step_at(150, 100.0), problems=[("divergence", 150)],
        allowed=["exploding_gradients", "oscillation", "saturation", "nan_loss"])

    # ---- exploding_gradients ----
    def shard(s, _m, x):  # one shard of raw, unscaled inputs
        return x * 100.0 if 180 <= s < 300 else x

    m = seeded(40, lambda: mlp([16, 64, 64, 64, 4]))
    add("exploding_bad_shard_clipped", m, lambda p: torch.optim.SGD(p, 0.02, momentum=0.9), data=T,
        style="capital", before_step=shard, clip=1.0, problems=[("exploding_gradients", 180)],
        allowed=["divergence", "oscillation", "dead_relu"])

    def target_units(loss):  # targets logged in millimetres for a while: the MSE gradient grows 1000x
        return lambda s: (lambda out, y: F.mse_loss(out, y * 1000.0)) if 150 <= s < 300 else loss

    m = seeded(41, lambda: mlp([8, 128, 128, 128, 1]))
    add("exploding_target_units", m, lambda p: torch.optim.SGD(p, 1e-3, momentum=0.9), data=R, style="slash",
        loss_at=target_units(F.mse_loss), clip=1.0, hist_every=10,
        problems=[("exploding_gradients", 150)], allowed=["divergence", "oscillation", "dead_relu"])

    # ---- vanishing_gradients ----
    m = seeded(50, lambda: mlp([16] + [64] * 10 + [4], act=nn.Sigmoid))
    add("vanishing_deep_sigmoid", m, lambda p: torch.optim.SGD(p, 0.05), data=T, style="slash",
        problems=[("vanishing_gradients", 0)], allowed=["underfitting", "lr_too_low", "saturation"])
    m = seeded(51, lambda: mlp([16] + [48] * 12 + [4], act=nn.Sigmoid))
    add("vanishing_deep_sigmoid_sdk", m, lambda p: torch.optim.Adam(p, 1e-4), data=T, style="sdk",
        problems=[("vanishing_gradients", 0)], allowed=["underfitting", "lr_too_low", "saturation"])

    # ---- dead_relu ----
    def kill(s, model):
        if s == 150:  # one huge update (a bad batch met a large learning rate): biases pushed far negative
            with torch.no_grad():
                for mod in model.modules():
                    if isinstance(mod, nn.Linear) and mod.out_features != 4:
                        mod.bias -= 6.0

    m = seeded(60, lambda: mlp([16, 64, 64, 4]))
    add("dead_relu_after_bad_update", m, lambda p: torch.optim.Adam(p, 1e-3), data=T, style="keras",
        after_step=kill, problems=[("dead_relu", 150)], allowed=["divergence", "underfitting", "vanishing_gradients"])
    m = seeded(61, lambda: mlp([16, 64, 64, 4]))
    add("dead_relu_lr_jump", m, lambda p: torch.optim.SGD(p, 0.05, momentum=0.9), data=T, style="sdk",
        lr_at=step_at(200, 40.0), problems=[("dead_relu", 200)],
        allowed=["divergence", "oscillation", "exploding_gradients", "underfitting", "vanishing_gradients"])

    # ---- saturation ----
    m = seeded(70, lambda: init_(mlp([16, 64, 64, 4], act=nn.Tanh), lambda l: nn.init.normal_(l.weight, 0, 1.0)))
    add("saturation_tanh_large_init", m, lambda p: torch.optim.Adam(p, 1e-3), data=T, style="slash",
        problems=[("saturation", 0)], allowed=["bad_init", "vanishing_gradients", "underfitting"])
    m = seeded(71, lambda: mlp([16, 64, 64, 4], act=nn.Sigmoid))
    add("saturation_sigmoid_lr_jump", m, lambda p: torch.optim.Adam(p, 1e-3), data=T, style="sdk",
        lr_at=step_at(200, 100.0), problems=[("saturation", 200)],
        allowed=["divergence", "oscillation", "vanishing_gradients", "exploding_gradients", "underfitting"])

    # ---- overfitting ----
    m = seeded(80, lambda: mlp([16, 256, 256, 4]))
    add("overfit_small_data", m, lambda p: torch.optim.Adam(p, 1e-3), data=SMALL, style="slash", batch=32,
        steps=600, problems=[("overfitting", "val_min")])
    m = seeded(81, lambda: mlp([16, 512, 4]))
    add("overfit_wide_sgd", m, lambda p: torch.optim.SGD(p, 0.1, momentum=0.9), data=SMALL, style="lightning",
        batch=16, steps=600, problems=[("overfitting", "val_min")])

    # ---- underfitting ----
    m = seeded(90, lambda: nn.Sequential(nn.Linear(8, 1)))
    add("underfit_linear", m, lambda p: torch.optim.Adam(p, 1e-2), data=R, style="capital",
        problems=[("underfitting", 0)])
    m = seeded(91, lambda: mlp([8, 2, 1]))
    add("underfit_tiny_regression", m, lambda p: torch.optim.Adam(p, 1e-2, weight_decay=0.5), data=R,
        style="keras", problems=[("underfitting", 0)])

    # ---- lr_too_low ----
    m = seeded(100, lambda: mlp([16, 64, 64, 4]))
    add("lr_too_low_sgd", m, lambda p: torch.optim.SGD(p, 1e-4), data=T, style="slash",
        problems=[("lr_too_low", 0)], allowed=["underfitting"])
    m = seeded(101, SmallCNN)
    add("lr_too_low_adam_cnn", m, lambda p: torch.optim.Adam(p, 3e-6), data=IMG, style="sdk",
        problems=[("lr_too_low", 0)], allowed=["underfitting"])

    # ---- oscillation ----
    def cyclic(k, high, period):  # a cyclic schedule whose max_lr was set far too high
        return lambda s: (high if (s // period) % 2 else 1.0) if s >= k else 1.0

    m = seeded(110, lambda: mlp([16, 64, 64, 4]))
    add("oscillation_cyclic_lr", m, lambda p: torch.optim.Adam(p, 1e-3), data=T, style="keras",
        lr_at=cyclic(200, 100.0, 15), problems=[("oscillation", 200)], allowed=["divergence", "dead_relu"])
    m = seeded(111, lambda: mlp([16, 64, 64, 4], act=nn.Tanh))
    add("oscillation_cyclic_adam_tanh", m, lambda p: torch.optim.Adam(p, 1e-3), data=T, style="capital",
        lr_at=cyclic(150, 100.0, 20), problems=[("oscillation", 150)], allowed=["divergence", "saturation"])

    # ---- unnormalized_input ----
    m = seeded(120, lambda: mlp([16, 64, 64, 4]))
    add("unnormalized_raw_units", m, lambda p: torch.optim.Adam(p, 1e-3), data=BIG_X, style="slash",
        log_input=True, problems=[("unnormalized_input", 0)],
        allowed=["underfitting", "lr_too_low", "dead_relu", "exploding_gradients", "oscillation"])
    m = seeded(121, lambda: SmallCNN())
    add("unnormalized_pixels_255", m, lambda p: torch.optim.SGD(p, 1e-4, momentum=0.9), data=image_data(5, scale=255.0),
        style="sdk", log_input=True, problems=[("unnormalized_input", 0)],
        allowed=["underfitting", "oscillation", "dead_relu", "exploding_gradients", "lr_too_low"])

    # ---- bad_init ----
    m = seeded(130, lambda: init_(mlp([16, 64, 64, 4], act=nn.Tanh), lambda l: (nn.init.zeros_(l.weight), nn.init.zeros_(l.bias))))
    add("bad_init_zeros", m, lambda p: torch.optim.Adam(p, 1e-3), data=T, style="slash",
        problems=[("bad_init", 0)], allowed=["underfitting", "vanishing_gradients", "lr_too_low"])
    m = seeded(131, lambda: init_(mlp([16, 128, 128, 128, 4]), lambda l: nn.init.normal_(l.weight, 0, 1.0)))
    add("bad_init_large_std", m, lambda p: torch.optim.SGD(p, 1e-3), data=T, style="keras",
        problems=[("bad_init", 0)], allowed=["exploding_gradients", "divergence", "oscillation", "underfitting",
                                              "lr_too_low", "nan_loss", "dead_relu"])

    # ---- broken_weights ----
    def corrupt(s, model):
        if s == 170:  # a bad checkpoint restore wrote NaN into one tensor
            with torch.no_grad():
                model[2].weight[0, :5] = float("nan")

    m = seeded(140, lambda: mlp([16, 64, 64, 4]))
    add("broken_weights_nan_restore", m, lambda p: torch.optim.Adam(p, 1e-3), data=T, style="slash",
        after_step=corrupt, problems=[("broken_weights", 170), ("nan_loss", 171)], allowed=["exploding_gradients"])

    def zero_layer(s, model):
        if s >= 200:  # a pruning mask bug zeroes the first layer and keeps it zero
            with torch.no_grad():
                model[0].weight.zero_()

    m = seeded(141, lambda: mlp([16, 64, 64, 4]))
    add("broken_weights_zeroed_layer", m, lambda p: torch.optim.Adam(p, 1e-3), data=T, style="keras",
        after_step=zero_layer, problems=[("broken_weights", 200)],
        allowed=["divergence", "underfitting", "dead_relu", "vanishing_gradients"])
    return out


if __name__ == "__main__":
    outdir, wanted = sys.argv[1], set(sys.argv[2:])
    for spec in specs():
        if not wanted or spec.name in wanted:
            train(spec, outdir)
            print(spec.name, flush=True)
