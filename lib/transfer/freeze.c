/*
 * freeze.c - freezing and learning-rate multipliers by node pattern:
 * vn_model_freeze, vn_model_unfreeze, vn_model_freeze_until and
 * vn_model_set_lr_mult_matching.
 *
 * These only set the per-node flags of visionnet/nn.h
 * (vn_model_set_trainable, vn_model_set_lr_mult) on every node a pattern
 * matches; what the flags do is the model's and the optimizer's work:
 *
 * - a frozen node's parameters get no gradient: vn_model_backward() does
 *   no parameter-gradient work for it, and no work at all upstream of the
 *   first trainable node when no input gradient is asked for (a frozen
 *   backbone costs a forward only);
 * - optimizers read the flags again at every step, so a frozen parameter is
 *   never updated, whatever the optimizer was built with;
 * - a frozen batch_norm2d normalises with its running statistics and stops
 *   updating them, also in training mode.
 *
 * Patterns are the optimizer's globs ('*' and '?'), so one pattern names
 * the same nodes in vn_model_freeze() and vn_optimizer_set_lr_mult(). A
 * pattern that matches nothing is an error naming it: a typo would
 * otherwise silently train (or freeze) the wrong thing.
 */
#include "core/vn_internal.h"
#include "train/train_internal.h"
#include <visionnet/transfer.h>

/* The indices of the nodes matching pattern: VN_ERR_INVALID_ARG naming
 * the pattern when there are none. *count gets their number; *idx is
 * vn__malloc'ed. */
static vn_status match_nodes(const vn_model *m, const char *fn, const char *pattern, int **idx,
                             int *count)
{
    *idx = NULL;
    *count = 0;
    if (!m || !pattern)
        return vn__error(VN_ERR_INVALID_ARG, "%s: %s is NULL", fn, m ? "pattern" : "model");
    int n = vn_model_node_count(m);
    int *list = vn__malloc((size_t)(n > 0 ? n : 1) * sizeof *list);
    if (!list)
        return vn__error(VN_ERR_NOMEM, "%s: out of memory", fn);
    int k = 0;
    for (int i = 0; i < n; i++)
        if (vn__train_glob_match(pattern, vn_model_node_name(m, i)))
            list[k++] = i;
    if (k == 0) {
        vn__free(list);
        return vn__error(VN_ERR_INVALID_ARG, "%s: no node matches '%s'", fn, pattern);
    }
    *idx = list;
    *count = k;
    return VN_OK;
}

static vn_status set_trainable_matching(vn_model *m, const char *fn, const char *pattern,
                                        int trainable)
{
    int *idx, n;
    VN_TRY(match_nodes(m, fn, pattern, &idx, &n));
    vn_status s = VN_OK;
    for (int k = 0; k < n && s == VN_OK; k++)
        s = vn_model_set_trainable(m, vn_model_node_name(m, idx[k]), trainable);
    vn__free(idx);
    return s;
}

VN_API vn_status vn_model_freeze(vn_model *m, const char *pattern)
{
    return set_trainable_matching(m, "vn_model_freeze", pattern, 0);
}

VN_API vn_status vn_model_unfreeze(vn_model *m, const char *pattern)
{
    return set_trainable_matching(m, "vn_model_unfreeze", pattern, 1);
}

VN_API vn_status vn_model_freeze_until(vn_model *m, const char *node)
{
    if (!m || !node)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_freeze_until: %s is NULL",
                         m ? "node" : "model");
    int last = vn_model_node_find(m, node);
    if (last < 0)
        return vn__error(VN_ERR_INVALID_ARG, "vn_model_freeze_until: no node '%s'", node);
    for (int i = 0; i <= last; i++)
        VN_TRY(vn_model_set_trainable(m, vn_model_node_name(m, i), 0));
    return VN_OK;
}

VN_API vn_status vn_model_set_lr_mult_matching(vn_model *m, const char *pattern, float mult)
{
    if (!(mult >= 0.0f) || mult > 1e6f)
        return vn__error(VN_ERR_INVALID_ARG,
                         "vn_model_set_lr_mult_matching: multiplier %g for '%s' is not in [0, 1e6]",
                         (double)mult, pattern ? pattern : "(null)");
    int *idx, n;
    VN_TRY(match_nodes(m, "vn_model_set_lr_mult_matching", pattern, &idx, &n));
    vn_status s = VN_OK;
    for (int k = 0; k < n && s == VN_OK; k++)
        s = vn_model_set_lr_mult(m, vn_model_node_name(m, idx[k]), mult);
    vn__free(idx);
    return s;
}
