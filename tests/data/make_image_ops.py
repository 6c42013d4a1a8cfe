#!/usr/bin/python3
"""Reference arrays for tests/test_image_ops.c, written to tests/data/image_ops/.

Run with /usr/bin/python3 (Debian 12: OpenCV 4.6, torch 1.13, scikit-image
0.19, numpy 1.24). Every case is <name>_x.npy (input) and <name>_y.npy
(what the library must return); the parameters are written in the C test
next to the case name, and here. Sizes and parameters differ from the
conformance set on purpose: odd sizes, non-integer factors both ways,
1-pixel images, 1/2/3/4 channels, nearest and bicubic.

References:
- u8 resize / warp / grey: OpenCV (cv2.resize, cv2.warpAffine,
  cv2.getRotationMatrix2D, cv2.cvtColor).
- f32 resize: torch.nn.functional.interpolate (align_corners=False) and
  adaptive_avg_pool2d, computed in float64 from the float32 input and
  rounded to float32; nearest in float32 (PyTorch picks the pixels in float).
- skimage.color.rgb2gray for the Rec.709 grey.
- torchvision is not installed here: rgb_to_grayscale, center_crop and
  ToTensor+Normalize are written out from torchvision 0.14's source
  (functional_tensor.py) in numpy, float64 then float32.
- exact f32 warps: bilinear sampling written out in numpy float64.
"""
import math
import os

import cv2
import numpy as np
import skimage.color
import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "image_ops")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20240612)


def save(name, x, y):
    np.save(os.path.join(OUT, name + "_x.npy"), np.ascontiguousarray(x))
    np.save(os.path.join(OUT, name + "_y.npy"), np.ascontiguousarray(y))


def image(h, w, c):
    """Noise over a smooth pattern: both edges and gradients for rounding."""
    yy, xx = np.mgrid[0:h, 0:w]
    base = 127 + 90 * np.sin(xx / 3.1 + yy / 4.7)
    shape = (h, w) if c == 0 else (h, w, c)
    noise = rng.integers(-60, 61, shape)
    img = (base[..., None] if c else base) + noise
    return np.clip(img, 0, 255).astype(np.uint8)


# ---- u8 resize: cv2.resize(x, (out_w, out_h), interpolation) ---------------
CV = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR,
      "area": cv2.INTER_AREA, "cubic": cv2.INTER_CUBIC}
u8_resize = [
    # name, (h, w, c) with c = 0 for a 2-D image, (out_h, out_w), interpolation
    ("resize_u8_linear_down_37x53x3_to_20x29", (37, 53, 3), (20, 29), "linear"),
    ("resize_u8_linear_up_13x17_to_31x40", (13, 17, 0), (31, 40), "linear"),
    ("resize_u8_linear_half_24x30x4_to_12x15", (24, 30, 4), (12, 15), "linear"),
    ("resize_u8_area_down_45x61x3_to_17x23", (45, 61, 3), (17, 23), "area"),
    ("resize_u8_area_third_27x33_to_9x11", (27, 33, 0), (9, 11), "area"),
    ("resize_u8_area_half_2ch_20x22x2_to_10x11", (20, 22, 2), (10, 11), "area"),
    ("resize_u8_area_up_11x14x3_to_29x33", (11, 14, 3), (29, 33), "area"),
    ("resize_u8_area_mixed_10x40x3_to_25x13", (10, 40, 3), (25, 13), "area"),
    ("resize_u8_nearest_19x23x3_to_41x10", (19, 23, 3), (41, 10), "nearest"),
    ("resize_u8_cubic_up_15x18x3_to_37x29", (15, 18, 3), (37, 29), "cubic"),
    ("resize_u8_cubic_down_40x50_to_17x21", (40, 50, 0), (17, 21), "cubic"),
    ("resize_u8_linear_1x1x3_to_5x7", (1, 1, 3), (5, 7), "linear"),
    ("resize_u8_cubic_7x1_to_3x4", (7, 1, 0), (3, 4), "cubic"),
    ("resize_u8_linear_4ch_9x14x4_to_16x5", (9, 14, 4), (16, 5), "linear"),
]
for name, (h, w, c), (oh, ow), interp in u8_resize:
    x = image(h, w, c)
    save(name, x, cv2.resize(x, (ow, oh), interpolation=CV[interp]))

