/**
 * @file visionnet/transfer.h
 * @brief Transfer learning: freeze parts of a model, cut or replace its
 *        head, extract embeddings, and move weights in and out by name.
 *
 * The verbs here work on a ::vn_model built or loaded as usual
 * (visionnet/nn.h). A typical fine-tuning run loads a trained model,
 * freezes its backbone (vn_model_freeze_until()), replaces the classifier
 * (vn_model_replace_head()) and trains; docs/transfer-learning.md walks
 * through it and examples/transfer_head.c is the compiled version.
 *
 * Node patterns are the globs of vn_optimizer_set_lr_mult(): `*` matches
 * any run of characters (dots included, so `layer1.*` matches
 * `layer1.0.conv1`), `?` one character, anything else itself. A plain name
 * is a pattern that matches that node only.
 *
 * Weights files are plain safetensors files: a tensor per parameter or
 * buffer under its PyTorch state-dict name (`conv1.weight`,
 * `bn1.running_mean`), F32 only. They carry no graph: they load into a
 * model that already has the parameters, by name.
 */
#ifndef VISIONNET_TRANSFER_H
#define VISIONNET_TRANSFER_H

#include "core.h"
#include "tensor.h"
#include "nn.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Freezing */
/**@{*/

/**
 * Freeze every node whose name matches `pattern` (a glob, see above): its
 * parameters get no gradient and no update, and a batch_norm2d stops
 * updating its running statistics (vn_model_set_trainable() with 0 on each).
 * Optimizers read the flags at each step, so freezing takes effect at the
 * next step. ::VN_ERR_INVALID_ARG naming the pattern when no node matches
 * (the model is then unchanged).
 */
VN_API vn_status vn_model_freeze(vn_model *m, const char *pattern);

/** Make every node matching `pattern` trainable again; errors as vn_model_freeze(). */
VN_API vn_status vn_model_unfreeze(vn_model *m, const char *pattern);

/**
 * Freeze node `node` and every node before it in the model's order (a
 * topological order: a node's inputs always come before it), e.g. the
 * whole backbone up to the last pooling layer. Nodes after it are not
 * changed. ::VN_ERR_INVALID_ARG when there is no such node.
 */
VN_API vn_status vn_model_freeze_until(vn_model *m, const char *node);

/**
 * Set the learning-rate multiplier of every node matching `pattern` to
 * `mult` (>= 0; vn_model_set_lr_mult() on each), e.g. 0.1 for `conv*` to
 * fine-tune a backbone gently. Errors as vn_model_freeze(), or
 * ::VN_ERR_INVALID_ARG for a bad multiplier (model unchanged).
 */
VN_API vn_status vn_model_set_lr_mult_matching(vn_model *m, const char *pattern, float mult);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Head surgery
 *
 * These change the graph: parameter indices, borrowed parameter tensors
 * and an optimizer bound to the model with vn_optimizer_add_model() are no
 * longer valid afterwards (make a new optimizer). Class names set on the
 * model are cleared when the output size changes. On any error the model
 * is unchanged. */
/**@{*/

/**
 * Make node `node` the model's output: every node that does not feed it
 * (every node after it, and side branches that lead elsewhere) is removed
 * with its parameters. The remaining nodes keep their names, parameters,
 * flags and order.
 */
VN_API vn_status vn_model_truncate(vn_model *m, const char *node);

/**
 * Replace the dense node `node` by a new dense node of the same name, the
 * same input and `n_classes` outputs, initialised as PyTorch initialises a
 * fresh nn.Linear, from the model's seed; trainable, learning-rate
 * multiplier 1. The nodes after it (a softmax, ...) are kept with their
 * parameters and flags; when one of them no longer fits the new shape, or
 * its parameters would change shape, the call fails with ::VN_ERR_SHAPE
 * naming it. ::VN_ERR_INVALID_ARG when `node` is not a dense node or
 * n_classes < 1.
 */
