#!/usr/bin/env bash
# run_hog_bench.sh - libvisionnet's HOG next to scikit-image, OpenCV and
# VLFeat in the same run (issue 6, part 6; docs/PERFORMANCE.md).
#
#   bench/run_hog_bench.sh BUILD_DIR [REPEATS]
#
# Writes scikit-image's camera (512x512 gray) to a temporary .npy, then
# alternates: bench_hog on 1 thread, ../shared/bench/hog_reference.py
# (1 thread, its own medians), bench_hog on all threads, and prints the
# medians side by side with the ratios (reference ms / our ms; > 1 means
# libvisionnet is faster). The reference script needs Debian's python3
# packages (skimage, cv2) and libvlfeat1 for the VLFeat figure.
set -euo pipefail
build=${1:?usage: run_hog_bench.sh BUILD_DIR [REPEATS]}
reps=${2:-9}
here=$(cd "$(dirname "$0")" && pwd)
ref=$here/../../shared/bench/hog_reference.py
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 -c "import numpy, skimage.data; numpy.save('$tmp/camera.npy', skimage.data.camera())"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
"$build/bench/bench_hog" "$tmp/camera.npy" --threads 1 --repeats "$reps" --json >"$tmp/ours1.json"
/usr/bin/python3 "$ref" --reps "$reps" --json "$tmp/ref.json" 2>"$tmp/ref.err" || {
    echo "reference script failed:"; cat "$tmp/ref.err"; }
"$build/bench/bench_hog" "$tmp/camera.npy" --threads 0 --repeats "$reps" --json >"$tmp/oursN.json"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/python3 - "$tmp" <<'EOF'
import json, os, sys
tmp = sys.argv[1]
o1 = json.load(open(os.path.join(tmp, "ours1.json")))
on = json.load(open(os.path.join(tmp, "oursN.json")))
ref = json.load(open(os.path.join(tmp, "ref.json"))) if os.path.exists(os.path.join(tmp, "ref.json")) else {}
rows = [("skimage_ms", "skimage_ms", "skimage hog 512x512 (9, 8x8, 2x2, L2-Hys)"),
        ("vlfeat_ms", "skimage_ms", "VLFeat vl_hog 512x512 (cell 8) vs our skimage HOG"),
        ("opencv_window512_ms", "opencv_window512_ms", "OpenCV HOGDescriptor 512x512 window"),
        ("opencv_default_64x128_ms", "opencv_default_64x128_ms", "OpenCV HOGDescriptor() 64x128")]
print(f"{'case':55s} {'ref ms':>9s} {'ours 1t':>9s} {'ratio':>7s} {'ours %dt' % on['threads']:>9s} {'ratio':>7s}")
for rk, ok, what in rows:
    r = ref.get(rk)
    a, b = o1[ok], on[ok]
    rs = f"{r:9.3f}" if r is not None else "      n/a"
    r1 = f"{r / a:7.1f}" if r is not None else "    n/a"
    rn = f"{r / b:7.1f}" if r is not None else "    n/a"
    print(f"{what:55s} {rs} {a:9.3f} {r1} {b:9.3f} {rn}")
EOF
