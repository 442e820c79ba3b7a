/* version: callmine's release, printed by both programs' --version (with the schema
 * version they write, DB_SCHEMA_VERSION in db.h). Bump with each changelog entry in
 * README.md. */
#ifndef CALLMINE_VERSION_H
#define CALLMINE_VERSION_H

#define CALLMINE_VERSION "0.4.4"

#endif
