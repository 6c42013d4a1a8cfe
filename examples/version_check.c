/*
 * version_check.c - check that the header a program was compiled with
 * matches the libvisionnet it loaded at run time.
 *
 *   cc version_check.c $(pkg-config --cflags --libs visionnet) -o version_check
 *   ./version_check
 *
 * VN_VERSION_NUMBER is fixed when the program is compiled; vn_version_number()
 * comes from the shared library found when it runs. Within one major version
 * the library is backwards compatible, so a program needs a library of the
 * same major version and at least the minor version it was compiled with.
 */
#include <visionnet.h>

#include <stdio.h>

int main(void)
{
    unsigned built = VN_VERSION_NUMBER;
    unsigned loaded = vn_version_number();

    printf("compiled against libvisionnet %s, running with %s\n",
           VN_VERSION_STRING, vn_version());

    if (loaded / 10000 != built / 10000 || loaded < built) {
        fprintf(stderr, "version_check: library %s is not compatible with header %s\n",
                vn_version(), VN_VERSION_STRING);
        return 1;
    }
    return 0;
}
