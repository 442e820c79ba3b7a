/* mcp_schema: the tools' descriptions and JSON Schemas (see mcp_schema.h).
 *
 * The schemas are JSON text kept here as string constants; only run_analysis' name enum
 * is built at run time from the analyses that exist. */
#include "mcp_schema.h"

#include <string.h>

#include "banned.h"

const struct mcp_filter_arg mcp_filter_args[] = {
    {"from", "from"},
    {"to", "to"},
    {"rep", "rep"},
    {"participant", "participant"},
    {"stage", "stage"},
    {"outcome", "outcome"},
    {"min_amount", "min-amount"},
    {"max_amount", "max-amount"},
    {"owner", "owner"},
    {"company_size", "company-size"},
    {"deal_timing", "deal-timing"},
};
const size_t mcp_n_filter_args = sizeof mcp_filter_args / sizeof *mcp_filter_args;

#define STR "{\"type\":\"string\"}"
#define NSTR "{\"type\":[\"string\",\"null\"]}"
#define NNUM "{\"type\":[\"number\",\"null\"]}"
#define NINT "{\"type\":[\"integer\",\"null\"]}"

/* The FILTERS as JSON Schema properties (no braces). */
#define FILTER_PROPS                                                                               \
    "\"from\":{\"type\":\"string\",\"description\":\"calls that started at or after this: "        \
    "YYYY-MM-DD, an ISO date-time, or 90d, 12w, 6m (ago), today, yesterday\"},"                    \
    "\"to\":{\"type\":\"string\",\"description\":\"calls that started before this (exclusive); "   \
    "same forms as from\"},"                                                                       \
    "\"rep\":{\"type\":\"string\",\"description\":\"the call's rep (the internal speaker who "     \
    "talked most): part of the name or e-mail, any case\"},"                                       \
    "\"participant\":{\"type\":\"string\",\"description\":\"anyone internal on the call: part "    \
    "of the name or e-mail\"},"                                                                    \
    "\"stage\":{\"type\":\"string\",\"description\":\"deal stage, exact value, any case; several " \
    "separated by commas (list_values field=stage shows them)\"},"                                 \
    "\"outcome\":{\"type\":\"string\",\"enum\":[\"won\",\"lost\",\"open\"],\"description\":"       \
    "\"the deal's eventual result, from its current stage\"},"                                     \
    "\"min_amount\":{\"type\":[\"number\",\"string\"],\"description\":\"deal amount at least "     \
    "this (50000, \\\"50k\\\", \\\"1.5m\\\")\"},"                                                  \
    "\"max_amount\":{\"type\":[\"number\",\"string\"],\"description\":\"deal amount at most "      \
    "this\"},"                                                                                     \
    "\"owner\":{\"type\":\"string\",\"description\":\"deal owner: the CRM's id, a name or an "     \
    "e-mail\"},"                                                                                   \
    "\"company_size\":{\"type\":\"string\",\"description\":\"employees of the deal's company: "    \
    "MIN-MAX or MIN+\"},"                                                                          \
    "\"deal_timing\":{\"type\":\"string\",\"enum\":[\"now\",\"call\"],\"description\":\"which "    \
    "deal snapshot the deal filters read: as it stands now (default) or at the call\"}"

#define LIMIT(dflt, max)                                                                           \
    "\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":" #max ",\"description\":\"at "     \
    "most this many (default " #dflt ")\"}"

#define SPEAKER                                                                                    \
    "\"speaker\":{\"type\":\"string\",\"enum\":[\"rep\",\"customer\",\"all\"],\"description\":"    \
    "\"whose sentences: reps (Internal), customers (External) or all (default)\"}"

#define HIT_PROPS                                                                                  \
    "\"call_id\":" STR ",\"title\":" NSTR ",\"started\":" NSTR ",\"speaker_id\":" NSTR             \
    ",\"speaker_name\":" NSTR ",\"affiliation\":" NSTR                                             \
    ",\"start_ms\":{\"type\":\"integer\"},\"text\":" STR ",\"url\":" NSTR

#define HIT_REQUIRED                                                                               \
    "\"call_id\",\"title\",\"started\",\"speaker_id\",\"speaker_name\",\"affiliation\","           \
    "\"start_ms\",\"text\",\"url\""

