/**
 * @file visionnet/nn.h
 * @brief Convolutional networks: layers, the model graph, forward, backward,
 *        parameters and the model spec text.
 *
 * A ::vn_model is a directed acyclic graph of named nodes. Each node is one
 * layer (`conv2d`, `relu`, `dense`, ...) configured by an attribute string
 * (`"name=conv1 out=32 k=3 pad=1"`) and fed by one or more earlier nodes. The
 * sequential builder appends each new node after the last one; a node that
 * names `inputs=a,b` takes several inputs (residual `add`, `concat`). The
 * model's input is the node called `input`.
 *
 * Shapes are inferred when a node is added, for one sample (the batch
 * dimension is left out): adding a node whose input does not fit fails with
 * ::VN_ERR_SHAPE and a message naming the node, e.g.
 * "conv2d 'conv2': input has 3 channels, layer expects 1".
 *
 * Tensors are f32 NCHW. Parameters are named as in a PyTorch state dict
 * (`conv1.weight`, `conv1.bias`, `bn1.running_mean`) and laid out as PyTorch
 * lays them out (conv weights OIHW, dense weights [out, in]), so weights move
 * between the two unchanged. They are initialised as PyTorch initialises them
 * by default, from the library's counter-based RNG keyed by the model's seed
 * (vn_model_set_seed()), so a model built twice with one seed is identical.
 *
 * Gradients accumulate as in PyTorch: vn_model_backward() adds to each
 * parameter's gradient tensor and vn_model_zero_grad() clears them.
 *
 * A model is one handle: it must not be used from two threads at once (the
 * library's own thread pool parallelises each call). See docs/networks.md for
 * the layer types, their attributes and the spec format.
 */
#ifndef VISIONNET_NN_H
#define VISIONNET_NN_H

#include "core.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/** A network: named nodes, their parameters and the activations of the last forward pass. */
typedef struct vn_model vn_model;

/** How vn_model_forward() runs. Values are pinned. */
typedef enum vn_mode {
    /** Batch-norm uses its running statistics, dropout is the identity,
     *  activation memory is planned once per input shape and reused, and
     *  nothing is kept for backward. */
    VN_MODE_INFERENCE = 0,
    /** Batch-norm normalises with the batch statistics and updates its
     *  running statistics, dropout drops, and what backward needs is kept. */
    VN_MODE_TRAINING = 1
} vn_mode;

/** @name Parameter flags (vn_model_param()) */
/**@{*/
/** The optimizer should update this parameter now (its node is trainable). */
#define VN_PARAM_TRAINABLE 1u
/** A buffer (batch-norm running_mean / running_var): saved and loaded, never
 *  given a gradient, never updated by an optimizer. */
#define VN_PARAM_BUFFER 2u
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Building a model */
/**@{*/

/**
 * Create an empty model whose input is one sample of shape input_shape
 * (without the batch dimension), e.g. {1, 28, 28} for MNIST (C, H, W) or
 * {64} for feature vectors. ndim 1..(VN_MAX_DIMS-1), every dimension >= 1.
 * The seed starts at 0.
 */
VN_API vn_status vn_model_create(const int64_t *input_shape, int ndim, vn_model **out);

/** Destroy a model and every tensor it owns. NULL is a no-op. */
VN_API void vn_model_destroy(vn_model *m);

/**
 * Append a node of layer type `type` ("conv2d", "relu", ... see
 * docs/networks.md) configured by `attrs`, space-separated `key=value` words
 * (NULL or "" for none). Common keys: `name=` (default: type and a number,
 * "relu_3"; names are unique, "input" is the model's input) and
 * `inputs=a,b` (default: the last node added). Other keys are the layer's,
 * e.g. "name=conv1 out=32 k=3 pad=1". Its parameters are initialised from the
 * model's seed. On error (unknown type or key, a bad value, a shape that does
 * not fit) the model is unchanged and vn_last_error() names the node.
 */
VN_API vn_status vn_model_add(vn_model *m, const char *type, const char *attrs);

/** Options of a conv2d node, for vn_model_add_conv2d(). Set `size` to
 *  sizeof(vn_conv2d_options); VN_CONV2D_OPTIONS_INIT gives the defaults. */
