#define _GNU_SOURCE
#include <fcntl.h>
#include "cstressio.h"

int spw_open_direct(const char *path, int flags, int mode)
{
	return open(path, flags | O_DIRECT, mode);
}

int spw_sync_range_and_wait(int fd, int64_t offset, int64_t length)
{
	return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
}
