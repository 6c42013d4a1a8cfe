#!/usr/bin/python3
"""make_images.py - the image fixtures of tests/test_codecs.c.

Run from anywhere with /usr/bin/python3 (numpy, cv2, PIL); writes into
tests/data/images/ next to this script. Each fixture NAME.ext comes with
NAME.npy holding the pixels a decoder must return (u8 [H,W,C]); 16-bit
fixtures also have NAME_16.npy (int32 [H,W,C], what keep_16bit returns).

The expected arrays are computed here from the source arrays with numpy,
never by libvisionnet:
- PNG files are written by hand (png_write below: every colour type, bit
  depth, palette, tRNS, Adam7 interlacing, all five row filters) and
  cross-checked against cv2 / PIL decoding them;
- JPEG files are encoded by cv2 / PIL and the expected pixels are what
  cv2.imdecode returns (tests allow +-1), CMYK from PIL's raw samples;
- PNM files are written by hand; scaling is round(255 * v / maxval) with
  halves rounding up, i.e. floor((510 v + maxval) / (2 maxval)).
The generated files are small and committed with this script.
"""
import io
import os
import struct
import zlib

import cv2
import numpy as np
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "images")
rng = np.random.default_rng(20240601)


# ---------------------------------------------------------------- PNG writer
def chunk(kind, data):
    c = struct.pack(">I", len(data)) + kind + data
    return c + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def pack_row(samples, depth):
    """samples: 1-D int array of one row (channels interleaved)."""
    if depth == 8:
        return bytes(samples.astype(np.uint8))
    if depth == 16:
        return samples.astype(">u2").tobytes()
    per = 8 // depth
    out = bytearray()
    for i in range(0, len(samples), per):
        b = 0
        group = list(samples[i:i + per]) + [0] * (per - len(samples[i:i + per]))
        for v in group:
            b = (b << depth) | int(v)
        out.append(b)
    return bytes(out)


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    if pa <= pb and pa <= pc:
        return a
    return b if pb <= pc else c


def filter_rows(rows, bpp):
    """Filter each row with type (row index % 5): None, Sub, Up, Average, Paeth."""
    out = bytearray()
    prev = bytes(len(rows[0])) if rows else b""
    for y, row in enumerate(rows):
        ft = y % 5
        f = bytearray()
        for i, x in enumerate(row):
            a = row[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            pred = [0, a, b, (a + b) // 2, paeth(a, b, c)][ft]
            f.append((x - pred) & 0xFF)
        out.append(ft)
        out += f
        prev = row
    return bytes(out)


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]


def png_write(path, samples, color_type, depth, palette=None, trns=None, interlace=False, extra=()):
    """samples: int array [H, W, C] of stored values (indices for palettes)."""
    h, w, c = samples.shape
    bpp = max(1, c * depth // 8)
    raw = b""
    passes = ADAM7 if interlace else [(0, 0, 1, 1)]
    for (x0, y0, dx, dy) in passes:
        sub = samples[y0::dy, x0::dx, :]
        if sub.shape[0] == 0 or sub.shape[1] == 0:
            continue
        rows = [pack_row(sub[y].reshape(-1), depth) for y in range(sub.shape[0])]
        raw += filter_rows(rows, bpp)
    data = b"\x89PNG\r\n\x1a\n"
    data += chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 1 if interlace else 0))
    for kind, payload in extra:
        data += chunk(kind, payload)
    if palette is not None:
        data += chunk(b"PLTE", bytes(np.asarray(palette, np.uint8).reshape(-1)))
    if trns is not None:
        data += chunk(b"tRNS", trns)
    data += chunk(b"IDAT", zlib.compress(raw, 9))
    data += chunk(b"IEND", b"")
    with open(path, "wb") as f:
        f.write(data)


def save_expected(name, arr, suffix=""):
    np.save(os.path.join(OUT, name + suffix + ".npy"), np.ascontiguousarray(arr))


