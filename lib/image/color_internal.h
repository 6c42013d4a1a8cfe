/*
 * color_internal.h - colour formulas shared by the image layer's files.
 *
 * RGB -> grey with the ITU-R BT.601 weights in OpenCV's fixed point
 * (cv2.COLOR_RGB2GRAY). OpenCV 4.x uses 15-bit weights for 8-bit images:
 * Y = (R*9798 + G*19235 + B*3735 + 2^14) >> 15, the weights being
 * round(0.299 * 2^15), round(0.587 * 2^15), round(0.114 * 2^15); this equals
 * cv2.cvtColor on all 2^24 colours (the 14-bit weights 4899/9617/1868 of
 * older releases are off by one level on 43,864 of them). 16-bit samples
 * use the 14-bit weights, which keep the sum inside 32 bits. The weights sum
 * to a power of two, so the result never exceeds the largest input.
 * The decoders' channel conversion and vn_image_to_gray both use these, so a
 * grey image is the same whichever way it was made.
 */
#ifndef VN_COLOR_INTERNAL_H
#define VN_COLOR_INTERNAL_H

#include <stdint.h>

#define VN__BT601_R8 9798u
#define VN__BT601_G8 19235u
#define VN__BT601_B8 3735u
#define VN__BT601_SHIFT8 15
#define VN__BT601_R 4899u
#define VN__BT601_G 9617u
#define VN__BT601_B 1868u
#define VN__BT601_SHIFT 14

/* Grey level of an 8-bit RGB sample, exactly cv2.cvtColor(..., COLOR_RGB2GRAY). */
static inline uint8_t vn__gray_bt601_u8(uint8_t r, uint8_t g, uint8_t b)
{
    return (uint8_t)((r * VN__BT601_R8 + g * VN__BT601_G8 + b * VN__BT601_B8 +
                      (1u << (VN__BT601_SHIFT8 - 1))) >> VN__BT601_SHIFT8);
}

/* The same for 16-bit samples (0..65535); the sum fits in 32 bits. */
static inline uint16_t vn__gray_bt601_u16(uint16_t r, uint16_t g, uint16_t b)
{
    return (uint16_t)((r * VN__BT601_R + g * VN__BT601_G + b * VN__BT601_B +
                       (1u << (VN__BT601_SHIFT - 1))) >> VN__BT601_SHIFT);
}

#endif /* VN_COLOR_INTERNAL_H */
