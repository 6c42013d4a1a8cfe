/**
 * @file visionnet/train.h
 * @brief Training: losses with their gradients, optimizers (SGD, Adam,
 *        AdamW) with savable state, and learning-rate schedules.
 *
 * Everything here follows PyTorch's semantics exactly (torch 1.13):
 * F.cross_entropy, F.mse_loss, F.binary_cross_entropy_with_logits,
 * torch.optim.SGD / Adam / AdamW, torch.optim.lr_scheduler.StepLR /
 * MultiStepLR / CosineAnnealingLR / LinearLR. docs/training-math.md writes
 * the formulas down and gives the grammar of the configuration strings.
 *
 * Losses take the network's output and the targets and return the mean loss
 * and, optionally, its gradient with respect to the output (the upstream
 * gradient of the scalar loss is 1) in a tensor the caller allocated.
 *
 * An optimizer updates tensors it borrows: parameters added one by one with
 * vn_optimizer_add_param(), or all parameters of a model with
 * vn_optimizer_add_model(). Its state (momentum buffers, Adam moments, step
 * counts) is listed by vn_optimizer_state() under PyTorch's state-dict names
 * and set back by vn_optimizer_set_state(), so training can be saved and
 * resumed bit-exactly.
 *
 * The second part of the header trains models end to end: datasets (in
 * memory, IDX files, image-folder trees, CSV lists), metrics, vn_fit() and
 * vn_evaluate(); docs/training.md is the guide.
 */
#ifndef VISIONNET_TRAIN_H
#define VISIONNET_TRAIN_H

