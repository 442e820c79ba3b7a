/* jsonwalk: a Gong page body parsed with cJSON one member at a time, and each element of the
 * page's array on its own, so that every element's exact bytes are known (cJSON keeps no
 * positions, but cJSON_ParseWithLengthOpts says where a value ended).
 *
 * Between values the walk only skips white space (any byte up to 0x20, as cJSON), colons and
 * commas. It accepts what cJSON accepts on the whole body and fails where cJSON would, with
 * the same byte offsets; one difference: an element is nested one array and one object less
 * deep than in the whole body, so cJSON's nesting limit (1000) comes two levels later. */
#ifndef CALLMINE_JSONWALK_H
#define CALLMINE_JSONWALK_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "err.h"

/* Called for element i (from 0) of the page's array, parsed as el, whose exact bytes are
 * raw[0..n) within the body. Returns ERR_OK to go on, or an ERR_* code (with e set) that
 * ends the walk and is returned by jsonwalk_page. */
typedef int jsonwalk_fn(void *arg, const cJSON *el, size_t i, const char *raw, size_t n,
                        struct err *e);

/* Parse body[0..len) (need not be NUL-terminated), which must be a JSON object, calling fn
 * for each element of its first member named key, which must be an array. *root gets the
 * object (the caller frees it with cJSON_Delete, on failure too): every member, with the
 * elements under key when keep is set; without keep each element is freed once fn returns
 * (fn copies what it needs), and key's array is left empty. Failures: ERR_PARSE "malformed
 * JSON from <what>: " and one of "empty body", "syntax error at byte N of LEN near '...'",
 * "body ends early at byte LEN (truncated?)", "unexpected text after the value at byte N",
 * "the top level is not an object", "no \"<key>\" array"; ERR_NOMEM; or fn's code. */
int jsonwalk_page(const char *body, size_t len, const char *what, const char *key, int keep,
                  jsonwalk_fn *fn, void *arg, cJSON **root, struct err *e);

/* Parse body[0..len) whole into *root, which must come out a JSON object; errors as for
 * jsonwalk_page (*root is NULL after one). For small bodies read whole. */
int jsonwalk_object(const char *body, size_t len, const char *what, cJSON **root, struct err *e);

#endif
