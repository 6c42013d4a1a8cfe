#!/bin/bash
# test_cli_model.sh VISIONNET DATA_DIR - `visionnet info MODEL` and
# `visionnet predict MODEL IMAGE...` on DATA_DIR/models/tiny.vnm, and the
# damaged model files of DATA_DIR/bad_models, which info, predict and (when
# the command is there) eval must each refuse with exit 1 and one line.
#
# tiny.vnm (made by data/make_models.py) is a linear classifier on 4x4 grey
# images: x = (u8/255 - 0.5)/0.25, logits = [mean(x), 0.5, -mean(x)] for the
# classes "bright", "mid", "dark". The probabilities below are the softmax
# of those logits computed with numpy:
#   white (255): x = 2          -> 0.80551241, 0.17973411, 0.01475347
#   black (0):   x = -2         -> 0.01475347, 0.17973411, 0.80551241
#   grey (128):  x = 0.00784326 -> 0.27622200, 0.45185514, 0.27192285
# Images of other sizes and channel counts are uniform, so whatever the
# resize and colour conversion do they stay the same value.
set -u
VN=$1
DATA=$2
MODEL=$DATA/models/tiny.vnm
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# expect_out "expected stdout" COMMAND ARGS...  (exit 0, empty stderr)
expect_out() {
    local want=$1
    shift
    "$VN" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    [ $rc -eq 0 ] || fail "$*: exit $rc ($(cat "$TMP/err"))"
    [ -s "$TMP/err" ] && fail "$*: stderr: $(cat "$TMP/err")"
    [ "$(cat "$TMP/out")" = "$want" ] || fail "$*: got
$(cat "$TMP/out")
want
$want"
}

# expect_one_error FILE COMMAND ARGS...: exit 1, nothing on stdout, exactly
# one line on stderr, "visionnet: FILE: <reason>".
expect_one_error() {
    local file=$1
    shift
    "$VN" "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    [ $rc -eq 1 ] || fail "$*: exit $rc, want 1"
    [ -s "$TMP/out" ] && fail "$*: stdout: $(head -c 200 "$TMP/out")"
    [ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "$*: stderr has $(wc -l <"$TMP/err") lines: $(cat "$TMP/err")"
    grep -q "^visionnet: $file: ." "$TMP/err" || fail "$*: stderr: $(cat "$TMP/err")"
}

# uniform PNM images: pnm MAGIC WIDTH HEIGHT CHANNELS VALUE FILE
pnm() {
    printf '%s\n%d %d\n255\n' "$1" "$2" "$3" >"$6"
    head -c $(($2 * $3 * $4)) /dev/zero | tr '\0' "$(printf '\\%03o' "$5")" >>"$6"
}
pnm P5 4 4 1 255 "$TMP/white.pgm"
pnm P6 8 6 3 0 "$TMP/black_rgb_8x6.ppm"   # shrinks (area) and turns grey
pnm P5 2 2 1 128 "$TMP/grey_2x2.pgm"      # enlarges (bilinear)
printf 'not an image' >"$TMP/broken.png"

# ---- info -------------------------------------------------------------------
expect_out "$MODEL: visionnet model, 2 nodes, 51 parameters, 99 FLOPs per image
  input [1, 4, 4], preprocess scale=0.00392156886 mean=0.5 std=0.25
  node             type               output shape               params          flops
  flat             flatten            [16]                            0              0
  fc               dense              [3]                            51             99
  total                                                              51             99
  classes (3): bright, mid, dark" info "$MODEL"

expect_out '{"file": "'"$MODEL"'", "nodes": [{"name": "flat", "type": "flatten", "shape": [16], "params": 0, "flops": 0}, {"name": "fc", "type": "dense", "shape": [3], "params": 51, "flops": 99}], "params": 51, "flops": 99, "input_shape": [1, 4, 4], "output_shape": [3], "preprocess": {"scale": 0.00392156886, "mean": [0.5], "std": [0.25]}, "classes": ["bright", "mid", "dark"], "optimizer": null, "optimizer_step": null}' \
    info --json "$MODEL"

# recognised by content, whatever the name
cp "$MODEL" "$TMP/model.png"
"$VN" info "$TMP/model.png" 2>&1 | grep -q "visionnet model, 2 nodes" || fail "info: a model named .png"

# ---- predict ----------------------------------------------------------------
expect_out "$TMP/white.pgm: bright 0.8055, mid 0.1797, dark 0.0148
$TMP/black_rgb_8x6.ppm: dark 0.8055, mid 0.1797, bright 0.0148
$TMP/grey_2x2.pgm: mid 0.4519, bright 0.2762, dark 0.2719" \
    predict "$MODEL" "$TMP/white.pgm" "$TMP/black_rgb_8x6.ppm" "$TMP/grey_2x2.pgm"

expect_out '{"file": "'"$TMP"'/white.pgm", "top": [{"label": "bright", "index": 0, "probability": 0.805512}]}' \
    predict "$MODEL" "$TMP/white.pgm" --top 1 --json

# a bad image among good ones: one line for it, the others still classified
"$VN" predict "$MODEL" "$TMP/white.pgm" "$TMP/broken.png" "$TMP/grey_2x2.pgm" --top 1 \
    >"$TMP/out" 2>"$TMP/err"
[ $? -eq 1 ] || fail "predict with a bad image: exit status"
[ "$(cat "$TMP/out")" = "$TMP/white.pgm: bright 0.8055
$TMP/grey_2x2.pgm: mid 0.4519" ] || fail "predict with a bad image: stdout $(cat "$TMP/out")"
[ "$(wc -l <"$TMP/err")" -eq 1 ] && grep -q "^visionnet: $TMP/broken.png: " "$TMP/err" ||
    fail "predict with a bad image: stderr $(cat "$TMP/err")"

expect_one_error "predict" predict "$MODEL"
expect_one_error "$TMP/missing.vnm" predict "$TMP/missing.vnm" "$TMP/white.pgm"

# ---- damaged and foreign model files ------------------------------------------
have_eval=0
"$VN" help eval >/dev/null 2>&1 && have_eval=1
n=0
for f in "$DATA"/bad_models/*; do
    n=$((n + 1))
    expect_one_error "$f" info "$f"
    # a file named .vnm is reported as a model, never as an unknown image
    grep -q ": image: " "$TMP/err" && fail "info $f: read as an image: $(cat "$TMP/err")"
    expect_one_error "$f" predict "$f" "$TMP/white.pgm"
    [ $have_eval -eq 1 ] && expect_one_error "$f" eval "$f"
done
[ $n -ge 20 ] || fail "only $n files in bad_models"

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "ok: info and predict on model files, $n damaged model files refused"
