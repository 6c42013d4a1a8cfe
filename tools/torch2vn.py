#!/usr/bin/python3
"""torch2vn.py - convert PyTorch weights plus a libvisionnet spec into a
visionnet model file (.vnm).

    /usr/bin/python3 tools/torch2vn.py WEIGHTS.pt SPEC -o MODEL.vnm
        [--mean M[,M...] --std S[,S...] [--scale X]] [--classes FILE]
        [--prefix OLD=NEW]... [--seed N]

WEIGHTS is what torch.save wrote: a state dict (.pt / .pth), a checkpoint
dict holding one under "state_dict" or "model", or a whole nn.Module (its
class must be importable: on PYTHONPATH or in a module beside the file),
or a TorchScript file (torch.jit.save). SPEC
is the network in libvisionnet's spec language (docs/networks.md) whose
node names are the PyTorch module names, so the state-dict names are the
model file's tensor names unchanged (conv1.weight, bn1.running_mean, ...).
"num_batches_tracked" buffers are dropped; a "module." prefix
(DataParallel) is removed; --prefix OLD=NEW renames names that start with
OLD (e.g. --prefix features.0.=conv1. for a Sequential).

The script builds the spec's parameter list with its shapes itself (the
shape rules of docs/networks.md, section 3), compares it with the weights
and refuses, listing every problem, when a tensor is missing, unexpected or
of another shape. Then it writes the file as docs/model-files.md describes
(safetensors; __metadata__ with format, format_version, the CRC-32 of the
data section as zlib computes it, the spec, the preprocessing, the class
names), atomically: a temporary file beside the target, fsync, rename.

--mean / --std / --scale give the preprocessing a u8 image goes through,
x = (u8 * scale - mean[c]) / std[c] (scale defaults to 1/255); --classes a
text file with one class name per line (as many as the model's outputs).

Needs torch and numpy only. Exit status 0, or 1 with "torch2vn: ..." lines
on stderr.
"""
import argparse
import json
import os
import re
import struct
import sys
import tempfile
import zlib

import numpy as np


class ConvertError(Exception):
    """A problem the user must fix; the message says which."""


# ---- the spec -------------------------------------------------------------------

def _ints(text, what, n=None):
    try:
        v = [int(t) for t in text.split(",")]
    except ValueError:
        raise ConvertError("%s: '%s' is not a list of integers" % (what, text))
    if n is not None and len(v) not in (1, n):
        raise ConvertError("%s: give 1 or %d values, not '%s'" % (what, n, text))
    return v


def _pair(attrs, key, default, who):
    if key not in attrs:
        if default is None:
            raise ConvertError("%s: attribute '%s' is required" % (who, key))
        return default
    v = _ints(attrs[key], "%s: %s" % (who, key), 2)
    return (v[0], v[-1])


def parse_spec(text):
    """[(type, name, attrs, line)] and the input shape, from spec text."""
    shape, nodes, names = None, [], set()
    for lineno, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        words = line.split()
        kind, attrs = words[0], {}
        for w in words[1:]:
            if "=" not in w:
                raise ConvertError("spec line %d: '%s' is not a key=value word" % (lineno, w))
            k, v = w.split("=", 1)
            attrs[k] = v
        if shape is None:
            if kind != "input" or "shape" not in attrs:
                raise ConvertError("spec line %d: the first line must be 'input shape=C,H,W'" % lineno)
            shape = tuple(_ints(attrs["shape"], "spec line %d: shape" % lineno))
            continue
        name = attrs.get("name")
        if name is None:
            k = len(nodes) + 1
            while "%s_%d" % (kind, k) in names:
                k += 1
            name = "%s_%d" % (kind, k)
        if name in names or name == "input":
            raise ConvertError("spec line %d: node name '%s' is used twice" % (lineno, name))
        names.add(name)
        nodes.append((kind, name, attrs, lineno))
    if shape is None:
        raise ConvertError("the spec has no 'input shape=...' line")
    return shape, nodes


