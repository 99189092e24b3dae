"""tensorscope: instrument PyTorch training for the tensorscope dashboards and doctor.

    import tensorscope
    w = tensorscope.watch(model, log_every=50, logdir="runs/exp1", optimizer=opt)
    for x, y in loader:
        tensorscope.log_batch(x, y)
        loss = loss_fn(model(x), y)
        loss.backward(); opt.step(); opt.zero_grad()
        w.log(loss=loss)
    w.close()
"""

from .batch import log_batch
from .gradcam import gradcam
from .sentinel import NanSentinel, NonFiniteError
from .watch import Watcher, watch
from .writer import EventFileWriter, SummaryWriter

__all__ = [
    "EventFileWriter",
    "NanSentinel",
    "NonFiniteError",
    "SummaryWriter",
    "Watcher",
    "gradcam",
    "log_batch",
    "watch",
]
__version__ = "0.1.0"
