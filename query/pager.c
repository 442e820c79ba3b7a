/* pager: run a pager on stdout for a terminal (see pager.h).
 *
 * The pager is a child of this process reading a pipe; file descriptor 1 is that pipe until
 * pager_finish(). The child keeps the terminal as its stdout and stderr. */
#include "pager.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "banned.h"

static pid_t pager_pid = -1;

/* Close our end of the pipe, wait for the pager, then die of the signal as before. Only
 * async-signal-safe calls. */
static void on_signal(int sig)
{
    close(STDOUT_FILENO);
    if (pager_pid > 0)
        waitpid(pager_pid, NULL, 0);
    signal(sig, SIG_DFL);
    raise(sig);
}

/* In the child: run the pager on the pipe; when none can be started, copy the text through
 * so that nothing is lost. Never returns. */
static void run_pager(const char *pager)
{
    char b[8192];
    ssize_t n;

    if (!getenv("LESS"))
        setenv("LESS", "FRX", 1);
    if (pager)
        execl("/bin/sh", "sh", "-c", pager, (char *)NULL);
    else
        execlp("less", "less", "-R", (char *)NULL);
    while ((n = read(STDIN_FILENO, b, sizeof b)) > 0)
        if (write(STDOUT_FILENO, b, (size_t)n) != n)
            break;
    _exit(0);
}

int pager_start(void)
{
    const char *pager = getenv("PAGER");
    int fds[2];
    pid_t pid;

    if (pager_pid > 0 || !isatty(STDOUT_FILENO) || (pager && !*pager))
        return 0;
    if (pipe(fds) != 0)
        return 0;
    fflush(stdout);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return 0;
    }
    if (pid == 0) {
        dup2(fds[0], STDIN_FILENO);
        close(fds[0]);
        close(fds[1]);
        run_pager(pager);
    }
    close(fds[0]);
    if (dup2(fds[1], STDOUT_FILENO) < 0) {
        close(fds[1]);
        kill(pid, SIGTERM);
        waitpid(pid, NULL, 0);
        return 0;
    }
    close(fds[1]);
    pager_pid = pid;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGHUP, on_signal);
    return 1;
}

int pager_gone(void)
{
    if (pager_pid <= 0)
        return 0;
    return errno == EPIPE || waitpid(pager_pid, NULL, WNOHANG) == pager_pid;
}

void pager_finish(void)
{
    int fd;

    if (pager_pid <= 0)
        return;
    fflush(stdout);
    clearerr(stdout);
    /* stdout now writes to /dev/null: the pager sees the end of its input */
    fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) {
        dup2(fd, STDOUT_FILENO);
        close(fd);
    } else {
        close(STDOUT_FILENO);
    }
    while (waitpid(pager_pid, NULL, 0) < 0 && errno == EINTR)
        ;
    pager_pid = -1;
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
}
