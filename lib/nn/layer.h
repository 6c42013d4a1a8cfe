/*
 * layer.h - the private layer interface: a vtable of operations plus the
 * state common to every layer (its parameter table and the name used in
 * error messages).
 *
 * A layer type is one file under lib/nn/layers/ defining a vn__layer_ops
 * table and a constructor, and one row in lib/nn/layers/registry.c. The
 * constructor reads its attributes (attrs.h), checks the input shapes,
 * allocates its parameters and returns the layer; the model does the rest
 * (naming, wiring, initialisation, memory).
 *
 * Shapes handed to a layer are per sample (no batch dimension): a conv2d
 * sees {C, H, W}. Tensors handed to forward / backward carry the batch
 * first: [N, C, H, W].
 */
#ifndef VN_NN_LAYER_H
#define VN_NN_LAYER_H

#include "core/vn_internal.h"
#include "tensor/tensor_internal.h"
#include "kernels/kernels.h"
#include "nn/attrs.h"
#include <visionnet/nn.h>

/* Shape of one sample. */
typedef struct vn__shape {
    int ndim;
    int64_t d[VN_MAX_DIMS];
} vn__shape;

/* Element count of a shape. */
int64_t vn__shape_count(const vn__shape *s);
/* "[3, 28, 28]" into buf. */
const char *vn__shape_fmt(const vn__shape *s, char *buf, size_t n);
bool vn__shape_equal(const vn__shape *a, const vn__shape *b);

/* One parameter or buffer of a layer. */
typedef struct vn__param {
    const char *suffix;   /* "weight", "bias", "running_mean": the name after "node." */
    vn_tensor *value;
    vn_tensor *grad;      /* NULL for buffers */
} vn__param;

#define VN__LAYER_MAX_PARAMS 4

/* How one forward / backward call runs. */
typedef struct vn__run {
    bool training;        /* VN_MODE_TRAINING: batch statistics, dropout, keep for backward */
    bool frozen;          /* the node is not trainable (batch-norm keeps its running stats) */
    uint64_t seed;        /* the model's seed */
    uint64_t step;        /* training forwards so far (dropout key) */
    uint64_t node;        /* index of the node in its model (dropout key) */
} vn__run;

typedef struct vn__layer vn__layer;

typedef struct vn__layer_ops {
    const char *type;     /* registry name, "conv2d" */

    /* Per-sample output shape for the given input shapes; VN_ERR_SHAPE with
     * a message starting with l->who when they do not fit. Required. */
    vn_status (*output_shape)(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out);

    /* out = f(in). out has the batch of in[0] and the shape output_shape
     * gave. With run->training the layer keeps what backward needs. */
    vn_status (*forward)(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                         vn_tensor *out);

    /* Given dout = dL/dout, write dL/din[i] into din[i] (overwriting) for
     * each din[i] that is not NULL, and when param_grads ADD the parameter
     * gradients to the params' grad tensors. in / out are those of the last
     * training forward. Required. */
    vn_status (*backward)(vn__layer *l, const vn__run *run, int nin, const vn_tensor *const *in,
                          const vn_tensor *out, const vn_tensor *dout, vn_tensor *const *din,
                          bool param_grads);

    /* (Re)initialise parameters and buffers from rng as PyTorch does by
     * default. Optional (layers without parameters). */
    void (*init)(vn__layer *l, vn_rng *rng);

    /* Append the layer's own attributes as " key=value" words, all of them
     * explicit, so that the constructor given them builds the same layer.
     * Optional (layers without attributes). */
    void (*attrs)(const vn__layer *l, vn__strbuf *sb);

    /* Forward floating-point operations for one sample. Optional (0). */
    int64_t (*flops)(const vn__layer *l, int nin, const vn__shape *in, const vn__shape *out);

    /* Free what the layer owns beyond the common part. Optional. */
    void (*destroy)(vn__layer *l);
} vn__layer_ops;

/* The common head of every layer struct (each type embeds it first). */
struct vn__layer {
    const vn__layer_ops *ops;
    char who[96];         /* "conv2d 'conv1'": the prefix of error messages */
    int init;             /* VN__INIT_*: how vn__layer_init_fan_in fills the params */
    int nparams;
    vn__param params[VN__LAYER_MAX_PARAMS];
};

/* Constructor of a layer type: read attributes from a, check nin / in,
 * allocate the layer (params still uninitialised). */
