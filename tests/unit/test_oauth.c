/* test_oauth: the OAuth login's offline parts: the token file (round trip, 0600, refusal
 * when readable by others, malformed lines, atomic replacement), the refresh deadline, the
 * token endpoint's answers (tokens, rotation, api_base_url_for_customer, invalid_grant and
 * other errors), the lock, the token file's default path and the redirect's query parser. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "login.h"
#include "oauth.h"

static char dir[] = "/tmp/test_oauth.XXXXXX";

static void path_in(char *out, size_t n, const char *leaf)
{
    snprintf(out, n, "%s/%s", dir, leaf);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");

    if (f) {
        fputs(text, f);
        fclose(f);
    }
    chmod(path, mode);
}

static void test_file(void)
{
    struct oauth_tokens t, r;
    struct err e = {0};
    struct stat sb;
    char path[512], nested[512];

    memset(&t, 0, sizeof t);
    snprintf(t.access_token, sizeof t.access_token, "at-1-abc");
    snprintf(t.refresh_token, sizeof t.refresh_token, "rt-1-xyz");
    t.expires_at_ms = 1767225600000LL; /* 2026-01-01T00:00:00Z */
    t.lifetime_ms = 3600000;
    snprintf(t.api_base_url, sizeof t.api_base_url, "https://us-123.api.gong.io");
    snprintf(t.scope, sizeof t.scope, "api:calls:read:basic api:users:read");
    snprintf(t.client_id, sizeof t.client_id, "cid");
    snprintf(t.client_secret, sizeof t.client_secret, "csecret");
    path_in(path, sizeof path, "token");
    CHECK(oauth_file_write(path, &t, &e) == ERR_OK);
    CHECK(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600);
    CHECK(oauth_file_read(path, &r, &e) == ERR_OK);
    CHECK(strcmp(r.access_token, "at-1-abc") == 0);
    CHECK(strcmp(r.refresh_token, "rt-1-xyz") == 0);
    CHECK(r.expires_at_ms == t.expires_at_ms);
    CHECK(r.lifetime_ms == 3600000);
    CHECK(strcmp(r.api_base_url, t.api_base_url) == 0);
    CHECK(strcmp(r.scope, t.scope) == 0);
    CHECK(strcmp(r.client_secret, "csecret") == 0);
    CHECK(r.token_url[0] == '\0');

    /* replaced atomically: no temporary file is left behind, the mode stays 0600 */
    snprintf(t.refresh_token, sizeof t.refresh_token, "rt-2-new");
    CHECK(oauth_file_write(path, &t, &e) == ERR_OK);
    CHECK(oauth_file_read(path, &r, &e) == ERR_OK && strcmp(r.refresh_token, "rt-2-new") == 0);
    {
        char cmd[600];

        snprintf(cmd, sizeof cmd, "ls %s | grep -q tmp", dir);
        CHECK(system(cmd) != 0);
    }

    /* parents are created 0700 */
    path_in(nested, sizeof nested, "a/b/token");
    CHECK(oauth_file_write(nested, &t, &e) == ERR_OK);
    path_in(nested, sizeof nested, "a/b");
    CHECK(stat(nested, &sb) == 0 && (sb.st_mode & 0777) == 0700);

    /* refused when others can read it; the message names the file, not a value */
    chmod(path, 0640);
    CHECK(oauth_file_read(path, &r, &e) == ERR_USAGE);
    CHECK(strstr(e.msg, "readable by others") && !strstr(e.msg, "rt-2"));
    CHECK(r.access_token[0] == '\0');
    chmod(path, 0600);

    path_in(path, sizeof path, "missing");
    CHECK(oauth_file_read(path, &r, &e) == ERR_NOTFOUND);
    CHECK(strstr(e.msg, "callmine-ingest login") != NULL);

    path_in(path, sizeof path, "bad1");
    write_text(path, "access_token=x\nnonsense\n", 0600);
    CHECK(oauth_file_read(path, &r, &e) == ERR_USAGE && strstr(e.msg, "line 2"));
    write_text(path, "refresh_token=x\ncolour=blue\n", 0600);
    CHECK(oauth_file_read(path, &r, &e) == ERR_USAGE && strstr(e.msg, "'colour'"));
    write_text(path, "expires_at=soon\n", 0600);
    CHECK(oauth_file_read(path, &r, &e) == ERR_USAGE && strstr(e.msg, "'expires_at'"));
    write_text(path, "# comment\n\naccess_token = spaced \r\nexpires_at=\n", 0600);
    CHECK(oauth_file_read(path, &r, &e) == ERR_OK && strcmp(r.access_token, "spaced") == 0 &&
          r.expires_at_ms == 0);
}

