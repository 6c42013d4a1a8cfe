#!/usr/bin/python3
"""make_bad.py - the corpus of damaged files in tests/data/bad/.

Every file here must be refused cleanly: the decoders return VN_ERR_FORMAT
or VN_ERR_LIMIT with a message (tests/test_codecs.c), the .npy loader
refuses its files (tests/test_npy.c), and `visionnet info` exits 1 with one
line on stderr for each (tests/test_cli_info.sh). The corpus also seeds the
fuzz targets (scripts/fuzz.sh).

Files are built from small valid ones made here with cv2 / numpy / zlib, then
damaged in one way each; the file name says how. Run with /usr/bin/python3.
"""
import io
import os
import struct
import zlib

import sys

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_images import many_scans_jpeg  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "bad")
rng = np.random.default_rng(7)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def chunk(kind, data, crc=None):
    c = struct.pack(">I", len(data)) + kind + data
    if crc is None:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return c + struct.pack(">I", crc)


SIG = b"\x89PNG\r\n\x1a\n"


def ihdr(w, h, depth=8, ctype=2, interlace=0):
    return chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, ctype, 0, 0, interlace))


def idat_for(w, h, channels):
    raw = b"".join(b"\x00" + bytes(w * channels) for _ in range(h))
    return chunk(b"IDAT", zlib.compress(raw))


IEND = chunk(b"IEND", b"")


