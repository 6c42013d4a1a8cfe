#!/bin/bash
# test_cli_train.sh VISIONNET SOURCE_DIR - `visionnet train` and `visionnet eval`.
#
# Small datasets are cut from Fashion-MNIST into a temporary folder (skipped,
# exit 77, when the Debian package dataset-fashion-mnist is not installed):
# IDX files of 256 training and 128 test images, a folder tree and a CSV
# list of PGM images. A 1-epoch run on each must work; eval --json must
# hold "accuracy" and agree with train --json; bad arguments and files must
# give exit status 1 and one line on stderr, nothing on stdout.
set -u
VN=$1
SRC=$2
FM=/usr/share/datasets/fashion-mnist
if [ ! -f "$FM/train-images-idx3-ubyte.gz" ]; then
    echo "cli_train: skipped, Fashion-MNIST is not in $FM"
    exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# ---- data -------------------------------------------------------------------
# idx_subset SRC_PREFIX DST_PREFIX N: the first N images and labels.
idx_subset() {
    local n=$3
    local hex
    hex=$(printf '%08x' "$n")
    local count="\\x${hex:0:2}\\x${hex:2:2}\\x${hex:4:2}\\x${hex:6:2}"
    { printf "\\x00\\x00\\x08\\x03$count\\x00\\x00\\x00\\x1c\\x00\\x00\\x00\\x1c"
      zcat "$1-images-idx3-ubyte.gz" | tail -c +17 | head -c $((n * 784)); } >"$2-images-idx3-ubyte"
    { printf "\\x00\\x00\\x08\\x01$count"
      zcat "$1-labels-idx1-ubyte.gz" | tail -c +9 | head -c "$n"; } >"$2-labels-idx1-ubyte"
}
mkdir -p "$T/idx"
idx_subset "$FM/train" "$T/idx/train" 256
idx_subset "$FM/t10k" "$T/idx/t10k" 128

# A tree of PGM images: image i of the test subset, in folder <label>.
raw=$T/t10k.raw
zcat "$FM/t10k-images-idx3-ubyte.gz" | tail -c +17 | head -c $((40 * 784)) >"$raw"
labels=$(zcat "$FM/t10k-labels-idx1-ubyte.gz" | tail -c +9 | head -c 40 | od -An -tu1 -v)
i=0
echo "path,label" >"$T/list.csv"
for y in $labels; do
    mkdir -p "$T/tree/train/$y"
    f=$T/tree/train/$y/$(printf '%03d' $i).pgm
    { printf 'P5\n28 28\n255\n'; tail -c +$((i * 784 + 1)) "$raw" | head -c 784; } >"$f"
    echo "tree/train/$y/$(printf '%03d' $i).pgm,$y" >>"$T/list.csv"
    i=$((i + 1))
done
cp -r "$T/tree/train" "$T/tree/test"

# ---- helpers ------------------------------------------------------------------
# ok NAME CMD...: exit 0, stdout into $T/out, stderr into $T/err
ok() {
    local name=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [ $rc -eq 0 ] || fail "$name: exit $rc: $(tail -3 "$T/err")"
}
# bad NAME CMD...: exit 1, one line "visionnet: ..." on stderr, nothing on stdout
bad() {
    local name=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [ $rc -eq 1 ] || fail "$name: exit $rc, want 1"
    [ -s "$T/out" ] && fail "$name: printed on stdout: $(head -c 200 "$T/out")"
    [ "$(wc -l <"$T/err")" -eq 1 ] || fail "$name: stderr has $(wc -l <"$T/err") lines: $(cat "$T/err")"
    grep -q '^visionnet: .' "$T/err" || fail "$name: stderr is '$(cat "$T/err")'"
}
json_value() { # json_value KEY FILE: the first number after "KEY":
    grep -o "\"$1\": [0-9.e+-]*" "$2" | head -1 | sed 's/.*: //'
}

# ---- train and eval on IDX ------------------------------------------------------
ok "train idx" "$VN" train --data "$T/idx/train-images-idx3-ubyte" --epochs 1 --batch 32 \
    --threads 2 --out "$T/m.vnm" --json
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "train --json: $(wc -l <"$T/out") lines on stdout"
grep -q '"accuracy": 0\.[0-9]' "$T/out" || fail "train --json: no accuracy: $(cat "$T/out")"
grep -q '"epochs": \[{"epoch": 1, ' "$T/out" || fail "train --json: no epochs: $(cat "$T/out")"
grep -q '"n": 128' "$T/out" || fail "train --json: the t10k subset was not found beside the data"
train_acc=$(json_value accuracy "$T/out")
[ -s "$T/m.vnm" ] || fail "train: no model file"

ok "eval idx --json" "$VN" eval "$T/m.vnm" --data "$T/idx/t10k-images-idx3-ubyte" --json
for key in accuracy loss n per_class_accuracy confusion_matrix top_k_accuracy; do
    grep -q "\"$key\": " "$T/out" || fail "eval --json: no \"$key\": $(cat "$T/out")"
done
eval_acc=$(json_value accuracy "$T/out")
[ "$eval_acc" = "$train_acc" ] || fail "eval accuracy $eval_acc differs from train's $train_acc"
grep -q '"classes": \["T-shirt/top", "Trouser"' "$T/out" &&
    fail "a copy outside a fashion folder got Fashion-MNIST's names"
grep -q '"n": 128' "$T/out" || fail "eval --json: n is not 128"

