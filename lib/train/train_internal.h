/*
 * train_internal.h - what the files of lib/train share: the checks every
 * loss makes, the key=value word reader used by the optimizer and schedule
 * configuration strings, and the optimizer's private layout (its algorithm
 * vtable, hyper-parameters and per-parameter state).
 */
#ifndef VN_TRAIN_INTERNAL_H
#define VN_TRAIN_INTERNAL_H

#include "tensor/tensor_internal.h"
#include <visionnet/nn.h>
#include <visionnet/train.h>

/* ---- losses (loss_check.c) ---------------------------------------------- */
/* `a` and `b` are f32, non-empty and of the same shape; `an` / `bn` name them
 * in the message ("mse: pred is [4, 3] but target is [4, 5]"). */
vn_status vn__loss_check_pair(const char *loss, const vn_tensor *a, const char *an,
                              const vn_tensor *b, const char *bn);
/* grad is NULL or f32 of the shape of `of` and does not share its memory
 * with `of` or `other`. */
vn_status vn__loss_check_grad(const char *loss, const vn_tensor *grad, const char *gn,
                              const vn_tensor *of, const vn_tensor *other);

/* ---- configuration words (config_words.c) ------------------------------- */
/* Longest word a configuration string may hold. */
#define VN__WORD_MAX 256
/* Copy the next space-separated word of *cursor into buf (NUL-terminated)
 * and advance; *got is false at the end. A word of VN__WORD_MAX bytes or
 * more is refused with a message naming `what`. */
vn_status vn__train_word_next(const char *what, const char **cursor, char *buf, bool *got);
/* Split "key=value" in place at the first '='; the value, or NULL when the
 * word has no '='. */
char *vn__train_word_value(char *word);
/* Parse a whole finite number / an integer in [lo, hi]; the message names
 * `what` and "key=value". Locale-independent ('.' is the decimal point). */
vn_status vn__train_parse_double(const char *what, const char *key, const char *val, double *out);
vn_status vn__train_parse_int(const char *what, const char *key, const char *val, int64_t lo,
                              int64_t hi, int64_t *out);
/* Append " key=<value>" (shortest text that reads back as the same double,
 * always with '.') to a buffer of n bytes; false when it does not fit. */
bool vn__train_append_double(char *buf, size_t n, const char *key, double value);
/* '*' any run, '?' one character, everything else literal. */
bool vn__train_glob_match(const char *glob, const char *s);

/* ---- optimizers (optimizer.c and optim_*.c) ----------------------------- */
/* Every hyper-parameter of every algorithm; each algorithm reads its own. */
/* Doubles, as PyTorch's Python floats: the kernels round the factors they
 * derive (1 - beta2, the bias corrections) to float once. */
typedef struct vn__optim_hparams {
    double lr;
    double momentum, dampening, weight_decay;
    int nesterov;
    double beta1, beta2, eps;
} vn__optim_hparams;

/* A configuration-string key: the double (or, with is_int, the int) at
 * `offset` in vn__optim_hparams. "betas" is handled by the core. */
typedef struct vn__optim_key {
    const char *key;
    size_t offset;
    bool is_int;
} vn__optim_key;

#define VN__OPTIM_MAX_STATE 2

/* The private vtable of an algorithm (one file per algorithm). */
typedef struct vn__optim_algo {
    vn_optimizer_kind kind;
    const char *name;                     /* "sgd", the word of the config string */
    const vn__optim_key *keys;            /* accepted keys, NULL-terminated */
    vn__optim_hparams defaults;           /* of every key not given */
    bool has_betas;                       /* accepts betas=B1,B2 */
    bool exports_step;                    /* lists a "step" state (Adam) */
    const char *state_names[VN__OPTIM_MAX_STATE];
    /* Number of state tensors (of the parameter's shape) for these
     * hyper-parameters: SGD without momentum has none. */
    int (*state_count)(const vn__optim_hparams *h);
    /* Range checks; VN_ERR_INVALID_ARG with a message naming the key. */
    vn_status (*check)(const vn__optim_hparams *h);
    /* Update n values p from gradients g with the effective lr. state[]
     * holds state_count() arrays, zero-filled when fresh (no earlier update
     * and nothing loaded); step is the parameter's step count including this
     * update (1 on its first). */
    void (*update)(const vn__optim_hparams *h, double lr, int64_t step, bool fresh, float *p,
                   const float *g, float *const *state, size_t n);
} vn__optim_algo;

extern const vn__optim_algo vn__optim_sgd;
extern const vn__optim_algo vn__optim_adam;
extern const vn__optim_algo vn__optim_adamw;

/* Create an optimizer for algo with hyper-parameters h (checked here). */
vn_status vn__optimizer_new(const vn__optim_algo *algo, const vn__optim_hparams *h,
                            vn_optimizer **out);

#endif
