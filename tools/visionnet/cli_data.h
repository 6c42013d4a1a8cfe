/*
 * cli_data.h - the --data argument of `visionnet train` and `eval`: which
 * dataset a path names, the test split that goes with a training set,
 * Fashion-MNIST's class names, and lining a dataset's classes up with a
 * model's.
 */
#ifndef VISIONNET_CLI_DATA_H
#define VISIONNET_CLI_DATA_H

#include "cli.h"

/* Where the Debian package dataset-fashion-mnist puts Fashion-MNIST. */
#define CLI_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* Print the library's last error as one line "visionnet: <message>"
 * (dataset messages name their file). Returns 1. */
int cli_fail_data(vn_status s);

/*
 * Open what a --data argument names (NULL: Fashion-MNIST in
 * CLI_FASHION_MNIST_DIR): a folder holding IDX files (their train- or,
 * with `test`, t10k- pair), any other folder as an image-folder tree, a
 * .csv file as a CSV list, any other file as an IDX images file with its
 * labels beside it. The path actually opened goes to resolved (n bytes).
 * Fashion-MNIST's classes get their names. On failure one line is printed
 * and NULL returned.
 */
vn_dataset *cli_data_open(const char *arg, bool test, char *resolved, size_t n);

/* The test split that goes with a training set opened from `train`: an
 * IDX "train-..." file's "t10k-..." (or "test-...") sibling, a folder or
 * CSV whose name holds "train" with "test" in its place. false when there
 * is no such file. */
bool cli_data_test_path(const char *train, char *out, size_t n);

/* Number the dataset's classes as the model's: by name when both are
 * named; folders or labels named "0", "1", ... by their number. On failure
 * (a class the model does not know, more classes than outputs) one line
 * naming `path` is printed and false returned. */
bool cli_data_match_model(vn_dataset *ds, const vn_model *m, const char *path);

#endif
