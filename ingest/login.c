/* login: the loopback OAuth flow of `callmine-ingest login` (see login.h).
 *
 * The browser side is one small HTTP/1.1 exchange on 127.0.0.1: read the request line of
 * each connection (other paths get a 404 and the wait goes on; a connection that sends
 * nothing is dropped after a few seconds), take code and state from /callback's query,
 * and answer with a short page once the outcome is known. The state is compared in
 * constant time and a mismatch ends the login: a redirect that does not belong to this
 * login is never exchanged. */
#include "login.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "err.h"
#include "gong.h"
#include "isotime.h"
#include "oauth.h"
#include "suggest.h"

#include "banned.h"

#define LOGIN_STATE_BYTES 16
#define LOGIN_CONN_TIMEOUT_S 5 /* a connection that sends no request line is dropped */

extern char **environ;

struct login_opts {
    const char *credentials;
    const char *token_file;
    const char *base_url;
    const char *authorize_url;
    const char *token_url;
    int port;
    int no_browser;
    int quiet;
    int verbose;
};

static void usage(FILE *f)
{
    fputs("usage: callmine-ingest login [--credentials FILE] [--token-file FILE] [OPTIONS]\n"
          "\n"
          "Log in to Gong with an OAuth app (Gong's authorization-code flow) and save the\n"
          "tokens for later runs of callmine-ingest, which refresh them by themselves.\n"
          "Only the four read scopes are asked for: api:calls:read:basic,\n"
          "api:calls:read:extensive, api:calls:read:transcript, api:users:read.\n"
          "\n"
          "  --credentials FILE   read client_id= and client_secret= from a file only you can\n"
          "                       read (chmod 600); else GONG_CLIENT_ID and GONG_CLIENT_SECRET\n"
          "  --token-file FILE    where to save the login (default $CALLMINE_TOKEN_FILE, else\n"
          "                       ~/.config/callmine/token); created 0600\n"
          "  --base-url URL       the API host to save when Gong's answer names none (default\n"
          "                       $GONG_BASE_URL); Gong's api_base_url_for_customer wins\n"
          "  --port N             listen for the redirect on 127.0.0.1:N (default: a free port;\n"
          "                       use it when the app's registered redirect URI has a port)\n"
          "  --no-browser         only print the address; do not try xdg-open\n"
          "  --authorize-url URL, --token-url URL\n"
          "                       Gong's OAuth endpoints (default $GONG_OAUTH_AUTHORIZE_URL,\n"
          "                       $GONG_OAUTH_TOKEN_URL, else https://app.gong.io/oauth2/...)\n"
          "  --quiet, --verbose   less or more on stderr\n"
          "  -h, --help           this text\n"
          "\n"
          "The OAuth app (Gong: Company settings > Ecosystem > API > Integrations) must list\n"
          "http://127.0.0.1:PORT/callback among its redirect URIs. Open the printed address as\n"
          "a Gong technical administrator and approve; the login is saved and the command ends.\n"
          "\n"
          "Exit status: 0 logged in; 1 failed (no redirect in time, network, file); 2 usage or\n"
          "configuration error; 3 refused by Gong, or a redirect that does not match.\n",
          f);
}

enum {
    OPT_CREDS = 256,
    OPT_TOKEN_FILE,
    OPT_BASE_URL,
    OPT_AUTH_URL,
    OPT_TOKEN_URL,
    OPT_PORT,
    OPT_NO_BROWSER
};

