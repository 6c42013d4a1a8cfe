#!/usr/bin/python3
"""Reference arrays for tests/test_augment.c (run with /usr/bin/python3:
numpy, OpenCV 4.6, torch 1.13, scikit-image 0.19).

torchvision is not installed here, so the colour formulas are transcribed
from torchvision 0.14, torchvision/transforms/functional_tensor.py
(_blend, rgb_to_grayscale, adjust_brightness / contrast / saturation / hue,
_rgb2hsv, _hsv2rgb, adjust_gamma, _blurred_degenerate_image /
adjust_sharpness, gaussian_blur with _get_gaussian_kernel1d), and the affine
matrix from torchvision/transforms/functional.py
(_get_inverse_affine_matrix). They run in torch on uint8 tensors exactly as
torchvision runs them (float32 math, .to(torch.uint8) truncation).

Writes tests/data/augment/:
  photo.npy              u8 [96, 128, 3]: skimage.data.astronaut(), cv2 INTER_AREA
  brightness_1.3.npy ... u8 results of each op with a fixed factor (names below)
  photo_f32.npy          f32 [3, 96, 128] = photo / 255 (CHW)
  hue_f32_0.2.npy        f32 [3, 96, 128]: adjust_hue on photo_f32
  rotate_30.npy          cv2.warpAffine(photo, getRotationMatrix2D(c, 30, 1)), bilinear
  affine.npy             cv2.warpAffine with torchvision's affine (deg 20, scale 1.1,
                         shear 10, 5), inverted to a forward matrix
  resize_80x100.npy      cv2.resize(photo, (100, 80), INTER_LINEAR)
"""
import math
import os
import sys

import cv2
import numpy as np
import skimage.data
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "augment")
os.makedirs(OUT, exist_ok=True)


def save(name, a):
    np.save(os.path.join(OUT, name + ".npy"), np.ascontiguousarray(a))


# ---- transcribed from torchvision 0.14 functional_tensor.py -----------------

def _max_value(dtype):
    return 255 if dtype == torch.uint8 else 1.0


def _blend(img1, img2, ratio):
    ratio = float(ratio)
    bound = _max_value(img1.dtype)
    return (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound).to(img1.dtype)


def rgb_to_grayscale(img, num_output_channels=1):
    r, g, b = img.unbind(dim=-3)
    l_img = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype)
    l_img = l_img.unsqueeze(dim=-3)
    if num_output_channels == 3:
        return l_img.expand(img.shape)
    return l_img


def adjust_brightness(img, f):
    return _blend(img, torch.zeros_like(img), f)


def adjust_contrast(img, f):
    dtype = img.dtype if torch.is_floating_point(img) else torch.float32
    mean = torch.mean(rgb_to_grayscale(img).to(dtype), dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, f)


def adjust_saturation(img, f):
    return _blend(img, rgb_to_grayscale(img), f)


