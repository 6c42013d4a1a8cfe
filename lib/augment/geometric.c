/*
 * geometric.c - the geometric ops: flips, random crop (with padding),
 * random resized crop, random affine (rotation, translation, scale, shear)
 * and random perspective, following torchvision 0.14's transforms, and the
 * same maps applied to the sample's annotation points.
 *
 * Pixels are sampled by the image layer where it can: flips by
 * vn_image_flip, the padded random crop by vn_image_warp_affine with an
 * integer translation and nearest sampling (exact, with its constant /
 * edge / reflect borders), the affine warps by vn_image_warp_affine
 * (cv2.warpAffine semantics, 1/32-pixel fixed point for u8), the resize of
 * the resized crop by vn_image_resize (cv2.resize for u8, F.interpolate for
 * f32). Perspective is sampled here, as torchvision's grid_sample path
 * does it (align_corners=False; u8 rounded half to even).
 *
 * Matrices. torchvision's RandomAffine builds the inverse map (output ->
 * input) about the image centre ((W-1)/2, (H-1)/2) (transforms/functional.py
 * _get_inverse_affine_matrix: rotation, scale and shear RSS = R(a) S(s)
 * SHy(sy) SHx(sx), then the translation); we build the same matrix and hand
 * its inverse, the forward map, to vn_image_warp_affine. Angles here are
 * counter-clockwise on screen, as F.rotate's.
 *
 * Annotations are continuous (x, y) with pixel (r, c) covering
 * [c, c+1) x [r, r+1): a map m in pixel-centre coordinates acts on them as
 * p' = m(p - 0.5) + 0.5.
 */
#include "augment/augment_internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- annotation points --------------------------------------------------- */

static int64_t npts(const vn__aug_sample *s)
{
    return s->nbox * 4 + s->npoint;
}

/* p' = m(p - 0.5) + 0.5 for a forward 2x3 map m in pixel-centre coordinates. */
static void map_points_affine(vn__aug_sample *s, const double m[6])
{
    for (int64_t i = 0; i < npts(s); i++) {
        double x = s->pts[2 * i] - 0.5, y = s->pts[2 * i + 1] - 0.5;
        s->pts[2 * i] = m[0] * x + m[1] * y + m[2] + 0.5;
        s->pts[2 * i + 1] = m[3] * x + m[4] * y + m[5] + 0.5;
    }
}

/* Replace each box's corners by those of its bounding box clipped to w x h. */
static void clip_boxes(vn__aug_sample *s, double w, double h)
{
    for (int64_t b = 0; b < s->nbox; b++) {
        double *q = s->pts + 8 * b;
        double x1 = q[0], x2 = q[0], y1 = q[1], y2 = q[1];
        for (int k = 1; k < 4; k++) {
            x1 = fmin(x1, q[2 * k]), x2 = fmax(x2, q[2 * k]);
            y1 = fmin(y1, q[2 * k + 1]), y2 = fmax(y2, q[2 * k + 1]);
        }
        x1 = fmin(fmax(x1, 0), w), x2 = fmin(fmax(x2, 0), w);
        y1 = fmin(fmax(y1, 0), h), y2 = fmin(fmax(y2, 0), h);
        q[0] = x1, q[1] = y1, q[2] = x2, q[3] = y1, q[4] = x2, q[5] = y2, q[6] = x1, q[7] = y2;
    }
}

static void replace(vn__aug_sample *s, vn_tensor *img)
{
    vn_tensor_destroy(s->img);
    s->img = img;
}

static vn_status image_fail(const vn__aug_sample *s, vn_status st)
{
    char msg[400];
    snprintf(msg, sizeof msg, "%s", vn_last_error());
    return vn__aug_fail(s, st, "%s", msg);
}

/* ---- flip ------------------------------------------------------------------- */

/* Reverse n pixels of pix bytes in place (pix a constant at the call for
 * the common case, so the swaps compile to plain moves). */
static inline void reverse_pixels(uint8_t *row, size_t n, size_t pix)
{
    uint8_t tmp[64 * sizeof(double)];
    for (size_t a = 0, b = n - 1; a < b; a++, b--) {
        memcpy(tmp, row + a * pix, pix);
        memcpy(row + a * pix, row + b * pix, pix);
        memcpy(row + b * pix, tmp, pix);
    }
}

