/*
 * hog_gradient.c - the per-pixel half of HOG: gradients of one image row
 * and the orientation votes they cast. Every loop here runs over a row of
 * pixels with no dependence between pixels, so GCC vectorises it (twice,
 * SSE2 and AVX2, through VN_SIMD_CLONES).
 *
 * Hard bins without atan2 (skimage). skimage puts a gradient of angle
 * theta = atan2(gy, gx) (degrees, mod 180, or mod 360 when signed) into bin
 * i iff e_i <= theta < e_{i+1}, with bin edges e_k = k * range / n. We
 * count the edges at or below theta instead of computing it: fold the
 * gradient into the upper half-plane, (fx, fy) = -(gx, gy) when gy < 0 or
 * (gy == 0 and gx < 0), so that phi = atan2(fy, fx) lies in [0, 180) and
 * theta = phi + 180 h (h = folded). For an edge a in (0, 180),
 * phi >= a  <=>  sin(phi - a) >= 0  <=>  fy cos a - fx sin a >= 0,
 * a sign test exact to float rounding (~1e-7 rad; skimage's edges are never
 * that close to a pixel's angle: conformance README section 5). Edges at or
 * below 180 h always count, edges above 180 (h + 1) never do: both are
 * encoded as c = s = 0 with a limit of 0 (always true) or 1 (never).
 * theta = 180 for a gradient pointing left gives phi = 0 and bin 0, as
 * numpy's `% 180` does.
 */
/* sqrtf / floorf in the per-pixel loops vectorise only when they need not
 * set errno (their arguments are never negative / always finite here). */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-math-errno", "no-trapping-math")
#endif

#include "features/hog_internal.h"
#include "kernels/kernels.h"

#include <float.h>
#include <math.h>

void vn__hog_init_bins(vn_hog *h)
{
    int n = h->o.orientations;
    double range = h->o.signed_gradients ? 360.0 : 180.0;
    for (int half = 0; half < 2; half++)
        for (int k = 0; k < VN__HOG_MAX_BINS; k++) {
            float c = 0, s = 0, lim = 1; /* never */
            if (k >= 1 && k < n) {
                double e = range * k / n;
                double a = h->o.signed_gradients ? e - 180.0 * half : e;
                if (a <= 0.0) {
                    lim = 0; /* always */
                } else if (a < 180.0) {
                    c = (float)cos(a * M_PI / 180.0);
                    s = (float)sin(a * M_PI / 180.0);
                    lim = 0;
                }
            }
            h->bin_c[half][k] = c;
            h->bin_s[half][k] = s;
            h->bin_lim[half][k] = lim;
        }
}

VN_SIMD_CLONES static void gradients_gray(const float *row, const float *up, const float *down,
                                          int n, float *gx, float *gy)
{
    for (int i = 0; i < n; i++) {
        gx[i] = row[i + 1] - row[i - 1];
        gy[i] = down ? down[i] - up[i] : 0.0f;
    }
}

/* gx, gy over columns [xa, xa+n) of plane p, zero on the image border. */
static void plane_gradients(const vn_hog *h, const float *p, int y, int xa, int n, float *gx,
                            float *gy)
{
    int W = h->W, H = h->H;
    const float *row = p + (size_t)y * W;
    const float *up = y >= 1 && y <= H - 2 ? row - W : NULL;
    const float *down = up ? row + W : NULL;
    int a = xa < 1 ? 1 : xa, b = xa + n > W - 1 ? W - 1 : xa + n;
    for (int x = xa; x < a; x++) {
        gx[x - xa] = 0;
        gy[x - xa] = up ? down[x] - up[x] : 0.0f;
    }
    if (b > a)
        gradients_gray(row + a, up ? up + a : NULL, down ? down + a : NULL, b - a, gx + (a - xa),
                       gy + (a - xa));
    for (int x = b > a ? b : a; x < xa + n; x++) {
        gx[x - xa] = 0;
        gy[x - xa] = up ? down[x] - up[x] : 0.0f;
    }
}

void vn__hog_row_gradients(const vn_hog *h, int y, int xa, int n, float *gx, float *gy)
{
    size_t plane = (size_t)h->H * h->W;
    if (h->C == 1) {
        plane_gradients(h, h->pix, y, xa, n, gx, gy);
        return;
    }
    /* Colour: the channel with the strongest gradient; on a tie the first
     * (skimage's argmax; OpenCV 4.6 agrees, measured on
     * tests/data/hog/cv_rgb_128x64). */
    float tx[512], ty[512];
    for (int s = 0; s < n; s += 512) {
        int m = n - s < 512 ? n - s : 512;
        float *bx = gx + s, *by = gy + s;
        plane_gradients(h, h->pix, y, xa + s, m, bx, by);
        for (int ch = 1; ch < h->C; ch++) {
            plane_gradients(h, h->pix + (size_t)ch * plane, y, xa + s, m, tx, ty);
            for (int i = 0; i < m; i++) {
                float best = bx[i] * bx[i] + by[i] * by[i];
                float cand = tx[i] * tx[i] + ty[i] * ty[i];
                bool take = cand > best;
                bx[i] = take ? tx[i] : bx[i];
                by[i] = take ? ty[i] : by[i];
            }
        }
    }
}