static const struct option long_options[] = {
    {"credentials", required_argument, NULL, OPT_CREDS},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"base-url", required_argument, NULL, OPT_BASE_URL},
    {"authorize-url", required_argument, NULL, OPT_AUTH_URL},
    {"token-url", required_argument, NULL, OPT_TOKEN_URL},
    {"port", required_argument, NULL, OPT_PORT},
    {"no-browser", no_argument, NULL, OPT_NO_BROWSER},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static int parse_args(struct login_opts *o, int argc, char **argv, struct err *e)
{
    char *end = NULL;
    long port;
    int opt;

    memset(o, 0, sizeof *o);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":qvh", long_options, NULL)) != -1) {
        switch (opt) {
        case OPT_CREDS: o->credentials = optarg; break;
        case OPT_TOKEN_FILE: o->token_file = optarg; break;
        case OPT_BASE_URL: o->base_url = optarg; break;
        case OPT_AUTH_URL: o->authorize_url = optarg; break;
        case OPT_TOKEN_URL: o->token_url = optarg; break;
        case OPT_PORT:
            errno = 0;
            port = strtol(optarg, &end, 10);
            if (errno || end == optarg || *end || port < 0 || port > 65535)
                return err_set(e, ERR_USAGE, "--port: '%s' is not a port number (0-65535)", optarg);
            o->port = (int)port;
            break;
        case OPT_NO_BROWSER: o->no_browser = 1; break;
        case 'q': o->quiet = 1; break;
        case 'v': o->verbose++; break;
        case 'h': usage(stdout); return ERR_NOTFOUND;
        case ':':
            return err_set(e, ERR_USAGE, "%s needs a value (see login --help)", argv[optind - 1]);
        default:
            if (argv[optind - 1][0] == '-' && argv[optind - 1][1] == '-' &&
                suggest_option(argv[optind - 1], long_options))
                return err_set(e, ERR_USAGE, "unknown option '%.*s': did you mean '--%s'?",
                               (int)strcspn(argv[optind - 1], "="), argv[optind - 1],
                               suggest_option(argv[optind - 1], long_options));
            return err_set(e, ERR_USAGE, "unknown option '%s' (see login --help)",
                           argv[optind - 1]);
        }
    }
    if (optind < argc) /* not echoed: it may be a secret typed in the wrong place */
        return err_set(e, ERR_USAGE,
                       "unexpected argument number %d: secrets go in the environment or the "
                       "--credentials file, never on the command line (see login --help)",
                       optind);
    if (!o->base_url) {
        const char *env = getenv("GONG_BASE_URL");

        o->base_url = env && *env ? env : NULL;
    }
    return ERR_OK;
}

/* ---- small helpers ---- */

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int login_query_value(const char *query, const char *key, char *out, size_t n)
{
    size_t klen = strlen(key), o;
    const char *p = query, *end;

    while (p && *p) {
        end = strchr(p, '&');
        if (!end)
            end = p + strlen(p);
        if ((size_t)(end - p) > klen && strncmp(p, key, klen) == 0 && p[klen] == '=') {
            p += klen + 1;
            for (o = 0; p < end; p++) {
                int c = (unsigned char)*p, hi, lo;

                if (c == '+')
                    c = ' ';
                else if (c == '%' && end - p >= 3 && (hi = hexval(p[1])) >= 0 &&
                         (lo = hexval(p[2])) >= 0) {
                    c = hi * 16 + lo;
                    p += 2;
                }
                if (o + 1 >= n)
                    return 0;
                out[o++] = (char)c;
            }
            out[o] = '\0';
            return 1;
        }
        if ((size_t)(end - p) == klen && strncmp(p, key, klen) == 0) {
            if (n < 1)
                return 0;
            out[0] = '\0';
            return 1;
        }
        p = *end ? end + 1 : end;
    }
    return 0;
}

/* 1 if a and b are equal, in time that does not depend on where they differ. */
static int same_secret(const char *a, const char *b)
{
    size_t na = strlen(a), nb = strlen(b), i;
    unsigned char d = na != nb;

    for (i = 0; i < na && i < nb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static int random_state(char *out, size_t n, struct err *e)
{
    unsigned char raw[LOGIN_STATE_BYTES];
    static const char hex[] = "0123456789abcdef";
    size_t i;
    FILE *f;

    if (n < 2 * sizeof raw + 1)
        return err_set(e, ERR_USAGE, "state buffer too small");
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        f = fopen("/dev/urandom", "re");
        if (!f || fread(raw, 1, sizeof raw, f) != sizeof raw) {
            if (f)
                fclose(f);
            return err_set(e, ERR_IO, "login: no random numbers available");
        }
        fclose(f);
    }
    for (i = 0; i < sizeof raw; i++) {
        out[2 * i] = hex[raw[i] >> 4];
        out[2 * i + 1] = hex[raw[i] & 15];
    }
    out[2 * sizeof raw] = '\0';
    return ERR_OK;
}

/* ---- the loopback listener ---- */

static int listen_loopback(int port, int *fd_out, int *port_out, struct err *e)
{
    struct sockaddr_in sa;
    socklen_t len = sizeof sa;
    int fd, one = 1;

    *fd_out = -1;
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return err_set(e, ERR_IO, "login: socket: %s", strerror(errno));
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    sa.sin_port = htons((uint16_t)port);
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 8) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
        int err = errno;

        close(fd);
        return err_set(e, port ? ERR_USAGE : ERR_IO, "login: listen on 127.0.0.1:%d: %s", port,
                       strerror(err));
    }
    *fd_out = fd;
    *port_out = ntohs(sa.sin_port);
    return ERR_OK;
}

