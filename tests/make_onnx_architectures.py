#!/usr/bin/python3
"""make_onnx_architectures.py OUTDIR - more torchvision architectures for
the ONNX importer than make_onnx_backbones.py's two (issue 7: "a model of
another architecture built from the supported operators"), written to
OUTDIR (not committed: about 220 MB with the imported models).

Six networks whose exports use only mapped operators, each a different way
of wiring convolutions: squeezenet1_1 (Fire modules: Concat of 1x1 and 3x3
branches), densenet121 (dense blocks: Concat of every earlier map, BN kept
as BatchNormalization nodes by the export, Pad and AveragePool
transitions), googlenet (Inception branches, ceil-mode MaxPool),
efficientnet_b0 (SiLU as Sigmoid * x, squeeze-excite Mul broadcasts,
depthwise convs), mnasnet0_5 (pooling exported as ReduceMean),
regnet_x_400mf (grouped convs). (vgg11 and alexnet import and match too,
within 1.4e-6, but their 0.5 and 0.25 GB of weights add nothing these do
not test.)
torch.manual_seed(0) before each is built (weights=None), batch-norm running
statistics drawn from a fixed generator, eval mode, torch.onnx.export at
opset 13 (batch-norm folded where torch folds it), input "input"
[N, 3, 224, 224] with N symbolic.

    models.txt                the names, one a line
    inputs.npy                f32 [2, 3, 224, 224], torch.randn (seed 1)
    <name>.onnx, logits_<name>.npy   the export and torch's logits [2, 1000]

Needs /usr/bin/python3 with torch, torchvision, onnx and numpy.
"""
import os
import sys

import numpy as np
import torch
import torchvision

NAMES = ["squeezenet1_1", "densenet121", "googlenet", "efficientnet_b0", "mnasnet0_5",
         "regnet_x_400mf"]


def main(out):
    torch.set_num_threads(1)
    os.makedirs(out, exist_ok=True)
    x = torch.randn(2, 3, 224, 224, generator=torch.Generator().manual_seed(1))
    np.save(os.path.join(out, "inputs.npy"), x.numpy())
    for name in NAMES:
        torch.manual_seed(0)
        kw = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
        model = getattr(torchvision.models, name)(weights=None, **kw).eval()
        g = torch.Generator().manual_seed(3)
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.copy_(torch.randn(mod.num_features, generator=g) * 0.1)
                mod.running_var.copy_(torch.rand(mod.num_features, generator=g) + 0.5)
        with torch.no_grad():
            y = model(x)
        np.save(os.path.join(out, "logits_%s.npy" % name), y.numpy())
        torch.onnx.export(model, x, os.path.join(out, name + ".onnx"), opset_version=13,
                          input_names=["input"], output_names=["logits"],
                          dynamic_axes={"input": {0: "N"}})
    with open(os.path.join(out, "models.txt"), "w") as f:
        f.write("\n".join(NAMES) + "\n")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: make_onnx_architectures.py OUTDIR")
    main(sys.argv[1])