# ---- f32 resize: F.interpolate / adaptive_avg_pool2d ------------------------
f32_resize = [
    # name, input shape, (out_h, out_w), mode
    ("resize_f32_bilinear_down_2x3x23x31_to_10x13", (2, 3, 23, 31), (10, 13), "bilinear"),
    ("resize_f32_bilinear_up_3x7x9_to_20x17", (3, 7, 9), (20, 17), "bilinear"),
    ("resize_f32_bicubic_up_1x2x9x11_to_25x19", (1, 2, 9, 11), (25, 19), "bicubic"),
    ("resize_f32_bicubic_down_1x1x30x30_to_11x7", (1, 1, 30, 30), (11, 7), "bicubic"),
    ("resize_f32_nearest_2x1x13x17_to_29x8", (2, 1, 13, 17), (29, 8), "nearest"),
    ("resize_f32_nearest_double_1x3x5x6_to_10x12", (1, 3, 5, 6), (10, 12), "nearest"),
    ("resize_f32_area_1x2x17x23_to_5x7", (1, 2, 17, 23), (5, 7), "area"),
    ("resize_f32_bilinear_1x1_to_4x3", (1, 1, 1), (4, 3), "bilinear"),
]
for name, shape, (oh, ow), mode in f32_resize:
    x = rng.random(shape, dtype=np.float32)
    t = torch.from_numpy(x)
    t4 = t if t.dim() == 4 else t.unsqueeze(0)
    if mode == "nearest":
        y = F.interpolate(t4, size=(oh, ow), mode="nearest")
    elif mode == "area":
        y = F.adaptive_avg_pool2d(t4.double(), (oh, ow)).float()
    else:
        y = F.interpolate(t4.double(), size=(oh, ow), mode=mode, align_corners=False).float()
    y = y if t.dim() == 4 else y.squeeze(0)
    save(name, x, y.numpy())

# ---- u8 warps: cv2.warpAffine ------------------------------------------------
BORDER = {"constant": cv2.BORDER_CONSTANT, "replicate": cv2.BORDER_REPLICATE,
          "reflect": cv2.BORDER_REFLECT_101}


def save_matrix(name, M):
    """The 2x3 matrix as 6 numbers in repr form (exact round trip through
    strtod; .npy float64 is not a dtype the library reads)."""
    with open(os.path.join(OUT, name + "_m.txt"), "w") as f:
        f.write(" ".join(repr(float(v)) for v in M.reshape(-1)) + "\n")


def affine(angle_deg, scale, shear, tx, ty):
    a = math.radians(angle_deg)
    return np.array([[scale * math.cos(a), scale * math.sin(a) + shear, tx],
                     [-scale * math.sin(a), scale * math.cos(a), ty]])


# vn_image_rotate: getRotationMatrix2D about ((W-1)/2, (H-1)/2), same size, zeros outside.
x = image(39, 52, 3)
M = cv2.getRotationMatrix2D(((52 - 1) / 2, (39 - 1) / 2), -17.5, 1.0)
save("rotate_u8_m17.5deg_39x52x3", x, cv2.warpAffine(x, M, (52, 39), flags=cv2.INTER_LINEAR))
x = image(1, 1, 0)
M = cv2.getRotationMatrix2D((0.0, 0.0), 90.0, 1.0)
save("rotate_u8_90deg_1x1", x, cv2.warpAffine(x, M, (1, 1), flags=cv2.INTER_LINEAR))

u8_warp = [
    # name, (h, w, c), M params (angle, scale, shear, tx, ty), (out_h, out_w), interp, border, fill
    ("warp_u8_linear_replicate_31x27_to_25x36", (31, 27, 0), (23.0, 1.3, 0.2, -4.5, 7.25), (25, 36),
     "linear", "replicate", 0),
    ("warp_u8_nearest_reflect_17x21x4_to_30x19", (17, 21, 4), (-141.0, 0.7, -0.1, 20.0, 28.0), (30, 19),
     "nearest", "reflect", 0),
    ("warp_u8_linear_constant_fill_20x24x3_to_22x22", (20, 24, 3), (60.0, 0.9, 0.0, 3.0, -6.0), (22, 22),
     "linear", "constant", (200, 10, 90)),
    ("warp_u8_linear_reflect_2ch_12x9x2_to_14x15", (12, 9, 2), (200.0, 2.1, 0.3, 11.0, 30.0), (14, 15),
     "linear", "reflect", 0),
]
for name, (h, w, c), mp, (oh, ow), interp, border, fill in u8_warp:
    x = image(h, w, c)
    M = affine(*mp)
    fillv = fill if isinstance(fill, tuple) else (fill,) * 4
    y = cv2.warpAffine(x, M, (ow, oh), flags=CV[interp], borderMode=BORDER[border], borderValue=fillv)
    save(name, x, y)
    save_matrix(name, M)


# ---- f32 warps, sampled exactly (numpy float64) ------------------------------
def border_index(p, n, border):
    if 0 <= p < n:
        return p
    if border == "replicate":
        return 0 if p < 0 else n - 1
    if border == "reflect":
        if n == 1:
            return 0
        period = 2 * (n - 1)
        q = p % period
        return q if q < n else period - q
    return -1


