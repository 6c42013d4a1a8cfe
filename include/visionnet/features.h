/**
 * @file visionnet/features.h
 * @brief Classical image features: HOG (histograms of oriented gradients)
 *        and its picture, SIFT, edges and corners.
 *
 * Every feature extractor is an opaque object with a VLFeat-style life
 * cycle: create it with its parameters, put an image, ask for the size of
 * the result, extract into memory the caller owns, destroy. Images are
 * tensors as the decoders return them: u8 or f32, [H, W] or [H, W, C].
 * See docs/features-hog.md.
 */
#ifndef VISIONNET_FEATURES_H
#define VISIONNET_FEATURES_H

#include "core.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ======================================================================== */
/* HOG                                                                      */
/* ======================================================================== */

/** @name HOG: histograms of oriented gradients (Dalal & Triggs 2005)
 *
 * Life cycle: vn_hog_create() (or vn_hog_create_from_string()),
 * vn_hog_put_image(), vn_hog_get_size(), vn_hog_extract() into a buffer of
 * that many floats, vn_hog_destroy(). One object can be fed any number of
 * images of any size in turn. vn_hog_extract_dense() slides a detection
 * window over the whole image; vn_hog_render() draws the descriptor.
 *
 * Two conventions reproduce the two reference implementations exactly:
 * - ::VN_HOG_SKIMAGE: `skimage.feature.hog` (scikit-image 0.19): each pixel
 *   votes its gradient magnitude into one orientation bin of the one cell
 *   that holds it; a cell is the mean of its pixels' votes; cells that do
 *   not fit at the right / bottom are ignored; blocks in row-major order,
 *   inside a block cells row-major, then bins.
 * - ::VN_HOG_OPENCV: `cv::HOGDescriptor` (OpenCV 4.6): votes split between
 *   the two nearest orientation bins and, bilinearly, between the 2x2
 *   nearest cells of each block, weighted by a Gaussian over the block;
 *   OpenCV's L2-Hys; blocks column-major (block x outer, block y inner),
 *   inside a block cells column-major, then bins. With
 *   vn_hog_options_defaults(&o, VN_HOG_OPENCV) and a 64x128 image, the
 *   descriptor is `cv2.HOGDescriptor().compute(image)`.
 *
 * Pixel values are used as they are: a u8 image as 0..255 (as both
 * libraries do), an f32 image unscaled. A 3-channel image uses, at every
 * pixel, the gradient of the channel where it is strongest (skimage's
 * `channel_axis=-1`, OpenCV's colour HOG).
 */
/**@{*/

/** A HOG extractor (opaque). */
typedef struct vn_hog vn_hog;

/** Whose HOG to reproduce. */
typedef enum vn_hog_convention {
    VN_HOG_SKIMAGE = 0,  /**< skimage.feature.hog: hard votes, cell means */
    VN_HOG_OPENCV = 1    /**< cv::HOGDescriptor: interpolated votes, Gaussian block window */
} vn_hog_convention;

/** Block normalisation (v = the block's vector, eps = 1e-5). */
typedef enum vn_hog_norm {
    VN_HOG_NORM_L1 = 0,       /**< v / (sum|v| + eps) */
    VN_HOG_NORM_L1_SQRT = 1,  /**< sqrt(v / (sum|v| + eps)) */
    VN_HOG_NORM_L2 = 2,       /**< v / sqrt(sum v^2 + eps^2) */
    /** L2, clip at the threshold, L2 again. skimage: both steps as
     *  ::VN_HOG_NORM_L2. OpenCV: first v / (sqrt(sum v^2) + 0.1 n) with n the
     *  block length, then v / (sqrt(sum v^2) + 1e-3). */
    VN_HOG_NORM_L2_HYS = 3
} vn_hog_norm;

/** Parameters of a HOG extractor. The caller sets `size`; fill with
 *  VN_HOG_OPTIONS_INIT (skimage's defaults) or vn_hog_options_defaults(). */
