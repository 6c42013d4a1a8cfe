/*
 * warp.c - vn_image_warp_affine and vn_image_rotate, as cv2.warpAffine and
 * cv2.getRotationMatrix2D (OpenCV 4.6, modules/imgproc/src/imgwarp.cpp).
 *
 * The caller's matrix maps source to destination; like OpenCV we invert it
 * (with OpenCV's exact operation order) and sample the source at
 * Mi * (x, y, 1) for every destination pixel (x = column, y = row).
 *
 * u8 images use OpenCV's fixed point so that results equal cv2's:
 * - coordinates in 1/1024 pixel (AB_BITS = 10):
 *   X = rint((Mi01*y + Mi02) * 1024) + delta + rint(Mi00*x * 1024), then
 *   bilinear keeps 1/32 pixel (INTER_BITS = 5, delta = 16): X >> 5 gives
 *   the integer part, X & 31 the fraction; nearest uses delta = 512 and
 *   X >> 10;
 * - the 4 bilinear weights are (32-fx)(32-fy)*32 ... in 1/32768
 *   (INTER_REMAP_COEF_BITS = 15), result (sum + 2^14) >> 15.
 * f32 images are sampled exactly in double (bilinear weights from the
 * exact fraction; nearest takes floor(coordinate + 0.5)).
 *
 * Outside the image: CONSTANT blends the fill value in for the taps that
 * fall outside (and gives the fill itself when all do), REPLICATE clamps
 * the taps, REFLECT mirrors them without repeating the edge (OpenCV's
 * BORDER_REFLECT_101).
 */
#include "image/image_internal.h"

#include <math.h>
#include <string.h>

#define AB_BITS 10
#define AB_SCALE (1 << AB_BITS)
#define INTER_BITS 5
#define INTER_TAB (1 << INTER_BITS)
#define REMAP_BITS 15

/* cvRound(double) -> int, saturated (saturate_cast<int>(double)). */
static inline int64_t round_sat_int(double v)
{
    if (!(v > -2147483648.0))
        return INT32_MIN;
    if (v >= 2147483647.0)
        return INT32_MAX;
    return (int64_t)lrint(v);
}

typedef struct warp_job {
    const vn_tensor *src;
    vn_tensor *dst;
    int h, w, c;            /* source */
    int oh, ow;             /* destination */
    double mi[6];           /* inverse map */
    vn_interp interp;
    vn_border border;
} warp_job;

/* One destination row of a nearest u8 warp: c bytes per pixel. Coordinates
 * are in 1/1024 pixel with delta 512 already added, so >> AB_BITS rounds to
 * the nearest pixel; pixels inside the image skip vn__border_index. */
static inline void nearest_row_u8(const uint8_t *S, int64_t h, int64_t w, size_t c, uint8_t *d,
                                  int ow, int64_t X0, int64_t Y0, const int64_t *ad,
                                  const int64_t *bd, vn_border border, const uint8_t *fill)
{
    size_t sstep = (size_t)w * c;
    for (int x = 0; x < ow; x++, d += c) {
        /* Arithmetic shifts of possibly negative values: floor. */
        int64_t X = (X0 + ad[x]) >> AB_BITS, Y = (Y0 + bd[x]) >> AB_BITS;
        const uint8_t *p;
        if ((uint64_t)X < (uint64_t)w && (uint64_t)Y < (uint64_t)h) {
            p = S + (size_t)Y * sstep + (size_t)X * c;
        } else {
            int64_t sx = vn__border_index(X, w, border), sy = vn__border_index(Y, h, border);
            p = sx < 0 || sy < 0 ? fill : S + (size_t)sy * sstep + (size_t)sx * c;
        }
        for (size_t k = 0; k < c; k++)
            d[k] = p[k];
    }
}