typedef struct vn_conv2d_options {
    size_t size;          /**< sizeof(vn_conv2d_options), set by the caller */
    int out_channels;     /**< output channels (required, >= 1) */
    int kernel_h;         /**< kernel rows (default 3) */
    int kernel_w;         /**< kernel columns (default 3) */
    int stride_h;         /**< default 1 */
    int stride_w;         /**< default 1 */
    int pad_h;            /**< zero padding rows on each side (default 0) */
    int pad_w;            /**< zero padding columns on each side (default 0) */
    int dilation_h;       /**< default 1 */
    int dilation_w;       /**< default 1 */
    int groups;           /**< default 1; input channels = groups is depthwise */
    int bias;             /**< 1 (default) adds a bias, 0 none */
} vn_conv2d_options;

/** Defaults: 3x3, stride 1, no padding, no dilation, 1 group, with bias; out_channels is
 *  still to set. */
#define VN_CONV2D_OPTIONS_INIT { sizeof(vn_conv2d_options), 0, 3, 3, 1, 1, 0, 0, 1, 1, 1, 1 }

/** Append a conv2d node named `name` (NULL: automatic) after the last node. */
VN_API vn_status vn_model_add_conv2d(vn_model *m, const char *name, const vn_conv2d_options *opts);

/** Append a dense (fully connected, PyTorch nn.Linear) node: any [N, ...]
 *  input is flattened to [N, F]; bias 1 or 0. */
VN_API vn_status vn_model_add_dense(vn_model *m, const char *name, int out_features, int bias);

/** Append a max_pool2d node (kernel k x k, stride, zero-size padding treated as -inf). */
VN_API vn_status vn_model_add_max_pool2d(vn_model *m, const char *name, int kernel, int stride,
                                         int padding);

/** Append a batch_norm2d node (eps 1e-5, momentum 0.1 as in PyTorch). */
VN_API vn_status vn_model_add_batch_norm2d(vn_model *m, const char *name);

/** Append an element-wise activation node: type is "relu", "sigmoid", "tanh",
 *  "gelu", "leaky_relu" (slope 0.01), "softmax" or "log_softmax". */
VN_API vn_status vn_model_add_activation(vn_model *m, const char *name, const char *type);

/** Append a flatten node ([N, C, H, W] -> [N, C*H*W]). */
VN_API vn_status vn_model_add_flatten(vn_model *m, const char *name);

/** Append a dropout node dropping with probability p in [0, 1) (inverted dropout). */
VN_API vn_status vn_model_add_dropout(vn_model *m, const char *name, float p);

/**
 * Set the seed and re-initialise every parameter and buffer as a freshly
 * built model with this seed would have them. The seed also keys dropout
 * masks, by (seed, step, sample), so they do not depend on the thread count.
 */
VN_API vn_status vn_model_set_seed(vn_model *m, uint64_t seed);

/** The model's seed. */
VN_API uint64_t vn_model_seed(const vn_model *m);

/**
 * Set the step counter that keys dropout masks (it counts training forwards
 * and starts at 0): a resumed run sets it to reproduce the masks it would
 * have drawn.
 */
VN_API vn_status vn_model_set_step(vn_model *m, uint64_t step);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Model spec text
 *
 * One node per line, `type key=value ...`, after a first line
 * `input shape=1,28,28` (optionally `seed=N`). `#` starts a comment; blank
 * lines are ignored. Example:
 *
 *     input shape=1,28,28 seed=7
 *     conv2d name=conv1 out=8 k=3 pad=1
 *     relu name=relu1
 *     max_pool2d name=pool1 k=2
 *     flatten name=flat
 *     dense name=fc out=10
 */
/**@{*/
/** Build a model from spec text (NUL-terminated). Errors are ::VN_ERR_FORMAT
 *  (or the error of the node) with "line N: ..." naming the line and the word. */
VN_API vn_status vn_model_from_spec(const char *text, vn_model **out);
/** Print the model back as spec text, every attribute explicit, so that
 *  vn_model_from_spec() of the text builds the same graph. The caller frees
 *  *text with vn_free(). */
VN_API vn_status vn_model_to_spec(const vn_model *m, char **text);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Running */
/**@{*/

/**
 * Run the model on a batch `input` of shape [N, input shape...]. *output is
 * borrowed: it stays valid and unchanged until the next forward or
 * destruction of the model. In ::VN_MODE_TRAINING the activations backward
 * needs are kept (the input is copied, so the caller may reuse its buffer);
 * in ::VN_MODE_INFERENCE the activation memory is planned once per batch
 * size and reused, and the input is only read during the call.
 */
VN_API vn_status vn_model_forward(vn_model *m, const vn_tensor *input, vn_mode mode,
                                  const vn_tensor **output);