typedef struct vn_hog_options {
    size_t size;             /**< sizeof(vn_hog_options) */
    int convention;          /**< a ::vn_hog_convention */
    int orientations;        /**< orientation bins, 2..64 (default 9) */
    int cell_h;              /**< cell height in pixels (default 8) */
    int cell_w;              /**< cell width in pixels (default 8) */
    int block_h;             /**< block height in cells (default 2) */
    int block_w;             /**< block width in cells (default 2) */
    int block_stride_h;      /**< vertical block step in cells (default 1) */
    int block_stride_w;      /**< horizontal block step in cells (default 1) */
    int norm;                /**< a ::vn_hog_norm (default ::VN_HOG_NORM_L2_HYS) */
    float l2hys_threshold;   /**< clipping value of L2-Hys (default 0.2) */
    /** 0: orientations over 0..180 degrees (a gradient and its opposite
     *  vote alike); 1: over 0..360 degrees (OpenCV's signedGradient). */
    int signed_gradients;
    /** 1: take the square root of every pixel value first (skimage's
     *  transform_sqrt, OpenCV's gammaCorrection). Default 0 for skimage,
     *  1 for OpenCV. */
    int sqrt_transform;
    /** ::VN_HOG_OPENCV only: sigma of the Gaussian block window in pixels;
     *  <= 0 means (block width + block height in pixels) / 8 (OpenCV's
     *  winSigma = -1). Ignored by ::VN_HOG_SKIMAGE. */
    float window_sigma;
} vn_hog_options;

/** Dalal & Triggs' parameters in skimage's convention (those of
 *  cv::HOGDescriptor() and of the conformance set): 9 orientations, 8x8
 *  cells, 2x2 blocks, L2-Hys 0.2, unsigned, no square root. (skimage's own
 *  default blocks are 3x3: set block_h = block_w = 3 for hog(image).) */
#define VN_HOG_OPTIONS_INIT \
    { sizeof(vn_hog_options), VN_HOG_SKIMAGE, 9, 8, 8, 2, 2, 1, 1, VN_HOG_NORM_L2_HYS, 0.2f, 0, 0, -1.0f }

/** Fill `opts` with the defaults of a convention (sets `size` too). OpenCV's
 *  are cv::HOGDescriptor()'s: as skimage's but sqrt_transform = 1. */
VN_API vn_status vn_hog_options_defaults(vn_hog_options *opts, vn_hog_convention convention);

/** Create a HOG extractor. Parameters out of range give ::VN_ERR_INVALID_ARG
 *  with the reason. */
VN_API vn_status vn_hog_create(const vn_hog_options *opts, vn_hog **out);

/**
 * Create a HOG extractor from a string of `key=value` words separated by
 * spaces, e.g. "orientations=9 cell=8 block=2 norm=l2hys convention=skimage".
 * Keys: `convention` (skimage | opencv, read first: it sets the defaults of
 * the rest), `orientations`, `cell` (8 or 6x4 = height x width), `block`
 * (cells, 2 or 3x3), `stride` (cells, 1 or 1x2), `norm` (l1 | l1sqrt | l2 |
 * l2hys), `threshold`, `signed` (0 | 1), `sqrt` (0 | 1), `sigma`. NULL or ""
 * gives VN_HOG_OPTIONS_INIT. An unknown key or bad value is
 * ::VN_ERR_INVALID_ARG naming it.
 */
VN_API vn_status vn_hog_create_from_string(const char *spec, vn_hog **out);

/** Destroy; NULL is a no-op. */
VN_API void vn_hog_destroy(vn_hog *hog);

/** Copy the extractor's parameters into `opts` (the caller sets opts->size). */
VN_API vn_status vn_hog_get_options(const vn_hog *hog, vn_hog_options *opts);

/**
 * Give the extractor an image: u8 or f32, [H, W], [H, W, 1] or [H, W, 3]
 * (C-contiguous, as decoders return them). The pixels are copied (after the
 * square root, when asked), so the tensor may be freed afterwards. An image
 * smaller than one block is refused with ::VN_ERR_SHAPE.
 */
VN_API vn_status vn_hog_put_image(vn_hog *hog, const vn_tensor *image);

/** Length of the descriptor of the current image, in floats; 0 before the
 *  first vn_hog_put_image(). */
VN_API size_t vn_hog_get_size(const vn_hog *hog);

/** The block grid of the current image: blocks down, blocks across and
 *  floats per block (= block_h * block_w * orientations); any pointer may
 *  be NULL. ::VN_ERR_INVALID_ARG before the first image. */