def _rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc = torch.max(img, dim=-3).values
    minc = torch.min(img, dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = torch.ones_like(maxc)
    s = cr / torch.where(eqc, ones, maxc)
    cr_divisor = torch.where(eqc, ones, cr)
    rc = (maxc - r) / cr_divisor
    gc = (maxc - g) / cr_divisor
    bc = (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = hr + hg + hb
    h = torch.fmod((h / 6.0 + 1.0), 1.0)
    return torch.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = torch.floor(h * 6.0)
    f = (h * 6.0) - i
    i = i.to(dtype=torch.int32)
    p = torch.clamp((v * (1.0 - s)), 0.0, 1.0)
    q = torch.clamp((v * (1.0 - s * f)), 0.0, 1.0)
    t = torch.clamp((v * (1.0 - s * (1.0 - f))), 0.0, 1.0)
    i = i % 6
    mask = i.unsqueeze(dim=-3) == torch.arange(6, device=i.device).view(-1, 1, 1)
    a1 = torch.stack((v, q, p, p, t, v), dim=-3)
    a2 = torch.stack((t, v, v, q, p, p), dim=-3)
    a3 = torch.stack((p, p, t, v, v, q), dim=-3)
    a4 = torch.stack((a1, a2, a3), dim=-4)
    return torch.einsum("...ijk, ...xijk -> ...xjk", mask.to(dtype=img.dtype), a4)


def adjust_hue(img, hue_factor):
    orig_dtype = img.dtype
    if img.dtype == torch.uint8:
        img = img.to(dtype=torch.float32) / 255.0
    img = _rgb2hsv(img)
    h, s, v = img.unbind(dim=-3)
    h = (h + hue_factor) % 1.0
    img = torch.stack((h, s, v), dim=-3)
    img_hue_adj = _hsv2rgb(img)
    if orig_dtype == torch.uint8:
        img_hue_adj = (img_hue_adj * 255.0).to(dtype=orig_dtype)
    return img_hue_adj


def adjust_gamma(img, gamma, gain=1):
    result = img
    dtype = img.dtype
    if not torch.is_floating_point(img):
        result = result / 255.0
    result = (gain * result ** gamma).clamp(0, 1)
    if result.dtype != dtype:
        eps = 1e-3
        result = (255 + 1.0 - eps) * result
    return result.to(dtype)


def _cast_squeeze_out(img, need_cast, out_dtype):
    if need_cast:
        if out_dtype in (torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64):
            img = torch.round(img)
        img = img.to(out_dtype)
    return img


def _blurred_degenerate_image(img):
    dtype = img.dtype if torch.is_floating_point(img) else torch.float32
    kernel = torch.ones((3, 3), dtype=dtype)
    kernel[1, 1] = 5.0
    kernel /= kernel.sum()
    kernel = kernel.expand(img.shape[-3], 1, kernel.shape[0], kernel.shape[1])
    x = img.unsqueeze(0).to(dtype)
    x = torch.nn.functional.conv2d(x, kernel, groups=x.shape[-3])
    x = _cast_squeeze_out(x[0], img.dtype != dtype, img.dtype)
    result = img.clone()
    result[..., 1:-1, 1:-1] = x
    return result


def adjust_sharpness(img, f):
    return _blend(img, _blurred_degenerate_image(img), f)


def _get_gaussian_kernel1d(kernel_size, sigma):
    ksize_half = (kernel_size - 1) * 0.5
    x = torch.linspace(-ksize_half, ksize_half, steps=kernel_size)
    pdf = torch.exp(-0.5 * (x / sigma).pow(2))
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma):
    k1 = _get_gaussian_kernel1d(kernel_size[0], sigma[0])
    k2 = _get_gaussian_kernel1d(kernel_size[1], sigma[1])
    kernel = torch.mm(k2[:, None], k1[None, :])
    kernel = kernel.expand(img.shape[-3], 1, kernel.shape[0], kernel.shape[1])
    dtype = img.dtype if torch.is_floating_point(img) else torch.float32
    x = img.unsqueeze(0).to(dtype)
    pad = [kernel_size[0] // 2, kernel_size[0] // 2, kernel_size[1] // 2, kernel_size[1] // 2]
    x = torch.nn.functional.pad(x, pad, mode="reflect")
    x = torch.nn.functional.conv2d(x, kernel, groups=x.shape[-3])
    return _cast_squeeze_out(x[0], img.dtype != dtype, img.dtype)


# ---- transcribed from torchvision 0.14 functional.py -------------------------

def _get_inverse_affine_matrix(center, angle, translate, scale, shear):
    rot = math.radians(angle)
    sx = math.radians(shear[0])
    sy = math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    matrix = [d, -b, 0.0, -c, a, 0.0]
    matrix = [x / scale for x in matrix]
    matrix[2] += matrix[0] * (-cx - tx) + matrix[1] * (-cy - ty)
    matrix[5] += matrix[3] * (-cx - tx) + matrix[4] * (-cy - ty)
    matrix[2] += cx
    matrix[5] += cy
    return matrix


def crosscheck_with_torchvision(t, hwc):
    """The transcriptions above must equal torchvision's own functional ops
    (Debian's python3-torchvision 0.14): checked whenever it is installed.
    On 2026-11-29 every fixture agreed with it bit for bit."""
    try:
        import torchvision.transforms.functional as TF
    except ImportError:
        print("torchvision not installed: the transcriptions are not cross-checked", file=sys.stderr)
        return
    pairs = {
        "brightness_1.3": TF.adjust_brightness(t, 1.3), "brightness_0.6": TF.adjust_brightness(t, 0.6),
        "contrast_0.6": TF.adjust_contrast(t, 0.6), "contrast_1.4": TF.adjust_contrast(t, 1.4),
        "saturation_0.3": TF.adjust_saturation(t, 0.3), "saturation_1.7": TF.adjust_saturation(t, 1.7),
        "hue_0.1": TF.adjust_hue(t, 0.1), "hue_-0.35": TF.adjust_hue(t, -0.35),
        "gamma_0.7": TF.adjust_gamma(t, 0.7), "grayscale": TF.rgb_to_grayscale(t, 3),
        "sharpen_2": TF.adjust_sharpness(t, 2.0), "blur_5_1.2": TF.gaussian_blur(t, [5, 5], [1.2, 1.2]),
    }
    for name, want in pairs.items():
        got = np.load(os.path.join(OUT, name + ".npy"))
        if not np.array_equal(got, hwc(want)):
            raise SystemExit(f"{name}: the transcription differs from torchvision's output")
    f = t.to(torch.float32) / 255.0
    if not np.array_equal(adjust_hue(f, 0.2).numpy(), TF.adjust_hue(f, 0.2).numpy()):
        raise SystemExit("hue_f32_0.2: the transcription differs from torchvision's output")


def main():
    photo = cv2.resize(skimage.data.astronaut(), (128, 96), interpolation=cv2.INTER_AREA)
    save("photo", photo)
    t = torch.from_numpy(photo).permute(2, 0, 1).contiguous()  # CHW u8

    def hwc(x):
        return x.permute(1, 2, 0).contiguous().numpy()

    save("brightness_1.3", hwc(adjust_brightness(t, 1.3)))
    save("brightness_0.6", hwc(adjust_brightness(t, 0.6)))
    save("contrast_0.6", hwc(adjust_contrast(t, 0.6)))
    save("contrast_1.4", hwc(adjust_contrast(t, 1.4)))
    save("saturation_0.3", hwc(adjust_saturation(t, 0.3)))
    save("saturation_1.7", hwc(adjust_saturation(t, 1.7)))
    save("hue_0.1", hwc(adjust_hue(t, 0.1)))
    save("hue_-0.35", hwc(adjust_hue(t, -0.35)))
    save("gamma_0.7", hwc(adjust_gamma(t, 0.7)))
    save("grayscale", hwc(rgb_to_grayscale(t, 3)))
    save("sharpen_2", hwc(adjust_sharpness(t, 2.0)))
    save("blur_5_1.2", hwc(gaussian_blur(t, [5, 5], [1.2, 1.2])))

    crosscheck_with_torchvision(t, hwc)

    f = t.to(torch.float32) / 255.0
    save("photo_f32", f.numpy())
    save("hue_f32_0.2", adjust_hue(f, 0.2).numpy())
    save("contrast_f32_1.4", adjust_contrast(f, 1.4).numpy())

    h, w = photo.shape[:2]
    m = cv2.getRotationMatrix2D(((w - 1) / 2.0, (h - 1) / 2.0), 30, 1.0)
    save("rotate_30", cv2.warpAffine(photo, m, (w, h), flags=cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_CONSTANT, borderValue=0))

    # F.affine's angle is clockwise; the library's is counter-clockwise, so
    # "deg=20" there is angle=-20 here. Centre (0, 0) of the centred frame,
    # moved to pixel-centre coordinates ((W-1)/2, (H-1)/2) below.
    inv = _get_inverse_affine_matrix([0.0, 0.0], -20.0, [0.0, 0.0], 1.1, [10.0, 5.0])
    cx, cy = (w - 1) / 2.0, (h - 1) / 2.0
    A = np.array([[inv[0], inv[1]], [inv[3], inv[4]]])
    t_abs = np.array([inv[2], inv[5]]) + np.array([cx, cy]) - A @ np.array([cx, cy])
    M = np.hstack([A, t_abs[:, None]])
    fwd = cv2.invertAffineTransform(M)
    save("affine", cv2.warpAffine(photo, fwd, (w, h), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_CONSTANT, borderValue=0))

    save("resize_80x100", cv2.resize(photo, (100, 80), interpolation=cv2.INTER_LINEAR))


if __name__ == "__main__":
    main()
