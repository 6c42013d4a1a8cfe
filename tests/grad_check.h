/*
 * grad_check.h - the finite-difference check the layer suites share
 * (test_layers.c, test_layers_eltwise.c, test_layers_geometry.c).
 *
 * The loss is sum(y * dy) for a fixed random dy, so dL/dy = dy and the
 * layer's backward given dy must equal the central differences of the
 * loss with respect to every input and parameter element (checked on up to
 * max_checks elements spread over the tensor). Step H = 1e-2; an element
 * passes when |fd - backward| <= 1e-3 + 1e-3 * |backward|.
 * Include after cmocka.h and nn/layer.h.
 */
#ifndef VN_TESTS_GRAD_CHECK_H
#define VN_TESTS_GRAD_CHECK_H

#define GC_H 1e-2
#define GC_TOL_ABS 1e-3
#define GC_TOL_REL 1e-3
#define GC_MAXIN 3

/* A layer with its inputs, their gradients, its output and the fixed dy. */
typedef struct gc_rig {
    vn__layer *layer;
    vn_tensor *in[GC_MAXIN], *din[GC_MAXIN], *y, *dy;
    vn__run run;
    int nin;
} gc_rig;

/* Forward with r->run, then sum(y * dy) in double. */
static inline double gc_loss(gc_rig *r)
{
    assert_int_equal(r->layer->ops->forward(r->layer, &r->run, r->nin,
                                            (const vn_tensor *const *)r->in, r->y),
                     VN_OK);
    const float *y = vn_tensor_data(r->y), *dy = vn_tensor_data(r->dy);
    double l = 0.0;
    for (size_t i = 0; i < vn_tensor_numel(r->y); i++)
        l += (double)y[i] * dy[i];
    return l;
}

/* Compare the analytic gradient `an` of tensor v (an input or a parameter
 * of r->layer) with central differences; fail naming the element. */
static inline void gc_check_tensor(gc_rig *r, vn_tensor *v, const vn_tensor *an,
                                   const char *what, size_t max_checks)
{
    float *p = vn_tensor_data(v);
    const float *g = vn_tensor_data_const(an);
    size_t n = vn_tensor_numel(v);
    size_t step = n > max_checks ? n / max_checks : 1;
    for (size_t i = (n > max_checks ? step / 2 : 0); i < n; i += step) {
        float keep = p[i];
        p[i] = keep + (float)GC_H;
        double lp = gc_loss(r);
        p[i] = keep - (float)GC_H;
        double lm = gc_loss(r);
        p[i] = keep;
        double fd = (lp - lm) / ((double)(keep + (float)GC_H) - (double)(keep - (float)GC_H));
        if (fabs(fd - g[i]) > GC_TOL_ABS + GC_TOL_REL * fabs(g[i]))
            fail_msg("%s: d/d%s[%zu]: backward %.6g, finite difference %.6g", r->layer->who,
                     what, i, (double)g[i], fd);
    }
}

#endif
