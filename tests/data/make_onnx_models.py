#!/usr/bin/python3
"""Writes the ONNX models of tests/test_onnx_import.c (run with /usr/bin/python3,
which has onnx 1.12, numpy and torch):

tests/data/onnx/
  tiny_cnn.onnx       torch.onnx.export (opset 13) of a small CNN: conv1 (3x3,
                      pad 1) -> bn1 -> relu -> maxpool -> x.view(x.size(0), -1)
                      (Shape/Gather/Unsqueeze/Concat/Reshape, folded by the
                      importer) -> fc (Gemm); do_constant_folding=False keeps
                      the BatchNormalization node. Input [2, 2, 6, 6].
  tiny_cnn_x.npy, tiny_cnn_y.npy   its input and torch's output (eval mode)
  tiny_cnn_train_losses.npy        torch's loss sum(out^2)/2 in training mode
                      before and after one SGD step (lr 0.1)
  mixed.onnx          torch.onnx.export (opset 13) of a network using most of
                      the mapped operators (see class Mixed); mixed_x.npy,
                      mixed_y.npy its input [3, 3, 16, 16] and torch's output
  bn1d.onnx           torch: Linear -> BatchNorm1d on [N, 5] -> ReLU -> Linear;
                      bn1d_x.npy, bn1d_y.npy
  mlp.onnx            hand-built: MatMul(x, W) + b -> Sigmoid -> Gemm(transB)
                      -> LeakyRelu(0.2) -> Softmax (opset 13). Input [3, 4].
  mlp_x.npy, mlp_y.npy             input and numpy's output
  bind_add.onnx       hand-built: Add(x, y) * 2 with two graph inputs x [2, 3]
                      and y [2, 3] (no batch axis: imported with
                      VN_ONNX_BATCH_NONE and y bound to a constant).
  bind_x.npy, bind_y.npy, bind_out.npy
  dynamic_hw.onnx     Conv + GlobalAveragePool on [N, 2, H, W] (H, W symbolic)
  se_mean.onnx        torch: conv -> relu -> squeeze-excite whose pooling is
                      x.mean((2, 3)) (ReduceMean keepdims 0), minus
                      x.mean((2, 3), keepdim=True), then x.mean((-1, -2)) ->
                      linear; se_mean_x.npy, se_mean_y.npy (input [3, 3, 10, 9])
  mean_channels.onnx  hand-built: ReduceMean over axis 1 (refused)
  unsupported.onnx    Relu -> Erf: the importer must name 'Erf'.

tests/data/bad_onnx/ (each must be refused with VN_ERR_FORMAT)
  truncated.onnx      the first half of tiny_cnn.onnx
  garbage.onnx        bytes that are not protobuf
  wrong_dims.onnx     an initializer whose dims say 6 elements, 5 floats given
  raw_too_short.onnx  an initializer whose raw_data is 4 bytes short
  external.onnx       an initializer stored as external data
  too_many_dims.onnx  an initializer of rank 9
  no_graph.onnx       a ModelProto without a graph
  deep_nesting.onnx   graphs nested in If attributes 200 levels deep
"""
import os

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "onnx")
BAD = os.path.join(HERE, "bad_onnx")
os.makedirs(OUT, exist_ok=True)
os.makedirs(BAD, exist_ok=True)
rng = np.random.default_rng(7)


def save(model, path):
    onnx.checker.check_model(model)
    onnx.save(model, path)


def export_torch(model, x, name, **options):
    """model(x) exported as OUT/name.onnx (opset 13, input "x" with a symbolic
    batch, output "y"), with name_x.npy / name_y.npy the input and output."""
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, x, os.path.join(OUT, name + ".onnx"), opset_version=13,
                      input_names=["x"], output_names=["y"], dynamic_axes={"x": {0: "N"}},
                      **options)
    np.save(os.path.join(OUT, name + "_x.npy"), x.numpy())
    np.save(os.path.join(OUT, name + "_y.npy"), y.numpy())


