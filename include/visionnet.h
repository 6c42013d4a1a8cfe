/**
 * @file visionnet.h
 * @brief libvisionnet: machine learning on images for C programs.
 *
 * Includes every public header of the library. See docs/getting-started.md.
 */
#ifndef VISIONNET_H
#define VISIONNET_H

#include "visionnet/core.h"
#include "visionnet/tensor.h"
#include "visionnet/image.h"
#include "visionnet/features.h"
#include "visionnet/train.h"
#include "visionnet/nn.h"
#include "visionnet/augment.h"
#include "visionnet/transfer.h"

#endif
