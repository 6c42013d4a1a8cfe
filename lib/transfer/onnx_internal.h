/*
 * onnx_internal.h - what the ONNX importer shares with its test runner
 * (tests/onnx_suite) and fuzz target: decoding one serialized TensorProto.
 */
#ifndef VN_TRANSFER_ONNX_INTERNAL_H
#define VN_TRANSFER_ONNX_INTERNAL_H

#include "core/vn_internal.h"
#include <visionnet/tensor.h>

/*
 * Decode the n bytes at data, a serialized onnx.TensorProto (the
 * input_*.pb / output_*.pb files of ONNX's test data), into a new f32
 * tensor *out of the same shape (integer and bool elements converted to
 * float; a rank-0 tensor becomes shape [1]), its element type (the
 * TensorProto data_type number) into *onnx_dtype and its name (vn__malloc'ed,
 * may be "") into *name when name is not NULL. VN_ERR_FORMAT for a malformed
 * tensor, VN_ERR_UNSUPPORTED for a dtype that is not numeric. Built without
 * ONNX support: VN_ERR_UNSUPPORTED.
 */
vn_status vn__onnx_tensor_decode(const void *data, size_t n, vn_tensor **out, int *onnx_dtype,
                                 char **name);

#endif
