// SPDX-License-Identifier: Apache-2.0
// zlib (apt: zlib1g-dev), for gzip'd pprof (.pb.gz).
#include <zlib.h>

/// Starts a deflate stream that writes a gzip header and trailer. deflateInit2 is a macro in
/// zlib.h (it passes ZLIB_VERSION and sizeof(z_stream)), which Swift cannot call.
static inline int sflame_deflate_init_gzip(z_streamp stream, int level) {
    return deflateInit2(stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}

/// Starts an inflate stream that accepts a gzip or a zlib header (windowBits 15 + 32). A macro
/// in zlib.h, like deflateInit2.
static inline int sflame_inflate_init_auto(z_streamp stream) {
    return inflateInit2(stream, 15 + 32);
}
