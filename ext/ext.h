/* ext: callmine's SQL functions, as a loadable SQLite extension (bin/callmine.so) and
 * built into callmine-query.
 *
 * Registered on a connection (argument orders as SQLite calls them):
 *   regexp(pattern, text)                 1/0; makes `text REGEXP pattern` work
 *   regexp_like(text, pattern[, flags])   1/0 (sqlean's argument order)
 *   regexp_count(text, pattern[, flags])  number of non-overlapping matches
 *   regexp_substr(text, pattern[, flags]) the first matched substring, or NULL
 *   casefold(text)                        text in Unicode simple case folding
 *                                         (casefold.h): what --rep, --participant and
 *                                         --owner compare, in every script
 *   transcript_text(call_id)              the call's inflated transcript, or NULL
 *   transcript_sentences(call_id)         table-valued: call_id, idx, start_ms, end_ms,
 *                                         speaker_id, text (one row per sentence)
 * Patterns are PCRE2, UTF-8, matching by code point; flags is a string of 'i' (caseless)
 * and 'c' (case-sensitive, the default), the last one winning. Any NULL argument gives
 * NULL. Text that is not valid UTF-8 never matches. */
#ifndef CALLMINE_EXT_H
#define CALLMINE_EXT_H

#include <sqlite3.h>

/* Register the functions and the transcript_sentences table on db. The loadable build
 * exports only this symbol; callmine-query, built with -DSQLITE_CORE, calls it as
 * sqlite3_callmine_init(db, NULL, NULL). Returns SQLITE_OK or an SQLite error code, with
 * a message in *pzErrMsg (from sqlite3_mprintf; the caller sqlite3_frees it) when
 * pzErrMsg is not NULL. */
__attribute__((visibility("default"))) int sqlite3_callmine_init(sqlite3 *db, char **pzErrMsg,
                                                                 const sqlite3_api_routines *pApi);

#endif