VN_API vn_status vn_hog_get_grid(const vn_hog *hog, int *blocks_y, int *blocks_x,
                                 int *block_length);

/** Compute the descriptor of the current image into dst, which holds n
 *  floats; n must be at least vn_hog_get_size() (::VN_ERR_INVALID_ARG
 *  otherwise). The layout is the convention's (see above). */
VN_API vn_status vn_hog_extract(vn_hog *hog, float *dst, size_t n);

/**
 * Dense HOG: slide a window_h x window_w window over the current image in
 * steps of stride_y x stride_x pixels (windows that do not fit at the right
 * / bottom are left out) and describe each window as vn_hog_extract() would
 * describe an image of the window's size, except that gradients on the
 * window's border see the pixels around it (the gradients are those of the
 * whole image, as OpenCV's `compute(img, winStride)` does). `*out` is a new
 * f32 tensor [windows down, windows across, descriptor length]. Windows are
 * cheapest when the strides are multiples of the block stride in pixels
 * (blocks are then shared between windows).
 */
VN_API vn_status vn_hog_extract_dense(vn_hog *hog, int window_h, int window_w, int stride_y,
                                      int stride_x, vn_tensor **out);

/**
 * Draw the current image's HOG as skimage's `hog(..., visualize=True)`
 * does: in every cell, for every orientation bin, a line through the cell's
 * centre along the edge direction of that bin (perpendicular to the
 * gradient), as bright as the bin's value; where lines cross, values add.
 * With cell_size_px = 0 each cell is drawn at its own size and `*out` is
 * a new u8 [H, W] image, skimage's picture exactly (up to the scaling);
 * with cell_size_px = 3..256 each cell is drawn in a square of that many
 * pixels (to enlarge small cells) and `*out` is u8 [cells down *
 * cell_size_px, cells across * cell_size_px]. The picture is scaled so its
 * brightest pixel is 255. ::VN_HOG_SKIMAGE draws the cell histograms;
 * ::VN_HOG_OPENCV, which has none, draws each cell's normalised values
 * averaged over the blocks that hold it.
 */
VN_API vn_status vn_hog_render(vn_hog *hog, int cell_size_px, vn_tensor **out);
/**@}*/

/* ======================================================================== */
/* SIFT                                                                     */
/* (section owned by the SIFT engineer: declarations go here)               */
/* ======================================================================== */

/* ------------------------------------------------------------------------ */
/** @name SIFT
 *
 * Scale-invariant keypoints and their 128-d descriptors (Lowe 2004),
 * following OpenCV 4.6's cv::SIFT where the paper leaves choices open, so
 * that keypoints and descriptors are interchangeable with cv2.SIFT_create()
 * (docs/features-sift.md compares the two).
 *
 * Life cycle (VLFeat style): vn_sift_create() with options, then for each
 * image vn_sift_detect() (keypoints and descriptors in one pass), read the
 * results with vn_sift_keypoint() and vn_sift_descriptors(), and finally
 * vn_sift_destroy(). A vn_sift keeps its pyramid buffers between images, so
 * reuse one object for a sequence of images of similar size. Results stay
 * valid until the next vn_sift_detect() on the same object.
 *
 * Coordinates are OpenCV's: x = column, y = row, in pixels of the input
 * image, the centre of the top-left pixel at (0, 0). Like OpenCV's, the
 * positions of keypoints found in the doubled image carry a bias of about
 * +0.25 pixel in x and y (the doubling samples at half-pixel centres and
 * the coordinates are halved without correcting for it); we keep it so
 * the results are interchangeable with cv2's.
 */
/**@{*/

/** A SIFT detector and its buffers (opaque). */
typedef struct vn_sift vn_sift;

