/* test_gong: the HTTP client's pure logic (URL check, classification, backoff, scopes,
 * sanitising, encoders) and the behaviour that needs no server: configuration errors,
 * budget, interrupt, and retry/pacing against a loopback port that refuses connections. */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "gong.h"

static double now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int url_ok(const char *url)
{
    struct err e = {0};

    return gong_check_url(url, &e) == ERR_OK;
}

static void test_url(void)
{
    struct err e = {0};

    CHECK(url_ok("https://api.gong.io"));
    CHECK(url_ok("https://us-12345.api.gong.io/"));
    CHECK(url_ok("HTTPS://API.GONG.IO"));
    CHECK(url_ok("http://127.0.0.1:8080"));
    CHECK(url_ok("http://127.5.6.7"));
    CHECK(url_ok("http://localhost:1234/"));
    CHECK(url_ok("http://LOCALHOST"));
    CHECK(url_ok("http://[::1]:9000"));
    CHECK(!url_ok("http://example.com"));
    CHECK(!url_ok("http://128.0.0.1"));
    CHECK(!url_ok("http://10.0.0.1:80"));
    CHECK(!url_ok("http://localhost.example.com"));
    CHECK(!url_ok("http://127.0.0.1.example.com"));
    CHECK(!url_ok("http://[::2]"));
    CHECK(!url_ok("ftp://127.0.0.1"));
    CHECK(!url_ok("api.gong.io"));
    CHECK(!url_ok(""));
    CHECK(!url_ok(NULL));
    CHECK(!url_ok("https://api.gong.io/?x=1"));
    CHECK(!url_ok("https://api.gong.io/#frag"));

    CHECK(gong_check_url("http://example.com:80/", &e) == ERR_USAGE);
    CHECK(strcmp(e.msg, "refusing plain http to 'example.com': use https (http is allowed only "
                        "for loopback test servers)") == 0);
    CHECK(gong_check_url("https://key:s3cret@api.gong.io", &e) == ERR_USAGE);
    CHECK(strstr(e.msg, "s3cret") == NULL);
    CHECK(strstr(e.msg, "user name or password") != NULL);

    CHECK(gong_host_is_loopback("127.0.0.1"));
    CHECK(gong_host_is_loopback("127.255.255.254"));
    CHECK(gong_host_is_loopback("::1"));
    CHECK(gong_host_is_loopback("[::1]"));
    CHECK(gong_host_is_loopback("[::ffff:127.0.0.1]"));
    CHECK(gong_host_is_loopback("localhost"));
    CHECK(gong_host_is_loopback("localhost."));
    CHECK(!gong_host_is_loopback("localhostx"));
    CHECK(!gong_host_is_loopback("mylocalhost"));
    CHECK(!gong_host_is_loopback("126.0.0.1"));
    CHECK(!gong_host_is_loopback("[::ffff:10.0.0.1]"));
    CHECK(!gong_host_is_loopback("[::1"));
    CHECK(!gong_host_is_loopback(""));
    CHECK(!gong_host_is_loopback(NULL));
}