/* u8, OpenCV fixed point. fill holds c bytes. */
static vn_status warp_u8(const warp_job *j, const uint8_t *fill)
{
    const uint8_t *S = j->src->data;
    uint8_t *D = j->dst->data;
    int h = j->h, w = j->w, c = j->c;
    size_t sstep = (size_t)w * c;
    bool linear = j->interp == VN_INTERP_BILINEAR;
    int64_t delta = linear ? AB_SCALE / INTER_TAB / 2 : AB_SCALE / 2;
    int shift = linear ? AB_BITS - INTER_BITS : AB_BITS;
    int64_t *ad = vn__alloc_or_error((size_t)j->ow * 2 * sizeof *ad, "warp_affine");
    if (!ad)
        return VN_ERR_NOMEM;
    int64_t *bd = ad + j->ow;
    for (int x = 0; x < j->ow; x++) {
        ad[x] = round_sat_int(j->mi[0] * x * AB_SCALE);
        bd[x] = round_sat_int(j->mi[3] * x * AB_SCALE);
    }
    for (int y = 0; y < j->oh; y++) {
        int64_t X0 = round_sat_int((j->mi[1] * y + j->mi[2]) * AB_SCALE) + delta;
        int64_t Y0 = round_sat_int((j->mi[4] * y + j->mi[5]) * AB_SCALE) + delta;
        uint8_t *d = D + (size_t)y * j->ow * c;
        if (!linear) {
            /* The common RGB case gets a copy of constant size, which the
             * compiler turns into plain loads and stores. */
            if (c == 3)
                nearest_row_u8(S, h, w, 3, d, j->ow, X0, Y0, ad, bd, j->border, fill);
            else
                nearest_row_u8(S, h, w, (size_t)c, d, j->ow, X0, Y0, ad, bd, j->border, fill);
            continue;
        }
        for (int x = 0; x < j->ow; x++, d += c) {
            /* Arithmetic shifts of possibly negative values: floor. */
            int64_t X = (X0 + ad[x]) >> shift, Y = (Y0 + bd[x]) >> shift;
            int64_t sx = X >> INTER_BITS, sy = Y >> INTER_BITS;
            int fx = (int)(X & (INTER_TAB - 1)), fy = (int)(Y & (INTER_TAB - 1));
            int w00 = (INTER_TAB - fx) * (INTER_TAB - fy) * 32, w01 = fx * (INTER_TAB - fy) * 32;
            int w10 = (INTER_TAB - fx) * fy * 32, w11 = fx * fy * 32;
            const uint8_t *p00, *p01, *p10, *p11;
            if (sx >= 0 && sy >= 0 && sx < w - 1 && sy < h - 1) {
                p00 = S + (size_t)sy * sstep + (size_t)sx * c;
                p01 = p00 + c;
                p10 = p00 + sstep;
                p11 = p10 + c;
            } else if (j->border == VN_BORDER_CONSTANT && (sx >= w || sx + 1 < 0 || sy >= h || sy + 1 < 0)) {
                memcpy(d, fill, (size_t)c);
                continue;
            } else {
                int64_t x0 = vn__border_index(sx, w, j->border), x1 = vn__border_index(sx + 1, w, j->border);
                int64_t y0 = vn__border_index(sy, h, j->border), y1 = vn__border_index(sy + 1, h, j->border);
                p00 = x0 >= 0 && y0 >= 0 ? S + (size_t)y0 * sstep + (size_t)x0 * c : fill;
                p01 = x1 >= 0 && y0 >= 0 ? S + (size_t)y0 * sstep + (size_t)x1 * c : fill;
                p10 = x0 >= 0 && y1 >= 0 ? S + (size_t)y1 * sstep + (size_t)x0 * c : fill;
                p11 = x1 >= 0 && y1 >= 0 ? S + (size_t)y1 * sstep + (size_t)x1 * c : fill;
            }
            for (int k = 0; k < c; k++) {
                int v = (p00[k] * w00 + p01[k] * w01 + p10[k] * w10 + p11[k] * w11 + (1 << (REMAP_BITS - 1))) >>
                        REMAP_BITS;
                d[k] = (uint8_t)(v > 255 ? 255 : v);
            }
        }
    }
    vn__free(ad);
    return VN_OK;
}

/* Keep far-away (or overflowed) coordinates in int64 range: they are
 * outside the image either way. */
static inline double clamp_coord(double v)
{
    return !(v > -1e15) ? -1e15 : v > 1e15 ? 1e15 : v;
}

