#!/usr/bin/env bash
# check_examples.sh - use libvisionnet the way a user of the installed
# library does:
#
#   1. configure a fresh build with --prefix=/tmp/vn-prefix-XXXXXX, build it
#      and `meson install` it there;
#   2. check the installed files and `pkg-config --modversion visionnet`;
#   3. check that every public header compiles on its own (C11, -pedantic,
#      and C++ when a C++ compiler is there: the headers are used over FFI
#      and from C++);
#   4. compile every examples/*.c against the installed *shared* library
#      with `cc $(pkg-config --cflags --libs visionnet)` and run it;
#   5. compile it again against the *static* library only, with
#      `pkg-config --static` (Requires.private / Libs.private must be enough)
#      and run it.
#
#   tests/check_examples.sh [SOURCE_DIR]      (default: this script's tree)
#
# Environment: CC (default cc), VN_JOBS (default nproc), VN_KEEP_TMP=1 keeps
# the temporary prefix for a look afterwards.
# Prints PASS / FAIL per check and ends with "N passed, N failed"; exits 1
# when anything failed.
set -euo pipefail

src=$(cd "${1:-$(dirname "$0")/..}" && pwd)
cc=${CC:-cc}
jobs=${VN_JOBS:-$(nproc)}
work=$(mktemp -d /tmp/vn-prefix-XXXXXX)
prefix=$work
build=$work/_build
bin=$work/_examples
mkdir -p "$bin"
if [ "${VN_KEEP_TMP:-0}" != 1 ]; then
    trap 'rm -rf "$work"' EXIT
fi

passed=0
failed=0
pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1${2:+: $2}"; failed=$((failed + 1)); }
finish() {
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && exit 0
    exit 1
}
# Run a command quietly into a log; show the log when it fails.
quiet() {
    local log=$1
    shift
    if "$@" >"$log" 2>&1; then
        return 0
    fi
    sed 's/^/    /' "$log" | tail -40
    return 1
}

# --- 1. build and install as a user would --------------------------------
echo "check_examples: installing into $prefix"
if quiet "$work/setup.log" meson setup "$build" "$src" --prefix="$prefix" --libdir=lib \
        --buildtype=release -Dtests=false -Dfuzz=false &&
   quiet "$work/compile.log" meson compile -C "$build" -j "$jobs" &&
   quiet "$work/install.log" meson install -C "$build"; then
    pass "install"
else
    fail "install" "configure, build or install failed"
    finish
fi

# --- 2. installed files and pkg-config ------------------------------------
want_version=$(sed -n "s/^ *version *: *'\([0-9.]*\)'.*/\1/p" "$src/meson.build" | head -1)
missing=()
for f in include/visionnet.h include/visionnet/core.h lib/pkgconfig/visionnet.pc \
         lib/libvisionnet.a lib/libvisionnet.so "lib/libvisionnet.so.${want_version%%.*}" \
         bin/visionnet; do
    [ -e "$prefix/$f" ] || missing+=("$f")
