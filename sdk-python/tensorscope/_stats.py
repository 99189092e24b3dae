"""Tensor statistics computed on the tensor's own device, so a logged step needs one transfer.

Each function returns a small 1-D float64 tensor; callers concatenate them and move them to the CPU
once (one GPU->CPU sync per logged step instead of one per statistic).
"""

import torch

HIST_HEAD = 5  # num, min, max, sum, sum_squares; the bucket counts follow


def hist_vector(t: torch.Tensor, bins: int) -> torch.Tensor:
    """[num, min, max, sum, sum_squares, count_0..count_{bins-1}] over the finite values of `t`.

    Buckets split [min, max] into `bins` equal parts, closed on the left except the last, which
    also holds max: the same buckets as torch.histc(t, bins, min, max).
    """
    x = t.detach().reshape(-1).to(torch.float64)
    finite = torch.isfinite(x)
    num = finite.sum().to(torch.float64)
    inf = torch.tensor(float("inf"), dtype=torch.float64, device=x.device)
    lo = torch.where(finite, x, inf).min() if x.numel() else inf
    hi = torch.where(finite, x, -inf).max() if x.numel() else -inf
    xf = torch.where(finite, x, torch.zeros_like(x))
    width = torch.where(hi > lo, hi - lo, torch.ones_like(hi))
    idx = ((torch.where(finite, x, lo) - lo) * bins / width).floor().clamp_(0, bins - 1).long()
    counts = torch.bincount(idx, weights=finite.to(torch.float64), minlength=bins)
    head = torch.stack([num, lo, hi, xf.sum(), (xf * xf).sum()])
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
    return {"min": lo, "max": hi, "num": num, "sum": total, "sum_squares": sumsq, "bucket_limit": limits, "bucket": counts}


def act_vector(t: torch.Tensor, saturation: str = None) -> torch.Tensor:
    """[mean, std (unbiased), fraction exactly zero, fraction saturated] of an activation tensor.

    Saturated means |y| > 0.97 for tanh and |2y - 1| > 0.97 for sigmoid (the same pre-activation
    range); the last entry is 0 for other modules.
    """
    y = t.detach()
    if not y.is_floating_point():
        y = y.to(torch.float32)
    mean = y.mean()  # mean() and std() rather than std_mean(): they round like what users compute
    std = y.std() if y.numel() > 1 else torch.zeros((), device=y.device)
    zero = (y == 0).sum() / max(y.numel(), 1)
    if saturation == "tanh":
        sat = (y.abs() > 0.97).sum() / max(y.numel(), 1)
    elif saturation == "sigmoid":
        sat = ((y * 2 - 1).abs() > 0.97).sum() / max(y.numel(), 1)
    else:
        sat = torch.zeros((), device=y.device)
    return torch.stack([mean.to(torch.float64), std.to(torch.float64), zero.to(torch.float64), sat.to(torch.float64)])
