#!/bin/sh
# run_cnn_bench.sh - the reference CNN on Fashion-MNIST, libvisionnet
# (`visionnet bench`) and PyTorch (../shared/bench/reference_cnn_torch.py)
# alternated in one run, with the medians over rounds and the ratios against
# issue 4's targets (training throughput at least 2x PyTorch's, batch-1
# latency at most a third, peak RSS at most a fifth).
#
#   bench/run_cnn_bench.sh [BUILD_DIR] [ROUNDS] [THREADS]
#
# BUILD_DIR (default build) holds tools/visionnet/visionnet; ROUNDS (default
# 3) rounds of: ours, then PyTorch, one training epoch each (60,000 images),
# then batch-256 inference, batch-1 latency and peak RSS; THREADS (default 2)
# for both sides. The environment is passed through unchanged: run it with
# OPENBLAS_CORETYPE set as the machine's environment sets it (PyTorch's
# dense layers run on OpenBLAS, and without it OpenBLAS 0.3.21 picks its
# SSE3 kernels on these CPUs; libvisionnet's native GEMM does not use it).
# The machine is shared: the load average is printed, and only figures of
# the same run compare.
# Environment: PYTHON (default /usr/bin/python3), TORCH_SCRIPT (default
# ../shared/bench/reference_cnn_torch.py next to the source tree).
set -eu
name=run_cnn_bench
torch_script=reference_cnn_torch.py
. "$(dirname "$0")/vs_torch_setup.sh"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)" \
     "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset}" >&2
r=1
while [ "$r" -le "$rounds" ]; do
    "$vn" bench --threads "$threads" --epochs 1 --json | sed "s/^/ours /" | tee -a "$log" >&2
    "$py" "$ts" --threads "$threads" --epochs 1 --json - 2>/dev/null | sed "s/^/torch /" |
        tee -a "$log" >&2
    echo "round $r of $rounds done (load $(cut -d' ' -f1 /proc/loadavg))" >&2
    r=$((r + 1))
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$py" - "$log" "$threads" <<'EOF'
import json, statistics, sys
rows = {"ours": [], "torch": []}
for line in open(sys.argv[1]):
    who, js = line.split(" ", 1)
    rows[who].append(json.loads(js))
med = lambda who, k: statistics.median(r[k] for r in rows[who])
each = lambda who, k, f: ", ".join(f % r[k] for r in rows[who])
print("| %s threads | libvisionnet | PyTorch | ratio | target |" % sys.argv[2])
print("|---|---:|---:|---:|---|")
for key, name, fmt, better, target in (
        ("train_images_per_s", "training images/s", "%.0f", "higher", ">= 2x"),
        ("infer_images_per_s", "inference images/s, batch 256", "%.0f", "higher", ""),
        ("latency_b1_ms", "latency, batch 1 (ms)", "%.3f", "lower", ">= 3x"),
        ("peak_rss_mb", "peak RSS (MB)", "%.0f", "lower", ">= 5x")):
    a, b = med("ours", key), med("torch", key)
    ratio = a / b if better == "higher" else b / a
    print("| %s | %s (%s) | %s (%s) | %.2fx | %s |" % (
        name, fmt % a, each("ours", key, fmt), fmt % b, each("torch", key, fmt), ratio, target))
print("| test accuracy after 1 epoch | %.2f%% | %.2f%% | | |" % (
    100 * med("ours", "accuracy"), 100 * med("torch", "accuracy")))
EOF