/* f32, exact sampling in double. fill holds c floats. */
static void warp_f32(const warp_job *j, const float *fill)
{
    const float *S = j->src->data;
    float *D = j->dst->data;
    int h = j->h, w = j->w, c = j->c;
    size_t sstep = (size_t)w * c;
    for (int y = 0; y < j->oh; y++) {
        float *d = D + (size_t)y * j->ow * c;
        for (int x = 0; x < j->ow; x++, d += c) {
            double fxs = clamp_coord(j->mi[0] * x + j->mi[1] * y + j->mi[2]);
            double fys = clamp_coord(j->mi[3] * x + j->mi[4] * y + j->mi[5]);
            if (j->interp == VN_INTERP_NEAREST) {
                int64_t sx = vn__border_index((int64_t)floor(fxs + 0.5), w, j->border);
                int64_t sy = vn__border_index((int64_t)floor(fys + 0.5), h, j->border);
                const float *p = sx >= 0 && sy >= 0 ? S + (size_t)sy * sstep + (size_t)sx * c : fill;
                memcpy(d, p, (size_t)c * sizeof *d);
                continue;
            }
            double flx = floor(fxs), fly = floor(fys);
            double ax = fxs - flx, ay = fys - fly;
            int64_t sx = (int64_t)flx, sy = (int64_t)fly;
            int64_t x0 = vn__border_index(sx, w, j->border), x1 = vn__border_index(sx + 1, w, j->border);
            int64_t y0 = vn__border_index(sy, h, j->border), y1 = vn__border_index(sy + 1, h, j->border);
            const float *p00 = x0 >= 0 && y0 >= 0 ? S + (size_t)y0 * sstep + (size_t)x0 * c : fill;
            const float *p01 = x1 >= 0 && y0 >= 0 ? S + (size_t)y0 * sstep + (size_t)x1 * c : fill;
            const float *p10 = x0 >= 0 && y1 >= 0 ? S + (size_t)y1 * sstep + (size_t)x0 * c : fill;
            const float *p11 = x1 >= 0 && y1 >= 0 ? S + (size_t)y1 * sstep + (size_t)x1 * c : fill;
            double w00 = (1 - ax) * (1 - ay), w01 = ax * (1 - ay), w10 = (1 - ax) * ay, w11 = ax * ay;
            for (int k = 0; k < c; k++)
                d[k] = (float)(p00[k] * w00 + p01[k] * w01 + p10[k] * w10 + p11[k] * w11);
        }
    }
}

