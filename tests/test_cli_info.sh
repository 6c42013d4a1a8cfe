#!/bin/bash
# test_cli_info.sh VISIONNET DATA_DIR - the `visionnet info` subcommand.
#
# Good files are described (the figures are those make_images.py wrote);
# every file of the damaged corpus DATA_DIR/bad makes the command exit 1
# with exactly one line "visionnet: FILE: <reason>" on stderr and nothing on
# stdout; a bad file among good ones does not stop the others.
set -u
VN=$1
DATA=$2
IMG=$DATA/images
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fails=0

fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

# expect_line "args..." "expected stdout"  (exit status 0, empty stderr)
expect_out() {
    local want=$1
    shift
    "$VN" info "$@" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    [ $rc -eq 0 ] || fail "info $*: exit $rc ($(cat "$TMP/err"))"
    [ -s "$TMP/err" ] && fail "info $*: stderr: $(cat "$TMP/err")"
    [ "$(cat "$TMP/out")" = "$want" ] || fail "info $*: got '$(cat "$TMP/out")', want '$want'"
}

have_codec() { # png / jpeg may be built out (-Dpng=disabled)
    "$VN" info "$IMG/$1" >/dev/null 2>&1
}

# ---- good files -----------------------------------------------------------
expect_out "$IMG/pnm_p6.ppm: 11x5, 3 channels, 8-bit, pnm" "$IMG/pnm_p6.ppm"
expect_out "$IMG/pnm_p4.pbm: 11x5, 1 channel, 1-bit, pnm" "$IMG/pnm_p4.pbm"
expect_out "$IMG/pnm_p5_16.pgm: 11x5, 1 channel, 16-bit, pnm" "$IMG/pnm_p5_16.pgm"
expect_out '{"file": "'"$IMG"'/pnm_p3.ppm", "width": 11, "height": 5, "channels": 3, "bit_depth": 8, "codec": "pnm"}' \
    --json "$IMG/pnm_p3.ppm"
if have_codec png_rgb8.png; then
    expect_out "$IMG/png_pal8_trns.png: 7x6, 4 channels, 8-bit, png" "$IMG/png_pal8_trns.png"
    expect_out "$IMG/png_gray16.png: 7x6, 1 channel, 16-bit, png" "$IMG/png_gray16.png"
    expect_out "$IMG/png_rgb8_interlaced.png: 9x11, 3 channels, 8-bit, png" "$IMG/png_rgb8_interlaced.png"
    # chosen by content: a PNG named .jpg
    expect_out '{"file": "'"$IMG"'/png_named.jpg", "width": 30, "height": 20, "channels": 3, "bit_depth": 8, "codec": "png"}' \
        "$IMG/png_named.jpg" --json
fi
if have_codec jpeg_baseline.jpg; then
    expect_out "$IMG/jpeg_progressive.jpg: 40x24, 3 channels, 8-bit, jpeg" "$IMG/jpeg_progressive.jpg"
    expect_out "$IMG/jpeg_gray.jpg: 40x24, 1 channel, 8-bit, jpeg" "$IMG/jpeg_gray.jpg"
fi
# .npy by its magic, whatever the name
cp "$IMG/pnm_p2_16.npy" "$TMP/array.dat"
expect_out "$TMP/array.dat: npy i32 [5, 11, 1]" "$TMP/array.dat"
expect_out '{"file": "'"$TMP"'/array.dat", "dtype": "i32", "shape": [5, 11, 1]}' --json "$TMP/array.dat"
# several files: one line each, in order
expect_out "$IMG/pnm_p5.pgm: 11x5, 1 channel, 8-bit, pnm
$IMG/pnm_p1.pbm: 11x5, 1 channel, 1-bit, pnm" "$IMG/pnm_p5.pgm" "$IMG/pnm_p1.pbm"

# ---- damaged, foreign, missing --------------------------------------------
check_bad() {
    local f=$1
    "$VN" info "$f" >"$TMP/out" 2>"$TMP/err"
    local rc=$?
    [ $rc -eq 1 ] || fail "$f: exit $rc, want 1"
    [ -s "$TMP/out" ] && fail "$f: printed on stdout: $(cat "$TMP/out")"
    local lines
    lines=$(wc -l <"$TMP/err")
    [ "$lines" -eq 1 ] || fail "$f: $lines lines on stderr: $(cat "$TMP/err")"
    grep -q "^visionnet: $f: ." "$TMP/err" || fail "$f: stderr is '$(cat "$TMP/err")'"
}
n=0
for f in "$DATA"/bad/*; do
    check_bad "$f"
    n=$((n + 1))
done
[ $n -ge 50 ] || fail "only $n files in $DATA/bad"
check_bad "$TMP/no_such_file.png"
check_bad "$TMP"   # a directory

# a bad file among good ones: the good ones are still described, exit 1
"$VN" info "$IMG/pnm_p5.pgm" "$DATA/bad/pnm_maxval_0.pgm" "$IMG/pnm_p6.ppm" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 1 ] || fail "mixed files: exit $rc, want 1"
[ "$(wc -l <"$TMP/out")" -eq 2 ] || fail "mixed files: stdout $(cat "$TMP/out")"
[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "mixed files: stderr $(cat "$TMP/err")"

# usage errors
"$VN" info >/dev/null 2>"$TMP/err" && fail "no file: exit 0"
[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "no file: stderr $(cat "$TMP/err")"
"$VN" info --bogus "$IMG/pnm_p5.pgm" >/dev/null 2>&1 && fail "unknown option: exit 0"
"$VN" info --help >/dev/null || fail "--help: exit $?"

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "cli_info: all checks passed ($n damaged files)"