def warp_exact(x, M, oh, ow, interp, border, fill):
    img = x.astype(np.float64)
    img = img[:, :, None] if img.ndim == 2 else img
    h, w, c = img.shape
    Mi = cv2.invertAffineTransform(M)
    out = np.zeros((oh, ow, c))

    def tap(px, py):
        a, b = border_index(px, w, border), border_index(py, h, border)
        return np.full(c, fill, np.float64) if a < 0 or b < 0 else img[b, a]

    for y in range(oh):
        for xx in range(ow):
            sx = Mi[0, 0] * xx + Mi[0, 1] * y + Mi[0, 2]
            sy = Mi[1, 0] * xx + Mi[1, 1] * y + Mi[1, 2]
            if interp == "nearest":
                out[y, xx] = tap(math.floor(sx + 0.5), math.floor(sy + 0.5))
                continue
            x0, y0 = math.floor(sx), math.floor(sy)
            ax, ay = sx - x0, sy - y0
            out[y, xx] = (tap(x0, y0) * (1 - ax) * (1 - ay) + tap(x0 + 1, y0) * ax * (1 - ay) +
                          tap(x0, y0 + 1) * (1 - ax) * ay + tap(x0 + 1, y0 + 1) * ax * ay)
    return out.reshape((oh, ow) if x.ndim == 2 else (oh, ow, c)).astype(np.float32)


f32_warp = [
    ("warp_f32_linear_constant_fill_15x13x3_to_17x11", (15, 13, 3), (33.0, 1.1, 0.0, 2.5, -3.0), (17, 11),
     "linear", "constant", 0.25),
    ("warp_f32_linear_reflect_9x10_to_12x12", (9, 10, 0), (-75.0, 0.8, 0.15, 9.0, 4.0), (12, 12),
     "linear", "reflect", 0.0),
    ("warp_f32_nearest_replicate_8x11x1_to_10x9", (8, 11, 1), (12.0, 1.7, -0.2, -3.0, 1.0), (10, 9),
     "nearest", "replicate", 0.0),
]
for name, (h, w, c), mp, (oh, ow), interp, border, fill in f32_warp:
    x = rng.random((h, w) if c == 0 else (h, w, c), dtype=np.float32)
    M = affine(*mp)
    save(name, x, warp_exact(x, M, oh, ow, interp, border, fill))
    save_matrix(name, M)

# ---- grey ------------------------------------------------------------------------
x = image(13, 11, 3)
save("gray_bt601_u8_13x11", x, cv2.cvtColor(x, cv2.COLOR_RGB2GRAY))
x = image(9, 7, 4)
save("gray_bt601_u8_rgba_9x7", x, cv2.cvtColor(x, cv2.COLOR_RGBA2GRAY))
x = image(10, 12, 3)
save("gray_rec709_u8_10x12", x, skimage.color.rgb2gray(x).astype(np.float32))
x = rng.random((3, 8, 5), dtype=np.float32)
# torchvision 0.14 rgb_to_grayscale: (0.2989 r + 0.587 g + 0.114 b).unsqueeze(-3)
y = (0.2989 * x[0].astype(np.float64) + 0.587 * x[1] + 0.114 * x[2])[None].astype(np.float32)
save("gray_bt601_f32_3x8x5", x, y)
x = rng.random((2, 3, 4, 6), dtype=np.float32)
y = (0.2125 * x[:, 0].astype(np.float64) + 0.7154 * x[:, 1] + 0.0721 * x[:, 2])[:, None].astype(np.float32)
save("gray_rec709_f32_2x3x4x6", x, y)


# ---- centre crop (torchvision 0.14 center_crop, written out) --------------------
def center_crop(img, ch, cw):
    h, w = img.shape[:2]
    if ch > h or cw > w:
        pl = (cw - w) // 2 if cw > w else 0
        pt = (ch - h) // 2 if ch > h else 0
        pr = (cw - w + 1) // 2 if cw > w else 0
        pb = (ch - h + 1) // 2 if ch > h else 0
        pad = [(pt, pb), (pl, pr)] + [(0, 0)] * (img.ndim - 2)
        img = np.pad(img, pad)
        h, w = img.shape[:2]
        if (ch, cw) == (h, w):
            return img
    top = int(round((h - ch) / 2.0))
    left = int(round((w - cw) / 2.0))
    return img[top:top + ch, left:left + cw]


# (H-h)/2 = 2.5 -> 2 (even), (W-w)/2 = 3.5 -> 4 (even)
x = image(12, 15, 3)
save("center_crop_u8_12x15x3_to_7x8", x, center_crop(x, 7, 8))
# wider and taller than the image: zero padding, odd excess (3 rows, 5 columns)
x = image(5, 4, 0)
save("center_crop_u8_pad_5x4_to_8x9", x, center_crop(x, 8, 9))
# taller only: padded rows, cropped columns with (9-4)/2 = 2.5 -> 2
x = rng.random((3, 9, 2), dtype=np.float32)
save("center_crop_f32_pad_rows_3x9x2_to_6x4", x, center_crop(x, 6, 4))

# ---- ToTensor + Normalize (torchvision, written out in float64) -----------------
x = image(6, 7, 3)
mean = np.array([0.485, 0.456, 0.406], np.float32)
std = np.array([0.229, 0.224, 0.225], np.float32)
y = ((x.astype(np.float64) * np.float64(np.float32(1 / 255)) - mean.astype(np.float64)) / std.astype(np.float64))
save("to_tensor_u8_6x7x3_imagenet", x, y.transpose(2, 0, 1).astype(np.float32))
x = image(4, 5, 0)
save("to_tensor_u8_4x5_scale1", x, x[None].astype(np.float32))
