#!/usr/bin/python3
"""Reference cases for tests/test_layers_eltwise.c (run with /usr/bin/python3:
numpy, torch 1.13). Writes tests/data/eltwise/<case>_<what>.npy, all f32
with the batch first:

  <case>_in0.npy, _in1.npy   the inputs
  <case>_p0.npy, _p1.npy     parameters (matmul's weight [K, M], bias [M])
  <case>_y.npy               torch's forward output
  <case>_dy.npy              a fixed upstream gradient
  <case>_din0.npy, _din1.npy torch's input gradients of sum(y * dy)
  <case>_dp0.npy, _dp1.npy   torch's parameter gradients

The layer words each case stands for are listed in CASES (the C test uses
the same words).
"""
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eltwise")
os.makedirs(OUT, exist_ok=True)
gen = torch.Generator().manual_seed(20261130)


def randn(*shape, away=0.0):
    t = torch.randn(*shape, generator=gen, dtype=torch.float32)
    if away:
        t = torch.where(t >= 0, t + away, t - away)
    return t


def save(case, what, t):
    np.save(os.path.join(OUT, f"{case}_{what}.npy"),
            np.ascontiguousarray(t.detach().numpy().astype(np.float32)))


def run(case, fn, inputs, params=()):
    ins = [t.clone().requires_grad_(True) for t in inputs]
    ps = [t.clone().requires_grad_(True) for t in params]
    y = fn(*ins, *ps)
    dy = randn(*y.shape)
    (y * dy).sum().backward()
    for i, t in enumerate(inputs):
        save(case, f"in{i}", t)
        save(case, f"din{i}", ins[i].grad)
    for i, t in enumerate(params):
        save(case, f"p{i}", t)
        save(case, f"dp{i}", ps[i].grad)
    save(case, "y", y)
    save(case, "dy", dy)


def per_sample(fn):
    """fn on inputs whose per-sample shapes broadcast right-aligned: pad
    each with 1s after the batch to the largest rank first."""
    def g(a, b):
        r = max(a.dim(), b.dim())
        a = a.reshape(a.shape[0], *([1] * (r - a.dim())), *a.shape[1:])
        b = b.reshape(b.shape[0], *([1] * (r - b.dim())), *b.shape[1:])
        return fn(a, b)
    return g


# mul, [C,1,1] per channel against [C,H,W]
run("mul_channel", per_sample(torch.mul), [randn(2, 3, 4, 5), randn(2, 3, 1, 1)])
# sub, a scalar per sample ([1]) from [C,H,W]
run("sub_scalar", per_sample(torch.sub), [randn(2, 3, 4, 5), randn(2, 1)])
# div, [C,H,W] by a row [W] (kept away from zero)
run("div_row", per_sample(torch.div), [randn(2, 3, 4, 5), randn(2, 5, away=0.5)])
# add, both sides broadcasting: [C,1,W] + [1,H,1]
run("add_both", per_sample(torch.add), [randn(2, 3, 1, 5), randn(2, 1, 4, 1)])
# div, the divisor broadcasting both ways: [3,1,5] / [4,1]
run("div_both", per_sample(torch.div), [randn(2, 3, 1, 5), randn(2, 4, 1, away=0.5)])
# matmul with two inputs, leading dims broadcasting: [3,4,5] x [1,5,6]
run("matmul_batched", per_sample(torch.matmul), [randn(2, 3, 4, 5), randn(2, 1, 5, 6)])
# matmul, a vector per sample times a matrix: [5] x [5,3] -> [3]
run("matmul_vec", lambda a, b: torch.matmul(a.unsqueeze(1), b).squeeze(1),
    [randn(2, 5), randn(2, 5, 3)])
# matmul out=4 bias=1 on [3, 5]: x W + b with W [5, 4]
run("matmul_weight", lambda x, w, b: torch.matmul(x, w) + b,
    [randn(2, 3, 5)], [randn(5, 4) * 0.5, randn(4) * 0.5])
# softmax / log_softmax on other dims of [2, 3, 4, 5]
run("softmax_dim2", lambda x: torch.softmax(x, 2), [randn(2, 3, 4, 5)])
run("softmax_dim-1", lambda x: torch.softmax(x, -1), [randn(2, 3, 4, 5)])
run("log_softmax_dim3", lambda x: torch.log_softmax(x, 3), [randn(2, 3, 4, 5)])
# concat along the last dim and along dim 2
run("concat_dim3", lambda a, b: torch.cat([a, b], 3), [randn(2, 3, 4, 2), randn(2, 3, 4, 3)])
run("concat_dim2", lambda a, b: torch.cat([a, b], 2), [randn(2, 3, 1, 5), randn(2, 3, 2, 5)])
# clip min=-0.5 max=0.7
run("clip", lambda x: torch.clamp(x, -0.5, 0.7), [randn(2, 3, 4, 5)])