static void test_classify(void)
{
    const char *empty = "{\"requestId\":\"x\",\"errors\":[\"No calls found corresponding to the "
                        "provided filters\"]}";
    const char *users_empty =
        "{\"errors\":[\"No users found corresponding to the provided filters\"]}";

    CHECK(gong_is_json("application/json"));
    CHECK(gong_is_json("application/json;charset=UTF-8"));
    CHECK(gong_is_json("Application/JSON; charset=utf-8"));
    CHECK(gong_is_json(" application/json"));
    CHECK(gong_is_json("application/problem+json"));
    CHECK(!gong_is_json("text/html"));
    CHECK(!gong_is_json("text/json-ish"));
    CHECK(!gong_is_json("application/jsonx"));
    CHECK(!gong_is_json("application/+json"));
    CHECK(!gong_is_json(""));
    CHECK(!gong_is_json(NULL));

    CHECK(gong_classify(200, "application/json;charset=UTF-8", "{}") == GONG_V_OK);
    CHECK(gong_classify(200, "text/html", "<html>") == GONG_V_RETRY);
    CHECK(gong_classify(200, NULL, "{}") == GONG_V_RETRY);
    CHECK(gong_classify(404, "application/json", empty) == GONG_V_EMPTY);
    CHECK(gong_classify(404, "application/json", users_empty) == GONG_V_EMPTY);
    CHECK(gong_classify(404, "application/json", "{\"errors\":[\"Call ID 1 was not found\"]}") ==
          GONG_V_FAIL);
    CHECK(gong_classify(404, NULL, NULL) == GONG_V_FAIL);
    CHECK(gong_classify(401, "application/json", "{}") == GONG_V_AUTH);
    CHECK(gong_classify(403, NULL, NULL) == GONG_V_AUTH);
    CHECK(gong_classify(429, NULL, NULL) == GONG_V_RATE);
    CHECK(gong_classify(400, NULL, "{\"errors\":[\"The cursor has expired\"]}") == GONG_V_CURSOR);
    CHECK(gong_classify(400, NULL, "CURSOR HAS EXPIRED") == GONG_V_CURSOR);
    CHECK(gong_classify(400, NULL, "{\"errors\":[\"bad callIds\"]}") == GONG_V_FAIL);
    CHECK(gong_classify(400, NULL, NULL) == GONG_V_FAIL);
    CHECK(gong_classify(500, NULL, NULL) == GONG_V_RETRY);
    CHECK(gong_classify(502, NULL, NULL) == GONG_V_RETRY);
    CHECK(gong_classify(503, NULL, NULL) == GONG_V_RETRY);
    CHECK(gong_classify(504, NULL, NULL) == GONG_V_RETRY);
    CHECK(gong_classify(501, NULL, NULL) == GONG_V_FAIL);
    CHECK(gong_classify(301, NULL, NULL) == GONG_V_FAIL);
    CHECK(gong_classify(422, NULL, NULL) == GONG_V_FAIL);

    CHECK(gong_curl_transient(CURLE_OPERATION_TIMEDOUT));
    CHECK(gong_curl_transient(CURLE_COULDNT_CONNECT));
    CHECK(gong_curl_transient(CURLE_PARTIAL_FILE));
    CHECK(gong_curl_transient(CURLE_GOT_NOTHING));
    CHECK(gong_curl_transient(CURLE_RECV_ERROR));
    CHECK(gong_curl_transient(CURLE_SEND_ERROR));
    CHECK(gong_curl_transient(CURLE_BAD_CONTENT_ENCODING));
    CHECK(!gong_curl_transient(CURLE_OK));
    CHECK(!gong_curl_transient(CURLE_PEER_FAILED_VERIFICATION));
    CHECK(!gong_curl_transient(CURLE_COULDNT_RESOLVE_HOST));
    CHECK(!gong_curl_transient(CURLE_WRITE_ERROR));
    CHECK(!gong_curl_transient(CURLE_ABORTED_BY_CALLBACK));
}

static void test_scope(void)
{
    const char *s;

    CHECK((s = gong_scope_for_path("/v2/calls")) && strcmp(s, "api:calls:read:basic") == 0);
    CHECK((s = gong_scope_for_path("/v2/calls/123")) && strcmp(s, "api:calls:read:basic") == 0);
    CHECK((s = gong_scope_for_path("/v2/calls/extensive")) &&
          strcmp(s, "api:calls:read:extensive") == 0);
    CHECK((s = gong_scope_for_path("/v2/calls/transcript")) &&
          strcmp(s, "api:calls:read:transcript") == 0);
    CHECK((s = gong_scope_for_path("/v2/users")) && strcmp(s, "api:users:read") == 0);
    CHECK((s = gong_scope_for_path("/v2/users/extensive")) && strcmp(s, "api:users:read") == 0);
    CHECK((s = gong_scope_for_path("/v2/users/42/settings-history")) &&
          strcmp(s, "api:users:read") == 0);
    CHECK(gong_scope_for_path("/v2/callsx") == NULL);
    CHECK(gong_scope_for_path("/v2/other") == NULL);
    CHECK(gong_scope_for_path(NULL) == NULL);
}

static void test_backoff(void)
{
    int n, ok = 1;
    double u;

    CHECK(gong_backoff_s(1.0, 0, 0.0) == 0.0);
    CHECK(gong_backoff_s(1.0, 0, 0.5) == 0.5);
    CHECK(gong_backoff_s(1.0, 3, 0.5) == 4.0);
    CHECK(gong_backoff_s(0, 1, 0.5) == 1.0); /* base 0 means 1 s */
    CHECK(gong_backoff_s(1.0, 5, 0.999) < 30.0);
    CHECK(gong_backoff_s(1.0, 6, 0.5) == 15.0); /* 64 capped to 30 */
    CHECK(gong_backoff_s(1.0, 1000000, 0.5) == 15.0);
    CHECK(gong_backoff_s(0.01, 2, 0.5) == 0.02);
    for (n = 0; n < 40; n++) {
        for (u = 0; u < 1; u += 0.125) {
            double d = gong_backoff_s(1.0, n, u);
            if (d < 0 || d > GONG_BACKOFF_CAP_S)
                ok = 0;
        }
    }
    CHECK(ok);

    CHECK(gong_wait_429(0, 600, 1.5) == 1.5); /* no Retry-After: backoff */
    CHECK(gong_wait_429(-1, 600, 1.5) == 1.5);
    CHECK(gong_wait_429(2, 600, 1.5) == 2.0);
    CHECK(gong_wait_429(600, 600, 1.5) == 600.0);
    CHECK(gong_wait_429(601, 600, 1.5) < 0);
    CHECK(gong_wait_429(86400, 600, 1.5) < 0);
}

