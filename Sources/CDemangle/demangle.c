// SPDX-License-Identifier: Apache-2.0
#include "CDemangle.h"

#include <stdlib.h>
#include <libiberty/demangle.h>

extern char *__cxa_demangle(const char *mangled, char *buffer, size_t *length, int *status);
extern char *swift_demangle(const char *mangled, size_t length, char *output,
                            size_t *output_size, uint32_t flags);

char *sflame_cxx_demangle(const char *mangled) {
    int status = 0;
    char *result = __cxa_demangle(mangled, NULL, NULL, &status);
    if (status != 0) {
        free(result);
        return NULL;
    }
    return result;
}

char *sflame_swift_demangle(const char *mangled, size_t length) {
    return swift_demangle(mangled, length, NULL, NULL, 0);
}

char *sflame_rust_demangle(const char *mangled) {
    // DMGL_RUST selects libiberty's rust_demangle (legacy and v0); without DMGL_VERBOSE the
    // legacy hash and v0's disambiguators are left out, as rustc-demangle's default form does.
    return cplus_demangle(mangled, DMGL_RUST);
}
