/* parse: Gong API response bodies -> plain C structs (cJSON only; no SQLite).
 *
 * One function per page kind: users (GET /v2/users, POST /v2/users/extensive), extensive
 * calls (POST /v2/calls/extensive) and transcripts (POST /v2/calls/transcript). Each
 * returns a heap page that owns everything its structs point to; parse_*_free() releases
 * it all at once. Strings are UTF-8 and NUL-terminated unless a length is given; a NULL
 * string means Gong sent null or nothing. Times are stored UTC text (isotime.h), durations
 * and offsets in seconds except transcript times (milliseconds, as Gong sends them).
 *
 * Leniency: unknown fields are ignored; a known field of the wrong type is read when the
 * reading is unambiguous (a duration "1834" is 1834) and is NULL otherwise; a malformed
 * time is NULL and counted in `warnings.n_null`; an element of the page's array that is not
 * an object or has no id is skipped and counted in `warnings.n_skipped`. Arrays and objects
 * kept as JSON text are re-printed compactly (text_json_string: invalid UTF-8 as U+FFFD).
 * Only a body that is not JSON, or lacks the page's array, fails the page. */
#ifndef CALLMINE_PARSE_H
#define CALLMINE_PARSE_H

#include <stddef.h>
#include <stdint.h>

#include "../schema/err.h"
#include "deals.h"

/* An optional integer / real: set == 0 means NULL. */
struct parse_i64 {
    int set;
    int64_t v;
};
struct parse_f64 {
    int set;
    double v;
};

struct parse_mem; /* a page's memory: arena, JSON tree, text buffers (private) */

/* What a page read leniently, for the sync's summary: "N fields read as NULL, M records
 * skipped". */
struct parse_warnings {
    size_t n_null;           /* values read as NULL because malformed (a bad time) */
    size_t n_skipped;        /* records skipped: not an object, or without an id */
    char first[ERR_MSG_MAX]; /* the first of them in words, "" when none */
};

/* ---- users ---------------------------------------------------------------------------- */

struct parse_user {
    const char *id;
    const char *email;
    const char *first_name, *last_name, *title;
    const char *manager_id;
    struct parse_i64 active; /* 0/1 */
    const char *created;     /* UTC text */
    const char *phone_number, *extension, *trusted_email;
    const char *email_aliases; /* JSON array text */
    const char *raw;           /* a copy of the user object's exact bytes in the body */
    size_t raw_len;
};

struct parse_users_page {
    struct parse_user *users;
    size_t n_users;
    const char *cursor;    /* records.cursor; NULL when absent, null or "" (last page) */
    int64_t total_records; /* records.totalRecords; -1 when absent */
    struct parse_warnings warnings;
    struct parse_mem *mem;
};

/* ---- extensive calls ------------------------------------------------------------------ */

struct parse_party {
    int ord; /* position in Gong's parties list, from 0 */
    const char *party_id, *speaker_id, *user_id, *name, *email, *title, *affiliation;
    const char *phone_number;
    const char *methods; /* JSON array text, e.g. ["Invitee","Attendee"] */
};

struct parse_named { /* content.topics[] and content.structure[] */
    const char *name;
    struct parse_f64 duration; /* seconds */
};

struct parse_tracker {
    const char *tracker_id, *name, *type;
    struct parse_i64 count;
};

struct parse_occurrence { /* content.trackers[].occurrences[], flattened */
    const char *tracker_id;
    struct parse_f64 start_s;
    const char *speaker_id;
};

struct parse_speaker { /* interaction.speakers[] */
    const char *speaker;
    const char *user_id;
    struct parse_f64 talk_time; /* seconds */
};

struct parse_stat { /* interaction.interactionStats[] */
    const char *name;
    struct parse_f64 value;
};

struct parse_action_item { /* content.pointsOfInterest.actionItems[] */
    struct parse_f64 start_s, end_s;
    const char *speaker_id; /* Gong's speakerID (capital D), or speakerId */
    const char *snippet;
};

