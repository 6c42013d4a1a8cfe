/*
 * schedule.c - learning-rate schedules: constant, step, multistep and cosine
 * annealing, each optionally preceded by a linear warm-up.
 *
 * A schedule is a pure function lr(base_lr, step); the object only holds its
 * settings, so one schedule can drive any number of optimizers and a resumed
 * run needs nothing but the step. Values are PyTorch's (torch 1.13):
 *
 *     constant    base
 *     step        base * gamma^floor(s / step_size)                  StepLR
 *     multistep   base * gamma^#{milestones m : m <= s}              MultiStepLR
 *     cosine      eta_min + (base - eta_min) * (1 + cos(pi s / T)) / 2
 *                                          CosineAnnealingLR, closed form
 *
 * With a warm-up of W steps starting at factor f (torch's LinearLR followed
 * by the main schedule through SequentialLR with milestone W):
 *
 *     s <  W:  base * (f + (1 - f) * s / W)
 *     s >= W:  main(base, s - W)
 *
 * Everything is in double, like PyTorch's Python floats.
 */
#include "train/train_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define VN__MAX_MILESTONES 64

struct vn_schedule {
    vn_schedule_kind kind;
    int64_t step_size;             /* step */
    double gamma;                  /* step, multistep */
    int64_t milestones[VN__MAX_MILESTONES];
    int n_milestones;              /* multistep */
    int64_t t_max;                 /* cosine */
    double eta_min;                /* cosine */
    int64_t warmup;                /* steps, 0 = none */
    double warmup_start;           /* factor at step 0 */
};

static vn_status new_schedule(vn_schedule_kind kind, vn_schedule **out)
{
    if (!out)
        return vn__error(VN_ERR_INVALID_ARG, "schedule: out is NULL");
    vn_schedule *s = vn__calloc(1, sizeof *s);
    if (!s)
        return vn__error(VN_ERR_NOMEM, "schedule: out of memory");
    s->kind = kind;
    s->gamma = 0.1;
    s->warmup_start = 1.0 / 3.0;
    *out = s;
    return VN_OK;
}

static vn_status check_gamma(double gamma)
{
    if (!(gamma >= 0.0) || !isfinite(gamma))
        return vn__error(VN_ERR_INVALID_ARG, "schedule: gamma=%g must be finite and >= 0", gamma);
    return VN_OK;
}

VN_API vn_status vn_schedule_create_constant(vn_schedule **out)
{
    return new_schedule(VN_SCHEDULE_CONSTANT, out);
}

VN_API vn_status vn_schedule_create_step(int64_t step_size, double gamma, vn_schedule **out)
{
    if (step_size < 1)
        return vn__error(VN_ERR_INVALID_ARG, "schedule 'step': step_size=%lld must be >= 1",
                         (long long)step_size);
    VN_TRY(check_gamma(gamma));
    VN_TRY(new_schedule(VN_SCHEDULE_STEP, out));
    (*out)->step_size = step_size;
    (*out)->gamma = gamma;
    return VN_OK;
}

VN_API vn_status vn_schedule_create_multistep(const int64_t *milestones, int n, double gamma,
                                              vn_schedule **out)
{
    if (!milestones || n < 1 || n > VN__MAX_MILESTONES)
        return vn__error(VN_ERR_INVALID_ARG, "schedule 'multistep': %d milestones, expected 1..%d",
                         milestones ? n : 0, VN__MAX_MILESTONES);
    for (int i = 0; i < n; i++)
        if (milestones[i] < 1 || (i > 0 && milestones[i] <= milestones[i - 1]))
            return vn__error(VN_ERR_INVALID_ARG,
                             "schedule 'multistep': milestone %lld must be >= 1 and above the "
                             "one before", (long long)milestones[i]);
    VN_TRY(check_gamma(gamma));
    VN_TRY(new_schedule(VN_SCHEDULE_MULTISTEP, out));
    memcpy((*out)->milestones, milestones, (size_t)n * sizeof *milestones);
    (*out)->n_milestones = n;
    (*out)->gamma = gamma;
    return VN_OK;
}

VN_API vn_status vn_schedule_create_cosine(int64_t t_max, double eta_min, vn_schedule **out)
{
    if (t_max < 1)
        return vn__error(VN_ERR_INVALID_ARG, "schedule 'cosine': t_max=%lld must be >= 1",
                         (long long)t_max);
    if (!(eta_min >= 0.0) || !isfinite(eta_min))
        return vn__error(VN_ERR_INVALID_ARG, "schedule 'cosine': eta_min=%g must be finite and >= 0",
                         eta_min);
    VN_TRY(new_schedule(VN_SCHEDULE_COSINE, out));
    (*out)->t_max = t_max;
    (*out)->eta_min = eta_min;
    return VN_OK;
}

