/* oauth: the token file of an OAuth login and its refresh (see oauth.h).
 *
 * The file is lines of key=value, like the --credentials file, written only by
 * oauth_file_write(): access_token, refresh_token, expires_at (ISO-8601 UTC), lifetime_s,
 * api_base_url, scope, client_id, client_secret, token_url. A refresh runs entirely under the lock:
 * re-read the file, and unless another process has already put a fresh access token there,
 * spend the refresh token the file holds, write the rotated tokens, and only then hand the
 * new access token to the HTTP client. */
#include "oauth.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "isotime.h"

#include "banned.h"

#define OAUTH_LINE_MAX (OAUTH_TOKEN_MAX + 64)
#define OAUTH_ATTEMPTS 3 /* token endpoint tries for refused connections, 429 and 5xx */

/* Overwrite n bytes so no secret outlives its use (the compiler may not drop the stores). */
static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = p;

    while (n--)
        *v++ = 0;
}

/* ---- where things are ---- */

int oauth_token_path(const char *given, struct buf *out, struct err *e)
{
    const char *env = getenv("CALLMINE_TOKEN_FILE");
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");

    buf_reset(out);
    if (given && *given)
        return buf_puts(out, given, e);
    if (env && *env)
        return buf_puts(out, env, e);
    if (xdg && *xdg == '/')
        return buf_printf(out, e, "%s/callmine/token", xdg);
    if (home && *home)
        return buf_printf(out, e, "%s/.config/callmine/token", home);
    return err_set(e, ERR_USAGE,
                   "no place for the token file: set HOME or CALLMINE_TOKEN_FILE, or give "
                   "--token-file FILE");
}

const char *oauth_authorize_url(const char *given)
{
    const char *env = getenv("GONG_OAUTH_AUTHORIZE_URL");

    if (given && *given)
        return given;
    return env && *env ? env : OAUTH_AUTHORIZE_URL;
}

const char *oauth_token_url(const char *given)
{
    const char *env = getenv("GONG_OAUTH_TOKEN_URL");

    if (given && *given)
        return given;
    return env && *env ? env : OAUTH_TOKEN_URL;
}

/* ---- the file ---- */

