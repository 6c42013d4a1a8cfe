/*
 * registry.c - the one table of layer types: name -> constructor. Adding a
 * layer type is one file in this folder, its constructor in layers.h, and
 * one row here (plus its conformance cases and docs/networks.md).
 */
#include "nn/layers/layers.h"

#include <string.h>

static const vn__layer_type g_types[] = {
    {"conv2d", vn__conv2d_create, "2-D convolution (stride, pad, dilation, groups, bias)"},
    {"conv_transpose2d", vn__conv_transpose2d_create, "transposed 2-D convolution"},
    {"max_pool2d", vn__max_pool2d_create, "max pooling"},
    {"avg_pool2d", vn__avg_pool2d_create, "average pooling"},
    {"adaptive_avg_pool2d", vn__adaptive_avg_pool2d_create, "average pooling to a fixed size"},
    {"global_avg_pool", vn__global_avg_pool_create, "mean of each channel -> [C, 1, 1]"},
    {"dense", vn__dense_create, "fully connected (nn.Linear), flattens its input"},
    {"batch_norm2d", vn__batch_norm2d_create, "batch normalisation per channel"},
    {"dropout", vn__dropout_create, "inverted dropout (training only)"},
    {"relu", vn__relu_create, "max(x, 0)"},
    {"leaky_relu", vn__leaky_relu_create, "x or slope*x"},
    {"sigmoid", vn__sigmoid_create, "1/(1+exp(-x))"},
    {"tanh", vn__tanh_create, "tanh(x)"},
    {"gelu", vn__gelu_create, "GELU, exact or tanh approximation"},
    {"softmax", vn__softmax_create, "softmax over one dim (channels / classes by default)"},
    {"log_softmax", vn__log_softmax_create, "log-softmax over one dim (channels by default)"},
    {"flatten", vn__flatten_create, "[C, H, W] -> [C*H*W]"},
    {"upsample", vn__upsample_create, "integer upsampling, nearest or bilinear"},
    {"add", vn__add_create, "sum of inputs (residual; broadcasting)"},
    {"concat", vn__concat_create, "concatenation along one dim (channels by default)"},
    {"mul", vn__mul_create, "element-wise product of two inputs (broadcasting)"},
    {"sub", vn__sub_create, "element-wise difference of two inputs (broadcasting)"},
    {"div", vn__div_create, "element-wise quotient of two inputs (broadcasting)"},
    {"constant", vn__constant_create, "a stored tensor (buffer 'value') repeated over the batch"},
    {"clip", vn__clip_create, "clamp to [min, max]"},
    {"matmul", vn__matmul_create, "x W (+ b) on the last dim, or the product of two inputs"},
    {"reshape", vn__reshape_create, "a new per-sample shape, same values"},
    {"pad", vn__pad_create, "constant / reflect / edge padding or cropping (ONNX Pad)"},
    {"resize", vn__resize_create, "resize to a size, nearest or linear (ONNX Resize)"},
};

const vn__layer_type *vn__layer_type_find(const char *name)
{
    for (size_t i = 0; i < VN_ARRAY_LEN(g_types); i++)
        if (strcmp(g_types[i].name, name) == 0)
            return &g_types[i];
    return NULL;
}

int vn__layer_type_count(void)
{
    return (int)VN_ARRAY_LEN(g_types);
}

const vn__layer_type *vn__layer_type_at(int i)
{
    return i >= 0 && i < (int)VN_ARRAY_LEN(g_types) ? &g_types[i] : NULL;
}
