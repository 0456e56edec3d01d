#ifndef SPW_REVIEW_CSTRESSIO_H
#define SPW_REVIEW_CSTRESSIO_H
#include <stdint.h>

/* The GNU calls `spw-review stress` needs and Swift's Glibc module does not import (they sit
 * behind _GNU_SOURCE): O_DIRECT and sync_file_range(2). */

/* open(2) with O_DIRECT added to `flags`. */
int spw_open_direct(const char *path, int flags, int mode);

/* sync_file_range(2) with SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER: start writeback
 * of the range and wait for it, without a metadata flush. */
int spw_sync_range_and_wait(int fd, int64_t offset, int64_t length);

#endif
