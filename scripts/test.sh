#!/usr/bin/env bash
# test.sh - everything CI checks, in one command, from a fresh Debian 12
# machine or a developer's tree:
#
#   1. install the missing Debian packages (scripts/deps.sh test)
#   2. configure (if needed) and build `build` (release), run every meson
#      test there: the cmocka suites, the conformance runner, the exports
#      check, ...
#   3. configure and build `build-asan` (-Db_sanitize=address,undefined) and
#      run the tests there (all suites but abi, docs and slow); any
#      sanitizer report is fatal
#   4. install into a temporary prefix and build / run examples/ against the
#      installed library through pkg-config, shared and static
#      (tests/check_examples.sh)
#   5. run the fuzz targets for a bounded time (scripts/fuzz.sh), when present
#
# Every step runs even when an earlier one failed (except the tests of a
# build that failed), so one run reports everything. The output ends with
# a summary and the line "N passed, N failed" (meson's test counts plus one
# per check of the other steps); the exit status is 1 when anything failed.
#
# Environment:
#   VN_JOBS            parallel jobs (default: nproc)
#   VN_SKIP            space-separated steps to leave out: asan examples fuzz
#   VN_FUZZ_SECONDS    seconds per fuzz target (default 10)
set -euo pipefail

cd "$(dirname "$0")/.."
root=$(pwd)
jobs=${VN_JOBS:-$(nproc)}
skip=" ${VN_SKIP:-} "
# Groups of scripts/deps.sh the tests need; add one when a test needs it.
deps_groups=(test ref data onnx)

logs=$(mktemp -d /tmp/vn-test-XXXXXX)
trap 'rm -rf "$logs"' EXIT

passed=0
failed=0
summary=()
started=$SECONDS

# count_meson LOG: add meson test's summary ("Ok:", "Fail:", ...) to the totals.
# Prints how many results it found.
count_meson() {
    awk '/^Ok:/ {p += $2} /^Expected Fail:/ {p += $3}
         /^Fail:/ {f += $2} /^Unexpected Pass:/ {f += $3} /^Timeout:/ {f += $2}
         END {printf "%d %d\n", p, f}' "$1"
}

# count_lines LOG: add up the "N passed, N failed" lines a script printed.
count_lines() {
    sed -n 's/^\([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\1 \2/p' "$1" |
        awk '{p += $1; f += $2} END {printf "%d %d\n", p, f}'
}

# run_step KIND NAME COMMAND...: run COMMAND with errexit on, its output shown
# and logged. KIND says how its results count:
#   meson   meson test's summary lines
#   lines   the "N passed, N failed" lines it prints (one check if none)
#   quiet   one check; the output is shown only when it fails
# Returns COMMAND's exit status.
run_step() {
    local kind=$1 name=$2
    shift 2
    local log=$logs/step-$((${#summary[@]} + 1)).log t0=$SECONDS rc p=0 f=0
    echo
    echo "=== $name"
    set +e
    if [ "$kind" = quiet ]; then
        (set -e; "$@") >"$log" 2>&1
        rc=$?
        [ $rc -ne 0 ] && tail -60 "$log"
    else
        (set -e; "$@") 2>&1 | tee "$log"
        rc=${PIPESTATUS[0]}
    fi
    set -e

    case $kind in
        meson) read -r p f < <(count_meson "$log") ;;
        lines) read -r p f < <(count_lines "$log") ;;
    esac
    if [ $((p + f)) -eq 0 ]; then
        # Nothing counted: the step itself is the check.
        if [ $rc -eq 0 ]; then p=1; else f=1; fi
    elif [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # it failed without saying which check (a crash, a build error)
    fi
    passed=$((passed + p))
    failed=$((failed + f))

    local verdict=ok
    [ $rc -ne 0 ] && verdict="FAILED (exit $rc)"
    summary+=("$(printf '%-52s %-16s %4ds  %d passed, %d failed' "$name" "$verdict" \
        $((SECONDS - t0)) "$p" "$f")")
    echo "=== $name: $verdict ($((SECONDS - t0))s)"
    return $rc
}

skipped() { [[ $skip == *" $1 "* ]]; }

# configure DIR [MESON OPTIONS...]: set up DIR unless it already is a build dir.
configure() {
    local dir=$1
    shift
    if [ -f "$dir/meson-private/coredata.dat" ]; then
        echo "$dir: already configured"
        meson configure "$dir" -Dtests=true
    else
        rm -rf "$dir"
        meson setup "$dir" "$@"
    fi
}

build_release() {
    configure build --buildtype=release -Dtests=true
    meson compile -C build -j "$jobs"
}

build_asan() {
    configure build-asan --buildtype=debugoptimized \
        -Db_sanitize=address,undefined -Db_lundef=false -Dtests=true
    meson compile -C build-asan -j "$jobs"
}

# --------------------------------------------------------------------------
run_step quiet "install missing packages" scripts/deps.sh "${deps_groups[@]}" || true

if run_step quiet "configure + build build (release)" build_release; then
    run_step meson "meson test (build)" \
        meson test -C build --print-errorlogs --num-processes "$jobs" || true
fi

if ! skipped asan; then
    if run_step quiet "configure + build build-asan" build_asan; then
        # Any sanitizer report ends the test with a failure. Every suite
        # runs (unit, conformance, the command on damaged files, ...) except
        # the checks of the build's artefacts (abi, docs), which the release
        # run covers, and a suite named 'slow', should one be added.
        run_step meson "tests under ASan + UBSan (build-asan)" \
            env ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:print_summary=1 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:print_summary=1 \
            meson test -C build-asan --no-suite abi --no-suite docs --no-suite slow \
                --print-errorlogs --num-processes "$jobs" || true
    fi
fi

if ! skipped examples; then
    run_step lines "install + examples (pkg-config, shared and static)" \
        env VN_JOBS="$jobs" tests/check_examples.sh "$root" || true
fi

if ! skipped fuzz && [ -f scripts/fuzz.sh ]; then
    # fuzz.sh builds build-fuzz with clang and runs every target, seeded
    # with tests/data; a crash fails it.
    fuzz_seconds=${VN_FUZZ_SECONDS:-10}
    run_step lines "fuzz targets (${fuzz_seconds}s each)" \
        env FUZZ_SECONDS="$fuzz_seconds" FUZZ_JOBS="$jobs" bash scripts/fuzz.sh || true
fi

# --------------------------------------------------------------------------
echo
echo "=== summary ($((SECONDS - started))s in all)"
printf '  %s\n' "${summary[@]}"
if [ "$failed" -eq 0 ]; then
    echo "test.sh: all checks passed"
else
    echo "test.sh: FAILURES above"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
