/*
 * layers.h - the constructors of the layer types, one per file in this
 * folder, listed in the order of the registry table (registry.c).
 */
#ifndef VN_NN_LAYERS_H
#define VN_NN_LAYERS_H

#include "nn/layer.h"

vn_status vn__conv2d_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__conv_transpose2d_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
vn_status vn__max_pool2d_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out);
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

#endif /* VN_NN_LAYERS_H */
