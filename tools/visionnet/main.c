/*
 * main.c - the visionnet command: dispatch to a subcommand from one table.
 * Exit status: 0 on success, 1 on a user error (one line on stderr).
 */
#include "cli.h"

#include <string.h>

int cmd_info(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_sift(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_hog(int argc, char **argv);
int cmd_augment(int argc, char **argv);
int cmd_bench(int argc, char **argv);
int cmd_finetune(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_run(int argc, char **argv);

static const struct {
    const char *name;
    cli_command_fn run;
    const char *summary;
} commands[] = {
    {"train", cmd_train, "train a classifier (default: the reference CNN on Fashion-MNIST)"},
    {"eval", cmd_eval, "accuracy, per-class accuracy and confusion matrix of a model"},
    {"info", cmd_info, "describe image, .npy and model files"},
    {"sift", cmd_sift, "SIFT keypoints of an image, matches between two"},
    {"predict", cmd_predict, "classify images with a model file (top-k labels)"},
    {"hog", cmd_hog, "HOG descriptor of an image (.npy, picture, summary)"},
    {"augment", cmd_augment, "augmented versions of an image as a grid picture or files"},
    {"finetune", cmd_finetune, "adapt a trained model to new classes (new head, frozen backbone)"},
    {"import", cmd_import, "convert an ONNX model into a visionnet model file"},
    {"run", cmd_run, "run a model on a .npy tensor (outputs, or a node's activation)"},
    {"bench", cmd_bench, "benchmarks ('bench augment': augmentation images/s; --model FILE)"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: visionnet <command> [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-12s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "  %-12s %s\n", "help", "this text; 'visionnet <command> --help' for a command");
    fprintf(f, "\n'visionnet --version' prints the library version.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 1;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
        printf("visionnet %s (library %s)\n", VN_VERSION_STRING, vn_version());
        return 0;
    }
    if (!strcmp(cmd, "help") || !strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        if (argc >= 3) {
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (!strcmp(argv[2], commands[i].name)) {
                    char *sub[] = {argv[2], "--help", NULL};
                    return commands[i].run(2, sub);
                }
            return cli_fail("unknown command '%s' (try 'visionnet help')", argv[2]);
        }
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(cmd, commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    return cli_fail("unknown command '%s' (try 'visionnet help')", cmd);
}
