#define _GNU_SOURCE
#include "glfs_spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

// One request at a time goes to the spawner thread; callers wait for its answer.
static pthread_once_t spawner_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t callers = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t changed = PTHREAD_COND_INITIALIZER;
static const struct glfs_spawn_request *pending;
static pid_t answer;
static int answered;
static int spawner_failed;

// Only async-signal-safe calls between fork and exec: the other threads' locks are copied held.
static void child_fail(int report, int error) {
    (void)!write(report, &error, sizeof error);
    _exit(127);
}

static int redirect(const char *path, int flags, int fd, int target) {
    if (path) {
        int opened = open(path, flags, 0600);
        if (opened < 0) return errno;
        if (opened != target) {
            if (dup2(opened, target) < 0) return errno;
            close(opened);
        }
        return 0;
    }
    return dup2(fd, target) < 0 ? errno : 0;
}

static void run_child(const struct glfs_spawn_request *r, pid_t parent, int report) {
    if (r->tied) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) child_fail(report, errno);
        if (getppid() != parent) _exit(127);  // the parent died before prctl took effect
    }
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int s = 1; s < NSIG; s++) (void)sigaction(s, &dfl, NULL);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    int e = r->stdin_fd < 0 ? redirect("/dev/null", O_RDONLY, -1, 0) : redirect(NULL, 0, r->stdin_fd, 0);
    if (!e) {
        e = r->stdout_path ? redirect(r->stdout_path, O_WRONLY | O_CREAT | O_TRUNC, -1, 1)
            : r->stdout_fd < 0 ? redirect("/dev/null", O_WRONLY, -1, 1) : redirect(NULL, 0, r->stdout_fd, 1);
    }
    if (!e) {
        e = r->stderr_path ? redirect(r->stderr_path, O_WRONLY | O_CREAT | O_TRUNC, -1, 2)
            : redirect(NULL, 0, r->stderr_fd < 0 ? 1 : r->stderr_fd, 2);
    }
    if (e) child_fail(report, e);
    // Every other descriptor closes at exec (the report pipe with them); other threads open
    // files without close-on-exec.
    if (close_range(3, ~0U, CLOSE_RANGE_CLOEXEC) != 0) {  // kernels before 5.11
        for (int fd = 3; fd < 65536; fd++) (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    execve(r->path, r->argv, r->envp);
    child_fail(report, errno);
}

static pid_t spawn_here(const struct glfs_spawn_request *r) {
    int report[2];
    if (pipe2(report, O_CLOEXEC) != 0) return -errno;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) run_child(r, parent, report[1]);
    int fork_error = errno;
    close(report[1]);
    if (pid < 0) {
        close(report[0]);
        return -fork_error;
    }
    int error = 0;
    ssize_t n;
    do { n = read(report[0], &error, sizeof error); } while (n < 0 && errno == EINTR);
    close(report[0]);
    if (n == (ssize_t)sizeof error) {  // it never ran the program
        int status;
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
        return -(error ? error : ECHILD);
    }
    return pid;
}

static void *spawner(void *unused) {
    (void)unused;
    pthread_mutex_lock(&lock);
    for (;;) {
        while (!pending) pthread_cond_wait(&changed, &lock);
        answer = spawn_here(pending);
        pending = NULL;
        answered = 1;
        pthread_cond_broadcast(&changed);
    }
    return NULL;
}

static void start_spawner(void) {
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    spawner_failed = pthread_create(&thread, &attributes, spawner, NULL);
    pthread_attr_destroy(&attributes);
}

pid_t glfs_spawn(const struct glfs_spawn_request *request) {
    if (!request->tied) return spawn_here(request);
    pthread_once(&spawner_once, start_spawner);
    if (spawner_failed) return -spawner_failed;
    pthread_mutex_lock(&callers);
    pthread_mutex_lock(&lock);
    pending = request;
    answered = 0;
    pthread_cond_broadcast(&changed);
    while (!answered) pthread_cond_wait(&changed, &lock);
    pid_t pid = answer;
    pthread_mutex_unlock(&lock);
    pthread_mutex_unlock(&callers);
    return pid;
}
