#!/bin/bash
# test_torch2vn.sh VISIONNET SOURCE_DIR - tools/torch2vn.py.
#
# The reference CNN (models/reference_cnn.spec) is built in torch with
# random weights (torch.manual_seed(0)), its state dict saved with
# torch.save, converted with torch2vn.py, and `visionnet run` on 8 random
# inputs must give torch's logits within 1e-4 relative (max |diff| / max
# |ref|). A second network with batch-norm (random running statistics), a
# residual add, global average pooling and a bias-free conv is saved as a
# whole nn.Module and checked the same way; its num_batches_tracked buffers
# must be dropped; torchvision's resnet18 (tests/data/resnet18.spec) too;
# the same network saved with torch.jit.save converts too.
# A spec that does not fit the weights, missing files and
# a file that is no PyTorch file must fail with exit 1 and a message that
# names the problem, leaving no output file.
set -u
VN=$1
SRC=$2
PY=/usr/bin/python3
T2V=$SRC/tools/torch2vn.py
if ! "$PY" -c 'import torch, torchvision, numpy' 2>/dev/null; then
    echo "torch2vn: skipped, $PY has no torch, torchvision or numpy"
    exit 77
fi
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
passes=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}

"$PY" - "$T" "$SRC" <<'EOF' || { echo "FAIL: building the torch models"; exit 1; }
import sys, numpy as np, torch
from torch import nn
T, SRC = sys.argv[1], sys.argv[2]
torch.manual_seed(0)

class Reference(nn.Module):  # models/reference_cnn.spec
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, padding=1)
        self.fc1 = nn.Linear(64 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, 10)
    def forward(self, x):
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))

# A class torch.load can find again: in a module file beside the weights.
with open(T + "/tinynets.py", "w") as f:
    f.write("""
import torch
from torch import nn
class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(8)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(8)
        self.fc = nn.Linear(8, 5)
    def forward(self, x):
        a = torch.relu(self.bn1(self.conv1(x)))
        b = self.bn2(self.conv2(a))
        return self.fc(torch.relu(a + b).mean(dim=(2, 3)))
""")
sys.path.insert(0, T)
from tinynets import Residual

ref = Reference().eval()
torch.save(ref.state_dict(), T + "/reference.pt")
x = torch.rand(8, 1, 28, 28)
np.save(T + "/x_ref.npy", x.numpy())
with torch.no_grad():
    np.save(T + "/y_ref.npy", ref(x).numpy())

res = Residual()
with torch.no_grad():
    for bn in (res.bn1, res.bn2):
        bn.weight.uniform_(0.5, 1.5); bn.bias.uniform_(-0.2, 0.2)
        bn.running_mean.uniform_(-0.3, 0.3); bn.running_var.uniform_(0.5, 2.0)
res.eval()
torch.save(res, T + "/residual_module.pt")
torch.jit.save(torch.jit.script(res), T + "/residual_script.pt")
x = torch.rand(4, 3, 16, 16)
np.save(T + "/x_res.npy", x.numpy())
with torch.no_grad():
    np.save(T + "/y_res.npy", res(x).numpy())
# torchvision's resnet18 (random weights) for tests/data/resnet18.spec
import torchvision
torch.manual_seed(0)
r18 = torchvision.models.resnet18(weights=None).eval()
torch.save(r18.state_dict(), T + "/resnet18.pt")
x = torch.rand(2, 3, 224, 224)
np.save(T + "/x_r18.npy", x.numpy())
with torch.no_grad():
    np.save(T + "/y_r18.npy", r18(x).numpy())
# a checkpoint dict, DataParallel names
torch.save({"epoch": 3, "state_dict": {"module." + k: v for k, v in ref.state_dict().items()}},
           T + "/checkpoint.pt")
EOF
cat >"$T/residual.spec" <<'EOF'
# conv-bn-relu, conv-bn, residual add, global average pooling, dense
input shape=3,16,16
conv2d name=conv1 out=8 k=3 stride=2 pad=1 bias=0
batch_norm2d name=bn1
relu name=relu1
conv2d name=conv2 out=8 k=3 pad=1 bias=0
batch_norm2d name=bn2
add name=add inputs=relu1,bn2
relu name=relu2
global_avg_pool name=pool
dense name=fc out=5
EOF
printf 'a\nb\nc\nd\ne\n' >"$T/classes.txt"

# close NAME GOT.npy WANT.npy: max |diff| / max |ref| <= 1e-4
close() {
    if "$PY" -c '
import sys, numpy as np
got, want = np.load(sys.argv[2]), np.load(sys.argv[3])
assert got.shape == want.shape, (got.shape, want.shape)
rel = np.abs(got - want).max() / np.abs(want).max()
print("%s: max|diff|/max|ref| = %.2e" % (sys.argv[1], rel))
sys.exit(0 if rel <= 1e-4 else 1)' "$@"; then
        passes=$((passes + 1))
    else
        fail "$1: logits differ from torch's"
    fi
}

