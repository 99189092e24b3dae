"""Test fixture writer: a small GGUF v3 file built with struct + numpy, following the GGUF spec
(independent of tensorscope's reader). Prints the expected tensors and metadata as JSON."""
import json
import struct
import sys

import numpy as np

rng = np.random.default_rng(7)
out = bytearray(b"GGUF") + struct.pack("<I", 3)


def s(text):
    b = text.encode()
    return struct.pack("<Q", len(b)) + b


SCALARS = {0: "<B", 1: "<b", 2: "<H", 3: "<h", 4: "<I", 5: "<i", 6: "<f", 7: "<?", 10: "<Q", 11: "<q", 12: "<d"}


def value(t, v):
    if t == 8:
        return s(v)
    if t == 9:
        item_type, items = v
        return struct.pack("<IQ", item_type, len(items)) + b"".join(value(item_type, x) for x in items)
    return struct.pack(SCALARS[t], v)


kv = [
    ("general.architecture", 8, "llama"),
    ("general.alignment", 4, 64),
    ("u8", 0, 200), ("i8", 1, -100), ("u16", 2, 60000), ("i16", 3, -30000),
    ("u32", 4, 4000000000), ("i32", 5, -2000000000), ("f32", 6, 0.5), ("bool", 7, True),
    ("u64", 10, 2**60), ("i64", 11, -(2**40)), ("f64", 12, 3.25),
    ("tokens", 9, (8, ["<s>", "</s>", "héllo"])),
    ("ints", 9, (5, list(range(20)))),
    ("nested", 9, (9, [(4, [1, 2]), (4, [3])])),
]

tensors = []  # (name, ggml dims innermost-first, type, bytes, expected values)
a = rng.standard_normal((3, 4)).astype(np.float32)
tensors.append(("f32", [4, 3], 0, a.tobytes(), a.reshape(-1).tolist()))
h = rng.standard_normal(8).astype(np.float16)
tensors.append(("f16", [8], 1, h.tobytes(), h.astype(np.float32).tolist()))
bf = rng.standard_normal(6).astype(np.float32)
bf_bits = (bf.view(np.uint32) >> 16).astype(np.uint16)
tensors.append(("bf16", [6], 30, bf_bits.tobytes(), (bf_bits.astype(np.uint32) << 16).view(np.float32).tolist()))
i32 = np.arange(-5, 5, dtype=np.int32)
tensors.append(("i32", [10], 26, i32.tobytes(), i32.tolist()))

# Q8_0: per 32-element block, fp16 scale d then 32 int8; x = d * q
q8_blocks, q8_expected = b"", []
for _ in range(2):
    d = np.float16(rng.uniform(0.01, 0.1))
    q = rng.integers(-128, 128, 32).astype(np.int8)
    q8_blocks += d.tobytes() + q.tobytes()
    q8_expected += (np.float32(d) * q.astype(np.float32)).tolist()
tensors.append(("q8_0", [32, 2], 8, q8_blocks, q8_expected))

# Q4_0: fp16 d then 16 bytes; byte j holds element j (low nibble) and j+16 (high nibble); x = d * (q - 8)
q4_blocks, q4_expected = b"", []
d = np.float16(0.25)
q = rng.integers(0, 16, 32).astype(np.uint8)
packed = (q[:16] | (q[16:] << 4)).astype(np.uint8)
q4_blocks += d.tobytes() + packed.tobytes()
q4_expected += (np.float32(d) * (q.astype(np.float32) - 8)).tolist()
tensors.append(("q4_0", [32], 2, q4_blocks, q4_expected))

tensors.append(("q4_k", [256], 12, bytes(144), None))
if len(sys.argv) > 2 and sys.argv[2] == "big":
    tensors.append(("big", [1024, 4096], 0, bytes(4 * 1024 * 4096), None))  # 16 MB of weights

out += struct.pack("<QQ", len(tensors), len(kv))
for key, t, v in kv:
    out += s(key) + struct.pack("<I", t) + value(t, v)
offset, data = 0, bytearray()
for name, dims, t, raw, _ in tensors:
    out += s(name) + struct.pack("<I", len(dims)) + b"".join(struct.pack("<Q", x) for x in dims)
    out += struct.pack("<IQ", t, offset)
    data += raw + bytes((-len(raw)) % 64)
    offset += len(raw) + (-len(raw)) % 64
out += bytes((-len(out)) % 64)
open(sys.argv[1], "wb").write(out + data)
print(json.dumps({name: {"dims": dims, "bytes": len(raw), "values": vals} for name, dims, t, raw, vals in tensors}))
