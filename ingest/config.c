/* config: parse callmine-ingest's arguments, environment and credentials (see config.h).
 * Secrets come only from the environment or a 0600 file, never from argv. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db.h"
#include "isotime.h"
#include "oauth.h"
#include "suggest.h"
#include "version.h"

#include "banned.h"

void config_usage(FILE *f)
{
    fputs("usage: callmine-ingest [--db FILE] [--from WHEN] [--to WHEN] [OPTIONS]\n"
          "\n"
          "Mirror Gong calls (users, call details with CRM deal context, transcripts) into one\n"
          "SQLite file. Only reads from Gong; paces itself under Gong's limits; resumes after\n"
          "any interruption; later runs sync incrementally.\n"
          "\n"
          "  --db FILE            the mirror (default $CALLMINE_DB, else ./callmine.db)\n"
          "  --from WHEN          start of the window, inclusive (needed on the first run)\n"
          "  --to WHEN            end of the window, exclusive (default: now)\n"
          "                       WHEN is YYYY-MM-DD (midnight UTC) or an ISO-8601 date-time\n"
          "                       with Z or an offset, e.g. 2024-03-01T09:00:00-08:00\n"
          "  --overlap DURATION   on later runs, re-read this much before the last window's\n"
          "                       end, since Gong publishes calls late (default 2d)\n"
          "  --workspace ID       only this Gong workspace\n"
          "  --no-transcripts     skip transcripts\n"
          "  --include-private    also fetch transcripts of private calls\n"
          "  --refresh-deals      re-read open deals of older calls so 'Now' stays current\n"
          "  --rate R             at most R requests per second (default 3; 0 = no pacing)\n"
          "  --daily-budget N     at most N requests per UTC day (default 10000)\n"
          "  --plan               count the calls in the window, estimate requests and time;\n"
          "                       writes nothing\n"
          "  --status             describe what the mirror holds and what to do next; no network\n"
          "  --upgrade            migrate an older mirror to this version's schema and fill\n"
          "                       what it derives from stored transcripts; no network, no\n"
          "                       credentials (ordinary runs do this first too)\n"
          "  --credentials FILE   read access_key=/access_key_secret= or bearer_token= from a\n"
          "                       file only you can read (chmod 600)\n"
          "  --token-file FILE    the OAuth login saved by `callmine-ingest login` (default\n"
          "                       $CALLMINE_TOKEN_FILE, else ~/.config/callmine/token)\n"
          "  --base-url URL       your tenant's API host (default $GONG_BASE_URL, else\n"
          "                       https://api.gong.io)\n"
          "  --quiet, --verbose   less or more on stderr\n"
          "  --version            print the version and the schema version it writes\n"
          "  -h, --help           this text\n"
          "\n"
          "Credentials: GONG_ACCESS_KEY and GONG_ACCESS_KEY_SECRET (Gong API page), or\n"
          "GONG_BEARER_TOKEN (OAuth), or --credentials FILE. Never on the command line.\n"
          "With an OAuth app: `callmine-ingest login` once (see callmine-ingest login --help);\n"
          "later runs use and refresh the saved login when no other credentials are set.\n"
          "\n"
          "Examples:\n"
          "  export GONG_ACCESS_KEY=... GONG_ACCESS_KEY_SECRET=...\n"
          "  callmine-ingest --db calls.db --from 2024-01-01 --plan\n"
          "  callmine-ingest --db calls.db --from 2024-01-01\n"
          "  callmine-ingest --db calls.db            # later: incremental sync\n"
          "  callmine-ingest --db calls.db --status\n"
          "\n"
          "After Ctrl-C, kill -9, a full disk or a spent budget, run the same command again:\n"
          "it continues the interrupted window (its end was fixed when it began). One\n"
          "callmine-ingest writes a file at a time (a lock on FILE.lock).\n"
          "\n"
          "Exit status: 0 done; 1 stopped early, progress saved (the same command resumes), or\n"
          "another callmine-ingest is writing the file; 2 usage or configuration error (nothing\n"
          "is created or changed); 3 authentication or permission refused.\n",
          f);
}

static int parse_number(const char *opt, const char *s, double lo, double *out, struct err *e)
{
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || v < lo || v != v)
        return err_set(e, ERR_USAGE, "%s: '%s' is not a number >= %g", opt, s, lo);
    *out = v;
    return ERR_OK;
}

/* A parse error in an option's value becomes a usage error naming the option. */
static int usage_error(struct err *e, const char *opt)
{
    e->code = ERR_USAGE;
    return err_wrap(e, "%s", opt);
}

