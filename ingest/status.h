/* status: callmine-ingest --status, a description of what a mirror holds and what to do
 * next. Reads only the file. */
#ifndef CALLMINE_STATUS_H
#define CALLMINE_STATUS_H

#include <sqlite3.h>
#include <stdio.h>

#include "err.h"

int status_print(sqlite3 *db, const char *path, FILE *out, struct err *e);

#endif
