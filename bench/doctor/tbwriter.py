"""A minimal TensorBoard event-file writer (scalars and histograms), the way SummaryWriter writes them.

Self-contained on purpose: the doctor's evaluation suite must not depend on the SDK under test.
Records are framed as in TensorFlow's record_writer: length, masked CRC32C of length, data, masked CRC32C.
"""

import os
import socket
import struct
import time

import numpy as np

_POLY = 0x82F63B78
_TABLE = []
for _i in range(256):
    _c = _i
    for _ in range(8):
        _c = (_c >> 1) ^ _POLY if _c & 1 else _c >> 1
    _TABLE.append(_c)


def _crc32c(data: bytes) -> int:
    crc = 0xFFFFFFFF
    table = _TABLE
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _masked_crc(data: bytes) -> int:
    crc = _crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def _len_field(field: int, payload: bytes) -> bytes:
    return _key(field, 2) + _varint(len(payload)) + payload


def _double(field: int, v: float) -> bytes:
    return _key(field, 1) + struct.pack("<d", v)


def _tf_default_bins() -> np.ndarray:
    """TensorFlow's default histogram bucket edges (what torch's SummaryWriter uses with bins='tensorflow')."""
    v = 1e-12
    pos = []
    while v < 1e20:
        pos.append(v)
        v *= 1.1
    return np.array([-x for x in reversed(pos)] + [0.0] + pos)


_TF_BINS = _tf_default_bins()


def histogram_proto(values: np.ndarray, bins="tensorflow") -> bytes:
    """HistogramProto bytes, computed like torch.utils.tensorboard.summary.make_histogram."""
    values = np.asarray(values, dtype=np.float64).ravel()
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        finite = np.zeros(1)
    edges = _TF_BINS if bins == "tensorflow" else bins
    counts, limits = np.histogram(finite, bins=edges)
    nz = np.nonzero(counts)[0]
    start, end = (nz[0], nz[-1] + 1) if nz.size else (0, 1)
    # keep one empty bucket on the left, as TensorBoard's writers do
    counts = counts[max(start - 1, 0) : end]
    limits = limits[max(start - 1, 0) + 1 : end + 1]
    body = b"".join(
        [
            _double(1, float(values.min())),
            _double(2, float(values.max())),
            _double(3, float(values.size)),
            _double(4, float(values.sum())),
            _double(5, float(values.dot(values))),
            _len_field(6, struct.pack(f"<{len(limits)}d", *limits)),
            _len_field(7, struct.pack(f"<{len(counts)}d", *counts.astype(np.float64))),
        ]
    )
    return body


class SummaryWriter:
    """add_scalar / add_histogram / flush / close, like torch.utils.tensorboard.SummaryWriter."""

    def __init__(self, log_dir: str, bins="tensorflow"):
        os.makedirs(log_dir, exist_ok=True)
        name = f"events.out.tfevents.{int(time.time())}.{socket.gethostname()}.{os.getpid()}.0"
        self._f = open(os.path.join(log_dir, name), "wb")
        self._bins = bins
        self._write_event(b"".join([_double(1, time.time()), _len_field(3, b"brain.Event:2")]))

    def _write_event(self, data: bytes) -> None:
        header = struct.pack("<Q", len(data))
        self._f.write(header + struct.pack("<I", _masked_crc(header)) + data + struct.pack("<I", _masked_crc(data)))

    def _summary(self, step: int, value: bytes) -> None:
        summary = _len_field(1, value)
        self._write_event(_double(1, time.time()) + _key(2, 0) + _varint(int(step)) + _len_field(5, summary))

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        v = float(value)
        self._summary(step, _len_field(1, tag.encode()) + _key(2, 5) + struct.pack("<f", v))

    def add_histogram(self, tag: str, values, step: int) -> None:
        arr = values.detach().cpu().numpy() if hasattr(values, "detach") else np.asarray(values)
        self._summary(step, _len_field(1, tag.encode()) + _len_field(5, histogram_proto(arr, self._bins)))

    def flush(self) -> None:
        self._f.flush()

    def close(self) -> None:
        self._f.close()