static char *trim(char *s)
{
    char *end;

    while (*s == ' ' || *s == '\t')
        s++;
    end = s + strlen(s);
    while (end > s && (end[-1] == '\n' || end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t'))
        *--end = '\0';
    return s;
}

/* Copy val into dst (n bytes); 0 if it does not fit. */
static int put(char *dst, size_t n, const char *val)
{
    size_t len = strlen(val);

    if (len >= n)
        return 0;
    memcpy(dst, val, len + 1);
    return 1;
}

/* Store one key=value of the token file in t. 0 for an unknown key or a value too long. */
static int set_field(struct oauth_tokens *t, const char *key, const char *val)
{
    int64_t ms;
    char *end = NULL;
    long long n;

    if (strcmp(key, "access_token") == 0)
        return put(t->access_token, sizeof t->access_token, val);
    if (strcmp(key, "refresh_token") == 0)
        return put(t->refresh_token, sizeof t->refresh_token, val);
    if (strcmp(key, "api_base_url") == 0)
        return put(t->api_base_url, sizeof t->api_base_url, val);
    if (strcmp(key, "scope") == 0)
        return put(t->scope, sizeof t->scope, val);
    if (strcmp(key, "client_id") == 0)
        return put(t->client_id, sizeof t->client_id, val);
    if (strcmp(key, "client_secret") == 0)
        return put(t->client_secret, sizeof t->client_secret, val);
    if (strcmp(key, "token_url") == 0)
        return put(t->token_url, sizeof t->token_url, val);
    if (strcmp(key, "expires_at") == 0) {
        if (!*val) {
            t->expires_at_ms = 0;
            return 1;
        }
        if (isotime_parse(val, 0, &ms, NULL))
            return 0;
        t->expires_at_ms = ms;
        return 1;
    }
    if (strcmp(key, "lifetime_s") == 0) {
        errno = 0;
        n = strtoll(val, &end, 10);
        if (errno || end == val || *end || n < 0)
            return 0;
        t->lifetime_ms = (int64_t)n * 1000;
        return 1;
    }
    return 0;
}

int oauth_file_read(const char *path, struct oauth_tokens *t, struct err *e)
{
    struct stat sb;
    char line[OAUTH_LINE_MAX];
    FILE *f = NULL;
    int n = 0, rc = ERR_OK;

    memset(t, 0, sizeof *t);
    f = fopen(path, "re");
    if (!f) {
        if (errno == ENOENT)
            return err_set(e, ERR_NOTFOUND, "no Gong login in '%s': run callmine-ingest login",
                           path);
        return err_set(e, ERR_USAGE, "token file '%s': %s", path, strerror(errno));
    }
    if (fstat(fileno(f), &sb) != 0 || !S_ISREG(sb.st_mode)) {
        rc = err_set(e, ERR_USAGE, "token file '%s' is not a regular file", path);
        goto done;
    }
    if (sb.st_mode & 077) {
        rc = err_set(e, ERR_USAGE, "token file '%s' is readable by others: run chmod 600 '%s'",
                     path, path);
        goto done;
    }
    while (fgets(line, sizeof line, f)) {
        char *s, *eq;

        n++;
        if (!strchr(line, '\n') && !feof(f)) {
            rc = err_set(e, ERR_USAGE, "token file '%s' line %d: too long", path, n);
            goto done;
        }
        s = trim(line);
        if (*s == '\0' || *s == '#')
            continue;
        eq = strchr(s, '=');
        if (!eq) {
            rc = err_set(e, ERR_USAGE, "token file '%s' line %d: expected key=value", path, n);
            goto done;
        }
        *eq = '\0';
        if (!set_field(t, trim(s), trim(eq + 1))) {
            /* name the key, never the value */
            rc = err_set(e, ERR_USAGE, "token file '%s' line %d: bad or unknown '%s'", path, n,
                         trim(s));
            goto done;
        }
    }
    if (ferror(f))
        rc = err_set(e, ERR_USAGE, "token file '%s': read error", path);
done:
    wipe(line, sizeof line);
    fclose(f);
    if (rc)
        wipe(t, sizeof *t);
    return rc;
}

/* mkdir -p for the directories above path's last component, each new one 0700. */
static int make_parents(const char *path, struct err *e)
{
    char dir[4096];
    size_t i, n = strlen(path);

    if (n >= sizeof dir)
        return err_set(e, ERR_IO, "token file path is too long");
    memcpy(dir, path, n + 1);
    for (i = 1; i < n; i++) {
        if (dir[i] != '/')
            continue;
        dir[i] = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return err_set(e, ERR_IO, "create directory '%s': %s", dir, strerror(errno));
        dir[i] = '/';
    }
    return ERR_OK;
}

/* fsync the directory holding path, so the rename survives a crash. */
static int sync_dir(const char *path, struct err *e)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    size_t n;
    int fd, rc = ERR_OK;

    if (!slash) {
        dir[0] = '.';
        dir[1] = '\0';
    } else {
        n = slash == path ? 1 : (size_t)(slash - path);
        if (n >= sizeof dir)
            return err_set(e, ERR_IO, "token file path is too long");
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return err_set(e, ERR_IO, "open directory '%s': %s", dir, strerror(errno));
    if (fsync(fd) != 0 && errno != EINVAL)
        rc = err_set(e, ERR_IO, "sync directory '%s': %s", dir, strerror(errno));
    close(fd);
    return rc;
}

static int format_file(const struct oauth_tokens *t, struct buf *b, struct err *e)
{
    char when[ISOTIME_MAX] = "";

    if (t->expires_at_ms > 0)
        isotime_format(t->expires_at_ms, 1, when);
    return buf_printf(b, e,
                      "# callmine-ingest OAuth login, written by `callmine-ingest login` and by\n"
                      "# every token refresh. Private: keep it chmod 600; do not edit while a\n"
                      "# run is going.\n"
                      "access_token=%s\nrefresh_token=%s\nexpires_at=%s\nlifetime_s=%lld\n"
                      "api_base_url=%s\nscope=%s\nclient_id=%s\nclient_secret=%s\n"
                      "token_url=%s\n",
                      t->access_token, t->refresh_token, when, (long long)(t->lifetime_ms / 1000),
                      t->api_base_url, t->scope, t->client_id, t->client_secret, t->token_url);
}

int oauth_file_write(const char *path, const struct oauth_tokens *t, struct err *e)
{
    struct buf text, tmp;
    size_t off = 0;
    ssize_t w;
    int fd = -1, rc;

    buf_init(&text, 0);
    buf_init(&tmp, 0);
    if ((rc = make_parents(path, e)) || (rc = format_file(t, &text, e)) ||
        (rc = buf_printf(&tmp, e, "%s.tmp.XXXXXX", path)))
        goto done;
    fd = mkstemp(tmp.data); /* created 0600 */
    if (fd < 0) {
        rc = err_set(e, ERR_IO, "write token file '%s': %s", path, strerror(errno));
        goto done;
    }
    if (fchmod(fd, 0600) != 0) {
        rc = err_set(e, ERR_IO, "write token file '%s': %s", path, strerror(errno));
        goto done;
    }
    while (off < text.len) {
        w = write(fd, text.data + off, text.len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = err_set(e, ERR_IO, "write token file '%s': %s", path,
                         w < 0 ? strerror(errno) : "short write");
            goto done;
        }
        off += (size_t)w;
    }
    if (fsync(fd) != 0) {
        rc = err_set(e, ERR_IO, "write token file '%s': %s", path, strerror(errno));
        goto done;
    }
    if (close(fd) != 0) {
        fd = -1;
        rc = err_set(e, ERR_IO, "write token file '%s': %s", path, strerror(errno));
        goto done;
    }
    fd = -1;
    if (rename(tmp.data, path) != 0) {
        rc = err_set(e, ERR_IO, "write token file '%s': %s", path, strerror(errno));
        goto done;
    }
    buf_release(&tmp); /* renamed: nothing to remove */
    rc = sync_dir(path, e);
done:
    if (fd >= 0)
        close(fd);
    if (tmp.data)
        unlink(tmp.data);
    if (text.data)
        wipe(text.data, text.len);
    buf_release(&text);
    buf_release(&tmp);
    return rc;
}

/* ---- the lock ---- */

int oauth_lock(const char *path, int *fd, struct err *e)
{
    struct buf lock;
    struct timespec slice = {0, 50 * 1000000L};
    time_t give_up = time(NULL) + OAUTH_LOCK_WAIT_S;
    int rc = ERR_OK, f = -1;

    *fd = -1;
    buf_init(&lock, 0);
    if ((rc = buf_printf(&lock, e, "%s.lock", path)) || (rc = make_parents(path, e)))
        goto done;
    f = open(lock.data, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (f < 0) {
        rc = err_set(e, ERR_IO, "lock '%s': %s", lock.data, strerror(errno));
        goto done;
    }
    while (flock(f, LOCK_EX | LOCK_NB) != 0) {
        if (errno != EWOULDBLOCK && errno != EINTR) {
            rc = err_set(e, ERR_IO, "lock '%s': %s", lock.data, strerror(errno));
            goto done;
        }
        if (time(NULL) > give_up) {
            rc = err_set(e, ERR_IO, "lock '%s': another process has held it for %d s", lock.data,
                         OAUTH_LOCK_WAIT_S);
            goto done;
        }
        nanosleep(&slice, NULL);
    }
    *fd = f;
    f = -1;
done:
    if (f >= 0)
        close(f);
    buf_release(&lock);
    return rc;
}

void oauth_unlock(int fd)
{
    if (fd < 0)
        return;
    flock(fd, LOCK_UN);
    close(fd);
}

/* ---- the token endpoint ---- */

int oauth_needs_refresh(const struct oauth_tokens *t, int64_t now_ms)
{
    int64_t margin = OAUTH_MARGIN_MS;

    if (t->expires_at_ms <= 0)
        return 0;
    if (t->lifetime_ms > 0 && t->lifetime_ms / 4 < margin)
        margin = t->lifetime_ms / 4;
    return now_ms >= t->expires_at_ms - margin;
}

/* A token as Gong sends it: printable ASCII without spaces, fits the field. */
static int token_ok(const char *s, size_t max)
{
    size_t n = 0;

    for (; s[n]; n++) {
        if ((unsigned char)s[n] <= ' ' || (unsigned char)s[n] >= 127)
            return 0;
    }
    return n > 0 && n < max;
}

static const char *json_string(const cJSON *root, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);

    return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

/* expires_in as seconds: a number or a numeric string; -1 when absent or bad. */
static double json_seconds(const cJSON *root, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    char *end = NULL;
    double d;

    if (cJSON_IsNumber(v))
        d = v->valuedouble;
    else if (cJSON_IsString(v) && v->valuestring) {
        d = strtod(v->valuestring, &end);
        if (end == v->valuestring || *end)
            return -1;
    } else
        return -1;
    return isfinite(d) && d >= 0 && d < 1e9 ? d : -1;
}

/* The error answer's "error" word as one safe line ("" when there is none). */
static void error_word(const cJSON *root, char *out, size_t n)
{
    const char *w = root ? json_string(root, "error") : NULL;

    gong_sanitize(w ? w : "", w ? strlen(w) : 0, out, n);
    if (!w)
        out[0] = '\0';
}

int oauth_read_answer(long status, const char *body, int refreshing, int64_t now_ms,
                      struct oauth_tokens *t, struct err *e)
{
    struct oauth_tokens next;
    cJSON *root = body ? cJSON_Parse(body) : NULL;
    const char *access, *refresh, *base, *scope;
    char word[64];
    double secs;
    int rc = ERR_OK;

    if (status != 200) {
        error_word(root, word, sizeof word);
        if (strcmp(word, "invalid_grant") == 0)
            rc = refreshing ? err_set(e, ERR_AUTH, OAUTH_RELOGIN)
                            : err_set(e, ERR_AUTH,
                                      "login failed: Gong refused the authorization code "
                                      "(invalid_grant): run callmine-ingest login again");
        else if (status >= 400 && status < 500)
            rc = err_set(e, ERR_AUTH, "the Gong token endpoint refused the %s: HTTP %ld %s%s",
                         refreshing ? "refresh" : "login", status, word,
                         status == 401 ? " (check the OAuth app's client id and secret)" : "");
        else
            rc = err_set(e, ERR_HTTP, "the Gong token endpoint failed: HTTP %ld %s", status, word);
        goto done;
    }
    if (!cJSON_IsObject(root)) {
        rc = err_set(e, ERR_PARSE,
                     "the Gong token endpoint answered something that is not a "
                     "JSON object");
        goto done;
    }
    next = *t;
    access = json_string(root, "access_token");
    refresh = json_string(root, "refresh_token");
    base = json_string(root, "api_base_url_for_customer");
    scope = json_string(root, "scope");
    if (!access || !token_ok(access, sizeof next.access_token)) {
        rc = err_set(e, ERR_PARSE,
                     "the Gong token endpoint answered without a usable "
                     "access_token");
        goto done;
    }
    snprintf(next.access_token, sizeof next.access_token, "%s", access);
    if (refresh) {
        if (!token_ok(refresh, sizeof next.refresh_token)) {
            rc = err_set(e, ERR_PARSE,
                         "the Gong token endpoint answered a malformed "
                         "refresh_token");
            goto done;
        }
        snprintf(next.refresh_token, sizeof next.refresh_token, "%s", refresh);
    }
    if (base && *base) {
        if (strlen(base) >= sizeof next.api_base_url || strpbrk(base, " \t\r\n") ||
            gong_check_url(base, NULL)) {
            rc = err_set(e, ERR_AUTH,
                         "the Gong token endpoint named an unusable API base URL '%.100s'", base);
            goto done;
        }
        snprintf(next.api_base_url, sizeof next.api_base_url, "%s", base);
    }
    if (scope && strlen(scope) < sizeof next.scope && !strpbrk(scope, "\r\n"))
        snprintf(next.scope, sizeof next.scope, "%s", scope);
    secs = json_seconds(root, "expires_in");
    next.lifetime_ms = secs >= 0 ? (int64_t)(secs * 1000) : 0;
    next.expires_at_ms = secs >= 0 ? now_ms + next.lifetime_ms : 0;
    *t = next;
    wipe(&next, sizeof next);
done:
    cJSON_Delete(root);
    return rc;
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *arg)
{
    struct buf *b = arg;
    size_t n = size * nmemb;

    return buf_append(b, p, n, NULL) ? 0 : n;
}

/* One POST; *cc and *status tell what came back. */
static int post_once(CURL *curl, struct buf *out, CURLcode *cc, long *status)
{
    buf_reset(out);
    *status = 0;
    *cc = curl_easy_perform(curl);
    if (*cc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, status);
    return ERR_OK;
}

int oauth_post(const char *token_url, const char *client_id, const char *client_secret,
               const char *form, long timeout_s, struct buf *out, long *status, struct err *e)
{
    struct curl_slist *hdr = NULL, *l;
    char errbuf[CURL_ERROR_SIZE] = "";
    CURL *curl = NULL;
    CURLcode cc = CURLE_OK;
    int attempt, rc = ERR_OK;

    *status = 0;
    if (gong_check_url(token_url, e)) {
        err_wrap(e, "token endpoint");
        return ERR_USAGE;
    }
    if (!client_id || !*client_id || !client_secret || !*client_secret)
        return err_set(e, ERR_USAGE,
                       "no OAuth app credentials: set GONG_CLIENT_ID and GONG_CLIENT_SECRET, or "
                       "put client_id= and client_secret= in the --credentials file");
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return err_set(e, ERR_HTTP, "libcurl: global initialisation failed");
    curl = curl_easy_init();
    hdr = curl_slist_append(NULL, "Accept: application/json");
    l = hdr ? curl_slist_append(hdr, "Content-Type: application/x-www-form-urlencoded") : NULL;
    if (!curl || !l) {
        rc = err_set(e, ERR_NOMEM, "token request: out of memory");
        goto done;
    }
    if (!out->max)
        out->max = (size_t)1 << 20;
    curl_easy_setopt(curl, CURLOPT_URL, token_url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(form));
    curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
    curl_easy_setopt(curl, CURLOPT_USERNAME, client_id);
    curl_easy_setopt(curl, CURLOPT_PASSWORD, client_secret);
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "callmine/0.1");
    curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s > 0 ? timeout_s : 60L);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT,
                     timeout_s > 0 && timeout_s < 30 ? timeout_s : 30L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, out);
    for (attempt = 1;; attempt++) {
        post_once(curl, out, &cc, status);
        /* Only a refused connection, 429 or 5xx is tried again: after a timeout Gong may
         * already have spent the refresh token, and a second try would only hide that. */
        if (attempt < OAUTH_ATTEMPTS &&
            (cc == CURLE_COULDNT_CONNECT || *status == 429 || *status >= 500)) {
            sleep((unsigned)attempt);
            continue;
        }
        break;
    }
    if (cc != CURLE_OK)
        rc = err_set(e, ERR_HTTP, "the Gong token endpoint did not answer: %s",
                     errbuf[0] ? errbuf : curl_easy_strerror(cc));
done:
    curl_slist_free_all(hdr);
    if (curl)
        curl_easy_cleanup(curl);
    return rc;
}

