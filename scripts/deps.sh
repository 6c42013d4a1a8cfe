#!/usr/bin/env bash
# deps.sh - install the Debian packages libvisionnet needs, and only those
# that are missing. Quiet and quick when everything is already there.
#
#   scripts/deps.sh [GROUP...]        default group: all
#
# Groups (a group may be named several times, the union is installed):
#   build   compiler, meson, ninja and the libraries the library and its
#           test suites link against (enough for scripts/quickstart.sh)
#   test    build + what scripts/test.sh runs: clang and libFuzzer for the
#           fuzz targets, valgrind, libabigail (abidiff)
#   ref     the Python reference implementations used to cross-check
#           results by hand (numpy, OpenCV, scikit-image, PyTorch). They
#           live in /usr/bin/python3, not in a pyenv / venv python3.
#           libvlfeat1 is for bench/'s VLFeat HOG figure.
#   data    the Fashion-MNIST data set (/usr/share/datasets/fashion-mnist)
#   onnx    ONNX import: protobuf-c, the system onnx.proto, test models
#   all     every group above
#
# Exit status: 0 when everything asked for is installed afterwards.
set -euo pipefail

usage() {
    sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'
}

pkgs_build=(gcc libc6-dev pkg-config meson ninja-build
            zlib1g-dev libpng-dev libjpeg62-turbo-dev libturbojpeg0-dev
            libopenblas-dev libcmocka-dev libcjson-dev)
pkgs_test=(clang libclang-rt-14-dev valgrind abigail-tools binutils)
pkgs_ref=(python3-numpy python3-opencv python3-skimage python3-torch python3-torchvision libvlfeat1)
pkgs_data=(dataset-fashion-mnist)
pkgs_onnx=(libprotobuf-c-dev protobuf-c-compiler libonnx-dev libonnx-testdata python3-onnx)

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(all)

wanted=()
for g in "${groups[@]}"; do
    case "$g" in
        build) wanted+=("${pkgs_build[@]}") ;;
        test)  wanted+=("${pkgs_build[@]}" "${pkgs_test[@]}") ;;
        ref)   wanted+=("${pkgs_ref[@]}") ;;
        data)  wanted+=("${pkgs_data[@]}") ;;
        onnx)  wanted+=("${pkgs_onnx[@]}") ;;
        all)   wanted+=("${pkgs_build[@]}" "${pkgs_test[@]}" "${pkgs_ref[@]}"
                        "${pkgs_data[@]}" "${pkgs_onnx[@]}") ;;
        -h|--help|help) usage; exit 0 ;;
        *) echo "deps.sh: unknown group '$g' (build, test, ref, data, onnx, all)" >&2; exit 2 ;;
    esac
done

# Which of them are not installed? One dpkg-query call for all of them;
# a package dpkg has never heard of prints nothing for its status.
missing=()
for p in $(printf '%s\n' "${wanted[@]}" | sort -u); do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
    [ "$status" = installed ] || missing+=("$p")
done

[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps.sh: missing packages (${missing[*]}) and no apt-get: install them by hand" >&2
    exit 1
fi

# Root runs apt-get itself; anyone else goes through sudo when there is one.
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then
        sudo_cmd=(sudo)
    else
        echo "deps.sh: missing packages (${missing[*]}): run as root or install sudo" >&2
        exit 1
    fi
fi

echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps.sh: done"
