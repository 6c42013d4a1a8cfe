#!/usr/bin/python3
"""Reference values for the loss tests of tests/test_train_math.c.

Run once with torch 1.13 (Debian's python3-torch); the printed C arrays are
pasted into the test. Inputs are float32 values; references are computed in
float64 from them (as the conformance set does) and printed with 9
significant digits.
"""
import numpy as np
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
rng = np.random.default_rng(20240612)


def f32(a):
    return np.asarray(a, dtype=np.float32)


def c_float(v):
    s = f'{float(v):.9g}'
    return s + ('f' if any(c in s for c in '.e') else '.0f')


def c_array(name, a):
    a = np.asarray(a).ravel()
    if a.dtype.kind == 'i':
        body = ', '.join(str(int(v)) for v in a)
        print(f'static const int32_t {name}[{a.size}] = {{{body}}};')
    else:
        body = ', '.join(c_float(v) for v in a)
        print(f'static const float {name}[{a.size}] = {{{body}}};')


def grad_of(fn, x, *rest):
    x = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    loss = fn(x, *rest)
    loss.backward()
    return loss.item(), x.grad.numpy()


def ce_case(tag, logits, targets, eps):
    t = torch.tensor(targets) if targets.dtype.kind == 'i' else torch.tensor(targets, dtype=torch.float64)
    if targets.dtype.kind == 'i':
        t = t.long()
    loss, g = grad_of(lambda x: F.cross_entropy(x, t, label_smoothing=eps), logits)
    print(f'/* {tag}: F.cross_entropy(label_smoothing={eps}) */')
    c_array(f'{tag}_loss', [loss])
    c_array(f'{tag}_dlogits', g)


# Cross-entropy: N=3, K=4.
logits = f32(rng.normal(0, 2, (3, 4)))
labels = np.array([2, 0, 3], dtype=np.int32)
c_array('ce_logits', logits)
c_array('ce_labels', labels)
ce_case('ce_labels_eps0', logits, labels, 0.0)
ce_case('ce_labels_eps02', logits, labels, 0.2)

soft = f32(rng.dirichlet(np.ones(4), 3))
c_array('ce_soft', soft)
ce_case('ce_soft_eps0', logits, soft, 0.0)
ce_case('ce_soft_eps01', logits, soft, 0.1)

# Rows that do not sum to 1 (0.5 and 1.5 and 1): used as given.
unnorm = f32([[0.25, 0.25, 0.0, 0.0], [0.5, 0.0, 1.0, 0.0], [0.0, 0.0, 0.0, 1.0]])
c_array('ce_unnorm', unnorm)
ce_case('ce_unnorm_eps0', logits, unnorm, 0.0)

# Extreme logits: +-100 and 1e4 apart.
big = f32([[100.0, -100.0, 0.0], [-100.0, -100.0, 100.0], [1e4, -1e4, 0.0]])
big_labels = np.array([1, 2, 1], dtype=np.int32)
c_array('ce_big_logits', big)
c_array('ce_big_labels', big_labels)
ce_case('ce_big', big, big_labels, 0.1)

# MSE: [2, 3].
pred = f32(rng.normal(0, 1, (2, 3)))
target = f32(rng.normal(0, 1, (2, 3)))
c_array('mse_pred', pred)
c_array('mse_target', target)
loss, g = grad_of(lambda x: F.mse_loss(x, torch.tensor(target, dtype=torch.float64)), pred)
print('/* F.mse_loss */')
c_array('mse_loss', [loss])
c_array('mse_dpred', g)

# BCE with logits: [2, 4] soft targets, with +-100 and +-35 in the logits.
x = f32([[0.3, -1.7, 100.0, -100.0], [35.0, -35.0, 2.5, -0.0625]])
t = f32(rng.uniform(0, 1, (2, 4)))
t[0, 2] = 0.0   # confident and wrong
t[0, 3] = 1.0
c_array('bce_logits', x)
c_array('bce_target', t)
loss, g = grad_of(lambda z: F.binary_cross_entropy_with_logits(z, torch.tensor(t, dtype=torch.float64)), x)
print('/* F.binary_cross_entropy_with_logits */')
c_array('bce_loss', [loss])
c_array('bce_dlogits', g)
