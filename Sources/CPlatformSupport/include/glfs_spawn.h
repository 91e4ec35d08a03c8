#ifndef GLACIERFS_SPAWN_H
#define GLACIERFS_SPAWN_H
#include <sys/types.h>

// Starting a child process with a clean slate (signal mask empty, default dispositions, only
// fds 0-2 inherited), optionally tied to this process: with `tied`, the child gets
// prctl(PR_SET_PDEATHSIG, SIGKILL) before exec, so it dies when this process dies, however that
// happens. posix_spawn cannot do that, hence fork + exec here.
//
// The kernel sends the parent-death signal when the *thread* that forked exits, not the
// process, so every fork is done by one thread made for it that lives as long as the process.
struct glfs_spawn_request {
    const char *path;          // the executable (no PATH search)
    char *const *argv;         // NULL-terminated
    char *const *envp;         // NULL-terminated
    int stdin_fd;              // -1: /dev/null
    const char *stdout_path;   // if set: opened write-only, created 0600, truncated
    int stdout_fd;             // used when stdout_path is NULL; -1: /dev/null
    const char *stderr_path;   // if set: opened like stdout_path (truncated)
    int stderr_fd;             // used when stderr_path is NULL; -1: the same as stdout
    int tied;                  // nonzero: SIGKILL when this process dies
};

// Starts the child. Returns its pid, or -errno (from the exec or a redirection when the
// program could not start; the failed child is reaped).
pid_t glfs_spawn(const struct glfs_spawn_request *request);

#endif
