/* config: callmine-ingest's command line, environment and credentials, turned into one
 * settings struct. Nothing here touches the network or the database. */
#ifndef CALLMINE_CONFIG_H
#define CALLMINE_CONFIG_H

#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "gong.h"

#define CONFIG_DEFAULT_BASE_URL "https://api.gong.io"
#define CONFIG_DEFAULT_DB "callmine.db"
#define CONFIG_SECRET_MAX 512

struct config {
    const char *db_path;     /* --db, $CALLMINE_DB, ./callmine.db */
    int64_t from_ms;         /* --from; -1 when not given */
    int64_t to_ms;           /* --to; -1 when not given (now) */
    const char *workspace;   /* --workspace or NULL */
    int no_transcripts;      /* --no-transcripts */
    int include_private;     /* --include-private */
    double rate;             /* --rate, requests/s; 0 = no pacing */
    long daily_budget;       /* --daily-budget, requests per UTC day */
    int64_t overlap_ms;      /* --overlap, default 2d */
    int refresh_deals;       /* --refresh-deals */
    int plan;                /* --plan: count and estimate, write nothing */
    int status;              /* --status: describe the file, no network */
    int upgrade;             /* --upgrade: migrate and backfill the file, no network */
    const char *credentials; /* --credentials FILE */
    const char *base_url;    /* --base-url, $GONG_BASE_URL, default */
    int base_url_given;      /* --base-url or $GONG_BASE_URL was set (wins over a login's) */
    const char *token_file;  /* --token-file FILE (OAuth login), or NULL */
    int quiet;               /* --quiet */
    int verbose;             /* --verbose */
    int progress;            /* 1 progress bar (stderr is a tty), 0 plain log lines */
    double backoff_base_s;   /* $CALLMINE_BACKOFF_BASE (tests): first retry wait */
    long timeout_s;          /* $CALLMINE_TIMEOUT (tests): per request, default 60 */
    /* credentials, filled by config_load_credentials(); never printed */
    enum gong_auth auth;
    char access_key[CONFIG_SECRET_MAX];
    char access_secret[CONFIG_SECRET_MAX];
    char bearer_token[CONFIG_SECRET_MAX];
    char client_id[CONFIG_SECRET_MAX];     /* OAuth app: $GONG_CLIENT_ID or client_id= */
    char client_secret[CONFIG_SECRET_MAX]; /* OAuth app: $GONG_CLIENT_SECRET or client_secret= */
    int oauth;                             /* use the login in token_path (oauth.c) */
    char token_path[1024];
};

/* config_parse_args() printed --help or --version on stdout: the caller exits 0. A value
 * of its own, apart from the ERR_* codes. */
#define CONFIG_DONE (-1)

/* Parse argv into c (defaults first). Returns ERR_OK, ERR_USAGE with a message, or
 * CONFIG_DONE when --help or --version was printed. */
int config_parse_args(struct config *c, int argc, char **argv, struct err *e);

/* Fill the credentials from the environment or --credentials FILE (refused when group- or
 * world-readable); without an access key or bearer token (or with --token-file), the OAuth
 * login's token file (c->oauth = 1, c->token_path). ERR_USAGE naming what is missing. */
int config_load_credentials(struct config *c, struct err *e);

/* Fill client_id and client_secret (an OAuth app's) from --credentials FILE, else from
 * $GONG_CLIENT_ID and $GONG_CLIENT_SECRET. ERR_USAGE when either is missing. */
int config_load_client(struct config *c, struct err *e);

/* Overwrite the secrets in memory. */
void config_wipe_secrets(struct config *c);

/* The usage text (printed by --help). */
void config_usage(FILE *f);

#endif