/**
 * Back-propagate grad_output (d loss / d output, the shape of the last
 * output) through the last forward, which must have been a
 * ::VN_MODE_TRAINING one (::VN_ERR_INVALID_ARG otherwise, also after the
 * graph or a trainable flag changed). Parameter gradients
 * are ADDED to the gradient tensors (PyTorch style; see vn_model_zero_grad()).
 * Parameters of non-trainable nodes get no gradient. When grad_input is not
 * NULL, *grad_input receives d loss / d input (borrowed, valid until the next
 * forward or backward); with grad_input NULL the input gradient is not
 * computed and work upstream of the first trainable node is skipped.
 * Calling backward twice after one forward accumulates twice.
 */
VN_API vn_status vn_model_backward(vn_model *m, const vn_tensor *grad_output,
                                   const vn_tensor **grad_input);

/** Set every parameter gradient to zero. */
VN_API void vn_model_zero_grad(vn_model *m);

/**
 * The activation of node `node` ("conv1"; "input" is the input: the
 * model's copy after a training forward, the caller's own tensor after an
 * inference one) from the last forward, borrowed until the next forward. After a training forward
 * every node's activation is available. (A conv2d or relu that the forward
 * fused into a following max_pool2d was not written; it is computed when
 * asked, from the forward's input and the node's current weights, so ask
 * before an optimizer step changes them, or mark the node with
 * vn_model_keep_output(), which keeps it out of the fusion.) An inference forward shares memory
 * between nodes, so it keeps only the model's output and the nodes marked
 * with vn_model_keep_output(); asking for another node then fails with
 * ::VN_ERR_INVALID_ARG.
 */
VN_API vn_status vn_model_output(vn_model *m, const char *node, const vn_tensor **act);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Nodes */
/**@{*/
/** Number of nodes, not counting the input. */
VN_API int vn_model_node_count(const vn_model *m);
/** Name of node i (0 <= i < count), borrowed; NULL when out of range. */
VN_API const char *vn_model_node_name(const vn_model *m, int i);
/** Layer type of node i ("conv2d"), static string; NULL when out of range. */
VN_API const char *vn_model_node_type(const vn_model *m, int i);
/** Index of the node called `name`, -1 when there is none. */
VN_API int vn_model_node_find(const vn_model *m, const char *name);
/** Output shape of node i for one sample (no batch dimension): *ndim gets
 *  the rank, shape[0 .. ndim-1] the dimensions (shape holds VN_MAX_DIMS). */
VN_API vn_status vn_model_node_shape(const vn_model *m, int i, int64_t *shape, int *ndim);
/** Number of trainable scalars of node i (weights and biases, not buffers). */
VN_API int64_t vn_model_node_param_count(const vn_model *m, int i);
/** Floating-point operations of node i's forward pass for one sample (a
 *  multiply-add counts 2). */
VN_API int64_t vn_model_node_flops(const vn_model *m, int i);
/** The node's attributes as the spec text prints them ("name=conv1 out=32 k=3 ...";
 *  inputs included), into a string the caller frees with vn_free(). */
VN_API vn_status vn_model_node_attrs(const vn_model *m, int i, char **text);
/** Output shape of the model for one sample (the last node's). */
VN_API vn_status vn_model_output_shape(const vn_model *m, int64_t *shape, int *ndim);
/** Input shape of the model for one sample. */
VN_API vn_status vn_model_input_shape(const vn_model *m, int64_t *shape, int *ndim);

/** Make node `node`'s parameters trainable (1) or frozen (0). A frozen node's
 *  parameters get no gradient and no update; a frozen batch_norm2d normalises
 *  with its running statistics, which it no longer updates. */
VN_API vn_status vn_model_set_trainable(vn_model *m, const char *node, int trainable);
/** Keep node `node`'s output (1) after inference forwards so that
 * vn_model_output() can read it (feature maps, embeddings), or stop (0). */
VN_API vn_status vn_model_keep_output(vn_model *m, const char *node, int keep);
/** Set node `node`'s learning-rate multiplier (default 1, must be >= 0). */
VN_API vn_status vn_model_set_lr_mult(vn_model *m, const char *node, float mult);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Parameters
 *  The interface optimizers, savers and importers iterate over. */
/**@{*/
/** Number of parameter tensors of the model, trainable ones and buffers
 *  (running_mean, running_var), in node order. */
VN_API int vn_model_param_count(const vn_model *m);

