import io
import os
import struct
import tempfile
import unittest

import torch
from PIL import Image  # an independent PNG decoder, used only by the tests

from ._events import crc32c_bitwise, read_logdir, read_records, series

from tensorscope import SummaryWriter
from tensorscope._crc32c import crc32c, masked_crc32c
from tensorscope._png import encode_png


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


class Crc32cTest(unittest.TestCase):
    def test_known_vectors(self):
        # RFC 3720 appendix B.4 test vectors and the classic check value
        self.assertEqual(crc32c(b"123456789"), 0xE3069283)
        self.assertEqual(crc32c(bytes(32)), 0x8A9136AA)
        self.assertEqual(crc32c(b"\xff" * 32), 0x62A8AB43)
        self.assertEqual(crc32c(bytes(range(32))), 0x46DD794E)

    def test_matches_bitwise_for_every_length_alignment(self):
        data = os.urandom(300)
        for n in range(0, 70):
            self.assertEqual(crc32c(data[:n]), crc32c_bitwise(data[:n]), n)
        self.assertEqual(crc32c(data), crc32c_bitwise(data))

    def test_masking(self):
        c = crc32c(b"abc")
        self.assertEqual(masked_crc32c(b"abc"), (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF)


class PngTest(unittest.TestCase):
    def test_rgb_and_gray_round_trip_through_pil(self):
        rgb = bytes((x * 7 + y * 3 + c) % 256 for y in range(5) for x in range(7) for c in range(3))
        img = Image.open(io.BytesIO(encode_png(rgb, 7, 5, 3)))
        self.assertEqual((img.mode, img.size), ("RGB", (7, 5)))
        self.assertEqual(img.tobytes(), rgb)
        gray = bytes(range(12))
        img = Image.open(io.BytesIO(encode_png(gray, 4, 3, 1)))
        self.assertEqual((img.mode, img.tobytes()), ("L", gray))

    def test_wrong_size_is_a_clear_error(self):
        with self.assertRaisesRegex(ValueError, "expected 12 bytes"):
            encode_png(bytes(5), 2, 2, 3)


class SummaryWriterTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        self.logdir = self.dir.name

    def tearDown(self):
        self.dir.cleanup()

    def test_file_name_and_first_event(self):
        with SummaryWriter(self.logdir) as w:
            w.add_scalar("loss", 1.0, 0)
        files = os.listdir(self.logdir)
        self.assertEqual(len(files), 1)
        self.assertRegex(files[0], r"^events\.out\.tfevents\.\d{10}\.[^.]+.*\.%d\.\d+$" % os.getpid())
        events = read_logdir(self.logdir)
        self.assertEqual(events[0]["file_version"], "brain.Event:2")
        self.assertEqual(events[0]["values"], [])

    def test_scalars_are_float32_with_steps_and_wall_times(self):
        values = [0.1 * i + 1e-9 for i in range(300)] + [float("nan"), float("inf"), 1e39]
        with SummaryWriter(self.logdir) as w:
            for i, v in enumerate(values):
                w.add_scalar("loss/train", v, i, walltime=1000.0 + i)
            w.add_scalar("tensor", torch.tensor(2.5), 7)
        s = series(self.logdir)
        got = s["loss/train"]
        self.assertEqual([step for step, _ in got], list(range(len(values))))
        for (_, v), want in zip(got[:300], values[:300]):
            self.assertEqual(v["simple_value"], f32(want))
        self.assertTrue(got[300][1]["simple_value"] != got[300][1]["simple_value"])  # NaN
        self.assertEqual(got[301][1]["simple_value"], float("inf"))
        self.assertEqual(got[302][1]["simple_value"], float("inf"))  # beyond float32 range
        self.assertEqual(s["tensor"], [(7, {"tag": "tensor", "simple_value": 2.5})])
        walls = [ev["wall_time"] for ev in read_logdir(self.logdir) if ev["values"]][:3]
        self.assertEqual(walls, [1000.0, 1001.0, 1002.0])

    def test_histogram_matches_torch_histc(self):
        torch.manual_seed(0)
        x = torch.randn(10000) * 3 + 1
        x[5] = float("nan")
        x[9] = float("-inf")
        with SummaryWriter(self.logdir) as w:
            w.add_histogram("w", x, 3, bins=30)
        (step, v), = series(self.logdir)["w"]
        h = v["histo"]
        xf = x[torch.isfinite(x)]
        self.assertEqual(step, 3)
        self.assertEqual(h["num"], 9998)
        self.assertEqual((h["min"], h["max"]), (xf.min().item(), xf.max().item()))
        self.assertAlmostEqual(h["sum"], xf.double().sum().item(), places=6)
        self.assertAlmostEqual(h["sum_squares"], (xf.double() ** 2).sum().item(), places=4)
        want = torch.histc(xf, 30, xf.min().item(), xf.max().item()).tolist()
        self.assertEqual(h["bucket"], want)
        self.assertEqual(len(h["bucket_limit"]), 30)
        self.assertEqual(h["bucket_limit"][-1], xf.max().item())

    def test_constant_histogram_is_one_bucket(self):
        with SummaryWriter(self.logdir) as w:
            w.add_histogram("bias", torch.zeros(10), 0)
        h = series(self.logdir)["bias"][0][1]["histo"]
        self.assertEqual((h["bucket_limit"], h["bucket"], h.get("num")), ([0.0], [10.0], 10.0))

    def test_image_and_text(self):
        img = torch.linspace(0, 1, 3 * 4 * 5).reshape(3, 4, 5)
        with SummaryWriter(self.logdir) as w:
            w.add_image("img", img, 2)
            w.add_text("notes", "héllo **world**", 4)
        s = series(self.logdir)
        (step, v), = s["img"]
        self.assertEqual((step, v["image"]["height"], v["image"]["width"], v["image"]["colorspace"]), (2, 4, 5, 3))
        pil = Image.open(io.BytesIO(v["image"]["encoded"]))
        want = (img.permute(1, 2, 0) * 255).round().to(torch.uint8).numpy().tobytes()
        self.assertEqual(pil.tobytes(), want)
        (step, v), = s["notes"]
        self.assertEqual((step, v["plugin"], v["tensor"]["dtype"], v["tensor"]["strings"]), (4, "text", 7, ["héllo **world**"]))

    def test_records_have_valid_crcs_and_flush_makes_data_visible(self):
        w = SummaryWriter(self.logdir, flush_secs=1000)
        for i in range(50):
            w.add_histogram("h", torch.randn(100), i)
        w.flush()
        path = os.path.join(self.logdir, os.listdir(self.logdir)[0])
        self.assertEqual(len(read_records(path, check_crc=True)), 51)
        w.close()
        with self.assertRaisesRegex(RuntimeError, "closed"):
            w.add_scalar("late", 1.0, 0)

    def test_logdir_that_is_a_file_is_a_clear_error(self):
        path = os.path.join(self.logdir, "a_file")
        open(path, "w").close()
        with self.assertRaisesRegex(OSError, "cannot create the log directory .*a_file"):
            SummaryWriter(path)

    def test_bad_image_format_is_a_clear_error(self):
        with SummaryWriter(self.logdir) as w:
            with self.assertRaisesRegex(ValueError, "dataformats must be"):
                w.add_image("x", torch.zeros(3, 2, 2), 0, dataformats="NCHW")
            with self.assertRaisesRegex(ValueError, "channels"):
                w.add_image("x", torch.zeros(2, 2, 2), 0)


if __name__ == "__main__":
    unittest.main()
