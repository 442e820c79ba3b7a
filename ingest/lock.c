/* lock: the one-writer lock (see lock.h). POSIX record locks belong to the process and go
 * away when any descriptor of the file is closed, so the lock file is opened once and kept
 * open for the whole run; no other code opens it while the lock is held. The holder removes
 * the file when it ends, so a finished run leaves nothing beside the mirror; whoever locks
 * a file checks that it is still the one at the path (else it was removed under it, and it
 * tries again), so two processes never hold locks on different files. */
#include "lock.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "banned.h"

struct lock {
    int fd;
    char path[]; /* FILE.lock */
};

static int lock_path(const char *db_path, char *out, size_t n)
{
    return snprintf(out, n, "%s.lock", db_path) < (int)n;
}

/* Read "pid N started T" from fd into h (best effort). */
static void read_holder(int fd, struct lock_holder *h)
{
    char text[128];
    ssize_t n = pread(fd, text, sizeof text - 1, 0);
    long pid = 0;
    char started[ISOTIME_MAX] = "";

    if (n <= 0)
        return;
    text[n] = '\0';
    if (sscanf(text, "pid %ld started %31s", &pid, started) >= 1 && !h->pid)
        h->pid = pid;
    if (started[0])
        snprintf(h->started, sizeof h->started, "%s", started);
}

int lock_probe(const char *db_path, struct lock_holder *h)
{
    char path[4096];
    struct flock fl;
    int fd, held = 0;

    memset(h, 0, sizeof *h);
    if (!lock_path(db_path, path, sizeof path))
        return 0;
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK) {
        held = 1;
        h->pid = (long)fl.l_pid;
        read_holder(fd, h);
    }
    close(fd);
    return held;
}

void lock_describe(const struct lock_holder *h, const char *db_path, char *out, size_t n)
{
    if (h->started[0])
        snprintf(out, n, "another callmine-ingest (pid %ld, started %s) is writing '%s'", h->pid,
                 h->started, db_path);
    else
        snprintf(out, n, "another callmine-ingest (pid %ld) is writing '%s'", h->pid, db_path);
}

/* Open and lock path once. 1: locked (*fd set); 0: the file was replaced or removed under
 * us (unlinked by a holder that finished): try again; -1: failed (e set). */
static int try_lock(const char *path, const char *db_path, int *fd_out, struct err *e)
{
    char who[512];
    struct lock_holder h;
    struct flock fl;
    struct stat a, b;
    int fd;

    fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        err_set(e, ERR_IO, "cannot create the lock file '%s': %s", path, strerror(errno));
        return -1;
    }
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_SETLK, &fl) != 0) {
        int err = errno;

        memset(&h, 0, sizeof h);
        if (fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK)
            h.pid = (long)fl.l_pid;
        read_holder(fd, &h);
        close(fd);
        if (err != EACCES && err != EAGAIN) {
            err_set(e, ERR_IO, "cannot lock '%s': %s", path, strerror(err));
            return -1;
        }
        lock_describe(&h, db_path, who, sizeof who);
        err_set(e, ERR_BUSY, "%s: wait for it to finish, or stop it", who);
        return -1;
    }
    /* the holder before us removes the file when it ends: a lock on that removed file
     * excludes nobody, so it must still be the file at path */
    if (fstat(fd, &a) != 0 || stat(path, &b) != 0 || a.st_dev != b.st_dev || a.st_ino != b.st_ino) {
        close(fd);
        return 0;
    }
    *fd_out = fd;
    return 1;
}

int lock_acquire(const char *db_path, struct lock **out, struct err *e)
{
    char path[4096], text[128], t[ISOTIME_MAX];
    struct lock *l = NULL;
    int fd = -1, len, got = 0;

    *out = NULL;
    if (!lock_path(db_path, path, sizeof path))
        return err_set(e, ERR_USAGE, "database path too long: '%.200s'", db_path);
    for (int tries = 0; tries < 100 && got == 0; tries++)
        got = try_lock(path, db_path, &fd, e);
    if (got < 0)
        return e->code;
    if (got == 0)
        return err_set(e, ERR_IO, "cannot lock '%s': it keeps being replaced", path);
    l = malloc(sizeof *l + strlen(path) + 1);
    if (!l) {
        close(fd);
        return err_set(e, ERR_NOMEM, "lock: out of memory");
    }
    l->fd = fd;
    memcpy(l->path, path, strlen(path) + 1);
    isotime_format(isotime_now_ms(), 0, t);
    len = snprintf(text, sizeof text, "pid %ld started %s\n", (long)getpid(), t);
    /* the text only names us in other processes' messages: failing to write it is harmless */
    if (ftruncate(fd, 0) == 0 && pwrite(fd, text, (size_t)len, 0) < 0)
        text[0] = '\0';
    *out = l;
    return ERR_OK;
}

void lock_release(struct lock *l)
{
    if (!l)
        return;
    unlink(l->path); /* still ours: nobody else can hold it (try_lock checks the inode) */
    close(l->fd);    /* drops the lock */
    free(l);
}
