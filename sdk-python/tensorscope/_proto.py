"""Hand-encoded protobuf for the few TensorFlow messages an event file needs.

Field numbers follow tensorflow/core/util/event.proto, framework/summary.proto and
framework/tensor.proto. Only fields with non-default values are written, as protobuf does.
"""

import struct

# TensorFlow DataType values used here.
DT_FLOAT = 1
DT_DOUBLE = 2
DT_STRING = 7


def _varint(n: int) -> bytes:
    if n < 0:
        n &= (1 << 64) - 1  # negative int64: ten-byte two's complement, as protobuf does
    out = bytearray()
    while n > 0x7F:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def _len_field(field: int, payload: bytes) -> bytes:
    return _key(field, 2) + _varint(len(payload)) + payload


def _double(field: int, v: float) -> bytes:
    return _key(field, 1) + struct.pack("<d", v) if v else b""


def _float(field: int, v: float) -> bytes:
    try:
        return _key(field, 5) + struct.pack("<f", v)
    except OverflowError:  # finite in float64 but beyond float32: store the infinity float32 rounds to
        return _key(field, 5) + struct.pack("<f", float("inf") if v > 0 else float("-inf"))


def _int(field: int, v: int) -> bytes:
    return _key(field, 0) + _varint(v) if v else b""


def _str(field: int, s) -> bytes:
    if not s:
        return b""
    return _len_field(field, s.encode("utf-8") if isinstance(s, str) else bytes(s))


def _packed_doubles(field: int, values) -> bytes:
    if not len(values):
        return b""
    return _len_field(field, struct.pack("<%dd" % len(values), *values))


def summary_metadata(plugin_name: str, content: bytes = b"", data_class: int = 0) -> bytes:
    plugin_data = _str(1, plugin_name) + _str(2, content)
    return _len_field(1, plugin_data) + _int(4, data_class)


def histogram_proto(mn, mx, num, total, sum_squares, bucket_limit, bucket) -> bytes:
    """HistogramProto: bucket_limit are right edges; bucket i covers [limit[i-1], limit[i]) as in TF."""
    return (
        _double(1, mn)
        + _double(2, mx)
        + _double(3, num)
        + _double(4, total)
        + _double(5, sum_squares)
        + _packed_doubles(6, bucket_limit)
        + _packed_doubles(7, bucket)
    )


def image_proto(height: int, width: int, colorspace: int, encoded: bytes) -> bytes:
    return _int(1, height) + _int(2, width) + _int(3, colorspace) + _str(4, encoded)


def string_tensor(strings) -> bytes:
    """A rank-1 DT_STRING TensorProto, as the text plugin stores text."""
    shape = _len_field(2, _int(1, len(strings)))  # TensorShapeProto.dim { size }
    body = _int(1, DT_STRING) + _len_field(2, shape)
    for s in strings:
        body += _len_field(8, s.encode("utf-8"))
    return body


def summary_value(tag: str, *, simple_value=None, histo=None, image=None, tensor=None, metadata=None) -> bytes:
    """One Summary.Value; exactly one of the payload arguments is set."""
    body = _str(1, tag)
    if simple_value is not None:
        body += _float(2, simple_value)
    if image is not None:
        body += _len_field(4, image)
    if histo is not None:
        body += _len_field(5, histo)
    if tensor is not None:
        body += _len_field(8, tensor)
    if metadata is not None:
        body += _len_field(9, metadata)
    return body


def event(wall_time: float, step: int = 0, *, file_version=None, summary_values=()) -> bytes:
    """An Event: wall_time, step, and either file_version or a Summary of the given values."""
    body = _key(1, 1) + struct.pack("<d", wall_time) + _int(2, step)
    if file_version is not None:
        body += _str(3, file_version)
    if summary_values:
        body += _len_field(5, b"".join(_len_field(1, v) for v in summary_values))
    return body