def to8(v16):
    """round(v * 255 / 65535): exact in float64, and v/257 is never a half."""
    return np.floor(v16.astype(np.float64) * 255.0 / 65535.0 + 0.5).astype(np.uint8)


def cv2_rgb(path):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img.ndim == 2:
        return img[:, :, None]
    if img.shape[2] == 3:
        return img[:, :, ::-1]
    return img[:, :, [2, 1, 0, 3]]


def check_png(path, expected8, expected16=None):
    """Cross-check a hand-written PNG against independent decoders."""
    got = cv2_rgb(path)
    if expected16 is not None:
        exp = expected16
    else:
        exp = expected8
    if got.shape[2] == 4 and exp.shape[2] == 2:   # cv2 turns grey+alpha into BGRA
        got = got[:, :, [0, 3]]
    if got.shape[2] == 3 and exp.shape[2] == 1:
        got = got[:, :, :1]
    if got.shape != exp.shape and expected16 is None:
        # cv2 ignores tRNS on grey images: ask Pillow instead.
        got = np.asarray(Image.open(path).convert({1: "L", 2: "LA", 3: "RGB", 4: "RGBA"}[exp.shape[2]]))
        got = got.reshape(exp.shape)
    assert got.shape == exp.shape, (path, got.shape, exp.shape)
    assert np.array_equal(got.astype(np.int64), exp.astype(np.int64)), path
    im = Image.open(path)
    im.load()  # Pillow must accept the file too


def make_png(name, samples, color_type, depth, expected8, palette=None, trns=None, interlace=False,
             extra=(), cross_check=True):
    path = os.path.join(OUT, name + ".png")
    png_write(path, samples, color_type, depth, palette, trns, interlace, extra)
    if depth == 16:
        save_expected(name, to8(expected8))
        save_expected(name, expected8.astype("<i4"), "_16")
        if cross_check:
            check_png(path, None, expected8)
    else:
        save_expected(name, expected8.astype(np.uint8))
        if cross_check:
            check_png(path, expected8)


