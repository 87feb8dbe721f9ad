/* Loading a report or matrix: fetch, parse, check. */
#include "report_load.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "journal.h"
#include "report_io.h"

json_t *lc_doc_parse(const char *name, const char *data, size_t len, lc_doc_kind want,
                     lc_doc_kind *kind, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *doc;
    if (lc_journal_detect(data, len)) {
        /* A killed run's journal: its results so far, as an incomplete
         * report, checked like any other. */
        doc = lc_journal_to_report(name, data, len, err, errlen);
        if (!doc)
            return NULL;
    } else {
        /* Duplicate keys would make two readers see two different reports. */
        doc = json_loadb(data, len, JSON_REJECT_DUPLICATES, &jerr);
        if (!doc) {
            snprintf(err, errlen, "%s: line %d column %d: %s", name, jerr.line, jerr.column,
                     jerr.text);
            /* jansson quotes the input near the fault, newlines and all. */
            lc_text_one_line(err);
            return NULL;
        }
    }
    char cerr[400];
    int k = lc_doc_check(doc, want, cerr, sizeof cerr);
    if (k < 0) {
        snprintf(err, errlen, "%s: %s", name, cerr);
        json_decref(doc);
        return NULL;
    }
    if (kind)
        *kind = (lc_doc_kind)k;
    return doc;
}

json_t *lc_doc_load(const char *src, lc_doc_kind want, lc_doc_kind *kind, char *err,
                    size_t errlen)
{
    char *data;
    size_t len;
    if (lc_report_fetch(src, &data, &len, err, errlen) != 0)
        return NULL;
    char shown[1024]; /* a URL is named without its credentials */
    lc_url_redact(src, shown, sizeof shown);
    json_t *doc = lc_doc_parse(shown, data, len, want, kind, err, errlen);
    free(data);
    return doc;
}