enum {
    OPT_DB = 256,
    OPT_FROM,
    OPT_TO,
    OPT_WORKSPACE,
    OPT_NO_TRANSCRIPTS,
    OPT_PRIVATE,
    OPT_RATE,
    OPT_BUDGET,
    OPT_OVERLAP,
    OPT_REFRESH,
    OPT_PLAN,
    OPT_STATUS,
    OPT_UPGRADE,
    OPT_CREDS,
    OPT_BASE_URL,
    OPT_TOKEN_FILE,
    OPT_VERSION
};

static const struct option long_options[] = {
    {"db", required_argument, NULL, OPT_DB},
    {"from", required_argument, NULL, OPT_FROM},
    {"to", required_argument, NULL, OPT_TO},
    {"workspace", required_argument, NULL, OPT_WORKSPACE},
    {"no-transcripts", no_argument, NULL, OPT_NO_TRANSCRIPTS},
    {"include-private", no_argument, NULL, OPT_PRIVATE},
    {"rate", required_argument, NULL, OPT_RATE},
    {"daily-budget", required_argument, NULL, OPT_BUDGET},
    {"overlap", required_argument, NULL, OPT_OVERLAP},
    {"refresh-deals", no_argument, NULL, OPT_REFRESH},
    {"plan", no_argument, NULL, OPT_PLAN},
    {"status", no_argument, NULL, OPT_STATUS},
    {"upgrade", no_argument, NULL, OPT_UPGRADE},
    {"credentials", required_argument, NULL, OPT_CREDS},
    {"base-url", required_argument, NULL, OPT_BASE_URL},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

static void set_defaults(struct config *c)
{
    const char *env;

    memset(c, 0, sizeof *c);
    env = getenv("CALLMINE_DB");
    c->db_path = env && *env ? env : CONFIG_DEFAULT_DB;
    env = getenv("GONG_BASE_URL");
    c->base_url = env && *env ? env : CONFIG_DEFAULT_BASE_URL;
    c->base_url_given = env && *env;
    c->from_ms = -1;
    c->to_ms = -1;
    c->rate = 3.0;
    c->daily_budget = 10000;
    c->overlap_ms = 2 * 86400000LL;
    c->progress = isatty(2);
    env = getenv("CALLMINE_BACKOFF_BASE");
    c->backoff_base_s = env ? atof(env) : 0;
    env = getenv("CALLMINE_TIMEOUT");
    c->timeout_s = env ? atol(env) : 0;
}

/* The usage error for an unknown option, with the closest long option when one is near. */
static int unknown_option(const char *word, struct err *e)
{
    const char *near = word[0] == '-' && word[1] == '-' ? suggest_option(word, long_options) : NULL;

    if (near)
        return err_set(e, ERR_USAGE, "unknown option '%.*s': did you mean '--%s'?",
                       (int)strcspn(word, "="), word, near);
    return err_set(e, ERR_USAGE, "unknown option '%s' (see --help)", word);
}

/* The subcommands (callmine-ingest login), for "did you mean" on a stray word. */
static const char *const commands[] = {"login"};

int config_parse_args(struct config *c, int argc, char **argv, struct err *e)
{
    double v;
    int opt, rc;

    set_defaults(c);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":qvh", long_options, NULL)) != -1) {
        switch (opt) {
        case OPT_DB: c->db_path = optarg; break;
        case OPT_FROM:
            if (isotime_parse(optarg, 0, &c->from_ms, e))
                return usage_error(e, "--from");
            break;
        case OPT_TO:
            if (isotime_parse(optarg, 0, &c->to_ms, e))
                return usage_error(e, "--to");
            break;
        case OPT_WORKSPACE: c->workspace = optarg; break;
        case OPT_NO_TRANSCRIPTS: c->no_transcripts = 1; break;
        case OPT_PRIVATE: c->include_private = 1; break;
        case OPT_RATE:
            if ((rc = parse_number("--rate", optarg, 0, &c->rate, e)))
                return rc;
            break;
        case OPT_BUDGET:
            if ((rc = parse_number("--daily-budget", optarg, 1, &v, e)))
                return rc;
            c->daily_budget = (long)v;
            break;
        case OPT_OVERLAP:
            if (isotime_parse_duration(optarg, &c->overlap_ms, e))
                return usage_error(e, "--overlap");
            break;
        case OPT_REFRESH: c->refresh_deals = 1; break;
        case OPT_PLAN: c->plan = 1; break;
        case OPT_STATUS: c->status = 1; break;
        case OPT_UPGRADE: c->upgrade = 1; break;
        case OPT_CREDS: c->credentials = optarg; break;
        case OPT_BASE_URL:
            c->base_url = optarg;
            c->base_url_given = 1;
            break;
        case OPT_TOKEN_FILE: c->token_file = optarg; break;
        case 'q': c->quiet = 1; break;
        case 'v': c->verbose++; break;
        case 'h': config_usage(stdout); return CONFIG_DONE;
        case OPT_VERSION:
            printf("callmine-ingest %s (schema %d)\n", CALLMINE_VERSION, DB_SCHEMA_VERSION);
            return CONFIG_DONE;
        case ':': return err_set(e, ERR_USAGE, "%s needs a value (see --help)", argv[optind - 1]);
        default: return unknown_option(argv[optind - 1], e);
        }
    }
    if (optind < argc && suggest_word(argv[optind], commands, 1))
        return err_set(e, ERR_USAGE, "unknown command '%s': did you mean '%s'?", argv[optind],
                       suggest_word(argv[optind], commands, 1));
    if (optind < argc)
        return err_set(e, ERR_USAGE,
                       "unexpected argument '%s': secrets and options go in the environment "
                       "or flags (see --help)",
                       argv[optind]);
    if (c->from_ms >= 0 && c->to_ms >= 0 && c->from_ms >= c->to_ms)
        return err_set(e, ERR_USAGE, "--from must be before --to");
    if (c->plan && c->status)
        return err_set(e, ERR_USAGE, "--plan and --status do not go together");
    if (c->upgrade && (c->plan || c->status))
        return err_set(e, ERR_USAGE,
                       "--upgrade goes alone (with --db): not with --plan or --status");
    if (c->quiet)
        c->progress = 0;
    return ERR_OK;
}