def pngs():
    H, W = 6, 7
    gray8 = rng.integers(0, 256, (H, W, 1))
    make_png("png_gray8", gray8, 0, 8, gray8)
    gray16 = rng.integers(0, 65536, (H, W, 1))
    gray16[0, :4, 0] = [0, 128, 65535, 32896]  # rounding edge cases of v / 257
    make_png("png_gray16", gray16, 0, 16, gray16)
    for d in (1, 2, 4):
        g = rng.integers(0, 1 << d, (H, W, 1))
        make_png("png_gray%d" % d, g, 0, d, g * (255 // ((1 << d) - 1)))
    ga8 = rng.integers(0, 256, (H, W, 2))
    make_png("png_graya8", ga8, 4, 8, ga8)
    ga16 = rng.integers(0, 65536, (H, W, 2))
    make_png("png_graya16", ga16, 4, 16, ga16)
    rgb8 = rng.integers(0, 256, (H, W, 3))
    make_png("png_rgb8", rgb8, 2, 8, rgb8)
    rgb16 = rng.integers(0, 65536, (H, W, 3))
    make_png("png_rgb16", rgb16, 2, 16, rgb16)
    rgba8 = rng.integers(0, 256, (H, W, 4))
    make_png("png_rgba8", rgba8, 6, 8, rgba8)
    rgba16 = rng.integers(0, 65536, (H, W, 4))
    make_png("png_rgba16", rgba16, 6, 16, rgba16)

    # Palettes at every depth; the 8-bit one with a short tRNS (alpha 255
    # for the entries past its end).
    for d in (1, 2, 4, 8):
        n = 1 << d if d < 8 else 200
        pal = rng.integers(0, 256, (n, 3))
        idx = rng.integers(0, n, (H, W, 1))
        make_png("png_pal%d" % d, idx, 3, d, pal[idx[:, :, 0]], palette=pal)
    pal = rng.integers(0, 256, (16, 3))
    alpha = rng.integers(0, 256, 10)
    idx = rng.integers(0, 16, (H, W, 1))
    full_alpha = np.concatenate([alpha, np.full(6, 255)])
    exp = np.concatenate([pal[idx[:, :, 0]], full_alpha[idx[:, :, 0]][:, :, None]], axis=2)
    make_png("png_pal8_trns", idx, 3, 8, exp, palette=pal, trns=bytes(alpha.astype(np.uint8)))

    # tRNS on grey and RGB: the key colour becomes alpha 0, the rest 255.
    g = rng.integers(0, 4, (H, W, 1)) * 60
    exp = np.concatenate([g, np.where(g == 120, 0, 255)], axis=2)
    make_png("png_gray8_trns", g, 0, 8, exp, trns=struct.pack(">H", 120))
    rgb = rng.integers(0, 2, (H, W, 3)) * 200
    key = (rgb == [200, 0, 200]).all(axis=2, keepdims=True)
    exp = np.concatenate([rgb, np.where(key, 0, 255)], axis=2)
    make_png("png_rgb8_trns", rgb, 2, 8, exp, trns=struct.pack(">HHH", 200, 0, 200))

    # Adam7 interlacing, sizes that leave some passes short or empty.
    IH, IW = 11, 9
    rgb = rng.integers(0, 256, (IH, IW, 3))
    make_png("png_rgb8_interlaced", rgb, 2, 8, rgb, interlace=True)
    g1 = rng.integers(0, 2, (IH, IW, 1))
    make_png("png_gray1_interlaced", g1, 0, 1, g1 * 255, interlace=True)
    rgba16 = rng.integers(0, 65536, (IH, IW, 4))
    make_png("png_rgba16_interlaced", rgba16, 6, 16, rgba16, interlace=True)
    pal = rng.integers(0, 256, (4, 3))
    idx = rng.integers(0, 4, (3, 2, 1))
    make_png("png_pal2_interlaced_tiny", idx, 3, 2, pal[idx[:, :, 0]], palette=pal, interlace=True)

    # Ancillary chunks the decoder must skip (gamma, text, a junk profile).
    rgb = rng.integers(0, 256, (H, W, 3))
    extra = [(b"gAMA", struct.pack(">I", 45455)), (b"tEXt", b"Comment\x00made by make_images.py"),
             (b"iCCP", b"junk\x00\x00" + zlib.compress(b"not a profile")), (b"vnTs", b"private chunk")]
    make_png("png_rgb8_chunks", rgb, 2, 8, rgb, extra=extra)

    # A PNG made by cv2 (zlib's own filter choices) and a copy named .jpg:
    # the codec is chosen by content.
    big = (np.add.outer(np.arange(20), np.arange(30))[:, :, None] * [3, 5, 7] % 256).astype(np.uint8)
    ok, buf = cv2.imencode(".png", big[:, :, ::-1])
    assert ok
    for fname in ("png_cv2.png", "png_named.jpg"):
        with open(os.path.join(OUT, fname), "wb") as f:
            f.write(buf.tobytes())
    save_expected("png_cv2", big)
    save_expected("png_named", big)


# ---------------------------------------------------------------------- JPEG
def smooth_rgb(h, w):
    y, x = np.mgrid[0:h, 0:w]
    img = np.stack([(x * 255 // (w - 1)), (y * 255 // (h - 1)), ((x + y) * 127 // (h + w))], axis=2)
    img = img + rng.integers(-12, 13, img.shape)
    return np.clip(img, 0, 255).astype(np.uint8)


def jpeg_segment(marker, payload):
    return b"\xff" + bytes([marker]) + struct.pack(">H", len(payload) + 2) + payload
def many_scans_jpeg(first_al):
    """An 8x8 grey progressive JPEG of all-zero coefficients coded with
    successive approximation one coefficient at a time: 1 + 63 * (first_al + 1)
    scans, each a single 1-bit Huffman code."""
    out = b"\xff\xd8"
    out += jpeg_segment(0xDB, b"\x00" + bytes([1] * 64))
    out += jpeg_segment(0xC2, struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00")
    one_symbol = bytes([1] + [0] * 15) + b"\x00"
    out += jpeg_segment(0xC4, b"\x00" + one_symbol) + jpeg_segment(0xC4, b"\x10" + one_symbol)
    def scan(ss, se, ah, al):
        return jpeg_segment(0xDA, b"\x01\x01\x00" + bytes([ss, se, ah << 4 | al])) + b"\x7f"
    out += scan(0, 0, 0, 0)
    n = 1
    for k in range(1, 64):
        out += scan(k, k, 0, first_al)
        n += 1
        for al in range(first_al - 1, -1, -1):
            out += scan(k, k, al + 1, al)
            n += 1
    return out + b"\xff\xd9", n


def jpegs():
    rgb = smooth_rgb(24, 40)
    cases = {
        "jpeg_baseline": cv2.imencode(".jpg", rgb[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 90])[1],
        "jpeg_progressive": cv2.imencode(".jpg", rgb[:, :, ::-1],
                                         [cv2.IMWRITE_JPEG_QUALITY, 85, cv2.IMWRITE_JPEG_PROGRESSIVE, 1])[1],
        "jpeg_gray": cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), [cv2.IMWRITE_JPEG_QUALITY, 90])[1],
    }
    bio = io.BytesIO()
    Image.fromarray(rgb).save(bio, "JPEG", quality=92, subsampling=0)  # 4:4:4
    cases["jpeg_444"] = np.frombuffer(bio.getvalue(), np.uint8)
    odd = smooth_rgb(13, 17)  # sizes that are not multiples of the MCU
    cases["jpeg_odd_size"] = cv2.imencode(".jpg", odd[:, :, ::-1], [cv2.IMWRITE_JPEG_QUALITY, 80])[1]
    # Valid but unusual: 190 progressive scans (under the decoder's cap of 256).
    cases["jpeg_190_scans"] = np.frombuffer(many_scans_jpeg(2)[0], np.uint8)
    for name, buf in cases.items():
        data = buf.tobytes()
        with open(os.path.join(OUT, name + ".jpg"), "wb") as f:
            f.write(data)
        dec = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
        dec = dec[:, :, None] if dec.ndim == 2 else dec[:, :, ::-1]
        save_expected(name, dec)

    # CMYK (Pillow writes the Adobe marker and inverted samples). Expected:
    # R = (255 - C) * (255 - K) / 255 rounded, from Pillow's raw CMYK.
    cmyk = np.zeros((16, 24, 4), np.uint8)
    cmyk[:, :, 0] = np.arange(24) * 10
    cmyk[:, :, 1] = (np.arange(16) * 15)[:, None]
    cmyk[:, :, 2] = 60
    cmyk[:, :, 3] = (np.arange(24) * 5)[None, :]
    bio = io.BytesIO()
    Image.fromarray(cmyk, "CMYK").save(bio, "JPEG", quality=95)
    with open(os.path.join(OUT, "jpeg_cmyk.jpg"), "wb") as f:
        f.write(bio.getvalue())
    raw = np.asarray(Image.open(io.BytesIO(bio.getvalue()))).astype(np.int64)
    k = 255 - raw[:, :, 3:4]
    rgb = np.floor((255 - raw[:, :, :3]) * k / 255.0 + 0.5)
    save_expected("jpeg_cmyk", rgb.astype(np.uint8))


# ----------------------------------------------------------------------- PNM
def scale(v, maxval, top):
    v = np.asarray(v, np.int64)
    return (2 * top * v + maxval) // (2 * maxval)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def pnms():
    H, W = 5, 11
    bits = rng.integers(0, 2, (H, W))
    rows = "\n".join("".join("%d" % b for b in r) if y % 2 else " ".join("%d" % b for b in r)
                     for y, r in enumerate(bits))
    write("pnm_p1.pbm", ("P1\n# a comment\n%d %d\n%s\n" % (W, H, rows)).encode())
    save_expected("pnm_p1", np.where(bits == 1, 0, 255)[:, :, None].astype(np.uint8))
    packed = np.packbits(bits.astype(np.uint8), axis=1)  # rows padded to bytes
    write("pnm_p4.pbm", b"P4\n%d %d\n" % (W, H) + packed.tobytes())
    save_expected("pnm_p4", np.where(bits == 1, 0, 255)[:, :, None].astype(np.uint8))

    g = rng.integers(0, 1001, (H, W))
    g[0, 0], g[0, 1] = 0, 1000
    body = "\n".join(" ".join(str(v) for v in r) for r in g)
    write("pnm_p2.pgm", ("P2\n# maxval 1000\n%d # width\n%d\n1000\n%s\n" % (W, H, body)).encode())
    save_expected("pnm_p2", scale(g, 1000, 255)[:, :, None].astype(np.uint8))
    save_expected("pnm_p2", scale(g, 1000, 65535)[:, :, None].astype("<i4"), "_16")

    c = rng.integers(0, 256, (H, W, 3))
    write("pnm_p3.ppm", ("P3 %d %d 255\n%s\n" % (W, H, " ".join(str(v) for v in c.reshape(-1)))).encode())
    save_expected("pnm_p3", c.astype(np.uint8))

    g = rng.integers(0, 256, (H, W))
    write("pnm_p5.pgm", b"P5\n%d %d\n255\n" % (W, H) + g.astype(np.uint8).tobytes())
    save_expected("pnm_p5", g[:, :, None].astype(np.uint8))

    g = rng.integers(0, 16, (H, W))
    write("pnm_p5_maxval15.pgm", b"P5 %d %d 15\n" % (W, H) + g.astype(np.uint8).tobytes())
    save_expected("pnm_p5_maxval15", scale(g, 15, 255)[:, :, None].astype(np.uint8))

    c = rng.integers(0, 256, (H, W, 3))
    write("pnm_p6.ppm", b"P6\n#c\n%d %d\n255\n" % (W, H) + c.astype(np.uint8).tobytes())
    save_expected("pnm_p6", c.astype(np.uint8))

    g = rng.integers(0, 65536, (H, W))
    g[0, :3] = [0, 65535, 128]
    write("pnm_p5_16.pgm", b"P5\n%d %d\n65535\n" % (W, H) + g.astype(">u2").tobytes())
    save_expected("pnm_p5_16", scale(g, 65535, 255)[:, :, None].astype(np.uint8))
    save_expected("pnm_p5_16", g[:, :, None].astype("<i4"), "_16")

    c = rng.integers(0, 4096, (H, W, 3))
    write("pnm_p6_4095.ppm", b"P6\n%d %d\n4095\n" % (W, H) + c.astype(">u2").tobytes())
    save_expected("pnm_p6_4095", scale(c, 4095, 255).astype(np.uint8))
    save_expected("pnm_p6_4095", scale(c, 4095, 65535).astype("<i4"), "_16")

    # Cross-check the 8-bit binary ones with cv2.
    for name in ("pnm_p5", "pnm_p6"):
        ext = ".pgm" if name.endswith("5") else ".ppm"
        got = cv2_rgb(os.path.join(OUT, name + ext))
        if got.shape[2] == 3 and name.endswith("5"):
            got = got[:, :, :1]
        assert np.array_equal(got, np.load(os.path.join(OUT, name + ".npy"))), name


def main():
    os.makedirs(OUT, exist_ok=True)
    pngs()
    jpegs()
    pnms()
    print("wrote", len(os.listdir(OUT)), "files to", OUT)


if __name__ == "__main__":
    main()
