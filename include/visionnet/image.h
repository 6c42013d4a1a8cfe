/**
 * @file visionnet/image.h
 * @brief Image decoding / encoding through pluggable codecs, and
 *        preprocessing: resize, colour conversion, crop, flip, affine warp,
 *        conversion between u8 HWC images and f32 CHW network tensors.
 *
 * An image is a tensor: u8 [H, W, C] as it comes from a decoder (C = 1 gray,
 * 2 gray+alpha, 3 RGB, 4 RGBA; palettes expanded). Functions that take an
 * image also accept a 2-D [H, W] tensor as a one-channel image. Where a
 * function accepts f32 tensors too, its comment says which layout.
 *
 * Decoders are picked by content (vn_codec.probe), never by file name; the
 * encoder by the file name's extension. PNG, JPEG and PNM are built in
 * (PNG and JPEG when the library was built with them); programs add their
 * own with vn_codec_register().
 */
#ifndef VISIONNET_IMAGE_H
#define VISIONNET_IMAGE_H

#include "core.h"
#include "tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/** @name Options and header information */
/**@{*/

/** What a header says about an image. The caller sets `size`. */
typedef struct vn_image_info {
    size_t size;       /**< sizeof(vn_image_info), set by the caller */
    int width;         /**< pixels */
    int height;        /**< pixels */
    int channels;      /**< as stored, palettes counted as expanded: 1..4 */
    int bit_depth;     /**< bits per sample as stored: 1, 2, 4, 8 or 16 */
    char codec[16];    /**< name of the codec that read it, NUL-terminated */
} vn_image_info;

#define VN_IMAGE_INFO_INIT { sizeof(vn_image_info), 0, 0, 0, 0, {0} }

/** How to decode. The caller sets `size`; use VN_DECODE_OPTIONS_INIT. */
typedef struct vn_decode_options {
    size_t size;       /**< sizeof(vn_decode_options) */
    /** Wanted channel count 1..4, or 0 for the file's own. Gray -> RGB
     *  replicates, RGB -> gray uses BT.601 (as vn_image_to_gray with
     *  ::VN_GRAY_BT601), a missing alpha is opaque (255), a dropped alpha is
     *  discarded (no compositing). */
    int channels;
    /** 0: 16-bit samples are scaled to 8 bits (round(v * 255 / 65535)), the
     *  result is u8. 1: a 16-bit image comes back as an i32 tensor holding
     *  0..65535 (8-bit images still come back as u8). */
    int keep_16bit;
} vn_decode_options;

#define VN_DECODE_OPTIONS_INIT { sizeof(vn_decode_options), 0, 0 }

/** How to encode. The caller sets `size`; use VN_ENCODE_OPTIONS_INIT. */
typedef struct vn_encode_options {
    size_t size;       /**< sizeof(vn_encode_options) */
    int quality;       /**< JPEG quality 1..100 (default 90) */
    int compression;   /**< PNG zlib level 0..9 (default 6) */
} vn_encode_options;

