/*
 * loss_check.c - the argument checks every loss makes, so the three losses
 * refuse bad input with the same kind of message:
 * "mse: pred is [4, 3] but target is [4, 5]".
 */
#include "train/train_internal.h"

#include <stdint.h>

vn_status vn__loss_check_pair(const char *loss, const vn_tensor *a, const char *an,
                              const vn_tensor *b, const char *bn)
{
    if (!a || !b)
        return vn__error(VN_ERR_INVALID_ARG, "%s: %s is NULL", loss, !a ? an : bn);
    if (a->dtype != VN_F32 || b->dtype != VN_F32)
        return vn__error(VN_ERR_SHAPE, "%s: %s is %s, expected f32", loss,
                         a->dtype != VN_F32 ? an : bn,
                         vn_dtype_name(a->dtype != VN_F32 ? a->dtype : b->dtype));
    char sa[96], sb[96];
    if (!vn__tensor_same_shape(a, b))
        return vn__error(VN_ERR_SHAPE, "%s: %s is %s but %s is %s", loss, an,
                         vn__shape_str(a, sa, sizeof sa), bn, vn__shape_str(b, sb, sizeof sb));
    if (a->numel == 0)
        return vn__error(VN_ERR_SHAPE, "%s: %s is empty (%s); the mean of nothing is undefined",
                         loss, an, vn__shape_str(a, sa, sizeof sa));
    return VN_OK;
}

static bool overlaps(const vn_tensor *a, const vn_tensor *b)
{
    if (!a || !b)
        return false;
    uintptr_t a0 = (uintptr_t)a->data, a1 = a0 + vn_tensor_nbytes(a);
    uintptr_t b0 = (uintptr_t)b->data, b1 = b0 + vn_tensor_nbytes(b);
    return a0 < b1 && b0 < a1;
}

vn_status vn__loss_check_grad(const char *loss, const vn_tensor *grad, const char *gn,
                              const vn_tensor *of, const vn_tensor *other)
{
    if (!grad)
        return VN_OK;
    char sg[96], so[96];
    if (grad->dtype != VN_F32)
        return vn__error(VN_ERR_SHAPE, "%s: %s is %s, expected f32", loss, gn,
                         vn_dtype_name(grad->dtype));
    if (!vn__tensor_same_shape(grad, of))
        return vn__error(VN_ERR_SHAPE, "%s: %s is %s, expected %s", loss, gn,
                         vn__shape_str(grad, sg, sizeof sg), vn__shape_str(of, so, sizeof so));
    if (overlaps(grad, of) || overlaps(grad, other))
        return vn__error(VN_ERR_INVALID_ARG, "%s: %s shares memory with an input", loss, gn);
    return VN_OK;
}
