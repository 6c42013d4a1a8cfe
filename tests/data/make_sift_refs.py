#!/usr/bin/python3
"""Reference data for tests/test_sift.c, written to tests/data/sift/.

Run with /usr/bin/python3 (Debian 12: OpenCV 4.6, scikit-image 0.19).

  camera_160.npy       u8 [160, 160]: skimage.data.camera()[40:200, 170:330]
                       (the cameraman's head, hand and camera)
  camera_160_cv_kp.npy f32 [N, 5]: cv2.SIFT_create().detectAndCompute on it,
                       rows x, y, size, angle, response in OpenCV's order
  camera_160_cv_desc.npy f32 [N, 128]: the descriptors (whole numbers 0..255)
  blobs.npy            f32 [128, 192] in [0, 1]: 0.1 + 0.8 exp(-r^2 / 2 s^2)
                       blobs of s = 3 at (x, y) = (48, 64) and s = 6 at
                       (136, 64); and their OpenCV keypoints:
  blobs_cv_kp.npy      f32 [M, 5], from the image rounded to u8
                       (OpenCV takes u8 only).
  camera_160.png, camera_160_rot90.png  the crop and numpy.rot90 of it, for
                       tests/test_cli_sift.sh.
"""
import os

import cv2
import numpy as np
import skimage.data

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sift")
os.makedirs(out, exist_ok=True)


def kp_array(kps):
    return np.array([[k.pt[0], k.pt[1], k.size, k.angle, k.response] for k in kps],
                    dtype=np.float32).reshape(-1, 5)


img = np.ascontiguousarray(skimage.data.camera()[40:200, 170:330])
np.save(os.path.join(out, "camera_160.npy"), img)
kps, desc = cv2.SIFT_create().detectAndCompute(img, None)
np.save(os.path.join(out, "camera_160_cv_kp.npy"), kp_array(kps))
np.save(os.path.join(out, "camera_160_cv_desc.npy"), desc.astype(np.float32))

yy, xx = np.mgrid[0:128, 0:192].astype(np.float64)
blobs = np.full((128, 192), 0.1)
for (cx, cy, s) in [(48, 64, 3.0), (136, 64, 6.0)]:
    blobs += 0.8 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * s * s))
np.save(os.path.join(out, "blobs.npy"), blobs.astype(np.float32))
u8 = np.clip(np.rint(blobs * 255), 0, 255).astype(np.uint8)
np.save(os.path.join(out, "blobs_cv_kp.npy"), kp_array(cv2.SIFT_create().detect(u8, None)))

# For tests/test_cli_sift.sh: the crop and its counter-clockwise quarter
# turn (numpy.rot90) as PNG files.
cv2.imwrite(os.path.join(out, "camera_160.png"), img)
cv2.imwrite(os.path.join(out, "camera_160_rot90.png"), np.ascontiguousarray(np.rot90(img)))