#define VN_ENCODE_OPTIONS_INIT { sizeof(vn_encode_options), 90, 6 }
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Codecs
 *
 * A codec is a versioned vtable (SQLite's sqlite3_vfs is the model): `size`
 * says how much of the struct the caller filled, so fields can be appended
 * without breaking older codecs. vn_codec_register() copies the struct; the
 * strings it points to and `user_data` must outlive the registration.
 *
 * Contract for the callbacks (all receive the codec's `user_data`):
 * - probe(head, n): a score 0..100 for how sure the codec is that the bytes
 *   are its format (0 = not mine). Must read at most n bytes. Required.
 * - info(data, n, info): read the header only and fill width, height,
 *   channels, bit_depth (the registry fills `codec`). Required. The registry
 *   checks VN_LIMIT_MAX_PIXELS against it before calling decode.
 * - decode(data, n, opts, out): decode the whole buffer into a new u8 [H,W,C]
 *   tensor (or i32 when opts->keep_16bit and the image is 16-bit). It may
 *   honour opts->channels itself; if the result has another channel count
 *   the registry converts it. Must never read past n bytes, never print and
 *   never abort; malformed input returns ::VN_ERR_FORMAT with a message set
 *   through the return value's caller (see vn_last_error). Required.
 * - encode(image, opts, bytes, n): encode a u8 [H,W,C] image into a buffer
 *   allocated with vn_malloc(). Optional (NULL: the codec cannot write).
 */
/**@{*/
typedef struct vn_codec {
    size_t size;              /**< sizeof(vn_codec) */
    const char *name;         /**< short unique name: "png" */
    const char *extensions;   /**< comma-separated, lower case, no dots: "jpg,jpeg" */
    int (*probe)(const uint8_t *head, size_t n, void *user_data);
    vn_status (*info)(const uint8_t *data, size_t n, vn_image_info *info, void *user_data);
    vn_status (*decode)(const uint8_t *data, size_t n, const vn_decode_options *opts,
                        vn_tensor **out, void *user_data);
    vn_status (*encode)(const vn_tensor *image, const vn_encode_options *opts,
                        void **bytes, size_t *n, void *user_data);
    void *user_data;          /**< passed to every callback */
} vn_codec;

/** Add a codec (thread-safe). A name already registered is refused. */
VN_API vn_status vn_codec_register(const vn_codec *codec);
/** Remove a codec by name (built-in ones too). */
VN_API vn_status vn_codec_unregister(const char *name);
/** Number of registered codecs. */
VN_API int vn_codec_count(void);
/** Name of codec i (0 <= i < vn_codec_count()), borrowed; NULL when out of range. */
VN_API const char *vn_codec_name(int i);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Reading and writing */
/**@{*/
/** Read only the header of a file (picks the codec by content). */
VN_API vn_status vn_image_info_read(const char *path, vn_image_info *info);
/** Read only the header of an in-memory file. */
VN_API vn_status vn_image_info_mem(const void *bytes, size_t n, vn_image_info *info);

/**
 * Decode an image file into a new tensor (u8 [H,W,C]; see vn_decode_options).
 * opts may be NULL for the defaults. Images over VN_LIMIT_MAX_PIXELS are
 * refused with ::VN_ERR_LIMIT before any pixel memory is allocated; files
 * over VN_LIMIT_MAX_FILE_BYTES with ::VN_ERR_LIMIT before they are read.
 */
VN_API vn_status vn_image_read(const char *path, const vn_decode_options *opts, vn_tensor **out);
/** Decode an image held in memory; as vn_image_read(). */
VN_API vn_status vn_image_decode(const void *bytes, size_t n, const vn_decode_options *opts,
                                 vn_tensor **out);

/**
 * Write a u8 [H,W,C] (or [H,W]) image; the codec is chosen by the path's
 * extension (".png", ".jpg", ".pgm", ...). The file is written to a
 * temporary name beside it and renamed, so a failure never leaves a half
 * file. opts may be NULL.
 */
VN_API vn_status vn_image_write(const char *path, const vn_tensor *image,
                                const vn_encode_options *opts);
/** Encode with the named codec into a buffer the caller frees with vn_free(). */
VN_API vn_status vn_image_encode(const char *codec, const vn_tensor *image,
                                 const vn_encode_options *opts, void **bytes, size_t *n);
/**@}*/

/* ------------------------------------------------------------------------ */
/** @name Preprocessing */
/**@{*/

/** Interpolation. Values pinned. */
typedef enum vn_interp {
    VN_INTERP_NEAREST = 0,
    VN_INTERP_BILINEAR = 1,
    VN_INTERP_AREA = 2,
    VN_INTERP_BICUBIC = 3
} vn_interp;

/** What lies outside the source image. Values pinned. */
typedef enum vn_border {
    VN_BORDER_CONSTANT = 0,   /**< a fill value */
    VN_BORDER_REPLICATE = 1,  /**< the edge pixel (aaa|abcd|ddd) */
    VN_BORDER_REFLECT = 2     /**< mirror without repeating the edge (dcb|abcd|cba), numpy 'reflect' */
} vn_border;

/**
 * Resize to out_h x out_w.
 * - u8 [H,W,C] images follow OpenCV's cv::resize exactly (fixed-point
 *   bilinear with half-pixel centres, INTER_AREA's box filter when shrinking
 *   and its bilinear when enlarging, Keys bicubic a = -0.75), so results
 *   match cv2 within one grey level.
 * - f32 [C,H,W] or [N,C,H,W] tensors follow PyTorch's F.interpolate with
 *   align_corners=False and no antialiasing (nearest, bilinear, bicubic a =
 *   -0.75); ::VN_INTERP_AREA is adaptive average pooling.
 */
VN_API vn_status vn_image_resize(const vn_tensor *src, int out_h, int out_w, vn_interp interp,
                                 vn_tensor **out);

/** Grey conversion. Values pinned. */
typedef enum vn_gray {
    /** Y = 0.299 R + 0.587 G + 0.114 B. u8 in, u8 out with OpenCV's
     *  fixed-point rounding (cv2.COLOR_RGB2GRAY); on f32 CHW tensors the
     *  float formula (torchvision rgb_to_grayscale). */
    VN_GRAY_BT601 = 0,
    /** Y = 0.2125 R + 0.7154 G + 0.0721 B on values scaled to [0, 1]
     *  (skimage.color.rgb2gray): always an f32 result. */
    VN_GRAY_REC709 = 1
} vn_gray;

/**
 * RGB(A) to grey. u8 [H,W,3|4] -> [H,W,1] (u8 for BT601, f32 in [0,1] for
 * REC709); f32 [3,H,W] -> f32 [1,H,W] (values kept on their scale). Alpha
 * is ignored. A one-channel input is refused with ::VN_ERR_SHAPE.
 */
VN_API vn_status vn_image_to_gray(const vn_tensor *src, vn_gray method, vn_tensor **out);

/** Change the channel count of a u8 [H,W,C] image as vn_decode_options.channels describes. */
VN_API vn_status vn_image_convert_channels(const vn_tensor *src, int channels, vn_tensor **out);

/** Copy rows top..top+h-1, columns left..left+w-1 of an [H,W,C] image (any dtype); must lie inside. */
VN_API vn_status vn_image_crop(const vn_tensor *src, int top, int left, int h, int w,
                               vn_tensor **out);

/**
 * Centre crop to h x w as torchvision's center_crop: top = round((H-h)/2),
 * left = round((W-w)/2) with round-half-to-even; a crop larger than the
 * image pads with zeros first (as torchvision does).
 */
VN_API vn_status vn_image_center_crop(const vn_tensor *src, int h, int w, vn_tensor **out);

/** Flip direction. Values pinned. */
typedef enum vn_flip {
    VN_FLIP_HORIZONTAL = 1,  /**< mirror left-right */
    VN_FLIP_VERTICAL = 2,    /**< mirror top-bottom */
    VN_FLIP_BOTH = 3
} vn_flip;

/** Flip an [H,W,C] image (any dtype). */
VN_API vn_status vn_image_flip(const vn_tensor *src, vn_flip direction, vn_tensor **out);

/**
 * Affine warp as cv2.warpAffine: m = [a b c; d e f] (row-major, 6 values)
 * maps source pixel coordinates (x = column, y = row, pixel centres at
 * integers) to destination coordinates; every destination pixel samples the
 * source at the inverse map. interp is nearest or bilinear (u8 images use
 * OpenCV's 1/32-pixel fixed point, so results match cv2 within one level;
 * f32 [H,W,C] images are sampled exactly). fill holds one value per channel
 * for ::VN_BORDER_CONSTANT (NULL = zeros).
 */
VN_API vn_status vn_image_warp_affine(const vn_tensor *src, const double m[6], int out_h,
                                      int out_w, vn_interp interp, vn_border border,
                                      const double *fill, vn_tensor **out);

/**
 * Rotate by angle_deg (positive = counter-clockwise on screen) about the
 * image centre ((W-1)/2, (H-1)/2), keeping the size, as
 * cv2.getRotationMatrix2D + cv2.warpAffine; outside pixels are zero.
 */
VN_API vn_status vn_image_rotate(const vn_tensor *src, double angle_deg, vn_interp interp,
                                 vn_tensor **out);

/**
 * u8 [H,W,C] (or [N,H,W,C]) -> f32 [C,H,W] (or [N,C,H,W]):
 * y[c,h,w] = (x[h,w,c] * scale - mean[c]) / std[c].
 * mean / std hold C values each; NULL means 0 / 1. scale 1/255 gives
 * torchvision's ToTensor + Normalize.
 */
VN_API vn_status vn_image_to_tensor(const vn_tensor *src, float scale, const float *mean,
                                    const float *std, vn_tensor **out);

/** The inverse of vn_image_to_tensor: f32 [C,H,W] -> u8 [H,W,C], rounded and saturated. */
VN_API vn_status vn_tensor_to_image(const vn_tensor *src, float scale, const float *mean,
                                    const float *std, vn_tensor **out);
/**@}*/

#ifdef __cplusplus
}
#endif
#endif /* VISIONNET_IMAGE_H */
