/* gong: the HTTP side of callmine-ingest (see gong.h).
 *
 * One libcurl easy handle is reused for every request so the connection stays alive.
 * Each request is a loop of attempts: stop if interrupted or the budget is spent, wait
 * for the pacing slot, send, then classify the answer (gong_classify) and either return,
 * or wait (Retry-After or jittered exponential backoff) and send again. 429s do not use
 * up max_retries, since the server says when to come back; they are capped at
 * GONG_MAX_429 per request. The decisions are small pure functions so the unit tests can
 * check them without a network. Waits sleep in slices of at most 100 ms and watch
 * cfg.stop_flag; a transfer in flight is aborted through the progress callback. */
#include "gong.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <curl/curl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

#define GONG_SLICE_S 0.1 /* longest single sleep between stop_flag checks */
#define GONG_EXCERPT 200 /* bytes of an error body quoted in messages */
#define GONG_USER_AGENT "callmine/0.1"

struct gong_client {
    CURL *curl;
    struct curl_slist *hdr_get;  /* Accept (libcurl adds Authorization) */
    struct curl_slist *hdr_post; /* the same plus Content-Type and an empty Expect */
    char *base_url;
    double rate;
    long budget;
    long timeout_s;
    int max_retries;
    int max_wait_s;
    int verbose;
    volatile int *stop_flag;
    double backoff_base_s;
    void (*log)(void *log_arg, const char *line);
    void *log_arg;
    double last_start; /* CLOCK_MONOTONIC seconds of the last attempt; < 0 before the first */
    uint64_t rng;      /* xorshift64 state for backoff jitter */
    struct buf *out;   /* the body being received */
    int too_big;       /* the body went past out->max */
    struct gong_stats stats;
    struct gong_token_source tokens; /* OAuth: asked for the bearer before each attempt */
    int has_tokens;
    char errbuf[CURL_ERROR_SIZE];
};

static int curl_ready; /* curl_global_init done (the module's only global) */

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int stopped(const struct gong_client *g)
{
    return g->stop_flag && *g->stop_flag;
}

/* Sleep s seconds in slices, counting the time in stats. ERR_INTERRUPT when asked to stop. */
static int wait_s(struct gong_client *g, double s)
{
    double start = now_s(), left;
    struct timespec ts;

    for (;;) {
        if (stopped(g))
            break;
        left = start + s - now_s();
        if (left <= 0)
            break;
        if (left > GONG_SLICE_S)
            left = GONG_SLICE_S;
        ts.tv_sec = 0;
        ts.tv_nsec = (long)(left * 1e9);
        nanosleep(&ts, NULL); /* EINTR just ends the slice early */
    }
    g->stats.wait_s += now_s() - start;
    return stopped(g) ? ERR_INTERRUPT : ERR_OK;
}

static double random_unit(struct gong_client *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return (double)(g->rng >> 11) / 9007199254740992.0; /* 2^53: [0,1) */
}

/* 1 if the first n bytes of a and b are equal ignoring ASCII case (a may be shorter). */
static int eq_nocase(const char *a, const char *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++) {
        if (!a[i] || tolower((unsigned char)a[i]) != tolower((unsigned char)b[i]))
            return 0;
    }
    return 1;
}

static int contains_nocase(const char *hay, const char *needle)
{
    size_t n = strlen(needle);

    for (; hay && *hay; hay++) {
        if (eq_nocase(hay, needle, n))
            return 1;
    }
    return 0;
}

/* ---- pure helpers ---- */

int gong_is_json(const char *ct)
{
    size_t n;

    if (!ct)
        return 0;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    n = strcspn(ct, "; \t");
    if (n == 16 && eq_nocase(ct, "application/json", 16))
        return 1;
    return n > 17 && eq_nocase(ct, "application/", 12) && eq_nocase(ct + n - 5, "+json", 5);
}