# ---- tiny_cnn: torch export --------------------------------------------------
class TinyCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(2, 3, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(3)
        self.relu = torch.nn.ReLU()
        self.maxpool = torch.nn.MaxPool2d(2)
        self.fc = torch.nn.Linear(3 * 3 * 3, 4)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.fc(x.view(x.size(0), -1))


torch.manual_seed(3)
net = TinyCNN()
with torch.no_grad():
    net.bn1.running_mean.uniform_(-0.3, 0.3)
    net.bn1.running_var.uniform_(0.5, 1.5)
    net.bn1.weight.uniform_(0.5, 1.5)
    net.bn1.bias.uniform_(-0.2, 0.2)
net.eval()
x = torch.randn(2, 2, 6, 6)
with torch.no_grad():
    y = net(x)
path = os.path.join(OUT, "tiny_cnn.onnx")
torch.onnx.export(net, x, path, opset_version=13, input_names=["input"],
                  output_names=["logits"], dynamic_axes={"input": {0: "N"}},
                  training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
np.save(os.path.join(OUT, "tiny_cnn_x.npy"), x.numpy())
np.save(os.path.join(OUT, "tiny_cnn_y.npy"), y.numpy())
# fine-tuning reference: training mode, loss = sum(out^2) / 2, one SGD step
# (lr 0.1), the loss before and after
net.train()
opt = torch.optim.SGD(net.parameters(), lr=0.1)
losses = []
for step in range(2):
    loss = 0.5 * (net(x) ** 2).sum()
    losses.append(loss.item())
    opt.zero_grad()
    loss.backward()
    if step == 0:
        opt.step()
np.save(os.path.join(OUT, "tiny_cnn_train_losses.npy"), np.array(losses, dtype=np.float32))

# ---- mixed: most mapped operators in one torch network -------------------------
class Mixed(torch.nn.Module):
    """relu6 (Clip), depthwise and dilated convs, leaky relu, transposed conv,
    concat, arithmetic with constants, reflect padding (torch computes the pads
    with ConstantOfShape / Slice / Transpose, folded by the importer), average
    pooling without padding counted, bilinear and nearest interpolation (Resize
    by scales and by sizes), ceil-mode max pooling, tanh, flatten, dropout,
    linear, log-softmax."""

    def __init__(self):
        super().__init__()
        self.c1 = torch.nn.Conv2d(3, 4, 3, padding=1)
        self.bn = torch.nn.BatchNorm2d(4)
        self.c2 = torch.nn.Conv2d(4, 4, 3, stride=2, padding=1, groups=4)
        self.c3 = torch.nn.Conv2d(4, 8, 1)
        self.up = torch.nn.ConvTranspose2d(8, 4, 2, stride=2)
        self.c4 = torch.nn.Conv2d(8, 4, 3, padding=2, dilation=2)
        self.pool = torch.nn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False)
        self.mp = torch.nn.MaxPool2d(3, stride=2, ceil_mode=True)
        self.drop = torch.nn.Dropout(0.3)
        self.fc = torch.nn.Linear(4 * 4 * 4, 5)

    def forward(self, x):
        F = torch.nn.functional
        a = F.relu6(self.bn(self.c1(x)))
        b = F.leaky_relu(self.c3(self.c2(a)), 0.1)
        c = torch.cat([a, self.up(b)], 1)
        d = torch.sigmoid(self.c4(c)) * a - 0.5 + a / 2.0
        d = F.pad(d, (1, 1, 1, 1), mode="reflect")
        e = F.interpolate(self.pool(d), scale_factor=2, mode="bilinear", align_corners=False)
        f = F.interpolate(self.mp(e), size=(4, 4), mode="nearest")
        return F.log_softmax(self.fc(self.drop(torch.tanh(f).flatten(1))), dim=1)


torch.manual_seed(5)
mixed = Mixed()
with torch.no_grad():
    mixed.bn.running_mean.uniform_(-0.5, 0.5)
    mixed.bn.running_var.uniform_(0.5, 2.0)
mixed.eval()
export_torch(mixed, torch.randn(3, 3, 16, 16), "mixed")

# ---- bn1d: Linear -> BatchNorm1d on [N, C] -> ReLU -> Linear (torch) ----------
torch.manual_seed(6)
bn1d = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.BatchNorm1d(5), torch.nn.ReLU(),
                           torch.nn.Linear(5, 3))