def pngs():
    img = rng.integers(0, 256, (16, 16, 3), dtype=np.uint8)
    good = cv2.imencode(".png", img)[1].tobytes()
    n = len(good)
    for cut in (5, 8, 20, 33, n // 2, n - 12, n - 2):
        write("png_truncated_at_%d.png" % cut, good[:cut])
    # CRC damage in a critical chunk (IHDR at 29..32, IDAT's last 4 bytes before IEND).
    b = bytearray(good)
    b[29] ^= 0xFF
    write("png_bad_crc_ihdr.png", bytes(b))
    b = bytearray(good)
    b[n - 12 - 1] ^= 0xFF
    write("png_bad_crc_idat.png", bytes(b))
    b = bytearray(good)
    b[n - 1] ^= 0xFF
    write("png_bad_crc_iend.png", bytes(b))
    # Chunk lengths that lie.
    body = idat_for(16, 16, 3)
    write("png_idat_length_huge.png", SIG + ihdr(16, 16) + struct.pack(">I", 0x7FFFFFF0) + body[4:] + IEND)
    write("png_idat_length_over_2g.png", SIG + ihdr(16, 16) + struct.pack(">I", 0xFFFFFFFF) + body[4:] + IEND)
    bad = chunk(b"IHDR", struct.pack(">IIBBBB", 16, 16, 8, 2, 0, 0))  # 12 bytes, not 13
    write("png_ihdr_length_12.png", SIG + bad + body + IEND)
    # Dimensions.
    write("png_huge_dimensions.png", SIG + ihdr(100000, 100000) + idat_for(1, 1, 3) + IEND)
    write("png_max_dimensions.png", SIG + ihdr(0x7FFFFFFF, 0x7FFFFFFF) + idat_for(1, 1, 3) + IEND)
    # Under the pixel limit, but far more pixels than the file can hold.
    write("png_small_file_claims_8000x8000.png", SIG + ihdr(8000, 8000) + idat_for(1, 1, 3) + IEND)
    write("png_zero_width.png", SIG + ihdr(0, 16) + body + IEND)
    write("png_zero_height.png", SIG + ihdr(16, 0) + body + IEND)
    write("png_width_over_2g.png", SIG + ihdr(0x80000000, 1) + body + IEND)
    # Impossible header fields.
    write("png_rgb_depth_4.png", SIG + ihdr(16, 16, depth=4, ctype=2) + body + IEND)
    write("png_colour_type_5.png", SIG + ihdr(16, 16, ctype=5) + body + IEND)
    write("png_interlace_method_2.png", SIG + ihdr(16, 16, interlace=2) + body + IEND)
    # Missing or misplaced critical chunks.
    write("png_no_idat.png", SIG + ihdr(16, 16) + IEND)
    write("png_no_ihdr.png", SIG + body + IEND)
    write("png_palette_without_plte.png", SIG + ihdr(16, 16, ctype=3) + idat_for(16, 16, 1) + IEND)
    write("png_plte_300_entries.png", SIG + ihdr(16, 16, ctype=3) + chunk(b"PLTE", bytes(900)) +
          idat_for(16, 16, 1) + IEND)
    write("png_unknown_critical_chunk.png", SIG + ihdr(16, 16) + chunk(b"ABCD", b"xyz") + body + IEND)
    # Broken compressed data (valid CRCs).
    write("png_zlib_garbage.png", SIG + ihdr(16, 16) + chunk(b"IDAT", bytes(rng.integers(0, 256, 200, dtype=np.uint8))) + IEND)
    short = zlib.compress(b"".join(b"\x00" + bytes(48) for _ in range(4)))
    write("png_not_enough_image_data.png", SIG + ihdr(16, 16) + chunk(b"IDAT", short) + IEND)
    raw = bytearray(b"".join(b"\x00" + bytes(48) for _ in range(16)))
    raw[49] = 9  # filter type 9 does not exist
    write("png_bad_filter_type.png", SIG + ihdr(16, 16) + chunk(b"IDAT", zlib.compress(bytes(raw))) + IEND)
    write("png_signature_only.png", SIG)


def jpegs():
    y, x = np.mgrid[0:32, 0:48]
    img = np.stack([x * 5, y * 7, (x + y) * 3], axis=2).astype(np.uint8)
    base = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    prog = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 90, cv2.IMWRITE_JPEG_PROGRESSIVE, 1])[1].tobytes()
    n = len(base)
    sof = base.index(b"\xff\xc0")
    sos = base.index(b"\xff\xda")
    for cut in (2, 3, 40, sof + 6, sos + 4, sos + 20, n * 6 // 10, n - 2):
        write("jpeg_truncated_at_%d.jpg" % cut, base[:cut])
    write("jpeg_progressive_truncated.jpg", prog[:len(prog) // 2])
    write("jpeg_progressive_no_eoi.jpg", prog[:-2])

    def with_sof(h, w, ncomp=None):
        b = bytearray(base)
        struct.pack_into(">HH", b, sof + 5, h, w)
        if ncomp is not None:
            b[sof + 9] = ncomp
        return bytes(b)

    write("jpeg_huge_dimensions.jpg", with_sof(60000, 60000))
    write("jpeg_small_file_claims_8000x8000.jpg", with_sof(8000, 8000))
    write("jpeg_zero_height.jpg", with_sof(0, 48))
    write("jpeg_zero_width.jpg", with_sof(32, 0))
    write("jpeg_zero_components.jpg", with_sof(32, 48, 0))
    b = bytearray(base)
    b[sof + 11] = 0x00  # sampling factors 0x0
    write("jpeg_bad_sampling.jpg", bytes(b))
    b = bytearray(base)
    dht = base.index(b"\xff\xc4")
    for i in range(16):
        b[dht + 5 + i] = 0xFF  # code counts summing far over 256
    write("jpeg_bad_huffman_table.jpg", bytes(b))
    dqt = base.index(b"\xff\xdb")
    b = bytearray(base)
    b[dqt + 4] = 0x07  # quantisation table index 7
    write("jpeg_bad_quant_table_index.jpg", bytes(b))
    # The entropy-coded data cut short by an early EOI.
    write("jpeg_early_eoi.jpg", base[:sos + 60] + b"\xff\xd9")
    # Garbage in the scan: a marker where data should be.
    b = bytearray(base)
    mid = (sos + n) // 2
    b[mid:mid + 2] = b"\xff\xd3"
    write("jpeg_stray_rst_marker.jpg", bytes(b))
    # A valid progressive file of 694 scans: a CPU bomb when scaled up, over the cap of 256.
    write("jpeg_694_scans.jpg", many_scans_jpeg(10)[0])
    write("jpeg_no_sof.jpg", base[:sof] + base[base.index(b"\xff", sof + 2):])
    write("jpeg_soi_then_garbage.jpg", b"\xff\xd8\xff" + bytes(rng.integers(0, 256, 300, dtype=np.uint8)))
    write("jpeg_segment_length_short.jpg", base[:sof + 2] + b"\x00\x01" + base[sof + 4:])


def pnms():
    write("pnm_maxval_0.pgm", b"P5\n2 2\n0\n\x00\x00\x00\x00")
    write("pnm_maxval_70000.pgm", b"P5\n2 2\n70000\n" + bytes(8))
    write("pnm_p2_maxval_70000.pgm", b"P2\n2 1\n70000\n1 2\n")
    write("pnm_zero_width.pgm", b"P5\n0 2\n255\n")
    write("pnm_zero_height.ppm", b"P6\n2 0\n255\n")
    write("pnm_huge_dimensions.pgm", b"P5\n100000 100000\n255\n" + bytes(16))
    write("pnm_width_overflow.pgm", b"P5\n99999999999999999999 2\n255\n" + bytes(16))
    write("pnm_negative_width.pgm", b"P2\n-3 2\n255\n1 2 3 4 5 6\n")
    write("pnm_header_truncated.pgm", b"P5\n4 ")
    write("pnm_no_raster.pgm", b"P5\n4 4\n255")
    write("pnm_p5_truncated.pgm", b"P5\n4 4\n255\n" + bytes(10))
    write("pnm_p6_truncated.ppm", b"P6\n4 4\n255\n" + bytes(47))
    write("pnm_p5_16bit_truncated.pgm", b"P5\n4 4\n65535\n" + bytes(31))
    write("pnm_p5_sample_over_maxval.pgm", b"P5\n2 2\n100\n\x01\x02\x65\x03")
    write("pnm_p6_16bit_over_maxval.ppm", b"P6\n1 1\n1000\n\x00\x01\x03\xe9\x00\x00")
    write("pnm_p2_sample_over_maxval.pgm", b"P2\n2 2\n15\n1 2 16 3\n")
    write("pnm_p2_letters.pgm", b"P2\n2 2\n255\n1 2 x 3\n")
    write("pnm_p2_short.pgm", b"P2\n3 3\n255\n1 2 3 4 5 6 7 8\n")
    write("pnm_p3_short.ppm", b"P3\n2 2\n255\n1 2 3 4 5 6 7 8 9 10 11\n")
    write("pnm_p1_bad_digit.pbm", b"P1\n3 1\n0 2 1\n")
    write("pnm_p4_truncated.pbm", b"P4\n16 4\n" + bytes(7))
    write("pnm_no_space_after_maxval.pgm", b"P5\n2 2\n255X\x00\x00\x00\x00")
    write("pnm_dimensions_not_numbers.ppm", b"P6\nab cd\n255\n")
    write("pnm_magic_only.pgm", b"P5\n")


def npy_header(descr, fortran, shape, version=(1, 0), pad_to=64):
    d = "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)
    head = d.encode("latin1")
    lenfield = 2 if version[0] == 1 else 4
    total = 6 + 2 + lenfield + len(head) + 1
    head += b" " * ((pad_to - total % pad_to) % pad_to) + b"\n"
    fmt = "<H" if lenfield == 2 else "<I"
    return b"\x93NUMPY" + bytes(version) + struct.pack(fmt, len(head)) + head


def npys():
    write("npy_big_endian.npy", npy_header(">f4", False, (2, 3)) + bytes(24))
    write("npy_fortran_order.npy", npy_header("<f4", True, (2, 3)) + bytes(24))
    write("npy_shape_overflow.npy", npy_header("<f4", False, (2 ** 62, 2 ** 62)) + bytes(16))
    write("npy_shape_over_file.npy", npy_header("<f4", False, (1000, 1000)) + bytes(16))
    write("npy_short_data.npy", npy_header("<f4", False, (2, 3)) + bytes(20))
    write("npy_negative_dim.npy", npy_header("<f4", False, (-1, 3)) + bytes(12))
    write("npy_garbage_header.npy", b"\x93NUMPY\x01\x00\x40\x00" + bytes(rng.integers(32, 127, 63, dtype=np.uint8)) + b"\n" + bytes(16))
    write("npy_header_not_dict.npy", npy_header("<f4", False, (2,)).replace(b"{'descr'", b"['descr'") + bytes(8))
    write("npy_bad_version.npy", npy_header("<f4", False, (2,), version=(9, 0)) + bytes(8))
    write("npy_header_length_beyond_file.npy", b"\x93NUMPY\x01\x00\xff\xff{'descr': '<f4'")
    write("npy_magic_only.npy", b"\x93NUMPY")
    write("npy_truncated_magic.npy", b"\x93NUM")
    write("npy_unknown_dtype.npy", npy_header("<c8", False, (2,)) + bytes(16))


def foreign():
    write("empty.bin", b"")
    write("text.txt", b"This is not an image, just some text.\nIt has two lines.\n")
    write("random.bin", bytes(rng.integers(0, 256, 512, dtype=np.uint8)))
    write("gif_header.gif", b"GIF89a\x10\x00\x10\x00\x00\x00\x00;")
    write("one_byte.bin", b"P")


def main():
    os.makedirs(OUT, exist_ok=True)
    pngs()
    jpegs()
    pnms()
    npys()
    foreign()
    print("wrote", len(os.listdir(OUT)), "files to", OUT)


if __name__ == "__main__":
    main()
