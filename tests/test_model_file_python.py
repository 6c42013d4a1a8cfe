#!/usr/bin/python3
"""test_model_file_python.py WRITER - a model file is plain safetensors.

WRITER (write_model_for_python.c) saves a model with its optimizer and
every tensor also as .npy. This script reads the model file back with
nothing but json, struct, zlib and numpy -- no safetensors package -- and
checks that it is a valid safetensors file (header length, 8-byte
alignment, JSON header, data offsets tiling the data section exactly) whose
tensors have the names, shapes and values the C side wrote, and that the
__metadata__ holds what docs/model-files.md says.
"""
import json
import os
import struct
import subprocess
import sys
import tempfile
import zlib

try:
    import numpy as np
except ImportError:  # meson: 77 = skipped
    print("numpy is not available")
    sys.exit(77)


def read_safetensors(path):
    """The 5 lines of docs/model-files.md."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__")
    tensors = {name: np.frombuffer(data[t["data_offsets"][0]:t["data_offsets"][1]], "<f4")
               .reshape(t["shape"]) for name, t in header.items()}
    return n, header, meta, tensors, data


def main():
    writer = sys.argv[1]
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    with tempfile.TemporaryDirectory() as d:
        subprocess.run([writer, d], check=True)
        path = os.path.join(d, "model.vnm")
        n, header, meta, tensors, data = read_safetensors(path)

        check((8 + n) % 8 == 0, "the data starts 8-byte aligned")
        with open(path, "rb") as f:
            raw = f.read()
        check(raw[8:9] == b"{", "the header starts with '{'")
        check(raw[8:8 + n].rstrip(b" ").endswith(b"}"), "the header is padded with spaces")

        # offsets tile the data section in header order, F32 only
        at = 0
        for name, t in header.items():
            check(t["dtype"] == "F32", name + " is F32")
            begin, end = t["data_offsets"]
            check(begin == at, name + " starts where the previous tensor ended")
            check(end - begin == 4 * int(np.prod(t["shape"], dtype=np.int64)),
                  name + " offsets match its shape")
            at = end
        check(at == len(data), "the tensors cover the data section exactly")

        expected_params = ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias",
                           "bn1.running_mean", "bn1.running_var", "fc.weight", "fc.bias"]
        names = list(header)
        check(names[:len(expected_params)] == expected_params,
              "parameters in state-dict order under PyTorch names: %s" % names)
        shapes = {"conv1.weight": [4, 3, 3, 3], "conv1.bias": [4], "bn1.running_var": [4],
                  "fc.weight": [5, 64], "fc.bias": [5]}
        for name, shape in shapes.items():
            check(header[name]["shape"] == shape, "%s has shape %s" % (name, shape))
        for name in ["conv1.weight", "conv1.bias", "fc.weight", "fc.bias"]:
            check(header["optimizer.%s.momentum_buffer" % name]["shape"] == header[name]["shape"],
                  "momentum buffer of " + name)

        # every tensor equals the .npy the C side wrote
        for name, value in tensors.items():
            ref = np.load(os.path.join(d, name + ".npy"))
            check(ref.dtype == np.float32 and ref.shape == value.shape and
                  ref.tobytes() == value.tobytes(), name + " equals its .npy")
        check(not np.all(tensors["bn1.running_var"] == 1.0), "running_var moved after a step")

        check(meta["format"] == "visionnet", "format")
        check(meta["format_version"] == "1", "format_version")
        check(meta["crc32"] == "%08x" % (zlib.crc32(data) & 0xFFFFFFFF), "crc32 of the data")
        check(meta["spec"].startswith("input shape=3,8,8 seed=11\nconv2d name=conv1 out=4 k=3"),
              "spec text: %r" % meta["spec"][:60])
        check(json.loads(meta["classes"]) == ["zero", "one", "two", "three", "four"], "classes")
        check(meta["preprocess"] == "scale=0.003921569 mean=0.485,0.456,0.406 std=0.229,0.224,0.225",
              "preprocess: %r" % meta["preprocess"])
        check(meta["optimizer"].startswith("sgd lr=0.1 momentum=0.9"), "optimizer")
        check(meta["optimizer_step"] == "1", "optimizer_step")
        check(all(isinstance(v, str) for v in meta.values()), "metadata maps strings to strings")

    for f in failures:
        print("FAIL:", f)
    print("%d checks failed" % len(failures) if failures else "ok")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
