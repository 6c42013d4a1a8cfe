#!/usr/bin/env bash
# test_cli_sift.sh - `visionnet sift` as a user runs it.
#
#   tests/test_cli_sift.sh VISIONNET DATA_DIR
#
# camera_160.png is the 160 x 160 crop of skimage's camera used by
# tests/test_sift.c (OpenCV 4.6 finds 129 keypoints in it:
# camera_160_cv_kp.npy); camera_160_rot90.png is numpy.rot90 of it.
set -uo pipefail
vn=$1
data=$2/sift
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; failed=1; fi; }

# One image: the count and the keypoints with the documented keys.
"$vn" sift "$data/camera_160.png" --json >"$tmp/one.json" 2>"$tmp/err"
check "one image exits 0" '[ $? -eq 0 ]'
check "one image: 129 keypoints, as OpenCV" 'grep -q "\"count\": 129," "$tmp/one.json"'
check "keypoints have x, y, size, angle, response" \
    'grep -q "{\"x\": [-0-9.e]*, \"y\": [-0-9.e]*, \"size\": [-0-9.e]*, \"angle\": [-0-9.e]*, \"response\": [-0-9.e]*}" "$tmp/one.json"'
check "129 keypoint objects listed" '[ "$(grep -o "\"response\"" "$tmp/one.json" | wc -l)" -eq 129 ]'
check "no matches without a second image" '! grep -q "\"matches\"" "$tmp/one.json"'

# Two images: matches as [x1, y1, x2, y2]; the quarter turn maps (x, y) to
# (y, 159 - x), and most matches must land there (within 2 px).
"$vn" sift "$data/camera_160.png" "$data/camera_160_rot90.png" --json --draw "$tmp/m.png" >"$tmp/two.json"
check "two images exit 0" '[ $? -eq 0 ]'
grep -o "\"matches\": \[.*\]" "$tmp/two.json" | grep -o "\[[-0-9.e]*, [-0-9.e]*, [-0-9.e]*, [-0-9.e]*\]" |
    tr -d '[],' >"$tmp/m.txt"
n=$(wc -l <"$tmp/m.txt")
good=$(awk '{ dx = $3 - $2; dy = $4 - (159 - $1); if (dx * dx + dy * dy < 4) g++ } END { print g + 0 }' "$tmp/m.txt")
check "at least 50 matches ($n)" '[ "$n" -ge 50 ]'
check "90% of matches where the rotation puts them ($good of $n)" '[ $((good * 10)) -ge $((n * 9)) ]'
check "--draw wrote a PNG" '[ "$(head -c 8 "$tmp/m.png" | od -An -tx1 | tr -d " \n")" = 89504e470d0a1a0a ]'

# --nfeatures and user errors.
"$vn" sift "$data/camera_160.png" --nfeatures 10 >"$tmp/few.txt"
check "--nfeatures 10 keeps 10" 'grep -q ": 10 keypoints" "$tmp/few.txt"'
"$vn" sift "$tmp/missing.png" 2>"$tmp/err"
check "a missing file exits 1" '[ $? -eq 1 ]'
check "with one line on stderr" '[ "$(wc -l <"$tmp/err")" -eq 1 ]'
"$vn" sift "$data/camera_160.png" --ratio 0 2>/dev/null
check "--ratio 0 is refused" '[ $? -eq 1 ]'
exit $failed
