# vs_torch_setup.sh - sourced (not run) by the scripts that alternate
# libvisionnet with one of ../shared/bench's PyTorch scripts
# (run_cnn_bench.sh, run_backbone_bench.sh): their arguments [BUILD_DIR]
# [ROUNDS] [THREADS], the two tools, and $log, a temporary file removed on
# exit. The sourcing script sets $name (for messages) and $torch_script
# (the default PyTorch script's file name) first, and passes "$@".
# Sets: here build rounds threads vn py ts log.
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build}
rounds=${2:-3}
threads=${3:-2}
case $build in /*) ;; *) build=$here/$build ;; esac
vn=$build/tools/visionnet/visionnet
py=${PYTHON:-/usr/bin/python3}
ts=${TORCH_SCRIPT:-$here/../shared/bench/$torch_script}
[ -x "$vn" ] || { echo "$name: no $vn (build first)" >&2; exit 1; }
[ -f "$ts" ] || { echo "$name: no $ts" >&2; exit 1; }
log=$(mktemp)
trap 'rm -f "$log"' EXIT