/* The working image flipped in place: the same pixels as vn_image_flip
 * without a new image (the working image is ours to change). */
static void flip_in_place(vn_tensor *img, vn_flip dir)
{
    size_t H = (size_t)img->shape[0], W = (size_t)img->shape[1];
    size_t pix = (size_t)img->shape[2] * vn_dtype_size(img->dtype), step = W * pix;
    uint8_t *d = img->data;
    if (dir & VN_FLIP_HORIZONTAL)
        for (size_t y = 0; y < H; y++) {
            if (pix == 3)
                reverse_pixels(d + y * step, W, 3);
            else
                reverse_pixels(d + y * step, W, pix);
        }
    if (dir & VN_FLIP_VERTICAL)
        for (size_t y = 0; y < H / 2; y++) {
            uint8_t *a = d + y * step, *b = d + (H - 1 - y) * step;
            for (size_t i = 0; i < step; i++) {
                uint8_t t = a[i];
                a[i] = b[i];
                b[i] = t;
            }
        }
}

static vn_status flip(const vn__aug_op *op, vn__aug_sample *s)
{
    if (op->u.flip.dir != VN_FLIP_HORIZONTAL && op->u.flip.dir != VN_FLIP_VERTICAL &&
        op->u.flip.dir != VN_FLIP_BOTH)
        return vn__aug_fail(s, VN_ERR_INVALID_ARG, "unknown flip direction %d",
                            (int)op->u.flip.dir);
    flip_in_place(s->img, op->u.flip.dir);
    double W = (double)s->img->shape[1], H = (double)s->img->shape[0];
    for (int64_t i = 0; i < npts(s); i++) {
        if (op->u.flip.dir & VN_FLIP_HORIZONTAL)
            s->pts[2 * i] = W - s->pts[2 * i];
        if (op->u.flip.dir & VN_FLIP_VERTICAL)
            s->pts[2 * i + 1] = H - s->pts[2 * i + 1];
    }
    return VN_OK;
}

/* ---- random crop --------------------------------------------------------------- */

/* Cut an oh x ow window whose top-left corner is source pixel (top, left),
 * possibly outside the image, filling outside pixels per border. */
static vn_status shifted_window(vn__aug_sample *s, int64_t top, int64_t left, int64_t oh,
                                int64_t ow, vn_border border, float fill)
{
    double m[6] = {1, 0, (double)-left, 0, 1, (double)-top};
    vn_tensor *t = NULL;
    vn_status st;
    {
        double fills[64];
        for (int k = 0; k < 64; k++)
            fills[k] = fill;
        st = vn_image_warp_affine(s->img, m, (int)oh, (int)ow, VN_INTERP_NEAREST, border, fills,
                                  &t);
    }
    if (st != VN_OK)
        return image_fail(s, st);
    map_points_affine(s, m);
    replace(s, t);
    clip_boxes(s, (double)ow, (double)oh);
    return VN_OK;
}

static vn_status random_crop(const vn__aug_op *op, vn__aug_sample *s)
{
    int64_t h = s->img->shape[0], w = s->img->shape[1];
    int64_t th = op->u.crop.h, tw = op->u.crop.w, pad = op->u.crop.pad;
    /* torchvision RandomCrop.forward: pad all sides, then pad_if_needed pads
     * the short axis by (target - size) on both sides. */
    int64_t top_pad = pad, left_pad = pad;
    h += 2 * pad;
    w += 2 * pad;
    if (op->u.crop.pad_if_needed && w < tw) {
        left_pad += tw - w;
        w += 2 * (tw - w);
    }
    if (op->u.crop.pad_if_needed && h < th) {
        top_pad += th - h;
        h += 2 * (th - h);
    }
    if (h < th || w < tw)
        return vn__aug_fail(s, VN_ERR_SHAPE, "crop %lldx%lld is larger than the padded image "
                            "%lldx%lld (set pad or pad_if_needed=1)", (long long)th, (long long)tw,
                            (long long)h, (long long)w);
    int64_t i = vn__aug_randint(&s->rng, 0, h - th + 1);
    int64_t j = vn__aug_randint(&s->rng, 0, w - tw + 1);
    return shifted_window(s, i - top_pad, j - left_pad, th, tw, op->u.crop.border, op->u.crop.fill);
}

