#!/usr/bin/python3
"""Reference cases for tests/test_layers_geometry.c, written to tests/data/geometry/.

Run with /usr/bin/python3 (Debian 12: numpy 1.24, torch 1.13, onnx 1.12).
Every case is <name>_x.npy (input, batch first), <name>_y.npy (what the
layer must output), for convolutions <name>_w.npy and <name>_b.npy (the
parameters to load), and one line of cases.txt:

    group|name|layer type|attributes

References:
- ONNX's own node test data (/usr/share/libonnx-testdata/data/node/test_*/
  model.onnx + test_data_set_0): Resize-13 (nearest and linear; cubic and
  tf_crop_and_resize are not offered), Pad-13, MaxPool / AveragePool
  (explicit pads, auto_pad SAME_UPPER / SAME_LOWER turned into pad /
  pad_end the way the spec says, ceil_mode), Conv and ConvTranspose.
- torch.nn.functional: interpolate (nearest = asymmetric + floor,
  bilinear align_corners False / True), pad (constant with negative pads,
  reflect, replicate), max_pool2d / avg_pool2d with ceil_mode=True, and
  conv2d / conv_transpose2d with asymmetric padding written as F.pad before
  the convolution (or a crop after the transposed one).
- numpy.pad for the padding modes and ranks torch's F.pad lacks (checked
  against torch where both exist).
"""
import glob
import math
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "geometry")
ONNX_NODE = "/usr/share/libonnx-testdata/data/node"
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261130)
lines = []


def save(group, name, typ, attrs, x, y, w=None, b=None):
    np.save(os.path.join(OUT, name + "_x.npy"), np.ascontiguousarray(x, dtype=np.float32))
    np.save(os.path.join(OUT, name + "_y.npy"), np.ascontiguousarray(y, dtype=np.float32))
    if w is not None:
        np.save(os.path.join(OUT, name + "_w.npy"), np.ascontiguousarray(w, dtype=np.float32))
    if b is not None:
        np.save(os.path.join(OUT, name + "_b.npy"), np.ascontiguousarray(b, dtype=np.float32))
    lines.append("|".join([group, name, typ, attrs]))


def pair(v):
    return "%d,%d" % (v[0], v[1])


def load_onnx(test):
    d = os.path.join(ONNX_NODE, test)
    m = onnx.load(os.path.join(d, "model.onnx"))
    ins = {}
    for f in sorted(glob.glob(os.path.join(d, "test_data_set_0", "input_*.pb"))):
        t = onnx.TensorProto()
        with open(f, "rb") as fh:
            t.ParseFromString(fh.read())
        ins[t.name] = numpy_helper.to_array(t)
    t = onnx.TensorProto()
    with open(os.path.join(d, "test_data_set_0", "output_0.pb"), "rb") as fh:
        t.ParseFromString(fh.read())
    out = numpy_helper.to_array(t)
    node = [n for n in m.graph.node if n.op_type not in ("Constant",)][0]
    attrs = {a.name: helper.get_attribute_value(a) for a in node.attribute}
    attrs = {k: (v.decode() if isinstance(v, bytes) else v) for k, v in attrs.items()}
    return node, attrs, ins, out


def node_input(node, ins, i):
    """The array of the node's i-th input ('' = absent); inputs made by a
    Constant node are not in the data set."""
    if i >= len(node.input) or node.input[i] == "":
        return None
    return ins.get(node.input[i])


# ---- resize ---------------------------------------------------------------

for test in sorted(os.listdir(ONNX_NODE)):
    if not test.startswith("test_resize_") or "cubic" in test or "crop_and_resize" in test:
        continue
    node, attrs, ins, out = load_onnx(test)
    x = node_input(node, ins, 0)
    scales = node_input(node, ins, 2)
    sizes = node_input(node, ins, 3)
    if sizes is None and len(node.input) > 3 and node.input[3]:
        sizes = np.array(out.shape)  # given by a Constant node: the output's size
    a = "size=%d,%d mode=%s coord=%s nearest=%s" % (
        out.shape[2], out.shape[3], attrs.get("mode", "nearest"),
        attrs.get("coordinate_transformation_mode", "half_pixel"),
        attrs.get("nearest_mode", "round_prefer_floor"))
    if scales is not None and len(scales):
        assert scales[0] == 1 and scales[1] == 1
        a += " scale=%r,%r" % (float(np.float32(scales[2])), float(np.float32(scales[3])))
    save("onnx_resize", test[5:], "resize", a, x, out)


