"""watch(model): weights, gradients, activations, update ratios and learning rate every N steps.

A step is one forward pass of the watched model in training mode with gradients enabled. On a
logged step (step % log_every == 0) the hooks compute statistics on the tensors' own device and keep
them as small tensors; they are moved to the CPU in one transfer when the next step starts (or on
flush/close). On other steps every hook returns after one attribute check, so the cost between
logged steps is a few Python calls per module.
"""

import atexit
import math
import weakref
from collections import defaultdict

import torch
from torch import nn

from . import _proto
from ._stats import act_vector, hist_fields, hist_vector
from .writer import SummaryWriter

_SATURATING = ((nn.Sigmoid, "sigmoid"), (nn.Tanh, "tanh"))
_current = None  # the most recent Watcher, for the module-level log helpers


def current():
    """The most recently created Watcher that is still open, or None."""
    w = _current() if _current is not None else None
    return w if w is not None and not w.closed else None


def _first_tensor(out):
    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, (list, tuple)):
        for o in out:
            t = _first_tensor(o)
            if t is not None:
                return t
    if isinstance(out, dict):
        for o in out.values():
            t = _first_tensor(o)
            if t is not None:
                return t
    return None


class Watcher:
    """What watch() returns: owns the hooks, the pending statistics and the writer."""

    def __init__(
        self,
        model: nn.Module,
        log_every: int = 50,
        logdir: str = None,
        writer: SummaryWriter = None,
        optimizer: torch.optim.Optimizer = None,
        hist_every: int = None,  # default: 10 * log_every (histograms cost far more than scalars)
        bins: int = 64,
        activations: bool = True,
        gradients: bool = True,
        parameters: bool = True,
    ):
        global _current
        if not isinstance(model, nn.Module):
            raise TypeError(f"watch: expected a torch.nn.Module, got {type(model).__name__}")
        if log_every < 1:
            raise ValueError(f"watch: log_every must be a positive integer, got {log_every}")
        self.model = model
        self.writer = writer if writer is not None else SummaryWriter(logdir)
        self._own_writer = writer is None
        self.optimizer = optimizer
        self.log_every = log_every
        self.hist_every = hist_every or 10 * log_every
        self.bins = bins
        self.step = -1  # the step of the latest training forward pass
        self.closed = False
        self._next = 0
        self._active = False  # this step is logged (gradient hooks read it)
        self._fwd_active = False  # the forward pass running now is a logged training pass
        self._hist = False
        self._backward_seen = True
        self._pending = {}  # (kind, name) -> (step, device tensor)
        self._user = []  # (step, tag, float or 0-d tensor)
        self._snapshot = None  # (step, {param name: tensor}) for update ratios
        self._params = [(n, p) for n, p in model.named_parameters() if p.requires_grad] if parameters else []
        # write tags in model order (gradients arrive output first); readers list layers in first-seen order
        names = [n for n, _ in model.named_parameters()]
        names += [n or type(model).__name__ for n, _ in model.named_modules()]
        self._order = {n: i for i, n in enumerate(names)}
        self._order.update({f"activations/{n}": i for n, i in list(self._order.items())})
        self._order.update({f"{n}.grad": i for n, i in list(self._order.items())})
        self._handles = [model.register_forward_pre_hook(self._begin_step)]
        self._saturating = set()  # modules that also get act_saturated_frac
        if activations:
            for name, m in model.named_modules():
                if next(m.children(), None) is None:  # leaves: where activations are computed
                    name = name or type(m).__name__
                    sat = next((kind for cls, kind in _SATURATING if isinstance(m, cls)), None)
                    if sat:
                        self._saturating.add(name)
                    self._handles.append(m.register_forward_hook(self._act_hook(name, sat)))
        if gradients:
            for name, p in self._params:
                self._handles.append(p.register_hook(self._grad_hook(name)))
        _current = weakref.ref(self)
        atexit.register(self.close)  # runs before the writer's own exit handler (registered earlier)

    # hooks ------------------------------------------------------------------------------------

    def _begin_step(self, module, inputs):
        if not (module.training and torch.is_grad_enabled()):
            self._fwd_active = False  # evaluation passes are not training steps
            return
        self._finish_logged_step()
        self.step = self._next
        self._next += 1
        self._backward_seen = False
        self._active = self.step % self.log_every == 0
        self._hist = self._active and self.step % self.hist_every == 0
        self._fwd_active = self._active
        if not self._active:
            return
        with torch.no_grad():
            self._snapshot = (self.step, {n: p.detach().clone() for n, p in self._params})
            if self._hist:
                for n, p in self._params:
                    self._pending[("hist", n)] = (self.step, hist_vector(p, self.bins))
        if self.optimizer is not None:
            groups = self.optimizer.param_groups
            for i, g in enumerate(groups):
                if "lr" in g:
                    self._user.append((self.step, "lr" if len(groups) == 1 else f"lr/group{i}", float(g["lr"])))

    def _act_hook(self, name, saturation):
        def hook(module, inputs, output):
            if not self._fwd_active:
                return
            t = _first_tensor(output)
            if t is None or not t.is_floating_point():
                return
            with torch.no_grad():
                self._pending[("act", name)] = (self.step, act_vector(t, saturation))
                if self._hist:
                    self._pending[("hist", f"activations/{name}")] = (self.step, hist_vector(t, self.bins))

        return hook

    def _grad_hook(self, name):
        def hook(grad):
            self._backward_seen = True
            if not self._active:
                return
            with torch.no_grad():
                norm = torch.linalg.vector_norm(grad).to(torch.float64).reshape(1)
                self._pending[("grad_norm", name)] = (self.step, norm)
                if self._hist:
                    self._pending[("hist", f"{name}.grad")] = (self.step, hist_vector(grad, self.bins))

        return hook

    # logging ----------------------------------------------------------------------------------

    def log(self, values: dict = None, step: int = None, **scalars) -> None:
        """Log scalars (e.g. loss=loss) at the current step. Tensors are not read until the next
        logged step, so logging a loss tensor every step costs no GPU->CPU sync."""
        s = self.step if step is None else step
        for tag, v in {**(values or {}), **scalars}.items():
            self._user.append((max(s, 0), tag, v.detach() if isinstance(v, torch.Tensor) else float(v)))
        if len(self._user) > 4096:  # bound memory when log_every is large
            self._emit()

    def batch_step(self) -> int:
        """The step a batch logged now belongs to: the current one if its backward pass has not run
        yet, otherwise the next one (log_batch is usually called just before the forward pass)."""
        return self._next if self._backward_seen else self.step

    def is_logged_step(self, step: int) -> bool:
        return step % self.log_every == 0

    def flush(self) -> None:
        """Write everything computed so far and wait until it is on disk."""
        self._finish_logged_step(final=True)
        self.writer.flush()

    def close(self) -> None:
        """Remove the hooks and close the writer (if watch created it)."""
        if self.closed:
            return
        self._finish_logged_step(final=True)
        for h in self._handles:
            h.remove()
        self._handles = []
        self.closed = True
        atexit.unregister(self.close)
        if self._own_writer:
            self.writer.close()
        else:
            self.writer.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # internals --------------------------------------------------------------------------------

    def _finish_logged_step(self, final: bool = False) -> None:
        """After a logged step (at the start of the next one): add its update ratios, computed one
        optimizer update later, and write out everything collected since the last write."""
        if self._snapshot is None and not final:
            return
        if self._snapshot is not None:
            step, before = self._snapshot
            self._snapshot = None
            with torch.no_grad():
                for n, p in self._params:
                    dn = torch.linalg.vector_norm(p.detach() - before[n]).to(torch.float64)
                    wn = torch.linalg.vector_norm(p.detach()).to(torch.float64)
                    ratio = torch.where(wn > 0, dn / wn, torch.full_like(dn, float("nan")))  # NaN: not written
                    self._pending[("update_ratio", n)] = (step, ratio.reshape(1))
        if self._pending or self._user:
            self._emit()

    def _emit(self) -> None:
        pending, self._pending = self._pending, {}
        user, self._user = self._user, []
        keys = sorted(pending, key=lambda k: self._order.get(k[1], len(self._order)))  # input to output
        tensors = [pending[k][1].reshape(-1).to(torch.float64) for k in keys]
        user_tensors = [(i, v) for i, (_, _, v) in enumerate(user) if isinstance(v, torch.Tensor)]
        tensors += [v.reshape(-1)[:1].to(torch.float64) for _, v in user_tensors]
        flat = _to_cpu_list(tensors)
        by_step = defaultdict(list)
        pos = 0
        for k in keys:
            step, t = pending[k]
            n = t.numel()
            self._encode(by_step[step], k, flat[pos : pos + n])
            pos += n
        user_values = {i: flat[pos + j] for j, (i, _) in enumerate(user_tensors)}
        for i, (step, tag, v) in enumerate(user):
            by_step[step].append(_proto.summary_value(tag, simple_value=user_values.get(i, v)))
        for step in sorted(by_step):
            self.writer.add_summary(by_step[step], step)

    def _encode(self, out: list, key, v: list) -> None:
        kind, name = key
        if kind == "act":
            mean, std, zero, sat = v
            out.append(_proto.summary_value(f"act_mean/{name}", simple_value=mean))
            out.append(_proto.summary_value(f"act_std/{name}", simple_value=std))
            out.append(_proto.summary_value(f"act_zero_frac/{name}", simple_value=zero))
            if name in self._saturating:
                out.append(_proto.summary_value(f"act_saturated_frac/{name}", simple_value=sat))
        elif kind == "hist":
            fields = hist_fields(v)
            if fields is not None:
                histo = _proto.histogram_proto(
                    fields["min"], fields["max"], fields["num"], fields["sum"], fields["sum_squares"],
                    fields["bucket_limit"], fields["bucket"],
                )
                out.append(_proto.summary_value(name, histo=histo))
        elif kind == "grad_norm" or (kind == "update_ratio" and not math.isnan(v[0])):
            out.append(_proto.summary_value(f"{kind}/{name}", simple_value=v[0]))


def _to_cpu_list(tensors) -> list:
    """Concatenate per device and copy each device's values to the CPU once."""
    if not tensors:
        return []
    devices = {t.device for t in tensors}
    if len(devices) == 1:
        return torch.cat(tensors).cpu().tolist()
    return [x for t in tensors for x in t.cpu().tolist()]


def watch(model: nn.Module, log_every: int = 50, logdir: str = None, **options) -> Watcher:
    """Instrument `model`; see Watcher for the options (optimizer=, writer=, hist_every=, bins=, ...)."""
    return Watcher(model, log_every=log_every, logdir=logdir, **options)
