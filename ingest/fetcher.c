/* fetcher: a worker thread that runs gong_post/gong_get for the main thread (fetcher.h).
 *
 * One mutex and one condition variable guard a single request slot: the main thread fills
 * it and raises `pending`; the worker sends the request and raises `done`; the main thread
 * collects the answer and clears both. The worker touches the client only between those
 * two points, the main thread only outside them. */
#include "fetcher.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

struct fetcher {
    struct gong_client *g;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int pending; /* a request is waiting for the worker or in flight */
    int done;    /* its answer is ready */
    int quit;
    /* the request */
    int post;
    char *path;
    char *req;
    /* the answer */
    int rc;
    struct err e;
    struct buf body;
    struct gong_result res;
    struct gong_stats stats; /* the client's counters when the answer was collected */
};

static void *worker(void *arg)
{
    struct fetcher *f = arg;

    pthread_mutex_lock(&f->mu);
    for (;;) {
        while (!f->quit && !(f->pending && !f->done))
            pthread_cond_wait(&f->cv, &f->mu);
        if (f->quit)
            break;
        pthread_mutex_unlock(&f->mu);
        memset(&f->e, 0, sizeof f->e);
        memset(&f->res, 0, sizeof f->res);
        f->rc = f->post ? gong_post(f->g, f->path, f->req, &f->body, &f->res, &f->e)
                        : gong_get(f->g, f->path, f->req && *f->req ? f->req : NULL, &f->body,
                                   &f->res, &f->e);
        pthread_mutex_lock(&f->mu);
        f->done = 1;
        pthread_cond_broadcast(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
    return NULL;
}

struct fetcher *fetcher_new(struct gong_client *g, struct err *e)
{
    struct fetcher *f = calloc(1, sizeof *f);

    if (!f) {
        err_set(e, ERR_NOMEM, "start the fetch thread: out of memory");
        return NULL;
    }
    f->g = g;
    buf_init(&f->body, 0);
    f->stats = *gong_stats(g);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    if (pthread_create(&f->thread, NULL, worker, f) != 0) {
        pthread_cond_destroy(&f->cv);
        pthread_mutex_destroy(&f->mu);
        free(f);
        err_set(e, ERR_NOMEM, "start the fetch thread: cannot create a thread");
        return NULL;
    }
    return f;
}

void fetcher_free(struct fetcher *f)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    while (f->pending && !f->done) /* the stop flag ends a long wait early */
        pthread_cond_wait(&f->cv, &f->mu);
    f->quit = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    free(f->path);
    free(f->req);
    buf_release(&f->body);
    free(f);
}

int fetcher_submit(struct fetcher *f, int post, const char *path, const char *req, struct err *e)
{
    char *p, *q = NULL;

    if (f->pending)
        return err_set(e, ERR_USAGE, "fetch '%s': a request is already in flight", path);
    p = strdup(path);
    if (!p || (req && !(q = strdup(req)))) {
        free(p);
        return err_set(e, ERR_NOMEM, "fetch '%s': out of memory", path);
    }
    pthread_mutex_lock(&f->mu);
    free(f->path);
    free(f->req);
    f->path = p;
    f->req = q;
    f->post = post;
    f->done = 0;
    f->pending = 1;
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    return ERR_OK;
}

int fetcher_busy(const struct fetcher *f)
{
    return f->pending;
}

int fetcher_wait(struct fetcher *f, struct buf *body, struct gong_result *res, struct err *e)
{
    struct buf tmp;

    if (!f->pending)
        return err_set(e, ERR_USAGE, "fetch: nothing was asked for");
    pthread_mutex_lock(&f->mu);
    while (!f->done)
        pthread_cond_wait(&f->cv, &f->mu);
    f->pending = 0;
    f->done = 0;
    f->stats = *gong_stats(f->g);
    pthread_mutex_unlock(&f->mu);
    tmp = *body; /* hand the answer over; the worker fills the old buffer next time */
    *body = f->body;
    f->body = tmp;
    *res = f->res;
    if (f->rc)
        *e = f->e;
    return f->rc;
}

const struct gong_stats *fetcher_stats(const struct fetcher *f)
{
    return &f->stats;
}
