/* deals: the `deals` rows of one call, read from its CRM context (pure; no JSON, no SQL).
 *
 * Gong sends each call's CRM context as objects (system, objectType, objectId, timing,
 * fields[name, value]). This module defines those objects as plain structs (parse.c fills
 * them, store.c writes them to crm_fields) and derives one deals row per call-level deal
 * object and timing:
 *   - the deal is an object of type Deal or Opportunity, the company one of type Company or
 *     Account, whatever the system (Gong's spec names only Opportunity/Account; HubSpot
 *     tenants are reported with Deal/Company);
 *   - properties are read by the CRMs' own names, HubSpot (dealname, dealstage, amount,
 *     closedate, hubspot_owner_id; company name, numberofemployees) and Salesforce (Name,
 *     StageName, Amount, CloseDate, OwnerId; account Name, NumberOfEmployees), either set on
 *     any system (the system's own set is tried first), an exact name before a
 *     case-insensitive one;
 *   - the first company object of the same timing attaches to every deal row of that timing
 *     (on a call with several CRMs, a company of the deal's own system is preferred); a
 *     timing with a company but no deal gives no row;
 *   - amount and company size are parsed, never guessed (see deals_amount, deals_size).
 * Every string a row points to is borrowed from the objects it was derived from. */
#ifndef CALLMINE_DEALS_H
#define CALLMINE_DEALS_H

#include <stddef.h>
#include <stdint.h>

#include "../schema/isotime.h"

/* The JSON type of a CRM field value, kept so crm_fields.value stores it as SQLite's. */
enum deals_vtype {
    DEALS_V_NULL = 0, /* JSON null, or the value key missing */
    DEALS_V_INT,      /* an integer-valued JSON number within int64: i */
    DEALS_V_REAL,     /* any other JSON number: d */
    DEALS_V_BOOL,     /* true/false: i is 1/0 (stored as INTEGER) */
    DEALS_V_TEXT,     /* a JSON string: s, len (UTF-8, NUL-terminated) */
    DEALS_V_JSON      /* an array or object: s, len hold its JSON text */
};

struct deals_value {
    int type; /* enum deals_vtype */
    int64_t i;
    double d;
    const char *s; /* borrowed; NUL-terminated */
    size_t len;    /* bytes of s */
};

struct deals_field {
    const char *name; /* NULL when Gong gave none */
    struct deals_value v;
};

/* One CRM object of a call's context (call level) or of one party's context. */
struct deals_object {
    int party_ord;           /* -1 for the call's own context, else parties.ord */
    const char *system;      /* HubSpot | Salesforce | MicrosoftDynamic | Generic | NULL */
    const char *object_type; /* Deal | Opportunity | Company | Account | Contact | ... */
    const char *object_id;   /* NULL when Gong gave none */
    const char *timing;      /* Now | TimeOfCall | NULL (Gong's words) */
    const struct deals_field *fields;
    size_t n_fields;
};

/* One deals row. The value pointers are NULL when the property is absent, and point at the
 * field's value otherwise (store binds them with their own type: a TEXT column). */
struct deals_row {
    const char *timing; /* the deal object's timing; "Now" when Gong gave none (its default) */
    const char *system;
    const char *deal_id; /* objectId of the deal; may be NULL */
    const struct deals_value *deal_name;
    const struct deals_value *stage;
    const struct deals_value *owner;
    int has_amount; /* 0: amount is NULL */
    double amount;
    /* close_date: close_date_iso when non-empty, else close_date_raw as given (or NULL) */
    char close_date_iso[ISOTIME_MAX];
    const struct deals_value *close_date_raw;
    const char *company_id; /* NULL when no company in the timing */
    const struct deals_value *company_name;
    int has_company_size; /* 0: company_size is NULL */
    int64_t company_size;
};

/* The most rows deals_derive() can write for these objects (the count of call-level deal
 * objects); size the rows array with it. */
size_t deals_max_rows(const struct deals_object *objs, size_t n);

/* Derive the deals rows of one call from all its CRM objects (party-level ones are
 * ignored) into rows (room for deals_max_rows()). A second deal object with the same
 * timing and object id as an earlier one is skipped. Returns the number of rows written,
 * in the order of the deal objects. Never fails. */
size_t deals_derive(const struct deals_object *objs, size_t n, struct deals_row *rows);

/* Is the text (ASCII whitespace around it ignored) a plain decimal number: optional sign,
 * digits with an optional fraction, optional exponent? On 1 *out holds its finite value.
 * "52000", "52000.00", " 1e3 " pass; "52,000", "n/a", "0x10", "inf", "" do not. */
int deals_number_text(const char *s, size_t len, double *out);

/* An amount: a JSON number, or a string that deals_number_text() accepts. 1 and *out set,
 * or 0 (stored as NULL) for anything else: null, bool, "52,000", arrays. */
int deals_amount(const struct deals_value *v, double *out);

/* A company size: as deals_amount(), but the value must be a whole number within int64
 * ("1200.0" gives 1200; 12.5 gives 0 = NULL). */
int deals_size(const struct deals_value *v, int64_t *out);

/* A close date: an ISO-8601 date-time with Z or an offset (string), or epoch milliseconds
 * (an integer-valued number or a string of digits with 12 or 13 digits, i.e. years 1973 to
 * 2286), is written as stored UTC text into out and 1 returned. Otherwise 0: store the
 * value as given (a date without time such as Salesforce's "2024-06-30" stays as given). */
int deals_close_date(const struct deals_value *v, char out[ISOTIME_MAX]);

#endif
