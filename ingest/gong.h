/* gong: the HTTP client for the Gong REST API v2 (libcurl only).
 *
 * It sends one GET or POST at a time over a reused keep-alive connection, paces requests
 * to a rate, spends a request budget, retries 429/5xx/network failures and returns the
 * raw response body. It does not parse JSON: callers hand the body to parse.c.
 * Credentials go into the Authorization header and nowhere else (never logged, never in
 * an error message). Not thread-safe: one client per thread, and gong_new() performs
 * libcurl's process-wide initialisation on first use, which must not race with other
 * threads. */
#ifndef CALLMINE_GONG_H
#define CALLMINE_GONG_H

#include <stddef.h>

#include "buf.h"
#include "err.h"

#define GONG_BACKOFF_CAP_S 30.0 /* exponential backoff never waits longer than this */
#define GONG_MAX_429 50         /* 429 answers tolerated for one request */
#define GONG_PACE_MARGIN 1.02   /* requests start at least GONG_PACE_MARGIN/rate s apart */

enum gong_auth { GONG_AUTH_BASIC, GONG_AUTH_BEARER };

/* Where a refreshable OAuth access token comes from (oauth.c provides one). get() stores
 * the token to send in *token (borrowed until the next call; never printed). refused = 1
 * after the server answered 401 to the token get() gave last: get a fresh one. It returns
 * ERR_OK or an error whose message is final (ERR_AUTH when the login is gone). release()
 * frees arg; the client calls it from gong_free() once gong_new() has succeeded. */
struct gong_token_source {
    int (*get)(void *arg, int refused, const char **token, struct err *e);
    void (*release)(void *arg);
    void *arg;
};

struct gong_config {
    const char *base_url; /* e.g. https://api.gong.io or http://127.0.0.1:PORT; no /v2 */
    enum gong_auth auth;
    const char *access_key;    /* basic */
    const char *access_secret; /* basic */
    const char *bearer_token;  /* bearer */
    double rate;               /* max requests per second; 0 = no client pacing */
    long budget;               /* requests this client may still send; <0 = unlimited */
    long timeout_s;            /* whole-request timeout, default 60 when 0 */
    int max_retries;         /* transient failures retried this many times per request; 6 when 0 */
    int max_wait_s;          /* a longer Retry-After stops with ERR_HTTP; 600 when 0 */
    int verbose;             /* one line per attempt on stderr: method path status ms */
    volatile int *stop_flag; /* non-zero: waits and transfers stop, ERR_INTERRUPT */
    double backoff_base_s;   /* first backoff step in seconds (doubles to 30 s); 1.0 when 0 */
    /* OAuth: the bearer comes from this refreshable source (then auth and bearer_token are
     * not used), or NULL */
    const struct gong_token_source *tokens;
    /* where the verbose lines go (a progress bar prints them above itself); NULL: stderr.
     * line has no newline. */
    void (*log)(void *log_arg, const char *line);
    void *log_arg;
};

struct gong_stats {
    long requests; /* attempts actually sent */
    long http_429; /* 429 answers received */
    long retries;  /* attempts that repeated an earlier one */
    long bytes;    /* response body bytes received (after gzip decoding) */
    double wait_s; /* seconds slept for pacing, Retry-After and backoff */
};

struct gong_result {
    long status; /* HTTP status of the final attempt; 0 when none arrived */
    int empty;   /* 404 "No ... found corresponding to the provided filters" */
};

struct gong_client;

/* Check cfg (base URL, credentials) and create a client. Returns NULL with ERR_USAGE in e
 * for a bad configuration (e.g. plain http to a non-loopback host), ERR_NOMEM or ERR_HTTP
 * when libcurl cannot start. cfg's strings are copied. Free with gong_free(). */
struct gong_client *gong_new(const struct gong_config *cfg, struct err *e);

/* Free the client. NULL is a no-op. */
void gong_free(struct gong_client *g);

/* GET base_url+path+"?"+query (query already URL-encoded, may be NULL). The body of the
 * final answer lands in out (reset first; owned by the caller). Returns ERR_OK for a 2xx
 * JSON answer and for the 404 "no ... found" answer (res->empty = 1); otherwise ERR_HTTP,
 * ERR_AUTH (401/403), ERR_CURSOR (expired cursor), ERR_BUDGET, ERR_INTERRUPT or ERR_NOMEM,
 * with a message naming the method and path and e->http_status the last status (0 if none). A body
 * past out->max (0 = 64 MiB) is ERR_HTTP. res may be NULL; res->status is the last attempt's status
 * (0 if none arrived). */
