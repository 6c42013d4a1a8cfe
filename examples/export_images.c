/*
 * export_images.c - write the first images of a dataset out as PNG files,
 * named by their index and class: OUT_DIR/0000_Ankle_boot.png, ...
 *
 *   export_images [DATA [N [OUT_DIR]]]
 *
 * DATA is anything vn_dataset_open() takes: an IDX images file (labels
 * beside it), an image-folder tree or a .csv list (default: the
 * Fashion-MNIST test images, /usr/share/datasets/fashion-mnist). N defaults
 * to 5; OUT_DIR to a new folder under /tmp. Prints the files it wrote, one
 * per line. scripts/quickstart.sh uses it to have images to predict.
 */
#define _POSIX_C_SOURCE 200809L /* mkdtemp, access */
#include <visionnet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Fashion-MNIST's classes, for IDX files that carry no names. */
static const char *const FASHION[10] = {"T-shirt_top", "Trouser", "Pullover", "Dress", "Coat",
                                        "Sandal", "Shirt", "Sneaker", "Bag", "Ankle_boot"};

int main(int argc, char **argv)
{
    const char *data = argc > 1 ? argv[1]
                                : "/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz";
    long n = argc > 2 ? atol(argv[2]) : 5;
    char dir[256];
    if (argc > 3) {
        snprintf(dir, sizeof dir, "%s", argv[3]);
    } else {
        snprintf(dir, sizeof dir, "/tmp/visionnet-images-XXXXXX");
        if (!mkdtemp(dir)) {
            perror("export_images: mkdtemp");
            return 1;
        }
    }
    if (argc <= 1 && access(data, R_OK) != 0) {
        printf("Fashion-MNIST is not installed (apt install dataset-fashion-mnist); nothing to do\n");
        return 0;
    }

    vn_dataset *ds = NULL;
    if (vn_dataset_open(data, &ds) != VN_OK) {
        fprintf(stderr, "export_images: %s\n", vn_last_error());
        return 1;
    }
    if (n > vn_dataset_size(ds))
        n = (long)vn_dataset_size(ds);
    for (long i = 0; i < n; i++) {
        vn_tensor *image = NULL;
        int32_t label = 0;
        if (vn_dataset_get(ds, i, &image, &label) != VN_OK) {
            fprintf(stderr, "export_images: %s\n", vn_last_error());
            return 1;
        }
        const char *name = vn_dataset_class_name(ds, label);
        char path[512], fallback[16];
        if (!name && vn_dataset_num_classes(ds) <= 10 && strstr(data, "fashion"))
            name = FASHION[label];
        if (!name) {
            snprintf(fallback, sizeof fallback, "class%d", (int)label);
            name = fallback;
        }
        snprintf(path, sizeof path, "%s/%04ld_%s.png", dir, i, name);
        for (char *c = path + strlen(dir) + 1; *c; c++)
            if (*c == '/' || *c == ' ')
                *c = '_';
        if (vn_image_write(path, image, NULL) != VN_OK) {
            fprintf(stderr, "export_images: %s\n", vn_last_error());
            return 1;
        }
        vn_tensor_destroy(image);
        printf("%s\n", path);
    }
    vn_dataset_destroy(ds);
    return 0;
}
