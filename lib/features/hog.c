/*
 * hog.c - Histograms of Oriented Gradients.
 *
 * WHAT IT COMPUTES
 * HOG (Dalal & Triggs, "Histograms of Oriented Gradients for Human
 * Detection", CVPR 2005) describes an image by the distribution of its
 * gradient directions in small regions. The image is cut into cells of
 * cell_h x cell_w pixels; every pixel's gradient votes, with its magnitude,
 * into an orientation histogram of `orientations` bins over 0..180 degrees
 * (or 0..360 when signed); cells are grouped into overlapping blocks of
 * block_h x block_w cells, stepping block_stride cells; each block's
 * concatenated histograms are contrast-normalised (L1, L1-sqrt, L2 or
 * L2-Hys); the descriptor is all normalised blocks one after another.
 *
 * HOW TO USE IT
 *     vn_hog_options o = VN_HOG_OPTIONS_INIT;        // skimage's defaults
 *     vn_hog *hog;  vn_hog_create(&o, &hog);
 *     vn_hog_put_image(hog, image);                   // u8 / f32 [H,W(,C)]
 *     size_t n = vn_hog_get_size(hog);
 *     float *d = malloc(n * sizeof *d);
 *     vn_hog_extract(hog, d, n);
 *     vn_hog_destroy(hog);
 * (examples/hog_features.c is the compiled version.)
 *
 * THE MATHS, AND THE TWO CONVENTIONS
 * Gradients are central differences without the 1/2 factor,
 * gx = I(y, x+1) - I(y, x-1), gy = I(y+1, x) - I(y-1, x), zero on the
 * image's border rows / columns (skimage's zero border and OpenCV's
 * BORDER_REFLECT_101 agree on this); rows grow downwards. An optional
 * square root of the pixel values comes first (gamma compression).
 *
 * VN_HOG_SKIMAGE reproduces skimage.feature.hog 0.19: a pixel of angle
 * theta = atan2(gy, gx) mod 180 votes its whole magnitude into bin
 * floor(theta / (180/n)) of its own cell (found without atan2, by sign
 * tests: hog_gradient.c); a cell holds the mean of its pixels' votes;
 * n_cells = floor(H / cell_h) (leftover pixels at the right and bottom are
 * ignored); blocks are stored row-major, cells inside a block row-major.
 *
 * VN_HOG_OPENCV reproduces cv::HOGDescriptor 4.6: the angle comes from
 * OpenCV's polynomial atan2; the magnitude is split between the two
 * nearest bin centres (linear interpolation); inside each block, votes are
 * weighted by a Gaussian window centred on the block (sigma = (Bw + Bh)/8
 * pixels by default) and split bilinearly between the nearest cell centres
 * (hog_opencv.c); L2-Hys is OpenCV's variant; blocks are stored
 * column-major (block x outer), cells inside a block column-major.
 * ../shared/conformance/README.md sections 5 and 6 give both step by step.
 *
 * A colour image [H, W, 3] uses at each pixel the gradient of the channel
 * where it is strongest (both libraries do this).
 *
 * DENSE HOG
 * vn_hog_extract_dense() describes every window of a sliding window. A
 * window's blocks are blocks of the whole image's block grid shifted to the
 * window's offset modulo the block stride, so with strides that are
 * multiples of the block stride every block is computed once and copied
 * into every window that holds it (OpenCV's HOGCache idea).
 *
 * SPEED
 * One pass over the image: per row, gradients, magnitudes and bins in
 * vectorised loops, then votes scattered into the row of cells (skimage)
 * or separable Gaussian-weighted block sums (OpenCV); rows of cells / of
 * blocks are spread over the library's thread pool. docs/PERFORMANCE.md
 * has the timings against skimage, OpenCV and VLFeat.
 */
#include "features/hog_internal.h"

#include <math.h>
#include <string.h>

static vn_status hog_new(const vn_hog_options *opts, vn_hog **out)
{
    VN_TRY(vn__hog_check_options(opts));
    vn_hog *h = vn__calloc(1, sizeof *h);
    if (!h)
        return vn__error(VN_ERR_NOMEM, "hog: out of memory");
    h->o = *opts;
    h->o.size = sizeof(vn_hog_options);
    h->block_len = opts->block_h * opts->block_w * opts->orientations;
    vn__hog_init_bins(h);
    if (opts->convention == VN_HOG_OPENCV) {
        vn_status s = vn__hog_opencv_init(h);
        if (s != VN_OK) {
            vn_hog_destroy(h);
            return s;
        }
    }
    *out = h;
    return VN_OK;
}

VN_API vn_status vn_hog_create(const vn_hog_options *opts, vn_hog **out)
{
    if (!opts || !out)
        return vn__error(VN_ERR_INVALID_ARG, "hog: NULL argument");
    return hog_new(opts, out);
}

