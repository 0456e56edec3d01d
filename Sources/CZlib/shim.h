#ifndef SPW_REVIEW_CZLIB_SHIM_H
#define SPW_REVIEW_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit and friends are macros Swift cannot call. */
static inline int spw_inflate_init(z_stream *stream) { return inflateInit(stream); }

/* A gzip member (RFC 1952): zlib's window, gzip's header and trailer. */
static inline int spw_inflate_init_gzip(z_stream *stream) { return inflateInit2(stream, 15 + 16); }

/* Writing gzip, for the fuzz target's round trip. */
static inline int spw_deflate_init_gzip(z_stream *stream) {
    return deflateInit2(stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
}
#endif
