#!/bin/bash
# test_cli_transfer.sh VISIONNET ONNX(0|1) - `visionnet finetune`, `run`,
# `import` and `bench --model`.
#
# The data are made here by numpy (tests/test_cli_transfer.sh's inline
# Python, /usr/bin/python3): 12x12 grey PGM images in image-folder trees.
# The base task has three classes (a horizontal bar, a vertical bar, a
# diagonal line at random offsets, on noise); the new task three others (a
# bright square top-left, in the centre, bottom-right). A small CNN is
# trained on the base task with `visionnet train --spec`, then fine-tuned
# on the new one with its backbone frozen: its test accuracy must be well
# above chance (1/3), the frozen weights must be bit-for-bit the base
# model's, and the new head must have one output per new class.
#
# `visionnet run` is checked against a forward pass written in numpy from
# the weights in the model file (conv, relu, max-pool, dense): logits and a
# node's activation (--node), f32 batches, one sample without the batch
# axis, u8 images through the model's preprocessing, any --batch.
#
# `visionnet import` (ONNX=1: the library was built with ONNX support) must
# convert a small CNN exported by torch.onnx.export (conv, batch-norm, which
# the exporter folds into the conv, relu, max-pool, flatten, linear: 5
# nodes, 4*9+4 + 144*3+3 = 475 parameters), and `visionnet run` of the
# result must give torch's logits within 1e-4 relative.
#
# `visionnet bench --model` must print positive batch-1 and batch-8 times.
#
# Bad arguments and files must fail with exit status 1, nothing on stdout
# and one line "visionnet: ..." on stderr.
set -u
VN=$1
ONNX=${2:-0}
PY=/usr/bin/python3
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
passes=0
fail() {
    echo "FAIL: $*"
    fails=$((fails + 1))
}
pass() {
    passes=$((passes + 1))
}

# ok NAME CMD...: exit 0; stdout in $T/out, stderr in $T/err
ok() {
    local name=$1
    shift
    "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    if [ $rc -ne 0 ]; then
        fail "$name: exit $rc: $(head -c 400 "$T/err")"
        return 1
    fi
    pass
    return 0
}

# bad NAME PATTERN ARGS...: exit 1, nothing on stdout, one line on stderr
# "visionnet: ..." matching the grep pattern.
bad() {
    local name=$1 pattern=$2
    shift 2
    "$VN" "$@" >"$T/out" 2>"$T/err"
    local rc=$?
    local ok=1
    [ $rc -eq 1 ] || { fail "$name: exit $rc, want 1"; ok=0; }
    [ -s "$T/out" ] && { fail "$name: stdout: $(head -c 200 "$T/out")"; ok=0; }
    [ "$(wc -l <"$T/err")" -eq 1 ] || { fail "$name: stderr has $(wc -l <"$T/err") lines: $(head -c 400 "$T/err")"; ok=0; }
    grep -q "^visionnet: " "$T/err" || { fail "$name: stderr: $(cat "$T/err")"; ok=0; }
    grep -q -- "$pattern" "$T/err" || { fail "$name: stderr does not say '$pattern': $(cat "$T/err")"; ok=0; }
    [ $ok -eq 1 ] && pass
}

# py CODE: run Python; a failed check prints "FAIL: ..." and exits 1.
py() {
    if ! "$PY" -c "$1" "$T" >"$T/pyout" 2>&1; then
        fail "python check: $(cat "$T/pyout")"
        return 1
    fi
    pass
    [ -s "$T/pyout" ] && cat "$T/pyout"
    return 0
}

# ---- data and the base model ---------------------------------------------------
"$PY" - "$T" <<'EOF' || { echo "FAIL: making the data"; exit 1; }
import numpy as np, os, sys
root = sys.argv[1]
rng = np.random.default_rng(0)
S = 12
def img(kind):
    a = rng.integers(0, 60, (S, S)).astype(np.float64)
    o = rng.integers(1, S - 3)
    if kind == 'hbar': a[o:o+2, 1:S-1] += 180
    elif kind == 'vbar': a[1:S-1, o:o+2] += 180
    elif kind == 'diag':
        for i in range(S): a[i, (i + o) % S] += 180
    elif kind == 'topleft': a[0:5, 0:5] += 170
    elif kind == 'botright': a[S-5:S, S-5:S] += 170
    elif kind == 'center': a[4:8, 4:8] += 170
    return np.clip(a, 0, 255).astype(np.uint8)
