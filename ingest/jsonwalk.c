/* jsonwalk: a page body, member by member and element by element (see jsonwalk.h).
 *
 * The walk mirrors cJSON's own parse_object and parse_array: skip white space, expect a
 * quote, a colon, a comma or a closing bracket, and hand every value to
 * cJSON_ParseWithLengthOpts at its first byte. Where cJSON would fail on the whole body, the
 * walk fails at the same byte: cJSON reports the byte after a key that is not a string, and
 * the last byte when the text runs out (which the message calls truncated). */
#include "jsonwalk.h"

#include <string.h>

#include "banned.h"

struct walker {
    const char *body, *what, *key;
    size_t len;
    int keep;
    jsonwalk_fn *fn;
    void *arg;
    cJSON *root;
    int found; /* key seen: 1 holding an array (walked), 2 holding something else */
};

/* White space as cJSON reads it: any byte up to 0x20. */
static size_t skip_ws(const char *s, size_t len, size_t i)
{
    while (i < len && (unsigned char)s[i] <= 0x20)
        i++;
    return i;
}

/* ERR_PARSE for a syntax error at byte pos of body; a pos at or past the last byte means the
 * text ran out. */
static int syntax_error(const char *body, size_t len, size_t pos, const char *what, struct err *e)
{
    char near[25];
    size_t k = 0;

    if (pos >= len)
        pos = len ? len - 1 : 0;
    if (pos + 1 >= len)
        return err_set(e, ERR_PARSE,
                       "malformed JSON from %s: body ends early at byte %zu (truncated?)", what,
                       len);
    for (size_t i = pos; i < len && k < sizeof near - 1; i++)
        near[k++] = (body[i] >= 0x20 && body[i] < 0x7f) ? body[i] : '?';
    near[k] = '\0';
    return err_set(e, ERR_PARSE,
                   "malformed JSON from %s: syntax error at byte %zu of %zu near '%s'", what, pos,
                   len, near);
}

/* Parse the one value that starts at body[*pos] (no white space before it) into *out and
 * move *pos past it. */
static int parse_at(const struct walker *w, size_t *pos, cJSON **out, struct err *e)
{
    const char *end = NULL;

    *out = NULL;
    /* a value never starts with 0xEF, but cJSON would skip a byte order mark there */
    if (*pos >= w->len || (unsigned char)w->body[*pos] == 0xEF)
        return syntax_error(w->body, w->len, *pos, w->what, e);
    *out = cJSON_ParseWithLengthOpts(w->body + *pos, w->len - *pos, &end, 0);
    if (!*out)
        return syntax_error(w->body, w->len, end ? (size_t)(end - w->body) : *pos, w->what, e);
    *pos = (size_t)(end - w->body);
    return ERR_OK;
}

int jsonwalk_object(const char *body, size_t len, const char *what, cJSON **root, struct err *e)
{
    const char *end = NULL;
    cJSON *r;
    size_t i;

    *root = NULL;
    if (!body || skip_ws(body, len, 0) == len)
        return err_set(e, ERR_PARSE, "malformed JSON from %s: empty body", what);
    r = cJSON_ParseWithLengthOpts(body, len, &end, 0);
    if (!r)
        return syntax_error(body, len, end ? (size_t)(end - body) : 0, what, e);
    i = skip_ws(body, len, (size_t)(end - body));
    if (i < len) {
        cJSON_Delete(r);
        return err_set(e, ERR_PARSE,
                       "malformed JSON from %s: unexpected text after the value at byte %zu", what,
                       i);
    }
    if (!cJSON_IsObject(r)) {
        cJSON_Delete(r);
        return err_set(e, ERR_PARSE, "malformed JSON from %s: the top level is not an object",
                       what);
    }
    *root = r;
    return ERR_OK;
}

/* The page's array, from the '[' at body[*pos]: each element parsed, given to fn, then kept
 * in arr or freed; *pos moves past the ']'. */