static void send_page(int fd, int status, const char *title, const char *text)
{
    struct buf body, head;
    const char *reason = status == 200 ? "OK" : status == 404 ? "Not Found" : "Bad Request";
    size_t off;
    ssize_t w;

    buf_init(&body, 0);
    buf_init(&head, 0);
    if (buf_printf(&body, NULL,
                   "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>callmine: %s"
                   "</title></head>\n<body style=\"font-family:sans-serif;margin:3em\"><h1>%s</h1>"
                   "<p>%s</p></body></html>\n",
                   title, title, text) ||
        buf_printf(&head, NULL,
                   "HTTP/1.1 %d %s\r\nContent-Type: text/html; charset=utf-8\r\n"
                   "Content-Length: %zu\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n",
                   status, reason, body.len) ||
        buf_append(&head, body.data, body.len, NULL))
        goto done;
    for (off = 0; off < head.len; off += (size_t)w) {
        w = send(fd, head.data + off, head.len - off, MSG_NOSIGNAL);
        if (w <= 0)
            break;
    }
done:
    buf_release(&body);
    buf_release(&head);
}

/* Read one connection's request head into req (NUL-terminated). 1 when a whole request line
 * arrived. */
static int read_request(int fd, char *req, size_t n)
{
    struct timeval tv = {LOGIN_CONN_TIMEOUT_S, 0};
    size_t len = 0;
    ssize_t r;

    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    req[0] = '\0';
    while (len + 1 < n) {
        r = recv(fd, req + len, n - 1 - len, 0);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
        req[len] = '\0';
        if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
            break;
    }
    return strchr(req, '\n') != NULL;
}

/* What the redirect brought: the query string of GET /callback, or why it is not one. */
enum redirect { REDIRECT_NONE, REDIRECT_OTHER, REDIRECT_CALLBACK };

static enum redirect callback_query(char *req, char **query)
{
    char *sp, *target, *q;

    *query = NULL;
    if (strncmp(req, "GET ", 4) != 0)
        return REDIRECT_OTHER;
    target = req + 4;
    sp = strpbrk(target, " \r\n");
    if (!sp)
        return REDIRECT_OTHER;
    *sp = '\0';
    q = strchr(target, '?');
    if (q)
        *q++ = '\0';
    if (strcmp(target, "/callback") != 0)
        return REDIRECT_OTHER;
    *query = q ? q : target + strlen(target);
    return REDIRECT_CALLBACK;
}

/* ---- the flow ---- */

struct flow {
    struct login_opts opts;
    struct config c; /* client id and secret only */
    struct buf token_path;
    const char *authorize_url;
    const char *token_url;
    char state[2 * LOGIN_STATE_BYTES + 1];
    char redirect_uri[64];
    long timeout_s;      /* the wait for the redirect */
    long http_timeout_s; /* one token request ($CALLMINE_TIMEOUT; 0 = oauth.c's default) */
    struct oauth_tokens *t;
};

static int build_authorize_url(const struct flow *f, struct buf *url, struct err *e)
{
    int rc = buf_printf(url, e, "%s?client_id=", f->authorize_url);

    if (!rc)
        rc = gong_urlencode(f->c.client_id, url, e);
    if (!rc)
        rc = buf_puts(url, "&response_type=code&scope=", e);
    if (!rc)
        rc = gong_urlencode(OAUTH_SCOPES, url, e);
    if (!rc)
        rc = buf_puts(url, "&redirect_uri=", e);
    if (!rc)
        rc = gong_urlencode(f->redirect_uri, url, e);
    if (!rc)
        rc = buf_printf(url, e, "&state=%s", f->state);
    return rc;
}

/* Try the desktop's browser; silently nothing when there is none. */
static void open_browser(const char *url)
{
    posix_spawn_file_actions_t fa;
    char *argv[3];
    pid_t pid;

    if (!getenv("DISPLAY") && !getenv("WAYLAND_DISPLAY"))
        return;
    if (posix_spawn_file_actions_init(&fa) != 0)
        return;
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    argv[0] = (char *)"xdg-open";
    argv[1] = (char *)url;
    argv[2] = NULL;
    posix_spawnp(&pid, "xdg-open", &fa, NULL, argv, environ); /* not found: nothing happens */
    posix_spawn_file_actions_destroy(&fa);
}