def _window(hw, k, s, p, pe, d, ceil=False):
    """Output rows / columns of a window op (docs/networks.md, section 3)."""
    out = []
    for i in range(2):
        span = hw[i] + p[i] + pe[i] - d[i] * (k[i] - 1) - 1
        o = (-(-span // s[i]) if ceil else span // s[i]) + 1
        if ceil and (o - 1) * s[i] >= hw[i] + p[i]:
            o -= 1  # the last window must start inside the input or the leading padding
        out.append(o)
    return tuple(out)


def _axis(dim, rank, who):
    """A spec `dim` (1..rank counting the batch as 0, or negative) as a per-sample axis."""
    d = int(dim)
    a = d - 1 if d > 0 else rank + d
    if not 0 <= a < rank:
        raise ConvertError("%s: dim=%s is not an axis of a %d-d sample" % (who, dim, rank))
    return a


def spec_params(text):
    """The model's tensors in file order: [(name, shape)], and its output shape."""
    in_shape, nodes = parse_spec(text)
    shapes = {"input": in_shape}
    prev = "input"
    params = []
    for kind, name, a, lineno in nodes:
        who = "spec line %d: %s '%s'" % (lineno, kind, name)
        ins = a["inputs"].split(",") if "inputs" in a else [prev]
        for i in ins:
            if i not in shapes:
                raise ConvertError("%s: input '%s' is not an earlier node" % (who, i))
        x = shapes[ins[0]]
        bias = a.get("bias", "1") != "0"
        if kind in ("conv2d", "conv_transpose2d"):
            if len(x) != 3:
                raise ConvertError("%s: needs a [C, H, W] input, not %s" % (who, list(x)))
            if "out" not in a:
                raise ConvertError("%s: attribute 'out' is required" % who)
            out = int(a["out"])
            g = int(a.get("groups", "1"))
            k = _pair(a, "k", None, who)
            st = _pair(a, "stride", (1, 1), who)
            p = _pair(a, "pad", (0, 0), who)
            pe = _pair(a, "pad_end", p, who)
            d = _pair(a, "dilation", (1, 1), who)
            if g < 1 or x[0] % g or out % g:
                raise ConvertError("%s: groups=%d does not divide %d input and %d output channels"
                                   % (who, g, x[0], out))
            if kind == "conv2d":
                params.append((name + ".weight", (out, x[0] // g, k[0], k[1])))
                hw = _window(x[1:], k, st, p, pe, d)
            else:
                op = _pair(a, "output_pad", (0, 0), who)
                params.append((name + ".weight", (x[0], out // g, k[0], k[1])))
                hw = tuple((x[i + 1] - 1) * st[i] - p[i] - pe[i] + d[i] * (k[i] - 1) + op[i] + 1
                           for i in range(2))
            if bias:
                params.append((name + ".bias", (out,)))
            y = (out,) + tuple(hw)
        elif kind == "dense":
            if "out" not in a:
                raise ConvertError("%s: attribute 'out' is required" % who)
            out = int(a["out"])
            params.append((name + ".weight", (out, int(np.prod(x)))))
            if bias:
                params.append((name + ".bias", (out,)))
            y = (out,)
        elif kind == "batch_norm2d":
            c = x[0]
            params += [(name + ".weight", (c,)), (name + ".bias", (c,)),
                       (name + ".running_mean", (c,)), (name + ".running_var", (c,))]
            y = x
        elif kind in ("max_pool2d", "avg_pool2d"):
            k = _pair(a, "k", None, who)
            st = _pair(a, "stride", k, who)
            p = _pair(a, "pad", (0, 0), who)
            pe = _pair(a, "pad_end", p, who)
            d = _pair(a, "dilation", (1, 1), who)
            y = (x[0],) + _window(x[1:], k, st, p, pe, d, a.get("ceil_mode", "0") != "0")
        elif kind == "adaptive_avg_pool2d":
            o = _pair(a, "out", None, who)
            y = (x[0], o[0], o[1])
        elif kind == "global_avg_pool":
            y = (x[0], 1, 1)
        elif kind == "flatten":
            y = (int(np.prod(x)),)
        elif kind == "upsample":
            s = int(a.get("scale", "2"))
            y = (x[0], x[1] * s, x[2] * s)
        elif kind == "concat":
            ax = _axis(a.get("dim", "1"), len(x), who)
            y = list(x)
            y[ax] = sum(shapes[i][ax] for i in ins)
            y = tuple(y)
        elif kind == "constant":
            if "shape" not in a:
                raise ConvertError("%s: attribute 'shape' is required" % who)
            y = tuple(_ints(a["shape"], who + ": shape"))
            params.append((name + ".value", y))
        elif kind == "matmul":
            if len(ins) == 1:
                if "out" not in a:
                    raise ConvertError("%s: attribute 'out' is required" % who)
                out = int(a["out"])
                params.append((name + ".weight", (x[-1], out)))
                if bias:
                    params.append((name + ".bias", (out,)))
                y = tuple(x[:-1]) + (out,)
            else:
                b = shapes[ins[1]]
                try:
                    lead = tuple(np.broadcast_shapes(tuple(x[:-2]), tuple(b[:-2])))
                except ValueError:
                    raise ConvertError("%s: %s @ %s do not broadcast" % (who, list(x), list(b)))
                y = lead + (x[-2], b[-1])
        elif kind == "reshape":
            y = tuple(_ints(a["shape"], who + ": shape")) if "shape" in a else None
            if y is None or int(np.prod(y)) != int(np.prod(x)):
                raise ConvertError("%s: shape %s does not hold the %d values of %s"
                                   % (who, a.get("shape"), int(np.prod(x)), list(x)))
        elif kind == "pad":
            pads = _ints(a.get("pads", ""), who + ": pads") if "pads" in a else None
            if pads is None or len(pads) != 2 * len(x):
                raise ConvertError("%s: pads needs %d values" % (who, 2 * len(x)))
            y = tuple(x[i] + pads[i] + pads[len(x) + i] for i in range(len(x)))
        elif kind == "resize":
            sz = _pair(a, "size", None, who)
            y = (x[0], sz[0], sz[1])
        elif kind in ("add", "mul", "sub", "div"):
            try:
                y = tuple(np.broadcast_shapes(*(shapes[i] for i in ins)))
            except ValueError:
                raise ConvertError("%s: inputs %s do not broadcast" % (who, [list(shapes[i]) for i in ins]))
        elif kind in ("relu", "leaky_relu", "sigmoid", "tanh", "gelu", "softmax",
                      "log_softmax", "dropout", "identity", "clip"):
            y = x
        else:
            raise ConvertError("%s: layer type '%s' is not known to torch2vn.py" % (who, kind))
        if any(v < 1 for v in y):
            raise ConvertError("%s: output shape %s is empty" % (who, list(y)))
        shapes[name] = y
        prev = name
    return params, shapes[prev]


# ---- the weights ------------------------------------------------------------------

def load_state_dict(path, prefixes):
    import torch

    if not os.path.isfile(path):
        raise ConvertError("%s: no such file" % path)
    # A pickled nn.Module needs its class: look beside the file too.
    sys.path.insert(0, os.path.dirname(os.path.abspath(path)))
    try:
        obj = torch.load(path, map_location="cpu")
    except Exception as e:  # pickle errors, zip errors, a missing class, ...
        try:
            obj = torch.jit.load(path, map_location="cpu")  # TorchScript
        except Exception:
            raise ConvertError("%s: not a PyTorch file torch.load can read (%s)"
                               % (path, str(e).splitlines()[0] if str(e) else type(e).__name__))
    finally:
        sys.path.pop(0)
    if isinstance(obj, (torch.nn.Module, torch.jit.ScriptModule)):
        obj = obj.state_dict()
    if isinstance(obj, dict):
        for key in ("state_dict", "model", "model_state_dict"):
            if key in obj and isinstance(obj[key], dict):
                obj = obj[key]
                break
    if not isinstance(obj, dict) or not all(torch.is_tensor(v) for v in obj.values()):
        raise ConvertError("%s: holds neither a state dict nor an nn.Module" % path)
    out = {}
    for name, t in obj.items():
        if name.startswith("module."):
            name = name[len("module."):]
        for old, new in prefixes:
            if name.startswith(old):
                name = new + name[len(old):]
                break
        if name.endswith("num_batches_tracked"):
            continue
        if not t.is_floating_point():
            raise ConvertError("%s: tensor '%s' is %s, not a float tensor" % (path, name, t.dtype))
        out[name] = t.detach().to(torch.float32).contiguous().numpy()
    return out


def check(params, tensors):
    """Every problem, one sentence each."""
    problems = []
    want = dict(params)
    for name, shape in params:
        if name not in tensors:
            problems.append("'%s' %s is in the spec but not in the weights" % (name, list(shape)))
        elif tuple(tensors[name].shape) != tuple(shape):
            problems.append("'%s' is %s in the weights but %s in the spec's model"
                            % (name, list(tensors[name].shape), list(shape)))
    for name, t in tensors.items():
        if name not in want:
            problems.append("'%s' %s is in the weights but names no parameter of the spec"
                            % (name, list(t.shape)))
    return problems


# ---- the file -----------------------------------------------------------------------

def model_file_bytes(params, tensors, meta):
    data = b"".join(np.ascontiguousarray(tensors[n], "<f4").tobytes() for n, _ in params)
    meta = dict(meta)
    meta["crc32"] = "%08x" % (zlib.crc32(data) & 0xFFFFFFFF)
    header = {"__metadata__": meta}
    at = 0
    for name, shape in params:
        n = 4 * int(np.prod(shape, dtype=np.int64))
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [at, at + n]}
        at += n
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    return struct.pack("<Q", len(text)) + text + data


def write_atomic(path, data):
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=os.path.basename(path) + ".tmp-", dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _floats(text, what):
    try:
        return [float(t) for t in text.split(",")]
    except ValueError:
        raise ConvertError("%s: '%s' is not a list of numbers" % (what, text))


def convert(weights, spec_path, out, mean=None, std=None, scale=None, classes=None,
            prefixes=(), seed=None):
    try:
        with open(spec_path, encoding="utf-8") as f:
            spec = f.read()
    except OSError as e:
        raise ConvertError("%s: %s" % (spec_path, e.strerror))
    if seed is not None:
        spec = re.sub(r"^(\s*input\b[^\n#]*?)(\s+seed=\S+)?(\s*(#.*)?)$",
                      lambda m: m.group(1) + " seed=%d" % seed + m.group(3), spec,
                      count=1, flags=re.M)
    params, out_shape = spec_params(spec)
    tensors = load_state_dict(weights, prefixes)
    problems = check(params, tensors)
    if problems:
        raise ConvertError("%s does not fit %s: %s" % (weights, spec_path, "; ".join(problems)))
    meta = {"format": "visionnet", "format_version": "1", "spec": spec, "model_step": "0"}
    if mean is not None or std is not None or scale is not None:
        words = ["scale=%.9g" % (scale if scale is not None else 1.0 / 255.0)]
        if mean is not None:
            words.append("mean=" + ",".join("%.9g" % v for v in _floats(mean, "--mean")))
        if std is not None:
            s = _floats(std, "--std")
            if any(v <= 0 for v in s):
                raise ConvertError("--std: every value must be > 0")
            words.append("std=" + ",".join("%.9g" % v for v in s))
        meta["preprocess"] = " ".join(words)
    if classes is not None:
        try:
            with open(classes, encoding="utf-8") as f:
                names = [ln.rstrip("\r\n") for ln in f if ln.strip()]
        except OSError as e:
            raise ConvertError("%s: %s" % (classes, e.strerror))
        if len(out_shape) != 1 or len(names) != out_shape[0]:
            raise ConvertError("%s: %d class names for a model with output %s"
                               % (classes, len(names), list(out_shape)))
        meta["classes"] = json.dumps(names)
    write_atomic(out, model_file_bytes(params, tensors, meta))
    return params


def main(argv=None):
    ap = argparse.ArgumentParser(
        prog="torch2vn.py",
        description="Convert a PyTorch state dict (or module) plus a libvisionnet spec "
                    "into a visionnet model file.")
    ap.add_argument("weights", help="a .pt / .pth file written by torch.save")
    ap.add_argument("spec", help="the network as a libvisionnet spec file")
    ap.add_argument("-o", "--out", required=True, help="the model file to write (.vnm)")
    ap.add_argument("--mean", help="per-channel mean of the preprocessing, e.g. 0.485,0.456,0.406")
    ap.add_argument("--std", help="per-channel std of the preprocessing, e.g. 0.229,0.224,0.225")
    ap.add_argument("--scale", type=float, help="u8 scale of the preprocessing (default 1/255)")
    ap.add_argument("--classes", help="a text file with one class name per line")
    ap.add_argument("--prefix", action="append", default=[], metavar="OLD=NEW",
                    help="rename state-dict names starting with OLD (repeatable)")
    ap.add_argument("--seed", type=int, help="the seed written into the spec's input line")
    a = ap.parse_args(argv)
    prefixes = []
    for p in a.prefix:
        if "=" not in p:
            print("torch2vn: --prefix: '%s' is not OLD=NEW" % p, file=sys.stderr)
            return 1
        prefixes.append(tuple(p.split("=", 1)))
    try:
        params = convert(a.weights, a.spec, a.out, a.mean, a.std, a.scale, a.classes, prefixes,
                         a.seed)
    except ConvertError as e:
        print("torch2vn: %s" % e, file=sys.stderr)
        return 1
    n = sum(int(np.prod(s)) for _, s in params)
    print("%s: %d tensors, %d values, written from %s and %s" % (a.out, len(params), n,
                                                                  a.weights, a.spec))
    return 0


if __name__ == "__main__":
    sys.exit(main())
