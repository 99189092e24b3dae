"""Benchmark: training-step time without the SDK, with watch(log_every=50), with the NaN sentinel,
and with torch.autograd.set_detect_anomaly(True), all measured in this run on the same model.

    /usr/bin/python3 sdk-python/bench/bench_sdk.py [--steps 300] [--threads 1]

Prints one JSON object. The four configurations are separate model copies stepped in rotating
order, one step each in turn, so load from other processes falls on all of them alike. The figures
are process CPU time per step (all threads, so the SDK's writer thread counts; on a shared machine
CPU time is far steadier than wall time, which is reported too).
"""

import argparse
import json
import os
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


MODES = ("baseline", "watch", "sentinel", "anomaly")


class Setup:
    """One model + optimizer + instrumentation; step() runs one training step."""

    def __init__(self, model_fn, mode, logdir):
        torch.manual_seed(0)
        self.mode = mode
        self.model = model_fn()
        self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9)
        self.x = torch.randn(64, 1, 28, 28)
        self.y = torch.randint(0, 10, (64,))
        self.watcher = tensorscope.watch(self.model, log_every=50, logdir=logdir, optimizer=self.opt) if mode == "watch" else None
        self.sentinel = tensorscope.NanSentinel(self.model) if mode == "sentinel" else None

    def step(self):
        with torch.autograd.set_detect_anomaly(self.mode == "anomaly"):
            if self.watcher is not None:
                tensorscope.log_batch(self.x, self.y, watcher=self.watcher)
            loss = nn.functional.cross_entropy(self.model(self.x), self.y)
            self.opt.zero_grad()
            loss.backward()
            self.opt.step()
            if self.watcher is not None:
                self.watcher.log(loss=loss)

    def close(self):
        if self.watcher is not None:
            self.watcher.close()
        if self.sentinel is not None:
            self.sentinel.close()


def bench(model_fn, steps, logdir):
    """Run the four configurations step by step in rotating order, so that load from other
    processes falls on all of them alike; sum each one's CPU and wall time."""
    setups = [Setup(model_fn, m, os.path.join(logdir, m)) for m in MODES]
    for s in setups:
        for _ in range(10):  # warm-up (includes watch's first logged step, the one with histograms)
            s.step()
    cpu = dict.fromkeys(MODES, 0.0)
    wall = dict.fromkeys(MODES, 0.0)
    for i in range(steps):
        for s in setups[i % 4 :] + setups[: i % 4]:
            c0, t0 = time.process_time(), time.perf_counter()
            s.step()
            cpu[s.mode] += time.process_time() - c0
            wall[s.mode] += time.perf_counter() - t0
    c0, t0 = time.process_time(), time.perf_counter()
    setups[1].watcher.flush()  # whatever the writer thread still has to do is part of watch's cost
    cpu["watch"] += time.process_time() - c0
    wall["watch"] += time.perf_counter() - t0
    for s in setups:
        s.close()
    base = cpu["baseline"]
    return {
        "step_cpu_ms": {m: round(v / steps * 1e3, 3) for m, v in cpu.items()},
        "step_wall_ms": {m: round(v / steps * 1e3, 3) for m, v in wall.items()},
        "watch_overhead": round(cpu["watch"] / base - 1, 4),
        "sentinel_overhead": round(cpu["sentinel"] / base - 1, 4),
        "anomaly_overhead": round(cpu["anomaly"] / base - 1, 4),
        "anomaly_over_sentinel_step_time": round(cpu["anomaly"] / cpu["sentinel"], 3),
        "anomaly_over_sentinel_overhead": round((cpu["anomaly"] - base) / max(cpu["sentinel"] - base, 1e-9), 2),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--threads", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    with tempfile.TemporaryDirectory() as d:
        results = {
            "torch": torch.__version__,
            "threads": args.threads,
            "steps": args.steps,
            "batch": 64,
            "log_every": 50,
            "cnn": bench(cnn, args.steps, os.path.join(d, "cnn")),
            "mlp": bench(mlp, args.steps, os.path.join(d, "mlp")),
        }
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
