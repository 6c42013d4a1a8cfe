#!/usr/bin/python3
"""PyTorch reference for bench/bench_layers: forward and backward time of
the same four conv2d shapes, same FLOP count, same statistics (median of
--repeats runs after one warm-up), on 1 and 2 threads.

    /usr/bin/python3 bench/bench_layers_torch.py [--repeats R] [--clock wall|cpu] [--json]

Run it in the same session as bench_layers and compare ratios: the machine
is shared and its absolute speed drifts. PyTorch (Debian's 1.13) runs its
own convolution kernels (oneDNN where it applies), not OpenBLAS.
--clock cpu times with the calling thread's CPU time, on one thread only,
like bench_layers --clock cpu.
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn.functional as F

SHAPES = [
    ("a", "3x3 32->64 14x14 b64", 64, 32, 14, 14, 64, 3, 1),
    ("b", "3x3 64->64 56x56 b8", 8, 64, 56, 56, 64, 3, 1),
    ("c", "1x1 256->64 28x28 b8", 8, 256, 28, 28, 64, 1, 1),
    ("d", "3x3 dw 32ch 112x112 b8", 8, 32, 112, 112, 32, 3, 32),
]


CLOCK = time.perf_counter


def time_shape(shape, repeats):
    _, _, n, c, h, w, k, ks, groups = shape
    x = torch.rand(n, c, h, w) - 0.5
    x.requires_grad_(True)
    weight = (torch.rand(k, c // groups, ks, ks) - 0.5).requires_grad_(True)
    bias = (torch.rand(k) - 0.5).requires_grad_(True)
    dy = torch.rand(n, k, h, w) - 0.5
    fwd, bwd = [], []
    for r in range(repeats + 1):
        t0 = CLOCK()
        y = F.conv2d(x, weight, bias, padding=ks // 2, groups=groups)
        t1 = CLOCK()
        y.backward(dy)
        t2 = CLOCK()
        x.grad = weight.grad = bias.grad = None
        if r > 0:
            fwd.append(t1 - t0)
            bwd.append(t2 - t1)
    flops = 2.0 * n * k * h * w * (c // groups) * ks * ks
    return statistics.median(fwd), statistics.median(bwd), flops


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--clock", choices=("wall", "cpu"), default="wall")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    global CLOCK
    thread_counts = (1, 2)
    if args.clock == "cpu":
        CLOCK = time.thread_time
        thread_counts = (1,)
    runs = []
    for threads in thread_counts:
        torch.set_num_threads(threads)
        layers = []
        for s in SHAPES:
            f, b, flops = time_shape(s, args.repeats)
            layers.append({"shape": s[0], "what": s[1], "fwd_ms": 1e3 * f,
                           "fwd_gflops": flops / f / 1e9, "bwd_ms": 1e3 * b,
                           "bwd_gflops": 2 * flops / b / 1e9})
        runs.append({"threads": threads, "layers": layers})
    if args.json:
        print(json.dumps({"torch": torch.__version__, "clock": args.clock, "runs": runs}, indent=1))
        return
    for run in runs:
        print(f"torch {torch.__version__}, {run['threads']} thread(s)")
        for l in run["layers"]:
            print(f"  {l['shape']} {l['what']:<22} fwd {l['fwd_ms']:8.2f} ms {l['fwd_gflops']:6.1f} GFLOP/s"
                  f"   bwd {l['bwd_ms']:8.2f} ms {l['bwd_gflops']:6.1f} GFLOP/s")


if __name__ == "__main__":
    main()