def torch_resize(name, shape, size=None, factor=None, mode="nearest", align=None):
    x = rng.standard_normal(shape).astype(np.float32)
    kw = {"mode": mode}
    if mode == "bilinear":
        kw["align_corners"] = align
    if size is not None:
        y = F.interpolate(torch.from_numpy(x), size=size, **kw).numpy()
    else:
        y = F.interpolate(torch.from_numpy(x), scale_factor=factor, recompute_scale_factor=False,
                          **kw).numpy()
    oh, ow = y.shape[2], y.shape[3]
    if mode == "nearest":
        a = "size=%d,%d mode=nearest coord=asymmetric nearest=floor" % (oh, ow)
    else:
        # torch's bilinear (align_corners=False) is ONNX's half_pixel; ONNX's
        # pytorch_half_pixel equals it except for a 1-pixel output (0 there)
        coord = "align_corners" if align else (
            "pytorch_half_pixel" if "_up_" in name else "half_pixel")
        a = "size=%d,%d mode=linear coord=%s" % (oh, ow, coord)
    if factor is not None:
        a += " scale=%r,%r" % (float(factor[0]), float(factor[1]))
    save("torch_resize", name, "resize", a, x, y)


torch_resize("torch_nearest_up_5x7_to_8x16", (2, 3, 5, 7), size=(8, 16))
torch_resize("torch_nearest_down_9x7_to_4x3", (1, 2, 9, 7), size=(4, 3))
torch_resize("torch_nearest_factor_1p5x2p5", (1, 2, 4, 3), factor=(1.5, 2.5))
torch_resize("torch_bilinear_up_5x7_to_8x16", (2, 3, 5, 7), size=(8, 16), mode="bilinear",
             align=False)
torch_resize("torch_bilinear_down_9x7_to_4x3", (1, 2, 9, 7), size=(4, 3), mode="bilinear",
             align=False)
torch_resize("torch_bilinear_factor_1p5x2p5", (1, 2, 4, 3), factor=(1.5, 2.5), mode="bilinear",
             align=False)
torch_resize("torch_bilinear_align_up_5x7_to_8x16", (2, 3, 5, 7), size=(8, 16), mode="bilinear",
             align=True)
torch_resize("torch_bilinear_align_down_9x7_to_4x3", (1, 2, 9, 7), size=(4, 3),
             mode="bilinear", align=True)
torch_resize("torch_bilinear_to_1x1", (1, 2, 4, 5), size=(1, 1), mode="bilinear", align=False)

# ---- pad ----------------------------------------------------------------------

for test in ("test_constant_pad", "test_edge_pad", "test_reflect_pad"):
    node, attrs, ins, out = load_onnx(test)
    x = node_input(node, ins, 0)
    pads = node_input(node, ins, 1).tolist()
    value = node_input(node, ins, 2)
    r = x.ndim
    assert pads[0] == 0 and pads[r] == 0  # no padding of the batch
    per = pads[1:r] + pads[r + 1:]
    a = "pads=%s mode=%s" % (",".join(str(p) for p in per), attrs.get("mode", "constant"))
    if value is not None:
        a += " value=%r" % float(np.float32(value))
    save("onnx_pad", test[5:], "pad", a, x, out)


def np_pad(x, begin, end, mode, value):
    """ONNX Pad on the per-sample dims of x (batch first) with numpy: crop
    the negative pads, then np.pad the positive ones."""
    sl = [slice(None)]
    for b, e, d in zip(begin, end, x.shape[1:]):
        sl.append(slice(max(-b, 0), d - max(-e, 0)))
    x = x[tuple(sl)]
    widths = [(0, 0)] + [(max(b, 0), max(e, 0)) for b, e in zip(begin, end)]
    if mode == "constant":
        return np.pad(x, widths, mode="constant", constant_values=value)
    return np.pad(x, widths, mode={"reflect": "reflect", "edge": "edge"}[mode])