static void test_sanitize(void)
{
    char out[256], small[8], big[300];
    const char *s;

    CHECK(strcmp(gong_sanitize("a\r\nb\t\tc  d", 11, out, sizeof out), "a b c d") == 0);
    CHECK(strcmp(gong_sanitize("  \n x \n", 7, out, sizeof out), "x") == 0);
    CHECK(strcmp(gong_sanitize("", 0, out, sizeof out), "(empty body)") == 0);
    CHECK(strcmp(gong_sanitize(NULL, 5, out, sizeof out), "(empty body)") == 0);
    CHECK(strcmp(gong_sanitize("\n\n", 2, out, sizeof out), "(empty body)") == 0);
    CHECK(strcmp(gong_sanitize("a\0b", 3, out, sizeof out), "a b") == 0);
    memset(big, 'x', sizeof big);
    CHECK(strlen(gong_sanitize(big, sizeof big, out, sizeof out)) == 200);
    CHECK(strlen(gong_sanitize(big, sizeof big, small, sizeof small)) == 7);
    /* 199 ASCII bytes then a 2-byte sequence: the cut at 200 drops the whole character */
    memset(big, 'y', 199);
    memcpy(big + 199, "\xc3\xa9zz", 4);
    s = gong_sanitize(big, 203, out, sizeof out);
    CHECK(strlen(s) == 199 && s[198] == 'y');
    /* a 3-byte sequence cut after its second byte */
    memset(big, 'y', 198);
    memcpy(big + 198, "\xe2\x82\xac!", 4);
    s = gong_sanitize(big, 202, out, sizeof out);
    CHECK(strlen(s) == 198);
    /* a sequence that fits is kept */
    memcpy(big + 197, "\xe2\x82\xac!", 4);
    s = gong_sanitize(big, 201, out, sizeof out);
    CHECK(strlen(s) == 200 && strcmp(s + 197, "\xe2\x82\xac") == 0);
}

static void test_encoders(void)
{
    struct buf b;
    struct err e = {0};

    buf_init(&b, 0);
    CHECK(gong_urlencode("2024-03-01T00:00:00+02:00", &b, &e) == ERR_OK);
    CHECK(strcmp(b.data, "2024-03-01T00%3A00%3A00%2B02%3A00") == 0);
    buf_reset(&b);
    CHECK(gong_urlencode("a b&c=d/é~_.-", &b, &e) == ERR_OK);
    CHECK(strcmp(b.data, "a%20b%26c%3Dd%2F%C3%A9~_.-") == 0);
    CHECK(gong_urlencode("!", &b, &e) == ERR_OK); /* appends */
    CHECK(strcmp(b.data, "a%20b%26c%3Dd%2F%C3%A9~_.-%21") == 0);
    buf_reset(&b);
    CHECK(gong_urlencode("", &b, &e) == ERR_OK && b.len == 0);
    buf_release(&b);

    buf_init(&b, 4);
    CHECK(gong_urlencode("abc/", &b, &e) == ERR_NOMEM && b.data == NULL);
    buf_release(&b);
}

static struct gong_config config(const char *url)
{
    struct gong_config c;

    memset(&c, 0, sizeof c);
    c.base_url = url;
    c.auth = GONG_AUTH_BASIC;
    c.access_key = "KEY";
    c.access_secret = "SECRET";
    c.budget = -1;
    return c;
}