static int walk_array(struct walker *w, size_t *pos, cJSON *arr, struct err *e)
{
    size_t i = skip_ws(w->body, w->len, *pos + 1), start;
    cJSON *el;
    int rc;

    if (i < w->len && w->body[i] == ']') {
        *pos = i + 1;
        return ERR_OK;
    }
    for (size_t idx = 0;; idx++) {
        start = i;
        if ((rc = parse_at(w, &i, &el, e)))
            return rc;
        if (w->keep)
            cJSON_AddItemToArray(arr, el);
        rc = w->fn(w->arg, el, idx, w->body + start, i - start, e);
        if (!w->keep)
            cJSON_Delete(el);
        if (rc)
            return rc;
        i = skip_ws(w->body, w->len, i);
        if (i < w->len && w->body[i] == ',') {
            i = skip_ws(w->body, w->len, i + 1);
            continue;
        }
        if (i < w->len && w->body[i] == ']') {
            *pos = i + 1;
            return ERR_OK;
        }
        return syntax_error(w->body, w->len, i, w->what, e);
    }
}

/* One member of the top-level object, from its key at body[*pos], added to the root; the
 * first member named w->key is walked when it holds an array. */
static int walk_member(struct walker *w, size_t *pos, struct err *e)
{
    cJSON *key = NULL, *val = NULL;
    size_t i = *pos;
    int rc, mine;

    if (i >= w->len || w->body[i] != '"') /* cJSON points past the byte that is no quote */
        return syntax_error(w->body, w->len, i + 1, w->what, e);
    if ((rc = parse_at(w, &i, &key, e)))
        return rc;
    i = skip_ws(w->body, w->len, i);
    if (i >= w->len || w->body[i] != ':') {
        rc = syntax_error(w->body, w->len, i, w->what, e);
        goto done;
    }
    i = skip_ws(w->body, w->len, i + 1);
    mine = !w->found && strcmp(key->valuestring, w->key) == 0;
    if (mine && i < w->len && w->body[i] == '[') {
        w->found = 1;
        if (!(val = cJSON_CreateArray()))
            rc = err_set(e, ERR_NOMEM, "parse %s: out of memory", w->what);
        else
            rc = walk_array(w, &i, val, e);
    } else {
        w->found = mine ? 2 : w->found;
        rc = parse_at(w, &i, &val, e);
    }
    if (!rc && !cJSON_AddItemToObject(w->root, key->valuestring, val))
        rc = err_set(e, ERR_NOMEM, "parse %s: out of memory", w->what);
    else if (!rc)
        val = NULL; /* the root owns it */
    *pos = i;
done:
    cJSON_Delete(key);
    cJSON_Delete(val);
    return rc;
}

int jsonwalk_page(const char *body, size_t len, const char *what, const char *key, int keep,
                  jsonwalk_fn *fn, void *arg, cJSON **root, struct err *e)
{
    struct walker w = {body, what, key, len, keep, fn, arg, NULL, 0};
    size_t i;
    int rc;

    *root = NULL;
    if (!body || skip_ws(body, len, 0) == len)
        return err_set(e, ERR_PARSE, "malformed JSON from %s: empty body", what);
    i = skip_ws(body, len, len > 4 && memcmp(body, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0);
    if (i >= len || body[i] != '{') { /* not an object: fail as cJSON says (it always does) */
        if ((rc = jsonwalk_object(body, len, what, root, e)))
            return rc;
        return err_set(e, ERR_PARSE, "malformed JSON from %s: the top level is not an object",
                       what);
    }
    if (!(*root = w.root = cJSON_CreateObject()))
        return err_set(e, ERR_NOMEM, "parse %s: out of memory", what);
    i = skip_ws(body, len, i + 1);
    if (i < len && body[i] == '}') {
        i++;
    } else {
        for (;;) {
            if ((rc = walk_member(&w, &i, e)))
                return rc;
            i = skip_ws(body, len, i);
            if (i < len && body[i] == ',') {
                i = skip_ws(body, len, i + 1);
                continue;
            }
            if (i < len && body[i] == '}')
                break;
            return syntax_error(body, len, i, what, e);
        }
        i++;
    }
    if ((i = skip_ws(body, len, i)) < len)
        return err_set(e, ERR_PARSE,
                       "malformed JSON from %s: unexpected text after the value at byte %zu", what,
                       i);
    if (w.found != 1)
        return err_set(e, ERR_PARSE, "malformed JSON from %s: no \"%s\" array", what, key);
    return ERR_OK;
}