#define TRUNCATED                                                                                  \
    "\"truncated\":{\"type\":\"boolean\",\"description\":\"true when the result was cut by its "   \
    "row, size or time bound\"}"

#define OBJ(props, required)                                                                       \
    "{\"type\":\"object\",\"properties\":{" props "},\"required\":[" required "]}"
#define INPUT(props, required)                                                                     \
    "{\"type\":\"object\",\"properties\":{" props "},\"required\":[" required                      \
    "],\"additionalProperties\":false}"

struct tool {
    const char *name, *title, *description;
    const char *input, *output;
};

static const struct tool tools[] = {
    {"status", "Mirror status",
     "What the local Gong mirror holds: number of calls, their date span, transcripts, users, "
     "whether the search index is there, and the last sync. Call it first to know the period "
     "the data covers.",
     INPUT("", ""),
     OBJ("\"calls\":{\"type\":\"integer\"},\"first_call\":" NSTR ",\"last_call\":" NSTR
         ",\"transcripts\":{\"type\":\"integer\"},\"users\":{\"type\":\"integer\"},"
         "\"search_index\":{\"type\":\"boolean\"},\"last_sync\":" NSTR
         ",\"last_sync_outcome\":" NSTR,
         "\"calls\",\"transcripts\",\"users\",\"search_index\"")},
    {"describe_schema", "Describe the tables",
     "The mirror's tables and views with their columns, types and meanings, for sql_query. "
     "Start ad-hoc SQL from the view call_facts (one row per call in sales terms).",
     INPUT("", ""),
     OBJ("\"tables\":{\"type\":\"array\",\"items\":" OBJ(
             "\"name\":" STR ",\"kind\":" STR ",\"columns\":{\"type\":\"array\",\"items\":" OBJ(
                 "\"name\":" STR ",\"type\":" NSTR ",\"meaning\":" NSTR,
                 "\"name\",\"type\",\"meaning\"") "}",
             "\"name\",\"kind\",\"columns\"") "}",
         "\"tables\"")},
    {"list_values", "List values of a field",
     "The values a field takes over the calls that match the filters, most calls first: reps, "
     "deal stages, owners, companies, Gong trackers or topics, each with its number of calls. "
     "Use it to learn the exact stage names or rep names before filtering.",
     INPUT("\"field\":{\"type\":\"string\",\"enum\":[\"rep\",\"stage\",\"owner\",\"company\","
           "\"tracker\",\"topic\"]}," LIMIT(50, 500) "," FILTER_PROPS,
           "\"field\""),
     OBJ("\"field\":" STR ",\"values\":{\"type\":\"array\",\"items\":" OBJ(
             "\"value\":" NSTR ",\"calls\":{\"type\":\"integer\"}",
             "\"value\",\"calls\"") "}," TRUNCATED,
         "\"field\",\"values\",\"truncated\"")},
    {"find_calls", "Find calls",
     "The calls that match the filters, newest first, with rep, deal stage, amount, outcome "
     "and company. Page with cursor (the next_cursor of the previous page).",
     INPUT(LIMIT(25, 200) ",\"cursor\":{\"type\":\"string\",\"description\":\"next_cursor of "
                          "the previous page\"}," FILTER_PROPS,
           ""),
     OBJ("\"calls\":{\"type\":\"array\",\"items\":" OBJ(
             "\"call_id\":" STR ",\"title\":" NSTR ",\"started\":" NSTR ",\"rep_name\":" NSTR
             ",\"stage\":" NSTR ",\"amount\":" NNUM ",\"outcome\":" NSTR ",\"company_name\":" NSTR
             ",\"url\":" NSTR,
             "\"call_id\",\"title\",\"started\",\"rep_name\",\"stage\",\"amount\",\"outcome\","
             "\"company_name\",\"url\"") "},"
                                         "\"total\":{\"type\":\"integer\"},\"next_cursor\":" NSTR
                                         "," TRUNCATED,
         "\"calls\",\"total\",\"next_cursor\",\"truncated\"")},
    {"get_call", "Get one call",
     "One call as `callmine-query show --format json` gives it: title, start, duration, url, "
     "parties (with affiliation Internal = rep, External = customer), deals (Now and "
     "TimeOfCall snapshots) and the transcript in spoken order, in pages: pass next_cursor "
     "back as cursor for the next page.",
     INPUT("\"call_id\":" STR ",\"cursor\":{\"type\":\"string\",\"description\":\"next_cursor "
           "of the previous page\"},\"limit\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":"
           "5000,\"description\":\"transcript sentences per page (default 2000; a page also "
           "stops near 192 KB)\"}",
           "\"call_id\""),
     OBJ("\"id\":" STR ",\"title\":" NSTR ",\"started\":" NSTR ",\"duration\":" NNUM
         ",\"url\":" NSTR ",\"primary_user_id\":" NSTR
         ",\"parties\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}}"
         ",\"deals\":{\"type\":\"array\",\"items\":{\"type\":\"object\"}}"
         ",\"transcript\":{\"type\":\"array\",\"items\":" OBJ(
             "\"speaker_id\":" NSTR ",\"start_ms\":{\"type\":\"integer\"},\"end_ms\":{\"type\":"
             "\"integer\"},\"text\":" STR,
             "\"speaker_id\",\"start_ms\",\"end_ms\",\"text\"") "},"
                                                                "\"next_cursor\":" NSTR,
         "\"id\",\"parties\",\"deals\",\"transcript\",\"next_cursor\"")},
    {"search_transcripts", "Search transcripts (ranked)",
     "Ranked full-text search over transcript sentences (bm25, best first): which calls talked "
     "about something and what exactly was said. query is FTS5 syntax: words (all must occur "
     "in the sentence), \"a phrase\", OR, NOT, NEAR(a b, 5), prefix*; case and accents do not "
     "matter. Each hit has the call, speaker and side, time, the sentence and a snippet with "
     "the words in **bold**.",
     INPUT("\"query\":" STR "," SPEAKER "," LIMIT(20, 100) "," FILTER_PROPS, "\"query\""),
     OBJ("\"hits\":{\"type\":\"array\",\"items\":" OBJ(
             HIT_PROPS ",\"snippet\":" STR ",\"score\":{\"type\":\"number\"}",
             HIT_REQUIRED ",\"snippet\",\"score\"") "},"
                                                    "\"calls\":{\"type\":\"integer\"},\"more\":{"
                                                    "\"type\":\"boolean\"},"
                                                    "\"ranked_all\":{\"type\":\"boolean\","
                                                    "\"description\":\"false when over 20,000 "
                                                    "sentences matched and the newest 20,000 were "
                                                    "ranked: filters narrow it\"}," TRUNCATED,
         "\"hits\",\"calls\",\"more\",\"ranked_all\",\"truncated\"")},
    {"grep_transcripts", "Search transcripts (regex)",
     "Exhaustive regular-expression search (PCRE2) over transcript sentences, oldest call "
     "first, one hit per match: for exact patterns, counts and spellings that ranked search "
     "cannot express.",
     INPUT("\"pattern\":" STR ",\"ignore_case\":{\"type\":\"boolean\"}," SPEAKER
           "," LIMIT(50, 500) "," FILTER_PROPS,
           "\"pattern\""),
     OBJ("\"hits\":{\"type\":\"array\",\"items\":" OBJ(HIT_PROPS ",\"match\":" STR,
                                                       HIT_REQUIRED ",\"match\"") "}," TRUNCATED,
         "\"hits\",\"truncated\"")},
    {"run_analysis", "Run an analysis",
     "One of callmine's analyses over the calls that match the filters, one row per group "
     "(by: rep, stage, month, week, outcome, company-size, call, all): talk-ratio, questions, "
     "monologues, patience, interactivity, mentions and won-vs-lost (these two need pattern, "
     "a PCRE2 regex), activity, coverage, topics, trackers and more.",
     NULL, /* built at run time: the name enum */
     OBJ("\"name\":" STR ",\"by\":" STR ",\"rows\":{\"type\":\"array\",\"items\":{\"type\":"
         "\"object\"}}," TRUNCATED,
         "\"name\",\"by\",\"rows\",\"truncated\"")},
    {"sql_query", "Run read-only SQL",
     "One read-only SQL statement (SQLite) over the mirror; describe_schema lists the tables. "
     "Start from the view call_facts. regexp(), regexp_count(), regexp_substr() and "
     "transcript_text(call_id) are available. Writes, ATTACH and PRAGMAs that change anything "
     "are refused.",
     INPUT("\"sql\":" STR "," LIMIT(100, 1000), "\"sql\""),
     OBJ("\"columns\":{\"type\":\"array\",\"items\":" STR
         "},\"rows\":{\"type\":\"array\",\"items\":{\"type\":\"array\"}}," TRUNCATED,
         "\"columns\",\"rows\",\"truncated\"")},
};

