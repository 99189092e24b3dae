"""Event files written by the SDK read back exactly with the real `tensorscope export` CLI."""

import base64
import math
import struct
import tempfile
import unittest
from collections import OrderedDict

import torch
from torch import nn

from ._events import CLI, export_json, series

import tensorscope


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def json_number(v):
    return float(v) if isinstance(v, str) else v  # "NaN", "Infinity", "-Infinity"


class ExportCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        d = cls.dir.name
        cls.scalars = [math.sin(i / 7) * 10 ** (i % 5 - 2) for i in range(200)] + [float("nan"), float("inf"), -1e39]
        cls.hist_values = torch.randn(5000, generator=torch.Generator().manual_seed(4)) * 2 - 1
        cls.image = torch.rand(3, 6, 9, generator=torch.Generator().manual_seed(5))
        with tensorscope.SummaryWriter(f"{d}/writer") as w:
            for i, v in enumerate(cls.scalars):
                w.add_scalar("loss/train", v, i * 3, walltime=1_700_000_000.25 + i)
            w.add_histogram("weights/layer1", cls.hist_values, 7, bins=30)
            w.add_text("notes", "héllo *markdown* ✓", 2)
            w.add_image("img", cls.image, 1)
        torch.manual_seed(0)
        model = nn.Sequential(OrderedDict(fc1=nn.Linear(6, 8), relu=nn.ReLU(), fc2=nn.Linear(8, 3), tanh=nn.Tanh()))
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        w = tensorscope.watch(model, log_every=5, hist_every=10, logdir=f"{d}/watch", optimizer=opt)
        for _ in range(23):
            x, y = torch.randn(16, 6), torch.randint(0, 3, (16,))
            tensorscope.log_batch(x, y)
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            w.log(loss=loss)
        w.close()
        cls.export = {r["name"]: {t["tag"]: t for t in r["tags"]} for r in export_json(d)["runs"]}
        cls.mine = {run: series(f"{d}/{run}") for run in ("writer", "watch")}

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def test_cli_is_the_real_one(self):
        self.assertTrue(CLI.endswith("node_modules/.bin/tensorscope"))
        self.assertEqual(sorted(self.export), ["watch", "writer"])

    def test_scalars_exact(self):
        pts = self.export["writer"]["loss/train"]["points"]
        self.assertEqual(self.export["writer"]["loss/train"]["kind"], "scalar")
        self.assertEqual([p["step"] for p in pts], [3 * i for i in range(len(self.scalars))])
        self.assertEqual([p["wall_time"] for p in pts], [1_700_000_000.25 + i for i in range(len(self.scalars))])
        for p, want in zip(pts[:200], self.scalars):
            self.assertEqual(f32(p["value"]), f32(want))
        self.assertTrue(math.isnan(json_number(pts[200]["value"])))
        self.assertEqual([json_number(p["value"]) for p in pts[201:]], [math.inf, -math.inf])

    def test_histogram_exact(self):
        (p,) = self.export["writer"]["weights/layer1"]["points"]
        x = self.hist_values
        lo, hi = x.min().item(), x.max().item()
        self.assertEqual((p["step"], p["num"], p["min"], p["max"]), (7, 5000, lo, hi))
        self.assertEqual([b["count"] for b in p["buckets"]], torch.histc(x, 30, lo, hi).tolist())
        self.assertEqual(p["buckets"][0]["left"], lo)
        self.assertEqual(p["buckets"][-1]["right"], hi)
        for a, b in zip(p["buckets"], p["buckets"][1:]):
            self.assertEqual(a["right"], b["left"])
        self.assertAlmostEqual(p["sum"], x.double().sum().item(), places=6)

    def test_text_and_image(self):
        (t,) = self.export["writer"]["notes"]["points"]
        self.assertEqual((self.export["writer"]["notes"]["kind"], t["step"], t["strings"]), ("text", 2, ["héllo *markdown* ✓"]))
        img = self.export["writer"]["img"]
        (p,) = img["points"]
        self.assertEqual((img["kind"], p["width"], p["height"], p["content_type"]), ("image", 9, 6, "image/png"))
        mine = self.mine["writer"]["img"][0][1]["image"]["encoded"]
        self.assertEqual(base64.b64decode(p["images"][0]), mine)

    def test_every_watch_point_matches_an_independent_reader(self):
        """Same tags, kinds, steps and values as the test's own protobuf decoder
        (whose values test_watch checks against direct torch computations)."""
        exported = self.export["watch"]
        mine = self.mine["watch"]
        self.assertEqual(sorted(exported), sorted(mine))
        kinds = {t["kind"] for t in exported.values()}
        self.assertEqual(kinds, {"scalar", "histogram", "text"})
        n = 0
        for tag, t in exported.items():
            self.assertEqual(len(t["points"]), len(mine[tag]), tag)
            for p, (step, v) in zip(t["points"], mine[tag]):
                self.assertEqual(p["step"], step, tag)
                n += 1
                if t["kind"] == "scalar":
                    self.assertEqual(f32(json_number(p["value"])), v["simple_value"], tag)
                elif t["kind"] == "histogram":
                    h = v["histo"]
                    self.assertEqual((p["min"], p["max"], p["num"]), (h["min"], h["max"], h["num"]), tag)
                    self.assertEqual([b["count"] for b in p["buckets"]], h["bucket"], tag)
                    self.assertEqual([b["right"] for b in p["buckets"]][:-1], h["bucket_limit"][:-1], tag)
                else:
                    self.assertEqual(p["strings"], v["tensor"]["strings"], tag)
        self.assertGreater(n, 200)
        self.assertEqual([p["step"] for p in exported["grad_norm/fc1.weight"]["points"]], [0, 5, 10, 15, 20])
        self.assertEqual([p["step"] for p in exported["fc1.weight.grad"]["points"]], [0, 10, 20])
        self.assertEqual([p["step"] for p in exported["loss"]["points"]], list(range(23)))
        self.assertIn("act_saturated_frac/tanh", exported)


if __name__ == "__main__":
    unittest.main()
