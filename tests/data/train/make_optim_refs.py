#!/usr/bin/python3
"""Reference values for the optimizer tests of tests/test_train_math.c.

Run once with torch 1.13 (Debian's python3-torch); the printed C arrays are
pasted into the test. Each case runs three steps of a torch.optim optimizer
on a float64 copy of a float32 parameter with float32 gradients and prints
the parameter after every step and the state after the last one (9
significant digits).
"""
import numpy as np
import torch

rng = np.random.default_rng(20240613)
N = 5


def c_float(v):
    s = f'{float(v):.9g}'
    return s + ('f' if any(c in s for c in '.e') else '.0f')


def c_array(name, a):
    a = np.asarray(a).ravel()
    print(f'static const float {name}[{a.size}] = {{{", ".join(c_float(v) for v in a)}}};')


p0 = rng.normal(0, 1, N).astype(np.float32)
grads = rng.normal(0, 1, (3, N)).astype(np.float32)
tiny = (rng.normal(0, 1, (3, N)) * 1e-7).astype(np.float32)
c_array('opt_p0', p0)
c_array('opt_g', grads)
c_array('opt_tiny_g', tiny)


def run(tag, make, grads_used, state_keys):
    p = torch.tensor(p0.astype(np.float64), requires_grad=True)
    opt = make([p])
    after = []
    for g in grads_used:
        p.grad = torch.tensor(g.astype(np.float64))
        opt.step()
        after.append(p.detach().numpy().copy())
    print(f'/* {tag} */')
    c_array(f'{tag}_p', np.stack(after))
    st = opt.state[p]
    for k in state_keys:
        c_array(f'{tag}_{k}', st[k].numpy())
    if 'step' in st:
        print(f'/* step = {float(st["step"])} */')


run('sgd_plain', lambda ps: torch.optim.SGD(ps, lr=0.1), grads, [])
run('sgd_momentum', lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1,
                                               weight_decay=0.01), grads, ['momentum_buffer'])
run('sgd_nesterov', lambda ps: torch.optim.SGD(ps, lr=0.05, momentum=0.9, weight_decay=1e-3,
                                               nesterov=True), grads, ['momentum_buffer'])
run('adam', lambda ps: torch.optim.Adam(ps, lr=0.01, betas=(0.8, 0.99), eps=1e-6,
                                        weight_decay=0.1), grads, ['exp_avg', 'exp_avg_sq'])
run('adam_tiny', lambda ps: torch.optim.Adam(ps, lr=0.01), tiny, ['exp_avg', 'exp_avg_sq'])
run('adamw', lambda ps: torch.optim.AdamW(ps, lr=0.01, weight_decay=0.1), grads,
    ['exp_avg', 'exp_avg_sq'])

# Two parameter groups: "fc.weight" at 10x the lr of "conv.weight", SGD with
# momentum (what vn_optimizer_set_lr_mult(opt, "fc.*", 10) must reproduce).
a = torch.tensor(p0.astype(np.float64), requires_grad=True)
b = torch.tensor(p0.astype(np.float64), requires_grad=True)
opt = torch.optim.SGD([{'params': [a], 'lr': 0.1}, {'params': [b]}], lr=0.01, momentum=0.9)
for g in grads:
    a.grad = torch.tensor(g.astype(np.float64))
    b.grad = torch.tensor(g.astype(np.float64))
    opt.step()
print('/* groups: fc at lr 0.1, conv at lr 0.01, momentum 0.9, after 3 steps */')
c_array('groups_fc_p3', a.detach().numpy())
c_array('groups_conv_p3', b.detach().numpy())
