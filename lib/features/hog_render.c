/*
 * hog_render.c - the picture of a HOG: star glyphs per cell, drawn as
 * skimage.feature.hog(..., visualize=True) draws them (skimage/feature/
 * _hog.py): in each cell, for each bin o with midpoint angle
 * a = pi (o + 0.5) / n, the segment from (cr - dc, cc + dr) to
 * (cr + dc, cc - dr), dr = radius sin a, dc = radius cos a,
 * radius = size // 2 - 1, centre (cr, cc) = cell origin + size // 2,
 * endpoints truncated towards zero, rasterised with skimage.draw.line's
 * Bresenham; every pixel of the segment adds the bin's value. The segment
 * is perpendicular to the bin's gradient direction, i.e. along the edges
 * that produced it. Signed bins are drawn at their angle mod 180.
 *
 * skimage draws the cell histograms; the OpenCV convention has no such
 * histograms (its votes are spread over cells and weighted per block), so
 * it draws each cell's normalised values averaged over the blocks that
 * hold it (the usual way OpenCV HOGs are pictured).
 */
#include "features/hog_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* skimage.draw.line (skimage/draw/_draw.pyx), adding v along the way. */
static void draw_line(float *img, int H, int W, int r0, int c0, int r1, int c1, float v)
{
    int r = r0, c = c0;
    int dr = abs(r1 - r0), dc = abs(c1 - c0);
    int sc = (c1 - c) > 0 ? 1 : -1, sr = (r1 - r) > 0 ? 1 : -1;
    bool steep = dr > dc;
    if (steep) {
        int t = c; c = r; r = t;
        t = dc; dc = dr; dr = t;
        t = sc; sc = sr; sr = t;
    }
    int d = 2 * dr - dc;
    for (int i = 0; i < dc; i++) {
        int pr = steep ? c : r, pc = steep ? r : c;
        if (pr >= 0 && pr < H && pc >= 0 && pc < W)
            img[(size_t)pr * W + pc] += v;
        while (d >= 0) {
            r += sr;
            d -= 2 * dc;
        }
        c += sc;
        d += 2 * dr;
    }
    if (r1 >= 0 && r1 < H && c1 >= 0 && c1 < W)
        img[(size_t)r1 * W + c1] += v;
}

/* Per-cell histograms to draw, [ncy][ncx][bins]. */
static vn_status cells_to_draw(vn_hog *h, int *ncy, int *ncx, float **out)
{
    const vn_hog_options *o = &h->o;
    int nb = o->orientations;
    if (o->convention == VN_HOG_SKIMAGE) {
        *ncy = h->H / o->cell_h;
        *ncx = h->W / o->cell_w;
        float *cells = vn__malloc((size_t)*ncy * *ncx * nb * sizeof *cells);
        if (!cells)
            return vn__error(VN_ERR_NOMEM, "hog: out of memory");
        vn_status s = vn__hog_cells(h, 0, 0, *ncy, *ncx, cells);
        if (s != VN_OK) {
            vn__free(cells);
            return s;
        }
        *out = cells;
        return VN_OK;
    }
    int nby = vn__hog_blocks_along(h->H, o->cell_h, o->block_h, o->block_stride_h);
    int nbx = vn__hog_blocks_along(h->W, o->cell_w, o->block_w, o->block_stride_w);
    *ncy = (nby - 1) * o->block_stride_h + o->block_h;
    *ncx = (nbx - 1) * o->block_stride_w + o->block_w;
    size_t ncell = (size_t)*ncy * *ncx;
    float *grid = vn__malloc((size_t)nby * nbx * h->block_len * sizeof *grid);
    float *cells = vn__calloc(ncell * nb, sizeof *cells);
    int *count = vn__calloc(ncell, sizeof *count);
    vn_status s = grid && cells && count ? vn__hog_block_grid(h, 0, 0, nby, nbx, grid)
                                         : vn__error(VN_ERR_NOMEM, "hog: out of memory");
    if (s == VN_OK) {
        for (int by = 0; by < nby; by++)
            for (int bx = 0; bx < nbx; bx++) {
                const float *b = grid + ((size_t)by * nbx + bx) * h->block_len;
                for (int cx = 0; cx < o->block_w; cx++)
                    for (int cy = 0; cy < o->block_h; cy++) {
                        size_t cell = (size_t)(by * o->block_stride_h + cy) * *ncx + (bx * o->block_stride_w + cx);
                        const float *v = b + (cx * o->block_h + cy) * nb;
                        for (int k = 0; k < nb; k++)
                            cells[cell * nb + k] += v[k];
                        count[cell]++;
                    }
            }
        for (size_t c = 0; c < ncell; c++)
            for (int k = 0; k < nb; k++)
                cells[c * nb + k] /= (float)(count[c] ? count[c] : 1);
    }
    vn__free(grid);
    vn__free(count);
    if (s != VN_OK) {
        vn__free(cells);
        return s;
    }
    *out = cells;
    return VN_OK;
}