def tree(path, kinds, n):
    for k in kinds:
        os.makedirs(os.path.join(path, k), exist_ok=True)
        for i in range(n):
            with open(os.path.join(path, k, '%03d.pgm' % i), 'wb') as f:
                f.write(b'P5\n%d %d\n255\n' % (S, S) + img(k).tobytes())
tree(root + '/base/train', ['diag', 'hbar', 'vbar'], 60)
tree(root + '/base/test', ['diag', 'hbar', 'vbar'], 20)
tree(root + '/new/train', ['botright', 'center', 'topleft'], 30)
tree(root + '/new/test', ['botright', 'center', 'topleft'], 20)
# samples for run: f32 [5, 1, 12, 12], u8 [5, 12, 12, 1] and [5, 12, 12]
u8 = np.stack([img(k) for k in ['hbar', 'vbar', 'diag', 'center', 'topleft']])
np.save(root + '/u8_nhwc.npy', u8[..., None])
np.save(root + '/u8_nhw.npy', u8)
np.save(root + '/x.npy', (u8[:, None] / np.float32(255)).astype(np.float32))
np.save(root + '/x_one.npy', (u8[0][None] / np.float32(255)).astype(np.float32))
np.save(root + '/x_badshape.npy', np.zeros((2, 1, 11, 12), np.float32))
np.save(root + '/x_i32.npy', np.zeros((2, 1, 12, 12), np.int32))
EOF
cat >"$T/small.spec" <<'EOF'
input shape=1,12,12
conv2d name=conv1 out=8 k=3 pad=1
relu name=relu1
max_pool2d name=pool1 k=2
flatten name=flatten
dense name=fc1 out=16
relu name=relu2
dense name=fc2 out=3
EOF
ok "train base" "$VN" train --spec "$T/small.spec" --data "$T/base/train" --epochs 8 \
    --lr 0.05 --batch 16 --seed 1 --threads 1 --out "$T/base.vnm"

# The numpy side: read a model file, run the small CNN.
READ='
import json, struct, sys, numpy as np
T = sys.argv[1]
def load(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]; h = json.loads(f.read(n)); d = f.read()
    meta = h.pop("__metadata__")
    return meta, {k: np.frombuffer(d[v["data_offsets"][0]:v["data_offsets"][1]], "<f4").reshape(v["shape"]) for k, v in h.items()}
def conv(x, w, b):
    n, c, hh, ww = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1))).astype(np.float64)
    out = np.zeros((n, w.shape[0], hh, ww))
    for i in range(3):
        for j in range(3):
            out += np.einsum("nchw,oc->nohw", xp[:, :, i:i + hh, j:j + ww], w[:, :, i, j])
    return out + b[None, :, None, None]