/* ---- one run's login ---- */

struct oauth {
    char *path;
    char *token_url;
    long timeout_s;
    int verbose;
    int refreshes;
    struct oauth_tokens t;
    char client_id[OAUTH_FIELD_MAX]; /* overrides, "" when none */
    char client_secret[OAUTH_FIELD_MAX];
};

struct oauth *oauth_open(const char *path, const char *client_id, const char *client_secret,
                         const char *token_url, long timeout_s, int verbose, struct err *e)
{
    struct oauth *o = calloc(1, sizeof *o);
    int rc;

    if (!o || !(o->path = strdup(path))) {
        err_set(e, ERR_NOMEM, "oauth: out of memory");
        goto fail;
    }
    o->timeout_s = timeout_s;
    o->verbose = verbose;
    if (client_id && *client_id && !put(o->client_id, sizeof o->client_id, client_id)) {
        err_set(e, ERR_USAGE, "the OAuth client id is too long");
        goto fail;
    }
    if (client_secret && *client_secret &&
        !put(o->client_secret, sizeof o->client_secret, client_secret)) {
        err_set(e, ERR_USAGE, "the OAuth client secret is too long");
        goto fail;
    }
    rc = oauth_file_read(path, &o->t, e);
    if (rc) {
        if (e)
            e->code = ERR_USAGE;
        goto fail;
    }
    if (!o->t.access_token[0] && !o->t.refresh_token[0]) {
        err_set(e, ERR_USAGE, "token file '%s' holds no tokens: run callmine-ingest login", path);
        goto fail;
    }
    if (!token_url && !getenv("GONG_OAUTH_TOKEN_URL") && o->t.token_url[0])
        token_url = o->t.token_url; /* where the login came from */
    o->token_url = strdup(oauth_token_url(token_url));
    if (!o->token_url) {
        err_set(e, ERR_NOMEM, "oauth: out of memory");
        goto fail;
    }
    return o;
fail:
    oauth_free(o);
    return NULL;
}