ok "eval idx text" "$VN" eval "$T/m.vnm" --data "$T/idx/t10k-images-idx3-ubyte"
grep -q '^accuracy [0-9.]*%' "$T/out" || fail "eval text: $(head -3 "$T/out")"
grep -q 'confusion matrix' "$T/out" || fail "eval text: no confusion matrix"

# ---- folder trees and CSV lists ------------------------------------------------------
ok "train tree" "$VN" train --data "$T/tree/train" --epochs 1 --batch 8 --out "$T/tree.vnm" --json
grep -q '"test": ".*tree/test"' "$T/out" || fail "train tree: the test folder was not found: $(cat "$T/out")"
ok "eval tree" "$VN" eval "$T/tree.vnm" --data "$T/tree/test" --json
grep -q '"n": 40' "$T/out" || fail "eval tree: $(cat "$T/out")"
# the IDX-trained model (classes unnamed) on the tree of folders named 0..9
ok "eval idx model on tree" "$VN" eval "$T/m.vnm" --data "$T/tree/test" --json
ok "eval csv" "$VN" eval "$T/tree.vnm" --data "$T/list.csv" --json
grep -q '"n": 40' "$T/out" || fail "eval csv: $(cat "$T/out")"

# ---- the reference spec ----------------------------------------------------------------
ok "print-spec" "$VN" train --data "$T/idx/train-images-idx3-ubyte" --print-spec
grep -v '^#' "$SRC/models/reference_cnn.spec" | diff - "$T/out" >/dev/null ||
    fail "train --print-spec differs from models/reference_cnn.spec"
ok "train --spec" "$VN" train --data "$T/idx/train-images-idx3-ubyte" --spec "$SRC/models/reference_cnn.spec" \
    --epochs 1 --optimizer "adamw lr=0.001 weight_decay=0.01" --val-split 0.25 --out "$T/s.vnm" --json
grep -q '"val_accuracy": 0\.[0-9]' "$T/out" || fail "train --val-split: no val_accuracy: $(cat "$T/out")"

# ---- --schedule and init=he -----------------------------------------------------------
# 256 images in batches of 32: 8 steps an epoch, 16 in all. Cosine to 0 over
# the run: the last step of epoch 1 (step 7) trains at
# 0.01*(1+cos(7*pi/16))/2 = 0.00597545, that of epoch 2 (step 15) at
# 0.01*(1+cos(15*pi/16))/2 = 9.60736e-05.
ok "train --schedule cosine" "$VN" train --data "$T/idx/train-images-idx3-ubyte" \
    --spec "$SRC/models/reference_cnn_he.spec" --epochs 2 --batch 32 --schedule cosine \
    --out "$T/he.vnm" --json
grep -q '"lr": 0.00597545, .*"lr": 9.60736e-05,' "$T/out" ||
    fail "train --schedule cosine: epoch lrs: $(cat "$T/out")"
ok "eval init=he model" "$VN" eval "$T/he.vnm" --data "$T/idx/t10k-images-idx3-ubyte" --json
ok "train --schedule step" "$VN" train --data "$T/idx/train-images-idx3-ubyte" --epochs 2 \
    --batch 32 --schedule "step step_size=8 gamma=0.5" --out "$T/step.vnm" --json
grep -q '"lr": 0.01, .*"lr": 0.005,' "$T/out" || fail "train --schedule step: epoch lrs: $(cat "$T/out")"

# ---- bad arguments and files ------------------------------------------------------------
bad "unknown option" "$VN" train --bogus
bad "epochs 0" "$VN" train --epochs 0
bad "epochs without value" "$VN" train --epochs
bad "val-split 1" "$VN" train --val-split 1
bad "bad optimizer" "$VN" train --data "$T/idx/train-images-idx3-ubyte" --optimizer "sgd lr=x"
bad "unknown schedule" "$VN" train --data "$T/idx/train-images-idx3-ubyte" --schedule linear
bad "bad schedule word" "$VN" train --data "$T/idx/train-images-idx3-ubyte" --schedule "cosine eta_min=-1"
bad "missing data" "$VN" train --data "$T/nothing-here"
bad "missing spec" "$VN" train --data "$T/idx/train-images-idx3-ubyte" --spec "$T/none.spec"
bad "damaged idx" "$VN" train --data "$SRC/tests/data/bad/idx_count_over_file.idx3-ubyte"
cp "$SRC/tests/data/bad/idx_gz_truncated.idx3-ubyte.gz" "$T/idx/broken-images-idx3-ubyte.gz"
cp "$T/idx/train-labels-idx1-ubyte" "$T/idx/broken-labels-idx1-ubyte"
bad "truncated gzip idx" "$VN" eval "$T/m.vnm" --data "$T/idx/broken-images-idx3-ubyte.gz"
bad "eval without model" "$VN" eval
bad "eval missing model" "$VN" eval "$T/none.vnm"
bad "eval not a model" "$VN" eval "$T/list.csv"
bad "eval unknown option" "$VN" eval "$T/m.vnm" --frobnicate
mkdir -p "$T/alien/cat" && cp "$T/tree/test/0/"*.pgm "$T/alien/cat/"
bad "eval classes the model lacks" "$VN" eval "$T/tree.vnm" --data "$T/alien"

# ---- a killed run leaves a model file that loads -----------------------------------------
cp "$T/m.vnm" "$T/k.vnm"
"$VN" train --data "$T/idx/train-images-idx3-ubyte" --epochs 1000 --batch 16 --out "$T/k.vnm" \
    >/dev/null 2>&1 &
pid=$!
sleep 2
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
ok "eval after kill -9" "$VN" eval "$T/k.vnm" --data "$T/idx/t10k-images-idx3-ubyte" --json

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "cli_train: all checks passed"