VN_API vn_status vn_schedule_set_warmup(vn_schedule *s, int64_t warmup_steps, double start_factor)
{
    if (!s)
        return vn__error(VN_ERR_INVALID_ARG, "vn_schedule_set_warmup: s is NULL");
    if (warmup_steps < 0)
        return vn__error(VN_ERR_INVALID_ARG, "schedule: warmup=%lld must be >= 0",
                         (long long)warmup_steps);
    if (!(start_factor > 0.0 && start_factor <= 1.0))
        return vn__error(VN_ERR_INVALID_ARG, "schedule: warmup_start=%g must be in (0, 1]",
                         start_factor);
    s->warmup = warmup_steps;
    s->warmup_start = start_factor;
    return VN_OK;
}

VN_API void vn_schedule_destroy(vn_schedule *s)
{
    vn__free(s);
}

VN_API vn_schedule_kind vn_schedule_get_kind(const vn_schedule *s)
{
    return s ? s->kind : (vn_schedule_kind)0;
}

static double main_lr(const vn_schedule *s, double base, int64_t step)
{
    switch (s->kind) {
    case VN_SCHEDULE_CONSTANT:
        break;
    case VN_SCHEDULE_STEP:
        return base * pow(s->gamma, (double)(step / s->step_size));
    case VN_SCHEDULE_MULTISTEP: {
        int passed = 0;
        while (passed < s->n_milestones && s->milestones[passed] <= step)
            passed++;
        return base * pow(s->gamma, passed);
    }
    case VN_SCHEDULE_COSINE: {
        const double pi = 3.14159265358979323846;
        return s->eta_min +
               (base - s->eta_min) * (1.0 + cos(pi * (double)step / (double)s->t_max)) / 2.0;
    }
    }
    return base;
}

VN_API vn_status vn_schedule_lr(const vn_schedule *s, double base_lr, int64_t step, double *lr)
{
    if (!s || !lr)
        return vn__error(VN_ERR_INVALID_ARG, "vn_schedule_lr: %s is NULL", !s ? "s" : "lr");
    if (step < 0)
        return vn__error(VN_ERR_INVALID_ARG, "schedule: step %lld must be >= 0", (long long)step);
    if (!(base_lr >= 0.0) || !isfinite(base_lr))
        return vn__error(VN_ERR_INVALID_ARG, "schedule: base lr %g must be finite and >= 0",
                         base_lr);
    double v;
    if (step < s->warmup)
        v = base_lr *
            (s->warmup_start + (1.0 - s->warmup_start) * (double)step / (double)s->warmup);
    else
        v = main_lr(s, base_lr, step - s->warmup);
    *lr = v;
    return VN_OK;
}

/* ---- configuration string ----------------------------------------------- */

static vn_status parse_milestones(const char *what, const char *val, int64_t *ms, int *n)
{
    char buf[VN__WORD_MAX];
    snprintf(buf, sizeof buf, "%s", val);
    *n = 0;
    for (char *tok = buf; tok;) {
        char *comma = strchr(tok, ',');
        if (comma)
            *comma = '\0';
        if (*n == VN__MAX_MILESTONES)
            return vn__error(VN_ERR_INVALID_ARG, "%s: more than %d milestones", what,
                             VN__MAX_MILESTONES);
        VN_TRY(vn__train_parse_int(what, "milestones", tok, 1, INT64_MAX, &ms[*n]));
        (*n)++;
        tok = comma ? comma + 1 : NULL;
    }
    return VN_OK;
}

/* The settings a configuration string gives, before the schedule exists. */
typedef struct schedule_words {
    bool has_step_size, has_milestones, has_t_max;
    int64_t step_size, t_max, warmup;
    int64_t milestones[VN__MAX_MILESTONES];
    int n_milestones;
    double gamma, eta_min, warmup_start;
} schedule_words;