static void copy_secret(char *dst, const char *src)
{
    snprintf(dst, CONFIG_SECRET_MAX, "%s", src);
}

/* Trim spaces and a trailing CR/LF in place. */
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

static int read_credentials_file(struct config *c, struct err *e)
{
    struct stat sb;
    char line[CONFIG_SECRET_MAX + 64];
    FILE *f;
    int n = 0;

    f = fopen(c->credentials, "r");
    if (!f)
        return err_set(e, ERR_USAGE, "credentials file '%s': %s", c->credentials, strerror(errno));
    if (fstat(fileno(f), &sb) != 0 || (sb.st_mode & 077)) {
        fclose(f);
        return err_set(e, ERR_USAGE,
                       "credentials file '%s' is readable by others: run chmod 600 '%s'",
                       c->credentials, c->credentials);
    }
    while (fgets(line, sizeof line, f)) {
        char *s = trim(line), *eq, *key, *val;

        n++;
        if (*s == '\0' || *s == '#')
            continue;
        eq = strchr(s, '=');
        if (!eq) {
            fclose(f);
            return err_set(e, ERR_USAGE, "credentials file '%s' line %d: expected key=value",
                           c->credentials, n);
        }
        *eq = '\0';
        key = trim(s);
        val = trim(eq + 1);
        if (strcmp(key, "access_key") == 0)
            copy_secret(c->access_key, val);
        else if (strcmp(key, "access_key_secret") == 0)
            copy_secret(c->access_secret, val);
        else if (strcmp(key, "bearer_token") == 0)
            copy_secret(c->bearer_token, val);
        else if (strcmp(key, "client_id") == 0)
            copy_secret(c->client_id, val);
        else if (strcmp(key, "client_secret") == 0)
            copy_secret(c->client_secret, val);
        else if (strcmp(key, "base_url") == 0) {
            /* not a secret, but handy to keep beside the key; flags still win */
        } else {
            fclose(f);
            return err_set(e, ERR_USAGE,
                           "credentials file '%s' line %d: unknown key '%s' (use access_key, "
                           "access_key_secret, bearer_token, client_id or client_secret)",
                           c->credentials, n, key);
        }
    }
    memset(line, 0, sizeof line);
    fclose(f);
    return ERR_OK;
}

/* Read the token file once now, so a missing, unreadable or malformed one is a usage error
 * before anything is opened. 0 or -1 with e set. */
