#!/usr/bin/python3
"""SIFT of libvisionnet next to OpenCV 4.6's cv2.SIFT_create(), on real photos.

    /usr/bin/python3 bench/sift_vs_opencv.py [BUILD_DIR] [--repeats N] [--threads T]
                                            [--timing-only]

BUILD_DIR (default build) holds tools/visionnet/visionnet and
bench/bench_sift. For each of scikit-image's astronaut, camera, coffee and
chelsea (turned grey with cv2.COLOR_RGB2GRAY, the same u8 image for both
libraries) and each transform with a known geometry

    rot15, rot45, rot90   cv2.warpAffine about the centre, same size
    scale0.5, scale0.75   cv2.resize INTER_AREA
    scale1.5              cv2.resize INTER_LINEAR
    bright+40             clip(img + 40)
    blur1.5, blur2        cv2.GaussianBlur with that sigma

both detect and describe the original and the transformed image and match
them (ratio test 0.75: ours through `visionnet sift A B --json`, OpenCV's
through BFMatcher(NORM_L2).knnMatch(k=2)). With H the true map:

    repeatability  of the keypoint positions of the original (duplicates
                   from extra orientations merged) whose H-image falls
                   inside the transformed image, the fraction with a
                   keypoint of the transformed image within 2.5 px;
    correct        the fraction of ratio-test matches (p1, p2) with
                   |H(p1) - p2| < 3 px.

Time per image: detection + descriptors of the four originals, ours by
bench_sift (one reused vn_sift object, after a warm-up run) and OpenCV's by
detectAndCompute in this process (after a warm-up call), interleaved in
rounds of 3 runs each (--repeats / 3 rounds, default 15 runs), medians, the
same number of threads for both: --threads T sets cv2.setNumThreads(T) and
ours through BENCH_THREADS (vn_set_num_threads); the default is all cores.
Both wall-clock time and process CPU time (all threads) per image are
reported. --timing-only skips the accuracy table.
Prints Markdown tables (the ones in docs/features-sift.md).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import cv2
import numpy as np
import skimage.data
from scipy.spatial import cKDTree

RATIO = 0.75
REP_PX = 2.5
MATCH_PX = 3.0


def transforms(img):
    h, w = img.shape
    out = {}
    for a in (15, 45, 90):
        m = cv2.getRotationMatrix2D(((w - 1) / 2, (h - 1) / 2), a, 1.0)
        out["rot%d" % a] = (cv2.warpAffine(img, m, (w, h)), m)
    for s in (0.5, 0.75, 1.5):
        size = (int(round(w * s)), int(round(h * s)))
        im = cv2.resize(img, size, interpolation=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR)
        sx, sy = size[0] / w, size[1] / h
        # pixel centres: x' = (x + 0.5) sx - 0.5
        out["scale%g" % s] = (im, np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5]]))
    ident = np.array([[1.0, 0, 0], [0, 1.0, 0]])
    out["bright+40"] = (np.clip(img.astype(np.int32) + 40, 0, 255).astype(np.uint8), ident)
    for s in (1.5, 2.0):
        out["blur%g" % s] = (cv2.GaussianBlur(img, (0, 0), s), ident)
    return out


def apply(m, pts):
    return pts @ m[:, :2].T + m[:, 2]


def unique_pts(pts):
    return np.unique(np.round(pts, 3), axis=0) if len(pts) else pts.reshape(0, 2)


def repeatability(p1, p2, m, shape2):
    p1, p2 = unique_pts(p1), unique_pts(p2)
    q = apply(m, p1)
    h, w = shape2
    inside = (q[:, 0] >= 0) & (q[:, 0] <= w - 1) & (q[:, 1] >= 0) & (q[:, 1] <= h - 1)
    q = q[inside]
    if len(q) == 0 or len(p2) == 0:
        return float("nan")
    d, _ = cKDTree(p2).query(q)
    return float(np.mean(d < REP_PX))


def correct(matches, m):
    if len(matches) == 0:
        return float("nan")
    matches = np.asarray(matches, dtype=np.float64)
    err = np.linalg.norm(apply(m, matches[:, :2]) - matches[:, 2:], axis=1)
    return float(np.mean(err < MATCH_PX))


def ours(visionnet, a, b):
    r = subprocess.run([visionnet, "sift", a, b, "--json", "--ratio", str(RATIO)],
                       check=True, capture_output=True, text=True)
    d = json.loads(r.stdout)
    k1 = np.array([[k["x"], k["y"]] for k in d["keypoints"]]).reshape(-1, 2)
    k2 = np.array([[k["x"], k["y"]] for k in d["keypoints2"]]).reshape(-1, 2)
    return k1, k2, d["matches"]


def opencv(sift, img1, img2):
    kp1, d1 = sift.detectAndCompute(img1, None)
    kp2, d2 = sift.detectAndCompute(img2, None)
    matches = []
    if d1 is not None and d2 is not None and len(kp2) >= 2:
        for pair in cv2.BFMatcher(cv2.NORM_L2).knnMatch(d1, d2, k=2):
            if len(pair) == 2 and pair[0].distance < RATIO * pair[1].distance:
                p, q = kp1[pair[0].queryIdx].pt, kp2[pair[0].trainIdx].pt
                matches.append([p[0], p[1], q[0], q[1]])
    k1 = np.array([k.pt for k in kp1]).reshape(-1, 2)
    k2 = np.array([k.pt for k in kp2]).reshape(-1, 2)
    return k1, k2, matches


def main():
    args = sys.argv[1:]
    repeats = 15
    if "--repeats" in args:
        i = args.index("--repeats")
        repeats = int(args[i + 1])
        del args[i:i + 2]
    threads = None
    if "--threads" in args:
        i = args.index("--threads")
        threads = int(args[i + 1])
        del args[i:i + 2]
    timing_only = "--timing-only" in args
    if timing_only:
        args.remove("--timing-only")
    env = dict(os.environ)
    if threads is not None:
        cv2.setNumThreads(threads)
        env["BENCH_THREADS"] = str(threads)
    build = args[0] if args else "build"
    visionnet = os.path.join(build, "tools", "visionnet", "visionnet")
    bench = os.path.join(build, "bench", "bench_sift")
    sift = cv2.SIFT_create()
    names = ["astronaut", "camera", "coffee", "chelsea"]
    tmp = tempfile.mkdtemp(prefix="sift-bench-")
    rows = {}
    originals = []
    for name in names:
        rgb = getattr(skimage.data, name)()
        img = rgb if rgb.ndim == 2 else cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
        a = os.path.join(tmp, name + ".png")
        cv2.imwrite(a, img)
        originals.append((a, img))
        if timing_only:
            continue
        for tname, (timg, m) in transforms(img).items():
            b = os.path.join(tmp, "%s_%s.png" % (name, tname))
            cv2.imwrite(b, timg)
            o = ours(visionnet, a, b)
            c = opencv(sift, img, timg)
            r = rows.setdefault(tname, {"ours": [], "cv": []})
            for key, (k1, k2, mt) in (("ours", o), ("cv", c)):
                r[key].append((repeatability(k1, k2, m, timg.shape), correct(mt, m), len(mt)))

    if not timing_only:
        accuracy_table(rows)
    timing_table(bench, sift, originals, repeats, env)


def accuracy_table(rows):
    print("| transform | repeatability ours | repeatability OpenCV | correct matches ours "
          "| correct matches OpenCV | matches ours / OpenCV |")
    print("|---|---|---|---|---|---|")
    worst = 0.0
    for tname, r in rows.items():
        ro = np.nanmean([x[0] for x in r["ours"]]); rc = np.nanmean([x[0] for x in r["cv"]])
        co = np.nanmean([x[1] for x in r["ours"]]); cc = np.nanmean([x[1] for x in r["cv"]])
        no = sum(x[2] for x in r["ours"]); nc = sum(x[2] for x in r["cv"])
        worst = max(worst, cc - co)
        print("| %s | %.1f%% | %.1f%% | %.1f%% | %.1f%% | %d / %d |"
              % (tname, 100 * ro, 100 * rc, 100 * co, 100 * cc, no, nc))
    print("\n(means over the four photos; largest shortfall of our correct-match rate "
          "below OpenCV's: %.1f points)\n" % (100 * worst))



def timing_table(bench, sift, originals, repeats, env):
    # Time per image, ours and OpenCV's in the same run, interleaved: for
    # each image, rounds of (ours: bench_sift with 3 runs, OpenCV: 3 runs),
    # so a change in the machine's load hits both alike.
    rounds = max(1, repeats // 3)
    print("| image | size | keypoints ours / OpenCV | ours ms | OpenCV ms | OpenCV / ours "
          "| ours CPU ms | OpenCV CPU ms | CPU OpenCV / ours |")
    print("|---|---|---|---|---|---|---|---|---|")
    ratios, cpu_ratios = [], []
    load = os.getloadavg()
    for a, img in originals:
        sift.detectAndCompute(img, None)
        t_ours, t_cv, c_ours, c_cv = [], [], [], []
        for _ in range(rounds):
            r = subprocess.run([bench, "3", a], check=True, capture_output=True, text=True,
                               env=env)
            o = json.loads(r.stdout)
            t_ours.append(o["median_ms"])
            c_ours.append(o["cpu_ms"])
            t, c = [], []
            for _ in range(3):
                t0, c0 = time.perf_counter(), time.process_time()
                kp, _ = sift.detectAndCompute(img, None)
                t.append(1e3 * (time.perf_counter() - t0))
                c.append(1e3 * (time.process_time() - c0))
            t_cv.append(float(np.median(t)))
            c_cv.append(float(np.median(c)))
        ours_ms, cv_ms = float(np.median(t_ours)), float(np.median(t_cv))
        ours_cpu, cv_cpu = float(np.median(c_ours)), float(np.median(c_cv))
        ratios.append(cv_ms / ours_ms)
        cpu_ratios.append(cv_cpu / ours_cpu)
        print("| %s | %dx%d | %d / %d | %.1f | %.1f | %.2f | %.1f | %.1f | %.2f |"
              % (os.path.basename(a)[:-4], img.shape[1], img.shape[0], o["keypoints"], len(kp),
                 ours_ms, cv_ms, cv_ms / ours_ms, ours_cpu, cv_cpu, cv_cpu / ours_cpu))
    load2 = os.getloadavg()
    print("\n(medians of %d rounds of 3 runs; %d threads for both; geometric mean of "
          "OpenCV / ours: %.2f wall, %.2f CPU; load average %.1f at the start, %.1f at the end)"
          % (rounds, cv2.getNumThreads(), float(np.exp(np.mean(np.log(ratios)))),
             float(np.exp(np.mean(np.log(cpu_ratios)))), load[0], load2[0]))


if __name__ == "__main__":
    main()
