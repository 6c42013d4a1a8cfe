#!/usr/bin/python3
"""make_models.py - model files for the tests: tests/data/models/ (valid ones)
and tests/data/bad_models/ (damaged or foreign ones).

The files are written here in plain Python (struct + json + numpy + zlib),
not by the library, so the loader is tested on files it did not write and
the format in docs/model-files.md is checked from the other side.

models/tiny.vnm is a linear classifier on 4x4 grey images whose outputs are
easy to compute by hand (tests/test_cli_model.sh writes the expected
figures down):
    x      = (u8 / 255 - 0.5) / 0.25            for each of the 16 pixels
    logits = [mean(x), 0.5, -mean(x)]           classes dark, mid, bright
so a uniform image of value v has logits [x, 0.5, -x] with x = (v/255-0.5)/0.25.
(The class names are deliberately "wrong way round": class 0 "bright" wins
for bright images.)

Every file of bad_models/ must be refused by vn_model_load with
VN_ERR_FORMAT (VN_ERR_UNSUPPORTED for the future version) and by
`visionnet info` / `predict` with exit 1 and one line. The name says what
is wrong. Run with /usr/bin/python3.
"""
import json
import os
import struct
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
GOOD = os.path.join(HERE, "models")
BAD = os.path.join(HERE, "bad_models")

TINY_SPEC = "input shape=1,4,4 seed=0\nflatten name=flat\ndense name=fc out=3\n"


def tiny_tensors():
    w = np.zeros((3, 16), np.float32)
    w[0, :] = 1.0 / 16
    w[2, :] = -1.0 / 16
    b = np.array([0.0, 0.5, 0.0], np.float32)
    return {"fc.weight": w, "fc.bias": b}


def tiny_meta():
    return {
        "format": "visionnet",
        "format_version": "1",
        "spec": TINY_SPEC,
        "preprocess": "scale=0.003921569 mean=0.5 std=0.25",
        "classes": json.dumps(["bright", "mid", "dark"]),
    }


def vnm_bytes(tensors, meta, crc=None, offsets=None, dtype="F32", shapes=None, extra=b""):
    """A safetensors file: tensors packed in order (then `extra` bytes), meta
    as __metadata__ with "crc32" added (the real one unless crc is given)."""
    data = b"".join(np.ascontiguousarray(t, "<f4").tobytes() for t in tensors.values()) + extra
    header = {}
    if meta is not None:
        meta = dict(meta)
        meta["crc32"] = crc if crc is not None else "%08x" % (zlib.crc32(data) & 0xFFFFFFFF)
        header["__metadata__"] = meta
    at = 0
    for i, (name, t) in enumerate(tensors.items()):
        n = t.size * 4
        header[name] = {
            "dtype": dtype if i == len(tensors) - 1 else "F32",
            "shape": list(shapes[i]) if shapes else list(t.shape),
            "data_offsets": list(offsets[i]) if offsets else [at, at + n],
        }
        at += n
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)  # the safetensors writer's padding
    return struct.pack("<Q", len(text)) + text + data


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def main():
    good = vnm_bytes(tiny_tensors(), tiny_meta())
    write(GOOD, "tiny.vnm", good)

    t = tiny_tensors()
    m = tiny_meta()
    hl = struct.unpack("<Q", good[:8])[0]
    write(BAD, "empty.vnm", b"")
    write(BAD, "truncated_in_length.vnm", good[:5])
    write(BAD, "truncated_in_header.vnm", good[: 8 + hl // 2])
    write(BAD, "truncated_in_data.vnm", good[:-6])
    write(BAD, "header_length_huge.vnm", struct.pack("<Q", 2**63 + 5) + good[8:])
    write(BAD, "header_length_past_end.vnm", struct.pack("<Q", len(good)) + good[8:])
    header = good[8:8 + hl]
    write(BAD, "header_not_json.vnm", good[:8] + header.replace(b'":', b'"=', 1) + good[8 + hl:])
    write(BAD, "header_trailing_comma.vnm", good[:8] + b'{"a":1,}'.ljust(hl) + good[8 + hl:])
    write(BAD, "foreign_json_file.vnm", json.dumps({"name": "not a model", "version": 3}).encode())
    write(BAD, "foreign_json_array_header.vnm", struct.pack("<Q", 8) + b"[1,2,3] " + good[8 + hl:])
    write(BAD, "foreign_safetensors_pt.vnm", vnm_bytes(t, {"format": "pt"}))
    write(BAD, "foreign_safetensors_no_metadata.vnm", vnm_bytes(t, None))
    m_nospec = dict(m)
    del m_nospec["spec"]
    write(BAD, "no_spec.vnm", vnm_bytes(t, m_nospec))
    write(BAD, "bad_crc.vnm", vnm_bytes(t, m, crc="deadbeef"))
    d = bytearray(good)
    d[-1] ^= 0x40
    write(BAD, "data_bit_flipped.vnm", bytes(d))
    write(BAD, "offsets_out_of_range.vnm", vnm_bytes(t, m, offsets=[[0, 192], [192, 212]]))
    write(BAD, "offsets_overlapping.vnm", vnm_bytes(t, m, offsets=[[0, 192], [180, 192]]))
    write(BAD, "offsets_with_gap.vnm", vnm_bytes(t, m, offsets=[[0, 192], [196, 208]], extra=b"\0" * 4))
    write(BAD, "offsets_reversed.vnm", vnm_bytes(t, m, offsets=[[0, 192], [204, 192]]))
    write(BAD, "dtype_f16.vnm", vnm_bytes(t, m, dtype="F16"))
    write(BAD, "shape_disagrees_with_offsets.vnm", vnm_bytes(t, m, shapes=[(3, 16), (4,)]))
    write(BAD, "parameter_shape_differs.vnm", vnm_bytes({"fc.weight": np.zeros((16, 3), np.float32),
                                                         "fc.bias": t["fc.bias"]}, m))
    write(BAD, "parameter_missing.vnm", vnm_bytes({"fc.weight": t["fc.weight"]}, m))
    write(BAD, "unknown_tensor.vnm", vnm_bytes(dict(t, extra=np.zeros(2, np.float32)), m))
    write(BAD, "future_format_version.vnm", vnm_bytes(t, dict(m, format_version="2")))
    write(BAD, "spec_does_not_build.vnm", vnm_bytes(t, dict(m, spec="input shape=1,4,4\nconv2d name=c out=2 k=9\n")))
    write(BAD, "classes_count_differs.vnm", vnm_bytes(t, dict(m, classes='["a", "b"]')))
    write(BAD, "preprocess_std_zero.vnm", vnm_bytes(t, dict(m, preprocess="scale=1 mean=0 std=0")))
    write(BAD, "metadata_value_not_string.vnm", vnm_bytes(t, dict(m, format_version=1)))
    dup = header.replace(b'"fc.bias"', b'"fc.weight"')
    write(BAD, "duplicate_tensor_name.vnm", good[:8] + dup + good[8 + hl:])


if __name__ == "__main__":
    main()
