/* mention: the SQL function mention_count(call_id, pattern[, flags[, speaker]]), documented
 * in analysis_fn.h, which registers it. */
#ifndef CALLMINE_MENTION_H
#define CALLMINE_MENTION_H

#include <sqlite3.h>

/* Register mention_count (2, 3 and 4 arguments) on db. SQLITE_OK or an SQLite error code. */
int mention_register(sqlite3 *db);

#endif