typedef vn_status (*vn__layer_create_fn)(vn__attrs *a, int nin, const vn__shape *in,
                                         vn__layer **out);

typedef struct vn__layer_type {
    const char *name;
    vn__layer_create_fn create;
    const char *summary;  /* one line for documentation and `visionnet info` */
} vn__layer_type;

/* ---- registry (layers/registry.c) -------------------------------------- */
const vn__layer_type *vn__layer_type_find(const char *name);
int vn__layer_type_count(void);
const vn__layer_type *vn__layer_type_at(int i);

/* ---- common helpers (layer.c) ------------------------------------------ */

/* Allocate a zeroed layer struct of `size` bytes (>= sizeof(vn__layer))
 * with ops and who set. */
vn__layer *vn__layer_alloc(size_t size, const vn__layer_ops *ops, const char *who);
/* Add a parameter (with a zeroed gradient tensor) or a buffer (no
 * gradient) of the given shape. */
vn_status vn__layer_add_param(vn__layer *l, const char *suffix, int ndim, const int64_t *shape,
                              bool buffer);
/* Destroy a layer: ops->destroy, its params, the struct. NULL is a no-op. */
void vn__layer_destroy(vn__layer *l);

/* A cap on the bytes of parameters and buffers that layers built on this
 * thread may allocate from now on (vn__layer_add_param counts them; over the
 * cap it fails with VN_ERR_FORMAT). vn_model_load sets it to the size of the
 * file's tensor data plus some slack, so a small file whose spec describes a
 * huge network is refused before that network is allocated and initialised.
 * vn__param_budget_clear() lifts the cap. */
void vn__param_budget_set(uint64_t bytes);
void vn__param_budget_clear(void);
/* Float data of a tensor. */
static inline float *vn__f32(vn_tensor *t) { return (float *)t->data; }
static inline const float *vn__cf32(const vn_tensor *t) { return (const float *)t->data; }
/* Make *t a tensor of dtype and shape, reusing its buffer when the element
 * count is unchanged (the contents are then undefined). */
vn_status vn__tensor_ensure(vn_tensor **t, vn_dtype dtype, int ndim, const int64_t *shape);
/* Fill with U(-bound, bound) from rng. */
void vn__fill_uniform(vn_tensor *t, vn_rng *rng, float bound);
void vn__fill_value(vn_tensor *t, float v);
/* Initialisations of conv / linear layers (their `init=` attribute). */
enum {
    VN__INIT_TORCH = 0, /* "torch", PyTorch's default (vn__layer_init_fan_in) */
    VN__INIT_HE = 1     /* "he": kaiming_uniform_(nonlinearity='relu'), bias zeros */
};
/* Read `init=torch|he` (default torch) into l->init. */
vn_status vn__layer_read_init(vn__attrs *a, vn__layer *l);
/* Append " init=he" when l->init is not the default (specs written before
 * the attribute existed read back unchanged). */
void vn__layer_write_init(const vn__layer *l, vn__strbuf *sb);
/* The init op of conv / linear layers. fan_in = the product of params[0]'s
 * dimensions after the first. VN__INIT_TORCH, PyTorch's default: the weight
 * (params[0]) and the bias (params[1], when there is one) from
 * U(-1/sqrt(fan_in), 1/sqrt(fan_in)), which is kaiming_uniform_(a=sqrt(5))
 * for the weight. VN__INIT_HE: the weight from U(-sqrt(6/fan_in),
 * sqrt(6/fan_in)), kaiming_uniform_(nonlinearity='relu') (He et al. 2015),
 * and the bias 0. */
void vn__layer_init_fan_in(vn__layer *l, vn_rng *rng);

/* Check the count of inputs: VN_ERR_SHAPE naming the layer. */
vn_status vn__layer_check_inputs(const char *who, int nin, int min, int max);
/* Check that an input is an image [C, H, W]. */
vn_status vn__layer_check_chw(const char *who, const vn__shape *in);

/* A pooling window: k (required), stride (default k), pad (top / left,
 * default 0) and pad_end (bottom / right, default = pad) each smaller than
 * the effective window (PyTorch asks for at most half; ONNX allows more),
 * dilation (default 1, only when the layer reads it), ceil_mode (default
 * 0; 1: output sizes rounded up, the last window starting inside the
 * input or the leading padding, as PyTorch and ONNX do). */
