/* request: building Gong request bodies and query strings (see request.h). */
#include "request.h"

#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "gong.h"
#include "isotime.h"

#include "banned.h"

static int add_ids(cJSON *filter, char *const *ids, size_t n)
{
    cJSON *arr = cJSON_AddArrayToObject(filter, "callIds");

    if (!arr)
        return 0;
    for (size_t i = 0; i < n; i++) {
        cJSON *s = cJSON_CreateString(ids[i]);

        if (!s || !cJSON_AddItemToArray(arr, s)) {
            cJSON_Delete(s);
            return 0;
        }
    }
    return 1;
}

/* Print root into out and free it. */
static int finish(cJSON *root, int ok, struct buf *out, struct err *e)
{
    char *text = ok ? cJSON_PrintUnformatted(root) : NULL;
    int rc;

    cJSON_Delete(root);
    if (!text)
        return err_set(e, ERR_NOMEM, "build request body: out of memory");
    buf_reset(out);
    rc = buf_puts(out, text, e);
    cJSON_free(text);
    return rc;
}

static cJSON *selector(void)
{
    cJSON *sel = cJSON_CreateObject(), *fields, *content, *inter, *collab, *timing;
    static const char *const content_flags[] = {
        "structure", "topics",  "trackers",   "trackerOccurrences", "pointsOfInterest",
        "brief",     "outline", "highlights", "callOutcome",        "keyPoints"};
    static const char *const inter_flags[] = {"speakers", "video", "personInteractionStats",
                                              "questions"};

    if (!sel)
        return NULL;
    cJSON_AddStringToObject(sel, "context", "Extended");
    timing = cJSON_AddArrayToObject(sel, "contextTiming");
    if (timing) {
        cJSON_AddItemToArray(timing, cJSON_CreateString("Now"));
        cJSON_AddItemToArray(timing, cJSON_CreateString("TimeOfCall"));
    }
    fields = cJSON_AddObjectToObject(sel, "exposedFields");
    if (!fields)
        return sel;
    cJSON_AddTrueToObject(fields, "parties");
    content = cJSON_AddObjectToObject(fields, "content");
    for (size_t i = 0; content && i < sizeof content_flags / sizeof *content_flags; i++)
        cJSON_AddTrueToObject(content, content_flags[i]);
    inter = cJSON_AddObjectToObject(fields, "interaction");
    for (size_t i = 0; inter && i < sizeof inter_flags / sizeof *inter_flags; i++)
        cJSON_AddTrueToObject(inter, inter_flags[i]);
    collab = cJSON_AddObjectToObject(fields, "collaboration");
    if (collab)
        cJSON_AddTrueToObject(collab, "publicComments");
    cJSON_AddFalseToObject(fields, "media");
    return sel;
}

int request_extensive(const struct request_extensive *q, struct buf *out, struct err *e)
{
    cJSON *root = cJSON_CreateObject(), *filter, *sel;
    char from_iso[ISOTIME_MAX], to_iso[ISOTIME_MAX];
    int ok = root != NULL;

    filter = ok ? cJSON_AddObjectToObject(root, "filter") : NULL;
    ok = ok && filter;
    if (ok && q->call_ids) {
        ok = add_ids(filter, q->call_ids, q->n_ids);
    } else if (ok) {
        isotime_format(q->from_ms, 0, from_iso);
        isotime_format(q->to_ms, 0, to_iso);
        ok = cJSON_AddStringToObject(filter, "fromDateTime", from_iso) &&
             cJSON_AddStringToObject(filter, "toDateTime", to_iso);
    }
    if (ok && q->workspace)
        ok = cJSON_AddStringToObject(filter, "workspaceId", q->workspace) != NULL;
    sel = ok ? selector() : NULL;
    ok = ok && sel && cJSON_AddItemToObject(root, "contentSelector", sel);
    if (!ok)
        cJSON_Delete(sel);
    if (ok && q->cursor)
        ok = cJSON_AddStringToObject(root, "cursor", q->cursor) != NULL;
    return finish(root, ok, out, e);
}

int request_transcripts(char *const *call_ids, size_t n, const char *cursor, struct buf *out,
                        struct err *e)
{
    cJSON *root = cJSON_CreateObject(), *filter;
    int ok = root != NULL;

    filter = ok ? cJSON_AddObjectToObject(root, "filter") : NULL;
    ok = ok && filter && add_ids(filter, call_ids, n);
    if (ok && cursor)
        ok = cJSON_AddStringToObject(root, "cursor", cursor) != NULL;
    return finish(root, ok, out, e);
}

int request_query(const char *const *pairs, struct buf *out, struct err *e)
{
    int rc = ERR_OK, first = 1;

    buf_reset(out);
    for (size_t i = 0; pairs[i] && !rc; i += 2) {
        if (!pairs[i + 1])
            continue;
        if (!first)
            rc = buf_putc(out, '&', e);
        first = 0;
        if (!rc)
            rc = buf_printf(out, e, "%s=", pairs[i]);
        if (!rc)
            rc = gong_urlencode(pairs[i + 1], out, e);
    }
    if (!rc && !out->data)
        rc = buf_puts(out, "", e);
    return rc;
}
