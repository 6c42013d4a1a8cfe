#!/bin/bash
# test_onnx_backbones.sh VISIONNET SOURCE_DIR WORK_DIR [architectures] -
# real backbones through the ONNX importer (issue 7, item 6).
#
# With "architectures": tests/make_onnx_architectures.py's six other
# torchvision networks (SqueezeNet, DenseNet, GoogLeNet, EfficientNet,
# MNASNet, RegNet) on two random inputs instead, the same import / run /
# compare for each, no torch2vn.py part.
#
# tests/make_onnx_backbones.py writes torchvision's resnet18 and
# mobilenet_v2 (random weights, seed 0, random batch-norm statistics, eval
# mode; opset 13, once with
# batch-norm folded, once with BatchNormalization nodes kept), three photos
# (skimage's astronaut, coffee, chelsea at 224x224, ImageNet-normalised) and
# torch's logits into WORK_DIR (made once and reused: about 120 MB). Each
# of the four .onnx files is imported with `visionnet import` and run with
# `visionnet run` on the photos; max |diff| / max |ref| against torch's
# logits must be <= 1e-4 for each, and the top-1 class must agree. The
# models with batch-norm kept also go through tools/torch2vn.py (their spec
# and tensors as a state dict) and must give the same logits.
set -u
VN=$1
SRC=$2
W=$3
PY=/usr/bin/python3
if ! "$PY" -c 'import torch, torchvision, onnx, skimage' 2>/dev/null; then
    echo "onnx_backbones: skipped, $PY lacks torch, torchvision, onnx or skimage"
    exit 77
fi
SET=${4:-backbones}
mkdir -p "$W"
if [ "$SET" = architectures ]; then
    GEN=$SRC/tests/make_onnx_architectures.py
    if [ ! -f "$W/models.txt" ] || [ "$GEN" -nt "$W/models.txt" ]; then
        "$PY" "$GEN" "$W" 2>&1 | grep -v -i warning || true
    fi
    MODELS=$(cat "$W/models.txt" 2>/dev/null)
    [ -n "$MODELS" ] || { echo "FAIL: $GEN wrote no models.txt"; exit 1; }
else
    if [ ! -f "$W/logits_mobilenet_v2.npy" ] || [ ! -f "$W/mobilenet_v2_bn.onnx" ] ||
        [ "$SRC/tests/make_onnx_backbones.py" -nt "$W/logits_mobilenet_v2.npy" ]; then
        "$PY" "$SRC/tests/make_onnx_backbones.py" "$W" 2>&1 | grep -v -i warning ||
            true
    fi
    MODELS="resnet18 resnet18_bn mobilenet_v2 mobilenet_v2_bn"
fi
fails=0
passes=0
for m in $MODELS; do
    ref=$W/logits_${m%_bn}.npy
    t0=$(date +%s%N)
    if ! "$VN" import "$W/$m.onnx" -o "$W/$m.vnm" >"$W/$m.import.txt" 2>&1; then
        echo "FAIL: $m: import: $(tail -1 "$W/$m.import.txt")"
        fails=$((fails + 1))
        continue
    fi
    t1=$(date +%s%N)
    if ! "$VN" run "$W/$m.vnm" "$W/inputs.npy" -o "$W/$m.out.npy" >"$W/$m.run.txt" 2>&1; then
        echo "FAIL: $m: run: $(tail -1 "$W/$m.run.txt")"
        fails=$((fails + 1))
        continue
    fi
    t2=$(date +%s%N)
    if "$PY" -c '
import sys, numpy as np
name, got, want = sys.argv[1], np.load(sys.argv[2]), np.load(sys.argv[3])
if got.shape != want.shape:
    print("FAIL: %s: logits %s, want %s" % (name, got.shape, want.shape)); sys.exit(1)
d = np.abs(got - want).max(); r = np.abs(want).max()
top = (got.argmax(1) == want.argmax(1)).all()
print("%-16s max|diff| %.3e  max|ref| %.3e  relative %.3e  top-1 %s  (import %.1f s, run %.2f s)"
      % (name, d, r, d / r, "same" if top else "DIFFERENT", float(sys.argv[4]), float(sys.argv[5])))
sys.exit(0 if d / r <= 1e-4 and top else 1)' "$m" "$W/$m.out.npy" "$ref" \
        "$(((t1 - t0) / 1000000))e-3" "$(((t2 - t1) / 1000000))e-3"; then
        passes=$((passes + 1))
    else
        echo "FAIL: $m: logits differ from torch's by more than 1e-4 (relative)"
        fails=$((fails + 1))
    fi
done

# tools/torch2vn.py on the same networks: the imported model's spec and its
# tensors as a PyTorch state dict go back through torch2vn.py, whose shape
# rules must accept them, and the converted model must give torch's logits.
[ "$SET" = architectures ] && T2V= || T2V="resnet18_bn mobilenet_v2_bn"
for m in $T2V; do
    [ -f "$W/$m.vnm" ] || continue
    if "$PY" -c '
import json, struct, sys
import numpy as np, torch
W, m = sys.argv[1], sys.argv[2]
with open("%s/%s.vnm" % (W, m), "rb") as f:
    n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); data = f.read()
meta = h.pop("__metadata__")
with open("%s/%s.spec" % (W, m), "w") as f:
    f.write(meta["spec"])
torch.save({k: torch.from_numpy(np.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], "<f4")
                                .reshape(v["shape"]).copy()) for k, v in h.items()},
           "%s/%s.state.pt" % (W, m))' "$W" "$m" >"$W/$m.t2v.txt" 2>&1 &&
        "$PY" "$SRC/tools/torch2vn.py" "$W/$m.state.pt" "$W/$m.spec" -o "$W/$m.t2v.vnm" >>"$W/$m.t2v.txt" 2>&1 &&
        "$VN" run "$W/$m.t2v.vnm" "$W/inputs.npy" -o "$W/$m.t2v.npy" >>"$W/$m.t2v.txt" 2>&1 &&
        "$PY" -c '
import sys, numpy as np
got, want = np.load(sys.argv[2]), np.load(sys.argv[3])
rel = np.abs(got - want).max() / np.abs(want).max()
print("%-16s through torch2vn.py: relative %.3e" % (sys.argv[1], rel))
sys.exit(0 if rel <= 1e-4 else 1)' "$m" "$W/$m.t2v.npy" "$W/logits_${m%_bn}.npy"; then
        passes=$((passes + 1))
    else
        echo "FAIL: $m through torch2vn.py: $(tail -2 "$W/$m.t2v.txt")"
        fails=$((fails + 1))
    fi
done
echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
