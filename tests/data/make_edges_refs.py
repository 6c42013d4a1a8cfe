#!/usr/bin/python3
"""Reference arrays for tests/test_edges.c, written to tests/data/edges/.

Run with /usr/bin/python3 (Debian 12: scikit-image 0.19, scipy 1.10,
numpy 1.24). The input is a real photo kept small: the 96 x 128 crop of
skimage.data.camera() at rows 60..155, columns 180..307 (the cameraman's
head, hand and camera: edges and corners of every orientation), u8.

  camera_crop.npy              the input, u8 [96, 128]
  sobel_gx.npy / sobel_gy.npy  skimage.filters.sobel(img, axis=1 / 0), f32
  sobel_mag.npy                skimage.filters.sobel(img), f32
  sobel_ori.npy                numpy.arctan2(gy, gx), f32
  canny_default.npy            skimage.feature.canny(img), u8 0/1
  canny_s2_10_40.npy           canny(img, sigma=2, low_threshold=10,
                               high_threshold=40) (u8 units), u8 0/1
  canny_q.npy                  canny(img, sigma=1.5, low_threshold=0.7,
                               high_threshold=0.9, use_quantiles=True)
  harris.npy                   corner_harris(img) (method 'k', k=0.05,
                               sigma=1), f32
  harris_eps_s2.npy            corner_harris(img, method='eps', sigma=2), f32
  shi_tomasi.npy               corner_shi_tomasi(img), f32
  harris_peaks.npy             corner_peaks(harris, min_distance=5,
                               threshold_rel=0.02), int32 [N, 2] (row, col)
  shi_tomasi_peaks.npy         corner_peaks(shi_tomasi, min_distance=3,
                               threshold_rel=0.05), int32 [N, 2]
The responses are computed by skimage in float64 and stored as float32.
"""
import os

import numpy as np
import skimage.data
import skimage.feature as F
import skimage.filters as filters

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "edges")
os.makedirs(out, exist_ok=True)


def save(name, a):
    np.save(os.path.join(out, name + ".npy"), a)


img = np.ascontiguousarray(skimage.data.camera()[60:156, 180:308])
save("camera_crop", img)

gx = filters.sobel(img, axis=1)
gy = filters.sobel(img, axis=0)
save("sobel_gx", gx.astype(np.float32))
save("sobel_gy", gy.astype(np.float32))
save("sobel_mag", filters.sobel(img).astype(np.float32))
save("sobel_ori", np.arctan2(gy, gx).astype(np.float32))

save("canny_default", F.canny(img).astype(np.uint8))
save("canny_s2_10_40", F.canny(img, sigma=2, low_threshold=10, high_threshold=40).astype(np.uint8))
save("canny_q", F.canny(img, sigma=1.5, low_threshold=0.7, high_threshold=0.9,
                        use_quantiles=True).astype(np.uint8))

harris = F.corner_harris(img)
save("harris", harris.astype(np.float32))
save("harris_eps_s2", F.corner_harris(img, method="eps", sigma=2).astype(np.float32))
shi = F.corner_shi_tomasi(img)
save("shi_tomasi", shi.astype(np.float32))
# Peaks are picked from the float32 responses the library returns.
save("harris_peaks", F.corner_peaks(harris.astype(np.float32), min_distance=5,
                                    threshold_rel=0.02).astype(np.int32))
save("shi_tomasi_peaks", F.corner_peaks(shi.astype(np.float32), min_distance=3,
                                        threshold_rel=0.05).astype(np.int32))
