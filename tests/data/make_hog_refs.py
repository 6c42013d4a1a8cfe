#!/usr/bin/python3
"""Reference arrays for tests/test_hog.c, written to tests/data/hog/.

Run with /usr/bin/python3 (Debian 12: scikit-image 0.19, OpenCV 4.6,
numpy 1.24). Each case is <name>_x.npy (the image given to the library)
and <name>_y.npy (what it must return); the parameters are in the table
below and, again, next to the case in the C test. The images, sizes and
parameters differ from the conformance set on purpose (other photos,
partial cells on both axes, 6 / 12 orientations, 6x6 and 4x8 cells, 3x3
blocks, every block norm, transform_sqrt, colour input, signed gradients,
other OpenCV geometries, sliding windows).

References:
- skimage.feature.hog (float64; outputs rounded to float32).
- cell histograms: skimage.feature._hoghistogram.hog_histograms, the
  function skimage.feature.hog itself calls, on skimage's own gradients.
- dense skimage HOG (windows whose gradients see the whole image):
  skimage's own gradient (_hog_channel_gradient) of the whole image, then
  skimage's hog_histograms and _hog_normalize_block on each window.
- cv2.HOGDescriptor(...).compute(img[, winStride]).
- the picture: skimage.feature.hog(..., visualize=True)[1], divided by its
  maximum (the library scales its u8 picture to a maximum of 255).
"""
import os
import subprocess
import sys

import cv2
import numpy as np
import skimage.data
from skimage.feature import _hoghistogram, hog
from skimage.feature._hog import _hog_channel_gradient, _hog_normalize_block

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "hog")
os.makedirs(OUT, exist_ok=True)


def save(name, x, y):
    np.save(os.path.join(OUT, name + "_x.npy"), np.ascontiguousarray(x))
    np.save(os.path.join(OUT, name + "_y.npy"), np.ascontiguousarray(y))


gray = lambda rgb: cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
coffee = skimage.data.coffee()          # 400x600 RGB
camera = skimage.data.camera()          # 512x512 gray
astro = skimage.data.astronaut()        # 512x512 RGB
rocket = skimage.data.rocket()          # 427x640 RGB

# ---- skimage convention ------------------------------------------------------
def skimage_cases():
    # name, image (float32, what the library gets), hog() keyword arguments
    f32 = lambda u8: (u8.astype(np.float32) / np.float32(255)).astype(np.float32)
    sk_cases = [
        ("sk_o6_c6_b3_l1_61x77", f32(gray(coffee[100:161, 250:327])),
         dict(orientations=6, pixels_per_cell=(6, 6), cells_per_block=(3, 3), block_norm="L1")),
        ("sk_o12_c4x8_b2_l1sqrt_sqrt_50x70", f32(camera[300:350, 200:270]),
         dict(orientations=12, pixels_per_cell=(4, 8), cells_per_block=(2, 2), block_norm="L1-sqrt",
              transform_sqrt=True)),
        ("sk_o9_c8_b2_l2_rgb_48x64", f32(astro[60:108, 180:244]),
         dict(orientations=9, pixels_per_cell=(8, 8), cells_per_block=(2, 2), block_norm="L2", channel_axis=-1)),
        ("sk_o7_c5x6_b2x3_l2hys_41x53", f32(gray(rocket[150:191, 300:353])),
         dict(orientations=7, pixels_per_cell=(5, 6), cells_per_block=(2, 3), block_norm="L2-Hys")),
    ]
    for name, x, kw in sk_cases:
        y = hog(x.astype(np.float64), feature_vector=True, **kw).astype(np.float32)
        save(name, x, y)

    # u8 input is used as 0..255 values, as skimage casts it (no rescaling).
    u8 = gray(coffee[200:248, 100:164])
    save("sk_u8_48x64", u8, hog(u8, 9, (8, 8), (2, 2), block_norm="L2-Hys").astype(np.float32))

    # Cell histograms (before block normalisation) of the first case.
    x = sk_cases[0][1].astype(np.float64)
    g_row, g_col = _hog_channel_gradient(x)
    ncr, ncc = x.shape[0] // 6, x.shape[1] // 6
    hist = np.zeros((ncr, ncc, 6))
    _hoghistogram.hog_histograms(g_col, g_row, 6, 6, x.shape[1], x.shape[0], ncc, ncr, 6, hist)
    np.save(os.path.join(OUT, "sk_o6_c6_b3_l1_61x77_cells.npy"), hist.astype(np.float32))

    # Dense skimage HOG: 32x24 windows (H x W) every 8 rows and 16 columns of a
    # 64x72 image, default parameters, gradients of the whole image.
    img = f32(gray(coffee[40:104, 400:472]))
    g_row, g_col = _hog_channel_gradient(img.astype(np.float64))
    wins = []
    for oy in range(0, 64 - 32 + 1, 8):
        row = []
        for ox in range(0, 72 - 24 + 1, 16):
            gr = np.ascontiguousarray(g_row[oy:oy + 32, ox:ox + 24])
            gc = np.ascontiguousarray(g_col[oy:oy + 32, ox:ox + 24])
            h = np.zeros((4, 3, 9))
            _hoghistogram.hog_histograms(gc, gr, 8, 8, 24, 32, 3, 4, 9, h)
            blocks = [_hog_normalize_block(h[r:r + 2, c:c + 2, :], "L2-Hys") for r in range(3) for c in range(2)]
            row.append(np.concatenate([b.ravel() for b in blocks]))
        wins.append(row)
    save("sk_dense_64x72_win32x24_stride8x16", img, np.array(wins, dtype=np.float32))

    # The picture of skimage's defaults on a 64x80 crop.
    x = f32(camera[100:164, 100:180])
    _, pic = hog(x.astype(np.float64), 9, (8, 8), (2, 2), visualize=True)
    save("sk_render_64x80", x, (pic / pic.max()).astype(np.float32))

