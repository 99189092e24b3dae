"""NanSentinel: name the module where NaN/Inf first appears, forward and backward.

Forward: a hook on every module sums its output (one reduction; NaN and Inf survive a sum) and
checks that one number. Only when the sum is not finite does it look closer: the module is the
origin if all of its inputs are finite (a non-finite sum of finite values is an overflow of the sum,
not of the output, and is checked element-wise). Hooks fire when a module finishes, so a child is
checked before its parent and the innermost module that produced the value is named.

Backward: on every training pass the sentinel hooks the gradient arriving at each module's output
and the gradients it sends to its inputs and parameters. It names the first module whose incoming
gradient was finite but outgoing one was not; a NaN gradient at the model's output comes from the
loss; one that no module sent comes from code in the enclosing module's forward.

This costs one reduction and one scalar check per module per pass, against
torch.autograd.set_detect_anomaly(True), which records a Python stack for every operation.
"""

import math
import warnings
import weakref

import torch
from torch import nn

from .watch import current


# Modules that cannot turn finite values into NaN/Inf, forward or backward: bounded or
# magnitude-preserving elementwise activations, max pooling, reshapes. They are not checked (a NaN
# that reaches them came from elsewhere), which skips a pass over many of a CNN's largest tensors.
_PASSIVE = (
    nn.ReLU, nn.ReLU6, nn.LeakyReLU, nn.Sigmoid, nn.Tanh, nn.Hardtanh, nn.Softsign,
    nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d,
    nn.AdaptiveMaxPool3d, nn.Flatten, nn.Unflatten, nn.Identity,
)  # fmt: skip


def _passive(m: nn.Module) -> bool:
    return isinstance(m, _PASSIVE) and not (isinstance(m, nn.LeakyReLU) and abs(m.negative_slope) > 1)


class NonFiniteError(FloatingPointError):
    """Raised by NanSentinel(on_nan="raise"); `module`, `step` and `phase` say where."""

    def __init__(self, message: str, module: str, step: int, phase: str):
        super().__init__(message)
        self.module, self.step, self.phase = module, step, phase


def _tensors(x):
    if isinstance(x, torch.Tensor):
        yield x
    elif isinstance(x, (list, tuple)):
        for v in x:
            yield from _tensors(v)
    elif isinstance(x, dict):
        for v in x.values():
            yield from _tensors(v)


def _finite(t: torch.Tensor) -> bool:
    """One reduction and one scalar read; .item() is cheaper than another isfinite op."""
    if not t.is_floating_point():
        return True
    t = t.detach()
    s = (t.sum(dtype=torch.float32) if t.element_size() < 4 else t.sum()).item()
    return math.isfinite(s) or bool(torch.isfinite(t).all())  # a sum of finite values may overflow