enum gong_verdict gong_classify(long status, const char *content_type, const char *body)
{
    if (status >= 200 && status < 300)
        return gong_is_json(content_type) ? GONG_V_OK : GONG_V_RETRY;
    if (status == 401 || status == 403)
        return GONG_V_AUTH;
    if (status == 429)
        return GONG_V_RATE;
    if (status >= 400 && status < 500 && contains_nocase(body, "cursor has expired"))
        return GONG_V_CURSOR;
    if (status == 404 && body && strstr(body, "found corresponding to the provided filters"))
        return GONG_V_EMPTY;
    if (status == 500 || status == 502 || status == 503 || status == 504)
        return GONG_V_RETRY;
    return GONG_V_FAIL;
}

int gong_curl_transient(int code)
{
    switch ((CURLcode)code) {
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_COULDNT_CONNECT:
    case CURLE_PARTIAL_FILE:
    case CURLE_GOT_NOTHING:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM: return 1;
    default: return 0;
    }
}

int gong_host_is_loopback(const char *host)
{
    unsigned char a[16];
    char v6[64];
    size_t n;

    if (!host)
        return 0;
    n = strlen(host);
    if ((n == 9 || (n == 10 && host[9] == '.')) && eq_nocase(host, "localhost", 9))
        return 1;
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127;
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
        if (n - 2 >= sizeof v6)
            return 0;
        memcpy(v6, host + 1, n - 2);
        v6[n - 2] = '\0';
        host = v6;
    }
    if (inet_pton(AF_INET6, host, a) != 1)
        return 0;
    if (memcmp(a, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0)
        return 1; /* ::1 */
    return memcmp(a, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0 && a[12] == 127;
}

int gong_check_url(const char *url, struct err *e)
{
    CURLU *u = NULL;
    CURLUcode uc;
    char *scheme = NULL, *host = NULL, *part = NULL;
    int rc = ERR_OK;

    if (!url || !*url)
        return err_set(e, ERR_USAGE, "missing base url");
    u = curl_url();
    if (!u)
        return err_set(e, ERR_NOMEM, "base url: out of memory");
    uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc) {
        rc = err_set(e, ERR_USAGE, "bad base url '%s': %s", url, curl_url_strerror(uc));
        goto done;
    }
    if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK) {
        /* do not echo the URL: it may hold a password */
        rc = err_set(e, ERR_USAGE, "base url must not contain a user name or password");
        goto done;
    }
    if (curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
        rc = err_set(e, ERR_USAGE, "bad base url '%s': no query or fragment allowed", url);
        goto done;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
        rc = err_set(e, ERR_USAGE, "bad base url '%s': no scheme or host", url);
        goto done;
    }
    if (strcmp(scheme, "https") == 0)
        goto done;
    if (strcmp(scheme, "http") != 0) {
        rc = err_set(e, ERR_USAGE, "bad base url '%s': scheme '%s' is not supported, use https",
                     url, scheme);
        goto done;
    }
    if (!gong_host_is_loopback(host))
        rc = err_set(e, ERR_USAGE,
                     "refusing plain http to '%s': use https (http is allowed only for loopback "
                     "test servers)",
                     host);
done:
    curl_free(part);
    curl_free(scheme);
    curl_free(host);
    curl_url_cleanup(u);
    return rc;
}

/* "/v2/calls" matches "/v2/calls" and "/v2/calls/..." but not "/v2/callsX". */
static int path_under(const char *path, const char *prefix)
{
    size_t n = strlen(prefix);

    return strncmp(path, prefix, n) == 0 && (path[n] == '\0' || path[n] == '/');
}

const char *gong_scope_for_path(const char *path)
{
    if (!path)
        return NULL;
    if (path_under(path, "/v2/calls/extensive"))
        return "api:calls:read:extensive";
    if (path_under(path, "/v2/calls/transcript"))
        return "api:calls:read:transcript";
    if (path_under(path, "/v2/calls"))
        return "api:calls:read:basic";
    if (path_under(path, "/v2/users"))
        return "api:users:read";
    if (path_under(path, "/v2/workspaces"))
        return "api:workspaces:read";
    return NULL;
}

