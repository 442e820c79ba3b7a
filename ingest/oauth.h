/* oauth: the tokens of a Gong OAuth app login, kept in a token file of their own, and
 * their refresh.
 *
 * `callmine-ingest login` (login.c) writes the file; later runs read it, send the access
 * token as Bearer and refresh it shortly before it expires or when the API answers 401.
 * Gong's refresh tokens are single-use: every refresh returns a new one and spends the old
 * one. So a refresh happens under an exclusive lock (flock on FILE.lock, a file that is
 * never replaced), re-reads the file first (another process may have refreshed already),
 * and writes the rotated tokens atomically (temporary file, fsync, rename, fsync of the
 * directory) before the new access token is used. The file is created 0600 and refused
 * when group- or world-readable. Secrets are never printed; error messages name files and
 * HTTP statuses only. Uses libcurl for the token endpoint and cJSON for its answer. */
#ifndef CALLMINE_OAUTH_H
#define CALLMINE_OAUTH_H

#include <stdint.h>

#include "buf.h"
#include "err.h"
#include "gong.h"

#define OAUTH_AUTHORIZE_URL "https://app.gong.io/oauth2/authorize"
#define OAUTH_TOKEN_URL "https://app.gong.io/oauth2/generate-customer-token"
/* The only scopes callmine asks for: the four read scopes, space-separated. */
#define OAUTH_SCOPES                                                                               \
    "api:calls:read:basic api:calls:read:extensive api:calls:read:transcript api:users:read"
#define OAUTH_TOKEN_MAX 4096   /* bytes of a token, NUL included */
#define OAUTH_FIELD_MAX 512    /* bytes of a URL, client id or secret, scope list */
#define OAUTH_MARGIN_MS 300000 /* refresh this long before expiry (less for short tokens) */
#define OAUTH_LOCK_WAIT_S 120  /* give up waiting for another process's refresh after this */
/* The one line a spent or revoked login gets. */
#define OAUTH_RELOGIN "the Gong login has expired or was revoked: run callmine-ingest login"

/* One login's state, as the token file holds it. */
struct oauth_tokens {
    char access_token[OAUTH_TOKEN_MAX];
    char refresh_token[OAUTH_TOKEN_MAX];
    int64_t expires_at_ms;              /* Unix ms when the access token expires; 0 = unknown */
    int64_t lifetime_ms;                /* expires_in as Gong gave it, in ms; 0 = unknown */
    char api_base_url[OAUTH_FIELD_MAX]; /* api_base_url_for_customer, "" when not given */
    char scope[OAUTH_FIELD_MAX];        /* the scopes granted, space-separated */
    char client_id[OAUTH_FIELD_MAX];    /* the OAuth app that logged in */
    char client_secret[OAUTH_FIELD_MAX];
    char token_url[OAUTH_FIELD_MAX]; /* the token endpoint that issued them ("" = Gong's) */
};

/* The token file's path: given (--token-file) if not NULL, else $CALLMINE_TOKEN_FILE, else
 * $XDG_CONFIG_HOME/callmine/token, else $HOME/.config/callmine/token. Replaces out's
 * contents. ERR_USAGE when none can be formed (no HOME). */
int oauth_token_path(const char *given, struct buf *out, struct err *e);

/* The authorize and token endpoints: given if not NULL, else $GONG_OAUTH_AUTHORIZE_URL /
 * $GONG_OAUTH_TOKEN_URL, else Gong's own. Static or environment strings; never NULL. */
const char *oauth_authorize_url(const char *given);
const char *oauth_token_url(const char *given);

/* Read the token file into t (cleared first). ERR_NOTFOUND when it does not exist; ERR_USAGE
 * when it is readable by others, not a regular file, or malformed (message names the file and
 * line, never a value). */
int oauth_file_read(const char *path, struct oauth_tokens *t, struct err *e);

/* Write t to path atomically: a 0600 temporary file in the same directory, fsync, rename,
 * fsync of the directory. Creates the directory (0700) when missing. ERR_IO on failure,
 * in which case the old file is untouched. */
int oauth_file_write(const char *path, const struct oauth_tokens *t, struct err *e);

/* Take the exclusive lock that guards path's refreshes (flock on path + ".lock", created
 * 0600), waiting up to OAUTH_LOCK_WAIT_S. On success *fd is the lock's descriptor, to be
 * given to oauth_unlock(). ERR_IO when it cannot be taken. */
int oauth_lock(const char *path, int *fd, struct err *e);

/* Release a lock taken by oauth_lock(). fd < 0 is a no-op. */
void oauth_unlock(int fd);

/* 1 if the access token should be refreshed at now_ms: within OAUTH_MARGIN_MS of its expiry,
 * or a quarter of its lifetime for tokens that live less than 20 minutes. 0 when the expiry
 * is unknown (then only a 401 triggers a refresh). */
int oauth_needs_refresh(const struct oauth_tokens *t, int64_t now_ms);

/* Read a token endpoint answer (HTTP status and NUL-terminated body) into t at now_ms.
 * 200: access_token (required), refresh_token (kept from t when absent), expires_in,
 * api_base_url_for_customer (kept when absent; must pass gong_check_url) and scope. An
 * error answer with "invalid_grant" is ERR_AUTH: OAUTH_RELOGIN when refreshing, a message
 * about the authorization code otherwise (refreshing = 0); any other error answer is ERR_AUTH
 * (4xx) or ERR_HTTP naming the status and Gong's "error" word. t is unchanged on failure. */
int oauth_read_answer(long status, const char *body, int refreshing, int64_t now_ms,
                      struct oauth_tokens *t, struct err *e);

/* POST the form (application/x-www-form-urlencoded, NUL-terminated) to token_url with HTTP
 * Basic client_id:client_secret; connection failures, 429 and 5xx are tried up to 3 times.
 * The answer's body lands in out (reset first), its status in *status. ERR_HTTP when no
 * answer arrived, ERR_USAGE for a bad URL. timeout_s: per attempt (60 when 0). */
int oauth_post(const char *token_url, const char *client_id, const char *client_secret,
               const char *form, long timeout_s, struct buf *out, long *status, struct err *e);

/* An open login for one run. */
struct oauth;

/* Open the login kept at path. client_id/client_secret (may be NULL or "") replace the ones
 * the file holds (from the environment or --credentials). The token endpoint: token_url if
 * not NULL, else $GONG_OAUTH_TOKEN_URL, else the one the file names, else Gong's.
 * verbose: one line on stderr per refresh (no secret). Returns NULL with ERR_USAGE (no such
 * file: "run callmine-ingest login"; unreadable; no refresh token), or ERR_NOMEM. Free with
 * oauth_free(). */
struct oauth *oauth_open(const char *path, const char *client_id, const char *client_secret,
                         const char *token_url, long timeout_s, int verbose, struct err *e);

/* Wipe the secrets and free o. NULL is a no-op. */
void oauth_free(struct oauth *o);

/* The API base URL the login names ("" when none); lives as long as o. */
const char *oauth_api_base_url(const struct oauth *o);

/* The access token to send now (borrowed until the next call), refreshed first when it is
 * about to expire or, with refused = 1, when the API refused it. ERR_AUTH with
 * OAUTH_RELOGIN when Gong says the refresh token is spent or revoked; ERR_HTTP or ERR_IO
 * when the refresh could not be done. */
int oauth_access_token(struct oauth *o, int refused, const char **token, struct err *e);

/* A gong_token_source over o (get = oauth_access_token, release = oauth_free). */
void oauth_source(struct oauth *o, struct gong_token_source *src);

#endif