/* Exchange the code and save the login. */
static int exchange(struct flow *f, const char *code, struct err *e)
{
    struct buf form, body;
    long status = 0;
    int rc, fd = -1;

    buf_init(&form, 0);
    buf_init(&body, (size_t)1 << 20);
    rc = buf_puts(&form, "grant_type=authorization_code&code=", e);
    if (!rc)
        rc = gong_urlencode(code, &form, e);
    if (!rc)
        rc = buf_puts(&form, "&client_id=", e);
    if (!rc)
        rc = gong_urlencode(f->c.client_id, &form, e);
    if (!rc)
        rc = buf_puts(&form, "&redirect_uri=", e);
    if (!rc)
        rc = gong_urlencode(f->redirect_uri, &form, e);
    if (!rc)
        rc = oauth_post(f->token_url, f->c.client_id, f->c.client_secret, form.data,
                        f->http_timeout_s, &body, &status, e);
    if (!rc)
        rc = oauth_read_answer(status, body.data, 0, isotime_now_ms(), f->t, e);
    if (!rc && !f->t->refresh_token[0])
        rc = err_set(e, ERR_AUTH, "login failed: Gong's answer holds no refresh token");
    if (!rc && !f->t->api_base_url[0] && f->opts.base_url)
        snprintf(f->t->api_base_url, sizeof f->t->api_base_url, "%s", f->opts.base_url);
    snprintf(f->t->client_id, sizeof f->t->client_id, "%s", f->c.client_id);
    snprintf(f->t->client_secret, sizeof f->t->client_secret, "%s", f->c.client_secret);
    if (strcmp(f->token_url, OAUTH_TOKEN_URL) != 0)
        snprintf(f->t->token_url, sizeof f->t->token_url, "%s", f->token_url);
    if (!rc)
        rc = oauth_lock(f->token_path.data, &fd, e);
    if (!rc)
        rc = oauth_file_write(f->token_path.data, f->t, e);
    oauth_unlock(fd);
    if (form.data)
        explicit_bzero(form.data, form.len);
    if (body.data)
        explicit_bzero(body.data, body.len);
    buf_release(&form);
    buf_release(&body);
    return rc;
}

/* Handle one accepted connection. Returns 1 when the login is over (rc in *rc), 0 to wait
 * for the next connection. */
static int handle(struct flow *f, int conn, int *rc, struct err *e)
{
    char req[LOGIN_REQUEST_MAX], got_state[128], code[OAUTH_TOKEN_MAX], error[128];
    char *query = NULL;

    if (!read_request(conn, req, sizeof req))
        return 0; /* a browser's speculative connection: nothing sent */
    if (callback_query(req, &query) != REDIRECT_CALLBACK) {
        send_page(conn, 404, "not found", "This address only takes Gong's login redirect.");
        return 0;
    }
    if (!login_query_value(query, "state", got_state, sizeof got_state) ||
        !same_secret(got_state, f->state)) {
        send_page(conn, 400, "login refused",
                  "This redirect does not belong to the login that is waiting (its state does "
                  "not match). Run callmine-ingest login again.");
        *rc = err_set(e, ERR_AUTH,
                      "login refused: the redirect's state does not match this login (a stale "
                      "or forged redirect): run callmine-ingest login again");
        return 1;
    }
    if (login_query_value(query, "error", error, sizeof error)) {
        char word[64];

        gong_sanitize(error, strlen(error), word, sizeof word);
        send_page(conn, 400, "login refused", "Gong did not grant access. Nothing was saved.");
        *rc = err_set(e, ERR_AUTH, "login refused by Gong: %s", word);
        return 1;
    }
    if (!login_query_value(query, "code", code, sizeof code) || !code[0]) {
        send_page(conn, 400, "login failed", "The redirect holds no authorization code.");
        *rc = err_set(e, ERR_AUTH, "login failed: Gong's redirect holds no authorization code");
        return 1;
    }
    *rc = exchange(f, code, e);
    explicit_bzero(code, sizeof code);
    explicit_bzero(req, sizeof req);
    if (*rc)
        send_page(conn, 400, "login failed", "Gong did not accept the login; see the terminal.");
    else
        send_page(conn, 200, "logged in",
                  "callmine is logged in to Gong (read-only). You can close this tab.");
    return 1;
}

static int wait_redirect(struct flow *f, int lfd, struct err *e)
{
    struct pollfd p = {.fd = lfd, .events = POLLIN};
    time_t deadline = time(NULL) + f->timeout_s;
    int conn, rc = ERR_OK, n;

    for (;;) {
        if (time(NULL) >= deadline)
            return err_set(e, ERR_HTTP,
                           "login timed out: no redirect from Gong arrived within %ld s",
                           f->timeout_s);
        n = poll(&p, 1, 250);
        if (n < 0 && errno != EINTR)
            return err_set(e, ERR_IO, "login: poll: %s", strerror(errno));
        if (n <= 0)
            continue;
        conn = accept(lfd, NULL, NULL);
        if (conn < 0)
            continue;
        n = handle(f, conn, &rc, e);
        close(conn);
        if (n)
            return rc;
    }
}