VN_API vn_status vn_hog_create_from_string(const char *spec, vn_hog **out)
{
    if (!out)
        return vn__error(VN_ERR_INVALID_ARG, "hog: NULL argument");
    vn_hog_options o;
    VN_TRY(vn__hog_parse_options(spec, &o));
    return hog_new(&o, out);
}

VN_API void vn_hog_destroy(vn_hog *hog)
{
    if (!hog)
        return;
    vn__free(hog->wx);
    vn__free(hog->wy);
    vn__free(hog->wseg);
    vn__free(hog->pix);
    vn__free(hog);
}

VN_API vn_status vn_hog_get_options(const vn_hog *hog, vn_hog_options *opts)
{
    if (!hog || !opts)
        return vn__error(VN_ERR_INVALID_ARG, "hog: NULL argument");
    if (opts->size < sizeof(vn_hog_options))
        return vn__error(VN_ERR_INVALID_ARG, "hog: options size is %zu, expected %zu", opts->size,
                         sizeof(vn_hog_options));
    *opts = hog->o;
    return VN_OK;
}

int vn__hog_blocks_along(int n, int cell, int block, int stride)
{
    int cells = n / cell;
    return cells < block ? 0 : (cells - block) / stride + 1;
}

VN_API vn_status vn_hog_put_image(vn_hog *hog, const vn_tensor *image)
{
    if (!hog || !image)
        return vn__error(VN_ERR_INVALID_ARG, "hog: NULL argument");
    char sbuf[96];
    int nd = image->ndim;
    int64_t C = nd == 3 ? image->shape[2] : 1;
    if ((image->dtype != VN_U8 && image->dtype != VN_F32) || nd < 2 || nd > 3 || (C != 1 && C != 3))
        return vn__error(VN_ERR_SHAPE, "hog: expected a u8 or f32 [H,W], [H,W,1] or [H,W,3] image, got %s %s",
                         vn_dtype_name(image->dtype), vn__shape_str(image, sbuf, sizeof sbuf));
    int64_t H = image->shape[0], W = image->shape[1];
    const vn_hog_options *o = &hog->o;
    int bh = o->block_h * o->cell_h, bw = o->block_w * o->cell_w;
    if (H < bh || W < bw)
        return vn__error(VN_ERR_SHAPE, "hog: image is %lldx%lld, smaller than one %dx%d block (%dx%d cells of %dx%d)",
                         (long long)H, (long long)W, bh, bw, o->block_h, o->block_w, o->cell_h, o->cell_w);
    if (H > (1 << 24) || W > (1 << 24) || (uint64_t)H * (uint64_t)W > ((uint64_t)1 << 31))
        return vn__error(VN_ERR_LIMIT, "hog: image is %lldx%lld, over the limit of 2^31 pixels",
                         (long long)H, (long long)W);
    size_t plane = (size_t)H * (size_t)W, need = plane * (size_t)C;
    if (need > hog->pix_cap) {
        float *p = vn__malloc(need * sizeof *p);
        if (!p)
            return vn__error(VN_ERR_NOMEM, "hog: out of memory for a %lldx%lld image", (long long)H,
                             (long long)W);
        vn__free(hog->pix);
        hog->pix = p;
        hog->pix_cap = need;
    }
    /* Interleaved HWC -> planes, as values (u8 0..255 stays 0..255). */
    if (image->dtype == VN_U8) {
        float lut[256];
        for (int v = 0; v < 256; v++)
            lut[v] = o->sqrt_transform ? sqrtf((float)v) : (float)v;
        const uint8_t *s = image->data;
        if (C == 1 && !o->sqrt_transform) {
            for (size_t i = 0; i < plane; i++) /* a vector loop */
                hog->pix[i] = (float)s[i];
        } else {
            for (int64_t c = 0; c < C; c++) {
                float *d = hog->pix + (size_t)c * plane;
                for (size_t i = 0; i < plane; i++)
                    d[i] = lut[s[i * C + c]];
            }
        }
    } else {
        const float *s = image->data;
        if (o->sqrt_transform)
            for (size_t i = 0; i < need; i++)
                if (s[i] < 0.0f)
                    return vn__error(VN_ERR_INVALID_ARG, "hog: sqrt_transform on an image with a negative value (%g at %zu)",
                                     (double)s[i], i);
        for (int64_t c = 0; c < C; c++) {
            float *d = hog->pix + (size_t)c * plane;
            for (size_t i = 0; i < plane; i++)
                d[i] = o->sqrt_transform ? sqrtf(s[i * C + c]) : s[i * C + c];
        }
    }
    hog->H = (int)H;
    hog->W = (int)W;
    hog->C = (int)C;
    hog->has_image = true;
    return VN_OK;
}