/** Parameters of a vn_sift. The caller sets `size`; use VN_SIFT_OPTIONS_INIT. */
typedef struct vn_sift_options {
    size_t size;               /**< sizeof(vn_sift_options) */
    /** Keep at most this many keypoints, the strongest by response;
     *  0 keeps all (OpenCV's nfeatures). */
    int nfeatures;
    /** Scales sampled per octave, >= 1 (OpenCV's nOctaveLayers, default 3). */
    int octave_layers;
    /** DoG contrast threshold on the image scaled to [0, 1], divided by
     *  octave_layers as in OpenCV (default 0.04). */
    float contrast_threshold;
    /** Edge threshold r: extrema whose principal curvature ratio is r or
     *  more are dropped (default 10). */
    float edge_threshold;
    /** Blur of the first level of each octave (default 1.6). */
    float sigma;
    /** 1: double the image first (OpenCV's first octave -1, the default),
     *  which finds about four times as many small keypoints; 0: start at the
     *  image's own size. */
    int upsample;
} vn_sift_options;

/** The defaults, as cv2.SIFT_create(). */
#define VN_SIFT_OPTIONS_INIT { sizeof(vn_sift_options), 0, 3, 0.04f, 10.0f, 1.6f, 1 }

/** One keypoint, as cv::KeyPoint. The caller sets `size` to sizeof(vn_keypoint). */
typedef struct vn_keypoint {
    size_t size;      /**< sizeof(vn_keypoint), set by the caller */
    float x;          /**< column, pixels; the centre of the top-left pixel is 0 */
    float y;          /**< row, pixels */
    /** Diameter of the meaningful neighbourhood in pixels (OpenCV's
     *  KeyPoint.size): 2 * sigma of the keypoint's scale. A Gaussian blob
     *  of standard deviation s gives a diameter of about 1.77 s. */
    float diameter;
    /** Dominant gradient orientation in degrees, [0, 360), measured as
     *  OpenCV does (clockwise on screen from the +x axis, y pointing down). */
    float angle;
    /** |DoG| at the refined extremum, on the [0, 1] image scale: larger is stronger. */
    float response;
    /** Octave the keypoint was found in: -1 for the doubled image, 0 for
     *  the image's own size, 1 for half size... */
    int octave;
} vn_keypoint;

/** An empty keypoint with `size` set, ready for vn_sift_keypoint(). */
#define VN_KEYPOINT_INIT { sizeof(vn_keypoint), 0.0f, 0.0f, 0.0f, 0.0f, 0.0f, 0 }

/** Create a SIFT detector; opts NULL means VN_SIFT_OPTIONS_INIT. Out-of-range options are refused. */
VN_API vn_status vn_sift_create(const vn_sift_options *opts, vn_sift **out);
/** Free a detector and its buffers; NULL is a no-op. */
VN_API void vn_sift_destroy(vn_sift *sift);

/**
 * Detect keypoints in an image and compute their descriptors. The image is
 * u8 [H,W], [H,W,1] or [H,W,3] (RGB, turned grey with BT.601 as
 * cv2.COLOR_RGB2GRAY), or f32 with the same shapes and values on the
 * [0, 1] scale. Keypoints come sorted by response, strongest first. An
 * image too small to hold a keypoint gives 0 keypoints, not an error.
 * *n_keypoints receives the count.
 */
VN_API vn_status vn_sift_detect(vn_sift *sift, const vn_tensor *image, int *n_keypoints);

/** The number of keypoints found by the last vn_sift_detect() (0 before any). */
VN_API int vn_sift_count(const vn_sift *sift);

/** Copy keypoint i (0 <= i < count) into *kp; kp->size must be set. */
VN_API vn_status vn_sift_keypoint(const vn_sift *sift, int i, vn_keypoint *kp);

/**
 * Copy the descriptors into dst: count rows of 128 floats, row i for
 * keypoint i. capacity is dst's length in floats and must be at least
 * count * 128. Values are OpenCV's: the 4x4x8 histogram normalised,
 * clipped at 0.2, renormalised, scaled by 512 and rounded and saturated to
 * 0..255 (whole numbers held in floats, so they convert to bytes exactly).
 */
VN_API vn_status vn_sift_descriptors(const vn_sift *sift, float *dst, size_t capacity);