def forward(p, x):
    a = np.maximum(conv(x, p["conv1.weight"], p["conv1.bias"]), 0)
    n, c, hh, ww = a.shape
    pool = a.reshape(n, c, hh // 2, 2, ww // 2, 2).max(axis=(3, 5))
    fc1 = pool.reshape(n, -1) @ p["fc1.weight"].T.astype(np.float64) + p["fc1.bias"]
    return pool, fc1, np.maximum(fc1, 0) @ p["fc2.weight"].T.astype(np.float64) + p["fc2.bias"]
def close(name, got, want, tol=1e-4):
    if got.shape != want.shape:
        print("FAIL: %s: shape %s, want %s" % (name, got.shape, want.shape)); sys.exit(1)
    rel = np.abs(got - want).max() / max(np.abs(want).max(), 1e-30)
    if not rel <= tol:
        print("FAIL: %s: max|diff|/max|ref| = %.3g" % (name, rel)); sys.exit(1)
'

# ---- finetune -------------------------------------------------------------------
if ok "finetune frozen" "$VN" finetune "$T/base.vnm" --data "$T/new/train" --freeze-until pool1 \
        --new-classes 3 --out "$T/new.vnm" --epochs 15 --lr 0.05 --batch 16 --seed 2 --threads 1 --json; then
    cp "$T/out" "$T/finetune.json"
    py '
import json, sys
r = json.load(open(sys.argv[1] + "/finetune.json"))
want = {"head": "fc2", "freeze_until": "pool1", "classes": 3, "n": 60, "epochs": 15}
for k, v in want.items():
    if r[k] != v: print("FAIL: finetune --json: %s = %r, want %r" % (k, r[k], v)); sys.exit(1)
if r["trainable_params"] != 4624 + 51 or r["params"] != 80 + 4624 + 51:
    print("FAIL: finetune --json: params %r / trainable %r" % (r["params"], r["trainable_params"])); sys.exit(1)
if not r["accuracy"] >= 0.8:
    print("FAIL: finetune: test accuracy %.3f, want >= 0.8 (chance 0.33)" % r["accuracy"]); sys.exit(1)
print("finetune (frozen up to pool1): test accuracy %.3f on the new task (chance 0.333)" % r["accuracy"])
'
    py "$READ"'
mb, b = load(T + "/base.vnm"); mn, n = load(T + "/new.vnm")
for k in ("conv1.weight", "conv1.bias"):
    if not (b[k] == n[k]).all(): print("FAIL: frozen %s changed" % k); sys.exit(1)
if (b["fc1.weight"] == n["fc1.weight"]).all(): print("FAIL: fc1.weight did not train"); sys.exit(1)
if n["fc2.weight"].shape != (3, 16): print("FAIL: new head %s" % (n["fc2.weight"].shape,)); sys.exit(1)
if json.loads(mn["classes"]) != ["botright", "center", "topleft"]: print("FAIL: classes %s" % mn["classes"]); sys.exit(1)
if mn.get("preprocess") != mb.get("preprocess"): print("FAIL: preprocess %r vs %r" % (mn.get("preprocess"), mb.get("preprocess"))); sys.exit(1)
'
fi
ok "eval new" "$VN" eval "$T/new.vnm" --data "$T/new/test" --json &&
    grep -q '"n": 60, .*"accuracy": ' "$T/out" || fail "eval of the fine-tuned model: $(cat "$T/out")"

# text output, every other option: a 5-output head on 3 classes, validation split, adam
if ok "finetune options" "$VN" finetune "$T/base.vnm" --data="$T/new/train" --test "$T/new/test" \
        --head fc2 --new-classes 5 --val-split 0.2 --optimizer adam --lr 0.01 --seed 3 \
        --threads 1 --batch 8 --epochs 2 --out "$T/new5.vnm"; then
    grep -q "^validation accuracy: " "$T/out" || fail "finetune: no validation accuracy line: $(cat "$T/out")"
    grep -q "^test accuracy: .*(60 images of $T/new/test)" "$T/out" || fail "finetune: test line: $(cat "$T/out")"
    grep -q "^model saved to $T/new5.vnm" "$T/out" || fail "finetune: saved line: $(cat "$T/out")"
    grep -q "new head 'fc2', 4789 of 4789 parameters trainable" "$T/err" || fail "finetune: progress: $(head -1 "$T/err")"
    "$VN" info "$T/new5.vnm" | grep -q "^  fc2  *dense  *\[5\]" || fail "finetune --new-classes 5: $("$VN" info "$T/new5.vnm")"
fi
# a full fine-tune (nothing frozen) by default
ok "finetune full" "$VN" finetune "$T/base.vnm" --data "$T/new/train" --out "$T/full.vnm" --epochs 1 \
    --threads 1 --json && grep -q '"freeze_until": null, .*"trainable_params": 4755' "$T/out" ||
    fail "finetune full: $(cat "$T/out")"
# the options train shares: a cosine schedule runs, a bad one is one line
ok "finetune --schedule cosine" "$VN" finetune "$T/base.vnm" --data "$T/new/train" \
    --out "$T/cos.vnm" --epochs 2 --freeze-until pool1 --schedule cosine --json &&
    grep -q '"epochs": 2, ' "$T/out" || fail "finetune --schedule cosine: $(cat "$T/out")"
bad "finetune bad schedule" "--schedule: schedule: unknown kind 'linear'" finetune "$T/base.vnm" \
    --data "$T/new/train" --out "$T/x.vnm" --schedule linear
# a fully convolutional classifier: the head is the last conv2d (cls), rebuilt
# with 4 outputs together with the nodes after it
cat >"$T/conv.spec" <<'EOF2'
input shape=1,12,12
conv2d name=conv1 out=8 k=3 pad=1
relu name=relu1
conv2d name=cls out=3 k=1
global_avg_pool name=gap
flatten name=flat
EOF2
if ok "train conv base" "$VN" train --spec "$T/conv.spec" --data "$T/base/train" --epochs 1 --threads 1 \
        --out "$T/convbase.vnm" &&
    ok "finetune conv head" "$VN" finetune "$T/convbase.vnm" --data "$T/new/train" --new-classes 4 \
        --freeze-until relu1 --epochs 1 --threads 1 --out "$T/convnew.vnm" --json; then
    grep -q '"head": "cls", "freeze_until": "relu1", "classes": 4, "params": 116, "trainable_params": 36' "$T/out" ||
        fail "finetune conv head: $(cat "$T/out")"
    "$VN" info "$T/convnew.vnm" | grep -q "^  cls  *conv2d  *\[4, 12, 12\]" || fail "conv head: $("$VN" info "$T/convnew.vnm")"
    py "$READ"'
mb, b = load(T + "/convbase.vnm"); mn, n = load(T + "/convnew.vnm")
if not (b["conv1.weight"] == n["conv1.weight"]).all(): print("FAIL: frozen conv1 changed"); sys.exit(1)
if n["cls.weight"].shape != (4, 8, 1, 1): print("FAIL: cls %s" % (n["cls.weight"].shape,)); sys.exit(1)
'
fi
ok "finetune --help" "$VN" finetune --help && grep -q "^usage: visionnet finetune" "$T/out" || fail "finetune --help"

bad "finetune no base" "no such file\|cannot\|No such" finetune "$T/nothing.vnm" --data "$T/new/train" --out "$T/x.vnm"
bad "finetune not a model" "$T/small.spec" finetune "$T/small.spec" --data "$T/new/train" --out "$T/x.vnm"
bad "finetune no data" "$T/nowhere" finetune "$T/base.vnm" --data "$T/nowhere" --out "$T/x.vnm"
bad "finetune no out" "--out" finetune "$T/base.vnm" --data "$T/new/train"
bad "finetune no base arg" "base model" finetune --data "$T/new/train" --out "$T/x.vnm"
bad "finetune unknown freeze node" "no node named 'conv9'" finetune "$T/base.vnm" --data "$T/new/train" \
    --freeze-until conv9 --out "$T/x.vnm"
bad "finetune freeze after head" "not before the head" finetune "$T/base.vnm" --data "$T/new/train" \
    --freeze-until fc2 --out "$T/x.vnm"
bad "finetune unknown head" "no node named 'fc9'" finetune "$T/base.vnm" --data "$T/new/train" --head fc9 --out "$T/x.vnm"
bad "finetune relu head" "the head must be a dense or conv2d node" finetune "$T/base.vnm" --data "$T/new/train" \
    --head relu2 --out "$T/x.vnm"
bad "finetune too few classes" "more than --new-classes 2" finetune "$T/base.vnm" --data "$T/new/train" \
    --new-classes 2 --out "$T/x.vnm"
bad "finetune bad epochs" "epochs" finetune "$T/base.vnm" --data "$T/new/train" --epochs 0 --out "$T/x.vnm"
bad "finetune bad lr" "lr" finetune "$T/base.vnm" --data "$T/new/train" --lr abc --out "$T/x.vnm"
bad "finetune bad optimizer" "optimizer" finetune "$T/base.vnm" --data "$T/new/train" --optimizer rmsprop --out "$T/x.vnm"
bad "finetune unknown option" "unknown option '--frobnicate'" finetune "$T/base.vnm" --frobnicate
bad "finetune missing value" "--epochs needs a value" finetune "$T/base.vnm" --epochs
[ -e "$T/x.vnm" ] && fail "a failed finetune wrote its output"

# ---- run ------------------------------------------------------------------------
ok "run f32" "$VN" run "$T/new.vnm" "$T/x.npy" -o "$T/y.npy" &&
py "$READ"'
m, p = load(T + "/new.vnm")
x = np.load(T + "/x.npy").astype(np.float64)
pool, fc1, logits = forward(p, x)
close("run logits", np.load(T + "/y.npy"), logits)
'
ok "run --batch 1" "$VN" run "$T/new.vnm" "$T/x.npy" -o "$T/y_b1.npy" --batch 1 --threads 1 &&
py "$READ"'close("run --batch 1", np.load(T + "/y_b1.npy"), np.load(T + "/y.npy"), 1e-6)'

ok "run --node fc1" "$VN" run "$T/new.vnm" "$T/x.npy" --out "$T/fc1.npy" --node fc1 &&
ok "run --node pool1" "$VN" run "$T/new.vnm" "$T/x.npy" -o "$T/pool1.npy" --node=pool1 &&
py "$READ"'
m, p = load(T + "/new.vnm")
pool, fc1, logits = forward(p, np.load(T + "/x.npy").astype(np.float64))
close("run --node fc1", np.load(T + "/fc1.npy"), fc1)
close("run --node pool1", np.load(T + "/pool1.npy"), pool)
'
ok "run one sample" "$VN" run "$T/new.vnm" "$T/x_one.npy" -o "$T/y_one.npy" &&
ok "run u8 nhwc" "$VN" run "$T/new.vnm" "$T/u8_nhwc.npy" -o "$T/y_u8.npy" &&
ok "run u8 nhw" "$VN" run "$T/new.vnm" "$T/u8_nhw.npy" -o "$T/y_u8g.npy" &&
py "$READ"'
y = np.load(T + "/y.npy")
one = np.load(T + "/y_one.npy")
close("run one sample", one, y[0], 1e-6)
close("run u8 [N,H,W,C]", np.load(T + "/y_u8.npy"), y, 1e-5)
close("run u8 [N,H,W]", np.load(T + "/y_u8g.npy"), y, 1e-5)
'
ok "run --help" "$VN" run --help && grep -q "^usage: visionnet run" "$T/out" || fail "run --help"

bad "run no model" "$T/nothing.vnm" run "$T/nothing.vnm" "$T/x.npy" -o "$T/z.npy"
bad "run no input" "$T/nothing.npy" run "$T/new.vnm" "$T/nothing.npy" -o "$T/z.npy"
bad "run input not npy" "$T/small.spec" run "$T/new.vnm" "$T/small.spec" -o "$T/z.npy"
bad "run bad shape" "does not fit the model's input \[1, 12, 12\]" run "$T/new.vnm" "$T/x_badshape.npy" -o "$T/z.npy"
bad "run i32" "i32 samples are not supported" run "$T/new.vnm" "$T/x_i32.npy" -o "$T/z.npy"
bad "run unknown node" "no node named 'conv9'" run "$T/new.vnm" "$T/x.npy" -o "$T/z.npy" --node conv9
bad "run no -o" "-o OUT.npy" run "$T/new.vnm" "$T/x.npy"
bad "run no input arg" "give a model file and an input" run "$T/new.vnm"
bad "run extra arg" "unexpected argument" run "$T/new.vnm" "$T/x.npy" "$T/x.npy" -o "$T/z.npy"
bad "run bad batch" "batch" run "$T/new.vnm" "$T/x.npy" -o "$T/z.npy" --batch 0
bad "run unknown option" "unknown option '--fast'" run "$T/new.vnm" "$T/x.npy" -o "$T/z.npy" --fast
bad "run out dir missing" "$T/no/z.npy" run "$T/new.vnm" "$T/x.npy" -o "$T/no/z.npy"
[ -e "$T/z.npy" ] && fail "a failed run wrote its output"
# u8 [N, H, W, C] images that are not the model's size
"$PY" -c 'import numpy as np, sys; np.save(sys.argv[1] + "/u8_big.npy", np.zeros((2, 14, 14, 1), np.uint8))' "$T"
bad "run u8 wrong size" "want \[N, 12, 12, 1\]" run "$T/new.vnm" "$T/u8_big.npy" -o "$T/z.npy"

# ---- bench --model ------------------------------------------------------------------
if ok "bench --model" "$VN" bench --model "$T/new.vnm" --reps 5 --threads 1 --json; then
    py 'import json, sys
r = json.load(open(sys.argv[1] + "/out"))
assert r["latency_b1_ms"] > 0 and r["batch8_ms"] > 0, r
assert r["input_shape"] == [1, 12, 12] and r["threads"] == 1 and r["latency_n"] == 5, r'
fi
ok "bench --model text" "$VN" bench --model "$T/new.vnm" --reps 3 &&
    { grep -q "^latency: .* ms (batch 1, median of 3 runs" "$T/out" && grep -q "^batch 8: .* ms" "$T/out" ||
        fail "bench --model: $(cat "$T/out")"; }
bad "bench --model missing" "$T/nothing.vnm" bench --model "$T/nothing.vnm"
bad "bench --model damaged" "$T/small.spec" bench --model "$T/small.spec"
bad "bench --input-shape alone" "goes with --model" bench --input-shape 1,12,12
bad "bench --input-shape on a model file" "for ONNX files" bench --model "$T/new.vnm" --input-shape 1,12,12
bad "bench --reps 0" "reps" bench --model "$T/new.vnm" --reps 0

# ---- import ---------------------------------------------------------------------
ok "import --help" "$VN" import --help && grep -q "^usage: visionnet import" "$T/out" || fail "import --help"
bad "import no file" "$T/nothing.onnx" import "$T/nothing.onnx" -o "$T/m.vnm"
bad "import no -o" "-o MODEL.vnm" import "$T/small.spec"
bad "import no arg" "give an ONNX file" import -o "$T/m.vnm"
bad "import bad shape" "--input-shape" import "$T/small.spec" -o "$T/m.vnm" --input-shape 3,x,4
bad "import zero shape" "--input-shape" import "$T/small.spec" -o "$T/m.vnm" --input-shape 3,0,4
bad "import not onnx" "$T/small.spec" import "$T/small.spec" -o "$T/m.vnm"
bad "import unknown option" "unknown option '--opset'" import "$T/small.spec" -o "$T/m.vnm" --opset 13
[ -e "$T/m.vnm" ] && fail "a failed import wrote its output"

if [ "$ONNX" = 1 ]; then
    # A small CNN in torch, exported with torch.onnx.export; its logits on x.npy.
    "$PY" - "$T" <<'EOF' >"$T/torch.log" 2>&1 || fail "torch export: $(tail -5 "$T/torch.log")"
import sys, numpy as np, torch
T = sys.argv[1]
torch.manual_seed(0)
net = torch.nn.Sequential(
    torch.nn.Conv2d(1, 4, 3, padding=1), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
    torch.nn.MaxPool2d(2), torch.nn.Flatten(), torch.nn.Linear(4 * 6 * 6, 3)).eval()
with torch.no_grad():
    net[1].running_mean.uniform_(-0.5, 0.5)
    net[1].running_var.uniform_(0.5, 2.0)
x = torch.from_numpy(np.load(T + "/x.npy"))
torch.onnx.export(net, x[:1], T + "/small.onnx", opset_version=13,
                  input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "n"}, "y": {0: "n"}})
