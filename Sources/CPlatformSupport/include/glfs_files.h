#ifndef GLACIERFS_FILES_H
#define GLACIERFS_FILES_H
#include <sys/types.h>

// Frees the blocks of [offset, offset+length) and keeps the file size: the range then reads as
// zeros. Swift's Glibc module does not export fallocate(2) or its flags. Returns 0 or -errno.
int glfs_punch_hole(int fd, off_t offset, off_t length);

// O_DIRECT, which Swift's Glibc module hides behind _GNU_SOURCE.
int glfs_o_direct(void);

// Starts writing [offset, offset+length) back to disk without waiting (sync_file_range(2) with
// SYNC_FILE_RANGE_WRITE, hidden behind _GNU_SOURCE), so a later fsync has little left to do.
// Returns 0 or -errno.
int glfs_start_writeback(int fd, off_t offset, off_t length);

#include <spawn.h>

// Closes every descriptor from `lowest` up in a posix_spawn child (glibc's
// posix_spawn_file_actions_addclosefrom_np, hidden behind _GNU_SOURCE). Returns 0 or an errno.
int glfs_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

// Returns freed heap memory to the kernel (glibc's malloc_trim, which Swift's Glibc module does
// not export), after a burst of allocation such as building an archive index.
void glfs_release_free_memory(void);

#endif