static void test_new(void)
{
    struct gong_config c = config("http://127.0.0.1:9/");
    struct gong_client *g;
    struct err e = {0};

    g = gong_new(&c, &e);
    CHECK(g != NULL);
    CHECK(g && strcmp(gong_base_url(g), "http://127.0.0.1:9") == 0);
    CHECK(g && gong_stats(g)->requests == 0);
    gong_free(g);
    gong_free(NULL);

    c.base_url = "http://example.com";
    CHECK(gong_new(&c, &e) == NULL && e.code == ERR_USAGE);
    CHECK(strstr(e.msg, "refusing plain http to 'example.com'") != NULL);

    c = config("https://api.gong.io");
    c.access_secret = "";
    CHECK(gong_new(&c, &e) == NULL && e.code == ERR_USAGE);
    c.auth = GONG_AUTH_BEARER;
    CHECK(gong_new(&c, &e) == NULL && e.code == ERR_USAGE); /* no token */
    c.bearer_token = "sekrit\r\nX-Injected: 1";
    CHECK(gong_new(&c, &e) == NULL && e.code == ERR_USAGE);
    CHECK(strstr(e.msg, "sekrit") == NULL && strstr(e.msg, "Injected") == NULL);
    c.bearer_token = "tok";
    g = gong_new(&c, &e);
    CHECK(g != NULL);
    gong_free(g);
}

/* A loopback port that refuses connections: bound, never listening. Returns the fd. */
static int refusing_port(int *port)
{
    struct sockaddr_in a;
    socklen_t n = sizeof a;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(fd, (struct sockaddr *)&a, &n)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static void test_offline_requests(void)
{
    struct gong_config c;
    struct gong_client *g;
    struct gong_result res;
    struct buf out;
    struct err e = {0};
    volatile int stop = 0;
    char url[64];
    int fd, port = 0;
    double t0, dt;

    fd = refusing_port(&port);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    snprintf(url, sizeof url, "http://127.0.0.1:%d", port);
    buf_init(&out, 0);

    /* budget 0: refused before anything is sent */
    c = config(url);
    c.budget = 0;
    g = gong_new(&c, &e);
    CHECK(g && gong_get(g, "/v2/users", NULL, &out, &res, &e) == ERR_BUDGET);
    CHECK(strcmp(e.msg, "daily request budget spent after 0 requests") == 0);
    CHECK(g && gong_stats(g)->requests == 0);
    gong_free(g);

    /* stop flag already set: interrupted before anything is sent */
    c = config(url);
    c.stop_flag = &stop;
    stop = 1;
    g = gong_new(&c, &e);
    CHECK(g && gong_post(g, "/v2/calls/extensive", "{}", &out, &res, &e) == ERR_INTERRUPT);
    CHECK(g && gong_stats(g)->requests == 0);
    gong_free(g);

    /* refused connection: retried max_retries times, then ERR_HTTP naming the attempts */
    c = config(url);
    c.max_retries = 2;
    c.backoff_base_s = 0.01;
    g = gong_new(&c, &e);
    CHECK(g && gong_get(g, "/v2/calls", "a=1", &out, &res, &e) == ERR_HTTP);
    CHECK(strstr(e.msg, "GET /v2/calls: ") == e.msg);
    CHECK(strstr(e.msg, "after 3 attempts") != NULL);
    CHECK(strstr(e.msg, "SECRET") == NULL && strstr(e.msg, "S0VZ") == NULL);
    CHECK(res.status == 0 && res.empty == 0);
    CHECK(g && gong_stats(g)->requests == 3 && gong_stats(g)->retries == 2);
    gong_free(g);

    /* the budget counts every attempt, retries included */
    c.budget = 2;
    g = gong_new(&c, &e);
    CHECK(g && gong_get(g, "/v2/calls", NULL, &out, &res, &e) == ERR_BUDGET);
    CHECK(strcmp(e.msg, "daily request budget spent after 2 requests") == 0);
    CHECK(g && gong_stats(g)->requests == 2 && gong_stats(g)->retries == 1);
    gong_free(g);

    /* pacing: at 20 requests/s, 5 attempts take at least 4 * 1.02 / 20 s */
    c = config(url);
    c.max_retries = 4;
    c.backoff_base_s = 0.001;
    c.rate = 20;
    g = gong_new(&c, &e);
    t0 = now_s();
    CHECK(g && gong_get(g, "/v2/calls", NULL, &out, &res, &e) == ERR_HTTP);
    dt = now_s() - t0;
    CHECK(dt >= 4 * GONG_PACE_MARGIN / 20 && dt < 2.0);
    CHECK(g && gong_stats(g)->requests == 5 && gong_stats(g)->wait_s > 0.15);
    gong_free(g);

    buf_release(&out);
    close(fd);
}

int main(void)
{
    test_url();
    test_classify();
    test_scope();
    test_backoff();
    test_sanitize();
    test_encoders();
    test_new();
    test_offline_requests();
    return CHECK_DONE("test_gong");
}
