/*
 * cli_model.h - what the visionnet commands that read model files share:
 * loading one with a one-line error, and turning image files into the
 * model's input as its preprocessing says.
 */
#ifndef VISIONNET_CLI_MODEL_H
#define VISIONNET_CLI_MODEL_H

#include "cli.h"

/* Print the library's message for a failure on path as one line,
 * "visionnet: PATH: reason", without a repeated "model file 'PATH': " or
 * "PATH: " at the start of the reason. Returns 1 (the exit status). */
int cli_fail_file(const char *path, vn_status s);

/* Load a model file (and its optimizer when opt is not NULL); on failure
 * print the one line and return NULL. */
vn_model *cli_model_load(const char *path, vn_optimizer **opt);

/* Is the file to be read as a model: does it start like a safetensors file
 * (8-byte header length, then '{'), whatever its name, or is it named
 * *.vnm or *.safetensors (so that a damaged one gets the model reader's
 * reason, not an image decoder's)? */
bool cli_is_model_file(const char *path);

/* Read an image file and turn it into the model's input for one sample:
 * decoded with the model's channel count, resized to its height and width
 * (area when shrinking, bilinear when enlarging, OpenCV's u8 semantics)
 * and converted with the model's preprocessing into f32 [C, H, W] written
 * to out (C*H*W floats). On failure print "visionnet: PATH: reason" and
 * return false. */
bool cli_model_read_image(const vn_model *m, const char *path, float *out);

#endif
