import struct
import tempfile
import unittest
from collections import OrderedDict

import torch
from torch import nn

from ._events import series

import tensorscope


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def make_model():
    torch.manual_seed(1)
    return nn.Sequential(
        OrderedDict(
            fc1=nn.Linear(8, 16), relu=nn.ReLU(), fc2=nn.Linear(16, 16), tanh=nn.Tanh(),
            fc3=nn.Linear(16, 3), gate=nn.Sigmoid(),
        )
    )  # fmt: skip


def hist_expected(t: torch.Tensor, bins: int):
    x = t.detach()
    return torch.histc(x, bins, x.min().item(), x.max().item()).tolist(), x.min().item(), x.max().item()


class WatchTest(unittest.TestCase):
    """Statistics read back from the event files equal the same statistics computed directly."""

    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.TemporaryDirectory()
        model = make_model()
        opt = torch.optim.SGD(model.parameters(), lr=0.5, momentum=0.9)
        w = tensorscope.watch(model, log_every=3, hist_every=3, logdir=cls.dir.name, optimizer=opt, bins=20)
        cls.expected = expected = {}
        cls.losses = []
        gen = torch.Generator().manual_seed(2)
        for step in range(8):
            x = torch.randn(32, 8, generator=gen) * 2
            y = torch.randint(0, 3, (32,), generator=gen)
            logged = step % 3 == 0
            if logged:
                before = {n: p.detach().clone() for n, p in model.named_parameters()}
                with torch.no_grad():  # activations, computed module by module without hooks
                    h = x
                    for name, m in model.named_children():
                        h = m(h)
                        expected[(step, f"act_mean/{name}")] = h.mean().item()
                        expected[(step, f"act_std/{name}")] = h.std().item()
                        expected[(step, f"act_zero_frac/{name}")] = ((h == 0).sum() / h.numel()).item()
                        expected[(step, f"activations/{name}")] = hist_expected(h, 20)
                    t = model.tanh(model.fc2(model.relu(model.fc1(x))))
                    expected[(step, "act_saturated_frac/tanh")] = ((t.abs() > 0.97).sum() / t.numel()).item()
                    g = model(x)
                    expected[(step, "act_saturated_frac/gate")] = (((g * 2 - 1).abs() > 0.97).sum() / g.numel()).item()
                for n, p in model.named_parameters():
                    expected[(step, n)] = hist_expected(p, 20)
                tensorscope.log_batch(x, y)
            out = model(x)
            model.eval()
            with torch.no_grad():
                model(x)  # an evaluation pass is not a training step
            model.train()
            loss = nn.functional.cross_entropy(out, y)
            opt.zero_grad()
            loss.backward()
            if logged:
                for n, p in model.named_parameters():
                    expected[(step, f"grad_norm/{n}")] = torch.linalg.vector_norm(p.grad).item()
                    expected[(step, f"{n}.grad")] = hist_expected(p.grad, 20)
            opt.step()
            if logged:
                for n, p in model.named_parameters():
                    d = torch.linalg.vector_norm(p.detach() - before[n]).double()
                    expected[(step, f"update_ratio/{n}")] = (d / torch.linalg.vector_norm(p.detach()).double()).item()
            w.log(loss=loss)
            cls.losses.append(loss.item())
        w.close()
        cls.series = series(cls.dir.name)

    @classmethod
    def tearDownClass(cls):
        cls.dir.cleanup()

    def value(self, tag, step):
        pts = [v for s, v in self.series.get(tag, []) if s == step]
        self.assertEqual(len(pts), 1, f"{tag} at step {step}: {len(pts)} points")
        return pts[0]

    def test_scalars_equal_direct_computation(self):
        n = 0
        for (step, tag), want in self.expected.items():
            if isinstance(want, float):
                got = self.value(tag, step)["simple_value"]
                if tag.startswith("update_ratio/"):  # computed in float64 from float32 norms
                    self.assertAlmostEqual(got, f32(want), delta=abs(want) * 1e-6, msg=f"{tag}@{step}")
                else:
                    self.assertEqual(got, f32(want), f"{tag}@{step}")
                n += 1
        self.assertEqual(n, 3 * (6 * 3 + 2 + 6 * 2))  # act x3 per module, 2 saturation, grad/update per param

    def test_histograms_equal_torch_histc(self):
        n = 0
        for (step, tag), want in self.expected.items():
            if isinstance(want, tuple):
                counts, lo, hi = want
                h = self.value(tag, step)["histo"]
                self.assertEqual((h["min"], h["max"]), (lo, hi), f"{tag}@{step}")
                self.assertEqual(h["bucket"], counts, f"{tag}@{step}")
                n += 1
        self.assertEqual(n, 3 * (6 + 6 + 6))

    def test_only_logged_steps_are_written(self):
        for tag, pts in self.series.items():
            if tag != "loss":
                self.assertTrue(all(s % 3 == 0 for s, _ in pts), tag)
        self.assertEqual([s for s, _ in self.series["grad_norm/fc1.weight"]], [0, 3, 6])
        self.assertNotIn("act_saturated_frac/relu", self.series)

    def test_tags_appear_in_model_order(self):
        params = [n for n, _ in make_model().named_parameters()]
        first_seen = [t for t in self.series if t.startswith("grad_norm/")]
        self.assertEqual(first_seen, [f"grad_norm/{n}" for n in params])
        inputs = [t for t in self.series if t.startswith("input/") and "histo" in self.series[t][0][1]]
        self.assertEqual(inputs, ["input/values", "input/labels"])

    def test_user_scalars_every_step_and_lr(self):
        self.assertEqual([s for s, _ in self.series["loss"]], list(range(8)))
        self.assertEqual([v["simple_value"] for _, v in self.series["loss"]], [f32(x) for x in self.losses])
        self.assertEqual([(s, v["simple_value"]) for s, v in self.series["lr"]], [(0, 0.5), (3, 0.5), (6, 0.5)])

    def test_log_batch(self):
        (step, shape), = self.series["input/shape"]
        self.assertEqual((step, shape["tensor"]["strings"]), (0, ["shape [32, 8], dtype float32; labels shape [32], dtype int64"]))
        gen = torch.Generator().manual_seed(2)
        for step in range(7):
            x = torch.randn(32, 8, generator=gen) * 2
            y = torch.randint(0, 3, (32,), generator=gen)
            if step % 3:
                continue
            self.assertEqual(self.value("input/mean", step)["simple_value"], f32(x.mean().item()))
            self.assertEqual(self.value("input/std", step)["simple_value"], f32(x.std().item()))
            self.assertEqual(self.value("input/max", step)["simple_value"], f32(x.max().item()))
            self.assertEqual(self.value("input/nan_count", step)["simple_value"], 0.0)
            h = self.value("input/values", step)["histo"]
            self.assertEqual(h["bucket"], torch.histc(x, 64, x.min().item(), x.max().item()).tolist())
            h = self.value("input/labels", step)["histo"]
            self.assertEqual(h["bucket"], torch.bincount(y, minlength=3).double().tolist())
            self.assertEqual(h["bucket_limit"], [0.5, 1.5, 2.5])