/* Check the configuration before listening: URLs, client credentials, the token path. */
static int prepare(struct flow *f, struct err *e)
{
    const char *env = getenv("CALLMINE_LOGIN_TIMEOUT"), *t = getenv("CALLMINE_TIMEOUT");
    int rc;

    f->authorize_url = oauth_authorize_url(f->opts.authorize_url);
    f->token_url = oauth_token_url(f->opts.token_url);
    if (gong_check_url(f->authorize_url, e))
        return err_wrap(e, "authorize endpoint");
    if (gong_check_url(f->token_url, e))
        return err_wrap(e, "token endpoint");
    if (f->opts.base_url && gong_check_url(f->opts.base_url, e))
        return err_wrap(e, "--base-url");
    f->c.credentials = f->opts.credentials;
    if ((rc = config_load_client(&f->c, e)))
        return rc;
    if ((rc = oauth_token_path(f->opts.token_file, &f->token_path, e)))
        return rc;
    f->timeout_s = env && atol(env) > 0 ? atol(env) : LOGIN_TIMEOUT_S;
    f->http_timeout_s = t && atol(t) > 0 ? atol(t) : 0;
    f->t = calloc(1, sizeof *f->t);
    if (!f->t)
        return err_set(e, ERR_NOMEM, "login: out of memory");
    return ERR_OK;
}

static void report(const struct flow *f)
{
    char when[ISOTIME_MAX] = "unknown";
    static const char *const scopes[] = {"api:calls:read:basic", "api:calls:read:extensive",
                                         "api:calls:read:transcript", "api:users:read"};
    size_t i;

    if (f->t->expires_at_ms > 0)
        isotime_format(f->t->expires_at_ms, 0, when);
    fprintf(stderr,
            "callmine-ingest: logged in to Gong; the login is saved in '%s' (API base URL %s; "
            "access token valid until %s, refreshed automatically)\n",
            f->token_path.data, f->t->api_base_url[0] ? f->t->api_base_url : "not named", when);
    for (i = 0; f->t->scope[0] && i < sizeof scopes / sizeof *scopes; i++) {
        if (!strstr(f->t->scope, scopes[i]))
            fprintf(stderr,
                    "callmine-ingest: note: Gong did not grant %s; what needs it "
                    "will be left out\n",
                    scopes[i]);
    }
}

int login_main(int argc, char **argv)
{
    struct flow f;
    struct err e = {0};
    struct buf url;
    int lfd = -1, port = 0, rc;

    memset(&f, 0, sizeof f);
    buf_init(&f.token_path, 0);
    buf_init(&url, 0);
    rc = parse_args(&f.opts, argc, argv, &e);
    if (rc == ERR_NOTFOUND)
        return 0; /* --help */
    if (!rc)
        rc = prepare(&f, &e);
    if (!rc)
        rc = listen_loopback(f.opts.port, &lfd, &port, &e);
    if (!rc) {
        snprintf(f.redirect_uri, sizeof f.redirect_uri, "http://127.0.0.1:%d/callback", port);
        rc = random_state(f.state, sizeof f.state, &e);
    }
    if (!rc)
        rc = build_authorize_url(&f, &url, &e);
    if (!rc) {
        /* the URL on a line of its own, for copying and for scripts */
        fprintf(stderr,
                "callmine-ingest: open this address in a browser, as a Gong technical "
                "administrator, and approve read-only access:\n%s\n",
                url.data);
        if (!f.opts.quiet)
            fprintf(stderr,
                    "callmine-ingest: waiting for Gong to redirect to %s (up to %ld s; "
                    "Ctrl-C to cancel)\n",
                    f.redirect_uri, f.timeout_s);
        fflush(stderr);
        if (!f.opts.no_browser)
            open_browser(url.data);
        rc = wait_redirect(&f, lfd, &e);
    }
    if (lfd >= 0)
        close(lfd);
    if (rc)
        fprintf(stderr, "callmine-ingest: %s\n", e.msg);
    else if (!f.opts.quiet)
        report(&f);
    config_wipe_secrets(&f.c);
    if (f.t) {
        explicit_bzero(f.t, sizeof *f.t);
        free(f.t);
    }
    buf_release(&f.token_path);
    buf_release(&url);
    switch (rc) {
    case ERR_OK: return 0;
    case ERR_USAGE: return 2;
    case ERR_AUTH: return 3;
    default: return 1;
    }
}