static int check_token_file(const char *path, struct err *e)
{
    struct oauth_tokens *t = malloc(sizeof *t);
    int rc;

    if (!t) {
        err_set(e, ERR_USAGE, "token file: out of memory");
        return -1;
    }
    rc = oauth_file_read(path, t, e);
    if (!rc && !t->access_token[0] && !t->refresh_token[0])
        rc = err_set(e, ERR_USAGE, "token file '%s' holds no tokens: run callmine-ingest login",
                     path);
    explicit_bzero(t, sizeof *t);
    free(t);
    return rc ? -1 : 0;
}

/* The OAuth login's token file as the credential source: --token-file, or the default file
 * when it exists. 1 when chosen, 0 when there is none, -1 with e set on error. */
static int use_token_file(struct config *c, struct err *e)
{
    struct buf path;
    int rc;

    buf_init(&path, 0);
    if (oauth_token_path(c->token_file, &path, e)) {
        buf_release(&path);
        return c->token_file ? -1 : 0;
    }
    rc = 0;
    if (path.len >= sizeof c->token_path) {
        err_set(e, ERR_USAGE, "token file path is too long");
        rc = -1;
    } else if (c->token_file || access(path.data, F_OK) == 0) {
        rc = check_token_file(path.data, e);
        if (!rc) {
            memcpy(c->token_path, path.data, path.len + 1);
            c->oauth = 1;
            c->auth = GONG_AUTH_BEARER;
            rc = 1;
        }
    }
    buf_release(&path);
    return rc;
}

static void load_client_env(struct config *c)
{
    const char *id = getenv("GONG_CLIENT_ID"), *secret = getenv("GONG_CLIENT_SECRET");

    if (!c->client_id[0] && id && *id)
        copy_secret(c->client_id, id);
    if (!c->client_secret[0] && secret && *secret)
        copy_secret(c->client_secret, secret);
}

int config_load_client(struct config *c, struct err *e)
{
    int rc;

    if (c->credentials && (rc = read_credentials_file(c, e)))
        return rc;
    if (!c->credentials)
        load_client_env(c);
    if (c->client_id[0] && c->client_secret[0])
        return ERR_OK;
    return err_set(e, ERR_USAGE,
                   "no OAuth app credentials: set GONG_CLIENT_ID and GONG_CLIENT_SECRET, or put "
                   "client_id= and client_secret= in the --credentials file");
}

int config_load_credentials(struct config *c, struct err *e)
{
    const char *key = getenv("GONG_ACCESS_KEY");
    const char *secret = getenv("GONG_ACCESS_KEY_SECRET");
    const char *token = getenv("GONG_BEARER_TOKEN");
    int rc;

    if (c->credentials) {
        if ((rc = read_credentials_file(c, e)))
            return rc;
    } else {
        if (key && *key)
            copy_secret(c->access_key, key);
        if (secret && *secret)
            copy_secret(c->access_secret, secret);
        if (token && *token)
            copy_secret(c->bearer_token, token);
        load_client_env(c);
    }
    if (c->token_file || (!c->bearer_token[0] && !c->access_key[0] && !c->access_secret[0])) {
        rc = use_token_file(c, e);
        if (rc < 0)
            return ERR_USAGE;
        if (rc > 0)
            return ERR_OK;
    }
    if (c->access_key[0] && c->access_secret[0]) {
        c->auth = GONG_AUTH_BASIC;
        return ERR_OK;
    }
    if (c->bearer_token[0]) {
        c->auth = GONG_AUTH_BEARER;
        return ERR_OK;
    }
    if (c->access_key[0] || c->access_secret[0])
        return err_set(e, ERR_USAGE,
                       "need both GONG_ACCESS_KEY and GONG_ACCESS_KEY_SECRET "
                       "(or access_key and access_key_secret in the file)");
    return err_set(e, ERR_USAGE,
                   "no Gong credentials: set GONG_ACCESS_KEY and GONG_ACCESS_KEY_SECRET, or "
                   "GONG_BEARER_TOKEN, or give --credentials FILE, or run callmine-ingest login");
}

void config_wipe_secrets(struct config *c)
{
    volatile char *p;

    p = c->access_key;
    for (size_t i = 0; i < CONFIG_SECRET_MAX; i++)
        p[i] = 0;
    p = c->access_secret;
    for (size_t i = 0; i < CONFIG_SECRET_MAX; i++)
        p[i] = 0;
    p = c->bearer_token;
    for (size_t i = 0; i < CONFIG_SECRET_MAX; i++)
        p[i] = 0;
    p = c->client_secret;
    for (size_t i = 0; i < CONFIG_SECRET_MAX; i++)
        p[i] = 0;
}
