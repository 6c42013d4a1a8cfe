/*
 * hog_cells.c - skimage's cell histograms: every pixel votes its gradient
 * magnitude into one orientation bin of the one cell that holds it; a cell
 * is the sum of its votes divided by its pixel count (not by the number of
 * voters), accumulated in float32 in row-major pixel order as
 * skimage/feature/_hoghistogram.pyx does.
 *
 * One pass per image row computes gradients, magnitudes and bins
 * (hog_gradient.c) and scatters the votes into the row of cells; cell rows
 * are independent, so they are spread over the library's thread pool.
 */
#include "features/hog_internal.h"
#include "kernels/kernels.h"

#include <stdatomic.h>
#include <string.h>

typedef struct cells_job {
    const vn_hog *h;
    int y0, x0, ncx;
    float *cells;
    atomic_int failed;
} cells_job;

static void cell_rows(void *arg, int64_t begin, int64_t end)
{
    cells_job *j = arg;
    const vn_hog *h = j->h;
    int ch = h->o.cell_h, cw = h->o.cell_w, nb = h->o.orientations;
    int n = j->ncx * cw;
    /* gx, gy, mag (floats) and bins (bytes) of one row */
    size_t nf = 3 * (size_t)n + ((size_t)n + 3) / 4 + 16;
    float *buf = vn__scratch(VN__SCRATCH_COL, nf);
    if (!buf) {
        atomic_store(&j->failed, 1);
        return;
    }
    float *gx = buf, *gy = buf + n, *mag = buf + 2 * (size_t)n;
    uint8_t *bin = (uint8_t *)(buf + 3 * (size_t)n);
    float area = (float)(ch * cw);
    for (int64_t cy = begin; cy < end; cy++) {
        float *hist = j->cells + (size_t)cy * j->ncx * nb;
        memset(hist, 0, (size_t)j->ncx * nb * sizeof *hist);
        for (int t = 0; t < ch; t++) {
            int y = j->y0 + (int)cy * ch + t;
            vn__hog_row_gradients(h, y, j->x0, n, gx, gy);
            vn__hog_bin_hard(h, n, gx, gy, mag, bin);
            for (int cx = 0, i = 0; cx < j->ncx; cx++) {
                float *hc = hist + (size_t)cx * nb;
                for (int k = 0; k < cw; k++, i++)
                    hc[bin[i]] += mag[i];
            }
        }
        for (size_t i = 0; i < (size_t)j->ncx * nb; i++)
            hist[i] /= area; /* a division, as skimage's `total / (rows * cols)` */
    }
}

vn_status vn__hog_cells(const vn_hog *h, int y0, int x0, int ncy, int ncx, float *cells)
{
    cells_job j = {.h = h, .y0 = y0, .x0 = x0, .ncx = ncx, .cells = cells};
    atomic_init(&j.failed, 0);
    double cost = (double)h->o.cell_h * ncx * h->o.cell_w * (12.0 + 2.0 * h->o.orientations) * h->C;
    vn__parallel_for(ncy, cost, cell_rows, &j);
    if (atomic_load(&j.failed))
        return vn__error(VN_ERR_NOMEM, "hog: out of memory for row buffers");
    return VN_OK;
}
