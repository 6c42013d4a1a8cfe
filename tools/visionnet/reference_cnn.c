/* reference_cnn.c - the reference CNN's spec text (see reference_cnn.h). */
#include "reference_cnn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* models/reference_cnn.spec without its comments; %d is the class count. */
static const char REFERENCE_SPEC[] =
    "input shape=1,28,28\n"
    "conv2d name=conv1 out=32 k=3 pad=1\n"
    "relu name=relu1\n"
    "max_pool2d name=pool1 k=2\n"
    "conv2d name=conv2 out=64 k=3 pad=1\n"
    "relu name=relu2\n"
    "max_pool2d name=pool2 k=2\n"
    "flatten name=flatten\n"
    "dense name=fc1 out=128\n"
    "relu name=relu3\n"
    "dense name=fc2 out=%d\n";

char *cli_reference_cnn_spec(int classes)
{
    size_t n = sizeof REFERENCE_SPEC + 16;
    char *text = malloc(n);
    if (text)
        snprintf(text, n, REFERENCE_SPEC, classes);
    return text;
}
