"""CRC32C (Castagnoli), as TFRecord framing needs it, in pure Python.

No C-accelerated CRC32C ships with Debian's Python (zlib.crc32 is the IEEE polynomial), so this is
slicing-by-8 over precomputed tables: one Python loop iteration per 8 bytes. Measured on this
machine at roughly 20-25 MB/s, against ~3 MB/s for the byte-at-a-time loop; a logged step writes a
few KB, so this costs well under a millisecond per logged step, on the writer thread.
"""

import struct

_POLY = 0x82F63B78  # reflected Castagnoli polynomial


def _make_tables():
    t0 = []
    for i in range(256):
        c = i
        for _ in range(8):
            c = (c >> 1) ^ _POLY if c & 1 else c >> 1
        t0.append(c)
    tables = [t0]
    for _ in range(7):
        prev = tables[-1]
        tables.append([(prev[i] >> 8) ^ t0[prev[i] & 0xFF] for i in range(256)])
    return tables


_T = _make_tables()
_T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7 = _T
_MASK_DELTA = 0xA282EAD8


def crc32c(data: bytes) -> int:
    """The CRC32C of `data` (initial value and final xor 0xFFFFFFFF, as in RFC 3720)."""
    crc = 0xFFFFFFFF
    n = len(data)
    head = n - n % 8
    if head:
        t0, t1, t2, t3, t4, t5, t6, t7 = _T0, _T1, _T2, _T3, _T4, _T5, _T6, _T7
        for lo, hi in struct.iter_unpack("<II", memoryview(data)[:head]):
            lo ^= crc
            crc = (
                t7[lo & 0xFF]
                ^ t6[(lo >> 8) & 0xFF]
                ^ t5[(lo >> 16) & 0xFF]
                ^ t4[lo >> 24]
                ^ t3[hi & 0xFF]
                ^ t2[(hi >> 8) & 0xFF]
                ^ t1[(hi >> 16) & 0xFF]
                ^ t0[hi >> 24]
            )
    for b in data[head:]:
        crc = (crc >> 8) ^ _T0[(crc ^ b) & 0xFF]
    return crc ^ 0xFFFFFFFF


def masked_crc32c(data: bytes) -> int:
    """TFRecord's masked CRC: rotate right by 15 and add a constant, so CRCs of CRCs stay distinct."""
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def frame_record(data: bytes) -> bytes:
    """One TFRecord: u64 length, masked CRC of the length, the data, masked CRC of the data."""
    header = struct.pack("<Q", len(data))
    return header + struct.pack("<I", masked_crc32c(header)) + data + struct.pack("<I", masked_crc32c(data))