double gong_backoff_s(double base_s, int n, double u)
{
    double d = base_s > 0 ? base_s : 1.0;

    while (n-- > 0 && d < GONG_BACKOFF_CAP_S)
        d *= 2;
    if (d > GONG_BACKOFF_CAP_S)
        d = GONG_BACKOFF_CAP_S;
    if (u < 0)
        u = 0;
    return u < 1 ? u * d : d;
}

double gong_wait_429(long retry_after_s, int max_wait_s, double backoff_s)
{
    if (retry_after_s <= 0)
        return backoff_s;
    if (retry_after_s > max_wait_s)
        return -1;
    return (double)retry_after_s;
}

char *gong_sanitize(const char *body, size_t len, char *out, size_t n)
{
    size_t i = 0, o = 0, lim = n ? n - 1 : 0;
    int space = 1; /* drops leading spaces and collapses runs */

    if (!n)
        return out;
    if (!body)
        len = 0;
    if (lim > GONG_EXCERPT)
        lim = GONG_EXCERPT;
    for (; i < len && o < lim; i++) {
        unsigned char c = (unsigned char)body[i];
        if (c < 0x20 || c == 0x7f) {
            if (!space)
                out[o++] = ' ';
            space = 1;
            continue;
        }
        if (c == ' ' && space)
            continue;
        out[o++] = (char)c;
        space = c == ' ';
    }
    if (i < len && o > 0 && ((unsigned char)body[i] & 0xc0) == 0x80) {
        /* cut inside a UTF-8 sequence: drop its lead and continuation bytes */
        while (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0x80)
            o--;
        if (o > 0 && ((unsigned char)out[o - 1] & 0xc0) == 0xc0)
            o--;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
    if (!o)
        snprintf(out, n, "(empty body)");
    return out;
}

int gong_urlencode(const char *s, struct buf *out, struct err *e)
{
    static const char hex[] = "0123456789ABCDEF";
    char q[3] = {'%', 0, 0};
    int rc = ERR_OK;

    for (; *s && !rc; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            rc = buf_putc(out, (char)c, e);
            continue;
        }
        q[1] = hex[c >> 4];
        q[2] = hex[c & 15];
        rc = buf_append(out, q, 3, e);
    }
    return rc;
}

/* ---- the client ---- */

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct gong_client *g = arg;
    size_t n = size * nmemb;

    g->stats.bytes += (long)n;
    if (n > g->out->max - g->out->len) { /* max is set: see gong_get() */
        g->too_big = 1;
        return 0; /* aborts the transfer with CURLE_WRITE_ERROR */
    }
    return buf_append(g->out, p, n, NULL) ? 0 : n;
}

static int on_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt, (void)dn, (void)ut, (void)un;
    return stopped(arg);
}

/* Give the credentials to libcurl, which sends "Authorization: Basic base64(key:secret)"
 * or "Authorization: Bearer token" with every request. They are never echoed. */
