"""Event files in TensorBoard's format, written by a background thread.

`EventFileWriter` frames already-encoded events (TFRecord + masked CRC32C) and writes them from a
daemon thread fed by a bounded queue: the training loop only encodes a few protobuf fields and
enqueues; it blocks only if the writer falls `max_queue` events behind. `SummaryWriter` is the
familiar `add_scalar` / `add_histogram` / `add_image` / `add_text` surface on top of it.
"""

import atexit
import os
import queue
import socket
import threading
import time
from datetime import datetime
from itertools import count

import torch

from . import _proto
from ._crc32c import frame_record
from ._png import encode_png
from ._stats import hist_fields, hist_vector

_file_ids = count()
_FLUSH = object()
_CLOSE = object()


class EventFileWriter:
    """Appends events to `<logdir>/events.out.tfevents.<time>.<host>.<pid>.<n>` from a background thread."""

    def __init__(self, logdir: str, max_queue: int = 1024, flush_secs: float = 10.0, filename_suffix: str = ""):
        try:
            os.makedirs(logdir, exist_ok=True)
        except OSError as e:
            raise OSError(e.errno, f"tensorscope cannot create the log directory {logdir}: {e.strerror}") from None
        name = "events.out.tfevents.%010d.%s.%d.%d%s" % (
            time.time(),
            socket.gethostname(),
            os.getpid(),
            next(_file_ids),
            filename_suffix,
        )
        self.path = os.path.join(logdir, name)
        self._file = open(self.path, "wb")
        self._file.write(frame_record(_proto.event(time.time(), 0, file_version="brain.Event:2")))
        self._file.flush()
        self._queue = queue.Queue(max_queue)
        self._flush_secs = flush_secs
        self._error = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="tensorscope-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    def add_event(self, encoded_event: bytes) -> None:
        """Queue one encoded Event (see _proto.event); framing and the CRC happen on the writer thread."""
        self._check()
        self._queue.put(encoded_event)

    def flush(self) -> None:
        """Block until everything queued so far is on disk."""
        if self._closed:
            return
        done = threading.Event()
        self._queue.put((_FLUSH, done))
        done.wait()
        self._check()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(_CLOSE)
        self._thread.join()
        atexit.unregister(self.close)
        if self._error is not None:
            raise self._error

    def _check(self) -> None:
        if self._error is not None:
            raise RuntimeError(f"tensorscope could not write {self.path}: {self._error}") from self._error
        if self._closed:
            raise RuntimeError(f"tensorscope writer for {self.path} is closed")

    def _run(self) -> None:
        last_flush = time.monotonic()
        try:
            while True:
                try:
                    item = self._queue.get(timeout=self._flush_secs)
                except queue.Empty:
                    item = None
                if item is _CLOSE:
                    break
                if isinstance(item, tuple):  # (_FLUSH, done)
                    self._file.flush()
                    last_flush = time.monotonic()
                    item[1].set()
                    continue
                if item is not None:
                    self._file.write(frame_record(item))
                if time.monotonic() - last_flush >= self._flush_secs:
                    self._file.flush()
                    last_flush = time.monotonic()
        except Exception as e:  # disk full, permissions: report on the next call from the training loop
            self._error = e
            self._drain()
        finally:
            self._file.close()

    def _drain(self) -> None:
        """After a write error keep consuming so that nobody blocks on a full queue or a flush."""
        while True:
            item = self._queue.get()
            if item is _CLOSE:
                return
            if isinstance(item, tuple):
                item[1].set()


def _default_logdir() -> str:
    return os.path.join("runs", datetime.now().strftime("%b%d_%H-%M-%S") + "_" + socket.gethostname())


