/*
 * hog_internal.h - the layout of vn_hog and the pieces hog.c assembles:
 * option checking (hog_options.c), per-row gradients and orientation votes
 * (hog_gradient.c), skimage's cell histograms (hog_cells.c), OpenCV's
 * Gaussian-weighted blocks (hog_opencv.c), block normalisation
 * (hog_norm.c) and the picture (hog_render.c).
 *
 * Coordinates: (y, x) = (row, column) of the whole image put with
 * vn_hog_put_image(). A "block grid" is nby x nbx blocks whose first block
 * starts at pixel (y0, x0), blocks stepping by block_stride * cell pixels;
 * grids that start elsewhere than (0, 0) serve the dense (sliding-window)
 * HOG. Normalised blocks are stored [by][bx][block_len], each block in its
 * convention's own order (skimage [cell y][cell x][bin], OpenCV
 * [cell x][cell y][bin]).
 */
#ifndef VN_HOG_INTERNAL_H
#define VN_HOG_INTERNAL_H

#include "core/vn_internal.h"
#include "tensor/tensor_internal.h"
#include <visionnet/features.h>

#define VN__HOG_MAX_BINS 64

struct vn_hog {
    vn_hog_options o;
    int block_len;          /* block_h * block_w * orientations */

    /* Orientation binning by sign tests (hog_gradient.c): bin = number of
     * k with (fy*bin_c[h][k] - fx*bin_s[h][k] >= bin_lim[h][k]), h = which
     * half-plane the gradient was folded from. */
    float bin_c[2][VN__HOG_MAX_BINS];
    float bin_s[2][VN__HOG_MAX_BINS];
    float bin_lim[2][VN__HOG_MAX_BINS];

    /* OpenCV's separable block window (hog_opencv.c): wx[j*block_w + c] is
     * the weight of column j of a block for its cell column c (Gaussian x
     * bilinear), wy likewise for rows. */
    float *wx, *wy;
    float *wseg;            /* the same per block-step segment, or NULL */

    /* The current image: C planes of H*W floats, square-rooted if asked. */
    int H, W, C;
    float *pix;
    size_t pix_cap;
    bool has_image;
};

/* ---- hog_options.c ---------------------------------------------------- */
vn_status vn__hog_check_options(const vn_hog_options *o);
/* Parse "key=value ..." into *o (starting from skimage's defaults, or the
 * convention's when the text names one). */
vn_status vn__hog_parse_options(const char *spec, vn_hog_options *o);

/* ---- hog_gradient.c --------------------------------------------------- */
/* Prepare the sign-test tables of h->o.orientations / signed_gradients. */
void vn__hog_init_bins(vn_hog *h);
/* Gradients of image row y over columns [xa, xa+n): central differences
 * without the 1/2, zero on the image border; for colour images the channel
 * with the largest magnitude (ties: the first, in both conventions). */
void vn__hog_row_gradients(const vn_hog *h, int y, int xa, int n, float *gx, float *gy);
/* skimage: magnitude and the hard orientation bin of each gradient. */
void vn__hog_bin_hard(const vn_hog *h, int n, const float *gx, const float *gy, float *mag,
                      uint8_t *bin);
/* OpenCV: the two nearest bins and the magnitude split between them, with
 * OpenCV's polynomial atan2. */
void vn__hog_bin_soft(const vn_hog *h, int n, const float *gx, const float *gy, float *w0,
                      float *w1, int32_t *b0, int32_t *b1);
/* OpenCV's fastAtan2 (degrees, [0, 360)). */
float vn__hog_fast_atan2(float y, float x);

/* ---- hog_cells.c (skimage) -------------------------------------------- */
/* Cell histograms [ncy][ncx][bins] of the ncy x ncx cells starting at pixel
 * (y0, x0): the mean over the cell of the magnitudes voting for each bin. */
vn_status vn__hog_cells(const vn_hog *h, int y0, int x0, int ncy, int ncx, float *cells);

/* ---- hog_opencv.c ----------------------------------------------------- */
vn_status vn__hog_opencv_init(vn_hog *h);
/* Raw (unnormalised) OpenCV blocks of a grid, [by][bx][block_len] in
 * OpenCV's in-block order. */
vn_status vn__hog_opencv_blocks(const vn_hog *h, int y0, int x0, int nby, int nbx,
                                float *blocks);

/* ---- hog_norm.c ------------------------------------------------------- */
/* Normalise one block in place with h's norm and convention. */
void vn__hog_normalize(const vn_hog *h, float *v);

/* ---- hog.c ------------------------------------------------------------ */
/* Blocks across one axis for an extent of n pixels. */
int vn__hog_blocks_along(int n, int cell, int block, int stride);
/* Normalised blocks of a grid, [nby][nbx][block_len]. */
vn_status vn__hog_block_grid(const vn_hog *h, int y0, int x0, int nby, int nbx, float *blocks);

#endif
