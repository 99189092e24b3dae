"""Benchmark: training-step time without the SDK, with watch(log_every=50), with the NaN sentinel,
and with torch.autograd.set_detect_anomaly(True), all measured in this run on the same model.

    /usr/bin/python3 sdk-python/bench/bench_sdk.py [--steps 300] [--threads 1]

Prints one JSON object. The four configurations are separate model copies stepped in rotating
order, one step each in turn, so load from other processes falls on all of them alike. Times are
process CPU time per step (all threads, so the SDK's writer thread counts; on a shared machine CPU
time is far steadier than wall time); see bench() for how they are summarized.
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


def pct(values, q):
    v = sorted(values)
    return v[min(int(q * len(v)), len(v) - 1)]


def bench(model_fn, steps, logdir):
    """Run the four configurations step by step in rotating order and time every step (CPU time).

    Other processes' load only ever adds time, so a low percentile of the per-step times is a
    steady estimate of a step's cost: we compare 25th percentiles. watch's cost comes in two
    parts, measured separately: every step's hooks (25th percentile of its unlogged steps) and the
    logged step's extra work (median of the logged steps over the unlogged ones), spread over
    log_every steps.
    """
    setups = [Setup(model_fn, m, os.path.join(logdir, m)) for m in MODES]
    for s in setups:
        for _ in range(10):  # warm-up (includes watch's first logged step, the one with histograms)
            s.step()
    times = {m: [] for m in MODES}
    logged = []
    for i in range(steps):
        for s in setups[i % 4 :] + setups[: i % 4]:
            is_logged = s.watcher is not None and s.watcher._next % 50 == 0
            c0 = time.process_time()
            s.step()
            dt = time.process_time() - c0
            (logged if is_logged else times[s.mode]).append(dt)
    c0 = time.process_time()
    setups[1].watcher.flush()  # whatever the writer thread still has to do is part of watch's cost
    flush = time.process_time() - c0
    for s in setups:
        s.close()
    q = {m: pct(v, 0.25) for m, v in times.items()}
    base = q["baseline"]
    per_step_hooks = q["watch"] - base
    logged_extra = statistics.median(logged) - q["watch"] + flush / max(len(logged), 1)
    watch = per_step_hooks + logged_extra / 50
    return {
        "step_cpu_ms_p25": {m: round(v * 1e3, 3) for m, v in q.items()},
        "step_cpu_ms_median": {m: round(statistics.median(v) * 1e3, 3) for m, v in times.items()},
        "watch_logged_step_extra_ms": round(logged_extra * 1e3, 3),
        "watch_logged_steps": len(logged),
        "watch_overhead": round(watch / base, 4),
        "sentinel_overhead": round(q["sentinel"] / base - 1, 4),
        "anomaly_overhead": round(q["anomaly"] / base - 1, 4),
        "anomaly_over_sentinel_step_time": round(q["anomaly"] / q["sentinel"], 3),
        "anomaly_over_sentinel_overhead": round((q["anomaly"] - base) / max(q["sentinel"] - base, 1e-9), 2),
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
