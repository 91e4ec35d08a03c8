#ifndef GLACIERFS_CFUSE3_SHIM_H
#define GLACIERFS_CFUSE3_SHIM_H
// 314: fuse_session_loop_mt is a real function at this level on libfuse 3.14 (a macro at 31/35).
#define FUSE_USE_VERSION 314
#include <errno.h>
#include <stddef.h>
#include <fuse_lowlevel.h>

// Swift cannot import the FUSE_ARGS_INIT macro; this is its equivalent.
static inline struct fuse_args glfs_fuse_args_init(int argc, char **argv) {
    struct fuse_args args = FUSE_ARGS_INIT(argc, argv);
    return args;
}

// fuse_file_info packs flags into bit-fields, which Swift imports awkwardly; set them here.
static inline void glfs_fi_set_keep_cache(struct fuse_file_info *fi) { fi->keep_cache = 1; fi->noflush = 1; }
static inline void glfs_fi_set_direct_io(struct fuse_file_info *fi) { fi->direct_io = 1; }

#endif