def torch_pad(x, begin, end, mode, value):
    # F.pad lists the last dim first: (left, right) of the last, then the one before...
    pairs = list(zip(begin, end))
    if mode != "constant":
        while pairs and pairs[0] == (0, 0):  # torch pads the last len(p)/2 dims only
            pairs = pairs[1:]
    p = []
    for b, e in reversed(pairs):
        p += [b, e]
    tmode = {"constant": "constant", "reflect": "reflect", "edge": "replicate"}[mode]
    t = torch.from_numpy(x)
    if tmode == "constant":
        return F.pad(t, p, mode="constant", value=value).numpy()
    return F.pad(t, p, mode=tmode).numpy()


def pad_case(name, shape, begin, end, mode, value=0.0, torch_ok=True):
    x = rng.standard_normal(shape).astype(np.float32)
    y = np_pad(x, begin, end, mode, value)
    if torch_ok:
        yt = torch_pad(x, begin, end, mode, value)
        assert yt.shape == y.shape and np.array_equal(yt, y), name
    a = "pads=%s mode=%s" % (",".join(str(v) for v in list(begin) + list(end)), mode)
    if mode == "constant":
        a += " value=%r" % value
    save("torch_pad", name, "pad", a, x, y)


# rank 1..4 per sample; torch's reflect / replicate pad the last 1..3 dims of
# a 3..5-d tensor, so those cases keep the leading per-sample dims unpadded
pad_case("pad_rank1_constant", (2, 7), [2], [3], "constant", 1.5)
pad_case("pad_rank1_reflect", (2, 7), [3], [6], "reflect", torch_ok=False)
pad_case("pad_rank1_edge", (2, 7), [4], [1], "edge", torch_ok=False)
pad_case("pad_rank2_reflect", (2, 3, 6), [0, 2], [0, 5], "reflect")
pad_case("pad_rank2_constant_crop", (2, 4, 6), [-1, 2], [1, -3], "constant", -0.25)
pad_case("pad_rank3_reflect", (2, 2, 4, 5), [0, 3, 1], [0, 2, 4], "reflect")
pad_case("pad_rank3_edge", (2, 2, 4, 5), [0, 2, 3], [0, 4, 1], "edge")
pad_case("pad_rank3_edge_all_dims", (2, 2, 3, 4), [1, 2, 0], [2, 1, 3], "edge", torch_ok=False)
pad_case("pad_rank3_reflect_crop", (1, 2, 5, 6), [0, -2, 3], [0, 2, -1], "reflect",
         torch_ok=False)
pad_case("pad_rank4_constant", (2, 2, 3, 2, 4), [1, 0, 2, 1], [0, 2, 1, 3], "constant", 0.0)
pad_case("pad_rank4_reflect", (1, 2, 3, 4, 5), [0, 2, 1, 4], [0, 1, 3, 2], "reflect")

# ---- pooling --------------------------------------------------------------------