static void grid_of(const vn_hog *h, int height, int width, int *nby, int *nbx)
{
    const vn_hog_options *o = &h->o;
    *nby = vn__hog_blocks_along(height, o->cell_h, o->block_h, o->block_stride_h);
    *nbx = vn__hog_blocks_along(width, o->cell_w, o->block_w, o->block_stride_w);
}

VN_API size_t vn_hog_get_size(const vn_hog *hog)
{
    if (!hog || !hog->has_image)
        return 0;
    int nby, nbx;
    grid_of(hog, hog->H, hog->W, &nby, &nbx);
    return (size_t)nby * nbx * hog->block_len;
}

VN_API vn_status vn_hog_get_grid(const vn_hog *hog, int *blocks_y, int *blocks_x, int *block_length)
{
    if (!hog)
        return vn__error(VN_ERR_INVALID_ARG, "hog: NULL argument");
    if (!hog->has_image)
        return vn__error(VN_ERR_INVALID_ARG, "hog: no image yet (call vn_hog_put_image first)");
    int nby, nbx;
    grid_of(hog, hog->H, hog->W, &nby, &nbx);
    if (blocks_y)
        *blocks_y = nby;
    if (blocks_x)
        *blocks_x = nbx;
    if (block_length)
        *block_length = hog->block_len;
    return VN_OK;
}

vn_status vn__hog_block_grid(const vn_hog *h, int y0, int x0, int nby, int nbx, float *blocks)
{
    const vn_hog_options *o = &h->o;
    int nb = o->orientations, len = h->block_len;
    if (o->convention == VN_HOG_OPENCV) {
        VN_TRY(vn__hog_opencv_blocks(h, y0, x0, nby, nbx, blocks));
    } else {
        int ncy = (nby - 1) * o->block_stride_h + o->block_h;
        int ncx = (nbx - 1) * o->block_stride_w + o->block_w;
        size_t ncell = (size_t)ncy * ncx * nb;
        float *cells = vn__malloc(ncell * sizeof *cells);
        if (!cells)
            return vn__error(VN_ERR_NOMEM, "hog: out of memory for %dx%d cells", ncy, ncx);
        vn_status s = vn__hog_cells(h, y0, x0, ncy, ncx, cells);
        if (s != VN_OK) {
            vn__free(cells);
            return s;
        }
        /* block (by, bx) = cells by*sh.. x bx*sw.., [cell y][cell x][bin] */
        size_t row = (size_t)o->block_w * nb;
        for (int by = 0; by < nby; by++)
            for (int bx = 0; bx < nbx; bx++) {
                float *dst = blocks + ((size_t)by * nbx + bx) * len;
                for (int cy = 0; cy < o->block_h; cy++) {
                    size_t src = (((size_t)by * o->block_stride_h + cy) * ncx + (size_t)bx * o->block_stride_w) * nb;
                    memcpy(dst + cy * row, cells + src, row * sizeof *dst);
                }
            }
        vn__free(cells);
    }
    for (size_t b = 0; b < (size_t)nby * nbx; b++)
        vn__hog_normalize(h, blocks + b * len);
    return VN_OK;
}

/* Copy a window's nby x nbx blocks, starting at block (ky, kx) of a grid
 * gnbx blocks wide, into dst in the convention's block order. */
static void gather_blocks(const vn_hog *h, const float *grid, int gnbx, int ky, int kx, int nby,
                          int nbx, float *dst)
{
    size_t len = (size_t)h->block_len;
    bool colmajor = h->o.convention == VN_HOG_OPENCV;
    for (int a = 0; a < (colmajor ? nbx : nby); a++)
        for (int b = 0; b < (colmajor ? nby : nbx); b++) {
            int by = colmajor ? b : a, bx = colmajor ? a : b;
            memcpy(dst, grid + ((size_t)(ky + by) * gnbx + (kx + bx)) * len, len * sizeof *dst);
            dst += len;
        }
}

VN_API vn_status vn_hog_extract(vn_hog *hog, float *dst, size_t n)
{
    if (!hog || !dst)
        return vn__error(VN_ERR_INVALID_ARG, "hog: NULL argument");
    if (!hog->has_image)
        return vn__error(VN_ERR_INVALID_ARG, "hog: no image yet (call vn_hog_put_image first)");
    size_t need = vn_hog_get_size(hog);
    if (n < need)
        return vn__error(VN_ERR_INVALID_ARG, "hog: destination holds %zu floats, the descriptor has %zu", n, need);
    int nby, nbx;
    grid_of(hog, hog->H, hog->W, &nby, &nbx);
    if (hog->o.convention == VN_HOG_SKIMAGE)
        return vn__hog_block_grid(hog, 0, 0, nby, nbx, dst); /* already in order */
    float *grid = vn__malloc(need * sizeof *grid);
    if (!grid)
        return vn__error(VN_ERR_NOMEM, "hog: out of memory");
    vn_status s = vn__hog_block_grid(hog, 0, 0, nby, nbx, grid);
    if (s == VN_OK)
        gather_blocks(hog, grid, nbx, 0, 0, nby, nbx, dst);
    vn__free(grid);
    return s;
}