typedef struct vn__window {
    int k[2], stride[2], pad[2], pad_end[2], dilation[2];
    bool ceil_mode;
} vn__window;

/* Read a window's attributes; `dilation` says whether the key exists. */
vn_status vn__layer_read_window(vn__attrs *a, vn__window *w, bool dilation);
/* Output size of one axis of a window (or convolution) with padding pb
 * before and pe after: floor((in + pb + pe - d(k-1) - 1)/s) + 1, or with
 * ceil_mode rounded up and then one less when the last window would start
 * past the input and the leading padding. <= 0 when nothing fits. */
int64_t vn__window_out_size(int64_t in, int k, int s, int pb, int pe, int d, bool ceil_mode);
/* The per-sample output shape of a pooling window on an image input. */
vn_status vn__layer_window_shape(const char *who, int nin, const vn__shape *in,
                                 const vn__window *w, vn__shape *out);
/* Fill a pooling geometry for input x and output y. */
void vn__layer_pool_geom(vn__pool_geom *g, const vn_tensor *x, const vn_tensor *y,
                         const vn__window *w);
/* Append the window's attributes: k, stride, pad, pad_end (only when it
 * differs from pad), dilation (when `dilation`), ceil_mode (only when 1). */
void vn__layer_window_attrs(const vn__window *w, vn__strbuf *sb, bool dilation);

/* The attributes conv2d and conv_transpose2d share: out, k, stride, pad,
 * pad_end (default: pad), dilation, groups, bias. */
typedef struct vn__conv_attrs {
    int out, k[2], stride[2], pad[2], pad_end[2], dilation[2], groups;
    bool bias;
} vn__conv_attrs;
/* Read them (VN_ERR_INVALID_ARG naming the word, or when out is not a
 * multiple of groups). */
vn_status vn__conv_attrs_read(vn__attrs *a, vn__conv_attrs *c);
/* Print them back as spec words; pad_end only when it differs from pad,
 * and " output_pad=..." before dilation when opad is not NULL. */
void vn__conv_attrs_write(const vn__conv_attrs *c, const int *opad, vn__strbuf *sb);

/* Layers that only reinterpret their input's memory (flatten, reshape):
 * forward copies in[0] to out, backward copies dout to din[0]. */
vn_status vn__layer_copy_forward(vn__layer *l, const vn__run *run, int nin,
                                 const vn_tensor *const *in, vn_tensor *out);
vn_status vn__layer_copy_backward(vn__layer *l, const vn__run *run, int nin,
                                  const vn_tensor *const *in, const vn_tensor *out,
                                  const vn_tensor *dout, vn_tensor *const *din, bool param_grads);

/* Shape-preserving layers (activations, dropout, batch-norm): out = in[0]. */
vn_status vn__layer_same_shape(const vn__layer *l, int nin, const vn__shape *in, vn__shape *out);

/* ---- element-wise activation layers (layer_activation.c) --------------- */

/* Build an activation layer (relu, sigmoid, ...) computing `act` with
 * `param` (leaky_relu's slope); ops must use the vn__activation_* functions
 * below for output_shape / forward / backward. */
vn_status vn__activation_create(const vn__layer_ops *ops, vn__act act, float param, int nin,
                                const vn__shape *in, const char *who, vn__layer **out);
vn_status vn__activation_forward(vn__layer *l, const vn__run *run, int nin,
                                 const vn_tensor *const *in, vn_tensor *out);
vn_status vn__activation_backward(vn__layer *l, const vn__run *run, int nin,
                                  const vn_tensor *const *in, const vn_tensor *out,
                                  const vn_tensor *dout, vn_tensor *const *din, bool param_grads);
int64_t vn__activation_flops(const vn__layer *l, int nin, const vn__shape *in,
                             const vn__shape *out);
/* The activation's kind and parameter (for attrs printing). */
float vn__activation_param(const vn__layer *l);
vn__act vn__activation_kind(const vn__layer *l);

/* ---- batch-norm statistics (layers/batch_norm2d.c) --------------------- */

/* The batch mean and biased variance of the last training forward of a
 * batch_norm2d layer (borrowed, c floats each); false for other layers. */
bool vn__batch_norm2d_batch_stats(const vn__layer *l, const float **mean, const float **var);

#endif /* VN_NN_LAYER_H */