def onnx_pool_attrs(attrs, x, typ):
    k = attrs["kernel_shape"]
    s = attrs.get("strides", [1, 1])
    d = attrs.get("dilations", [1, 1])
    pads = attrs.get("pads", [0, 0, 0, 0])
    auto = attrs.get("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = [0, 0, 0, 0]
        for i in range(2):
            n = x.shape[2 + i]
            o = -(-n // s[i])
            total = max((o - 1) * s[i] + (k[i] - 1) * d[i] + 1 - n, 0)
            small, big = total // 2, total - total // 2
            pads[i], pads[2 + i] = (small, big) if auto == "SAME_UPPER" else (big, small)
    a = "k=%s stride=%s pad=%s" % (pair(k), pair(s), pair(pads[:2]))
    if pads[2:] != pads[:2]:
        a += " pad_end=%s" % pair(pads[2:])
    if typ == "max_pool2d":
        a += " dilation=%s" % pair(d)
    else:
        a += " count_include_pad=%d" % attrs.get("count_include_pad", 0)
    if attrs.get("ceil_mode", 0):
        a += " ceil_mode=1"
    return a


for test in sorted(os.listdir(ONNX_NODE)):
    if test.startswith("test_maxpool_2d_") and "uint8" not in test:
        typ = "max_pool2d"
    elif test.startswith("test_averagepool_2d_"):
        typ = "avg_pool2d"
    else:
        continue
    node, attrs, ins, out = load_onnx(test)
    x = node_input(node, ins, 0)
    # pooling is per channel: the first channel keeps the files small
    x, out = x[:, :1], out[:, :1]
    save("onnx_pool", test[5:], typ, onnx_pool_attrs(attrs, x, typ), x, out)


def torch_pool(name, typ, shape, k, s, p, ceil, include=True, dil=1):
    x = rng.standard_normal(shape).astype(np.float32)
    t = torch.from_numpy(x)
    if typ == "max_pool2d":
        y = F.max_pool2d(t, k, s, p, dilation=dil, ceil_mode=ceil).numpy()
        a = "k=%d stride=%d pad=%d dilation=%d" % (k, s, p, dil)
    else:
        y = F.avg_pool2d(t, k, s, p, ceil_mode=ceil, count_include_pad=include).numpy()
        a = "k=%d stride=%d pad=%d count_include_pad=%d" % (k, s, p, 1 if include else 0)
    if ceil:
        a += " ceil_mode=1"
    save("torch_pool", name, typ, a, x, y)


torch_pool("max_ceil_k3_s2_6x7", "max_pool2d", (2, 3, 6, 7), 3, 2, 0, True)
torch_pool("max_ceil_k2_s2_5x5", "max_pool2d", (1, 2, 5, 5), 2, 2, 0, True)
torch_pool("max_ceil_k3_s2_p1_8x9", "max_pool2d", (1, 2, 8, 9), 3, 2, 1, True)
torch_pool("max_ceil_k3_s3_p1_dil2_10x11", "max_pool2d", (1, 2, 10, 11), 3, 3, 1, True, dil=2)
torch_pool("max_ceil_last_window_dropped_k2_s2_p1_4x4", "max_pool2d", (1, 1, 4, 4), 2, 2, 1,
           True)
torch_pool("avg_ceil_include_k3_s2_6x7", "avg_pool2d", (2, 3, 6, 7), 3, 2, 0, True, True)
torch_pool("avg_ceil_exclude_k3_s2_6x7", "avg_pool2d", (2, 3, 6, 7), 3, 2, 0, True, False)
torch_pool("avg_ceil_include_k3_s2_p1_8x9", "avg_pool2d", (1, 2, 8, 9), 3, 2, 1, True, True)
torch_pool("avg_ceil_exclude_k3_s2_p1_8x9", "avg_pool2d", (1, 2, 8, 9), 3, 2, 1, True, False)
torch_pool("avg_ceil_include_k2_s2_p1_5x5", "avg_pool2d", (1, 1, 5, 5), 2, 2, 1, True, True)


def torch_pool_asym(name, typ, shape, k, s, pb, pe, include=True):
    """Asymmetric padding: pad with -inf (max) or 0 (avg, count_include_pad
    = the window counts the explicit padding) and pool without padding."""
    x = rng.standard_normal(shape).astype(np.float32)
    t = torch.from_numpy(x)
    padv = -math.inf if typ == "max_pool2d" else 0.0
    tp = F.pad(t, (pb[1], pe[1], pb[0], pe[0]), value=padv)
    if typ == "max_pool2d":
        y = F.max_pool2d(tp, k, s).numpy()
        a = "k=%s stride=%s pad=%s pad_end=%s dilation=1" % (pair(k), pair(s), pair(pb), pair(pe))
    else:
        assert include
        y = F.avg_pool2d(tp, k, s).numpy()
        a = "k=%s stride=%s pad=%s pad_end=%s count_include_pad=1" % (pair(k), pair(s), pair(pb),
                                                                      pair(pe))
    save("torch_pool", name, typ, a, x, y)


torch_pool_asym("max_pad_end_k3_s2_7x8", "max_pool2d", (2, 2, 7, 8), (3, 3), (2, 2), (0, 1),
                (2, 0))
torch_pool_asym("max_pad_end_only_k2_s1_5x6", "max_pool2d", (1, 2, 5, 6), (2, 2), (1, 1), (0, 0),
                (1, 1))
torch_pool_asym("avg_pad_end_include_k3_s2_7x8", "avg_pool2d", (2, 2, 7, 8), (3, 3), (2, 2),
                (1, 0), (2, 1))

# ---- convolutions -------------------------------------------------------------------

for test in ("test_basic_conv_with_padding", "test_basic_conv_without_padding",
             "test_conv_with_autopad_same", "test_conv_with_strides_and_asymmetric_padding",
             "test_conv_with_strides_no_padding", "test_conv_with_strides_padding"):
    node, attrs, ins, out = load_onnx(test)
    x, w = node_input(node, ins, 0), node_input(node, ins, 1)
    k = list(w.shape[2:])
    s = attrs.get("strides", [1, 1])
    pads = attrs.get("pads", [0, 0, 0, 0])
    auto = attrs.get("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        pads = [0, 0, 0, 0]
        for i in range(2):
            n = x.shape[2 + i]
            o = -(-n // s[i])
            total = max((o - 1) * s[i] + k[i] - n, 0)
            small, big = total // 2, total - total // 2
            pads[i], pads[2 + i] = (small, big) if auto == "SAME_UPPER" else (big, small)
    a = "out=%d k=%s stride=%s pad=%s" % (w.shape[0], pair(k), pair(s), pair(pads[:2]))
    if pads[2:] != pads[:2]:
        a += " pad_end=%s" % pair(pads[2:])
    a += " bias=0"
    save("onnx_conv", test[5:], "conv2d", a, x, out, w=w)

for test in ("test_convtranspose", "test_convtranspose_pads", "test_convtranspose_pad",
             "test_convtranspose_dilations", "test_convtranspose_autopad_same"):
    node, attrs, ins, out = load_onnx(test)
    x, w = node_input(node, ins, 0), node_input(node, ins, 1)
    k = list(w.shape[2:])
    s = attrs.get("strides", [1, 1])
    d = attrs.get("dilations", [1, 1])
    op = attrs.get("output_padding", [0, 0])
    pads = attrs.get("pads", [0, 0, 0, 0])
    auto = attrs.get("auto_pad", "NOTSET")
    if auto in ("SAME_UPPER", "SAME_LOWER"):
        # ONNX ConvTranspose: output = input * stride; the total padding is
        # split with the odd one at the end for SAME_UPPER (as the reference
        # implementation and onnxruntime do)
        pads = [0, 0, 0, 0]
        for i in range(2):
            n = x.shape[2 + i]
            total = s[i] * (n - 1) + op[i] + (k[i] - 1) * d[i] + 1 - n * s[i]
            small, big = total // 2, total - total // 2
            pads[i], pads[2 + i] = (small, big) if auto == "SAME_UPPER" else (big, small)
    a = "out=%d k=%s stride=%s pad=%s" % (w.shape[1], pair(k), pair(s), pair(pads[:2]))
    if pads[2:] != pads[:2]:
        a += " pad_end=%s" % pair(pads[2:])
    a += " output_pad=%s dilation=%s bias=0" % (pair(op), pair(d))
    save("onnx_conv", test[5:], "conv_transpose2d", a, x, out, w=w)


def torch_conv(name, shape, out, k, s, pb, pe, groups=1, dil=(1, 1)):
    x = rng.standard_normal(shape).astype(np.float32)
    w = (0.5 * rng.standard_normal((out, shape[1] // groups) + tuple(k))).astype(np.float32)
    b = rng.standard_normal(out).astype(np.float32)
    tp = F.pad(torch.from_numpy(x), (pb[1], pe[1], pb[0], pe[0]))
    y = F.conv2d(tp, torch.from_numpy(w), torch.from_numpy(b), stride=s, dilation=dil,
                 groups=groups).numpy()
    a = "out=%d k=%s stride=%s pad=%s pad_end=%s dilation=%s groups=%d bias=1" % (
        out, pair(k), pair(s), pair(pb), pair(pe), pair(dil), groups)
    save("torch_conv", name, "conv2d", a, x, y, w=w, b=b)


torch_conv("conv_pad_end_k3_s2_9x8", (2, 3, 9, 8), 4, (3, 3), (2, 2), (0, 1), (1, 2))
torch_conv("conv_pad_end_only_k3_s1_6x7", (1, 2, 6, 7), 3, (3, 3), (1, 1), (0, 0), (2, 2))
torch_conv("conv_pad_end_k2x3_dil2_8x9", (1, 2, 8, 9), 2, (2, 3), (1, 2), (1, 0), (0, 3),
           dil=(2, 1))
torch_conv("conv_same_lower_k2_s1_6x7", (1, 3, 6, 7), 2, (2, 2), (1, 1), (1, 1), (0, 0))
torch_conv("conv_same_upper_k2_s1_6x7", (1, 3, 6, 7), 2, (2, 2), (1, 1), (0, 0), (1, 1))
torch_conv("conv_pad_end_1x1_5x6", (2, 4, 5, 6), 3, (1, 1), (1, 1), (0, 0), (1, 2))
torch_conv("conv_pad_end_depthwise_3x3_s1_7x9", (2, 4, 7, 9), 4, (3, 3), (1, 1), (0, 1), (2, 1),
           groups=4)
torch_conv("conv_pad_end_depthwise_3x3_s2_8x8", (1, 3, 8, 8), 6, (3, 3), (2, 2), (1, 0), (0, 1),
           groups=3)


def torch_convt(name, shape, out, k, s, pb, pe, op=(0, 0), dil=(1, 1), groups=1):
    x = rng.standard_normal(shape).astype(np.float32)
    w = (0.5 * rng.standard_normal((shape[1], out // groups) + tuple(k))).astype(np.float32)
    b = rng.standard_normal(out).astype(np.float32)
    full = F.conv_transpose2d(torch.from_numpy(x), torch.from_numpy(w), None, stride=s,
                              dilation=dil, groups=groups).numpy()
    full = np.pad(full, [(0, 0), (0, 0), (0, op[0]), (0, op[1])])
    oh = full.shape[2] - op[0] - pb[0] - pe[0] + op[0]
    ow = full.shape[3] - op[1] - pb[1] - pe[1] + op[1]
    y = full[:, :, pb[0]:pb[0] + oh, pb[1]:pb[1] + ow] + b[None, :, None, None]
    a = "out=%d k=%s stride=%s pad=%s pad_end=%s output_pad=%s dilation=%s groups=%d bias=1" % (
        out, pair(k), pair(s), pair(pb), pair(pe), pair(op), pair(dil), groups)
    save("torch_conv", name, "conv_transpose2d", a, x, y, w=w, b=b)


torch_convt("convt_pad_end_k3_s2_4x5", (2, 3, 4, 5), 2, (3, 3), (2, 2), (1, 0), (0, 2))
torch_convt("convt_pad_end_k4_s2_opad1_3x4", (1, 2, 3, 4), 3, (4, 4), (2, 2), (2, 1), (1, 2),
            op=(1, 1))
torch_convt("convt_pad_end_depthwise_k3_s1_5x5", (1, 3, 5, 5), 3, (3, 3), (1, 1), (0, 2),
            (2, 0), groups=3)

with open(os.path.join(OUT, "cases.txt"), "w") as fh:
    fh.write("# written by tests/data/make_geometry_cases.py: group|name|type|attributes\n")
    for line in lines:
        fh.write(line + "\n")
print("%d cases in %s" % (len(lines), OUT))