class NanSentinel:
    """Watch `model` for the first NaN/Inf.

    on_nan: "raise" (NonFiniteError from the hook, at the module that produced it), "warn", or
    "record" (only set `self.found`). backward: also locate non-finite gradients. writer: a
    SummaryWriter (default: the current watch()'s) that gets a text summary `nan_sentinel`.
    """

    def __init__(self, model: nn.Module, on_nan: str = "raise", backward: bool = True, writer=None):
        if on_nan not in ("raise", "warn", "record"):
            raise ValueError(f'NanSentinel: on_nan must be "raise", "warn" or "record", got {on_nan!r}')
        self.model = model
        self.on_nan = on_nan
        self.backward = backward
        self.writer = writer
        self.step = -1
        self.found = None  # {"module", "step", "phase", "message"} once something was found
        self._grad_out_ok = {}
        self._hooked = {}
        self._checked = {}
        self._suspect = None
        self._root = type(model).__name__
        names = {m: n or self._root for n, m in model.named_modules()}
        self._handles = [model.register_forward_pre_hook(self._begin)]
        for m, name in names.items():
            if m is model or not _passive(m):
                self._handles.append(m.register_forward_hook(self._forward_hook(name)))
        if backward:
            owner = {}
            for mname, m in model.named_modules():
                for pname, p in m.named_parameters(recurse=False):
                    owner[p] = (names[m], f"{mname}.{pname}" if mname else pname)
            for p, (mod, pname) in owner.items():
                if p.requires_grad:
                    self._handles.append(p.register_hook(self._grad_in_hook(mod, f"parameter {pname}")))

    def _begin(self, module, inputs):
        if module.training and torch.is_grad_enabled():
            self.step += 1
        self._grad_out_ok = {}
        self._hooked = {}  # id(tensor) -> (weakref, [(role, module)]) for this pass
        self._checked = {}  # id(tensor) -> weakref: outputs found finite in this pass

    def _forward_hook(self, name):
        def hook(module, inputs, output):
            if self.found is not None:
                return
            outs = [output] if isinstance(output, torch.Tensor) else list(_tensors(output))
            outs = [t for t in outs if t.is_floating_point()]
            if all(self._checked_finite(t) for t in outs):
                if self.backward and torch.is_grad_enabled():
                    self._hook_backward(name, inputs, outs)
                return
            if all(_finite(t) for t in _tensors(inputs)):
                self._report(name, "forward", f"{name} produced NaN/Inf from finite inputs")
            elif name == self._root:  # no module made it: it came in with the model's input
                self._report(name, "forward", "the model's input already contains NaN/Inf")

        return hook

    def _checked_finite(self, t) -> bool:
        """_finite, once per tensor per pass: a container's output is its last child's output."""
        seen = self._checked.get(id(t))
        if seen is not None and seen() is t:
            return True
        if not _finite(t):
            return False
        self._checked[id(t)] = weakref.ref(t)
        return True

    def _hook_backward(self, name, inputs, outs):
        """Hook each tensor once per pass, whatever number of modules use it (a module's output is
        usually the next one's input): the hook checks the gradient once and plays every role."""
        for role, tensors in (("out", outs), ("in", _tensors(inputs))):
            for t in tensors:
                if not (t.requires_grad and t.is_floating_point()):
                    continue
                entry = self._hooked.get(id(t))
                if entry is None or entry[0]() is not t:
                    entry = (weakref.ref(t), [])
                    self._hooked[id(t)] = entry
                    t.register_hook(self._tensor_grad_hook(entry[1]))
                entry[1].append((role, name))

    def _tensor_grad_hook(self, roles):
        def hook(grad):
            if self.found is not None:
                return
            ok = _finite(grad)
            for role, name in roles:
                if role == "in":
                    if not ok and self._grad_out_ok.get(name, True):
                        self._report(name, "backward", f"{name} turned a finite gradient into NaN/Inf (input)")
                        return
                    continue
                self._grad_out_ok[name] = ok
                if ok:
                    continue
                if name == self._root:
                    self._report(name, "backward", "the gradient of the loss with respect to the model's output is NaN/Inf")
                    return
                if self._suspect is None:  # wait: the consumer's own hooks may name the module responsible
                    self._suspect = name
                    torch.autograd.Variable._execution_engine.queue_callback(self._end_backward)

        return hook

    def _end_backward(self):
        """Nothing named a module during this backward pass: blame the innermost enclosing module
        whose output gradient was finite (its forward code outside submodules made the NaN)."""
        suspect, self._suspect = self._suspect, None
        if self.found is not None or suspect is None:
            return
        parts = suspect.split(".")
        for i in range(len(parts) - 1, -1, -1):
            parent = ".".join(parts[:i]) if i else self._root
            if self._grad_out_ok.get(parent):
                self._report(parent, "backward", f"code in the forward of {parent} (outside its submodules) "
                             f"sent a NaN/Inf gradient to {suspect}")  # fmt: skip
                return
        self._report(suspect, "backward", f"the gradient arriving at the output of {suspect} is already NaN/Inf")

    def _grad_in_hook(self, name, what):
        def hook(grad):
            if self.found is not None or _finite(grad):
                return
            if self._grad_out_ok.get(name, True):
                self._report(name, "backward", f"{name} turned a finite gradient into NaN/Inf ({what})")

        return hook

    def _report(self, module: str, phase: str, message: str) -> None:
        text = f"step {self.step}, {phase}: {message}"
        self.found = {"module": module, "step": self.step, "phase": phase, "message": text}
        writer = self.writer
        if writer is None and current() is not None:
            writer = current().writer
        if writer is not None:
            writer.add_text("nan_sentinel", f"**{module}**: {text}", max(self.step, 0))
            writer.flush()
        if self.on_nan == "raise":
            raise NonFiniteError(f"NaN/Inf first appeared in {module}: {text}", module, self.step, phase)
        if self.on_nan == "warn":
            warnings.warn(f"tensorscope NanSentinel: NaN/Inf first appeared in {module}: {text}", stacklevel=2)

    def close(self) -> None:
        for h in self._handles:
            h.remove()
        self._handles = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
