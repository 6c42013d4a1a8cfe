/*
 * reference_cnn.h - the reference CNN of the training issue
 * (models/reference_cnn.spec), shared by `visionnet train` and
 * `visionnet bench` so that both run the same network.
 */
#ifndef VISIONNET_REFERENCE_CNN_H
#define VISIONNET_REFERENCE_CNN_H

/* Fashion-MNIST's mean and standard deviation (of pixel / 255). */
#define CLI_REFERENCE_MEAN 0.2860f
#define CLI_REFERENCE_STD 0.3530f

/* The spec text with `classes` outputs, malloc'ed (the caller frees it);
 * NULL when out of memory. */
char *cli_reference_cnn_spec(int classes);

#endif
