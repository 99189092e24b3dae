"""Tensor statistics computed on the tensor's own device.

Each function returns a small 1-D float64 tensor; callers concatenate them and copy them to the CPU
once per logged step. A histogram needs its range on the CPU first (torch.histc takes Python
numbers), so it costs one extra GPU->CPU sync per histogram, on logged steps only.
"""

import torch

HIST_HEAD = 5  # num, min, max, sum, sum_squares; the bucket counts follow


def hist_vector(t: torch.Tensor, bins: int) -> torch.Tensor:
    """[num, min, max, sum, sum_squares, count_0..count_{bins-1}] over the finite values of `t`.

    The buckets are torch.histc(values, bins, min, max): `bins` equal parts of [min, max], closed on
    the left, the last one also holding max. A constant tensor gets one bucket (count_0 = num).
    """
    x = t.detach().reshape(-1)
    if not x.is_floating_point():
        x = x.to(torch.float32)
    if x.numel() == 0:
        return torch.zeros(HIST_HEAD + bins, dtype=torch.float64)
    lo, hi = (float(v) for v in torch.stack(torch.aminmax(x)).tolist())  # NaN propagates through both
    if not (abs(lo) < float("inf") and abs(hi) < float("inf")):  # rare: drop NaN/Inf and look again
        x = x[torch.isfinite(x)]
        if x.numel() == 0:
            return torch.zeros(HIST_HEAD + bins, dtype=torch.float64)
        lo, hi = (float(v) for v in torch.stack(torch.aminmax(x)).tolist())
    num = torch.tensor(float(x.numel()), dtype=torch.float64, device=x.device)
    if hi > lo:
        counts = torch.histc(x, bins, lo, hi).to(torch.float64)
    else:
        counts = torch.zeros(bins, dtype=torch.float64, device=x.device)
        counts[0] = x.numel()
    total = x.sum(dtype=torch.float64)
    sumsq = torch.linalg.vector_norm(x, dtype=torch.float64) ** 2
    head = torch.stack([num, num.new_tensor(lo), num.new_tensor(hi), total, sumsq])
    return torch.cat([head, counts])


def hist_fields(v) -> dict:
    """Turn a hist_vector (as a Python list) into HistogramProto fields; None when no value is finite."""
    num, lo, hi, total, sumsq = v[:HIST_HEAD]
    counts = v[HIST_HEAD:]
    if num == 0:
        return None
    if hi == lo:  # a constant tensor: one bucket that ends at the value
        limits, counts = [hi], [num]
    else:
        bins = len(counts)
        limits = [lo + (hi - lo) * (i + 1) / bins for i in range(bins)]
        limits[-1] = hi
    return {
        "min": lo, "max": hi, "num": num, "sum": total, "sum_squares": sumsq, "bucket_limit": limits, "bucket": counts,
    }  # fmt: skip


def act_vector(t: torch.Tensor, saturation: str = None) -> torch.Tensor:
    """[mean, std (unbiased), fraction exactly zero, fraction saturated] of an activation tensor.

    Saturated means |y| > 0.97 for tanh and |2y - 1| > 0.97 for sigmoid (the same pre-activation
    range); the last entry is 0 for other modules.
    """
    y = t.detach()
    if not y.is_floating_point():
        y = y.to(torch.float32)
    n = max(y.numel(), 1)
    mean = y.mean()  # mean() and std() rather than std_mean(): they round like what users compute
    std = y.std() if y.numel() > 1 else torch.zeros((), device=y.device)
    zero = (y.numel() - torch.count_nonzero(y)) / n  # several times faster than (y == 0).sum()
    if saturation == "tanh":
        sat = torch.count_nonzero(y.abs() > 0.97) / n
    elif saturation == "sigmoid":
        sat = torch.count_nonzero((y * 2 - 1).abs() > 0.97) / n
    else:
        sat = torch.zeros((), device=y.device)
    return torch.stack([v.to(torch.float64) for v in (mean, std, zero, sat)])
