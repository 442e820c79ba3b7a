/* fetcher: one Gong request at a time, sent from a thread of its own, so that the next
 * request is in flight while the main thread parses and stores the last answer.
 *
 * The fetch thread owns the gong client while a request is in flight: pacing, retries,
 * the budget and the stop flag are gong.c's, unchanged, and requests still go out one
 * after the other in the order they were submitted. The main thread submits a request
 * (copied), does its database work, then waits for the answer; it never touches the
 * client in between, and reads the client's counters through fetcher_stats(), a copy taken
 * when the last answer was collected. */
#ifndef CALLMINE_FETCHER_H
#define CALLMINE_FETCHER_H

#include "buf.h"
#include "err.h"
#include "gong.h"

struct fetcher;

/* Start the fetch thread for g (borrowed; it must outlive the fetcher). NULL with e set
 * (ERR_NOMEM) when the thread cannot start. */
struct fetcher *fetcher_new(struct gong_client *g, struct err *e);

/* Stop the thread, after the request in flight (if any) has ended. NULL ok. */
void fetcher_free(struct fetcher *f);

/* Send POST path with body req (post 1), or GET path?req (post 0; req NULL or "" for no
 * query). Both strings are copied. Only one request may be in flight: ERR_USAGE otherwise.
 * ERR_NOMEM when the copy fails. */
int fetcher_submit(struct fetcher *f, int post, const char *path, const char *req, struct err *e);

/* 1 while a submitted request's answer has not been collected. */
int fetcher_busy(const struct fetcher *f);

/* Wait for the submitted request and collect its answer: what gong_post/gong_get returned,
 * with the body in *body (the buffers are swapped, so no copy is made) and the result in
 * *res. ERR_USAGE when nothing was submitted. */
int fetcher_wait(struct fetcher *f, struct buf *body, struct gong_result *res, struct err *e);

/* The client's counters as of the last fetcher_wait() (or fetcher_new()). */
const struct gong_stats *fetcher_stats(const struct fetcher *f);

#endif