static int set_auth(struct gong_client *g, const struct gong_config *cfg, struct err *e)
{
    CURLcode cc = CURLE_OK;

    if (cfg->tokens) { /* the token itself is set before each attempt (send_once) */
        if (!cfg->tokens->get)
            return err_set(e, ERR_USAGE, "missing OAuth token source");
        cc = curl_easy_setopt(g->curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
    } else if (cfg->auth == GONG_AUTH_BEARER) {
        if (!cfg->bearer_token || !*cfg->bearer_token)
            return err_set(e, ERR_USAGE, "missing bearer token");
        if (strpbrk(cfg->bearer_token, "\r\n"))
            return err_set(e, ERR_USAGE, "the bearer token must not contain a line break");
        curl_easy_setopt(g->curl, CURLOPT_HTTPAUTH, CURLAUTH_BEARER);
        cc = curl_easy_setopt(g->curl, CURLOPT_XOAUTH2_BEARER, cfg->bearer_token);
    } else {
        if (!cfg->access_key || !*cfg->access_key || !cfg->access_secret || !*cfg->access_secret)
            return err_set(e, ERR_USAGE, "missing GONG_ACCESS_KEY or GONG_ACCESS_KEY_SECRET");
        curl_easy_setopt(g->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
        cc = curl_easy_setopt(g->curl, CURLOPT_USERNAME, cfg->access_key);
        if (cc == CURLE_OK)
            cc = curl_easy_setopt(g->curl, CURLOPT_PASSWORD, cfg->access_secret);
    }
    return cc == CURLE_OK ? ERR_OK : err_set(e, ERR_NOMEM, "http client: out of memory");
}

/* Headers: GET sends Accept; POST adds Content-Type and an empty Expect (no waiting for
 * "100 Continue" before sending a large body). */
static int set_headers(struct gong_client *g, struct err *e)
{
    static const char *const post[] = {"Accept: application/json", "Content-Type: application/json",
                                       "Expect:"};
    struct curl_slist *l;
    size_t i;

    g->hdr_get = curl_slist_append(NULL, post[0]);
    for (i = 0; g->hdr_get && i < 3; i++) {
        l = curl_slist_append(g->hdr_post, post[i]);
        if (!l)
            break;
        g->hdr_post = l;
    }
    if (!g->hdr_get || i < 3)
        return err_set(e, ERR_NOMEM, "http headers: out of memory");
    return ERR_OK;
}

struct gong_client *gong_new(const struct gong_config *cfg, struct err *e)
{
    struct gong_client *g = NULL;
    size_t n;

    if (gong_check_url(cfg->base_url, e))
        goto fail;
    if (!curl_ready && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        err_set(e, ERR_HTTP, "libcurl: global initialisation failed");
        goto fail;
    }
    curl_ready = 1;
    g = calloc(1, sizeof *g);
    if (!g || !(g->base_url = strdup(cfg->base_url)) || !(g->curl = curl_easy_init())) {
        err_set(e, ERR_NOMEM, "http client: out of memory");
        goto fail;
    }
    n = strlen(g->base_url);
    while (n > 0 && g->base_url[n - 1] == '/')
        g->base_url[--n] = '\0';
    if (set_auth(g, cfg, e) || set_headers(g, e))
        goto fail;
    g->rate = cfg->rate > 0 ? cfg->rate : 0;
    g->budget = cfg->budget;
    g->timeout_s = cfg->timeout_s > 0 ? cfg->timeout_s : 60;
    g->max_retries = cfg->max_retries > 0 ? cfg->max_retries : 6;
    g->max_wait_s = cfg->max_wait_s > 0 ? cfg->max_wait_s : 600;
    g->verbose = cfg->verbose;
    g->stop_flag = cfg->stop_flag;
    g->backoff_base_s = cfg->backoff_base_s > 0 ? cfg->backoff_base_s : 1.0;
    g->log = cfg->log;
    g->log_arg = cfg->log_arg;
    g->last_start = -1;
    g->rng = ((uint64_t)(now_s() * 1e9) ^ ((uint64_t)getpid() << 32)) | 1;

    curl_easy_setopt(g->curl, CURLOPT_ERRORBUFFER, g->errbuf);
    curl_easy_setopt(g->curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(g->curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(g->curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(g->curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(g->curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(g->curl, CURLOPT_ACCEPT_ENCODING, ""); /* every encoding curl can decode */
    curl_easy_setopt(g->curl, CURLOPT_USERAGENT, GONG_USER_AGENT);
    curl_easy_setopt(g->curl, CURLOPT_TIMEOUT, g->timeout_s);
    curl_easy_setopt(g->curl, CURLOPT_CONNECTTIMEOUT, g->timeout_s < 30 ? g->timeout_s : 30L);
    curl_easy_setopt(g->curl, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(g->curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(g->curl, CURLOPT_WRITEDATA, g);
    curl_easy_setopt(g->curl, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(g->curl, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(g->curl, CURLOPT_XFERINFODATA, g);
    if (cfg->tokens) { /* from here on the client owns the source */
        g->tokens = *cfg->tokens;
        g->has_tokens = 1;
    }
    return g;
fail:
    gong_free(g);
    return NULL;
}

void gong_free(struct gong_client *g)
{
    if (!g)
        return;
    if (g->curl)
        curl_easy_cleanup(g->curl);
    if (g->has_tokens && g->tokens.release)
        g->tokens.release(g->tokens.arg);
    curl_slist_free_all(g->hdr_get);
    curl_slist_free_all(g->hdr_post);
    free(g->base_url);
    free(g);
}

const struct gong_stats *gong_stats(const struct gong_client *g)
{
    return &g->stats;
}

const char *gong_base_url(const struct gong_client *g)
{
    return g->base_url;
}

/* One verbose line, to the log callback or stderr. */
static void verbose_line(struct gong_client *g, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void verbose_line(struct gong_client *g, const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (g->log)
        g->log(g->log_arg, line);
    else
        fprintf(stderr, "%s\n", line);
}

/* Send one attempt after the pacing wait. Returns ERR_OK with *cc set to libcurl's result,
 * or ERR_BUDGET / ERR_INTERRUPT before anything was sent, or the token source's error. */
static int send_once(struct gong_client *g, const char *method, const char *path, int again,
                     CURLcode *cc, struct err *e)
{
    double gap;

    if (stopped(g))
        return err_set(e, ERR_INTERRUPT, "%s %s: interrupted", method, path);
    if (g->budget >= 0 && g->stats.requests >= g->budget)
        return err_set(e, ERR_BUDGET, "daily request budget spent after %ld requests",
                       g->stats.requests);
    if (g->rate > 0 && g->last_start >= 0) {
        gap = g->last_start + GONG_PACE_MARGIN / g->rate - now_s();
        if (gap > 0 && wait_s(g, gap))
            return err_set(e, ERR_INTERRUPT, "%s %s: interrupted", method, path);
    }
    if (g->has_tokens) {
        const char *token = NULL;
        int rc = g->tokens.get(g->tokens.arg, 0, &token, e);

        if (rc)
            return rc; /* the source's message is final (e.g. "run callmine-ingest login") */
        if (!token || !*token || strpbrk(token, "\r\n"))
            return err_set(e, ERR_AUTH, "%s %s: the OAuth access token is empty or malformed",
                           method, path);
        if (curl_easy_setopt(g->curl, CURLOPT_XOAUTH2_BEARER, token) != CURLE_OK)
            return err_set(e, ERR_NOMEM, "%s %s: out of memory", method, path);
    }
    buf_reset(g->out);
    g->too_big = 0;
    g->errbuf[0] = '\0';
    g->last_start = now_s();
    g->stats.requests++;
    g->stats.retries += again;
    *cc = curl_easy_perform(g->curl);
    return ERR_OK;
}

/* Classify the attempt just made; what gets "HTTP 503" or libcurl's words for messages. */
static enum gong_verdict verdict(struct gong_client *g, CURLcode cc, long *status, char *what,
                                 size_t n)
{
    enum gong_verdict v;
    char *ct = NULL;

    *status = 0;
    if (cc != CURLE_OK) {
        snprintf(what, n, "%s", curl_easy_strerror(cc));
        return gong_curl_transient((int)cc) ? GONG_V_RETRY : GONG_V_FAIL;
    }
    curl_easy_getinfo(g->curl, CURLINFO_RESPONSE_CODE, status);
    curl_easy_getinfo(g->curl, CURLINFO_CONTENT_TYPE, &ct);
    v = gong_classify(*status, ct, g->out->data);
    if (v == GONG_V_RETRY && *status < 300)
        snprintf(what, n, "HTTP %ld with content type '%.40s'", *status, ct ? ct : "none");
    else
        snprintf(what, n, "HTTP %ld", *status);
    return v;
}

/* libcurl's detail for a transfer error, else the start of the body as one line. */
static const char *detail(struct gong_client *g, CURLcode cc, char *excerpt, size_t n)
{
    if (cc != CURLE_OK)
        return g->errbuf[0] ? g->errbuf : "no detail";
    return gong_sanitize(g->out->data, g->out->len, excerpt, n);
}

static int fail_auth(struct gong_client *g, const char *method, const char *path, long status,
                     struct err *e)
{
    char excerpt[GONG_EXCERPT + 1];
    const char *scope = gong_scope_for_path(path);

    if (status == 401 && g->has_tokens)
        return err_set(e, ERR_AUTH,
                       "%s %s: HTTP 401 access denied even with a freshly refreshed OAuth token: "
                       "run callmine-ingest login",
                       method, path);
    if (status == 401)
        return err_set(e, ERR_AUTH,
                       "%s %s: HTTP 401 access denied: check GONG_ACCESS_KEY/"
                       "GONG_ACCESS_KEY_SECRET or the bearer token",
                       method, path);
    if (scope)
        return err_set(e, ERR_AUTH, "%s %s: HTTP 403 forbidden: this endpoint needs the scope '%s'",
                       method, path, scope);
    return err_set(e, ERR_AUTH, "%s %s: HTTP 403 forbidden: %s", method, path,
                   detail(g, CURLE_OK, excerpt, sizeof excerpt));
}

/* The attempt loop shared by GET and POST; the handle's method, URL and body are set. */
static int run(struct gong_client *g, const char *method, const char *path, struct buf *out,
               struct gong_result *res, struct err *e)
{
    char excerpt[GONG_EXCERPT + 1], what[96];
    int n_retry = 0, n_429 = 0, refreshed = 0, attempt, rc = ERR_OK;
    long status = 0;
    double delay, t0;
    curl_off_t retry_after;
    CURLcode cc = CURLE_OK;
    enum gong_verdict v;

    g->out = out;
    for (attempt = 1;; attempt++) {
        t0 = now_s();
        rc = send_once(g, method, path, attempt > 1, &cc, e);
        if (rc)
            goto done;
        if (cc == CURLE_ABORTED_BY_CALLBACK && stopped(g)) {
            rc = err_set(e, ERR_INTERRUPT, "%s %s: interrupted", method, path);
            goto done;
        }
        if (cc == CURLE_WRITE_ERROR) {
            rc = g->too_big ? err_set(e, ERR_HTTP, "%s %s: response larger than %zu MiB", method,
                                      path, out->max >> 20)
                            : err_set(e, ERR_NOMEM, "%s %s: out of memory", method, path);
            goto done;
        }
        v = verdict(g, cc, &status, what, sizeof what);
        delay = -1; /* no retry */
        if (v == GONG_V_RATE) {
            g->stats.http_429++;
            retry_after = 0; /* CURLINFO_RETRY_AFTER is 0 when the header is absent */
            curl_easy_getinfo(g->curl, CURLINFO_RETRY_AFTER, &retry_after);
            delay = gong_wait_429((long)retry_after, g->max_wait_s,
                                  gong_backoff_s(g->backoff_base_s, n_429, random_unit(g)));
            if (delay < 0)
                rc = err_set(e, ERR_HTTP, "%s %s: rate limited for %ld s (re-run later)", method,
                             path, (long)retry_after);
            else if (++n_429 > GONG_MAX_429)
                rc = err_set(e, ERR_HTTP, "%s %s: still rate limited after %d attempts (HTTP 429)",
                             method, path, attempt);
        } else if (v == GONG_V_RETRY) {
            delay = gong_backoff_s(g->backoff_base_s, n_retry, random_unit(g));
            if (n_retry++ >= g->max_retries)
                rc = err_set(e, ERR_HTTP, "%s %s: %s after %d attempts: %s", method, path, what,
                             attempt, detail(g, cc, excerpt, sizeof excerpt));
        }
        if (g->verbose && !rc && delay >= 0)
            verbose_line(g, "gong: %s %s %s %.0f ms, retry in %.2f s", method, path, what,
                         (now_s() - t0) * 1000, delay);
        else if (g->verbose)
            verbose_line(g, "gong: %s %s %s %.0f ms", method, path, what, (now_s() - t0) * 1000);
        if (rc)
            goto done;
        switch (v) {
        case GONG_V_OK:
        case GONG_V_EMPTY:
            if (res)
                res->empty = v == GONG_V_EMPTY;
            goto done;
        case GONG_V_RATE:
        case GONG_V_RETRY:
            if (wait_s(g, delay)) {
                rc = err_set(e, ERR_INTERRUPT, "%s %s: interrupted", method, path);
                goto done;
            }
            continue;
        case GONG_V_AUTH:
            if (status == 401 && g->has_tokens && !refreshed) {
                /* the access token expired or was revoked early: refresh it once and send
                 * the same request again */
                const char *token = NULL;

                refreshed = 1;
                if ((rc = g->tokens.get(g->tokens.arg, 1, &token, e)))
                    goto done;
                continue;
            }
            rc = fail_auth(g, method, path, status, e);
            goto done;
        case GONG_V_CURSOR:
            rc = err_set(e, ERR_CURSOR, "%s %s: HTTP %ld: the paging cursor has expired", method,
                         path, status);
            goto done;
        case GONG_V_FAIL:
            rc = err_set(e, ERR_HTTP, "%s %s: %s: %s", method, path, what,
                         detail(g, cc, excerpt, sizeof excerpt));
            goto done;
        }
    }
done:
    if (res)
        res->status = status;
    if (rc)
        err_detail(e, status, 0);
    g->out = NULL;
    return rc;
}

/* Reset res and out and point the handle at base_url+path[?query]. */
static int prepare(struct gong_client *g, const char *path, const char *query, struct buf *out,
                   struct gong_result *res, struct err *e)
{
    struct buf url;
    int rc;

    if (res) {
        res->status = 0;
        res->empty = 0;
    }
    buf_reset(out);
    if (!out->max)
        out->max = BUF_DEFAULT_MAX;
    buf_init(&url, 0);
    rc = buf_printf(&url, e, "%s%s%s%s", g->base_url, path, query && *query ? "?" : "",
                    query ? query : "");
    if (!rc && curl_easy_setopt(g->curl, CURLOPT_URL, url.data) != CURLE_OK)
        rc = err_set(e, ERR_NOMEM, "%s: out of memory", path);
    buf_release(&url); /* libcurl keeps its own copy */
    return rc;
}

int gong_get(struct gong_client *g, const char *path, const char *query, struct buf *out,
             struct gong_result *res, struct err *e)
{
    int rc = prepare(g, path, query, out, res, e);

    if (rc)
        return rc;
    curl_easy_setopt(g->curl, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(g->curl, CURLOPT_HTTPHEADER, g->hdr_get);
    return run(g, "GET", path, out, res, e);
}

int gong_post(struct gong_client *g, const char *path, const char *json, struct buf *out,
              struct gong_result *res, struct err *e)
{
    int rc = prepare(g, path, NULL, out, res, e);

    if (rc)
        return rc;
    curl_easy_setopt(g->curl, CURLOPT_POSTFIELDS, json);
    curl_easy_setopt(g->curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(json));
    curl_easy_setopt(g->curl, CURLOPT_HTTPHEADER, g->hdr_post);
    return run(g, "POST", path, out, res, e);
}

int gong_check_reachable(struct gong_client *g, struct err *e)
{
    CURL *c = curl_easy_init();
    char errbuf[CURL_ERROR_SIZE] = "";
    long wait = g->timeout_s < 10 ? g->timeout_s : 10;
    CURLcode cc;

    if (!c)
        return err_set(e, ERR_NOMEM, "http client: out of memory");
    curl_easy_setopt(c, CURLOPT_URL, g->base_url);
    curl_easy_setopt(c, CURLOPT_CONNECT_ONLY, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, wait);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, wait);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, g);
    cc = curl_easy_perform(c);
    curl_easy_cleanup(c);
    if (cc == CURLE_OK)
        return ERR_OK;
    if (cc == CURLE_ABORTED_BY_CALLBACK && stopped(g))
        return err_set(e, ERR_INTERRUPT, "connect to %s: interrupted", g->base_url);
    return err_set(e, ERR_USAGE, "cannot connect to %s: %s", g->base_url,
                   errbuf[0] ? errbuf : curl_easy_strerror(cc));
}