int gong_get(struct gong_client *g, const char *path, const char *query, struct buf *out,
             struct gong_result *res, struct err *e);

/* POST the NUL-terminated UTF-8 JSON text to base_url+path; otherwise as gong_get(). */
int gong_post(struct gong_client *g, const char *path, const char *json, struct buf *out,
              struct gong_result *res, struct err *e);

/* Open a connection to the base URL (TCP, and TLS with certificate checks for https)
 * without sending any HTTP request, so a wrong host or port is a configuration error found
 * within seconds rather than a retry loop. ERR_USAGE "cannot connect to URL: why" when
 * nothing answers (refused, DNS failure, timeout of min(timeout, 10) s, bad certificate),
 * ERR_INTERRUPT when asked to stop. Counts no request. */
int gong_check_reachable(struct gong_client *g, struct err *e);

/* Counters since gong_new(); the pointer lives as long as the client. */
const struct gong_stats *gong_stats(const struct gong_client *g);

/* The base URL in use (trailing slashes removed); lives as long as the client. */
const char *gong_base_url(const struct gong_client *g);

/* Append s, URL-encoded for a query string (RFC 3986: all but A-Z a-z 0-9 - . _ ~ become
 * %XX), to out. Does not reset out. ERR_NOMEM past out's maximum (out is then freed). */
int gong_urlencode(const char *s, struct buf *out, struct err *e);

/* ---- Pure helpers, exported for tests/unit/test_gong.c ---- */

/* What to do with one HTTP answer. */
enum gong_verdict {
    GONG_V_OK,     /* 2xx with a JSON content type */
    GONG_V_EMPTY,  /* 404 "... found corresponding to the provided filters" */
    GONG_V_RETRY,  /* 500/502/503/504, or a 2xx that is not JSON (a proxy's HTML page) */
    GONG_V_RATE,   /* 429 */
    GONG_V_AUTH,   /* 401 or 403 */
    GONG_V_CURSOR, /* a 4xx whose body says "cursor has expired" (any case) */
    GONG_V_FAIL    /* anything else */
};

/* Classify an answer. content_type and body (NUL-terminated) may be NULL. */
enum gong_verdict gong_classify(long status, const char *content_type, const char *body);

/* 1 if content_type's media type is application/json or ends in +json (any case). */
int gong_is_json(const char *content_type);

/* 1 if the libcurl error code (a CURLcode) is worth retrying: timeouts, refused or reset
 * connections, truncated or missing answers, bad content encoding. */
int gong_curl_transient(int curl_code);

/* Check a base URL: https, or http only to a loopback host. Returns ERR_OK or ERR_USAGE
 * with a message. */
int gong_check_url(const char *url, struct err *e);

/* 1 if host (as libcurl's URL API returns it) is loopback: 127.0.0.0/8, ::1 (bracketed
 * or not), ::ffff:127.x.y.z, or localhost. */
int gong_host_is_loopback(const char *host);

/* The OAuth scope an API path needs ("api:users:read"), or NULL when unknown. Static. */
const char *gong_scope_for_path(const char *path);

/* Seconds to wait before retry number n (0 = first retry): full jitter, u * min(cap,
 * base_s * 2^n) with u in [0,1) and cap GONG_BACKOFF_CAP_S. */
double gong_backoff_s(double base_s, int n, double u);

/* Seconds to wait after a 429: retry_after_s when given (> 0), else backoff_s (libcurl
 * reports a missing header and "Retry-After: 0" alike as 0); -1 when retry_after_s
 * exceeds max_wait_s (give up and re-run later). */
double gong_wait_429(long retry_after_s, int max_wait_s, double backoff_s);

/* Copy up to 200 bytes of body into out (size n) as one printable line: control bytes
 * become spaces, runs of spaces collapse, a cut never splits a UTF-8 sequence. "(empty
 * body)" when there is nothing to show. Returns out. */
char *gong_sanitize(const char *body, size_t len, char *out, size_t n);

#endif