/* ---- random resized crop -------------------------------------------------------- */

/* torchvision RandomResizedCrop.get_params. */
static void rrc_params(const vn__aug_op *op, vn__aug_sample *s, int64_t height, int64_t width,
                       int64_t *top, int64_t *left, int64_t *ch, int64_t *cw)
{
    double area = (double)height * (double)width;
    double lr0 = log(op->u.rrc.ratio[0]), lr1 = log(op->u.rrc.ratio[1]);
    for (int attempt = 0; attempt < 10; attempt++) {
        double target = area * vn__aug_uniform(&s->rng, op->u.rrc.scale[0], op->u.rrc.scale[1]);
        double ar = exp(vn__aug_uniform(&s->rng, lr0, lr1));
        int64_t w = (int64_t)nearbyint(sqrt(target * ar));
        int64_t h = (int64_t)nearbyint(sqrt(target / ar));
        if (0 < w && w <= width && 0 < h && h <= height) {
            *top = vn__aug_randint(&s->rng, 0, height - h + 1);
            *left = vn__aug_randint(&s->rng, 0, width - w + 1);
            *ch = h, *cw = w;
            return;
        }
    }
    /* Fallback to the central crop. */
    double in_ratio = (double)width / (double)height;
    int64_t w, h;
    if (in_ratio < op->u.rrc.ratio[0]) {
        w = width;
        h = (int64_t)nearbyint((double)w / op->u.rrc.ratio[0]);
    } else if (in_ratio > op->u.rrc.ratio[1]) {
        h = height;
        w = (int64_t)nearbyint((double)h * op->u.rrc.ratio[1]);
    } else {
        w = width;
        h = height;
    }
    h = VN_MAX(1, VN_MIN(h, height));
    w = VN_MAX(1, VN_MIN(w, width));
    *top = (height - h) / 2;
    *left = (width - w) / 2;
    *ch = h, *cw = w;
}

/* Resize an f32 HWC image through the f32 CHW engine (F.interpolate). */
static vn_status resize_f32_hwc(const vn_tensor *src, int oh, int ow, vn_interp interp,
                                vn_tensor **out)
{
    int64_t h = src->shape[0], w = src->shape[1], c = src->shape[2];
    vn_tensor *chw = NULL, *r = NULL, *hwc = NULL;
    VN_TRY(vn__tensor_new3(VN_F32, c, h, w, &chw));
    const float *S = src->data;
    float *D = chw->data;
    size_t plane = (size_t)(h * w);
    for (int64_t k = 0; k < c; k++)
        for (size_t i = 0; i < plane; i++)
            D[(size_t)k * plane + i] = S[i * (size_t)c + (size_t)k];
    vn_status st = vn_image_resize(chw, oh, ow, interp, &r);
    vn_tensor_destroy(chw);
    if (st == VN_OK)
        st = vn__tensor_new3(VN_F32, oh, ow, c, &hwc);
    if (st == VN_OK) {
        const float *R = r->data;
        float *H = hwc->data;
        size_t op = (size_t)oh * (size_t)ow;
        for (int64_t k = 0; k < c; k++)
            for (size_t i = 0; i < op; i++)
                H[i * (size_t)c + (size_t)k] = R[(size_t)k * op + i];
    }
    vn_tensor_destroy(r);
    if (st != VN_OK)
        return st;
    *out = hwc;
    return VN_OK;
}

