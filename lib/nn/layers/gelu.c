/*
 * gelu.c - Gaussian error linear unit, PyTorch nn.GELU:
 * approximate=none (default) is exact, 0.5*x*(1 + erf(x/sqrt 2));
 * approximate=tanh is 0.5*x*(1 + tanh(sqrt(2/pi)*(x + 0.044715*x^3))).
 * The two differ by up to ~1e-3, more than the conformance tolerance, so
 * they are separate kernels, not one standing in for the other.
 */
#include "nn/layers/layers.h"

static const char *const approximations[] = {"none", "tanh", NULL};

static void gelu_attrs(const vn__layer *l, vn__strbuf *sb)
{
    vn__strbuf_printf(sb, " approximate=%s",
                      vn__activation_kind(l) == VN__ACT_GELU_TANH ? "tanh" : "none");
}

static const vn__layer_ops gelu_ops = {
    .type = "gelu",
    .output_shape = vn__layer_same_shape,
    .forward = vn__activation_forward,
    .backward = vn__activation_backward,
    .attrs = gelu_attrs,
    .flops = vn__activation_flops,
};

vn_status vn__gelu_create(vn__attrs *a, int nin, const vn__shape *in, vn__layer **out)
{
    int which;
    VN_TRY(vn__attr_choice(a, "approximate", approximations, 0, &which));
    return vn__activation_create(&gelu_ops, which == 1 ? VN__ACT_GELU_TANH : VN__ACT_GELU, 0.0f,
                                 nin, in, a->who, out);
}
