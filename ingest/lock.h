/* lock: one writer per mirror. callmine-ingest holds an advisory fcntl write lock on the
 * sidecar file FILE.lock for its whole run and removes the file when it ends. The kernel
 * drops the lock when the process ends, however it ends (kill -9 included: the file then
 * stays, unlocked), so a lock is never stale; the file's text (pid, start time) only names
 * the holder for messages. */
#ifndef CALLMINE_LOCK_H
#define CALLMINE_LOCK_H

#include "err.h"
#include "isotime.h"

struct lock;

struct lock_holder {
    long pid;                  /* the process holding the lock; 0 when unknown */
    char started[ISOTIME_MAX]; /* when it took the lock (UTC text); "" when unknown */
};

/* Is db_path's lock held by a live process? Creates nothing. 1 held (*h filled), 0 free
 * (or no lock file). */
int lock_probe(const char *db_path, struct lock_holder *h);

/* Take db_path's lock without waiting (creating FILE.lock, mode 0600, if needed) and write
 * this process's pid and start time into it. ERR_BUSY with a message naming the holder
 * when another process has it; ERR_IO when the file cannot be created. Release with
 * lock_release(). */
int lock_acquire(const char *db_path, struct lock **out, struct err *e);

/* Remove FILE.lock and drop the lock. NULL is a no-op. */
void lock_release(struct lock *l);

/* "another callmine-ingest (pid N, started T) is writing 'db'" into out. */
void lock_describe(const struct lock_holder *h, const char *db_path, char *out, size_t n);

#endif