static vn_status resized_crop(const vn__aug_op *op, vn__aug_sample *s)
{
    int64_t top, left, ch, cw;
    rrc_params(op, s, s->img->shape[0], s->img->shape[1], &top, &left, &ch, &cw);
    vn_tensor *crop = NULL, *res = NULL;
    vn_status st = vn_image_crop(s->img, (int)top, (int)left, (int)ch, (int)cw, &crop);
    if (st == VN_OK) {
        if (s->img->dtype == VN_U8)
            st = vn_image_resize(crop, op->u.rrc.h, op->u.rrc.w, op->u.rrc.interp, &res);
        else
            st = resize_f32_hwc(crop, op->u.rrc.h, op->u.rrc.w, op->u.rrc.interp, &res);
    }
    vn_tensor_destroy(crop);
    if (st != VN_OK)
        return image_fail(s, st);
    double fx = (double)op->u.rrc.w / (double)cw, fy = (double)op->u.rrc.h / (double)ch;
    for (int64_t i = 0; i < npts(s); i++) {
        s->pts[2 * i] = (s->pts[2 * i] - (double)left) * fx;
        s->pts[2 * i + 1] = (s->pts[2 * i + 1] - (double)top) * fy;
    }
    replace(s, res);
    clip_boxes(s, op->u.rrc.w, op->u.rrc.h);
    return VN_OK;
}

/* ---- affine --------------------------------------------------------------------- */

/* torchvision's _get_inverse_affine_matrix about the centre (0, 0) of a
 * centred frame, with the rotation angle `ccw` counter-clockwise (F.rotate
 * passes -angle to it, which is what we do). */
static void inverse_affine(double ccw_deg, double tx, double ty, double scale, double shx_deg,
                           double shy_deg, double m[6])
{
    double rot = -ccw_deg * M_PI / 180, sx = shx_deg * M_PI / 180, sy = shy_deg * M_PI / 180;
    double a = cos(rot - sy) / cos(sy);
    double b = -cos(rot - sy) * tan(sx) / cos(sy) - sin(rot);
    double c = sin(rot - sy) / cos(sy);
    double d = -sin(rot - sy) * tan(sx) / cos(sy) + cos(rot);
    m[0] = d / scale, m[1] = -b / scale, m[2] = 0;
    m[3] = -c / scale, m[4] = a / scale, m[5] = 0;
    m[2] += m[0] * (-tx) + m[1] * (-ty);
    m[5] += m[3] * (-tx) + m[4] * (-ty);
}

/* Invert a 2x3 affine map; false when singular. */
static bool invert_affine(const double m[6], double r[6])
{
    double det = m[0] * m[4] - m[1] * m[3];
    if (det == 0 || !isfinite(det))
        return false;
    r[0] = m[4] / det, r[1] = -m[1] / det;
    r[3] = -m[3] / det, r[4] = m[0] / det;
    r[2] = -(r[0] * m[2] + r[1] * m[5]);
    r[5] = -(r[3] * m[2] + r[4] * m[5]);
    return true;
}

static vn_status affine(const vn__aug_op *op, vn__aug_sample *s)
{
    int64_t H = s->img->shape[0], W = s->img->shape[1];
    /* RandomAffine.get_params, in its order. */
    double angle = vn__aug_uniform(&s->rng, op->u.affine.deg[0], op->u.affine.deg[1]);
    double max_dx = op->u.affine.translate[0] * (double)W, max_dy = op->u.affine.translate[1] * (double)H;
    double tx = nearbyint(vn__aug_uniform(&s->rng, -max_dx, max_dx));
    double ty = nearbyint(vn__aug_uniform(&s->rng, -max_dy, max_dy));
    double scale = vn__aug_uniform(&s->rng, op->u.affine.scale[0], op->u.affine.scale[1]);
    double shx = vn__aug_uniform(&s->rng, op->u.affine.shear[0], op->u.affine.shear[1]);
    double shy = vn__aug_uniform(&s->rng, op->u.affine.shear[2], op->u.affine.shear[3]);
    double inv[6], fwd[6];
    inverse_affine(angle, tx, ty, scale, shx, shy, inv);
    /* From the centred frame to pixel-centre coordinates: in = A(out - c) + c. */
    double cx = ((double)W - 1) * 0.5, cy = ((double)H - 1) * 0.5;
    inv[2] += cx - inv[0] * cx - inv[1] * cy;
    inv[5] += cy - inv[3] * cx - inv[4] * cy;
    if (!invert_affine(inv, fwd))
        return vn__aug_fail(s, VN_ERR_INVALID_ARG, "the drawn warp is singular");
    vn_tensor *t = NULL;
    vn_status st;
    {
        double fills[64];
        for (int k = 0; k < 64; k++)
            fills[k] = op->u.affine.fill;
        st = vn_image_warp_affine(s->img, fwd, (int)H, (int)W, op->u.affine.interp,
                                  op->u.affine.border, fills, &t);
    }
    if (st != VN_OK)
        return image_fail(s, st);
    map_points_affine(s, fwd);
    replace(s, t);
    return VN_OK;
}

