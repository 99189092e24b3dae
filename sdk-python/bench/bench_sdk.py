"""Benchmark: training-step time without the SDK, with watch(log_every=50), with the NaN sentinel,
and with torch.autograd.set_detect_anomaly(True), all measured in this run on the same model.

    /usr/bin/python3 sdk-python/bench/bench_sdk.py [--steps 400] [--threads 1]

Prints one JSON object. Each configuration runs `--steps` steps after a warm-up, in interleaved
rounds (so machine noise hits all configurations alike); the figure is the median over rounds of the
process CPU time per step (all threads, so the SDK's writer thread counts; on a shared machine CPU
time is far steadier than wall time, which is reported too).
"""

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import tensorscope  # noqa: E402


def cnn():
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 128), nn.ReLU(), nn.Linear(128, 10),
    )  # fmt: skip


def mlp():
    return nn.Sequential(
        nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.Tanh(), nn.Linear(128, 10)
    )


def run(model_fn, mode, steps, logdir, seed=0):
    """(CPU seconds, wall seconds) per training step over `steps` steps (after 10 warm-up steps) in `mode`."""
    torch.manual_seed(seed)
    model = model_fn()
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    x = torch.randn(64, 1, 28, 28)
    y = torch.randint(0, 10, (64,))
    watcher = sentinel = None
    if mode == "watch":
        watcher = tensorscope.watch(model, log_every=50, logdir=logdir, optimizer=opt)
    elif mode == "sentinel":
        sentinel = tensorscope.NanSentinel(model)

    def step():
        if watcher is not None:
            tensorscope.log_batch(x, y)
        loss = nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if watcher is not None:
            watcher.log(loss=loss)

    with torch.autograd.set_detect_anomaly(mode == "anomaly"):
        for _ in range(10):
            step()
        c0, t0 = time.process_time(), time.perf_counter()
        for _ in range(steps):
            step()
        if watcher is not None:
            watcher.flush()  # the writer thread's work is part of the cost
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
    if watcher is not None:
        watcher.close()
    if sentinel is not None:
        sentinel.close()
    return cpu / steps, wall / steps


def bench(model_fn, steps, rounds, logdir):
    modes = ["baseline", "watch", "sentinel", "anomaly"]
    times = {m: [] for m in modes}
    for r in range(rounds):
        for m in modes:
            times[m].append(run(model_fn, m, steps, os.path.join(logdir, f"{m}{r}")))
    med = {m: statistics.median(c for c, _ in v) for m, v in times.items()}
    wall = {m: statistics.median(w for _, w in v) for m, v in times.items()}
    base = med["baseline"]
    return {
        "step_cpu_ms": {m: round(v * 1e3, 3) for m, v in med.items()},
        "step_wall_ms": {m: round(v * 1e3, 3) for m, v in wall.items()},
        "watch_overhead": round(med["watch"] / base - 1, 4),
        "sentinel_overhead": round(med["sentinel"] / base - 1, 4),
        "anomaly_overhead": round(med["anomaly"] / base - 1, 4),
        "anomaly_over_sentinel_step_time": round(med["anomaly"] / med["sentinel"], 2),
        "anomaly_over_sentinel_overhead": round((med["anomaly"] - base) / max(med["sentinel"] - base, 1e-9), 2),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as d:
        results = {
            "torch": torch.__version__,
            "threads": args.threads,
            "steps": args.steps,
            "rounds": args.rounds,
            "batch": 64,
            "log_every": 50,
            "cnn": bench(cnn, args.steps, args.rounds, os.path.join(d, "cnn")),
            "mlp": bench(mlp, args.steps, args.rounds, os.path.join(d, "mlp")),
        }
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
