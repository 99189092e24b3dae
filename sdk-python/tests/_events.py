"""Test helpers: read event files back, independently of the writer's code.

`read_records` checks the TFRecord framing and CRCs; `decode_event` is a small protobuf wire
decoder. `export_json` runs the real `tensorscope export` CLI.
"""

import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SDK = os.path.dirname(HERE)
REPO = os.path.dirname(SDK)
CLI = os.path.join(REPO, "node_modules", ".bin", "tensorscope")
if SDK not in sys.path:
    sys.path.insert(0, SDK)


def crc32c_bitwise(data: bytes) -> int:
    """Bit-by-bit CRC32C: slow, obviously right, and shares nothing with the SDK's table version."""
    crc = 0xFFFFFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc: int) -> int:
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(path: str, check_crc: bool = True):
    with open(path, "rb") as f:
        data = f.read()
    pos, out = 0, []
    while pos < len(data):
        (n,) = struct.unpack_from("<Q", data, pos)
        (len_crc,) = struct.unpack_from("<I", data, pos + 8)
        payload = data[pos + 12 : pos + 12 + n]
        (data_crc,) = struct.unpack_from("<I", data, pos + 12 + n)
        if check_crc:
            assert len_crc == masked(crc32c_bitwise(data[pos : pos + 8])), f"bad length crc at {pos}"
            assert data_crc == masked(crc32c_bitwise(payload)), f"bad data crc at {pos}"
        out.append(payload)
        pos += 16 + n
    return out


def _varint(b, pos):
    shift = result = 0
    while True:
        c = b[pos]
        pos += 1
        result |= (c & 0x7F) << shift
        shift += 7
        if not c & 0x80:
            return result, pos


def fields(b: bytes):
    """Yield (field number, wire type, value): ints for varints, bytes for length-delimited, raw for fixed."""
    pos = 0
    while pos < len(b):
        key, pos = _varint(b, pos)
        num, wire = key >> 3, key & 7
        if wire == 0:
            v, pos = _varint(b, pos)
        elif wire == 1:
            v, pos = b[pos : pos + 8], pos + 8
        elif wire == 5:
            v, pos = b[pos : pos + 4], pos + 4
        elif wire == 2:
            n, pos = _varint(b, pos)
            v, pos = b[pos : pos + n], pos + n
        else:
            raise ValueError(f"wire type {wire}")
        yield num, wire, v


def _histo(b):
    h = {"min": 0.0, "max": 0.0, "num": 0.0, "sum": 0.0, "sum_squares": 0.0, "bucket_limit": [], "bucket": []}
    names = {1: "min", 2: "max", 3: "num", 4: "sum", 5: "sum_squares"}
    for num, _, v in fields(b):
        if num in names:
            h[names[num]] = struct.unpack("<d", v)[0]
        elif num in (6, 7):
            h["bucket_limit" if num == 6 else "bucket"] += list(struct.unpack("<%dd" % (len(v) // 8), v))
    return h


def decode_event(b: bytes) -> dict:
    ev = {"wall_time": 0.0, "step": 0, "values": []}
    for num, _, v in fields(b):
        if num == 1:
            ev["wall_time"] = struct.unpack("<d", v)[0]
        elif num == 2:
            ev["step"] = v
        elif num == 3:
            ev["file_version"] = v.decode()
        elif num == 5:
            for n2, _, val in fields(v):
                if n2 == 1:
                    ev["values"].append(_value(val))
    return ev


def _value(b):
    out = {}
    for num, _, v in fields(b):
        if num == 1:
            out["tag"] = v.decode()
        elif num == 2:
            out["simple_value"] = struct.unpack("<f", v)[0]
        elif num == 4:
            img = {}
            for n3, _, x in fields(v):
                img[{1: "height", 2: "width", 3: "colorspace", 4: "encoded"}[n3]] = x
            out["image"] = img
        elif num == 5:
            out["histo"] = _histo(v)
        elif num == 8:
            t = {"strings": []}
            for n3, _, x in fields(v):
                if n3 == 1:
                    t["dtype"] = x
                elif n3 == 8:
                    t["strings"].append(x.decode())
            out["tensor"] = t
        elif num == 9:
            plugin = [x for n3, _, x in fields(v) if n3 == 1]
            out["plugin"] = next((y.decode() for n4, _, y in fields(plugin[0]) if n4 == 1), "") if plugin else ""
    return out


def event_files(logdir: str):
    return sorted(
        os.path.join(d, f) for d, _, fs in os.walk(logdir) for f in fs if f.startswith("events.out.tfevents.")
    )


def read_logdir(logdir: str):
    """All events of all files in `logdir`, decoded."""
    return [decode_event(r) for p in event_files(logdir) for r in read_records(p)]


def series(logdir: str) -> dict:
    """tag -> [(step, value dict)] in file order."""
    out = {}
    for ev in read_logdir(logdir):
        for v in ev["values"]:
            out.setdefault(v["tag"], []).append((ev["step"], v))
    return out


def cli_export_available() -> bool:
    if not os.path.exists(CLI):
        return False
    r = subprocess.run([CLI, "--help"], capture_output=True, text=True, timeout=120)
    return "export" in (r.stdout + r.stderr)


def export_json(logdir: str) -> dict:
    r = subprocess.run([CLI, "export", logdir, "--format", "json"], capture_output=True, text=True, timeout=300)
    if r.returncode != 0:
        raise AssertionError(f"tensorscope export failed ({r.returncode}): {r.stderr}")
    return json.loads(r.stdout)