VN_API vn_status vn_image_warp_affine(const vn_tensor *src, const double m[6], int out_h, int out_w,
                                      vn_interp interp, vn_border border, const double *fill,
                                      vn_tensor **out)
{
    if (!src || !m || !out)
        return vn__error(VN_ERR_INVALID_ARG, "warp_affine: NULL argument");
    if (out_h < 1 || out_w < 1)
        return vn__error(VN_ERR_INVALID_ARG, "warp_affine: output size %dx%d is not positive", out_h, out_w);
    if (interp != VN_INTERP_NEAREST && interp != VN_INTERP_BILINEAR)
        return vn__error(VN_ERR_UNSUPPORTED, "warp_affine: interpolation %d is not supported "
                                             "(nearest or bilinear)", (int)interp);
    if (border != VN_BORDER_CONSTANT && border != VN_BORDER_REPLICATE && border != VN_BORDER_REFLECT)
        return vn__error(VN_ERR_INVALID_ARG, "warp_affine: unknown border %d", (int)border);
    for (int i = 0; i < 6; i++)
        if (!isfinite(m[i]))
            return vn__error(VN_ERR_INVALID_ARG, "warp_affine: matrix element %d is not finite", i);
    int64_t h, w, c;
    char sbuf[96];
    if ((src->dtype != VN_U8 && src->dtype != VN_F32) || !vn__image_hwc(src, &h, &w, &c))
        return vn__error(VN_ERR_SHAPE, "warp_affine: expected a u8 or f32 [H,W,C] image, got %s %s",
                         vn_dtype_name(src->dtype), vn__shape_str(src, sbuf, sizeof sbuf));
    if (h < 1 || w < 1 || c < 1)
        return vn__error(VN_ERR_SHAPE, "warp_affine: image %s is empty", vn__shape_str(src, sbuf, sizeof sbuf));
    if (c > 64)
        return vn__error(VN_ERR_UNSUPPORTED, "warp_affine: %lld channels, at most 64 are supported",
                         (long long)c);
    if (h > INT32_MAX / 2 || w > INT32_MAX / 2)
        return vn__error(VN_ERR_LIMIT, "warp_affine: image is too large");

    warp_job j;
    memset(&j, 0, sizeof j);
    j.src = src;
    j.h = (int)h;
    j.w = (int)w;
    j.c = (int)c;
    j.oh = out_h;
    j.ow = out_w;
    j.interp = interp;
    j.border = border;
    /* OpenCV's inversion, in its order of operations (bit-equal Mi). */
    double M[6];
    memcpy(M, m, sizeof M);
    double det = M[0] * M[4] - M[1] * M[3];
    if (det == 0)
        return vn__error(VN_ERR_INVALID_ARG, "warp_affine: the matrix is singular");
    det = 1. / det;
    double a11 = M[4] * det, a22 = M[0] * det;
    M[0] = a11;
    M[1] *= -det;
    M[3] *= -det;
    M[4] = a22;
    double b1 = -M[0] * M[2] - M[1] * M[5];
    double b2 = -M[3] * M[2] - M[4] * M[5];
    M[2] = b1;
    M[5] = b2;
    for (int i = 0; i < 6; i++)
        if (!isfinite(M[i]))
            return vn__error(VN_ERR_INVALID_ARG, "warp_affine: the matrix is too close to singular");
    memcpy(j.mi, M, sizeof M);

    int64_t shape[3] = {out_h, out_w, c};
    VN_TRY(vn__tensor_empty(src->dtype, src->ndim, shape, &j.dst));
    vn_status s = VN_OK;
    if (src->dtype == VN_U8) {
        uint8_t f8[64];
        for (int k = 0; k < j.c; k++) {
            double v = fill ? fill[k] : 0.0;
            f8[k] = (uint8_t)(!(v > 0) ? 0 : v >= 255 ? 255 : lrint(v));
        }
        s = warp_u8(&j, f8);
    } else {
        float f32[64];
        for (int k = 0; k < j.c; k++)
            f32[k] = fill ? (float)fill[k] : 0.f;
        warp_f32(&j, f32);
    }
    if (s != VN_OK) {
        vn_tensor_destroy(j.dst);
        return s;
    }
    *out = j.dst;
    return VN_OK;
}

VN_API vn_status vn_image_rotate(const vn_tensor *src, double angle_deg, vn_interp interp, vn_tensor **out)
{
    if (!src || !out)
        return vn__error(VN_ERR_INVALID_ARG, "rotate: NULL argument");
    if (!isfinite(angle_deg))
        return vn__error(VN_ERR_INVALID_ARG, "rotate: angle is not finite");
    int64_t h, w, c;
    if (!vn__image_hwc(src, &h, &w, &c) || h < 1 || w < 1 || h > INT32_MAX / 2 || w > INT32_MAX / 2) {
        char sbuf[96];
        return vn__error(VN_ERR_SHAPE, "rotate: image shape %s is not [H,W,C] or [H,W]",
                         vn__shape_str(src, sbuf, sizeof sbuf));
    }
    /* cv2.getRotationMatrix2D(center, angle, 1): the centre is a float
     * Point2f in OpenCV, exact here for any size below 2^24. */
    double cx = (float)((w - 1) / 2.0), cy = (float)((h - 1) / 2.0);
    double a = angle_deg * (M_PI / 180);
    double al = cos(a), be = sin(a);
    double m[6] = {al, be, (1 - al) * cx - be * cy, -be, al, be * cx + (1 - al) * cy};
    return vn_image_warp_affine(src, m, (int)h, (int)w, interp, VN_BORDER_CONSTANT, NULL, out);
}