VN_SIMD_CLONES void vn__hog_bin_hard(const vn_hog *h, int n, const float *gx, const float *gy,
                                     float *mag, uint8_t *bin)
{
    int nk = h->o.orientations;
    enum { CHUNK = 256 };
    float fx[CHUNK], fy[CHUNK], fold[CHUNK], cnt[CHUNK];
    for (int s = 0; s < n; s += CHUNK) {
        int m = n - s < CHUNK ? n - s : CHUNK;
        const float *x = gx + s, *y = gy + s;
        for (int i = 0; i < m; i++) {
            mag[s + i] = sqrtf(x[i] * x[i] + y[i] * y[i]);
            bool f = (y[i] < 0.0f) | ((y[i] == 0.0f) & (x[i] < 0.0f));
            fold[i] = f ? 1.0f : 0.0f;
            fx[i] = f ? -x[i] : x[i];
            fy[i] = f ? -y[i] : y[i];
            cnt[i] = 0.0f;
        }
        /* one edge at a time over the chunk: a vector loop per edge */
        for (int k = 1; k < nk; k++) {
            float c0 = h->bin_c[0][k], s0 = h->bin_s[0][k], l0 = h->bin_lim[0][k];
            float c1 = h->bin_c[1][k], s1 = h->bin_s[1][k], l1 = h->bin_lim[1][k];
            for (int i = 0; i < m; i++) {
                bool f = fold[i] != 0.0f;
                float c = f ? c1 : c0, sn = f ? s1 : s0, l = f ? l1 : l0;
                cnt[i] += (fy[i] * c - fx[i] * sn) >= l ? 1.0f : 0.0f;
            }
        }
        for (int i = 0; i < m; i++)
            bin[s + i] = (uint8_t)((x[i] == 0.0f && y[i] == 0.0f) ? 0 : (int)cnt[i]);
    }
}

/* OpenCV's polynomial approximation (modules/core/src/mathfuncs_core.simd.hpp). */
#define ATAN_P1 (0.9997878412794807f * 57.29577951308232f)
#define ATAN_P3 (-0.3258083974640975f * 57.29577951308232f)
#define ATAN_P5 (0.1555786518463281f * 57.29577951308232f)
#define ATAN_P7 (-0.04432655554792128f * 57.29577951308232f)

static inline float fast_atan2(float y, float x)
{
    float ax = fabsf(x), ay = fabsf(y);
    bool xbig = ax >= ay;
    float num = xbig ? ay : ax, den = xbig ? ax : ay;
    float c = num / (den + (float)DBL_EPSILON);
    float c2 = c * c;
    float a = (((ATAN_P7 * c2 + ATAN_P5) * c2 + ATAN_P3) * c2 + ATAN_P1) * c;
    /* every alternative computed, then selected: branch-free for vectors */
    float alt = 90.0f - a;
    a = xbig ? a : alt;
    alt = 180.0f - a;
    a = x < 0.0f ? alt : a;
    alt = 360.0f - a;
    a = y < 0.0f ? alt : a;
    return a;
}

float vn__hog_fast_atan2(float y, float x)
{
    return fast_atan2(y, x);
}

VN_SIMD_CLONES void vn__hog_bin_soft(const vn_hog *h, int n, const float *gx, const float *gy,
                                     float *w0, float *w1, int32_t *b0, int32_t *b1)
{
    float nb = (float)h->o.orientations;
    float scale = (float)(h->o.orientations / (h->o.signed_gradients ? 2.0 * M_PI : M_PI));
    const float deg2rad = (float)(M_PI / 180.0);
    for (int i = 0; i < n; i++) {
        float x = gx[i], y = gy[i];
        float mag = sqrtf(x * x + y * y);
        float t = fast_atan2(y, x) * deg2rad * scale - 0.5f;
        float k = floorf(t);
        float f = t - k;
        w0[i] = mag * (1.0f - f);
        w1[i] = mag * f;
        float lo = k + nb, hi = k - nb;
        k = k < 0.0f ? lo : k;
        k = k >= nb ? hi : k;
        float k1 = k + 1.0f;
        k1 = k1 < nb ? k1 : 0.0f;
        b0[i] = (int32_t)k;
        b1[i] = (int32_t)k1;
    }
}
