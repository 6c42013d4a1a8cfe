/*
 * layer_activation.c - the shared body of the element-wise activation
 * layers (relu, leaky_relu, sigmoid, tanh, gelu): each layer file declares
 * its ops table and reads its attributes; the computing is here, once, on
 * top of the parameterised kernel in lib/kernels/eltwise.c.
 */
#include "nn/layer.h"

typedef struct activation {
    vn__layer base;
    vn__act act;
    float param;
} activation;

vn_status vn__activation_create(const vn__layer_ops *ops, vn__act act, float param, int nin,
                                const vn__shape *in, const char *who, vn__layer **out)
{
    (void)in;
    VN_TRY(vn__layer_check_inputs(who, nin, 1, 1));
    activation *a = (activation *)vn__layer_alloc(sizeof *a, ops, who);
    if (!a)
        return VN_ERR_NOMEM;
    a->act = act;
    a->param = param;
    *out = &a->base;
    return VN_OK;
}

vn_status vn__activation_forward(vn__layer *l, const vn__run *run, int nin,
                                 const vn_tensor *const *in, vn_tensor *out)
{
    (void)run;
    (void)nin;
    const activation *a = (const activation *)l;
    vn__act_forward(a->act, a->param, vn__cf32(in[0]), vn__f32(out), (int64_t)out->numel);
    return VN_OK;
}

vn_status vn__activation_backward(vn__layer *l, const vn__run *run, int nin,
                                  const vn_tensor *const *in, const vn_tensor *out,
                                  const vn_tensor *dout, vn_tensor *const *din, bool param_grads)
{
    (void)run;
    (void)nin;
    (void)param_grads;
    const activation *a = (const activation *)l;
    if (din[0])
        vn__act_backward(a->act, a->param, vn__cf32(in[0]), vn__cf32(out), vn__cf32(dout),
                         vn__f32(din[0]), (int64_t)dout->numel);
    return VN_OK;
}

int64_t vn__activation_flops(const vn__layer *l, int nin, const vn__shape *in,
                             const vn__shape *out)
{
    (void)nin;
    (void)in;
    const activation *a = (const activation *)l;
    int64_t per = a->act == VN__ACT_RELU || a->act == VN__ACT_LEAKY_RELU ? 1 : 8;
    return per * vn__shape_count(out);
}

float vn__activation_param(const vn__layer *l)
{
    return ((const activation *)l)->param;
}

vn__act vn__activation_kind(const vn__layer *l)
{
    return ((const activation *)l)->act;
}