/**
 * Match descriptors d1 (n1 rows of 128 floats) against d2 (n2 rows) with
 * Lowe's ratio test: query row i is matched to its nearest row j of d2
 * (Euclidean distance) when that distance is below ratio times the
 * distance to the second nearest (cv2.BFMatcher knnMatch k=2 then
 * m.distance < ratio * n.distance; 0.75 is the usual ratio). With n2 < 2
 * there is no second neighbour and nothing matches. The pairs (i, j) are
 * written to pairs[2k], pairs[2k+1] in increasing i, at most max_pairs of
 * them; *n_pairs receives how many matched in all (which may be more than
 * max_pairs: call again with a larger buffer; pairs may be NULL when
 * max_pairs is 0). Runs on the library's threads.
 */
VN_API vn_status vn_sift_match(const float *d1, int n1, const float *d2, int n2, float ratio,
                               int *pairs, int max_pairs, int *n_pairs);

/**
 * Draw the keypoints of the last detection on a copy of image (u8 [H,W],
 * [H,W,1] or [H,W,3]; the result is u8 [H,W,3]) as cv2.drawKeypoints with
 * DRAW_RICH_KEYPOINTS: a circle of the keypoint's diameter and a radius
 * along its orientation, each keypoint its own colour.
 */
VN_API vn_status vn_sift_draw_keypoints(const vn_sift *sift, const vn_tensor *image,
                                        vn_tensor **out);

/**
 * Draw matches between two images side by side (u8 [H,W], [H,W,1] or
 * [H,W,3] each; the result is u8 [max(H1,H2), W1+W2, 3]) as
 * cv2.drawMatches: a line from (x1, y1) in the left image to (x2, y2) in
 * the right one with a small circle at each end. xy holds n_matches rows of
 * 4 floats, x1 y1 x2 y2, in each image's own pixel coordinates.
 */
VN_API vn_status vn_sift_draw_matches(const vn_tensor *image1, const vn_tensor *image2,
                                      const float *xy, int n_matches, vn_tensor **out);
/**@}*/

/* ======================================================================== */
/* Edges and corners                                                        */
/* (section owned by the SIFT / edges engineer: declarations go here)       */
/* ======================================================================== */

/* ------------------------------------------------------------------------ */
/** @name Edges and corners
 *
 * Sobel gradients, Canny edges, Harris and Shi-Tomasi corner responses and
 * corner peak picking, with scikit-image 0.19 as the reference
 * (skimage.filters.sobel, skimage.feature.canny, corner_harris,
 * corner_shi_tomasi, corner_peaks): same borders, same kernels, same
 * thresholds (docs/features-sift.md states the agreement measured).
 *
 * Input images are grey: u8 [H,W] or [H,W,1], taken as value / 255 (as
 * skimage's img_as_float), or f32 [H,W] or [H,W,1] used as they are.
 * Results are new tensors the caller destroys. Rows are y (down), columns x.
 */
/**@{*/

/** What vn_sobel() returns. Values pinned. */
typedef enum vn_sobel_output {
    /** d/dx (along columns, positive when brighter to the right):
     *  skimage.filters.sobel(image, axis=1), kernel [1 0 -1] across x
     *  (flipped, a convolution) times [1 2 1]/4 down y. */
    VN_SOBEL_GX = 0,
    /** d/dy (along rows, positive when brighter further down):
     *  skimage.filters.sobel(image, axis=0). */
    VN_SOBEL_GY = 1,
    /** sqrt((gx^2 + gy^2) / 2): skimage.filters.sobel(image). */
    VN_SOBEL_MAGNITUDE = 2,
    /** atan2(gy, gx) in radians, [-pi, pi] (C's atan2, so +-0 keep
     *  their sign); 0 where both are 0. */
    VN_SOBEL_ORIENTATION = 3
} vn_sobel_output;

/** Sobel gradients of a grey image into a new f32 [H,W] tensor; the border
 *  mirrors the image with its edge pixel repeated (skimage's default
 *  mode='reflect'). */
VN_API vn_status vn_sobel(const vn_tensor *image, vn_sobel_output what, vn_tensor **out);

/** Parameters of vn_canny(). The caller sets `size`; use VN_CANNY_OPTIONS_INIT. */
typedef struct vn_canny_options {
    size_t size;            /**< sizeof(vn_canny_options) */
    float sigma;            /**< Gaussian smoothing, >= 0 (default 1) */
    /** Hysteresis thresholds on the gradient magnitude, in the units of the
     *  input (0..255 for u8 images, as skimage divides them by the dtype's
     *  maximum) or quantiles in [0, 1] with use_quantiles; negative means
     *  skimage's defaults, 0.1 and 0.2 of the [0, 1] range. */
    float low_threshold;
    float high_threshold;   /**< see low_threshold; must be >= low */
    int use_quantiles;      /**< 1: thresholds are quantiles of the magnitude */
} vn_canny_options;

