/*
 * version.c - the version of the loaded library, to compare with the
 * VN_VERSION_* macros of the header a program was compiled with.
 */
#include "vn_internal.h"

_Static_assert(VN_VERSION_NUMBER == VN_VERSION_MAJOR * 10000 + VN_VERSION_MINOR * 100 + VN_VERSION_PATCH,
               "version macros disagree");

VN_API unsigned vn_version_number(void)
{
    return VN_VERSION_NUMBER;
}

VN_API const char *vn_version(void)
{
    return VN_VERSION_STRING;
}
