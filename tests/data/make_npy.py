#!/usr/bin/python3
"""Write the .npy fixtures of tests/test_npy.c with numpy itself.

Run from anywhere with /usr/bin/python3 (numpy 1.24); the files land in
tests/data/npy/. The values are small and written down here so the C test
can state them literally:

  v1_f32_2x3.npy       format 1.0, float32 [[0, 1.5, -2], [3.25, 1e-3, 65504]]
  v2_u8_3x4x2.npy      format 2.0, uint8 arange(24) + 200 (wraps at 256)
  v3_i4_5.npy          format 3.0, int32 [-2147483648, -1, 0, 1, 2147483647]
  scalar_f32.npy       0-d float32 3.5
  zero_u8_0x3.npy      uint8 of shape (0, 3)
  zero_f32_4x0x2.npy   float32 of shape (4, 0, 2)
  big_endian_f4.npy    '>f4' [1, 2]            (refused)
  fortran_f4_2x3.npy   fortran_order True     (refused)
  f8_3.npy             float64 [1, 2, 3]       (refused, unsupported dtype)
  i1_3.npy             int8 [1, 2, 3]          (refused, unsupported dtype)
  bool_2.npy           bool [True, False]      (refused, unsupported dtype)
  save_f32_2x3.npy     np.save of the float32 array [[1, 2, 3], [4, 5, 6.5]]
  save_u8_2x2x3.npy    np.save of uint8 arange(12).reshape(2, 2, 3)
  save_i4_4.npy        np.save of int32 [7, -8, 9, 100000]
  save_f32_scalar.npy  np.save of the 0-d float32 -0.25
  save_u8_0x5.npy      np.save of uint8 of shape (0, 5)
The save_* files are what vn_tensor_save_npy_mem must reproduce byte for
byte for the same arrays (which also proves numpy reads our output).
"""
import os
import numpy as np

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "npy")
os.makedirs(here, exist_ok=True)


def save(name, arr, version=None):
    with open(os.path.join(here, name), "wb") as f:
        if version is None:
            np.save(f, arr)
        else:
            np.lib.format.write_array(f, arr, version=version)


save("v1_f32_2x3.npy", np.array([[0, 1.5, -2], [3.25, 1e-3, 65504]], np.float32), (1, 0))
save("v2_u8_3x4x2.npy", ((np.arange(24) + 200) % 256).astype(np.uint8).reshape(3, 4, 2), (2, 0))
save("v3_i4_5.npy", np.array([-2147483648, -1, 0, 1, 2147483647], np.int32), (3, 0))
save("scalar_f32.npy", np.array(3.5, np.float32))
save("zero_u8_0x3.npy", np.zeros((0, 3), np.uint8))
save("zero_f32_4x0x2.npy", np.zeros((4, 0, 2), np.float32))
save("big_endian_f4.npy", np.array([1, 2], dtype=">f4"))
save("fortran_f4_2x3.npy", np.asfortranarray(np.arange(6, dtype=np.float32).reshape(2, 3)))
save("f8_3.npy", np.array([1, 2, 3], np.float64))
save("i1_3.npy", np.array([1, 2, 3], np.int8))
save("bool_2.npy", np.array([True, False]))
save("save_f32_2x3.npy", np.array([[1, 2, 3], [4, 5, 6.5]], np.float32))
save("save_u8_2x2x3.npy", np.arange(12, dtype=np.uint8).reshape(2, 2, 3))
save("save_i4_4.npy", np.array([7, -8, 9, 100000], np.int32))
save("save_f32_scalar.npy", np.array(-0.25, np.float32))
save("save_u8_0x5.npy", np.zeros((0, 5), np.uint8))

# Sanity: the fixtures read back as written.
assert np.load(os.path.join(here, "v3_i4_5.npy"))[0] == -2147483648
assert np.load(os.path.join(here, "fortran_f4_2x3.npy")).flags.f_contiguous
