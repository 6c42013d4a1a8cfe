/*
 * model.h - the layout of vn_model, shared by the files that build it
 * (model.c), run it (model_run.c) and print / parse it (spec.c).
 */
#ifndef VN_NN_MODEL_H
#define VN_NN_MODEL_H

#include "nn/layer.h"

/* Index standing for the model's input in a node's input list. */
#define VN__MODEL_INPUT (-1)
/* Most inputs one node takes. */
#define VN__NODE_MAX_INPUTS 64

typedef struct vn__node {
    char *name;
    vn__layer *layer;
    int nin;
    int *inputs;            /* node indices, VN__MODEL_INPUT for the input */
    vn__shape shape;        /* output shape of one sample */
    bool trainable;
    float lr_mult;
    bool keep;              /* keep the output after inference forwards */
    int first_param;        /* its first entry in vn_model.params */
    /* run time */
    vn_tensor *act;         /* training activation [N, shape...] (owned) */
    vn_tensor *view;        /* inference activation: a view of a planned buffer */
    vn_tensor *grad;        /* dL/d(output) during backward (owned) */
    bool grad_set;          /* grad holds this backward's value */
    bool need_grad;         /* this backward needs dL/d(output) */
    bool stale;             /* act not written: fused into a max-pool (model_run.c) */
} vn__node;

typedef struct vn__model_param {
    int node;               /* owning node */
    int index;              /* into the layer's params */
    char *name;             /* "conv1.weight" */
} vn__model_param;

struct vn_model {
    vn__shape in_shape;
    uint64_t seed;
    uint64_t step;          /* training forwards so far (dropout key) */
    int nnodes, node_cap;
    vn__node *nodes;
    int nparams, param_cap;
    vn__model_param *params;

    /* run time */
    vn_tensor *input;       /* copy of the last training input (backward reads it) */
    bool backward_ready;    /* the last forward was a training one on this graph */
    vn_tensor *grad_input;  /* dL/d(input) of the last backward */
    vn_tensor *tmp[VN__NODE_MAX_INPUTS];  /* gradients to add into a shared one */

    /* inference memory plan */
    int64_t plan_batch;     /* batch the plan is for, -1 = none */
    int nbufs;
    float **bufs;
    const vn_tensor *last_input;  /* the caller's input of the last inference forward */
    int last_mode;          /* -1 none yet, else the vn_mode of the last forward */

    /* metadata (model_meta.c); all zero means the defaults */
    bool pre_set;           /* vn_model_set_preprocess was called */
    float pre_scale;        /* u8 -> float factor */
    int pre_channels;       /* entries of pre_mean / pre_std */
    float *pre_mean, *pre_std;  /* owned */
    int nclasses;           /* class names set, 0 = none */
    char **class_names;     /* owned, nclasses strings */
};

/* Forget the inference plan (after the graph or the kept outputs change). */
void vn__model_drop_plan(vn_model *m);
/* Free run-time tensors. */
void vn__model_free_run(vn_model *m);
/* Append node i's spec words (" name=... [inputs=...] attrs [trainable=0]
 * [lr_mult=x]") to sb. */
void vn__model_node_words(const vn_model *m, int i, vn__strbuf *sb);
/* Free what node n owns (not the node struct itself). */
void vn__model_free_node(vn__node *n);
/* Re-initialise node i's parameters from the model's seed. */
void vn__model_init_node(vn_model *m, int i);

#endif /* VN_NN_MODEL_H */
