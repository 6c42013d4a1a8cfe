#!/bin/bash
# test_cli_hog.sh VISIONNET DATA_DIR - the `visionnet hog` subcommand.
#
# On a PNG of tests/data/images: the summary names the descriptor length
# (worked out from the file's size below),
# --npy writes a float32 vector of that length, --render a PNG of the
# image's size (cell size 0 = skimage's picture), --json one object;
# bad options and unreadable files give exit 1 and one line on stderr.
set -u
VN=$1
DATA=$2
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

IMG=$DATA/images/png_cv2.png
# png_cv2.png is 30 x 20 (W x H, make_images.py): 3 x 2 cells of 8x8,
# 2 x 1 blocks of 2x2 cells -> 2 * 36 = 72 floats
"$VN" hog "$IMG" >"$TMP/out" 2>"$TMP/err" || fail "hog: exit $? ($(cat "$TMP/err"))"
grep -q '^descriptor: 72 floats = 1 x 2 blocks x 36$' "$TMP/out" || fail "hog summary: $(cat "$TMP/out")"

"$VN" hog "$IMG" --npy "$TMP/d.npy" --render "$TMP/r.png" --json >"$TMP/out" 2>"$TMP/err" ||
    fail "hog --npy --render --json: exit $? ($(cat "$TMP/err"))"
grep -q '"length": 72' "$TMP/out" || fail "hog --json: $(cat "$TMP/out")"
[ "$(wc -l <"$TMP/out")" -eq 1 ] || fail "hog --json: not one line"
"$VN" info --json "$TMP/d.npy" | grep -q '"dtype": "f32", "shape": \[72\]' || fail "hog --npy: $("$VN" info "$TMP/d.npy")"
"$VN" info --json "$TMP/r.png" | tr -d ' ' | grep -q '"width":30,"height":20,"channels":1' ||
    fail "hog --render: $("$VN" info "$TMP/r.png")"

"$VN" hog "$IMG" --convention opencv --render "$TMP/r2.png" --render-cell 12 >/dev/null 2>&1 ||
    fail "hog --convention opencv --render-cell 12"
"$VN" info --json "$TMP/r2.png" | tr -d ' ' | grep -q '"width":36,"height":24' || fail "hog --render-cell: $("$VN" info "$TMP/r2.png")"

# user errors: exit 1, one line on stderr
for args in "--orientations 1" "--norm l3" "--cell 0" "--bogus" "--block 9"; do
    # shellcheck disable=SC2086
    "$VN" hog "$IMG" $args >"$TMP/out" 2>"$TMP/err"
    rc=$?
    [ $rc -eq 1 ] || fail "hog $args: exit $rc"
    [ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "hog $args: stderr '$(cat "$TMP/err")'"
done
"$VN" hog "$TMP/missing.png" >/dev/null 2>"$TMP/err"
[ $? -eq 1 ] || fail "hog on a missing file: not exit 1"
[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "hog missing: stderr '$(cat "$TMP/err")'"

[ $fails -eq 0 ] && echo "ok: visionnet hog" || exit 1