VN_API vn_status vn_model_replace_head(vn_model *m, const char *node, int n_classes);

/**
 * Remove node `node` and every node after it, then append the nodes of
 * `fragment`: spec text without the input line, one node per line
 * ("dense name=fc out=5\nsoftmax name=prob"; `#` comments and blank lines
 * allowed; see vn_model_from_spec()). The first new node's input defaults
 * to the node before the removed one; `inputs=` may name any remaining
 * node. New parameters are initialised from the model's seed. Errors are
 * those of vn_model_add() prefixed "head line N: ".
 */
VN_API vn_status vn_model_replace_head_spec(vn_model *m, const char *node, const char *fragment);

/**
 * Run `input` ([N, input shape...], f32) through the model in inference
 * mode up to node `node` and no further, and return that node's
 * activation in *out, a new tensor owned by the caller (destroy it with
 * vn_tensor_destroy()). Nodes that do not feed `node` are not computed.
 * The model's own activations from its last forward stay as they were,
 * but a pending backward is no longer possible (run a training forward
 * again).
 */
VN_API vn_status vn_model_embed(vn_model *m, const vn_tensor *input, const char *node,
                                vn_tensor **out);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Weights by name */
/**@{*/

/** @name Weight-loading policies (flags, combinable with |; values pinned) */
/**@{*/
/** Every parameter and buffer of the model must be in the file with the
 *  same shape, and every tensor of the file must be one of them. */
#define VN_WEIGHTS_STRICT 0u
/** Parameters missing from the file keep their values. */
#define VN_WEIGHTS_SKIP_MISSING 1u
/** Parameters whose shape differs in the file keep their values. */
#define VN_WEIGHTS_SKIP_MISMATCH 2u
/** Tensors of the file that name no parameter are ignored. */
#define VN_WEIGHTS_SKIP_UNEXPECTED 4u
/** All of the above: load whatever matches (PyTorch's strict=False, plus
 *  shape mismatches). */
#define VN_WEIGHTS_LENIENT 7u
/**@}*/

/** What vn_model_load_weights() found: three lists of names. */
typedef struct vn_weights_report vn_weights_report;

/** The lists of a ::vn_weights_report. Values are pinned. */
typedef enum vn_weights_list {
    /** Parameters of the model that the file does not have. */
    VN_WEIGHTS_MISSING = 0,
    /** Tensors of the file that name no parameter of the model. */
    VN_WEIGHTS_UNEXPECTED = 1,
    /** Names in both whose shapes differ. */
    VN_WEIGHTS_MISMATCHED = 2,
    /** Parameters that were loaded. */
    VN_WEIGHTS_LOADED = 3
} vn_weights_list;

/**
 * Load the parameters and buffers of model m by name from the safetensors
 * file at path (any writer: Python's safetensors, vn_model_save_weights(),
 * a model file, whose optimizer tensors are then unexpected names). Tensors
 * must be F32: another dtype, like a damaged file, is refused with
 * ::VN_ERR_FORMAT and a message naming the tensor. `policy` is ::VN_WEIGHTS_STRICT or an | of the SKIP
 * flags; a missing, unexpected or mismatched name the policy does not
 * allow fails the call with ::VN_ERR_SHAPE naming the first of them. On
 * any failure the model is unchanged. When report is not NULL, *report
 * receives what was found (owned by the caller, vn_weights_report_destroy())
 * on success and on a policy failure; it is NULL after other errors.
 */
VN_API vn_status vn_model_load_weights(vn_model *m, const char *path, unsigned policy,
                                       vn_weights_report **report);

/** Like vn_model_load_weights() from the n bytes at data (borrowed, read
 *  during the call only); `name` (may be NULL) names the source in
 *  messages. */
VN_API vn_status vn_model_load_weights_mem(vn_model *m, const void *data, size_t n,
                                           const char *name, unsigned policy,
                                           vn_weights_report **report);

