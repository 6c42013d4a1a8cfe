/*
 * layers.h - the constructors of the layer types, one per file in this
 * folder, listed in the order of the registry table (registry.c).
 */
#ifndef VN_NN_LAYERS_H
#define VN_NN_LAYERS_H

#include "nn/layer.h"

vn_status vn__conv2d_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
/* For model_run.c's conv2d -> relu fusion: whether l is a conv2d, and its
 * forward that also writes relu(out) into relu_out (same shape, overlapping
 * neither x nor out), bit for bit the two layers' forwards. */
bool vn__layer_is_conv2d(const vn__layer *l);
vn_status vn__conv2d_forward_relu_layer(vn__layer *l, const vn_tensor *x, vn_tensor *out,
                                        vn_tensor *relu_out);
/* For model_run.c's conv2d -> relu -> max_pool2d fusion: whether the
 * convolution of x into out (shapes only) can run fused with a relu and
 * the max-pool `pool` over its output, and that forward: pooled =
 * pool(relu(conv(x))), with the pool's arg-max recorded when run->training
 * (run is the pool node's), out and the relu's output left unwritten. Bit
 * for bit the three layers' forwards. */
bool vn__conv2d_relu_pool_fusable_layer(const vn__layer *l, const vn_tensor *x,
                                        const vn_tensor *out);
vn_status vn__conv2d_forward_relu_pool_layer(vn__layer *l, vn__layer *pool, const vn__run *run,
                                             const vn_tensor *x, const vn_tensor *out,
                                             vn_tensor *pooled);
/* For model_run.c's backward of such a chain when nothing upstream needs
 * the convolution's input gradient: whether the weight (and bias)
 * gradients of conv l can be taken straight from the pool's output
 * `pooled`, its gradient and arg-max (kernels' vn__conv2d_relu_pool_
 * backward_weight, vectorised on this CPU), and doing so (added into l's
 * parameter gradients; x the convolution's input, out its output, for
 * shapes only). */
bool vn__conv2d_relu_pool_grad_fusable_layer(const vn__layer *l, const vn__layer *pool,
                                             const vn_tensor *x, const vn_tensor *out,
                                             const vn_tensor *pooled);
vn_status vn__conv2d_relu_pool_backward_layer(vn__layer *l, const vn__layer *pool,
                                              const vn_tensor *x, const vn_tensor *out,
                                              const vn_tensor *pooled, const vn_tensor *dpooled);
vn_status vn__conv_transpose2d_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__max_pool2d_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
/* For model_run.c's relu -> max_pool2d backward fusion: whether l is a
 * max_pool2d, and the gradient of pool(relu(x)) with respect to x into din
 * from the pool's input (relu's output), output and output gradient, bit
 * for bit the two layers' backwards. */
bool vn__layer_is_max_pool2d(const vn__layer *l);
vn_status vn__max_pool2d_relu_backward_layer(vn__layer *l, const vn_tensor *in,
                                             const vn_tensor *out, const vn_tensor *dout,
                                             vn_tensor *din);
/* The geometry of max_pool2d l from in to out (shapes only), and where a
 * training forward (run->training) records its arg-max (*argmax, NULL in
 * inference), grown to out's shape. */
vn_status vn__max_pool2d_prepare(vn__layer *l, const vn__run *run, const vn_tensor *in,
                                 const vn_tensor *out, vn__pool_geom *g, int32_t **argmax);
/* The geometry of max_pool2d l from in to out and the arg-max its last
 * training forward recorded; VN_ERR_INVALID_ARG without one (peek: false,
 * and no error raised). */
bool vn__max_pool2d_peek(const vn__layer *l, const vn_tensor *in, const vn_tensor *out,
                         vn__pool_geom *g, const int32_t **argmax);
vn_status vn__max_pool2d_saved(const vn__layer *l, const vn_tensor *in, const vn_tensor *out,
                               vn__pool_geom *g, const int32_t **argmax);
vn_status vn__avg_pool2d_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__adaptive_avg_pool2d_create(vn__attrs *a, int nin, const vn__shape *in,
                                         vn__layer **out);
vn_status vn__global_avg_pool_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__dense_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__batch_norm2d_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__dropout_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__relu_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__leaky_relu_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__sigmoid_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__tanh_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__gelu_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__softmax_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__log_softmax_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__flatten_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__upsample_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__add_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__concat_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__mul_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__sub_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__div_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__constant_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__clip_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__matmul_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__reshape_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__pad_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__resize_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);

/* ---- shared by the element-wise layers -------------------------------- */

/* The broadcasting element-wise layers (add.c): add (1..64 inputs) and
 * mul / sub / div (2 inputs) are this with the kernel operator `op`. */
vn_status vn__binary_create(const vn__layer_ops *ops, vn__binop op, vn__attrs *a, int nin,
                            const vn__shape *in, vn__layer **out);
vn_status vn__binary_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out);
vn_status vn__binary_forward(vn__layer *l, const vn__run *run, int nin,
                             const vn_tensor *const *in, vn_tensor *out);
vn_status vn__binary_backward(vn__layer *l, const vn__run *run, int nin,
                              const vn_tensor *const *in, const vn_tensor *out,
                              const vn_tensor *dout, vn_tensor *const *din, bool param_grads);
int64_t vn__binary_flops(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out);
/* The `dim` attribute (default 1) against a per-sample shape (softmax.c):
 * 1..rank, negative from the end; dim 0 (the batch) is VN_ERR_UNSUPPORTED,
 * out of range VN_ERR_SHAPE. *dim gets the resolved 1..rank. */
vn_status vn__layer_read_dim(vn__attrs *a, const vn__shape *in, int *dim);
/* The required `shape` attribute (reshape.c): 1..VN_MAX_DIMS-1 dims >= 1. */
vn_status vn__layer_read_shape(vn__attrs *a, vn__shape *s);

#endif /* VN_NN_LAYERS_H */
