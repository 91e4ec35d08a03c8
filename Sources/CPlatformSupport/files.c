#define _GNU_SOURCE
#include <malloc.h>
#include "glfs_files.h"
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>

int glfs_punch_hole(int fd, off_t offset, off_t length) {
    return fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length) == 0 ? 0 : -errno;
}

int glfs_o_direct(void) { return O_DIRECT; }

int glfs_start_writeback(int fd, off_t offset, off_t length) {
    return sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE) == 0 ? 0 : -errno;
}

int glfs_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest) {
    return posix_spawn_file_actions_addclosefrom_np(actions, lowest);
}

void glfs_release_free_memory(void) { malloc_trim(0); }
