/* stages: the stages config, and the one outcome every command and ad-hoc query reads.
 *
 * call_facts.outcome (schema/002) is won for a Now stage that reads "closedwon" once
 * lowercased and stripped of spaces, '_' and '-', lost for "closedlost", open otherwise.
 * Other pipelines name their closed stages in a small file (--stages FILE, else
 * $XDG_CONFIG_HOME/callmine/stages.conf, else ~/.config/callmine/stages.conf when it
 * exists), one line per outcome:
 *
 *     won  = Signed, Live        # '#' starts a comment
 *     lost = Churned, No Decision
 *     open = Closed Pending      # a stage may also be kept open
 *
 * stages compared ignoring case. stages_apply() loads the file into temp.stage_outcomes
 * (stage, outcome) and creates TEMP VIEW call_facts over the stored facts
 * (main.call_facts_stored; call_facts_live while a first load has not built them, see
 * schema/facts.h), with this binary's columns in their order; when the file names any
 * stage, outcome is overridden by the file. An unqualified
 * call_facts then resolves to the TEMP view (SQLite searches temp first), so `calls`, the
 * filters, the analyses and `sql` all see that one outcome. The main database is not
 * written: temp objects live in the connection. */
#ifndef CALLMINE_STAGES_H
#define CALLMINE_STAGES_H

#include <sqlite3.h>

#include "err.h"

#define STAGES_MAX_FILE ((size_t)1 << 20) /* bytes of a stages file */

/* Load the stages file (path, or the default when NULL) into temp.stage_outcomes (created
 * anew, empty when there is no file) and create or drop TEMP VIEW call_facts to match. A
 * missing default file is no error; a missing or bad named file, or a bad line in either,
 * is ERR_USAGE naming the file and line; ERR_DB when SQLite fails. */
int stages_apply(sqlite3 *db, const char *path, struct err *e);

#endif
