/* login: `callmine-ingest login`, Gong's OAuth authorization-code flow for an OAuth app.
 *
 * It listens on a free loopback port, prints the authorize URL (client id, the four read
 * scopes, redirect_uri http://127.0.0.1:PORT/callback and a random state) for the user to
 * open, waits for Gong to redirect the browser back, checks the state, exchanges the code
 * at the token endpoint (HTTP Basic with the client id and secret) and saves the tokens
 * with oauth_file_write(). Nothing secret goes on the command line or to stderr. */
#ifndef CALLMINE_LOGIN_H
#define CALLMINE_LOGIN_H

#include <stddef.h>

#define LOGIN_TIMEOUT_S 300    /* how long to wait for the redirect ($CALLMINE_LOGIN_TIMEOUT) */
#define LOGIN_REQUEST_MAX 8192 /* bytes of the redirect's HTTP request that are read */

/* Run `callmine-ingest login [OPTIONS]` (argv[0] is "login"). Prints its own messages and
 * returns the exit status: 0 logged in, 1 failed (no redirect in time, network, file),
 * 2 usage or configuration error, 3 refused (by Gong, or a redirect whose state does not
 * match). */
int login_main(int argc, char **argv);

/* Find key's value in a URL query string ("a=1&b=x%20y"), percent- and '+'-decoded, into
 * out (n bytes). 1 if found and it fits, 0 otherwise. Exported for the unit tests. */
int login_query_value(const char *query, const char *key, char *out, size_t n);

#endif