static void test_deadline(void)
{
    struct oauth_tokens t;
    int64_t now = 1767225600000LL;

    memset(&t, 0, sizeof t);
    CHECK(!oauth_needs_refresh(&t, now)); /* unknown expiry: only a 401 refreshes */
    t.lifetime_ms = 86400000;
    t.expires_at_ms = now + OAUTH_MARGIN_MS + 1000;
    CHECK(!oauth_needs_refresh(&t, now));
    t.expires_at_ms = now + OAUTH_MARGIN_MS - 1000;
    CHECK(oauth_needs_refresh(&t, now));
    t.expires_at_ms = now - 1;
    CHECK(oauth_needs_refresh(&t, now));
    /* a 4 s token: refreshed in its last second, not at once */
    t.lifetime_ms = 4000;
    t.expires_at_ms = now + 2000;
    CHECK(!oauth_needs_refresh(&t, now));
    t.expires_at_ms = now + 900;
    CHECK(oauth_needs_refresh(&t, now));
}

static void test_answer(void)
{
    struct oauth_tokens t;
    struct err e = {0};
    int64_t now = 1000000;

    memset(&t, 0, sizeof t);
    snprintf(t.refresh_token, sizeof t.refresh_token, "rt-old");
    snprintf(t.api_base_url, sizeof t.api_base_url, "https://old.api.gong.io");
    CHECK(oauth_read_answer(
              200,
              "{\"access_token\":\"at-new\",\"refresh_token\":\"rt-new\","
              "\"expires_in\":86400,\"token_type\":\"bearer\",\"scope\":\"api:users:read\","
              "\"api_base_url_for_customer\":\"https://company-17.api.gong.io\"}",
              1, now, &t, &e) == ERR_OK);
    CHECK(strcmp(t.access_token, "at-new") == 0 && strcmp(t.refresh_token, "rt-new") == 0);
    CHECK(t.expires_at_ms == now + 86400000 && t.lifetime_ms == 86400000);
    CHECK(strcmp(t.api_base_url, "https://company-17.api.gong.io") == 0);
    CHECK(strcmp(t.scope, "api:users:read") == 0);

    /* no refresh_token, base URL or expiry in the answer: the old ones stay, expiry unknown */
    CHECK(oauth_read_answer(200, "{\"access_token\":\"at-3\",\"expires_in\":\"60\"}", 1, now, &t,
                            &e) == ERR_OK);
    CHECK(strcmp(t.refresh_token, "rt-new") == 0 && t.lifetime_ms == 60000);
    CHECK(strcmp(t.api_base_url, "https://company-17.api.gong.io") == 0);
    CHECK(oauth_read_answer(200, "{\"access_token\":\"at-4\"}", 1, now, &t, &e) == ERR_OK);
    CHECK(t.expires_at_ms == 0);

    /* unusable answers leave t as it was */
    CHECK(oauth_read_answer(200, "{\"refresh_token\":\"rt-x\"}", 1, now, &t, &e) == ERR_PARSE);
    CHECK(oauth_read_answer(200, "{\"access_token\":\"has space\"}", 1, now, &t, &e) == ERR_PARSE);
    CHECK(oauth_read_answer(200, "not json", 1, now, &t, &e) == ERR_PARSE);
    CHECK(oauth_read_answer(200,
                            "{\"access_token\":\"at-5\",\"api_base_url_for_customer\":"
                            "\"http://evil.example.com\"}",
                            1, now, &t, &e) == ERR_AUTH);
    CHECK(strcmp(t.access_token, "at-4") == 0 && strcmp(t.refresh_token, "rt-new") == 0);

    /* errors */
    CHECK(oauth_read_answer(400,
                            "{\"error\":\"invalid_grant\",\"error_description\":\"Refresh token "
                            "code is invalid\"}",
                            1, now, &t, &e) == ERR_AUTH);
    CHECK(strcmp(e.msg, OAUTH_RELOGIN) == 0);
    CHECK(oauth_read_answer(400, "{\"error\":\"invalid_grant\"}", 0, now, &t, &e) == ERR_AUTH);
    CHECK(strstr(e.msg, "authorization code") != NULL);
    CHECK(oauth_read_answer(401, "{\"error\":\"invalid_client\"}", 1, now, &t, &e) == ERR_AUTH);
    CHECK(strstr(e.msg, "HTTP 401 invalid_client") && strstr(e.msg, "client id and secret"));
    CHECK(oauth_read_answer(503, "<html>", 1, now, &t, &e) == ERR_HTTP);
    CHECK(strstr(e.msg, "HTTP 503") != NULL);
    CHECK(strcmp(t.access_token, "at-4") == 0);
}

