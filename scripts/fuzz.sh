#!/bin/bash
# fuzz.sh - build the libFuzzer targets with clang and the sanitizers, and
# run each for a bounded time seeded with the test images and the corpus of
# damaged files.
#
#   scripts/fuzz.sh                 # every target, 20 s each
#   FUZZ_SECONDS=60 scripts/fuzz.sh fuzz_png fuzz_jpeg
#
# Environment:
#   FUZZ_SECONDS    seconds per target (default 20)
#   FUZZ_BUILD_DIR  build directory (default build-fuzz, under the source tree)
#   FUZZ_JOBS       ninja jobs (default 2)
# New inputs the fuzzer finds go to BUILD/fuzz-corpus/TARGET (never into
# tests/data); a crash leaves BUILD/fuzz-artifacts/TARGET-crash-* and makes
# the script exit 1 after the other targets have run.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SECONDS_PER=${FUZZ_SECONDS:-20}
BUILD=${FUZZ_BUILD_DIR:-build-fuzz}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
JOBS=${FUZZ_JOBS:-2}

if ! command -v clang >/dev/null; then
    echo "fuzz.sh: clang is needed (apt-get install clang libclang-rt-dev)" >&2
    exit 1
fi
if [ ! -f "$BUILD/build.ninja" ]; then
    CC=clang meson setup "$BUILD" "$ROOT" -Dfuzz=true -Dtests=false \
        -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debugoptimized >/dev/null ||
        { echo "fuzz.sh: meson setup failed" >&2; exit 1; }
fi

targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    for t in fuzz_png fuzz_jpeg fuzz_pnm fuzz_npy fuzz_image_any fuzz_model fuzz_weights fuzz_idx fuzz_csv fuzz_onnx; do
        # only the targets this configuration builds (png / jpeg may be off)
        if ninja -C "$BUILD" -t targets all 2>/dev/null | grep -q "^fuzz/$t:"; then
            targets+=("$t")
        fi
    done
fi
ninja -C "$BUILD" -j "$JOBS" "${targets[@]/#/fuzz/}" >/dev/null ||
    { echo "fuzz.sh: build failed" >&2; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in "${targets[@]}"; do
    corpus=$BUILD/fuzz-corpus/$t
    mkdir -p "$corpus" "$BUILD/fuzz-artifacts"
    echo "== $t: ${SECONDS_PER}s"
    # The first corpus folder receives new inputs; the seed folders are only read.
    if ! "$BUILD/fuzz/$t" "$corpus" "$ROOT/tests/data/images" "$ROOT/tests/data/bad" \
        "$ROOT/tests/data/models" "$ROOT/tests/data/bad_models" "$ROOT/tests/data/weights" \
        "$ROOT/tests/data/dataset_seeds" "$ROOT/tests/data/onnx" "$ROOT/tests/data/bad_onnx" \
        -max_total_time="$SECONDS_PER" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -artifact_prefix="$BUILD/fuzz-artifacts/$t-" -print_final_stats=1 \
        >"$BUILD/fuzz-artifacts/$t.log" 2>&1; then
        echo "fuzz.sh: $t FAILED, see $BUILD/fuzz-artifacts/$t.log" >&2
        grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$BUILD/fuzz-artifacts/$t.log" | head -5 >&2
        status=1
    else
        grep -E "stat::number_of_executed_units|stat::new_units_added" "$BUILD/fuzz-artifacts/$t.log" | tr '\n' ' '
        echo
    fi
done
exit $status
