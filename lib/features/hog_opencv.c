/*
 * hog_opencv.c - cv::HOGDescriptor's blocks (OpenCV 4.6, hog.cpp).
 *
 * In OpenCV a pixel at row i, column j of a block (sizes Bh x Bw pixels)
 * adds its two orientation votes to the block's cells with the weight
 *
 *     G(i, j) * by(i, cy) * bx(j, cx),
 *     G = exp(-((i - Bh/2)^2 + (j - Bw/2)^2) / (2 sigma^2)),
 *
 * bx / by the bilinear weights between the two nearest cell centres
 * (cx = floor((j + 0.5)/cell_w - 0.5) and cx + 1, cells outside the block
 * dropped). OpenCV loops over every pixel of every block (a pixel is in
 * block_h * block_w blocks by default, so it is visited 4 times with 8
 * updates each). The weight is a product of a row factor and a column
 * factor, so here each block is computed separably instead:
 *
 *     R[bx][bin][cx]  = sum_j wx(j, cx) * vote(y, bx*Sx + j, bin)   per row y,
 *     B[by][cy][bx][bin][cx] += wy(i, cy) * R[bx][bin][cx]         i = y - by*Sy,
 *
 * wx = Gx * bx, wy = Gy * by. The first sum costs a few scatter-adds per
 * pixel, the second is a contiguous axpy per row and block row. The result
 * is OpenCV's up to float rounding (summation order; the Gaussian is
 * exp(a) exp(b) instead of exp(a + b)): ~1e-7 relative.
 *
 * Block rows are split over the thread pool in contiguous ranges; a range
 * recomputes the (Bh - Sy) rows it shares with the next one.
 */
#include "features/hog_internal.h"
#include "kernels/kernels.h"

#include <math.h>
#include <stdatomic.h>
#include <string.h>

static void window_weights(int n_px, int cell, int ncells, float sigma, float *w)
{
    float scale = 1.0f / (sigma * sigma * 2.0f);
    float half = (float)n_px * 0.5f;
    for (int j = 0; j < n_px; j++) {
        float d = (float)j - half;
        float g = expf(-(d * d) * scale);
        float cpos = ((float)j + 0.5f) / (float)cell - 0.5f;
        int c0 = (int)floorf(cpos);
        float f = cpos - (float)c0;
        for (int c = 0; c < ncells; c++)
            w[j * ncells + c] = 0.0f;
        if (c0 >= 0 && c0 < ncells)
            w[j * ncells + c0] = g * (1.0f - f);
        if (c0 + 1 >= 0 && c0 + 1 < ncells)
            w[j * ncells + c0 + 1] = g * f;
    }
}

vn_status vn__hog_opencv_init(vn_hog *h)
{
    const vn_hog_options *o = &h->o;
    int bh = o->block_h * o->cell_h, bw = o->block_w * o->cell_w;
    h->wx = vn__malloc((size_t)bw * o->block_w * sizeof *h->wx);
    h->wy = vn__malloc((size_t)bh * o->block_h * sizeof *h->wy);
    if (!h->wx || !h->wy)
        return vn__error(VN_ERR_NOMEM, "hog: out of memory");
    float sigma = o->window_sigma > 0 ? o->window_sigma : (float)(bw + bh) / 8.0f;
    window_weights(bw, o->cell_w, o->block_w, sigma, h->wx);
    window_weights(bh, o->cell_h, o->block_h, sigma, h->wy);
    /* When a block is a whole number Q of block steps wide (always, unless
     * the block stride does not divide the block), a pixel at offset t of
     * step-wide segment s is column q*sx + t of block s - q, q = 0..Q-1:
     * wseg[t][q][c] lists its Q * block_w weights side by side. */
    int sx = o->block_stride_w * o->cell_w;
    if (bw % sx == 0) {
        int Q = bw / sx, K = Q * o->block_w;
        h->wseg = vn__malloc((size_t)sx * K * sizeof *h->wseg);
        if (!h->wseg)
            return vn__error(VN_ERR_NOMEM, "hog: out of memory");
        for (int t = 0; t < sx; t++)
            for (int q = 0; q < Q; q++)
                for (int c = 0; c < o->block_w; c++)
                    h->wseg[(t * Q + q) * o->block_w + c] = h->wx[(q * sx + t) * o->block_w + c];
    }
    return VN_OK;
}

typedef float vn_f4 __attribute__((vector_size(16)));

typedef struct blocks_job {
    const vn_hog *h;
    int y0, x0, nbx;
    float *blocks;
    atomic_int failed;
} blocks_job;

