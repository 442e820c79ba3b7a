/* report_pre: the report's analyses run ahead on a second thread (see report_pre.h).
 *
 * The thread opens its own connection as the command opened the first (cmd_open_db,
 * scope_connect, the stages, the scope for the same filter), then runs the jobs in order.
 * Each result is kept under p->mu and the waiting page thread woken (p->cv). The page thread
 * may stop it early (report_pre_end): the flag is read between jobs, and the running query
 * is interrupted. */
#include "report_pre.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rpage.h"
#include "scope.h"

#include "banned.h"

/* Run job j on db (its scope built) into j->rs, or its failure into j->rc and j->e. */
static void run_job(struct report_pre *p, sqlite3 *db, struct report_pre_job *j)
{
    struct analysis_params ap = {NULL, p->flags, p->speaker, j->by, NULL};

    j->rc = rpage_analysis(db, p->set, j->name, &ap, j->max, 1, &j->rs, &j->e);
}

/* Record the result of job k (or, with a failed setup, of every job from k on) and wake the
 * page thread. */
static void finish(struct report_pre *p, size_t k, int rc, const struct err *e)
{
    pthread_mutex_lock(&p->mu);
    for (size_t i = k; i < p->n_jobs; i++) {
        if (rc) {
            p->jobs[i].rc = rc;
            p->jobs[i].e = *e;
        }
        p->jobs[i].done = 1;
        if (!rc)
            break;
    }
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static void *thread_main(void *arg)
{
    struct report_pre *p = arg;
    double w0 = rpage_clock(CLOCK_MONOTONIC), c0 = rpage_clock(CLOCK_THREAD_CPUTIME_ID);
    sqlite3 *db = NULL;
    struct err e;
    size_t k = 0;
    int rc;

    err_clear(&e);
    if (!(rc = cmd_open_db(p->c, &db, &e))) {
        pthread_mutex_lock(&p->mu);
        p->db = db;
        rc = p->stop ? err_set(&e, ERR_IO, "report: stopped") : ERR_OK;
        pthread_mutex_unlock(&p->mu);
    }
    /* half the first connection's page cache: the two together stay within the report's
     * memory bound */
    if (!rc && !(rc = scope_connect(db, &e)) &&
        !(rc = db_exec(db, "PRAGMA cache_size = -16384", &e)) &&
        !(rc = analysis_stages(db, p->stages, &e)) && !(rc = scope_build(db, p->f, 1, &e)))
        rc = scope_materialize(db, 1, &e); /* Gong's stats looked up if read */
    for (; k < p->n_jobs && !rc; k++) {
        int stop;

        pthread_mutex_lock(&p->mu);
        stop = p->stop;
        pthread_mutex_unlock(&p->mu);
        if (stop)
            break;
        run_job(p, db, &p->jobs[k]);
        finish(p, k, 0, NULL);
    }
    if (rc)
        finish(p, k, rc, &e);
    pthread_mutex_lock(&p->mu);
    p->db = NULL;
    pthread_mutex_unlock(&p->mu);
    sqlite3_close(db);
    p->wall = rpage_clock(CLOCK_MONOTONIC) - w0;
    p->cpu = rpage_clock(CLOCK_THREAD_CPUTIME_ID) - c0;
    return NULL;
}

int report_pre_start(struct report_pre *p, const struct cmd_ctx *c, const struct filter *f,
                     const char *stages, const struct analysis_set *set, const char *flags,
                     const char *speaker, const struct report_pre_job *jobs, size_t n_jobs,
                     struct err *e)
{
    memset(p, 0, sizeof *p);
    if (n_jobs > REPORT_PRE_MAX_JOBS)
        n_jobs = REPORT_PRE_MAX_JOBS;
    for (size_t i = 0; i < n_jobs; i++) {
        p->jobs[i].name = jobs[i].name;
        p->jobs[i].by = jobs[i].by;
        p->jobs[i].max = jobs[i].max;
    }
    p->n_jobs = n_jobs;
    p->c = c;
    p->f = f;
    p->stages = stages;
    p->set = set;
    p->flags = flags;
    p->speaker = speaker;
    if (pthread_mutex_init(&p->mu, NULL) != 0)
        return err_set(e, ERR_NOMEM, "report: start a thread: no mutex");
    if (pthread_cond_init(&p->cv, NULL) != 0) {
        pthread_mutex_destroy(&p->mu);
        return err_set(e, ERR_NOMEM, "report: start a thread: no condition variable");
    }
    if (pthread_create(&p->tid, NULL, thread_main, p) != 0) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
        return err_set(e, ERR_IO, "report: start a thread: failed");
    }
    p->started = 1;
    return ERR_OK;
}

int report_pre_take(struct report_pre *p, const char *name, const char *by, size_t max,
                    struct html_rs *rs, int *rc, struct err *e)
{
    struct report_pre_job *j = NULL;

    if (!p || !p->started)
        return 0;
    for (size_t i = 0; i < p->n_jobs && !j; i++)
        if (!p->jobs[i].taken && p->jobs[i].max == max && strcmp(p->jobs[i].name, name) == 0 &&
            strcmp(p->jobs[i].by, by) == 0)
            j = &p->jobs[i];
    if (!j)
        return 0;
    pthread_mutex_lock(&p->mu);
    while (!j->done)
        pthread_cond_wait(&p->cv, &p->mu);
    pthread_mutex_unlock(&p->mu);
    j->taken = 1;
    *rs = j->rs;
    memset(&j->rs, 0, sizeof j->rs);
    if ((*rc = j->rc))
        *e = j->e;
    return 1;
}

void report_pre_end(struct report_pre *p)
{
    if (!p->started)
        return;
    pthread_mutex_lock(&p->mu);
    p->stop = 1;
    if (p->db)
        sqlite3_interrupt(p->db);
    pthread_mutex_unlock(&p->mu);
    pthread_join(p->tid, NULL);
    for (size_t i = 0; i < p->n_jobs; i++)
        html_rs_free(&p->jobs[i].rs);
    pthread_cond_destroy(&p->cv);
    pthread_mutex_destroy(&p->mu);
    p->started = 0;
}