static vn_status parse_key(const char *what, vn_schedule_kind kind, const char *key,
                           const char *val, schedule_words *w)
{
    bool step = kind == VN_SCHEDULE_STEP, multi = kind == VN_SCHEDULE_MULTISTEP;
    bool cosine = kind == VN_SCHEDULE_COSINE;
    if (strcmp(key, "warmup") == 0)
        return vn__train_parse_int(what, key, val, 0, INT64_MAX, &w->warmup);
    if (strcmp(key, "warmup_start") == 0)
        return vn__train_parse_double(what, key, val, &w->warmup_start);
    if (step && strcmp(key, "step_size") == 0) {
        w->has_step_size = true;
        return vn__train_parse_int(what, key, val, 1, INT64_MAX, &w->step_size);
    }
    if ((step || multi) && strcmp(key, "gamma") == 0)
        return vn__train_parse_double(what, key, val, &w->gamma);
    if (multi && strcmp(key, "milestones") == 0) {
        w->has_milestones = true;
        return parse_milestones(what, val, w->milestones, &w->n_milestones);
    }
    if (cosine && strcmp(key, "t_max") == 0) {
        w->has_t_max = true;
        return vn__train_parse_int(what, key, val, 1, INT64_MAX, &w->t_max);
    }
    if (cosine && strcmp(key, "eta_min") == 0)
        return vn__train_parse_double(what, key, val, &w->eta_min);
    const char *keys = step ? "step_size, gamma, warmup, warmup_start"
                     : multi ? "milestones, gamma, warmup, warmup_start"
                     : cosine ? "t_max, eta_min, warmup, warmup_start"
                              : "warmup, warmup_start";
    return vn__error(VN_ERR_INVALID_ARG, "%s: unknown key '%s' (expected %s)", what, key, keys);
}

VN_API vn_status vn_schedule_create(const char *config, vn_schedule **out)
{
    if (!config || !out)
        return vn__error(VN_ERR_INVALID_ARG, "vn_schedule_create: %s is NULL",
                         !config ? "config" : "out");
    static const struct { const char *name; vn_schedule_kind kind; } kinds[] = {
        {"constant", VN_SCHEDULE_CONSTANT}, {"step", VN_SCHEDULE_STEP},
        {"multistep", VN_SCHEDULE_MULTISTEP}, {"cosine", VN_SCHEDULE_COSINE},
    };
    char word[VN__WORD_MAX];
    bool got = false;
    const char *cur = config;
    VN_TRY(vn__train_word_next("schedule", &cur, word, &got));
    int k = -1;
    for (int i = 0; got && i < (int)VN_ARRAY_LEN(kinds); i++)
        if (strcmp(kinds[i].name, word) == 0)
            k = i;
    if (k < 0)
        return vn__error(VN_ERR_INVALID_ARG,
                         "schedule: %s '%s' (expected constant, step, multistep or cosine)",
                         got ? "unknown kind" : "no kind", word);
    char what[48];
    snprintf(what, sizeof what, "schedule '%s'", kinds[k].name);
    schedule_words w = {.gamma = 0.1, .warmup_start = 1.0 / 3.0};
    for (;;) {
        VN_TRY(vn__train_word_next(what, &cur, word, &got));
        if (!got)
            break;
        char *val = vn__train_word_value(word);
        if (!val)
            return vn__error(VN_ERR_INVALID_ARG, "%s: '%s' is not key=value", what, word);
        VN_TRY(parse_key(what, kinds[k].kind, word, val, &w));
    }
    const char *missing = kinds[k].kind == VN_SCHEDULE_STEP && !w.has_step_size ? "step_size"
                        : kinds[k].kind == VN_SCHEDULE_MULTISTEP && !w.has_milestones ? "milestones"
                        : kinds[k].kind == VN_SCHEDULE_COSINE && !w.has_t_max ? "t_max"
                                                                               : NULL;
    if (missing)
        return vn__error(VN_ERR_INVALID_ARG, "%s: %s= is required", what, missing);

    vn_schedule *s = NULL;
    switch (kinds[k].kind) {
    case VN_SCHEDULE_CONSTANT: VN_TRY(vn_schedule_create_constant(&s)); break;
    case VN_SCHEDULE_STEP: VN_TRY(vn_schedule_create_step(w.step_size, w.gamma, &s)); break;
    case VN_SCHEDULE_MULTISTEP:
        VN_TRY(vn_schedule_create_multistep(w.milestones, w.n_milestones, w.gamma, &s));
        break;
    case VN_SCHEDULE_COSINE: VN_TRY(vn_schedule_create_cosine(w.t_max, w.eta_min, &s)); break;
    }
    vn_status st = vn_schedule_set_warmup(s, w.warmup, w.warmup_start);
    if (st != VN_OK) {
        vn_schedule_destroy(s);
        return st;
    }
    *out = s;
    return VN_OK;
}