def _to_numpy_image(img, dataformats: str):
    """An image tensor/array in `dataformats` (CHW, HWC or HW) -> (uint8 bytes, width, height, channels)."""
    t = torch.as_tensor(img).detach().cpu()
    fmt = dataformats.upper()
    if fmt == "HW":
        t, fmt = t.unsqueeze(-1), "HWC"
    if fmt == "CHW":
        t = t.permute(1, 2, 0)
    elif fmt != "HWC":
        raise ValueError(f"add_image: dataformats must be CHW, HWC or HW, got {dataformats!r}")
    if t.dim() != 3 or t.shape[2] not in (1, 3, 4):
        raise ValueError(f"add_image: expected 1, 3 or 4 channels in {dataformats}, got shape {tuple(img.shape)}")
    if t.dtype != torch.uint8:  # floats are in [0, 1], as in torch's SummaryWriter
        t = (t.to(torch.float32).clamp(0, 1) * 255).round().to(torch.uint8)
    h, w, c = t.shape
    return t.contiguous().numpy().tobytes(), w, h, c


class SummaryWriter:
    """A TensorBoard-compatible writer: the `torch.utils.tensorboard.SummaryWriter` methods people use."""

    def __init__(self, logdir: str = None, max_queue: int = 1024, flush_secs: float = 10.0, filename_suffix: str = ""):
        self.logdir = logdir or _default_logdir()
        self.file_writer = EventFileWriter(self.logdir, max_queue, flush_secs, filename_suffix)

    def add_summary(self, values, step: int = None, walltime: float = None) -> None:
        """Write encoded Summary.Values (see _proto.summary_value) as one event."""
        event = _proto.event(time.time() if walltime is None else walltime, int(step or 0), summary_values=values)
        self.file_writer.add_event(event)

    def add_scalar(self, tag: str, scalar_value, global_step: int = None, walltime: float = None) -> None:
        """A float32 `simple_value`, like tensorboardX; a tensor argument is read with .item()."""
        self.add_summary([_proto.summary_value(tag, simple_value=float(scalar_value))], global_step, walltime)

    def add_histogram(self, tag: str, values, global_step: int = None, bins: int = 64, walltime: float = None) -> None:
        """A histogram of the finite entries of `values` in `bins` equal buckets between their min and max."""
        fields = hist_fields(hist_vector(torch.as_tensor(values), bins).cpu().tolist())
        if fields is not None:
            self.add_histogram_raw(tag, global_step=global_step, walltime=walltime, **fields)

    def add_histogram_raw(
        self, tag, min, max, num, sum, sum_squares, bucket_limit, bucket, global_step=None, walltime=None
    ) -> None:
        """A histogram from precomputed fields; `bucket_limit` are the right edges of the buckets."""
        histo = _proto.histogram_proto(min, max, num, sum, sum_squares, bucket_limit, bucket)
        self.add_summary([_proto.summary_value(tag, histo=histo)], global_step, walltime)

    def add_image(self, tag: str, img_tensor, global_step: int = None, walltime: float = None, dataformats="CHW"):
        """An image (uint8, or float in [0, 1]), stored as PNG."""
        pixels, w, h, c = _to_numpy_image(img_tensor, dataformats)
        self.add_image_png(tag, encode_png(pixels, w, h, c), w, h, c, global_step, walltime)

    def add_image_png(self, tag, png: bytes, width: int, height: int, channels: int, global_step=None, walltime=None):
        """An already-encoded PNG."""
        image = _proto.image_proto(height, width, channels, png)
        self.add_summary([_proto.summary_value(tag, image=image)], global_step, walltime)

    def add_text(self, tag: str, text_string: str, global_step: int = None, walltime: float = None) -> None:
        """Text (markdown) for TensorBoard's text plugin: a DT_STRING tensor with plugin metadata."""
        value = _proto.summary_value(
            tag, tensor=_proto.string_tensor([text_string]), metadata=_proto.summary_metadata("text")
        )
        self.add_summary([value], global_step, walltime)

    def flush(self) -> None:
        self.file_writer.flush()

    def close(self) -> None:
        self.file_writer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