void oauth_free(struct oauth *o)
{
    if (!o)
        return;
    free(o->path);
    free(o->token_url);
    wipe(o, sizeof *o);
    free(o);
}

const char *oauth_api_base_url(const struct oauth *o)
{
    return o->t.api_base_url;
}

/* Spend the refresh token in cur (the file's current state) and write the rotated tokens.
 * Called under the lock. On success cur holds the new tokens. */
static int refresh_locked(struct oauth *o, struct oauth_tokens *cur, struct err *e)
{
    struct buf form, body;
    const char *id = o->client_id[0] ? o->client_id : cur->client_id;
    const char *secret = o->client_secret[0] ? o->client_secret : cur->client_secret;
    long status = 0;
    int rc;

    if (!cur->refresh_token[0])
        return err_set(e, ERR_AUTH, OAUTH_RELOGIN);
    buf_init(&form, 0);
    buf_init(&body, (size_t)1 << 20);
    rc = buf_puts(&form, "grant_type=refresh_token&refresh_token=", e);
    if (!rc)
        rc = gong_urlencode(cur->refresh_token, &form, e);
    if (!rc)
        rc = oauth_post(o->token_url, id, secret, form.data, o->timeout_s, &body, &status, e);
    if (!rc)
        rc = oauth_read_answer(status, body.data, 1, isotime_now_ms(), cur, e);
    /* the old refresh token is spent now: the new one must reach the disk before use */
    if (!rc)
        rc = oauth_file_write(o->path, cur, e);
    if (rc == ERR_IO)
        err_wrap(e, "the Gong login was refreshed but could not be saved (run callmine-ingest "
                    "login)");
    if (form.data)
        wipe(form.data, form.len);
    if (body.data)
        wipe(body.data, body.len);
    buf_release(&form);
    buf_release(&body);
    return rc;
}

