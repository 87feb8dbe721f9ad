/* Shared by the CI writers: atomic output of a stream writer, refs text. */
#include "report_ci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_io.h"

int lc_report_write_with(int (*fn)(const json_t *, FILE *), const json_t *report,
                         const char *path, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    int rc = fn(report, f);
    if (fclose(f) != 0 || rc != 0) {
        snprintf(err, errlen, "%s: could not format the document", path);
        free(buf);
        return -1;
    }
    rc = lc_report_write_file(path, buf, len, err, errlen);
    free(buf);
    return rc;
}

void lc_result_refs_text(const json_t *result, char *buf, size_t len)
{
    size_t i, n = 0;
    json_t *ref;
    buf[0] = '\0';
    json_array_foreach(json_object_get(result, "refs"), i, ref) {
        int w = snprintf(buf + n, len - n, "%s%s", i ? ", " : "", json_string_value(ref));
        if (w < 0 || (size_t)w >= len - n)
            break;
        n += (size_t)w;
    }
}
