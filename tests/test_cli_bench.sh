#!/bin/bash
# test_cli_bench.sh VISIONNET - `visionnet bench` (the reference CNN on
# Fashion-MNIST) on a tiny setting: 512 training images, 20 timed single
# images. --json must give one object whose four figures are present and
# positive; bad arguments give exit status 1 and one line on stderr.
# Skipped (exit 77) when Fashion-MNIST is not installed.
set -u
VN=$1
FM=/usr/share/datasets/fashion-mnist
if [ ! -f "$FM/train-images-idx3-ubyte.gz" ]; then
    echo "cli_bench: skipped, Fashion-MNIST is not in $FM"
    exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

if ! "$VN" bench --threads 2 --limit 512 --latency-n 20 --json >"$T/out" 2>"$T/err"; then
    fail "bench --json exited $? ($(head -c 300 "$T/err"))"
fi
[ "$(wc -l <"$T/out")" -eq 1 ] || fail "bench --json: not one line: $(head -c 300 "$T/out")"
for key in train_images_per_s infer_images_per_s latency_b1_ms peak_rss_mb accuracy; do
    v=$(sed -n "s/.*\"$key\": \([-0-9.eE+]*\).*/\1/p" "$T/out")
    if [ -z "$v" ]; then
        fail "bench --json: no $key in $(cat "$T/out")"
    elif ! awk -v v="$v" 'BEGIN { exit !(v > 0) }'; then
        fail "bench --json: $key = $v, not positive"
    fi
done
grep -q '"threads": 2' "$T/out" || fail "bench --json: threads is not 2: $(cat "$T/out")"

# plain lines
"$VN" bench --limit 256 --latency-n 5 >"$T/out" 2>/dev/null || fail "bench (plain) failed"
for word in "training:" "inference:" "latency:" "peak RSS:"; do
    grep -q "^$word" "$T/out" || fail "bench: no '$word' line in $(cat "$T/out")"
done

# bad arguments: status 1, one line "visionnet: ..." on stderr, nothing on stdout
bad() {
    "$VN" bench "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    [ $rc -eq 1 ] || fail "bench $*: exit status $rc, not 1"
    [ ! -s "$T/out" ] || fail "bench $*: wrote on stdout"
    [ "$(wc -l <"$T/err")" -eq 1 ] && grep -q '^visionnet: ' "$T/err" ||
        fail "bench $*: stderr is not one 'visionnet:' line: $(cat "$T/err")"
}
bad --bogus
bad extra
bad --threads 0
bad --epochs
bad --epochs x
bad --latency-n 0
bad --limit -3

"$VN" bench --help >"$T/out" && grep -q -- '--limit' "$T/out" || fail "bench --help"

if [ $fails -ne 0 ]; then
    echo "$fails failure(s)"
    exit 1
fi
echo "cli_bench: all passed"
