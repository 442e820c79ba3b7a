/* keysum: key_sums(key, v1[, v2 ... v8]), an aggregate that sums its values per distinct key
 * without sorting, registered by sqlite3_callmine_init (so also in bin/callmine.so).
 *
 * Its result is a JSON array with one element per distinct key, in the order ORDER BY key
 * gives (NULL first, BINARY collation): [key, sum of v1, sum of v2, ...], each sum as sum()
 * computes it (an integer while every input is one, NULL when every input was NULL). An
 * analysis that groups a join by two columns (group, name) groups by the first in SQL and
 * by the second with key_sums, then reads the elements back with json_each:
 *
 *     SELECT grp, e.value ->> 0 AS name, e.value ->> 1 AS total
 *       FROM (SELECT grp, key_sums(name, x) AS j FROM ... GROUP BY grp), json_each(j) e
 *
 * Over no row it returns '[]'. */
#ifndef CALLMINE_KEYSUM_H
#define CALLMINE_KEYSUM_H

#include <sqlite3.h>

/* Register key_sums (2 to 9 arguments) on db. SQLITE_OK or an SQLite error code. */
int keysum_register(sqlite3 *db);

#endif