with torch.no_grad():
    bn1d[1].running_mean.uniform_(-1, 1)
    bn1d[1].running_var.uniform_(0.5, 2)
bn1d.eval()
export_torch(bn1d, torch.randn(4, 6), "bn1d", training=torch.onnx.TrainingMode.PRESERVE,
             do_constant_folding=False)

# ---- mlp: hand-built, numpy reference ---------------------------------------
W1 = rng.standard_normal((4, 5)).astype(np.float32)
b1 = rng.standard_normal(5).astype(np.float32)
W2 = rng.standard_normal((3, 5)).astype(np.float32)  # Gemm transB=1: [out, in]
b2 = rng.standard_normal(3).astype(np.float32)
nodes = [
    helper.make_node("MatMul", ["x", "W1"], ["h0"], name="fc1"),
    helper.make_node("Add", ["h0", "b1"], ["h1"], name="fc1_bias"),
    helper.make_node("Sigmoid", ["h1"], ["h2"], name="act1"),
    helper.make_node("Gemm", ["h2", "W2", "b2"], ["h3"], name="fc2", transB=1, alpha=0.5),
    helper.make_node("LeakyRelu", ["h3"], ["h4"], name="act2", alpha=0.2),
    helper.make_node("Softmax", ["h4"], ["y"], name="prob", axis=-1),
]
graph = helper.make_graph(
    nodes, "mlp",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])],
    [numpy_helper.from_array(W1, "W1"), numpy_helper.from_array(b1, "b1"),
     numpy_helper.from_array(W2, "W2"), numpy_helper.from_array(b2, "b2")])
save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
     os.path.join(OUT, "mlp.onnx"))
xm = rng.standard_normal((3, 4)).astype(np.float32)
h = 1 / (1 + np.exp(-(xm @ W1 + b1)))
h = 0.5 * (h @ W2.T) + b2
h = np.where(h >= 0, h, 0.2 * h)
e = np.exp(h - h.max(axis=1, keepdims=True))
ym = (e / e.sum(axis=1, keepdims=True)).astype(np.float32)
np.save(os.path.join(OUT, "mlp_x.npy"), xm)
np.save(os.path.join(OUT, "mlp_y.npy"), ym)

# ---- bind_add: two graph inputs, no batch axis -------------------------------
two = numpy_helper.from_array(np.array(2.0, dtype=np.float32), "two")
graph = helper.make_graph(
    [helper.make_node("Add", ["x", "y"], ["s"], name="sum"),
     helper.make_node("Mul", ["s", "two"], ["out"], name="double")],
    "bind_add",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
     helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])],
    [helper.make_tensor_value_info("out", TensorProto.FLOAT, [2, 3])], [two])
save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
     os.path.join(OUT, "bind_add.onnx"))
bx = rng.standard_normal((2, 3)).astype(np.float32)
by = rng.standard_normal((2, 3)).astype(np.float32)
np.save(os.path.join(OUT, "bind_x.npy"), bx)
np.save(os.path.join(OUT, "bind_y.npy"), by)
np.save(os.path.join(OUT, "bind_out.npy"), ((bx + by) * 2).astype(np.float32))

# ---- dynamic_hw: symbolic height and width ------------------------------------
Wc = rng.standard_normal((3, 2, 3, 3)).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("Conv", ["x", "Wc"], ["c"], name="conv", pads=[1, 1, 1, 1]),
     helper.make_node("GlobalAveragePool", ["c"], ["y"], name="gap")],
    "dynamic_hw",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, "H", "W"])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3, 1, 1])],
    [numpy_helper.from_array(Wc, "Wc")])
save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
     os.path.join(OUT, "dynamic_hw.onnx"))

