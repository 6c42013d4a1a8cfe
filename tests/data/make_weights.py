#!/usr/bin/python3
"""make_weights.py - the safetensors files of tests/test_transfer.c.

Writes tests/data/weights/*.safetensors with numpy, json and struct only
(no safetensors package), laid out as Python's safetensors writes them:
8-byte little-endian header length, the JSON header padded with spaces to
a multiple of 8, then the tensors' little-endian bytes in header order.

They are weights for the test's small CNN:

    input shape=1,8,8
    conv2d name=conv1 out=4 k=3 pad=1      conv1.weight [4,1,3,3], conv1.bias [4]
    batch_norm2d name=bn1                  bn1.weight, bn1.bias, bn1.running_mean, bn1.running_var [4]
    relu, max_pool2d k=2, flatten
    dense name=fc out=3                    fc.weight [3,64], fc.bias [3]

Tensor number t (1-based, in the order above) holds t + i / 8 at flat index
i, so every value is exact in float32 and the test writes the expected
figures down: conv1.weight[5] = 1.625, fc.bias[2] = 8.25.

    full.safetensors        all eight, as the model has them
    missing.safetensors     without fc.weight and fc.bias
    unexpected.safetensors  all eight and extra.weight [2]
    mismatch.safetensors    fc.weight [5,64] and fc.bias [5] (a 5-class head)
    mixed.safetensors       no fc.bias, fc.weight [5,64], extra.weight [2]
    f16.safetensors         all eight, conv1.bias stored as F16

`make_weights.py --dump FILE` prints the name, dtype, shape and first
values of each tensor of any safetensors file (to check by hand that files
written by vn_model_save_weights read back in Python).
"""
import json
import os
import struct
import sys

import numpy as np

SHAPES = [
    ("conv1.weight", (4, 1, 3, 3)),
    ("conv1.bias", (4,)),
    ("bn1.weight", (4,)),
    ("bn1.bias", (4,)),
    ("bn1.running_mean", (4,)),
    ("bn1.running_var", (4,)),
    ("fc.weight", (3, 64)),
    ("fc.bias", (3,)),
]


def value(t, shape):
    n = int(np.prod(shape))
    return (t + np.arange(n, dtype=np.float32) / 8).astype(np.float32).reshape(shape)


def write(path, tensors):
    """tensors: list of (name, array) in file order."""
    header = {"__metadata__": {"format": "pt"}}
    blobs, offset = [], 0
    for name, a in tensors:
        dtype = {np.dtype(np.float32): "F32", np.dtype(np.float16): "F16"}[a.dtype]
        raw = a.astype(a.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": dtype, "shape": list(a.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def dump(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    body = data[8 + n:]
    print("metadata", header.pop("__metadata__", None))
    for name, e in header.items():
        assert e["dtype"] == "F32", e
        b, end = e["data_offsets"]
        a = np.frombuffer(body[b:end], dtype="<f4").reshape(e["shape"])
        print(name, e["dtype"], list(a.shape), a.ravel()[:4].tolist())


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--dump":
        dump(sys.argv[2])
        return
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")
    os.makedirs(out, exist_ok=True)
    full = [(name, value(t + 1, shape)) for t, (name, shape) in enumerate(SHAPES)]
    extra = ("extra.weight", value(9, (2,)))
    write(os.path.join(out, "full.safetensors"), full)
    write(os.path.join(out, "missing.safetensors"),
          [(n, a) for n, a in full if not n.startswith("fc.")])
    write(os.path.join(out, "unexpected.safetensors"), full + [extra])
    head5 = [("fc.weight", value(7, (5, 64))), ("fc.bias", value(8, (5,)))]
    write(os.path.join(out, "mismatch.safetensors"),
          [(n, a) for n, a in full if not n.startswith("fc.")] + head5)
    write(os.path.join(out, "mixed.safetensors"),
          [(n, a) for n, a in full if not n.startswith("fc.")] + head5[:1] + [extra])
    f16 = [(n, a.astype(np.float16) if n == "conv1.bias" else a) for n, a in full]
    write(os.path.join(out, "f16.safetensors"), f16)


if __name__ == "__main__":
    main()