# ---- OpenCV convention -------------------------------------------------------
# HOGDescriptor(winSize, blockSize, blockStride, cellSize, nbins, derivAperture,
#               winSigma, histogramNormType, L2HysThreshold, gammaCorrection,
#               nlevels, signedGradient); () = all defaults
cv_cases = [  # (name, image, HOGDescriptor arguments, winStride or None)
    # signed gradients, defaults otherwise, one 64x128 window
    ("cv_signed_128x64", gray(rocket[200:328, 400:464]),
     ((64, 128), (16, 16), (8, 8), (8, 8), 9, 1, -1.0, 0, 0.2, True, 64, True), None),
    # colour (3 channels, the strongest per pixel), one window
    ("cv_rgb_128x64", np.ascontiguousarray(astro[100:228, 200:264]), (), None),
    # 3x3-cell blocks, 12 bins, no gamma, other threshold, one 48x96 window
    ("cv_b3_o12_nogamma_96x48", gray(coffee[150:246, 300:348]),
     ((48, 96), (24, 24), (8, 8), (8, 8), 12, 1, -1.0, 0, 0.25, False, 64, False), None),
    # 6x6 cells, 12x12 blocks stepping 6, sigma 2.5
    ("cv_c6_sigma_60x42", gray(coffee[10:70, 500:542]),
     ((42, 60), (12, 12), (6, 6), (6, 6), 9, 1, 2.5, 0, 0.2, True, 64, False), None),
    # sliding 64x128 windows over a 150x100 image every (8, 16) (x, y)
    ("cv_dense_150x100_stride8x16", np.ascontiguousarray(camera[200:350, 150:250]), (), (8, 16)),
    # sliding windows with a stride that is not a multiple of the block step
    ("cv_dense_140x76_stride12x4", np.ascontiguousarray(camera[50:190, 300:376]), (), (12, 4)),
]

# OpenCV 4.6 quirk: within one process, compute() normalises with the
# L2HysThreshold of the first HOGDescriptor constructed (one made with 0.25
# after one made with 0.2 clips at 0.2). So each case runs in a fresh
# process of its own.
if len(sys.argv) == 3 and sys.argv[1] == "--cv":
    for name, img, args, stride in cv_cases:
        if name == sys.argv[2]:
            d = cv2.HOGDescriptor(*args)
            y = d.compute(img) if stride is None else d.compute(img, winStride=stride)
            save(name, img, y.reshape(-1).astype(np.float32))
    sys.exit(0)

skimage_cases()
for name, _, _, _ in cv_cases:
    subprocess.run([sys.executable, os.path.abspath(__file__), "--cv", name], check=True)
print("wrote", len(os.listdir(OUT)), "files to", OUT)
