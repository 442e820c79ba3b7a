/* show: what the parts of `callmine-query show` share (cmd_show.c reads, show_text.c and
 * show_json.c write).
 *
 * cmd_show.c opens the call (one row of SHOW_C_* columns from calls, call_facts and
 * transcript_status), loads its parties, and runs the transcript through a callback; the two
 * writers read the rest of the call (deals, brief, key points, action items, trackers,
 * topics) with one statement each. Everything is written into s->ob, flushed to stdout every
 * 64 KiB unless s->to_buf keeps it (cmd_show_json). */
#ifndef CALLMINE_SHOW_H
#define CALLMINE_SHOW_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "buf.h"
#include "err.h"
#include "out.h"
#include "transcript.h"

/* The columns of the call row (show->call). */
enum {
    SHOW_C_ID,
    SHOW_C_TITLE,
    SHOW_C_STARTED,
    SHOW_C_DURATION, /* seconds */
    SHOW_C_URL,
    SHOW_C_PRIMARY_USER,
    SHOW_C_REP_NAME,
    SHOW_C_REP_EMAIL,
    SHOW_C_REP_ID,
    SHOW_C_REP_SOURCE, /* speech | primary | NULL */
    SHOW_C_OUTCOME,    /* won | lost | open | NULL (no deal) */
    SHOW_C_BRIEF,
    SHOW_C_CALL_OUTCOME, /* Gong's call outcome: name, category */
    SHOW_C_CALL_OUTCOME_CATEGORY,
    SHOW_C_PRIVATE,
    SHOW_C_HAS_TRANSCRIPT,
    SHOW_C_TS_STATE, /* transcript_status: pending | waiting | done | private | NULL */
    SHOW_C_TS_ATTEMPTS,
    SHOW_C_TS_NEXT_TRY,
    SHOW_C_TS_LAST_TRY,
};

struct show_party {
    char *speaker_id, *name;
    int aff; /* 0 unknown, 1 internal (rep), 2 external (customer) */
};

struct show {
    sqlite3 *db;
    const char *id;
    const char *db_path;
    int v2;             /* the file has the semantic layer (call_facts, deals.ord) */
    sqlite3_stmt *call; /* stepped onto the call's row */
    struct show_party *parties;
    size_t n_parties;
    struct buf ob;
    struct buf line;  /* text: a sentence before wrapping */
    struct out *rows; /* table-like formats: the transcript's rows */
    int color;        /* text: bold headings */
    int width;        /* text: wrap prose at this many columns (0: no wrapping) */
    int n_lines;      /* sentences written so far */
    /* cmd_show_json: the object stays in ob, the transcript in pages */
    int to_buf;
    size_t first, max_lines, max_bytes; /* the page: from line first, at most this much */
    size_t seen, next;                  /* lines gone by; where the next page starts (0: none) */
};

/* Flush s->ob to stdout once it holds 64 KiB (never with to_buf). ERR_IO when writing fails. */
int show_flush(struct show *s, struct err *e);

/* The party with speaker id id[0..n), or NULL. */
const struct show_party *show_speaker(const struct show *s, const char *id, size_t n);

/* Run the call's transcript through fn in spoken order (text unescaped, UTF-8 as stored);
 * *found says whether the mirror has one. ERR_PARSE when the stored transcript is corrupt. */
typedef int (*show_line_fn)(struct show *s, const struct transcript_line *ln, const char *text,
                            size_t len, struct err *e);
int show_each_line(struct show *s, show_line_fn fn, int *found, struct err *e);

/* Prepare sql (one parameter, ?1, the call id) and bind the id. ERR_DB on failure. */
int show_prepare(struct show *s, const char *sql, sqlite3_stmt **st, struct err *e);

/* The deals of the call, one row per deal with both snapshots side by side: columns
 * 0..SHOW_D_N-1 are the TimeOfCall snapshot, SHOW_D_N..2*SHOW_D_N-1 the Now one (SHOW_D_*
 * offsets), the call's deal (the first Gong lists) first. */
enum {
    SHOW_D_PRESENT, /* 1 when the snapshot exists */
    SHOW_D_DEAL_ID,
    SHOW_D_NAME,
    SHOW_D_STAGE,
    SHOW_D_AMOUNT,
    SHOW_D_CLOSE_DATE,
    SHOW_D_OWNER,
    SHOW_D_OWNER_NAME, /* the owner resolved to a person (crm_users, else a Gong user) */
    SHOW_D_COMPANY,
    SHOW_D_SIZE,
    SHOW_D_N
};
int show_prepare_deals(struct show *s, sqlite3_stmt **st, struct err *e);

/* An SQL expression over a deals row aliased d: its owner resolved to a person's name (a CRM
 * user with that id, else the Gong user with that CRM user's e-mail or the owner value as an
 * e-mail), or NULL; as call_facts.owner_name resolves the call's deal. */
const char *show_owner_name_sql(const struct show *s);

/* Why the call has no transcript, in words ("Gong has not produced it yet: ..."), from the
 * call row; NULL when it has one. out needs 256 bytes. */
const char *show_transcript_note(const struct show *s, char out[256]);

/* Seconds as h:mm:ss ("0:07:05", "12:00:00"). out needs 32 bytes. */
void show_hms(int64_t seconds, char out[32]);

/* The writers: the whole call into s->ob (flushed to stdout as it grows unless to_buf). */
int show_text(struct show *s, struct err *e);
int show_json(struct show *s, struct err *e);

#endif
