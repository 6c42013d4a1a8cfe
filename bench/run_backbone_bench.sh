#!/bin/sh
# run_backbone_bench.sh - resnet18 and mobilenet_v2 inference, libvisionnet
# (`visionnet bench --model` on the imported ONNX exports) and PyTorch
# (../shared/bench/resnet_torch.py) alternated in one run, with the medians
# over rounds (issue 7 item 6: faster than PyTorch at batch 1).
#
#   bench/run_backbone_bench.sh [BUILD_DIR] [ROUNDS] [THREADS]
#
# BUILD_DIR (default build) holds tools/visionnet/visionnet; ROUNDS (default
# 3) rounds of: ours on resnet18, ours on mobilenet_v2, PyTorch on both;
# THREADS (default 2) for both sides. Each call is itself a median: ours of
# 30 batch-1 runs and 10 batch-8 runs, PyTorch's of 15 and 7. The models are
# tests/make_onnx_backbones.py's exports (batch-norm folded, as PyTorch's
# eval mode runs it in fused form too), imported once into $TMPDIR/vn_backbones.
# The machine is shared: the load average is printed, and only figures of
# the same run compare.
# Environment: PYTHON (default /usr/bin/python3), TORCH_SCRIPT (default
# ../shared/bench/resnet_torch.py next to the source tree).
set -eu
name=run_backbone_bench
torch_script=resnet_torch.py
. "$(dirname "$0")/vs_torch_setup.sh"
dir=${TMPDIR:-/tmp}/vn_backbones
if [ ! -f "$dir/mobilenet_v2.onnx" ]; then
    "$py" "$here/tests/make_onnx_backbones.py" "$dir" >/dev/null 2>&1
fi
for m in resnet18 mobilenet_v2; do
    [ -f "$dir/$m.vnm" ] || "$vn" import "$dir/$m.onnx" -o "$dir/$m.vnm" >/dev/null
done
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
r=1
while [ "$r" -le "$rounds" ]; do
    for m in resnet18 mobilenet_v2; do
        "$vn" bench --model "$dir/$m.vnm" --threads "$threads" --reps 30 --json |
            sed "s/^/ours $m /" | tee -a "$log" >&2
    done
    "$py" "$ts" --threads "$threads" --json - 2>/dev/null | sed "s/^/torch all /" | tee -a "$log" >&2
    echo "round $r of $rounds done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    r=$((r + 1))
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$py" - "$log" "$threads" <<'EOF'
import json, statistics, sys
ours, torch = {}, {}
for line in open(sys.argv[1]):
    who, m, js = line.split(" ", 2)
    d = json.loads(js)
    if who == "ours":
        ours.setdefault(m, []).append(d)
    else:
        for name in ("resnet18", "mobilenet_v2"):
            torch.setdefault(name, []).append(d[name])
print("| model | threads | libvisionnet batch 1 (ms) | PyTorch batch 1 (ms) | libvisionnet batch 8 (ms) | PyTorch batch 8 (ms) |")
print("|---|---:|---:|---:|---:|---:|")
for m in ("resnet18", "mobilenet_v2"):
    med = lambda rows, k: statistics.median(r[k] for r in rows)
    print("| %s | %s | %.1f | %.1f | %.1f | %.1f |" % (
        m, sys.argv[2], med(ours[m], "latency_b1_ms"), med(torch[m], "latency_b1_ms"),
        med(ours[m], "batch8_ms"), med(torch[m], "batch8_ms")))
    print("  rounds, ours b1: %s; torch b1: %s" % (
        ", ".join("%.1f" % r["latency_b1_ms"] for r in ours[m]),
        ", ".join("%.1f" % r["latency_b1_ms"] for r in torch[m])), file=sys.stderr)
EOF