/**
 * Write the model's parameters and buffers to path as a plain safetensors
 * file (F32, PyTorch state-dict names, `__metadata__` {"format": "pt"}):
 * Python's `safetensors.numpy.load_file` / `safetensors.torch.load_file`
 * read it, and vn_model_load_weights() loads it back. The spec, metadata
 * and optimizer are not written (vn_model_save() writes those). Written
 * atomically, as vn_model_save() does.
 */
VN_API vn_status vn_model_save_weights(const vn_model *m, const char *path);

/** Number of names in list `list` (0 for a NULL report or an unknown list). */
VN_API int vn_weights_report_count(const vn_weights_report *r, vn_weights_list list);

/** Name i of list `list`, borrowed until the report is destroyed; NULL when
 *  out of range. Names are in the model's parameter order (unexpected
 *  ones in the file's order). */
VN_API const char *vn_weights_report_name(const vn_weights_report *r, vn_weights_list list, int i);

/** Destroy a report. NULL is a no-op. */
VN_API void vn_weights_report_destroy(vn_weights_report *r);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name ONNX import
 *
 * Build a ::vn_model from an ONNX file (docs/onnx.md lists the operators).
 * The result is an ordinary model: it saves, freezes, fine-tunes and trains
 * like a native one. Node names are the ONNX node names made valid and
 * unique, so parameters are named `conv1.weight`, ... Anything the importer
 * cannot map is refused with ::VN_ERR_UNSUPPORTED naming the node and the
 * first unsupported operator, attribute, value or dtype; a malformed file is
 * ::VN_ERR_FORMAT. A library built without ONNX support refuses every call
 * with ::VN_ERR_UNSUPPORTED. */
/**@{*/

/** How an ONNX graph's first axis is read. Values are pinned. */
typedef enum vn_onnx_batch {
    VN_ONNX_BATCH_FIRST = 0, /**< axis 0 of the graph input is the batch (images: N, C, H, W) */
    VN_ONNX_BATCH_NONE = 1   /**< no batch axis: the whole graph input is one sample (run with N = 1) */
} vn_onnx_batch;
/** Options of vn_model_import_onnx(). VN_ONNX_OPTIONS_INIT gives the defaults. */
typedef struct vn_onnx_options {
    size_t size;                         /**< sizeof(vn_onnx_options) */
    int batch;                           /**< a vn_onnx_batch */
    const int64_t *input_shape;          /**< per-sample input shape for symbolic dims, or NULL: from the file */
    int input_ndim;                      /**< entries of input_shape */
    int nbind;                           /**< graph inputs bound to constants */
    const char *const *bind_names;       /**< their names */
    const vn_tensor *const *bind_values; /**< their values (f32, or i64 for shape-like inputs) */
} vn_onnx_options;
/** Defaults: batch first, input shape from the file, nothing bound. */
#define VN_ONNX_OPTIONS_INIT { sizeof(vn_onnx_options), VN_ONNX_BATCH_FIRST, NULL, 0, 0, NULL, NULL }

/**
 * Import the ONNX model at `path` into a new model *out (destroy it with
 * vn_model_destroy()). `opts` NULL means VN_ONNX_OPTIONS_INIT. The graph must
 * have exactly one runtime input (an input that is neither an initializer
 * nor bound through opts) and one output. Files over VN_LIMIT_MAX_FILE_BYTES
 * are refused with ::VN_ERR_LIMIT. On error *out is NULL.
 */
VN_API vn_status vn_model_import_onnx(const char *path, const vn_onnx_options *opts, vn_model **out);

/** Like vn_model_import_onnx() from the n bytes at data (borrowed, read
 *  during the call only). */
VN_API vn_status vn_model_import_onnx_mem(const void *data, size_t n, const vn_onnx_options *opts, vn_model **out);
/**@}*/

#ifdef __cplusplus
}
#endif
#endif /* VISIONNET_TRANSFER_H */
