#!/usr/bin/env bash
# quickstart.sh - from a fresh Debian 12 machine to a working libvisionnet:
#
#   1. install the missing Debian packages (scripts/deps.sh)
#   2. configure `build` with meson (only the first time) and build it
#   3. show what the library does: read a sample image and print what it
#      found with `visionnet info`
#   4. the main job: train the reference CNN on Fashion-MNIST for 3 epochs
#      (`visionnet train`, a few minutes on 2 cores), print its test
#      accuracy, save it (build/quickstart-model.vnm), write a few test
#      images out as PNG (examples/export_images.c, compiled here against the
#      build tree) and classify them with `visionnet predict`
#
# Each part is a function below; a new demonstration (training on
# Fashion-MNIST, ...) is one more function and one more line in main().
#
# Environment: VN_JOBS (parallel jobs, default nproc), VN_EPOCHS (training
# epochs, default 3).
set -euo pipefail

cd "$(dirname "$0")/.."
jobs=${VN_JOBS:-$(nproc)}
build=build
visionnet=$build/tools/visionnet/visionnet

say() { printf '\n== %s\n' "$*"; }

# Groups of scripts/deps.sh the demonstrations below need.
deps_groups=(build data)

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

# The main job: train, test, save, predict.
demo_train_predict() {
    local model=$build/quickstart-model.vnm
    local epochs=${VN_EPOCHS:-3}
    say "Training the reference CNN on Fashion-MNIST ($epochs epochs): visionnet train --epochs $epochs --out $model"
    "$visionnet" train --epochs "$epochs" --out "$model"

    say "Its accuracy on the 10,000 test images, per class: visionnet eval $model"
    "$visionnet" eval "$model"

    # A few test images as PNG files, by a small program using the library
    # (examples/export_images.c), compiled against the build tree.
    local exporter=$build/quickstart-export-images pngs=$build/quickstart-images
    cc -std=c11 -O2 -Iinclude examples/export_images.c -L"$build/lib" -lvisionnet \
        -Wl,-rpath,"$PWD/$build/lib" -o "$exporter"
    rm -rf "$pngs"
    mkdir -p "$pngs"
    local images
    mapfile -t images < <("$exporter" /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz 6 "$pngs")
    if [ ${#images[@]} -eq 0 ]; then
        echo "quickstart: writing the test images failed" >&2
        exit 1
    fi
    say "Test images written as PNG (named by their true class): ${images[*]##*/}"
    say "Classifying them: visionnet predict $model $pngs/*.png --top 3"
    "$visionnet" predict "$model" "${images[@]}" --top 3
}

main() {
    install_deps
    configure_and_build
    demo_image_info
    demo_train_predict
    say "Done. Next: scripts/test.sh runs every test; docs/getting-started.md shows how to use the library."
}

main "$@"
