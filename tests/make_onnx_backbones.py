#!/usr/bin/python3
"""make_onnx_backbones.py OUTDIR - real backbones for the ONNX importer
(issue 7, item 6), written to OUTDIR (not committed: about 60 MB).

torchvision's resnet18 and mobilenet_v2 with random weights
(torch.manual_seed(0) before each is built; weights=None; batch-norm
parameters and running statistics then drawn from a fixed generator, see
randomise_batch_norm), in eval mode, exported with torch.onnx.export at
opset 13 twice each:

    resnet18.onnx, mobilenet_v2.onnx          the default export: batch-norm
                                              folded into the convolutions
    resnet18_bn.onnx, mobilenet_v2_bn.onnx    batch-norm kept as
                                              BatchNormalization nodes
                                              (training=TrainingMode.PRESERVE,
                                              do_constant_folding=False)

The graph input "input" is [N, 3, 224, 224] with N symbolic (dynamic_axes).
The script checks in each exported graph that BatchNormalization nodes are
absent (folded) or present (kept), and prints each file's operators.

Inputs: three real photos shipped with scikit-image (astronaut, coffee,
chelsea), resized to 224x224 (skimage.transform.resize, anti-aliased),
scaled to [0, 1] and normalised with ImageNet's mean and std:

    inputs.npy                 f32 [3, 3, 224, 224]
    logits_resnet18.npy        f32 [3, 1000], torch's output on inputs.npy
    logits_mobilenet_v2.npy    f32 [3, 1000]

Torch runs single-threaded in float32. Needs /usr/bin/python3 with torch,
torchvision, onnx, numpy and scikit-image (Debian: python3-torch,
python3-torchvision, python3-onnx, python3-skimage).
"""
import os
import sys

import numpy as np
import onnx
import skimage.data
import skimage.transform
import torch
import torchvision

MEAN = np.array([0.485, 0.456, 0.406], np.float32)
STD = np.array([0.229, 0.224, 0.225], np.float32)


def photos():
    out = []
    for name in ("astronaut", "coffee", "chelsea"):
        img = getattr(skimage.data, name)()[..., :3]
        img = skimage.transform.resize(img, (224, 224), anti_aliasing=True)  # float64 in [0, 1]
        x = (img.astype(np.float32) - MEAN) / STD
        out.append(x.transpose(2, 0, 1))
    return np.ascontiguousarray(np.stack(out), dtype=np.float32)


def randomise_batch_norm(model):
    """Batch-norm as a trained network has it. torchvision initialises
    weight 1, bias 0, running mean 0, running variance 1: folding such a
    batch-norm changes nothing, and mobilenet_v2's random logits come out
    around 1e-9. Drawn from a fixed generator instead: weight U(0.75, 1.25),
    bias N(0, 0.1), running mean N(0, 0.1), running variance U(0.5, 1)."""
    g = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                c = mod.num_features
                mod.running_mean.copy_(torch.randn(c, generator=g) * 0.1)
                mod.running_var.copy_(torch.rand(c, generator=g) * 0.5 + 0.5)
                mod.weight.copy_(torch.rand(c, generator=g) * 0.5 + 0.75)
                mod.bias.copy_(torch.randn(c, generator=g) * 0.1)


def export(model, x, path, keep_bn):
    kw = dict(opset_version=13, input_names=["input"], output_names=["logits"],
              dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    if keep_bn:
        kw.update(training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
    torch.onnx.export(model, x, path, **kw)
    g = onnx.load(path)
    onnx.checker.check_model(g)
    ops = sorted({n.op_type for n in g.graph.node})
    n_bn = sum(n.op_type == "BatchNormalization" for n in g.graph.node)
    if keep_bn and n_bn == 0:
        sys.exit("make_onnx_backbones: %s has no BatchNormalization node" % path)
    if not keep_bn and n_bn:
        sys.exit("make_onnx_backbones: %s still has %d BatchNormalization nodes" % (path, n_bn))
    print("%s: %d nodes, %d BatchNormalization; operators %s"
          % (os.path.basename(path), len(g.graph.node), n_bn, ", ".join(ops)))


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: make_onnx_backbones.py OUTDIR")
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    x = photos()
    np.save(os.path.join(out, "inputs.npy"), x)
    xt = torch.from_numpy(x)
    for name in ("resnet18", "mobilenet_v2"):
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)(weights=None).eval()
        randomise_batch_norm(model)
        with torch.no_grad():
            logits = model(xt).numpy()
        np.save(os.path.join(out, "logits_%s.npy" % name), logits)
        export(model, xt[:1], os.path.join(out, name + ".onnx"), keep_bn=False)
        model.eval()
        export(model, xt[:1], os.path.join(out, name + "_bn.onnx"), keep_bn=True)
        model.eval()


if __name__ == "__main__":
    main()