# ---- unsupported: Erf ----------------------------------------------------------
graph = helper.make_graph(
    [helper.make_node("Relu", ["x"], ["r"], name="act"),
     helper.make_node("Erf", ["r"], ["y"], name="erf1")],
    "unsupported",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])])
save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)]),
     os.path.join(OUT, "unsupported.onnx"))

# ---- the bad corpus --------------------------------------------------------------
with open(os.path.join(OUT, "tiny_cnn.onnx"), "rb") as f:
    good = f.read()
with open(os.path.join(BAD, "truncated.onnx"), "wb") as f:
    f.write(good[: len(good) // 2])
with open(os.path.join(BAD, "garbage.onnx"), "wb") as f:
    f.write(b"\xff\xfe this is not an ONNX file \x00\x01" * 4)


def dense_model(init):
    """x [N, 2] -> Gemm with initializer W (whatever it holds)."""
    g = helper.make_graph(
        [helper.make_node("Gemm", ["x", "W"], ["y"], name="fc", transB=1)], "bad",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 3])], [init])
    return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])


t = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[3, 2])
t.float_data.extend([1.0, 2.0, 3.0, 4.0, 5.0])
onnx.save(dense_model(t), os.path.join(BAD, "wrong_dims.onnx"))

t = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[3, 2])
t.raw_data = np.arange(5, dtype="<f4").tobytes()
onnx.save(dense_model(t), os.path.join(BAD, "raw_too_short.onnx"))

t = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[3, 2])
t.data_location = TensorProto.EXTERNAL
e = t.external_data.add()
e.key, e.value = "location", "weights.bin"
onnx.save(dense_model(t), os.path.join(BAD, "external.onnx"))

t = TensorProto(name="W", data_type=TensorProto.FLOAT, dims=[1] * 7 + [3, 2])
t.float_data.extend([1.0] * 6)
onnx.save(dense_model(t), os.path.join(BAD, "too_many_dims.onnx"))

m = onnx.ModelProto(ir_version=8)
m.opset_import.add(domain="", version=13)
with open(os.path.join(BAD, "no_graph.onnx"), "wb") as f:
    f.write(m.SerializeToString())

# graphs nested in If attributes 200 levels deep (a stack-exhaustion attempt)
inner = helper.make_graph([], "g0", [], [])
for level in range(200):
    node = helper.make_node("If", ["c"], ["y"], name="if%d" % level, then_branch=inner)
    inner = helper.make_graph([node], "g%d" % (level + 1), [], [])
m = helper.make_model(inner, opset_imports=[helper.make_opsetid("", 13)])
with open(os.path.join(BAD, "deep_nesting.onnx"), "wb") as f:
    f.write(m.SerializeToString())

# ---- se_mean: squeeze-excite with x.mean((2, 3)) (ReduceMean) ----------------
class SEMean(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 8, 3, padding=1)
        self.fc1 = torch.nn.Linear(8, 4)
        self.fc2 = torch.nn.Linear(4, 8)
        self.head = torch.nn.Linear(8, 5)

    def forward(self, x):
        x = torch.relu(self.conv(x))
        s = torch.sigmoid(self.fc2(torch.relu(self.fc1(x.mean((2, 3))))))  # keepdims 0
        x = x * s.view(s.size(0), -1, 1, 1)
        x = x - x.mean((2, 3), keepdim=True)                                # keepdims 1
        return self.head(x.mean((-1, -2)))                                  # negative axes


torch.manual_seed(8)
se = SEMean().eval()
export_torch(se, torch.randn(3, 3, 10, 9), "se_mean")

# ReduceMean over the channel axis: refused, naming the reason
node = helper.make_node("ReduceMean", ["x"], ["y"], name="mean_c", axes=[1], keepdims=1)
g = helper.make_graph([node], "mean_c",
                      [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 2, 3, 3])],
                      [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 1, 3, 3])])
save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]),
     os.path.join(OUT, "mean_channels.onnx"))
print("written to", OUT, "and", BAD)
