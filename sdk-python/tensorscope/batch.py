"""log_batch(x, y): what goes into the model: shape, dtype, range, NaN/Inf, label distribution.

Tags: input/mean, input/std, input/min, input/max (over finite values), input/nan_count,
input/inf_count, input/values (a histogram of the finite values), input/shape (text, written when
the shape or dtype changes) and input/labels (a histogram; for integer labels one bucket per class,
so the bucket counts are the class counts).
"""

import torch

from . import _proto
from ._stats import hist_fields, hist_vector
from .watch import current


def batch_summary(x: torch.Tensor) -> dict:
    """The input statistics as Python numbers (one GPU->CPU transfer)."""
    t = x.detach()
    if not t.is_floating_point():
        t = t.to(torch.float32)
    finite = torch.isfinite(t)
    n_finite = finite.sum()
    f = t[finite] if bool(n_finite < t.numel()) else t.reshape(-1)
    if f.numel() == 0:
        f = torch.zeros(1, device=t.device)
    mean = f.mean()
    std = f.std() if f.numel() > 1 else torch.zeros((), device=t.device)
    stats = torch.stack(
        [mean, std, f.min(), f.max(), torch.isnan(t).sum().to(mean.dtype), torch.isinf(t).sum().to(mean.dtype)]
    )
    mean, std, mn, mx, nan, inf = stats.to(torch.float64).cpu().tolist()
    return {"mean": mean, "std": std, "min": mn, "max": mx, "nan_count": nan, "inf_count": inf}


def label_histogram(y: torch.Tensor, bins: int = 64):
    """Histogram fields for labels: integer labels get one bucket per class value between min and max."""
    y = y.detach().reshape(-1)
    if y.is_floating_point() or y.numel() == 0:
        return hist_fields(hist_vector(y, bins).cpu().tolist())
    y64 = y.to(torch.int64)
    lo, hi = (int(v) for v in torch.stack([y64.min(), y64.max()]).cpu().tolist())
    counts = torch.bincount(y64 - lo, minlength=hi - lo + 1).to(torch.float64)
    yd = y64.to(torch.float64)
    total, sumsq = torch.stack([yd.sum(), (yd * yd).sum()]).cpu().tolist()
    return {
        "min": float(lo), "max": float(hi), "num": float(y.numel()), "sum": total, "sum_squares": sumsq,
        "bucket_limit": [c + 0.5 for c in range(lo, hi + 1)], "bucket": counts.cpu().tolist(),
    }  # fmt: skip


def _histo(h: dict) -> bytes:
    return _proto.histogram_proto(h["min"], h["max"], h["num"], h["sum"], h["sum_squares"], h["bucket_limit"], h["bucket"])


def log_batch(x, y=None, step: int = None, watcher=None, writer=None, force: bool = False) -> bool:
    """Log a batch's statistics on logged steps of the current watch() (or to `writer` at `step`).

    Call it just before the forward pass. Returns True when something was written.
    """
    w = watcher if watcher is not None else current()
    if writer is None:
        if w is None:
            raise RuntimeError("log_batch needs a watch()ed model or an explicit writer= and step=")
        writer = w.writer
    if step is None:
        step = w.batch_step() if w is not None else 0
    if not force and w is not None and not w.is_logged_step(step):
        return False
    x = x if isinstance(x, torch.Tensor) else torch.as_tensor(x)
    s = batch_summary(x)
    values = [_proto.summary_value(f"input/{k}", simple_value=v) for k, v in s.items()]
    h = hist_fields(hist_vector(x, 64).cpu().tolist())
    if h is not None:  # first: readers that take the first input/ histogram as the input's distribution
        values.append(_proto.summary_value("input/values", histo=_histo(h)))
    signature = f"shape {list(x.shape)}, dtype {str(x.dtype).replace('torch.', '')}"
    if y is not None:
        y = y if isinstance(y, torch.Tensor) else torch.as_tensor(y)
        signature += f"; labels shape {list(y.shape)}, dtype {str(y.dtype).replace('torch.', '')}"
        h = label_histogram(y)
        if h is not None:
            values.append(_proto.summary_value("input/labels", histo=_histo(h)))
    last = getattr(writer, "_tensorscope_batch_signature", None)
    if signature != last:
        writer._tensorscope_batch_signature = signature
        values.append(_proto.summary_value("input/shape", tensor=_proto.string_tensor([signature]),
                                           metadata=_proto.summary_metadata("text")))  # fmt: skip
    writer.add_summary(values, step)
    return True