with torch.no_grad():
    np.save(T + "/y_torch.npy", net(x).numpy())
# a graph whose input [1, 16] has no batch axis (for --no-batch)
lin = torch.nn.Linear(16, 3).eval()
v = torch.rand(1, 16)
torch.onnx.export(lin, v, T + "/lin.onnx", opset_version=13, input_names=["x"], output_names=["y"])
np.save(T + "/v.npy", v.numpy())
with torch.no_grad():
    np.save(T + "/v_torch.npy", lin(v).numpy())
EOF
    if ok "import" "$VN" import "$T/small.onnx" -o "$T/small.vnm"; then
        grep -q "^imported $T/small.onnx into $T/small.vnm" "$T/out" || fail "import: $(head -2 "$T/out")"
        grep -q "visionnet model, 5 nodes, 475 parameters" "$T/out" || fail "import summary: $(head -3 "$T/out")"
        ok "import --json" "$VN" import "$T/small.onnx" -o "$T/small2.vnm" --json --input-shape 1,12,12 &&
            py 'import json, sys; r = json.load(open(sys.argv[1] + "/out")); assert r["input_shape"] == [1, 12, 12] and r["output_shape"] == [3], r'
        ok "run imported" "$VN" run "$T/small.vnm" "$T/x.npy" -o "$T/y_small.npy" &&
        py "$READ"'
