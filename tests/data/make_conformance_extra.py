#!/usr/bin/python3
"""make_conformance_extra.py - torch cases in the format of
../shared/conformance (README there) for parameters the public set does not
exercise: pooling with ceil_mode, upsampling by non-integer or unequal
scales and with align_corners, flatten over a middle range, softmax /
log_softmax / concat on dims other than 1.

The meson test `conformance_extra` runs `conformance --strict` on the
result, so every case here must pass (a skip fails). Outputs are computed
in float64 from the stored float32 inputs and rounded to float32, as the
shared set's are. Run with /usr/bin/python3; deterministic.
"""
import json
import os
import shutil

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "conformance_extra")
rng = np.random.default_rng(20261130)


def save(d, name, a):
    np.save(os.path.join(d, name), np.ascontiguousarray(a))


def case(name, op, params, fn, shapes, tol=(1e-5, 1e-6), names=("x",)):
    d = os.path.join(OUT, "nn", name)
    os.makedirs(d)
    xs = [rng.standard_normal(s).astype(np.float32) for s in shapes]
    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    y = fn(*ts)
    dy = rng.standard_normal(tuple(y.shape)).astype(np.float32)
    y.backward(torch.tensor(dy, dtype=torch.float64))
    for n, x in zip(names, xs):
        save(d, n + ".npy", x)
    save(d, "dy.npy", dy)
    save(d, "y.npy", y.detach().numpy().astype(np.float32))
    for n, t in zip(names, ts):
        save(d, "d" + n + ".npy", t.grad.numpy().astype(np.float32))
    meta = {"op": op, "params": params,
            "inputs": [n + ".npy" for n in names] + ["dy.npy"],
            "outputs": ["y.npy"] + ["d" + n + ".npy" for n in names],
            "tolerance": {"rtol": tol[0], "atol": tol[1]},
            "reference": "torch %s, float64" % torch.__version__,
            "notes": "tests/data/make_conformance_extra.py"}
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(meta, f, indent=1)


if os.path.isdir(OUT):
    shutil.rmtree(OUT)

for k, s, p, hw in [(3, 2, 0, (10, 10)), (3, 2, 1, (11, 12)), (2, 2, 0, (7, 9))]:
    params = {"kernel_size": [k, k], "stride": [s, s], "padding": [p, p], "dilation": [1, 1],
              "ceil_mode": True}
    case("max_pool2d_ceil_k%d_s%d_p%d_%dx%d" % (k, s, p, *hw), "max_pool2d", params,
         lambda x, k=k, s=s, p=p: F.max_pool2d(x, k, s, p, ceil_mode=True), [(2, 3, *hw)])
for k, s, p, inc, hw in [(3, 2, 1, True, (10, 11)), (3, 2, 1, False, (10, 11)),
                         (2, 2, 0, False, (7, 9)), (3, 3, 0, True, (8, 8))]:
    params = {"kernel_size": [k, k], "stride": [s, s], "padding": [p, p], "ceil_mode": True,
              "count_include_pad": inc, "divisor_override": None}
    case("avg_pool2d_ceil_k%d_s%d_p%d_%s_%dx%d" % (k, s, p, "inc" if inc else "exc", *hw),
         "avg_pool2d", params,
         lambda x, k=k, s=s, p=p, inc=inc: F.avg_pool2d(x, k, s, p, ceil_mode=True,
                                                        count_include_pad=inc), [(2, 3, *hw)])
for mode, scale, align, hw in [("bilinear", [2, 2], True, (4, 5)),
                               ("bilinear", [1.5, 1.5], False, (6, 5)),
                               ("bilinear", [0.5, 0.75], False, (8, 8)),
                               ("nearest", [3, 2], None, (4, 5)),
                               ("nearest", [1.5, 2.5], None, (4, 4))]:
    params = {"scale_factor": scale, "mode": mode}
    if align is not None:
        params["align_corners"] = align
        params["antialias"] = False
    kw = {} if align is None else {"align_corners": align}
    case("upsample_%s_%gx%g%s_%dx%d" % (mode, scale[0], scale[1], "_ac" if align else "", *hw),
         "upsample", params,
         lambda x, scale=scale, mode=mode, kw=kw: F.interpolate(x, scale_factor=scale, mode=mode,
                                                                **kw), [(2, 3, *hw)])
for start, end in [(2, -1), (1, 2)]:
    case("flatten_start%d_end%d_2x3x4x5" % (start, end), "flatten",
         {"start_dim": start, "end_dim": end},
         lambda x, a=start, b=end: torch.flatten(x, a, b), [(2, 3, 4, 5)], tol=(0, 0))
for op, dim in [("softmax", 2), ("softmax", -1), ("log_softmax", 3), ("log_softmax", 2)]:
    f = F.softmax if op == "softmax" else F.log_softmax
    case("%s_dim%d_2x3x4x5" % (op, dim), op, {"dim": dim},
         lambda x, f=f, dim=dim: f(x, dim=dim), [(2, 3, 4, 5)])
for dim, shapes in [(2, [(2, 3, 4, 5), (2, 3, 2, 5)]), (3, [(2, 3, 4, 5), (2, 3, 4, 1)])]:
    case("concat_dim%d" % dim, "concat", {"dim": dim},
         lambda a, b, dim=dim: torch.cat([a, b], dim=dim), shapes, tol=(0, 0), names=("a", "b"))
