#!/usr/bin/env bash
# quickstart.sh - from a fresh Debian 12 machine to a working libvisionnet:
#
#   1. install the missing Debian packages (scripts/deps.sh)
#   2. configure `build` with meson (only the first time) and build it
#   3. show what the library does: read a sample image and print what it
#      found with `visionnet info`
#
# Each part is a function below; a new demonstration (training on
# Fashion-MNIST, ...) is one more function and one more line in main().
#
# Environment: VN_JOBS (parallel jobs, default nproc).
set -euo pipefail

cd "$(dirname "$0")/.."
jobs=${VN_JOBS:-$(nproc)}
build=build
visionnet=$build/tools/visionnet/visionnet

say() { printf '\n== %s\n' "$*"; }

# Groups of scripts/deps.sh the demonstrations below need.
deps_groups=(build)

install_deps() {
    say "Installing what is missing (scripts/deps.sh ${deps_groups[*]})"
    scripts/deps.sh "${deps_groups[@]}"
}

configure_and_build() {
    if [ -f "$build/meson-private/coredata.dat" ]; then
        say "Building ($build is configured already)"
    else
        say "Configuring $build"
        meson setup "$build" --buildtype=release
    fi
    meson compile -C "$build" -j "$jobs"
}

# Sample files to look at: a PNG, a JPEG and a .npy from the test data,
# or, should those be missing, a small PPM written here.
sample_files() {
    local f found=0
    for f in tests/data/images/png_rgb8.png tests/data/images/jpeg_baseline.jpg \
             tests/data/images/jpeg_baseline.npy; do
        if [ -f "$f" ]; then
            echo "$f"
            found=1
        fi
    done
    [ $found = 1 ] && return
    f=$build/quickstart-sample.ppm
    {
        printf 'P6\n16 12\n255\n'
        local x y
        for ((y = 0; y < 12; y++)); do
            for ((x = 0; x < 16; x++)); do
                printf "\\$(printf %03o $((x * 16)))\\$(printf %03o $((y * 20)))\\$(printf %03o 96)"
            done
        done
    } >"$f"
    echo "$f"
}

demo_image_info() {
    local files
    mapfile -t files < <(sample_files)
    say "Reading sample files: visionnet info ${files[*]}"
    "$visionnet" info "${files[@]}"
    say "The same as JSON: visionnet info --json ${files[*]}"
    "$visionnet" info --json "${files[@]}"
}

main() {
    install_deps
    configure_and_build
    demo_image_info
    say "Done. Next: scripts/test.sh runs every test; docs/getting-started.md shows how to use the library."
}

main "$@"