close("imported model vs torch", np.load(T + "/y_small.npy"), np.load(T + "/y_torch.npy"))
'
    fi
    # an imported model fine-tunes like a native one: nodes are named 0, 2, 3, 4, 5
    if ok "finetune imported" "$VN" finetune "$T/small.vnm" --data "$T/new/train" --freeze-until 3 \
            --epochs 15 --lr 0.05 --batch 16 --threads 1 --out "$T/small_ft.vnm" --json; then
        grep -q '"head": "5", "freeze_until": "3", "classes": 3, "params": 475, "trainable_params": 435' "$T/out" ||
            fail "finetune imported: $(cat "$T/out")"
        py 'import json, sys
r = json.load(open(sys.argv[1] + "/out"))
assert r["accuracy"] >= 0.8, "finetune of the imported model: test accuracy %.3f" % r["accuracy"]'
    fi
    # bench --model on an ONNX file imports it first
    ok "bench --model onnx" "$VN" bench --model "$T/small.onnx" --input-shape 1,12,12 --reps 3 --json &&
        { grep -q '"input_shape": \[1, 12, 12\], .*"latency_b1_ms": ' "$T/out" || fail "bench onnx: $(cat "$T/out")"; }
    # --no-batch: the whole [1, 16] input is one sample; without it, 1 is the batch axis
    ok "import --no-batch" "$VN" import "$T/lin.onnx" -o "$T/lin_nb.vnm" --no-batch &&
        { grep -q "^  input \[1, 16\]," "$T/out" || fail "import --no-batch: $(sed -n 3p "$T/out")"; }
    ok "import batch first" "$VN" import "$T/lin.onnx" -o "$T/lin_b.vnm" &&
        { grep -q "^  input \[16\]," "$T/out" || fail "import: $(sed -n 3p "$T/out")"; }
    ok "run --no-batch model" "$VN" run "$T/lin_nb.vnm" "$T/v.npy" -o "$T/v_nb.npy" &&
    ok "run batch-first model" "$VN" run "$T/lin_b.vnm" "$T/v.npy" -o "$T/v_b.npy" &&
    py "$READ"'
want = np.load(T + "/v_torch.npy")
close("--no-batch model", np.load(T + "/v_nb.npy").reshape(want.shape), want)
close("batch-first model", np.load(T + "/v_b.npy"), want)
'
else
    echo "import: the library is built without ONNX; only argument checks ran"
fi

echo "$passes passed, $fails failed"
[ $fails -eq 0 ]