/* R[bx][bin][cx] for one row of votes. */
VN_SIMD_CLONES static void row_sums(const vn_hog *h, int nbx, const float *w0, const float *w1,
                                    const int32_t *b0, const int32_t *b1, float *R)
{
    int nb = h->o.orientations, cbw = h->o.block_w;
    int bw = cbw * h->o.cell_w, sx = h->o.block_stride_w * h->o.cell_w;
    const float *wx = h->wx;
    memset(R, 0, (size_t)nbx * nb * cbw * sizeof *R);
    for (int bx = 0; bx < nbx; bx++) {
        float *Rb = R + (size_t)bx * nb * cbw;
        int base = bx * sx;
        if (cbw == 2) {
            for (int j = 0; j < bw; j++) {
                int p = base + j;
                float a = wx[2 * j], b = wx[2 * j + 1];
                float *r0 = Rb + 2 * b0[p], *r1 = Rb + 2 * b1[p];
                r0[0] += w0[p] * a;
                r0[1] += w0[p] * b;
                r1[0] += w1[p] * a;
                r1[1] += w1[p] * b;
            }
        } else {
            for (int j = 0; j < bw; j++) {
                int p = base + j;
                float *r0 = Rb + (size_t)cbw * b0[p], *r1 = Rb + (size_t)cbw * b1[p];
                for (int c = 0; c < cbw; c++) {
                    r0[c] += w0[p] * wx[j * cbw + c];
                    r1[c] += w1[p] * wx[j * cbw + c];
                }
            }
        }
    }
}

/* The same through segments: each vote is one K-wide multiply-add into
 * S[segment][bin][K] (the two votes of a pixel go to adjacent bins, so
 * S has a spare bin nb that wraps to 0 afterwards), then
 * R[bx][bin][c] = sum_q S[bx + q][bin][q*block_w + c]. */
VN_SIMD_CLONES static void row_sums_segments(const vn_hog *h, int nbx, const float *w0, const float *w1,
                                             const int32_t *b0, float *S, float *R)
{
    int nb = h->o.orientations, cbw = h->o.block_w;
    int sx = h->o.block_stride_w * h->o.cell_w, Q = cbw * h->o.cell_w / sx, K = Q * cbw;
    int nseg = nbx - 1 + Q;
    size_t sstride = (size_t)(nb + 1) * K;
    const float *W = h->wseg;
    memset(S, 0, (size_t)nseg * sstride * sizeof *S);
    for (int s = 0; s < nseg; s++) {
        float *Ss = S + (size_t)s * sstride;
        const float *v0 = w0 + (size_t)s * sx, *v1 = w1 + (size_t)s * sx;
        const int32_t *bb = b0 + (size_t)s * sx;
        if (K == 4) {
            /* two 4-wide multiply-adds per pixel (GCC / Clang vectors;
             * memcpy for unaligned access) */
            for (int t = 0; t < sx; t++) {
                float *d = Ss + 4 * bb[t];
                vn_f4 w, d0, d1;
                memcpy(&w, W + 4 * t, sizeof w);
                memcpy(&d0, d, sizeof d0);
                memcpy(&d1, d + 4, sizeof d1);
                d0 += v0[t] * w;
                d1 += v1[t] * w;
                memcpy(d, &d0, sizeof d0);
                memcpy(d + 4, &d1, sizeof d1);
            }
        } else {
            for (int t = 0; t < sx; t++) {
                float *d = Ss + (size_t)K * bb[t];
                const float *w = W + (size_t)K * t;
                for (int k = 0; k < K; k++) {
                    d[k] += v0[t] * w[k];
                    d[K + k] += v1[t] * w[k];
                }
            }
        }
        for (int k = 0; k < K; k++)
            Ss[k] += Ss[(size_t)nb * K + k];
    }
    if (Q == 2 && cbw == 2) { /* the default geometry, unrolled */
        for (int bx = 0; bx < nbx; bx++) {
            float *Rb = R + (size_t)bx * nb * 2;
            const float *s0 = S + (size_t)bx * sstride, *s1 = s0 + sstride;
            for (int b = 0; b < nb; b++) {
                Rb[2 * b] = s0[4 * b] + s1[4 * b + 2];
                Rb[2 * b + 1] = s0[4 * b + 1] + s1[4 * b + 3];
            }
        }
        return;
    }
    for (int bx = 0; bx < nbx; bx++) {
        float *Rb = R + (size_t)bx * nb * cbw;
        for (int b = 0; b < nb; b++)
            for (int c = 0; c < cbw; c++) {
                float sum = 0.0f;
                for (int q = 0; q < Q; q++)
                    sum += S[(size_t)(bx + q) * sstride + (size_t)b * K + q * cbw + c];
                Rb[b * cbw + c] = sum;
            }
    }
}