struct parse_call {
    /* metaData */
    const char *id; /* never NULL: calls without an id are dropped (and warned about) */
    const char *url, *title;
    const char *scheduled, *started; /* UTC text */
    struct parse_i64 duration;       /* seconds */
    const char *direction, *scope, *system, *media, *language;
    const char *workspace_id, *primary_user_id, *purpose;
    struct parse_i64 is_private; /* 0/1 */
    const char *sdr_disposition, *client_unique_id, *custom_data, *meeting_url;
    const char *calendar_event_id;
    /* content and interaction scalars */
    const char *brief;
    const char *outcome_id, *outcome_category, *outcome_name;
    struct parse_i64 questions_company, questions_non_company;

    const char *raw; /* a copy of the call object's exact bytes in the body (calls_raw) */
    size_t raw_len;
    char digest[17]; /* 64-bit FNV-1a of raw as 16 lowercase hex digits */

    struct parse_party *parties;
    size_t n_parties;
    struct deals_object *crm; /* call-level objects first, then each party's */
    size_t n_crm;
    struct deals_row *deals;
    size_t n_deals;
    struct parse_named *topics;
    size_t n_topics;
    struct parse_named *structure;
    size_t n_structure;
    struct parse_tracker *trackers;
    size_t n_trackers;
    struct parse_occurrence *occurrences;
    size_t n_occurrences;
    struct parse_speaker *speakers;
    size_t n_speakers;
    struct parse_stat *stats;
    size_t n_stats;
    const char **key_points; /* entries may be NULL */
    size_t n_key_points;
    struct parse_action_item *action_items;
    size_t n_action_items;
};

struct parse_calls_page {
    struct parse_call *calls;
    size_t n_calls;
    const char *cursor;
    int64_t total_records;
    struct parse_warnings warnings;
    struct parse_mem *mem;
};

/* ---- transcripts ---------------------------------------------------------------------- */

struct parse_transcript {
    const char *call_id;
    const char *text; /* transcript.h lines in spoken order; NUL-terminated; may be "" */
    size_t text_len;
    int64_t sentences;
    const char *monologues; /* JSON [[n_sentences, "topic" or null], ...], NUL-terminated */
    size_t monologues_len;
};

struct parse_transcripts_page {
    struct parse_transcript *items;
    size_t n_items;
    const char *cursor;
    int64_t total_records;
    struct parse_warnings warnings;
    struct parse_mem *mem;
};

/* Parse a users page (len bytes of body, need not be NUL-terminated). On success *out is a
 * page the caller frees with parse_users_free(); it does not borrow body. On failure *out
 * is NULL and e says ERR_PARSE "malformed JSON from /v2/users: ..." or ERR_NOMEM. */
int parse_users_page(const char *body, size_t len, struct parse_users_page **out, struct err *e);
void parse_users_free(struct parse_users_page *p); /* NULL ok */

/* Parse a /v2/calls/extensive page, as parse_users_page(). Derives each call's deals rows
 * with deals_derive(). */
int parse_calls_page(const char *body, size_t len, struct parse_calls_page **out, struct err *e);
void parse_calls_free(struct parse_calls_page *p); /* NULL ok */

/* Parse a /v2/calls/transcript page, as parse_users_page(), encoding each transcript with
 * transcript_append(). A missing or null speakerId gives an empty speaker field (so does
 * one holding a tab, CR or LF); start/end are milliseconds (floats truncated, missing 0). */
int parse_transcripts_page(const char *body, size_t len, struct parse_transcripts_page **out,
                           struct err *e);
void parse_transcripts_free(struct parse_transcripts_page *p); /* NULL ok */

/* records.totalRecords of a list answer (GET /v2/calls, used by --plan); ERR_PARSE when the
 * body is malformed or has no count. */
int parse_total_records(const char *body, size_t len, int64_t *total, struct err *e);

/* 64-bit FNV-1a of n bytes, and the same as 16 lowercase hex digits plus NUL. */
uint64_t parse_fnv1a64(const void *p, size_t n);
void parse_digest_hex(const void *p, size_t n, char out[17]);

#endif