/* ---- perspective ------------------------------------------------------------------- */

/* Solve the 8x8 system of torchvision's _get_perspective_coeffs (Gaussian
 * elimination with partial pivoting): coefficients of the map from the
 * `to` points to the `from` points. false when singular. */
static bool perspective_coeffs(const double from[8], const double to[8], double c[8])
{
    double A[8][9];
    for (int i = 0; i < 4; i++) {
        double x = to[2 * i], y = to[2 * i + 1], X = from[2 * i], Y = from[2 * i + 1];
        double r0[9] = {x, y, 1, 0, 0, 0, -X * x, -X * y, X};
        double r1[9] = {0, 0, 0, x, y, 1, -Y * x, -Y * y, Y};
        memcpy(A[2 * i], r0, sizeof r0);
        memcpy(A[2 * i + 1], r1, sizeof r1);
    }
    for (int col = 0; col < 8; col++) {
        int piv = col;
        for (int r = col + 1; r < 8; r++)
            if (fabs(A[r][col]) > fabs(A[piv][col]))
                piv = r;
        if (fabs(A[piv][col]) < 1e-12)
            return false;
        if (piv != col)
            for (int k = 0; k < 9; k++) {
                double t = A[col][k];
                A[col][k] = A[piv][k];
                A[piv][k] = t;
            }
        for (int r = 0; r < 8; r++) {
            if (r == col)
                continue;
            double f = A[r][col] / A[col][col];
            for (int k = col; k < 9; k++)
                A[r][k] -= f * A[col][k];
        }
    }
    for (int i = 0; i < 8; i++)
        c[i] = A[i][8] / A[i][i];
    return true;
}

/* Sample dst (oh x ow, same C and dtype as src) at in = H(x+0.5, y+0.5) - 0.5. */
static void warp_homography(const vn_tensor *src, const double c[8], vn_interp interp,
                            vn_border border, float fill, vn_tensor *dst)
{
    int64_t h = src->shape[0], w = src->shape[1], C = src->shape[2];
    int64_t oh = dst->shape[0], ow = dst->shape[1];
    bool u8 = src->dtype == VN_U8;
    const uint8_t *S8 = src->data;
    const float *Sf = src->data;
    float acc[64];
    for (int64_t y = 0; y < oh; y++) {
        for (int64_t x = 0; x < ow; x++) {
            double X = (double)x + 0.5, Y = (double)y + 0.5;
            double den = c[6] * X + c[7] * Y + 1;
            double sx = (c[0] * X + c[1] * Y + c[2]) / den - 0.5;
            double sy = (c[3] * X + c[4] * Y + c[5]) / den - 0.5;
            if (!(fabs(sx) < 1e9 && fabs(sy) < 1e9))
                sx = sy = -1e9;
            int64_t x0, y0;
            double ax = 0, ay = 0;
            if (interp == VN_INTERP_NEAREST) {
                /* grid_sample 'nearest' rounds half to even */
                x0 = (int64_t)nearbyint(sx), y0 = (int64_t)nearbyint(sy);
            } else {
                double fx = floor(sx), fy = floor(sy);
                x0 = (int64_t)fx, y0 = (int64_t)fy;
                ax = sx - fx, ay = sy - fy;
            }
            for (int k = 0; k < C; k++)
                acc[k] = 0;
            for (int t = 0; t < (interp == VN_INTERP_NEAREST ? 1 : 4); t++) {
                int64_t xi = x0 + (t & 1), yi = y0 + (t >> 1);
                double wgt = interp == VN_INTERP_NEAREST
                                 ? 1.0
                                 : ((t & 1) ? ax : 1 - ax) * ((t >> 1) ? ay : 1 - ay);
                if (wgt == 0)
                    continue;
                int64_t bx = vn__border_index(xi, w, border), by = vn__border_index(yi, h, border);
                for (int k = 0; k < C; k++) {
                    double v = fill;
                    if (bx >= 0 && by >= 0) {
                        size_t at = ((size_t)by * (size_t)w + (size_t)bx) * (size_t)C + (size_t)k;
                        v = u8 ? S8[at] : Sf[at];
                    }
                    acc[k] += (float)(wgt * v);
                }
            }
            size_t o = ((size_t)y * (size_t)ow + (size_t)x) * (size_t)C;
            for (int k = 0; k < C; k++) {
                if (u8) {
                    float v = (float)lrintf(acc[k]);
                    ((uint8_t *)dst->data)[o + k] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v);
                } else {
                    ((float *)dst->data)[o + k] = acc[k];
                }
            }
        }
    }
}