#include "core.h"
#include "tensor.h"
#include "nn.h"
#include "augment.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Losses
 *
 * All losses reduce with the mean (PyTorch's reduction='mean'); for the sum
 * multiply by the count that is documented with each function. Inputs are
 * f32 and must not be empty. The gradient tensor, when given, is f32 with the
 * shape of the input it is the gradient of, allocated by the caller, and must
 * not share memory with the inputs; every element is overwritten. On error
 * neither *loss nor the gradient is written. Computation is numerically
 * stable for any finite input (no overflow at logits of +-1e4).
 */
/**@{*/

/**
 * Softmax cross-entropy with label smoothing: F.cross_entropy(logits,
 * targets, reduction='mean', label_smoothing).
 *
 * @param logits  f32 [N, K] raw scores, N >= 1, K >= 1.
 * @param targets either i32 [N] class indices, each in 0..K-1 (anything else,
 *                PyTorch's ignore_index -100 included, is refused with
 *                ::VN_ERR_INVALID_ARG naming the sample), or f32 [N, K]
 *                class probabilities (soft targets from mixup / cutmix).
 *                Probability rows are used as given: a row that does not sum
 *                to 1 is not renormalised (PyTorch does the same), and the
 *                gradient is then the exact gradient of that loss.
 * @param label_smoothing eps in [0, 1]: the target distribution becomes
 *                q = (1-eps)*t + eps/K, the smoothing mass spread over all K
 *                classes including the target.
 * @param loss    out: mean over the N samples of -sum_k q[n,k]*log_softmax(logits)[n,k].
 * @param dlogits optional (NULL: no gradient) f32 [N, K]:
 *                (softmax(logits)*sum_k q[n,k] - q)/N, i.e. (softmax - q)/N
 *                when the rows of q sum to 1.
 */
VN_API vn_status vn_loss_cross_entropy(const vn_tensor *logits, const vn_tensor *targets,
                                       float label_smoothing, float *loss, vn_tensor *dlogits);

/**
 * Mean squared error: F.mse_loss(pred, target, reduction='mean').
 * pred and target are f32 of the same shape (numel M >= 1);
 * loss = sum((pred-target)^2)/M; dpred (optional) = 2*(pred-target)/M.
 */
VN_API vn_status vn_loss_mse(const vn_tensor *pred, const vn_tensor *target, float *loss,
                             vn_tensor *dpred);

/**
 * Binary cross-entropy on logits:
 * F.binary_cross_entropy_with_logits(logits, target, reduction='mean').
 * logits and target are f32 of the same shape (numel M >= 1), targets are
 * probabilities in [0, 1] (used as given). Stable form:
 * loss = sum(max(x,0) - x*t + log1p(exp(-|x|)))/M;
 * dlogits (optional) = (sigmoid(x) - t)/M.
 */
VN_API vn_status vn_loss_bce_with_logits(const vn_tensor *logits, const vn_tensor *target,
                                         float *loss, vn_tensor *dlogits);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Optimizers
 *
 * Creating: from a configuration string (vn_optimizer_create(), e.g.
 * "sgd lr=0.1 momentum=0.9 nesterov=1 weight_decay=1e-4") or from an options
 * struct (vn_optimizer_create_sgd(), vn_optimizer_create_adam(),
 * vn_optimizer_create_adamw()). Then add the tensors to update and call
 * vn_optimizer_step() after each backward pass.
 *
 * Hyper-parameters are doubles, as PyTorch's are Python floats: with
 * beta2 = 0.999f the factor 1 - beta2 would be off by 1.3e-5 relative.
 *
 * Learning rate: every parameter is updated with
 * lr * (multiplier of the last vn_optimizer_set_lr_mult() rule whose glob
 * matches its name, 1 when none) * (its model node's multiplier,
 * vn_model_param_lr_mult(), for parameters of a model). Like PyTorch's
 * per-group lr, the effective lr also scales the weight decay.
 */
/**@{*/

/* vn_optimizer itself is declared in nn.h (included above), which needs it
 * for vn_model_save / vn_model_load: one typedef keeps C99 and C++ happy. */

/** Algorithm of an optimizer. Values are pinned. */
typedef enum vn_optimizer_kind {
    VN_OPTIMIZER_SGD = 1,   /**< torch.optim.SGD */
    VN_OPTIMIZER_ADAM = 2,  /**< torch.optim.Adam (L2 weight decay added to the gradient) */
    VN_OPTIMIZER_ADAMW = 3  /**< torch.optim.AdamW (decoupled weight decay) */
} vn_optimizer_kind;

/** SGD hyper-parameters. The caller sets `size`; use VN_SGD_OPTIONS_INIT. */
typedef struct vn_sgd_options {
    size_t size;          /**< sizeof(vn_sgd_options) */
    double lr;            /**< learning rate, >= 0 (default 0.01) */
    double momentum;      /**< >= 0 (default 0: plain SGD, no momentum buffer) */
    double dampening;     /**< default 0 */
    double weight_decay;  /**< L2 penalty added to the gradient, >= 0 (default 0) */
    int nesterov;         /**< 1: Nesterov momentum (needs momentum > 0, dampening 0) */
} vn_sgd_options;

#define VN_SGD_OPTIONS_INIT { sizeof(vn_sgd_options), 0.01, 0.0, 0.0, 0.0, 0 }

/** Adam / AdamW hyper-parameters. The caller sets `size`; use
 *  VN_ADAM_OPTIONS_INIT or VN_ADAMW_OPTIONS_INIT (they differ only in the
 *  default weight decay, as in PyTorch). */
typedef struct vn_adam_options {
    size_t size;          /**< sizeof(vn_adam_options) */
    double lr;            /**< learning rate, >= 0 (default 1e-3) */
    double beta1;         /**< in [0, 1) (default 0.9) */
    double beta2;         /**< in [0, 1) (default 0.999) */
    double eps;           /**< >= 0, added after bias-correcting sqrt(v) (default 1e-8) */
    double weight_decay;  /**< >= 0 (default 0 for Adam, 1e-2 for AdamW) */
} vn_adam_options;

#define VN_ADAM_OPTIONS_INIT { sizeof(vn_adam_options), 1e-3, 0.9, 0.999, 1e-8, 0.0 }
#define VN_ADAMW_OPTIONS_INIT { sizeof(vn_adam_options), 1e-3, 0.9, 0.999, 1e-8, 1e-2 }

/**
 * Create an optimizer from a configuration string: the algorithm ("sgd",
 * "adam" or "adamw") then key=value words separated by spaces, e.g.
 * "adam lr=1e-3 beta1=0.9 beta2=0.999 eps=1e-8 weight_decay=0".
 * Keys: sgd: lr momentum dampening weight_decay nesterov;
 * adam / adamw: lr beta1 beta2 betas=B1,B2 eps weight_decay.
 * Missing keys take the defaults of the options structs. An unknown
 * algorithm or key, a malformed or out-of-range value is refused with
 * ::VN_ERR_INVALID_ARG and a message naming the word.
 */
VN_API vn_status vn_optimizer_create(const char *config, vn_optimizer **out);
/** Create SGD; opts NULL means VN_SGD_OPTIONS_INIT. */
VN_API vn_status vn_optimizer_create_sgd(const vn_sgd_options *opts, vn_optimizer **out);
/** Create Adam; opts NULL means VN_ADAM_OPTIONS_INIT. */
VN_API vn_status vn_optimizer_create_adam(const vn_adam_options *opts, vn_optimizer **out);
/** Create AdamW; opts NULL means VN_ADAMW_OPTIONS_INIT. */
VN_API vn_status vn_optimizer_create_adamw(const vn_adam_options *opts, vn_optimizer **out);
/** Destroy an optimizer and its state (never the tensors it borrows). NULL is a no-op. */
VN_API void vn_optimizer_destroy(vn_optimizer *opt);

/** The algorithm. */
VN_API vn_optimizer_kind vn_optimizer_get_kind(const vn_optimizer *opt);

/**
 * The configuration string that recreates this optimizer's hyper-parameters
 * (all keys written, lr being the current base lr), e.g.
 * "sgd lr=0.1 momentum=0.9 dampening=0 weight_decay=0.0001 nesterov=0".
 * *text is owned by the caller (free with vn_free()).
 */
VN_API vn_status vn_optimizer_to_string(const vn_optimizer *opt, char **text);

/**
 * Add one parameter to update. value and grad are borrowed (they must
 * outlive the optimizer or until it is destroyed), f32, of the same shape.
 * name (copied) keys the parameter's state and the lr-multiplier globs; NULL
 * names it by its index ("0", "1", ...) like a PyTorch optimizer state dict.
 * A name or a value tensor that is already there is refused.
 */
VN_API vn_status vn_optimizer_add_param(vn_optimizer *opt, const char *name, vn_tensor *value,
                                        vn_tensor *grad);

/**
 * Add every parameter of a model that is not a buffer, under its state-dict
 * name ("conv1.weight"). The model is borrowed. At every step the optimizer
 * re-reads each parameter through vn_model_param(): parameters whose
 * VN_PARAM_TRAINABLE flag is off (frozen nodes) are not touched and do not
 * advance their step count, and the node's lr multiplier applies. Freezing
 * or unfreezing after this call therefore takes effect at the next step.
 * If the model's parameter list changes (a head replaced), create a new
 * optimizer: vn_optimizer_step() refuses a model whose parameter names no
 * longer match.
 */
VN_API vn_status vn_optimizer_add_model(vn_optimizer *opt, vn_model *model);

/** Number of parameters added. */
VN_API int vn_optimizer_param_count(const vn_optimizer *opt);
/** Name of parameter i (borrowed, valid while the optimizer lives); NULL when i is out of range. */
VN_API const char *vn_optimizer_param_name(const vn_optimizer *opt, int i);

/**
 * One update of every trainable parameter from its current gradient, then
 * the step count goes up by one. Parameters whose gradient is NULL are
 * skipped, as PyTorch skips parameters whose .grad is None.
 */
VN_API vn_status vn_optimizer_step(vn_optimizer *opt);

/** Set every gradient the optimizer knows to zero. */
VN_API vn_status vn_optimizer_zero_grad(vn_optimizer *opt);

/** Set the base learning rate (>= 0, finite); schedules call this every step. */
VN_API vn_status vn_optimizer_set_lr(vn_optimizer *opt, double lr);
/** The base learning rate. */
VN_API double vn_optimizer_get_lr(const vn_optimizer *opt);

/**
 * Multiply the lr of every parameter whose name matches glob by mult
 * (>= 0, finite), e.g. vn_optimizer_set_lr_mult(opt, "fc.*", 10.0f). Globs:
 * '*' any run of characters (dots included), '?' one character, everything
 * else literal. Rules apply to parameters added before and after; when
 * several rules match a name, the one set last wins. With mult 0 the values
 * stay put but the state still advances (a PyTorch group with lr 0); freeze
 * the model node to stop everything.
 */
VN_API vn_status vn_optimizer_set_lr_mult(vn_optimizer *opt, const char *glob, double mult);

/** Number of vn_optimizer_step() calls made (plus what vn_optimizer_set_step_count() set). */
VN_API int64_t vn_optimizer_get_step_count(const vn_optimizer *opt);
/**
 * Set the step count (>= 0), e.g. when resuming. This also sets every
 * parameter's own step count (the t of Adam's bias correction), as if every
 * parameter had taken part in every step; to set one parameter's count use
 * vn_optimizer_set_state() with state "step".
 */
VN_API vn_status vn_optimizer_set_step_count(vn_optimizer *opt, int64_t steps);

/**
 * Number of state tensors that exist now. State is created lazily at a
 * parameter's first update, as in PyTorch: a fresh optimizer has none.
 */
VN_API int vn_optimizer_state_count(const vn_optimizer *opt);

/**
 * State tensor i (0 <= i < vn_optimizer_state_count()), in parameter order
 * then PyTorch's order: SGD "momentum_buffer" (only when momentum > 0);
 * Adam / AdamW "step" (f32 scalar, ndim 0, as PyTorch stores it), "exp_avg",
 * "exp_avg_sq" (f32, the parameter's shape). Every out pointer may be NULL;
 * all are borrowed and valid until the next call that changes the
 * optimizer. Writing into *tensor changes the state (prefer
 * vn_optimizer_set_state()).
 */
VN_API vn_status vn_optimizer_state(const vn_optimizer *opt, int i, const char **param_name,
                                    const char **state_name, vn_tensor **tensor);

/**
 * Set (copy in) one state tensor, e.g. when resuming from a file: value must
 * have the shape state i would have ("step": one element, f32 or i32, a
 * whole number >= 0). An unknown parameter or state name is refused with
 * ::VN_ERR_INVALID_ARG, a wrong shape with ::VN_ERR_SHAPE. For Adam a
 * parameter whose "step" was set but whose moments were not starts them at
 * zero.
 */
VN_API vn_status vn_optimizer_set_state(vn_optimizer *opt, const char *param_name,
                                        const char *state_name, const vn_tensor *value);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Learning-rate schedules
 *
 * A schedule maps (base lr, step) to the lr of that step, with step counted
 * from 0 in whatever unit the caller steps it (epochs or iterations): the
 * value is what torch's scheduler.get_last_lr() reports after `step` calls
 * of scheduler.step(). Kinds:
 * - constant: base_lr;
 * - step (StepLR): base_lr * gamma^floor(step/step_size);
 * - multistep (MultiStepLR): base_lr * gamma^(number of milestones <= step);
 * - cosine (CosineAnnealingLR, closed form):
 *   eta_min + (base_lr - eta_min)*(1 + cos(pi*step/t_max))/2, continuing
 *   past t_max as PyTorch does (it rises again; pick t_max >= the run).
 * Linear warm-up composes with every kind like torch's
 * SequentialLR([LinearLR(start, 1, total_iters=w), main], milestones=[w]):
 * for step < w the lr is base_lr*(start + (1-start)*step/w), from step w on
 * the main schedule runs on step - w.
 */
/**@{*/

typedef struct vn_schedule vn_schedule;

/** Kind of a schedule. Values are pinned. */
typedef enum vn_schedule_kind {
    VN_SCHEDULE_CONSTANT = 1,
    VN_SCHEDULE_STEP = 2,
    VN_SCHEDULE_MULTISTEP = 3,
    VN_SCHEDULE_COSINE = 4
} vn_schedule_kind;

/**
 * Create from a string: the kind then key=value words, e.g.
 * "cosine t_max=30 eta_min=0 warmup=5 warmup_start=0.1",
 * "step step_size=10 gamma=0.1", "multistep milestones=30,60,90 gamma=0.1",
 * "constant warmup=100". Keys: step: step_size (required), gamma (0.1);
 * multistep: milestones (required, increasing), gamma (0.1); cosine: t_max
 * (required), eta_min (0); every kind: warmup (steps, 0), warmup_start
 * (factor at step 0, in (0, 1], default 1/3 as torch's LinearLR).
 * Errors name the bad word (::VN_ERR_INVALID_ARG).
 */
VN_API vn_status vn_schedule_create(const char *config, vn_schedule **out);
/** The constant schedule (useful with a warm-up). */
VN_API vn_status vn_schedule_create_constant(vn_schedule **out);
/** StepLR: step_size >= 1, gamma >= 0. */
VN_API vn_status vn_schedule_create_step(int64_t step_size, double gamma, vn_schedule **out);
/** MultiStepLR: n >= 1 strictly increasing milestones >= 1 (copied), gamma >= 0. */
VN_API vn_status vn_schedule_create_multistep(const int64_t *milestones, int n, double gamma,
                                              vn_schedule **out);
/** CosineAnnealingLR: t_max >= 1, eta_min >= 0 (an absolute lr). */
VN_API vn_status vn_schedule_create_cosine(int64_t t_max, double eta_min, vn_schedule **out);
/** Add (or with warmup_steps 0 remove) a linear warm-up of warmup_steps steps
 *  starting at factor start_factor in (0, 1]. */
VN_API vn_status vn_schedule_set_warmup(vn_schedule *s, int64_t warmup_steps, double start_factor);
/** Destroy a schedule; NULL is a no-op. */
VN_API void vn_schedule_destroy(vn_schedule *s);

/** The kind of the main schedule. */
VN_API vn_schedule_kind vn_schedule_get_kind(const vn_schedule *s);

/** The lr at `step` (>= 0) for base_lr (>= 0). Pure: no state changes. */
VN_API vn_status vn_schedule_lr(const vn_schedule *s, double base_lr, int64_t step, double *lr);
/**@}*/

/* ======================================================================== */
/* Datasets, vn_fit() and vn_evaluate()                                     */
/* ======================================================================== */

/** @name Datasets
 *
 * A ::vn_dataset is a list of samples, each an image and a class label
 * (0 <= label < vn_dataset_num_classes()). Images are kept compactly as u8
 * [H, W, C] (Fashion-MNIST's 60,000 training images take 47 MB) and become
 * f32 network input one batch at a time, on worker threads, inside vn_fit()
 * and vn_evaluate(). Sources:
 * - vn_dataset_from_tensors(): in-memory u8 images, or f32 samples used as
 *   the model's input as they are (feature vectors, prepared tensors);
 * - vn_dataset_load_idx(): IDX files (MNIST, Fashion-MNIST), gzipped or not;
 * - vn_dataset_load_folder(): a tree `root/<class>/<image>`, as torchvision's
 *   ImageFolder; images are decoded when a batch needs them;
 * - vn_dataset_load_csv(): a CSV list of `path,label`;
 * - vn_dataset_open(): one of the three file sources, chosen by what the
 *   path is.
 *
 * vn_dataset_split() and vn_dataset_subset() make views that share the
 * samples of their parent (nothing is copied); every handle, view or not,
 * is destroyed on its own and in any order. A dataset does not change once
 * made (except by the setters), so one handle may be read from several
 * threads at once. docs/training.md describes each source in detail.
 */
/**@{*/

/** A list of (image, label) samples. */
typedef struct vn_dataset vn_dataset;

/**
 * A dataset of in-memory samples (copied; the caller keeps its tensors).
 *
 * @param images u8 [N, H, W, C] (C 1..4) or [N, H, W] images, or f32
 *               [N, ...] samples (N >= 1) that vn_fit() feeds to the model
 *               unchanged (their shape must be the model's input shape).
 * @param labels i32 [N], every label >= 0.
 * @param num_classes K > every label, or 0 for max(label) + 1.
 */
VN_API vn_status vn_dataset_from_tensors(const vn_tensor *images, const vn_tensor *labels,
                                         int num_classes, vn_dataset **out);

/**
 * Load an IDX pair (the MNIST format): images of type u8 with 3 dimensions
 * [N, H, W] (or 4, [N, H, W, C] with C 1..4) and labels u8 [N] (or i32).
 * Either file may be gzip-compressed (recognised by content). labels_path
 * NULL finds the labels beside the images by the usual naming: the last
 * "images" in the file name becomes "labels" and "idx3" becomes "idx1"
 * ("train-images-idx3-ubyte.gz" -> "train-labels-idx1-ubyte.gz"), with or
 * without ".gz". A magic number, dimension or size that disagrees with the
 * file's length, or a label count other than the image count, is refused
 * with ::VN_ERR_FORMAT and a message naming the file; other element types
 * with ::VN_ERR_UNSUPPORTED. Classes are unnamed (see
 * vn_dataset_set_class_names()); K = max(label) + 1.
 */
VN_API vn_status vn_dataset_load_idx(const char *images_path, const char *labels_path,
                                     vn_dataset **out);

/**
 * An image-folder tree: every sub-folder of root is a class, named by the
 * folder; classes are numbered in sorted (byte-wise) order of their names,
 * as torchvision's ImageFolder numbers them. A class folder's image files
 * (extensions png, jpg, jpeg, pgm, ppm, pbm, pnm in any case; sub-folders
 * searched too) are its samples, in sorted order of their paths. Hidden
 * entries (names starting with '.') are skipped. Only names are read here:
 * images are decoded when a batch needs them (a damaged image then stops
 * vn_fit() with the decoder's error naming the file). A root with no class
 * folder, or a class folder without images, is refused with
 * ::VN_ERR_FORMAT.
 */
VN_API vn_status vn_dataset_load_folder(const char *root, vn_dataset **out);

/**
 * A CSV list, one sample per line: `path,label`. A relative path is
 * relative to the folder holding the CSV file. Fields may be quoted with
 * double quotes ("" inside quotes is one quote); spaces around fields are
 * dropped; blank lines are skipped; line ends may be LF or CRLF. The first
 * line is a header, and skipped, when its first field is `path`, `file`,
 * `filename` or `image` (any case). Labels: when every label of the file is
 * a whole number >= 0 they are the class indices (K = max + 1, classes
 * unnamed); otherwise every label is a class name and the names, sorted
 * byte-wise, are numbered 0..K-1 (as vn_dataset_load_folder() numbers
 * folders). Images are decoded when a batch needs them. A line without
 * exactly two fields is refused with ::VN_ERR_FORMAT naming the line.
 */
VN_API vn_status vn_dataset_load_csv(const char *path, vn_dataset **out);

/**
 * Open what path names: a folder is an image-folder tree
 * (vn_dataset_load_folder()), a file ending in ".csv" a CSV list
 * (vn_dataset_load_csv()), any other file the images file of an IDX pair
 * whose labels lie beside it (vn_dataset_load_idx(path, NULL, out)).
 */
VN_API vn_status vn_dataset_open(const char *path, vn_dataset **out);

/**
 * Split into a training and a validation view. round(N * val_fraction)
 * samples, chosen by a permutation drawn from `seed`, go to *val, the rest to
 * *train; each view keeps the samples in their original order. The same
 * (dataset, val_fraction, seed) always gives the same split. val_fraction in
 * [0, 1]; either view may be empty. Both views share ds's samples and copy
 * its class names (not its sample hook).
 */
VN_API vn_status vn_dataset_split(const vn_dataset *ds, double val_fraction, uint64_t seed,
                                  vn_dataset **train, vn_dataset **val);

/**
 * Augment every sample of ds that a training run draws with the pipeline
 * `aug` (augment.h), on the batcher's worker threads ahead of the step. The
 * result for sample i of epoch e depends only on (vn_fit's seed, e, i), never
 * on the thread count or the batch split. Evaluation never augments. aug is
 * borrowed: it must outlive every training run on ds; NULL removes it. A
 * dataset of f32 samples is refused (::VN_ERR_UNSUPPORTED): pipelines work
 * on u8 images before the input transform.
 */
VN_API vn_status vn_dataset_set_augment(vn_dataset *ds, vn_augment *aug);

/** A view of samples start .. start+count-1 of ds (0 <= start, count >= 0,
 *  start + count <= size), sharing its samples and copying its class names. */
VN_API vn_status vn_dataset_subset(const vn_dataset *ds, int64_t start, int64_t count,
                                   vn_dataset **out);

/**
 * A view of the samples of ds whose class is one of classes[0..n_classes-1]
 * (distinct, each in 0..K-1), renumbered in that order: class classes[j]
 * becomes class j, K becomes n_classes and the class names follow. With
 * per_class > 0 only the first per_class samples of each class (in ds's
 * order) are kept, all of them when a class has fewer; 0 keeps every
 * sample. The view keeps ds's order and shares its samples (not its sample
 * hook). E.g. Fashion-MNIST classes 5..9 with 50 images each:
 * `int c[5] = {5, 6, 7, 8, 9}; vn_dataset_select_classes(all, c, 5, 50, &few)`.
 */
VN_API vn_status vn_dataset_select_classes(const vn_dataset *ds, const int *classes,
                                           int n_classes, int64_t per_class, vn_dataset **out);

/** Destroy a dataset handle (the samples go with the last view). NULL is a no-op. */
VN_API void vn_dataset_destroy(vn_dataset *ds);

/** Number of samples; 0 for NULL. */
VN_API int64_t vn_dataset_size(const vn_dataset *ds);

/** Number of classes K (labels are 0..K-1); 0 for NULL. */
VN_API int vn_dataset_num_classes(const vn_dataset *ds);

/** Name of class i (borrowed, valid while ds lives and its names are not
 *  set again), or NULL when the classes are unnamed or i is out of range. */
VN_API const char *vn_dataset_class_name(const vn_dataset *ds, int i);

/**
 * Name the classes (copied): n names, n >= every label + 1; K becomes n.
 * Useful for IDX and integer-labelled sources, whose classes are unnamed.
 * names NULL (n 0) forgets the names.
 */
VN_API vn_status vn_dataset_set_class_names(vn_dataset *ds, int n, const char *const *names);

/**
 * Renumber the classes of ds to follow another list, e.g. a trained model's
 * (vn_model_class_name()): the class named names[i] becomes class i, and
 * the samples' labels change with it; K becomes n. Needed when a folder
 * tree or CSV file holds fewer classes than the model, or names them in
 * another order than the model was trained with. Every class of ds must
 * have its name among the n names (::VN_ERR_INVALID_ARG naming the first
 * that has not); a dataset with unnamed classes is refused the same way.
 * Only this handle changes (views share samples, not labels).
 */
VN_API vn_status vn_dataset_match_classes(vn_dataset *ds, int n, const char *const *names);

/** The label of sample i (0 <= i < size), without reading its image. */
VN_API vn_status vn_dataset_label(const vn_dataset *ds, int64_t i, int32_t *label);

/**
 * Sample i (0 <= i < size) as stored: a new u8 [H, W, C] image (decoded
 * from its file for folder and CSV datasets) or a new f32 sample, owned by
 * the caller, and its label. Either out pointer may be NULL.
 */
VN_API vn_status vn_dataset_get(const vn_dataset *ds, int64_t i, vn_tensor **image,
                                int32_t *label);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Metrics
 *
 * Accumulated classification results: loss, accuracy, top-k accuracy, the
 * confusion matrix and per-class accuracy. vn_evaluate() returns one;
 * vn_metrics_create() and vn_metrics_update() let a program accumulate its
 * own from model outputs.
 */
/**@{*/

/** Classification results of a set of samples. */
typedef struct vn_metrics vn_metrics;

/** An empty accumulator for num_classes >= 1 classes and top-k accuracy with
 *  1 <= top_k (a top_k above num_classes counts every sample right). */
VN_API vn_status vn_metrics_create(int num_classes, int top_k, vn_metrics **out);

/**
 * Add a batch: logits f32 [N, K] (K = the metrics' num_classes), labels i32
 * [N] in 0..K-1. A sample is right when its label has the largest logit
 * (the first on ties, as torch.argmax); right within top-k when fewer than k
 * classes have a strictly larger logit. Its loss is the softmax
 * cross-entropy -log_softmax(logits)[label], computed stably.
 */
VN_API vn_status vn_metrics_update(vn_metrics *m, const vn_tensor *logits,
                                   const vn_tensor *labels);

/** Destroy; NULL is a no-op. */
VN_API void vn_metrics_destroy(vn_metrics *m);

/** Samples counted. */
VN_API int64_t vn_metrics_count(const vn_metrics *m);
/** Number of classes K. */
VN_API int vn_metrics_num_classes(const vn_metrics *m);
/** Mean cross-entropy loss over the samples (NaN when there are none). */
VN_API double vn_metrics_loss(const vn_metrics *m);
/** Fraction of samples whose largest logit is their label (NaN when none). */
VN_API double vn_metrics_accuracy(const vn_metrics *m);
/** The k of vn_metrics_top_k_accuracy(). */
VN_API int vn_metrics_top_k(const vn_metrics *m);
/** Fraction of samples whose label is among their k largest logits (NaN when none). */
VN_API double vn_metrics_top_k_accuracy(const vn_metrics *m);
/** Accuracy on the samples of class c (the recall of c); NaN when class c
 *  has no samples or c is out of range. */
VN_API double vn_metrics_class_accuracy(const vn_metrics *m, int c);
/** Samples of true class `truth` predicted as `predicted`; 0 when out of range. */
VN_API int64_t vn_metrics_confusion(const vn_metrics *m, int truth, int predicted);
/**
 * Copy the confusion matrix into out, K*K counts row-major: out[t*K + p] is
 * the number of samples of true class t predicted as p. count must be at
 * least K*K (::VN_ERR_INVALID_ARG otherwise).
 */
VN_API vn_status vn_metrics_confusion_matrix(const vn_metrics *m, int64_t *out, size_t count);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Training: vn_fit()
 *
 * vn_fit() trains a classifier (a model whose output is the logits [N, K],
 * K >= the dataset's number of classes) with softmax cross-entropy:
 * each epoch shuffles the training set with a permutation drawn from (seed,
 * epoch), cuts it into batches (the last one may be smaller), and for each
 * batch runs forward, loss, backward and one optimizer step. Batches are
 * assembled ahead of the step on worker threads: images are decoded (folder
 * and CSV datasets), passed through the dataset's sample hook
 * (experimental.h), converted to the model's input channels and resized to
 * its input size when they differ (cv2.resize's INTER_AREA: a box filter
 * when shrinking, bilinear when enlarging, as `visionnet predict`), and scaled as
 * the model's preprocessing says (vn_model_get_preprocess():
 * x = (pixel * scale - mean[c]) / std[c]).
 *
 * The same model, data, options and seed give the same trained model,
 * bit for bit, on any number of threads.
 */
/**@{*/

/** What a vn_fit_progress reports. Values are pinned. */
typedef enum vn_fit_event {
    VN_FIT_BATCH = 1,     /**< after every training step */
    VN_FIT_EPOCH = 2,     /**< after every epoch, its validation included */
    VN_FIT_EVALUATE = 3   /**< after every batch of vn_evaluate() */
} vn_fit_event;

/**
 * Progress of vn_fit() / vn_evaluate(), handed to the progress callback
 * (borrowed for the call). Fields may be appended: read `size` before a
 * field added later than the one you need.
 */
typedef struct vn_fit_progress {
    size_t size;              /**< sizeof(vn_fit_progress) of the library */
    vn_fit_event event;       /**< why the callback is called */
    int epoch;                /**< current epoch, counted from 1 (1 in vn_evaluate()) */
    int epochs;               /**< epochs asked for (1 in vn_evaluate()) */
    int64_t step;             /**< batches done in this epoch, 1..steps_per_epoch */
    int64_t steps_per_epoch;  /**< batches per epoch */
    int64_t images;           /**< images done in this epoch */
    double loss;              /**< mean loss over the images done in this epoch */
    double accuracy;          /**< fraction of them classified right (before their step) */
    double images_per_s;      /**< images done / seconds, in this epoch */
    double seconds;           /**< since this epoch started */
    double lr;                /**< base learning rate of the last step (0 in vn_evaluate()) */
    double val_loss;          /**< VN_FIT_EPOCH with a validation set, else NaN */
    double val_accuracy;      /**< VN_FIT_EPOCH with a validation set, else NaN */
} vn_fit_progress;

/** Progress callback: called on the thread that called vn_fit() / vn_evaluate(). */
typedef void (*vn_fit_progress_fn)(const vn_fit_progress *progress, void *user_data);
/** Abort callback: called before every step; nonzero stops the work with ::VN_ERR_ABORTED. */
typedef int (*vn_abort_fn)(void *user_data);

/** When the learning-rate schedule advances. Values are pinned. */
typedef enum vn_schedule_unit {
    VN_SCHEDULE_PER_EPOCH = 0,  /**< epoch e (from 0) trains at schedule(base_lr, e) */
    VN_SCHEDULE_PER_STEP = 1    /**< step s (from 0, over all epochs) at schedule(base_lr, s) */
} vn_schedule_unit;

/** The quantity early stopping and the best-model file watch. Values are pinned. */
typedef enum vn_monitor {
    VN_MONITOR_AUTO = 0,          /**< validation accuracy with a validation set, else training loss */
    VN_MONITOR_VAL_ACCURACY = 1,  /**< higher is better */
    VN_MONITOR_VAL_LOSS = 2,      /**< lower is better */
    VN_MONITOR_TRAIN_LOSS = 3     /**< lower is better */
} vn_monitor;

/** Options of vn_fit(). Set `size` to sizeof(vn_fit_options); VN_FIT_OPTIONS_INIT gives the defaults. */
typedef struct vn_fit_options {
    size_t size;                   /**< sizeof(vn_fit_options), set by the caller */
    int epochs;                    /**< >= 1 (default 1) */
    int batch_size;                /**< >= 1 (default 64) */
    uint64_t seed;                 /**< keys shuffling and sample hooks (default 0) */
    int shuffle;                   /**< 1 (default): a new order every epoch; 0: dataset order */
    int threads;                   /**< > 0: vn_set_num_threads(threads) for the run, restored after; 0: as set */
    /** Borrowed optimizer; when it has no parameters yet the model's are
     *  added (vn_optimizer_add_model()). NULL: one is made from optimizer_config. */
    vn_optimizer *optimizer;
    /** Configuration string (vn_optimizer_create()) used when optimizer is
     *  NULL; NULL means "sgd lr=0.01 momentum=0.9". */
    const char *optimizer_config;
    /** Borrowed learning-rate schedule applied to the optimizer's lr at the
     *  start of the fit (the base lr), or NULL for a constant lr. */
    const vn_schedule *schedule;
    vn_schedule_unit schedule_unit; /**< default ::VN_SCHEDULE_PER_EPOCH */
    float label_smoothing;         /**< in [0, 1] (default 0) */
    /** Borrowed validation set, evaluated after every epoch (NULL: none). */
    const vn_dataset *validation;
    vn_monitor monitor;            /**< default ::VN_MONITOR_AUTO */
    /** Early stopping: stop after this many epochs in a row without an
     *  improvement of the monitored value by more than min_delta; 0 (the
     *  default) never stops early. */
    int patience;
    double min_delta;              /**< >= 0 (default 0) */
    /** When not NULL, the model and the optimizer state are saved here
     *  (vn_model_save(), atomically) after every epoch. */
    const char *checkpoint_path;
    /** When not NULL, the model is saved here after every epoch that
     *  improves the monitored value. */
    const char *best_path;
    vn_fit_progress_fn progress;   /**< NULL: none */
    vn_abort_fn abort;             /**< NULL: none */
    void *user_data;               /**< passed to progress and abort */
} vn_fit_options;

/** Defaults: 1 epoch, batch 64, seed 0, shuffled, SGD lr 0.01 momentum 0.9. */
#define VN_FIT_OPTIONS_INIT                                                                        \
    { sizeof(vn_fit_options), 1, 64, 0, 1, 0, NULL, NULL, NULL, VN_SCHEDULE_PER_EPOCH, 0.0f, NULL, \
      VN_MONITOR_AUTO, 0, 0.0, NULL, NULL, NULL, NULL, NULL }

/** The history of a vn_fit() run: one entry per finished epoch. */
typedef struct vn_fit_result vn_fit_result;

/** Statistics of one epoch (vn_fit_result_epoch()). The caller sets `size`. */
typedef struct vn_epoch_stats {
    size_t size;              /**< sizeof(vn_epoch_stats), set by the caller */
    int epoch;                /**< counted from 1 */
    double train_loss;        /**< mean training loss over the epoch's images */
    double train_accuracy;    /**< fraction of them classified right (before their step) */
    double val_loss;          /**< on the validation set after the epoch; NaN without one */
    double val_accuracy;      /**< NaN without a validation set */
    double lr;                /**< base learning rate of the epoch's last step */
    double seconds;           /**< wall time of the training steps */
    double images_per_s;      /**< training images / seconds */
} vn_epoch_stats;

/** An empty history, for vn_fit() to fill. */
VN_API vn_status vn_fit_result_create(vn_fit_result **out);
/** Destroy; NULL is a no-op. */
VN_API void vn_fit_result_destroy(vn_fit_result *r);
/** Epochs finished (entries). */
VN_API int vn_fit_result_epochs(const vn_fit_result *r);
/** Entry i (0 <= i < epochs) into *out (out->size set by the caller). */
VN_API vn_status vn_fit_result_epoch(const vn_fit_result *r, int i, vn_epoch_stats *out);
/** The epoch (from 1) with the best monitored value, 0 when none. */
VN_API int vn_fit_result_best_epoch(const vn_fit_result *r);
/** 1 when early stopping ended the run, else 0. */
VN_API int vn_fit_result_stopped_early(const vn_fit_result *r);

/**
 * Train model on train (see the group's description). opts NULL means
 * VN_FIT_OPTIONS_INIT. result, when not NULL, is emptied and then gets one
 * entry per finished epoch, also when the run fails or is aborted. When the
 * model has no class names and the training set names exactly as many
 * classes as the model has outputs, the model takes those names.
 *
 * The abort callback is asked before every step; when it returns nonzero
 * the run stops with ::VN_ERR_ABORTED, the model holding the parameters of
 * the last finished step (checkpoints already written are kept). Errors:
 * ::VN_ERR_INVALID_ARG (options), ::VN_ERR_SHAPE (the model's input or
 * output does not fit the data), the error of a sample that cannot be
 * decoded, or of a checkpoint that cannot be written.
 */
VN_API vn_status vn_fit(vn_model *model, const vn_dataset *train, const vn_fit_options *opts,
                        vn_fit_result *result);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Evaluation: vn_evaluate() */
/**@{*/

/** Options of vn_evaluate(). Set `size`; VN_EVALUATE_OPTIONS_INIT gives the defaults. */
typedef struct vn_evaluate_options {
    size_t size;                   /**< sizeof(vn_evaluate_options), set by the caller */
    int batch_size;                /**< >= 1 (default 256) */
    int top_k;                     /**< k of the top-k accuracy, >= 1 (default 5) */
    int threads;                   /**< > 0: vn_set_num_threads(threads) for the run; 0: as set */
    vn_fit_progress_fn progress;   /**< called after every batch (::VN_FIT_EVALUATE); NULL: none */
    vn_abort_fn abort;             /**< asked before every batch; NULL: none */
    void *user_data;               /**< passed to progress and abort */
} vn_evaluate_options;

/** Defaults: batch 256, top-5. */
#define VN_EVALUATE_OPTIONS_INIT { sizeof(vn_evaluate_options), 256, 5, 0, NULL, NULL, NULL }

/**
 * Run model (inference mode) on every sample of data, in order, and return
 * the metrics (owned by the caller) in *out. The images are prepared as
 * vn_fit() prepares them (without the sample hook). The model's output must
 * be logits [N, K] with K >= the data's number of classes; the metrics have
 * K classes. opts NULL means VN_EVALUATE_OPTIONS_INIT.
 */
VN_API vn_status vn_evaluate(vn_model *model, const vn_dataset *data,
                             const vn_evaluate_options *opts, vn_metrics **out);
/**@}*/

#ifdef __cplusplus
}
#endif
#endif /* VISIONNET_TRAIN_H */
