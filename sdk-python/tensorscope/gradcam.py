"""Grad-CAM (Selvaraju et al. 2017): where in the input a convolutional layer saw evidence for a class."""

import torch
import torch.nn.functional as F

from ._png import encode_png


def _resolve(model, layer):
    if isinstance(layer, str):
        try:
            return model.get_submodule(layer)
        except AttributeError:
            names = ", ".join(n for n, _ in model.named_modules() if n)
            raise ValueError(f"gradcam: model has no layer {layer!r}; layers: {names}") from None
    return layer


def gradcam(model, layer, input, target=None, writer=None, tag="gradcam", step=0, alpha=0.5):
    """Grad-CAM maps for `input` (N, C, H, W): a tensor (N, H, W) in [0, 1].

    layer: a module of `model` or its qualified name. target: class index (int, or one per sample);
    default: each sample's argmax. The channel weights are the spatial means of the gradients of the
    target logits with respect to the layer's output; the map is the ReLU of the weighted channel
    sum, bilinearly upsampled to H x W and min-max normalized per sample (all zeros when flat).
    With `writer`, the first sample's map is also logged as a heatmap over the input, as PNG.
    Parameter .grad fields are left untouched.
    """
    module = _resolve(model, layer)
    captured = []
    handle = module.register_forward_hook(lambda m, i, o: captured.append(o))
    try:
        with torch.enable_grad():
            x = input.detach().requires_grad_(False)
            logits = model(x)
            if not captured or not isinstance(captured[-1], torch.Tensor):
                raise ValueError(f"gradcam: layer {layer!r} did not produce a tensor during the forward pass")
            acts = captured[-1]
            if acts.dim() != 4:
                raise ValueError(f"gradcam: layer {layer!r} output has shape {tuple(acts.shape)}; need (N, C, h, w)")
            n = logits.shape[0]
            if target is None:
                idx = logits.argmax(dim=1)
            else:
                idx = torch.as_tensor(target, device=logits.device).long().expand(n)
                if bool(((idx < 0) | (idx >= logits.shape[1])).any()):
                    raise ValueError(f"gradcam: target {target} is out of range for {logits.shape[1]} classes")
            score = logits.gather(1, idx.reshape(n, 1)).sum()
            (grads,) = torch.autograd.grad(score, acts)
    finally:
        handle.remove()
    with torch.no_grad():
        weights = grads.mean(dim=(2, 3), keepdim=True)
        cam = F.relu((weights * acts).sum(dim=1, keepdim=True))
        cam = F.interpolate(cam, size=input.shape[-2:], mode="bilinear", align_corners=False)[:, 0]
        flat = cam.reshape(n, -1)
        lo = flat.min(dim=1).values.reshape(n, 1, 1)
        span = flat.max(dim=1).values.reshape(n, 1, 1) - lo
        scaled = (cam - lo) / span.clamp(min=torch.finfo(cam.dtype).tiny)
        cam = torch.where(span > 0, scaled, torch.zeros_like(cam))
    if writer is not None:
        png, w, h = overlay_png(input[0], cam[0], alpha)
        writer.add_image_png(tag, png, w, h, 3, step)
    return cam


def _jet(v: torch.Tensor) -> torch.Tensor:
    """A jet-like colormap: (H, W) in [0, 1] -> (H, W, 3) in [0, 1]; blue (cold) to red (hot)."""
    four = 4 * v
    r = (torch.minimum(four - 1.5, -four + 4.5)).clamp(0, 1)
    g = (torch.minimum(four - 0.5, -four + 3.5)).clamp(0, 1)
    b = (torch.minimum(four + 0.5, -four + 2.5)).clamp(0, 1)
    return torch.stack([r, g, b], dim=-1)


def overlay_png(image: torch.Tensor, cam: torch.Tensor, alpha: float = 0.5):
    """Blend the map's colormap over the image (C, H, W; min-max scaled, gray if C != 3): PNG bytes, width, height."""
    img = image.detach().to(torch.float32).cpu()
    img = img if img.shape[0] == 3 else img.mean(dim=0, keepdim=True).expand(3, -1, -1)
    lo, hi = img.min(), img.max()
    img = (img - lo) / (hi - lo) if hi > lo else torch.zeros_like(img)
    blend = (1 - alpha) * img.permute(1, 2, 0) + alpha * _jet(cam.detach().to(torch.float32).cpu())
    pixels = (blend.clamp(0, 1) * 255).round().to(torch.uint8).contiguous()
    h, w = pixels.shape[:2]
    return encode_png(pixels.numpy().tobytes(), w, h, 3), w, h