VN_SIMD_CLONES static void axpy(float *y, const float *x, float a, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] += a * x[i];
}

static void block_rows(void *arg, int64_t begin, int64_t end)
{
    blocks_job *j = arg;
    const vn_hog *h = j->h;
    const vn_hog_options *o = &h->o;
    int nb = o->orientations, cbh = o->block_h, cbw = o->block_w;
    int bh = cbh * o->cell_h, bw = cbw * o->cell_w;
    int sy = o->block_stride_h * o->cell_h, sx = o->block_stride_w * o->cell_w;
    int nbx = j->nbx, n = (nbx - 1) * sx + bw;
    size_t rlen = (size_t)nbx * nb * cbw;          /* one R */
    size_t alen = (size_t)cbh * rlen;              /* one block row of B */
    int nrows = (int)(end - begin);
    int nseg = n / sx + 1;
    size_t slen = (size_t)nseg * (nb + 1) * (size_t)(bw / sx + 1) * cbw;
    float *acc = vn__scratch(VN__SCRATCH_GATHER, (size_t)nrows * alen + rlen + slen);
    float *buf = vn__scratch(VN__SCRATCH_COL, 6 * (size_t)n);
    if (!acc || !buf) {
        atomic_store(&j->failed, 1);
        return;
    }
    float *R = acc + (size_t)nrows * alen, *S = R + rlen;
    float *gx = buf, *gy = buf + n, *w0 = buf + 2 * (size_t)n, *w1 = buf + 3 * (size_t)n;
    int32_t *b0 = (int32_t *)(buf + 4 * (size_t)n), *b1 = b0 + n;
    memset(acc, 0, (size_t)nrows * alen * sizeof *acc);

    int ya = j->y0 + (int)begin * sy, yb = j->y0 + (int)(end - 1) * sy + bh;
    for (int y = ya; y < yb; y++) {
        vn__hog_row_gradients(h, y, j->x0, n, gx, gy);
        vn__hog_bin_soft(h, n, gx, gy, w0, w1, b0, b1);
        if (h->wseg)
            row_sums_segments(h, nbx, w0, w1, b0, S, R);
        else
            row_sums(h, nbx, w0, w1, b0, b1, R);
        int rel = y - j->y0;
        /* block rows by with by*sy <= rel < by*sy + bh, inside [begin, end) */
        int lo = rel - bh + 1 <= 0 ? 0 : (rel - bh + 1 + sy - 1) / sy;
        int hi = rel / sy;
        if (lo < begin)
            lo = (int)begin;
        if (hi > end - 1)
            hi = (int)(end - 1);
        for (int by = lo; by <= hi; by++) {
            int i = rel - by * sy;
            float *A = acc + (size_t)(by - begin) * alen;
            for (int cy = 0; cy < cbh; cy++) {
                float a = h->wy[i * cbh + cy];
                if (a != 0.0f)
                    axpy(A + (size_t)cy * rlen, R, a, rlen);
            }
        }
    }
    /* B[by][cy][bx][bin][cx] -> blocks[by][bx][(cx*cbh + cy)*nb + bin] */
    int len = h->block_len;
    for (int64_t by = begin; by < end; by++) {
        const float *A = acc + (size_t)(by - begin) * alen;
        for (int bx = 0; bx < nbx; bx++) {
            float *dst = j->blocks + ((size_t)by * nbx + bx) * len;
            for (int cy = 0; cy < cbh; cy++)
                for (int b = 0; b < nb; b++)
                    for (int cx = 0; cx < cbw; cx++)
                        dst[(cx * cbh + cy) * nb + b] =
                            A[(size_t)cy * rlen + ((size_t)bx * nb + b) * cbw + cx];
        }
    }
}

vn_status vn__hog_opencv_blocks(const vn_hog *h, int y0, int x0, int nby, int nbx, float *blocks)
{
    blocks_job j = {.h = h, .y0 = y0, .x0 = x0, .nbx = nbx, .blocks = blocks};
    atomic_init(&j.failed, 0);
    const vn_hog_options *o = &h->o;
    double px_per_block_row = (double)o->block_stride_h * o->cell_h * ((double)(nbx) * o->block_stride_w * o->cell_w);
    double cost = px_per_block_row * (40.0 + 8.0 * o->block_w) * h->C;
    vn__parallel_for(nby, cost, block_rows, &j);
    if (atomic_load(&j.failed))
        return vn__error(VN_ERR_NOMEM, "hog: out of memory for block accumulators");
    return VN_OK;
}
