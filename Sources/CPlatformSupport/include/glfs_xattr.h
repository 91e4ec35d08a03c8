#ifndef GLACIERFS_XATTR_H
#define GLACIERFS_XATTR_H
#include <sys/types.h>

// getxattr(2), which Swift's Glibc module does not export. The CLI reads a mount's status
// through it. Returns the value's size, or -1 with errno set.
ssize_t glfs_getxattr(const char *path, const char *name, void *value, size_t size);

#endif
