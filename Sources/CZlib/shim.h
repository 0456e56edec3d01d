#ifndef SPW_REVIEW_CZLIB_SHIM_H
#define SPW_REVIEW_CZLIB_SHIM_H
#include <zlib.h>

/* inflateInit is a macro Swift cannot call. */
static inline int spw_inflate_init(z_stream *stream) { return inflateInit(stream); }
#endif
