/*
 * hog_norm.c - block normalisation.
 *
 * skimage (_hog_normalize_block, eps = 1e-5, computed in double here as
 * numpy does):
 *   L1       v / (sum|v| + eps)
 *   L1-sqrt  sqrt(v / (sum|v| + eps))
 *   L2       v / sqrt(sum v^2 + eps^2)
 *   L2-Hys   L2, then min(v, threshold), then L2 again
 * OpenCV (HOGDescriptor::normalizeBlockHistogram, float): L2-Hys only,
 *   v *= 1 / (sqrt(sum v^2) + 0.1 n), min(v, threshold),
 *   v *= 1 / (sqrt(sum v^2) + 1e-3)
 * with n the block length. The OpenCV convention uses skimage's formulas
 * for the norms OpenCV does not have.
 */
#include "features/hog_internal.h"

#include <math.h>

#define HOG_EPS 1e-5

static void l2(float *v, int n)
{
    double s = 0;
    for (int i = 0; i < n; i++)
        s += (double)v[i] * v[i];
    double r = 1.0 / sqrt(s + HOG_EPS * HOG_EPS);
    for (int i = 0; i < n; i++)
        v[i] = (float)(v[i] * r);
}

void vn__hog_normalize(const vn_hog *h, float *v)
{
    int n = h->block_len;
    float thr = h->o.l2hys_threshold;
    switch (h->o.norm) {
    case VN_HOG_NORM_L1:
    case VN_HOG_NORM_L1_SQRT: {
        double s = 0;
        for (int i = 0; i < n; i++)
            s += fabs((double)v[i]);
        double r = 1.0 / (s + HOG_EPS);
        bool root = h->o.norm == VN_HOG_NORM_L1_SQRT;
        for (int i = 0; i < n; i++)
            v[i] = (float)(root ? sqrt(v[i] * r) : v[i] * r);
        break;
    }
    case VN_HOG_NORM_L2:
        l2(v, n);
        break;
    default: /* VN_HOG_NORM_L2_HYS */
        if (h->o.convention == VN_HOG_OPENCV) {
            float s = 0;
            for (int i = 0; i < n; i++)
                s += v[i] * v[i];
            float scale = 1.0f / (sqrtf(s) + (float)n * 0.1f);
            s = 0;
            for (int i = 0; i < n; i++) {
                float x = v[i] * scale;
                v[i] = x < thr ? x : thr;
                s += v[i] * v[i];
            }
            scale = 1.0f / (sqrtf(s) + 1e-3f);
            for (int i = 0; i < n; i++)
                v[i] *= scale;
        } else {
            l2(v, n);
            for (int i = 0; i < n; i++)
                v[i] = v[i] < thr ? v[i] : thr;
            l2(v, n);
        }
        break;
    }
}
