import tempfile
import unittest
import warnings
from collections import OrderedDict

import torch
from torch import nn

from ._events import series

import tensorscope


class LogShift(nn.Module):
    """log(x + shift): finite while x > -shift, NaN below; `shift` is lowered to trigger it."""

    def __init__(self):
        super().__init__()
        self.shift = 100.0

    def forward(self, x):
        return torch.log(x + self.shift)


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(6, 6)
        self.attn = LogShift()

    def forward(self, x):
        return self.attn(torch.tanh(self.lin(x))) + x


def encoder_model():
    torch.manual_seed(0)
    return nn.Sequential(
        OrderedDict(encoder=nn.Sequential(Block(), Block(), Block(), Block()), head=nn.Linear(6, 2))
    )


def sqrt_pos(x):
    """sqrt of the positive part: finite forward; backward gives inf * 0 = NaN wherever x <= 0
    (sqrt(relu(x)) would not: relu's backward masks the infinity with an exact 0)."""
    return torch.sqrt(x * (x > 0))


class SqrtOfRelu(nn.Module):
    def forward(self, x):
        return sqrt_pos(x)


class FunctionalSqrt(nn.Module):
    """The NaN gradient comes from code in this module's own forward, between its children."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(4, 4)
        self.b = nn.Linear(4, 1)

    def forward(self, x):
        return self.b(sqrt_pos(self.a(x)))


class ForwardSentinelTest(unittest.TestCase):
    def run_steps(self, model, sentinel, nan_step):
        x = torch.randn(5, 6)
        for step in range(5):
            if step == nan_step:
                model.encoder[2].attn.shift = -5.0
            model(x).sum().backward()

    def test_names_the_module_and_step_and_raises(self):
        model = encoder_model()
        with tempfile.TemporaryDirectory() as d:
            writer = tensorscope.SummaryWriter(d)
            sentinel = tensorscope.NanSentinel(model, writer=writer)
            with self.assertRaises(tensorscope.NonFiniteError) as ctx:
                self.run_steps(model, sentinel, nan_step=3)
            self.assertEqual((ctx.exception.module, ctx.exception.step, ctx.exception.phase), ("encoder.2.attn", 3, "forward"))
            self.assertIn("encoder.2.attn", str(ctx.exception))
            writer.close()
            (step, v), = series(d)["nan_sentinel"]
            self.assertEqual(step, 3)
            self.assertEqual(v["plugin"], "text")
            self.assertTrue(v["tensor"]["strings"][0].startswith("**encoder.2.attn**: step 3, forward"))

    def test_warn_mode_keeps_training(self):
        model = encoder_model()
        sentinel = tensorscope.NanSentinel(model, on_nan="warn")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.run_steps(model, sentinel, nan_step=1)
        self.assertEqual(sentinel.found["module"], "encoder.2.attn")
        self.assertEqual(sentinel.found["step"], 1)
        self.assertEqual(len([w for w in caught if "encoder.2.attn" in str(w.message)]), 1)

    def test_nan_in_the_input_is_not_blamed_on_a_module(self):
        model = encoder_model()
        sentinel = tensorscope.NanSentinel(model, on_nan="record")
        x = torch.randn(5, 6)
        x[1, 2] = float("nan")
        model(x)
        self.assertEqual(sentinel.found["module"], "Sequential")
        self.assertIn("input already contains NaN", sentinel.found["message"])

    def test_healthy_training_finds_nothing_and_close_removes_hooks(self):
        model = encoder_model()
        sentinel = tensorscope.NanSentinel(model)
        self.run_steps(model, sentinel, nan_step=None)
        self.assertIsNone(sentinel.found)
        sentinel.close()
        model.encoder[2].attn.shift = -5.0
        model(torch.randn(2, 6)).sum().backward()  # NaN now, but no hooks remain
        self.assertIsNone(sentinel.found)


class ReluShift(nn.Module):
    """Functional code between passive modules: the NaN is made by this module's own forward."""

    def __init__(self):
        super().__init__()
        self.relu = nn.ReLU()
        self.pool = nn.MaxPool2d(2)

    def forward(self, x):
        return self.pool(torch.log(self.relu(x) - 1))  # log of a negative number for most inputs