#define N_TOOLS (sizeof tools / sizeof *tools)

int mcp_schema_has_tool(const char *name, int sql)
{
    for (size_t i = 0; i < N_TOOLS; i++)
        if (strcmp(tools[i].name, name) == 0)
            return sql || strcmp(name, "sql_query") != 0;
    return 0;
}

/* run_analysis' inputSchema, with the analyses' names as an enum. */
static void analysis_input(struct mcp_json *j, const char *const *names, size_t n)
{
    static const char rest[] =
        "\"pattern\":{\"type\":\"string\",\"description\":\"the PCRE2 pattern for mentions and "
        "won-vs-lost\"},\"ignore_case\":{\"type\":\"boolean\"},"
        "\"by\":{\"type\":\"string\",\"enum\":[\"rep\",\"stage\",\"month\",\"week\",\"outcome\","
        "\"company-size\",\"call\",\"all\"]}," SPEAKER "," LIMIT(100, 1000) "," FILTER_PROPS;

    mcp_json_obj(j);
    mcp_json_key(j, "type");
    mcp_json_cstr(j, "object", 0);
    mcp_json_key(j, "properties");
    mcp_json_obj(j);
    mcp_json_key(j, "name");
    mcp_json_obj(j);
    mcp_json_key(j, "type");
    mcp_json_cstr(j, "string", 0);
    if (n) {
        mcp_json_key(j, "enum");
        mcp_json_arr(j);
        for (size_t i = 0; i < n; i++)
            mcp_json_cstr(j, names[i], 0);
        mcp_json_arr_end(j);
    }
    mcp_json_obj_end(j);
    mcp_json_raw(j, rest, strlen(rest));
    mcp_json_obj_end(j);
    mcp_json_key(j, "required");
    mcp_json_raw(j, "[\"name\"]", 8);
    mcp_json_key(j, "additionalProperties");
    mcp_json_bool(j, 0);
    mcp_json_obj_end(j);
}