int oauth_access_token(struct oauth *o, int refused, const char **token, struct err *e)
{
    struct oauth_tokens *cur = NULL;
    char when[ISOTIME_MAX] = "?";
    int64_t now = isotime_now_ms();
    int fd = -1, rc = ERR_OK;

    *token = NULL;
    if (!refused && o->t.access_token[0] && !oauth_needs_refresh(&o->t, now)) {
        *token = o->t.access_token;
        return ERR_OK;
    }
    cur = malloc(sizeof *cur);
    if (!cur)
        return err_set(e, ERR_NOMEM, "oauth: out of memory");
    if ((rc = oauth_lock(o->path, &fd, e)))
        goto done;
    if ((rc = oauth_file_read(o->path, cur, e))) {
        if (rc == ERR_NOTFOUND)
            rc = err_set(e, ERR_AUTH, OAUTH_RELOGIN);
        goto done;
    }
    now = isotime_now_ms();
    if (cur->access_token[0] && strcmp(cur->access_token, o->t.access_token) != 0 &&
        !oauth_needs_refresh(cur, now)) {
        /* another process refreshed while we waited for the lock: use its token */
        o->t = *cur;
        goto done;
    }
    if ((rc = refresh_locked(o, cur, e)))
        goto done;
    o->t = *cur;
    o->refreshes++;
    if (o->verbose) {
        if (o->t.expires_at_ms > 0)
            isotime_format(o->t.expires_at_ms, 0, when);
        fprintf(stderr, "callmine-ingest: refreshed the Gong access token%s (valid until %s)\n",
                refused ? " after a 401" : "", when);
    }
done:
    oauth_unlock(fd);
    if (cur) {
        wipe(cur, sizeof *cur);
        free(cur);
    }
    if (!rc)
        *token = o->t.access_token;
    return rc;
}

static int source_get(void *arg, int refused, const char **token, struct err *e)
{
    return oauth_access_token(arg, refused, token, e);
}

static void source_release(void *arg)
{
    oauth_free(arg);
}

void oauth_source(struct oauth *o, struct gong_token_source *src)
{
    src->get = source_get;
    src->release = source_release;
    src->arg = o;
}