done
if [ ${#missing[@]} -eq 0 ]; then pass "installed files"; else fail "installed files" "missing ${missing[*]}"; fi

export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
got_version=$(pkg-config --modversion visionnet 2>&1 || true)
if [ "$got_version" = "$want_version" ]; then
    pass "pkg-config --modversion visionnet = $got_version"
else
    fail "pkg-config --modversion visionnet" "got '$got_version', expected '$want_version'"
fi

if out=$(LD_LIBRARY_PATH=$prefix/lib "$prefix/bin/visionnet" --version 2>&1) &&
   [[ $out == *"$want_version"* ]]; then
    pass "installed visionnet --version"
else
    fail "installed visionnet --version" "$out"
fi

# --- 3. the public headers stand alone -------------------------------------
cflags=$(pkg-config --cflags visionnet)
hdr_ok=1
for h in "$prefix"/include/visionnet.h "$prefix"/include/visionnet/*.h; do
    h=${h#"$prefix/include/"}
    # shellcheck disable=SC2086
    if ! printf '#include <%s>\nint main(void) { return 0; }\n' "$h" |
         quiet "$work/hdr.log" "$cc" -std=c11 -Wall -Wextra -pedantic -Werror $cflags \
             -x c -fsyntax-only -; then
        fail "header $h compiles alone as C11"; hdr_ok=0
    fi
    if command -v c++ >/dev/null 2>&1 &&
       ! printf '#include <%s>\nint main() { return 0; }\n' "$h" |
         quiet "$work/hdr.log" c++ -Wall -Wextra -pedantic -Werror $cflags -x c++ -fsyntax-only -; then
        fail "header $h compiles as C++"; hdr_ok=0
    fi
done
[ $hdr_ok = 1 ] && pass "public headers compile alone"

# --- 4 and 5. the examples, shared and static -------------------------------
# A small input picture for read_resize_write: an 8 x 6 PPM (PNM is built
# into every build of the library).
ppm=$work/input.ppm
{
    printf 'P6\n8 6\n255\n'
    for ((y = 0; y < 6; y++)); do
        for ((x = 0; x < 8; x++)); do
            printf "\\$(printf %03o $((x * 32)))\\$(printf %03o $((y * 40)))\\$(printf %03o 128)"
        done
    done
} >"$ppm"

# run_example NAME TAG COMMAND...: run one example (COMMAND runs its binary)
# with its arguments, then check what it produced.
run_example() {
    local name=$1 tag=$2
    shift 2
    local out=$work/out-$tag
    rm -rf "$out"
    mkdir -p "$out"
    case $name in
        read_resize_write)
            "$@" "$ppm" "$out/small.png" 5 4 &&
            # The output must be a PNG of the asked size: read it back.
            [ "$(head -c 8 "$out/small.png" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
            LD_LIBRARY_PATH=$prefix/lib "$prefix/bin/visionnet" info --json "$out/small.png" |
                tr -d ' \n' | grep -q '"width":5,"height":4'
            ;;
        custom_codec)
            "$@" "$out/picture.vnt"
            ;;
        transfer_experiment)
            "$@" --quick   # the full run takes minutes (docs/transfer-learning.md)
            ;;
        *)
            "$@"
            ;;
    esac
}

examples=("$src"/examples/*.c)
if [ ! -e "${examples[0]}" ]; then
    fail "examples" "no examples/*.c found"
    finish
fi

# -lm: examples may use <math.h> themselves, as any program must link it then.
libs_shared="$(pkg-config --libs visionnet) -lm"
libs_static="$(pkg-config --static --libs visionnet) -lm"
# Only libvisionnet itself is forced static; the system libraries it needs
# (Libs.private, Requires.private) are linked as the system provides them.
libs_static=${libs_static/-lvisionnet/-Wl,-Bstatic -lvisionnet -Wl,-Bdynamic}

for c in "${examples[@]}"; do
    name=$(basename "$c" .c)

    # shellcheck disable=SC2086
    if quiet "$work/cc.log" "$cc" -std=c11 -Wall -Wextra -Werror -o "$bin/$name" "$c" \
            $cflags $libs_shared; then
        if quiet "$work/run.log" run_example "$name" shared \
                env LD_LIBRARY_PATH="$prefix/lib" "$bin/$name"; then
            pass "example $name (shared)"
        else
            fail "example $name (shared)" "run failed"
        fi
    else
        fail "example $name (shared)" "compile failed"
    fi

    # shellcheck disable=SC2086
    if quiet "$work/cc.log" "$cc" -std=c11 -Wall -Wextra -Werror -o "$bin/$name-static" "$c" \
            $(pkg-config --static --cflags visionnet) $libs_static; then
        if readelf -d "$bin/$name-static" | grep -q 'NEEDED.*libvisionnet'; then
            fail "example $name (static)" "linked against the shared library"
        elif quiet "$work/run.log" run_example "$name" static \
                env -u LD_LIBRARY_PATH "$bin/$name-static"; then
            pass "example $name (static)"
        else
            fail "example $name (static)" "run failed"
        fi
    else
        fail "example $name (static)" "compile or link failed"
    fi
done

finish
