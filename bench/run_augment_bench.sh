#!/bin/sh
# run_augment_bench.sh - `visionnet bench augment` and torchvision's pipeline
# (../shared/bench/augment_torchvision.py) interleaved in one run, and the
# ratio of their medians (issue 5 part 7: at least 3x torchvision on 1 thread).
#
#   bench/run_augment_bench.sh [BUILD_DIR] [ROUNDS]
#
# BUILD_DIR (default build) holds tools/visionnet/visionnet; ROUNDS (default 3)
# rounds of: ours on 1 thread, torchvision on 1 thread, ours on 2 threads
# (and torchvision on 2 threads with TV2=1: its 2-thread run is slow and
# erratic on a loaded machine). Each call is itself a median (5 reps); the
# figures reported are medians over rounds, and the ratio is also given per
# round (ours / torchvision PIL of the same round). The image is scikit-image's astronaut
# resized to 224x224 with PIL bilinear (the torchvision script's input),
# written to $TMPDIR/astronaut224.png on first use. The machine is shared:
# only the ratio measured in the same run means anything.
# Environment: VISIONNET (a binary to use instead), BASELINE (another
# visionnet binary, e.g. a build of the previous version, also run each
# round and reported as "baseline"), PYTHON (default
# /usr/bin/python3), TV_SCRIPT (default ../shared/bench/augment_torchvision.py
# next to the source tree).
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
rounds=${2:-3}
case $build in /*) ;; *) build=$here/$build ;; esac
vn=${VISIONNET:-$build/tools/visionnet/visionnet}
py=${PYTHON:-/usr/bin/python3}
tv=${TV_SCRIPT:-$here/../shared/bench/augment_torchvision.py}
img=${TMPDIR:-/tmp}/astronaut224.png
[ -x "$vn" ] || { echo "run_augment_bench: no $vn (build first)" >&2; exit 1; }
[ -f "$tv" ] || { echo "run_augment_bench: no $tv" >&2; exit 1; }
if [ ! -f "$img" ]; then
    "$py" -c "import skimage.data, sys; from PIL import Image
Image.fromarray(skimage.data.astronaut()).resize((224, 224), Image.BILINEAR).save(sys.argv[1])" "$img"
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
r=1
while [ "$r" -le "$rounds" ]; do
    for t in 1 2; do
        "$vn" bench augment --threads "$t" --image "$img" --json | sed "s/^/ours $t /" >>"$log"
        if [ -n "${BASELINE:-}" ]; then
            "$BASELINE" bench augment --threads "$t" --image "$img" --json | sed "s/^/base $t /" >>"$log"
        fi
        if [ "$t" = 1 ] || [ "${TV2:-0}" = 1 ]; then
            "$py" "$tv" --threads "$t" --json - 2>/dev/null | sed "s/^/tv $t /" >>"$log"
        fi
    done
    echo "round $r of $rounds done" >&2
    r=$((r + 1))
done
"$py" - "$log" <<'EOF'
import json, statistics, sys
ours, tv, base = {1: [], 2: []}, {1: [], 2: []}, {1: [], 2: []}
for line in open(sys.argv[1]):
    who, t, js = line.split(" ", 2)
    d = json.loads(js)
    if who == "ours":
        ours[int(t)].append(d["images_per_s"])
    elif who == "base":
        base[int(t)].append(d["images_per_s"])
    else:
        tv[int(t)].append((d["pil_photo_images_per_s"], d["tensor_photo_images_per_s"]))
res = {}
for t in (1, 2):
    if not ours[t]:
        continue
    o = statistics.median(ours[t])
    r = dict(threads=t, ours_images_per_s=round(o, 1), ours_runs=ours[t])
    if base[t]:
        r.update(baseline_images_per_s=round(statistics.median(base[t]), 1), baseline_runs=base[t])
    if tv[t]:
        pil = statistics.median(p for p, _ in tv[t])
        ten = statistics.median(q for _, q in tv[t])
        r.update(torchvision_pil_images_per_s=round(pil, 1),
                 torchvision_tensor_images_per_s=round(ten, 1),
                 torchvision_pil_runs=[round(p, 1) for p, _ in tv[t]],
                 ratio_vs_pil=round(o / pil, 2), ratio_vs_tensor=round(o / ten, 2),
                 ratio_vs_pil_per_round=[round(a / p, 2) for a, (p, _) in zip(ours[t], tv[t])])
    res[t] = r
    print(json.dumps(r))
if 1 in res and "ratio_vs_pil" in res[1]:
    print(f"1 thread: {res[1]['ours_images_per_s']} images/s vs torchvision PIL "
          f"{res[1]['torchvision_pil_images_per_s']} (the faster of its two paths): "
          f"{res[1]['ratio_vs_pil']}x (target 3x)", file=sys.stderr)
EOF