/** skimage.feature.canny's defaults. */
#define VN_CANNY_OPTIONS_INIT { sizeof(vn_canny_options), 1.0f, -1.0f, -1.0f, 0 }

/**
 * Canny edges as skimage.feature.canny (no mask): Gaussian smoothing with
 * zero padding renormalised at the border, Sobel gradients, non-maximum
 * suppression interpolated between the two neighbours along the gradient,
 * hysteresis (8-connected pieces above the low threshold that touch a pixel
 * above the high one). The outermost pixels are never edges. `*out` is a
 * new u8 [H,W] map: 1 on edges, 0 elsewhere. opts may be NULL.
 */
VN_API vn_status vn_canny(const vn_tensor *image, const vn_canny_options *opts, vn_tensor **out);

/** Harris response method. Values pinned. */
typedef enum vn_harris_method {
    VN_HARRIS_K = 0,    /**< det(A) - k trace(A)^2 */
    VN_HARRIS_EPS = 1   /**< 2 det(A) / (trace(A) + 1e-6) (Noble) */
} vn_harris_method;

/**
 * Harris corner response as skimage.feature.corner_harris(image, method,
 * k, eps=1e-6, sigma): A is the structure tensor, the products of the
 * (unnormalised, zero-padded) Sobel derivatives smoothed by a Gaussian of
 * sigma (zero padding, truncated at 4 sigma). skimage's defaults: k = 0.05,
 * sigma = 1. `*out` is a new f32 [H,W] tensor.
 */
VN_API vn_status vn_corner_harris(const vn_tensor *image, vn_harris_method method, float k,
                                  float sigma, vn_tensor **out);

/** Shi-Tomasi (Kanade-Tomasi) response, the smaller eigenvalue of the
 *  structure tensor, as skimage.feature.corner_shi_tomasi(image, sigma).
 *  `*out` is a new f32 [H,W] tensor. */
VN_API vn_status vn_corner_shi_tomasi(const vn_tensor *image, float sigma, vn_tensor **out);

/** Parameters of vn_corner_peaks(). The caller sets `size`; use VN_CORNER_PEAKS_OPTIONS_INIT. */
typedef struct vn_corner_peaks_options {
    size_t size;             /**< sizeof(vn_corner_peaks_options) */
    /** Peaks are maxima over a (2 min_distance + 1)^2 window and end up
     *  more than min_distance apart (Chebyshev distance); >= 0 (default 1). */
    int min_distance;
    /** Peaks must exceed this; -1e38 or less means none (skimage's None:
     *  the image's minimum). */
    float threshold_abs;
    /** Peaks must also exceed threshold_rel * the image's maximum; a
     *  negative value means none (skimage's None). */
    float threshold_rel;
    /** Pixels closer than this to the border are never peaks; -1 means
     *  min_distance (skimage's exclude_border=True). */
    int exclude_border;
} vn_corner_peaks_options;

/** skimage.feature.corner_peaks's defaults. */
#define VN_CORNER_PEAKS_OPTIONS_INIT { sizeof(vn_corner_peaks_options), 1, -1e38f, -1.0f, -1 }

/**
 * Peaks of a corner response (f32 [H,W], e.g. from vn_corner_harris) as
 * skimage.feature.corner_peaks: local maxima above the thresholds, strongest
 * first, greedily thinned so no two are within min_distance. The first
 * min(found, capacity) peaks are written to coords as (row, column) pairs,
 * coords[2i] = row, coords[2i+1] = column; *n_peaks receives how many were
 * found in all (call again with a larger buffer if it is more than
 * capacity). coords may be NULL when capacity is 0; opts may be NULL.
 */
VN_API vn_status vn_corner_peaks(const vn_tensor *response, const vn_corner_peaks_options *opts,
                                 int *coords, int capacity, int *n_peaks);
/**@}*/

#ifdef __cplusplus
}
#endif

#endif