VN_API vn_status vn_hog_extract_dense(vn_hog *hog, int window_h, int window_w, int stride_y,
                                      int stride_x, vn_tensor **out)
{
    if (!hog || !out)
        return vn__error(VN_ERR_INVALID_ARG, "hog: NULL argument");
    if (!hog->has_image)
        return vn__error(VN_ERR_INVALID_ARG, "hog: no image yet (call vn_hog_put_image first)");
    if (stride_y < 1 || stride_x < 1)
        return vn__error(VN_ERR_INVALID_ARG, "hog: window stride %dx%d must be at least 1x1", stride_y, stride_x);
    const vn_hog_options *o = &hog->o;
    int wnby, wnbx;
    grid_of(hog, window_h, window_w, &wnby, &wnbx);
    if (window_h < 1 || window_w < 1 || wnby < 1 || wnbx < 1)
        return vn__error(VN_ERR_SHAPE, "hog: window %dx%d is smaller than one %dx%d block", window_h, window_w,
                         o->block_h * o->cell_h, o->block_w * o->cell_w);
    if (window_h > hog->H || window_w > hog->W)
        return vn__error(VN_ERR_SHAPE, "hog: window %dx%d is larger than the %dx%d image", window_h, window_w,
                         hog->H, hog->W);
    int ny = (hog->H - window_h) / stride_y + 1, nx = (hog->W - window_w) / stride_x + 1;
    size_t len = (size_t)wnby * wnbx * hog->block_len;
    vn_tensor *t = NULL;
    VN_TRY(vn__tensor_empty(VN_F32, 3, (int64_t[]){ny, nx, (int64_t)len}, &t));
    float *d = t->data;

    /* Windows whose offsets agree modulo the block step share one block
     * grid. For each class (ry, rx) present, compute the grid over the
     * blocks its windows need, then copy. */
    int Sy = o->block_stride_h * o->cell_h, Sx = o->block_stride_w * o->cell_w;
    vn_status s = VN_OK;
    for (int ry = 0; ry < Sy && s == VN_OK; ry++) {
        int wy_lo = -1, wy_hi = -1; /* windows rows in this class */
        for (int wy = 0; wy < ny; wy++)
            if ((wy * stride_y) % Sy == ry) {
                if (wy_lo < 0)
                    wy_lo = wy;
                wy_hi = wy;
            }
        if (wy_lo < 0)
            continue;
        for (int rx = 0; rx < Sx && s == VN_OK; rx++) {
            int wx_lo = -1, wx_hi = -1;
            for (int wx = 0; wx < nx; wx++)
                if ((wx * stride_x) % Sx == rx) {
                    if (wx_lo < 0)
                        wx_lo = wx;
                    wx_hi = wx;
                }
            if (wx_lo < 0)
                continue;
            int ky0 = wy_lo * stride_y / Sy, ky1 = wy_hi * stride_y / Sy + wnby;
            int kx0 = wx_lo * stride_x / Sx, kx1 = wx_hi * stride_x / Sx + wnbx;
            int gnby = ky1 - ky0, gnbx = kx1 - kx0;
            float *grid = vn__malloc((size_t)gnby * gnbx * hog->block_len * sizeof *grid);
            if (!grid) {
                s = vn__error(VN_ERR_NOMEM, "hog: out of memory for a %dx%d block grid", gnby, gnbx);
                break;
            }
            s = vn__hog_block_grid(hog, ry + ky0 * Sy, rx + kx0 * Sx, gnby, gnbx, grid);
            for (int wy = wy_lo; s == VN_OK && wy <= wy_hi; wy++) {
                if ((wy * stride_y) % Sy != ry)
                    continue;
                for (int wx = wx_lo; wx <= wx_hi; wx++) {
                    if ((wx * stride_x) % Sx != rx)
                        continue;
                    gather_blocks(hog, grid, gnbx, wy * stride_y / Sy - ky0, wx * stride_x / Sx - kx0, wnby,
                                  wnbx, d + ((size_t)wy * nx + wx) * len);
                }
            }
            vn__free(grid);
        }
    }
    if (s != VN_OK) {
        vn_tensor_destroy(t);
        return s;
    }
    *out = t;
    return VN_OK;
}