class WatchStepTest(unittest.TestCase):
    def test_log_batch_step_attribution_and_nonfinite_input(self):
        with tempfile.TemporaryDirectory() as d:
            model = nn.Linear(4, 2)
            w = tensorscope.watch(model, log_every=2, logdir=d)
            x = torch.ones(3, 4)
            for _ in range(4):
                tensorscope.log_batch(x)  # before the forward pass: belongs to the coming step
                model(x).sum().backward()
            x2 = x.clone()
            x2[0, 0], x2[1, 1] = float("nan"), float("inf")
            model(x2)
            tensorscope.log_batch(x2)  # after the forward, before backward: the current step (4)
            w.close()
            s = series(d)
            self.assertEqual([st for st, _ in s["input/mean"]], [0, 2, 4])
            self.assertEqual(s["input/nan_count"][-1][1]["simple_value"], 1.0)
            self.assertEqual(s["input/inf_count"][-1][1]["simple_value"], 1.0)
            self.assertEqual(s["input/max"][-1][1]["simple_value"], 1.0)  # over finite values
            self.assertEqual([st for st, _ in s["act_mean/Linear"]], [0, 2, 4])

    def test_close_removes_hooks(self):
        with tempfile.TemporaryDirectory() as d:
            model = nn.Sequential(nn.Linear(2, 2), nn.ReLU())
            w = tensorscope.watch(model, log_every=1, logdir=d)
            model(torch.ones(1, 2)).sum().backward()
            w.close()
            self.assertEqual(len(model._forward_hooks) + len(model[0]._forward_hooks), 0)
            self.assertEqual(len(model._forward_pre_hooks), 0)
            model(torch.ones(1, 2)).sum().backward()  # no hook left to fail

    def test_lr_per_param_group_follows_the_scheduler(self):
        with tempfile.TemporaryDirectory() as d:
            model = nn.Sequential(nn.Linear(3, 3), nn.Linear(3, 1))
            opt = torch.optim.SGD([{"params": model[0].parameters(), "lr": 0.1}, {"params": model[1].parameters()}], lr=0.01)
            sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
            w = tensorscope.watch(model, log_every=2, logdir=d, optimizer=opt)
            for _ in range(5):
                model(torch.ones(2, 3)).sum().backward()
                opt.step()
                sched.step()
            w.close()
            s = series(d)
            self.assertNotIn("lr", s)
            self.assertEqual([(st, v["simple_value"]) for st, v in s["lr/group0"]], [(0, f32(0.1)), (2, f32(0.05)), (4, f32(0.025))])
            self.assertEqual([(st, v["simple_value"]) for st, v in s["lr/group1"]], [(0, f32(0.01)), (2, f32(0.005)), (4, f32(0.0025))])

    def test_not_a_module(self):
        with self.assertRaisesRegex(TypeError, "expected a torch.nn.Module, got function"):
            tensorscope.watch(lambda x: x, logdir="unused")

    def test_bad_log_every(self):
        with self.assertRaisesRegex(ValueError, "log_every"):
            tensorscope.watch(nn.Linear(1, 1), log_every=0, logdir="unused")


if __name__ == "__main__":
    unittest.main()
