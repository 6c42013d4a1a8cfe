/*
 * onnx_graph.h - what the three files of the ONNX importer share
 * (docs/onnx.md): onnx_import.c (values, attributes, naming, emitting model
 * nodes, the graph walk and the public functions), onnx_const.c (decoding
 * tensors and folding constant subgraphs) and onnx_ops.c (the operators
 * that become layers). Only included when the library is built with ONNX
 * support (VN_HAVE_ONNX).
 */
#ifndef VN_TRANSFER_ONNX_GRAPH_H
#define VN_TRANSFER_ONNX_GRAPH_H

#include "core/vn_internal.h"
#include "transfer/onnx_internal.h"
#include "nn/layer.h"
#include <visionnet/transfer.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "onnx.pb-c.h"
#include <math.h>

#define MAX_NODE_NAME 63
/* A dimension of a folded shape that is the (unknown) batch size. */
#define BATCH_SYM INT64_MIN

enum { V_NONE = 0, V_CONST, V_RUN };
/* ONNX TensorProto data types used here. */
enum {
    DT_FLOAT = 1,
    DT_UINT8 = 2,
    DT_INT8 = 3,
    DT_UINT16 = 4,
    DT_INT16 = 5,
    DT_INT32 = 6,
    DT_INT64 = 7,
    DT_STRING = 8,
    DT_BOOL = 9,
    DT_FLOAT16 = 10,
    DT_DOUBLE = 11
};

typedef struct cval {
    bool is_int; /* data in i (int64), else in f */
    int ndim;
    int64_t shape[VN_MAX_DIMS];
    int64_t n;
    float *f;
    int64_t *i;
} cval;

typedef struct val {
    char *name; /* ONNX value name */
    int kind;
    cval c;   /* V_CONST */
    int node; /* V_RUN: model node index, -1 = the model input */
    int rank; /* V_RUN: ONNX rank */
} val;

/* String -> index hash (open addressing), for value producers. */
typedef struct smap {
    size_t cap;
    const char **keys;
    int *vals;
} smap;

typedef struct imp {
    vn_onnx_options o;
    Onnx__GraphProto *g;
    vn_model *m;
    int off; /* 0 batch first, 1 batch none */
    int64_t opset;
    val *vals;
    int nvals, cap;
    int64_t decl_batch; /* declared batch size of the input, -1 unknown */
    uint64_t max_elems; /* bound on any constant's element count */
    /* the node being mapped, for messages */
    const Onnx__NodeProto *nd;
    bool lift;      /* a 1-D op run as 2-D (spatial_in) */
    bool lift_flat; /* a batch-norm of [N, C] run on [N, C, 1, 1] */
    /* MatMul + Add(constant) fusion */
    smap uses;     /* value name -> number of uses by needed nodes */
    smap consumer; /* value name -> index of its (last) consumer */
    int *fused;    /* per ONNX node: model node its output aliases, or -1 */
    int cur;       /* index of the node being mapped */
    char **stash;  /* node input names replaced by legacy_broadcast */
    int nstash;
    char base[MAX_NODE_NAME + 1];
} imp;

/* "ONNX node 'name' (Op): message" with status st. */
#define UNSUP(...) vn__onnx_node_err(I, VN_ERR_UNSUPPORTED, __VA_ARGS__)
#define BADF(...) vn__onnx_node_err(I, VN_ERR_FORMAT, __VA_ARGS__)

/* protobuf-c allocations through vn__malloc / vn__free (onnx_const.c) */
extern ProtobufCAllocator vn__onnx_pb_alloc;

/* onnx_import.c */
vn_status vn__onnx_node_err(imp *I, vn_status st, const char *fmt, ...) VN_PRINTF(3, 4);
const char *vn__onnx_node_name_of(imp *I, int node);
void vn__onnx_run_ps(imp *I, const val *v, int64_t *ps, int *nd);
int vn__onnx_run_shape(imp *I, const val *v, int64_t *s);
const Onnx__AttributeProto *vn__onnx_attr(const Onnx__NodeProto *nd, const char *name);
int64_t vn__onnx_attr_i(const Onnx__NodeProto *nd, const char *name, int64_t def);
float vn__onnx_attr_f(const Onnx__NodeProto *nd, const char *name, float def);
const char *vn__onnx_attr_s(const Onnx__NodeProto *nd, const char *name, const char *def, char *buf,
                            size_t n);
int vn__onnx_attr_ints(const Onnx__NodeProto *nd, const char *name, int64_t *out, int max);
vn_status vn__onnx_check_attrs(imp *I, const char *const *known);
int vn__onnx_nin(imp *I);
val *vn__onnx_in_val(imp *I, int k);
vn_status vn__onnx_need_in(imp *I, int k, val **out);
vn_status vn__onnx_need_const(imp *I, int k, const char *what, cval **out);
vn_status vn__onnx_need_run(imp *I, int k, val **out);
vn_status vn__onnx_out_const(imp *I, int k, cval *c);
vn_status vn__onnx_out_run(imp *I, int k, int node, int rank);
vn_status vn__onnx_one_output(imp *I);
vn_status vn__onnx_emit(imp *I, int *node, const char *type, const char *suffix, const char *inputs,
                        const char *fmt, ...) VN_PRINTF(6, 7);
vn_status vn__onnx_set_param(imp *I, int node, const char *suffix, const float *data, int64_t n);
void vn__onnx_fmt_list(char *buf, size_t n, const int64_t *v, int k);
vn_status vn__onnx_const_node(imp *I, const cval *c, int rank, int *node);
vn_status vn__onnx_operand(imp *I, int k, int rank, char *name, size_t n, int *orank);
vn_status vn__onnx_norm_axis(imp *I, int64_t axis, int r, int *out);
vn_status vn__onnx_model_dim(imp *I, int a, int *dim);
int vn__onnx_bias_add(imp *I, int64_t M, int rank, const cval **bias);

/* onnx_const.c */
void vn__onnx_cval_free(cval *c);
vn_status vn__onnx_cval_alloc(cval *c, bool is_int, int ndim, const int64_t *shape, uint64_t max);
vn_status vn__onnx_cval_copy(const cval *s, cval *d, uint64_t max);
double vn__onnx_cval_get(const cval *c, int64_t k);
vn_status vn__onnx_tensor_to_cval(const Onnx__TensorProto *t, cval *c, uint64_t max,
                                  const char *what, int *dtype_out);
/* The node's axes: attribute "axes" (opset < 13 for Squeeze, < 18 for the
 * reductions) or integer constant input 1; *na = -1 when neither is there. */
vn_status vn__onnx_get_axes(imp *I, int64_t *axes, int *na);
vn_status vn__onnx_squeeze_shape(imp *I, bool unsq, const int64_t *in, int r, int64_t *out,
                                 int *ro);
vn_status vn__onnx_reshape_target(imp *I, const cval *s, const int64_t *in, int r, int64_t *out,
                                  int *ro);
vn_status vn__onnx_try_fold(imp *I, const char *op, bool *done);

/* onnx_ops.c */
vn_status vn__onnx_map_runtime(imp *I, const char *op);

#endif