static vn_status perspective(const vn__aug_op *op, vn__aug_sample *s)
{
    int64_t height = s->img->shape[0], width = s->img->shape[1];
    /* RandomPerspective.get_params, in its order of draws. */
    double d = op->u.persp.distortion;
    int64_t hw = width / 2, hh = height / 2;
    int64_t dw = (int64_t)(d * (double)hw), dh = (int64_t)(d * (double)hh);
    double end[8];
    end[0] = (double)vn__aug_randint(&s->rng, 0, dw + 1);
    end[1] = (double)vn__aug_randint(&s->rng, 0, dh + 1);
    end[2] = (double)vn__aug_randint(&s->rng, width - dw - 1, width);
    end[3] = (double)vn__aug_randint(&s->rng, 0, dh + 1);
    end[4] = (double)vn__aug_randint(&s->rng, width - dw - 1, width);
    end[5] = (double)vn__aug_randint(&s->rng, height - dh - 1, height);
    end[6] = (double)vn__aug_randint(&s->rng, 0, dw + 1);
    end[7] = (double)vn__aug_randint(&s->rng, height - dh - 1, height);
    double start[8] = {0, 0, (double)width - 1, 0, (double)width - 1, (double)height - 1, 0,
                       (double)height - 1};
    double c[8];
    if (!perspective_coeffs(start, end, c))
        return vn__aug_fail(s, VN_ERR_INVALID_ARG, "the drawn corners make a singular map "
                            "(image %lldx%lld too small?)", (long long)height, (long long)width);
    vn_tensor *t = NULL;
    VN_TRY(vn__tensor_empty(s->img->dtype, 3, s->img->shape, &t));
    warp_homography(s->img, c, op->u.persp.interp, op->u.persp.border, op->u.persp.fill, t);
    /* Points: the forward map is the inverse homography, in continuous
     * coordinates (in_cont = H(out_cont)). */
    double M[9] = {c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], 1};
    double I[9];
    I[0] = M[4] * M[8] - M[5] * M[7], I[1] = M[2] * M[7] - M[1] * M[8], I[2] = M[1] * M[5] - M[2] * M[4];
    I[3] = M[5] * M[6] - M[3] * M[8], I[4] = M[0] * M[8] - M[2] * M[6], I[5] = M[2] * M[3] - M[0] * M[5];
    I[6] = M[3] * M[7] - M[4] * M[6], I[7] = M[1] * M[6] - M[0] * M[7], I[8] = M[0] * M[4] - M[1] * M[3];
    for (int64_t i = 0; i < npts(s); i++) {
        double x = s->pts[2 * i], y = s->pts[2 * i + 1];
        double den = I[6] * x + I[7] * y + I[8];
        s->pts[2 * i] = (I[0] * x + I[1] * y + I[2]) / den;
        s->pts[2 * i + 1] = (I[3] * x + I[4] * y + I[5]) / den;
    }
    replace(s, t);
    return VN_OK;
}

vn_status vn__aug_geometric(const vn__aug_op *op, vn__aug_sample *s)
{
    switch (op->kind) {
    case VN__AUG_FLIP: return flip(op, s);
    case VN__AUG_RANDOM_CROP: return random_crop(op, s);
    case VN__AUG_RESIZED_CROP: return resized_crop(op, s);
    case VN__AUG_AFFINE: return affine(op, s);
    case VN__AUG_PERSPECTIVE: return perspective(op, s);
    default: return vn__aug_fail(s, VN_ERR_INTERNAL, "not a geometric op");
    }
}