VN_API vn_status vn_hog_render(vn_hog *hog, int cell_size_px, vn_tensor **out)
{
    if (!hog || !out)
        return vn__error(VN_ERR_INVALID_ARG, "hog: NULL argument");
    if (!hog->has_image)
        return vn__error(VN_ERR_INVALID_ARG, "hog: no image yet (call vn_hog_put_image first)");
    if (cell_size_px != 0 && (cell_size_px < 3 || cell_size_px > 256))
        return vn__error(VN_ERR_INVALID_ARG, "hog: render cell size is %d pixels, must be 0 or 3..256",
                         cell_size_px);
    const vn_hog_options *o = &hog->o;
    int nb = o->orientations, ncy, ncx;
    float *cells = NULL;
    VN_TRY(cells_to_draw(hog, &ncy, &ncx, &cells));
    int ph = cell_size_px ? cell_size_px : o->cell_h, pw = cell_size_px ? cell_size_px : o->cell_w;
    int H = cell_size_px ? ncy * ph : hog->H, W = cell_size_px ? ncx * pw : hog->W;
    vn_tensor *t = NULL;
    float *acc = vn__calloc((size_t)H * W, sizeof *acc);
    vn_status s = acc ? vn__tensor_empty(VN_U8, 2, (int64_t[]){H, W}, &t)
                      : vn__error(VN_ERR_NOMEM, "hog: out of memory for a %dx%d picture", H, W);
    if (s == VN_OK) {
        int radius = (ph < pw ? ph : pw) / 2 - 1;
        for (int r = 0; r < ncy; r++)
            for (int c = 0; c < ncx; c++) {
                double cr = r * ph + ph / 2, cc = c * pw + pw / 2;
                for (int k = 0; k < nb; k++) {
                    double a = M_PI * (k + 0.5) / nb;
                    if (o->signed_gradients)
                        a = fmod(2.0 * M_PI * (k + 0.5) / nb, M_PI);
                    double dr = radius * sin(a), dc = radius * cos(a);
                    draw_line(acc, H, W, (int)(cr - dc), (int)(cc + dr), (int)(cr + dc), (int)(cc - dr),
                              cells[((size_t)r * ncx + c) * nb + k]);
                }
            }
        float mx = 0;
        for (size_t i = 0; i < (size_t)H * W; i++)
            mx = acc[i] > mx ? acc[i] : mx;
        uint8_t *d = t->data;
        float scale = mx > 0 ? 255.0f / mx : 0.0f;
        for (size_t i = 0; i < (size_t)H * W; i++) {
            float v = acc[i] * scale;
            d[i] = (uint8_t)(v > 255.0f ? 255 : v < 0.0f ? 0 : (int)(v + 0.5f));
        }
        *out = t;
    }
    vn__free(acc);
    vn__free(cells);
    return s;
}