static void test_lock(void)
{
    char path[512];
    struct err e = {0};
    int fd = -1, status = 0;
    pid_t pid;

    path_in(path, sizeof path, "locked/token");
    CHECK(oauth_lock(path, &fd, &e) == ERR_OK && fd >= 0);
    pid = fork();
    if (pid == 0) {
        /* the child cannot take the lock while the parent holds it: probe without waiting */
        char lock[600];
        int f;

        snprintf(lock, sizeof lock, "%s.lock", path);
        f = open(lock, O_RDWR);
        _exit(f >= 0 && flock(f, LOCK_EX | LOCK_NB) != 0 ? 0 : 1);
    }
    CHECK(pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
          WEXITSTATUS(status) == 0);
    oauth_unlock(fd);
    CHECK(oauth_lock(path, &fd, &e) == ERR_OK);
    oauth_unlock(fd);
    oauth_unlock(-1);
}

static void test_paths(void)
{
    struct buf b;
    struct err e = {0};

    buf_init(&b, 0);
    setenv("HOME", "/home/u", 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("CALLMINE_TOKEN_FILE");
    CHECK(oauth_token_path(NULL, &b, &e) == ERR_OK &&
          strcmp(b.data, "/home/u/.config/callmine/token") == 0);
    setenv("XDG_CONFIG_HOME", "/x", 1);
    CHECK(oauth_token_path(NULL, &b, &e) == ERR_OK && strcmp(b.data, "/x/callmine/token") == 0);
    setenv("CALLMINE_TOKEN_FILE", "/e/tok", 1);
    CHECK(oauth_token_path(NULL, &b, &e) == ERR_OK && strcmp(b.data, "/e/tok") == 0);
    CHECK(oauth_token_path("/given", &b, &e) == ERR_OK && strcmp(b.data, "/given") == 0);
    unsetenv("CALLMINE_TOKEN_FILE");
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("HOME");
    CHECK(oauth_token_path(NULL, &b, &e) == ERR_USAGE);
    buf_release(&b);

    unsetenv("GONG_OAUTH_TOKEN_URL");
    CHECK(strcmp(oauth_token_url(NULL), OAUTH_TOKEN_URL) == 0);
    setenv("GONG_OAUTH_TOKEN_URL", "http://127.0.0.1:9/t", 1);
    CHECK(strcmp(oauth_token_url(NULL), "http://127.0.0.1:9/t") == 0);
    CHECK(strcmp(oauth_token_url("https://x/t"), "https://x/t") == 0);
    unsetenv("GONG_OAUTH_TOKEN_URL");
    CHECK(strcmp(oauth_authorize_url(NULL), OAUTH_AUTHORIZE_URL) == 0);
}

static void test_query(void)
{
    char v[32];

    CHECK(login_query_value("code=abc&state=12", "state", v, sizeof v) && strcmp(v, "12") == 0);
    CHECK(login_query_value("code=a%2Fb+c&state=1", "code", v, sizeof v) &&
          strcmp(v, "a/b c") == 0);
    CHECK(!login_query_value("xstate=1", "state", v, sizeof v));
    CHECK(login_query_value("state=&code=1", "state", v, sizeof v) && v[0] == '\0');
    CHECK(login_query_value("state", "state", v, sizeof v) && v[0] == '\0');
    CHECK(!login_query_value("", "code", v, sizeof v));
    CHECK(!login_query_value("code=0123456789", "code", v, 5)); /* does not fit */
    CHECK(login_query_value("error=access_denied&state=s", "error", v, sizeof v) &&
          strcmp(v, "access_denied") == 0);
}

int main(void)
{
    char cmd[600];

    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_file();
    test_deadline();
    test_answer();
    test_lock();
    test_paths();
    test_query();
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "test_oauth: could not remove %s\n", dir);
    return CHECK_DONE("test_oauth");
}