/**
 * Parameter i (0 <= i < count): its PyTorch state-dict name ("conv1.weight"),
 * value and gradient tensors (borrowed, valid while the model lives and is
 * not rebuilt; grad is NULL for buffers), and *flags: ::VN_PARAM_TRAINABLE
 * when the optimizer should update it now (a parameter of a frozen node has
 * flags 0), ::VN_PARAM_BUFFER for buffers. Any out pointer may be NULL.
 */
VN_API vn_status vn_model_param(vn_model *m, int i, const char **name, vn_tensor **value,
                                vn_tensor **grad, unsigned *flags);

/** Learning-rate multiplier of parameter i's node (default 1), read by
 *  optimizers at each step; 0 when i is out of range. */
VN_API float vn_model_param_lr_mult(const vn_model *m, int i);

/** Index of the parameter called `name` ("fc.bias"), -1 when there is none. */
VN_API int vn_model_param_find(const vn_model *m, const char *name);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Metadata: preprocessing and class names
 *  Stored in the model file, used by `visionnet predict` / `eval` and by
 *  training to turn a u8 image into the model's input. */
/**@{*/

/**
 * Set how a u8 image becomes the model's input: for channel c,
 * x = (u8 * scale - mean[c]) / std[c]. mean and std are arrays of C entries,
 * C = the input's channel count (first dimension of the input shape); NULL
 * means all 0 (mean) or all 1 (std). scale must be finite and > 0, std
 * entries finite and > 0, mean entries finite. The default is scale 1/255,
 * mean 0, std 1 (pixels in [0, 1]).
 */
VN_API vn_status vn_model_set_preprocess(vn_model *m, float scale, const float *mean,
                                         const float *std);

/**
 * The preprocessing set by vn_model_set_preprocess(). Any out pointer may be
 * NULL; mean and std, when given, are arrays of C entries (C = input
 * channels) that receive the values.
 */
VN_API vn_status vn_model_get_preprocess(const vn_model *m, float *scale, float *mean,
                                         float *std);

/**
 * Name the model's classes: n names (copied) for the n outputs of the model
 * (n must equal the number of elements of the output shape), or n = 0 (names
 * NULL) to clear them. Names are non-empty, at most 255 bytes, without
 * control characters.
 */
VN_API vn_status vn_model_set_class_names(vn_model *m, int n, const char *const *names);

/** Name of class i, borrowed (valid until the names change or the model is
 *  destroyed); NULL when no names are set or i is out of range. Names set
 *  before the model's output size changed (a replaced head) are still
 *  returned, but vn_model_save() refuses them: set them again. */
VN_API const char *vn_model_class_name(const vn_model *m, int i);

/** Number of class names set (0 when none). */
VN_API int vn_model_class_count(const vn_model *m);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Model files
 *
 * A model file is a safetensors file: the parameters and buffers under their
 * PyTorch state-dict names as F32 tensors, and in `__metadata__` the spec
 * text, the format version, a CRC-32 of the tensor data, the preprocessing,
 * the class names and optionally an optimizer's configuration and state.
 * docs/model-files.md describes the format key by key. */
/**@{*/

/** An optimizer (train.h): its state can be saved with the model. */
typedef struct vn_optimizer vn_optimizer;

/**
 * Save model m (and, when opt is not NULL, its configuration, step count and
 * state tensors, so training can resume bit-exactly) to path. The file is
 * written to a temporary file next to path, flushed to disk and renamed over
 * path: a crash or a kill during the save leaves the previous file intact.
 */
VN_API vn_status vn_model_save(const vn_model *m, const vn_optimizer *opt, const char *path);

/**
 * Load a model file written by vn_model_save(). *model receives a new model
 * (owned by the caller). When opt is not NULL, *opt receives a new optimizer
 * with the saved configuration and state, bound to *model's parameters, or
 * NULL when the file holds none; with opt NULL the optimizer state is
 * ignored. A damaged or foreign file is refused with ::VN_ERR_FORMAT and a
 * reason in vn_last_error() (a file from a newer format version with
 * ::VN_ERR_UNSUPPORTED); nothing is returned then.
 */
VN_API vn_status vn_model_load(const char *path, vn_model **model, vn_optimizer **opt);

/**
 * Like vn_model_load() from the n bytes at data (borrowed, only read during
 * the call); `name` (may be NULL) names the source in error messages.
 */
VN_API vn_status vn_model_load_mem(const void *data, size_t n, const char *name,
                                   vn_model **model, vn_optimizer **opt);
/**@}*/

#ifdef __cplusplus
}
#endif
#endif /* VISIONNET_NN_H */