class PassiveModulesTest(unittest.TestCase):
    """ReLU, pooling and reshapes are not checked; attribution stays right around them."""

    def cnn(self):
        torch.manual_seed(0)
        return nn.Sequential(
            OrderedDict(
                flat_in=nn.Identity(), conv1=nn.Conv2d(1, 4, 3, padding=1), relu1=nn.ReLU(), pool1=nn.MaxPool2d(2),
                conv2=nn.Conv2d(4, 4, 3, padding=1), relu2=nn.ReLU(), flat=nn.Flatten(), fc=nn.Linear(4 * 4 * 4, 3),
            )
        )  # fmt: skip

    def test_conv_with_an_infinite_weight(self):
        model = self.cnn()
        with torch.no_grad():
            model.conv2.weight[1, 2, 0, 0] = float("inf")
        sentinel = tensorscope.NanSentinel(model, on_nan="record")
        model(torch.randn(2, 1, 8, 8))
        self.assertEqual(sentinel.found["module"], "conv2")

    def test_nan_input_through_an_identity(self):
        model = self.cnn()
        sentinel = tensorscope.NanSentinel(model, on_nan="record")
        x = torch.randn(2, 1, 8, 8)
        x[0, 0, 3, 3] = float("nan")
        model(x)
        self.assertEqual(sentinel.found["module"], "Sequential")
        self.assertIn("input already contains NaN", sentinel.found["message"])

    def test_functional_code_between_passive_children(self):
        torch.manual_seed(0)
        model = nn.Sequential(OrderedDict(conv=nn.Conv2d(1, 2, 3), block=ReluShift(), flat=nn.Flatten()))
        sentinel = tensorscope.NanSentinel(model, on_nan="record")
        model(torch.randn(2, 1, 8, 8))
        self.assertEqual(sentinel.found["module"], "block")


class BackwardSentinelTest(unittest.TestCase):
    def test_module_with_infinite_gradient(self):
        torch.manual_seed(0)
        model = nn.Sequential(OrderedDict(fc=nn.Linear(4, 8), act=SqrtOfRelu(), out=nn.Linear(8, 1)))
        sentinel = tensorscope.NanSentinel(model, on_nan="record")
        loss = model(torch.randn(16, 4)).sum()
        self.assertIsNone(sentinel.found)  # the forward pass is finite
        loss.backward()
        self.assertEqual((sentinel.found["module"], sentinel.found["phase"]), ("act", "backward"))

    def test_functional_code_in_a_parent_forward(self):
        torch.manual_seed(0)
        model = nn.Sequential(OrderedDict(pre=nn.Linear(4, 4), block=FunctionalSqrt()))
        sentinel = tensorscope.NanSentinel(model, on_nan="record")
        model(torch.randn(16, 4)).sum().backward()
        self.assertEqual(sentinel.found["module"], "block")

    def test_functional_code_at_the_model_input(self):
        torch.manual_seed(0)
        model = FunctionalSqrt()
        sentinel = tensorscope.NanSentinel(model, on_nan="record")
        model(torch.randn(16, 4)).sum().backward()  # x needs no grad: the end-of-backward check names it
        self.assertEqual(sentinel.found["module"], "FunctionalSqrt")
        self.assertIn("outside its submodules", sentinel.found["message"])

    def test_nan_gradient_from_the_loss(self):
        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(4, 4), nn.Linear(4, 1))
        sentinel = tensorscope.NanSentinel(model, on_nan="record")
        out = model(torch.randn(8, 4))
        torch.sqrt((out * 0).sum()).backward()  # d sqrt(u)/du at u = 0 is infinite
        self.assertEqual(sentinel.found["module"], "Sequential")
        self.assertIn("loss", sentinel.found["message"])

    def test_raise_from_backward(self):
        torch.manual_seed(0)
        model = nn.Sequential(OrderedDict(fc=nn.Linear(4, 8), act=SqrtOfRelu(), out=nn.Linear(8, 1)))
        tensorscope.NanSentinel(model)
        with self.assertRaises(tensorscope.NonFiniteError) as ctx:
            model(torch.randn(16, 4)).sum().backward()
        self.assertEqual(ctx.exception.module, "act")


if __name__ == "__main__":
    unittest.main()
