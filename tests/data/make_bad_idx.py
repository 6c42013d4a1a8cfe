#!/usr/bin/python3
"""make_bad_idx.py - damaged IDX files (the MNIST format) for tests/data/bad/.

Each file is refused by vn_dataset_load_idx with VN_ERR_FORMAT
(tests/test_dataset.c) and makes `visionnet info` exit 1 with one line
(tests/test_cli_info.sh, which checks every file of bad/). The file name says
what is wrong. Built from a valid 10-image 4x3 file made here.
Run with /usr/bin/python3.
"""
import gzip
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "bad")


def header(type_code, dims):
    return bytes([0, 0, type_code, len(dims)]) + b"".join(struct.pack(">I", d) for d in dims)


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


pixels = bytes((i * 7) % 256 for i in range(10 * 4 * 3))
good = header(0x08, [10, 4, 3]) + pixels

write("idx_truncated_header.idx3-ubyte", good[:6])
write("idx_magic_not_zero.idx3-ubyte", b"\x01\x02" + good[2:])
write("idx_unknown_type.idx3-ubyte", header(0x07, [10, 4, 3]) + pixels)
write("idx_zero_rank.idx3-ubyte", header(0x08, []) + pixels)
write("idx_rank_2.idx3-ubyte", header(0x08, [10, 12]) + pixels)
write("idx_count_over_file.idx3-ubyte", header(0x08, [100, 4, 3]) + pixels)
write("idx_trailing_data.idx3-ubyte", good + b"\x00\x01\x02")
write("idx_dims_overflow.idx3-ubyte", header(0x08, [0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF]) + pixels)
write("idx_zero_dimension.idx3-ubyte", header(0x08, [10, 0, 3]) + pixels)
write("idx_labels_rank_2.idx1-ubyte", header(0x08, [10, 1]) + bytes(range(10)))

gz = gzip.compress(good, mtime=0)
write("idx_gz_truncated.idx3-ubyte.gz", gz[: len(gz) // 2])
damaged = bytearray(gz)
for i in range(12, len(damaged) - 8, 5):  # inside the deflate stream
    damaged[i] ^= 0x5A
write("idx_gz_corrupt.idx3-ubyte.gz", bytes(damaged))
crc = bytearray(gz)
crc[-8] ^= 0xFF  # the CRC-32 of the trailer
write("idx_gz_bad_crc.idx3-ubyte.gz", bytes(crc))
# A 60 kB gzip cannot inflate to 6 TB: refused before any allocation.
write("idx_gz_claims_huge.idx3-ubyte.gz",
      gzip.compress(header(0x08, [60000, 10000, 10000]) + bytes(60000), mtime=0))

# Valid seeds for the fuzz targets (fuzz/fuzz_idx.c, fuzz/fuzz_csv.c):
# scripts/fuzz.sh reads tests/data/dataset_seeds/ besides the bad files.
SEEDS = os.path.join(HERE, "dataset_seeds")
os.makedirs(SEEDS, exist_ok=True)
with open(os.path.join(SEEDS, "small-images.idx3-ubyte"), "wb") as f:
    f.write(good)
with open(os.path.join(SEEDS, "small-labels.idx1-ubyte"), "wb") as f:
    f.write(header(0x08, [10]) + bytes(i % 3 for i in range(10)))
with open(os.path.join(SEEDS, "numbers.csv"), "w", newline="") as f:
    f.write("path,label\na.pgm,0\nb.pgm,1\n")
with open(os.path.join(SEEDS, "names.csv"), "w", newline="") as f:
    f.write('"a.pgm", shirt\r\nb.pgm,"boot"\n\n')
