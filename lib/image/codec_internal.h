/*
 * codec_internal.h - the codec registry's side of the image layer: the
 * built-in codec vtables and the look-ups image_io.c uses.
 *
 * The vtable layout and the callback contract are public (vn_codec in
 * visionnet/image.h). Built-in codecs follow the same contract as a
 * program's own, plus what the library's rules add: they set a message with
 * vn__error() on every failure, check sizes from the file against its length
 * and against overflow, and call vn__check_pixels() from the header before
 * allocating pixel memory (again, even though the registry already did, so
 * that a codec called directly, as the fuzz targets do, is safe too).
 */
#ifndef VN_CODEC_INTERNAL_H
#define VN_CODEC_INTERNAL_H

#include "tensor/tensor_internal.h"
#include <visionnet/image.h>

#include <stddef.h>

/* The smallest sizes the first published structs had: a caller's `size`
 * below these cannot be a real version of the struct. Fields appended later
 * are read only when `size` covers them. */
#define VN__CODEC_MIN_SIZE offsetof(vn_codec, encode) /* up to decode: the required part */
#define VN__DECODE_OPTIONS_MIN_SIZE (offsetof(vn_decode_options, keep_16bit) + sizeof(int))
#define VN__ENCODE_OPTIONS_MIN_SIZE (offsetof(vn_encode_options, compression) + sizeof(int))
#define VN__IMAGE_INFO_MIN_SIZE (offsetof(vn_image_info, codec) + 16)

/* Built-in codecs (codec_png.c, codec_jpeg.c, codec_pnm.c). */
#if VN_HAVE_PNG
extern const vn_codec vn__codec_png;
#endif
#if VN_HAVE_JPEG
extern const vn_codec vn__codec_jpeg;
#endif
extern const vn_codec vn__codec_pnm;

/* Look-ups (codec_registry.c). Each copies the registered vtable into *out
 * under the registry's lock, so the caller may use it after another thread
 * unregisters the codec (its strings and user_data must stay alive anyway,
 * as the public contract says). They fail with a message. */

/* The codec whose probe scores the bytes highest (ties: the earliest
 * registered); VN_ERR_FORMAT when no codec claims them. */
vn_status vn__codec_by_content(const uint8_t *data, size_t n, vn_codec *out);
/* The codec registered under name; VN_ERR_UNSUPPORTED when there is none. */
vn_status vn__codec_by_name(const char *name, vn_codec *out);
/* The first codec listing ext (lower case, no dot) among its extensions
 * that can encode; VN_ERR_UNSUPPORTED when there is none. */
vn_status vn__codec_by_extension(const char *ext, vn_codec *out);

#endif /* VN_CODEC_INTERNAL_H */