# converts NAME ARGS...: torch2vn.py succeeds
converts() {
    local name=$1
    shift
    if "$PY" "$T2V" "$@" >"$T/out" 2>"$T/err"; then
        passes=$((passes + 1))
        return 0
    fi
    fail "$name: exit $?: $(cat "$T/err")"
    return 1
}

# refuses NAME PATTERN ARGS...: exit 1, "torch2vn: ..." matching PATTERN, no output file
refuses() {
    local name=$1 pattern=$2
    shift 2
    rm -f "$T/bad.vnm"
    "$PY" "$T2V" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ $rc -eq 1 ] && grep -q "^torch2vn: " "$T/err" && grep -q -- "$pattern" "$T/err" &&
        [ ! -e "$T/bad.vnm" ] && [ "$(wc -l <"$T/err")" -eq 1 ]; then
        passes=$((passes + 1))
    else
        fail "$name: exit $rc, stderr: $(cat "$T/err")"
    fi
}

if converts "reference" "$T/reference.pt" "$SRC/models/reference_cnn.spec" -o "$T/reference.vnm" \
        --mean 0.2860 --std 0.3530; then
    grep -q "reference.vnm: 8 tensors, 421642 values" "$T/out" || fail "reference: $(cat "$T/out")"
    "$VN" info "$T/reference.vnm" | grep -q "preprocess scale=0.00392156886 mean=0.286000013 std=0.352999985" ||
        fail "reference: preprocessing: $("$VN" info "$T/reference.vnm" | head -2)"
    "$VN" run "$T/reference.vnm" "$T/x_ref.npy" -o "$T/y_ref_vn.npy" &&
        close "reference CNN" "$T/y_ref_vn.npy" "$T/y_ref.npy"
fi
if converts "residual module" "$T/residual_module.pt" "$T/residual.spec" -o "$T/residual.vnm" \
        --classes "$T/classes.txt" --seed 5; then
    "$VN" info "$T/residual.vnm" | grep -q "classes (5): a, b, c, d, e" || fail "residual: classes"
    "$VN" run "$T/residual.vnm" "$T/x_res.npy" -o "$T/y_res_vn.npy" &&
        close "residual network (batch-norm, add)" "$T/y_res_vn.npy" "$T/y_res.npy"
fi
if converts "torchscript" "$T/residual_script.pt" "$T/residual.spec" -o "$T/script.vnm"; then
    "$VN" run "$T/script.vnm" "$T/x_res.npy" -o "$T/y_script.npy" && close "TorchScript file" "$T/y_script.npy" "$T/y_res.npy"
fi
if converts "resnet18" "$T/resnet18.pt" "$SRC/tests/data/resnet18.spec" -o "$T/resnet18.vnm"; then
    "$VN" run "$T/resnet18.vnm" "$T/x_r18.npy" -o "$T/y_r18_vn.npy" && close "torchvision resnet18" "$T/y_r18_vn.npy" "$T/y_r18.npy"
fi
if converts "checkpoint" "$T/checkpoint.pt" "$SRC/models/reference_cnn.spec" -o "$T/ckpt.vnm"; then
    "$VN" run "$T/ckpt.vnm" "$T/x_ref.npy" -o "$T/y_ckpt.npy" && close "checkpoint dict" "$T/y_ckpt.npy" "$T/y_ref.npy"
fi

# a spec that does not fit the weights: fc1 has 64 outputs here
sed 's/fc1 out=128/fc1 out=64/' "$SRC/models/reference_cnn.spec" >"$T/wrong.spec"
refuses "mismatched spec" "'fc1.weight' is \[128, 3136\] in the weights but \[64, 3136\] in the spec's model" \
    "$T/reference.pt" "$T/wrong.spec" -o "$T/bad.vnm"
sed 's/conv2d name=conv2/conv2d name=convB/' "$SRC/models/reference_cnn.spec" >"$T/renamed.spec"
refuses "renamed node" "'convB.weight' \[64, 32, 3, 3\] is in the spec but not in the weights.*'conv2.weight' \[64, 32, 3, 3\] is in the weights but names no parameter" \
    "$T/reference.pt" "$T/renamed.spec" -o "$T/bad.vnm"
refuses "no weights file" "nothing.pt: no such file" "$T/nothing.pt" "$T/residual.spec" -o "$T/bad.vnm"
refuses "no spec file" "nothing.spec" "$T/reference.pt" "$T/nothing.spec" -o "$T/bad.vnm"
refuses "not a torch file" "not a PyTorch file" "$T/residual.spec" "$T/residual.spec" -o "$T/bad.vnm"
refuses "bad spec" "the first line must be .input shape=" "$T/reference.pt" "$T/classes.txt" -o "$T/bad.vnm"
refuses "wrong class count" "5 class names for a model with output \[10\]" \
    "$T/reference.pt" "$SRC/models/reference_cnn.spec" -o "$T/bad.vnm" --classes "$T/classes.txt"

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
