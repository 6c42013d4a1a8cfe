#!/usr/bin/python3
"""Reference learning rates for the schedule tests of tests/test_train_math.c.

Run once with torch 1.13; the printed C arrays are pasted into the test.
Each array holds scheduler.get_last_lr()[0] after 0, 1, 2, ... calls of
scheduler.step() for a base lr of 0.1 (9 significant digits).
"""
import warnings

import torch
from torch.optim import lr_scheduler as S

warnings.filterwarnings('ignore')
STEPS = 16


def c_float(v):
    s = f'{float(v):.9g}'
    return s + ('f' if any(c in s for c in '.e') else '.0f')


def run(tag, make):
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=0.1)
    sched = make(opt)
    lrs = []
    for _ in range(STEPS):
        lrs.append(sched.get_last_lr()[0])
        opt.step()
        sched.step()
    print(f'/* {tag} */')
    print(f'static const float {tag}[{STEPS}] = {{{", ".join(c_float(v) for v in lrs)}}};')


def warm(opt, w, start, main):
    return S.SequentialLR(opt, [S.LinearLR(opt, start_factor=start, end_factor=1.0, total_iters=w),
                                main], milestones=[w])


run('sched_step_3_05', lambda o: S.StepLR(o, step_size=3, gamma=0.5))
run('sched_multistep_2_5_01', lambda o: S.MultiStepLR(o, milestones=[2, 5], gamma=0.1))
run('sched_cosine_10_0001', lambda o: S.CosineAnnealingLR(o, T_max=10, eta_min=0.001))
run('sched_warm4_01_cosine_8', lambda o: warm(o, 4, 0.1, S.CosineAnnealingLR(o, T_max=8)))
run('sched_warm3_025_step_4_05', lambda o: warm(o, 3, 0.25, S.StepLR(o, step_size=4, gamma=0.5)))
run('sched_linear_5_default', lambda o: S.LinearLR(o, total_iters=5))
