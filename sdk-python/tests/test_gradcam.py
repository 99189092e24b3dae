import io
import tempfile
import unittest
from collections import OrderedDict

import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn

from ._events import series

import tensorscope


def small_cnn():
    torch.manual_seed(3)
    return nn.Sequential(
        OrderedDict(
            conv1=nn.Conv2d(3, 8, 3, padding=1), relu1=nn.ReLU(), pool=nn.MaxPool2d(2),
            conv2=nn.Conv2d(8, 16, 3, padding=1), relu2=nn.ReLU(),
            gap=nn.AdaptiveAvgPool2d(1), flat=nn.Flatten(), fc=nn.Linear(16, 5),
        )
    ).eval()  # fmt: skip


def direct_gradcam(model, x, target):
    """Grad-CAM written out by hand: split the model at conv2 and differentiate the second half."""
    head = nn.Sequential(*list(model.children())[:4])
    tail = nn.Sequential(*list(model.children())[4:])
    a = head(x).detach().requires_grad_(True)
    logits = tail(a)
    logits[torch.arange(len(x)), target].sum().backward()
    w = a.grad.mean(dim=(2, 3), keepdim=True)
    cam = F.relu((w * a).sum(dim=1, keepdim=True))
    cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
    out = []
    for c in cam:
        span = c.max() - c.min()
        out.append((c - c.min()) / span if span > 0 else torch.zeros_like(c))
    return torch.stack(out).detach(), logits.detach()


class GradcamTest(unittest.TestCase):
    def test_matches_direct_computation_with_default_target(self):
        model = small_cnn()
        x = torch.randn(4, 3, 16, 16)
        logits = model(x)
        cam = tensorscope.gradcam(model, "conv2", x)
        want, _ = direct_gradcam(model, x, logits.argmax(dim=1))
        self.assertEqual(cam.shape, (4, 16, 16))
        torch.testing.assert_close(cam, want, rtol=1e-5, atol=1e-6)
        for c in cam:
            self.assertEqual((c.min().item(), c.max().item()), (0.0, 1.0))

    def test_explicit_target_and_module_argument(self):
        model = small_cnn()
        x = torch.randn(2, 3, 16, 16)
        cam = tensorscope.gradcam(model, model.conv2, x, target=3)
        self.assertTrue(all(p.grad is None for p in model.parameters()))  # .grad left alone
        want, _ = direct_gradcam(model, x, torch.tensor([3, 3]))
        torch.testing.assert_close(cam, want, rtol=1e-5, atol=1e-6)

    def test_logs_overlay_png(self):
        model = small_cnn()
        x = torch.randn(1, 3, 16, 16)
        with tempfile.TemporaryDirectory() as d:
            with tensorscope.SummaryWriter(d) as w:
                cam = tensorscope.gradcam(model, "conv2", x, writer=w, tag="cam/conv2", step=7)
            (step, v), = series(d)["cam/conv2"]
        self.assertEqual((step, v["image"]["width"], v["image"]["height"]), (7, 16, 16))
        img = Image.open(io.BytesIO(v["image"]["encoded"]))
        self.assertEqual((img.mode, img.size), ("RGB", (16, 16)))
        # where the map is hottest the overlay is redder than where it is coldest
        hot = divmod(int(cam[0].argmax()), 16)
        cold = divmod(int(cam[0].argmin()), 16)
        r_hot, _, b_hot = img.getpixel((hot[1], hot[0]))
        r_cold, _, b_cold = img.getpixel((cold[1], cold[0]))
        self.assertGreater(r_hot - b_hot, r_cold - b_cold)

    def test_unknown_layer_is_a_clear_error(self):
        with self.assertRaisesRegex(ValueError, "no layer 'conv9'"):
            tensorscope.gradcam(small_cnn(), "conv9", torch.randn(1, 3, 8, 8))
        with self.assertRaisesRegex(ValueError, "target 5 is out of range for 5 classes"):
            tensorscope.gradcam(small_cnn(), "conv2", torch.randn(1, 3, 8, 8), target=5)
        with self.assertRaisesRegex(ValueError, r"need \(N, C, h, w\)"):
            tensorscope.gradcam(small_cnn(), "fc", torch.randn(1, 3, 8, 8))


if __name__ == "__main__":
    unittest.main()