void mcp_schema_tools(struct mcp_json *j, int sql, const char *const *analyses, size_t n)
{
    mcp_json_key(j, "tools");
    mcp_json_arr(j);
    for (size_t i = 0; i < N_TOOLS; i++) {
        const struct tool *t = &tools[i];

        if (!sql && strcmp(t->name, "sql_query") == 0)
            continue;
        mcp_json_obj(j);
        mcp_json_key(j, "name");
        mcp_json_cstr(j, t->name, 0);
        mcp_json_key(j, "title");
        mcp_json_cstr(j, t->title, 0);
        mcp_json_key(j, "description");
        mcp_json_cstr(j, t->description, 0);
        mcp_json_key(j, "inputSchema");
        if (t->input)
            mcp_json_raw(j, t->input, strlen(t->input));
        else
            analysis_input(j, analyses, n);
        mcp_json_key(j, "outputSchema");
        mcp_json_raw(j, t->output, strlen(t->output));
        mcp_json_key(j, "annotations");
        mcp_json_obj(j);
        mcp_json_key(j, "title");
        mcp_json_cstr(j, t->title, 0);
        mcp_json_key(j, "readOnlyHint");
        mcp_json_bool(j, 1);
        mcp_json_key(j, "destructiveHint");
        mcp_json_bool(j, 0);
        mcp_json_key(j, "idempotentHint");
        mcp_json_bool(j, 1);
        mcp_json_key(j, "openWorldHint");
        mcp_json_bool(j, 0);
        mcp_json_obj_end(j);
        mcp_json_obj_end(j);
    }
    mcp_json_arr_end(j);
}
