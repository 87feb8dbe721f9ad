/* Shared by the CI writers: atomic output of a stream writer, refs text. */
#include "report_ci.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report_io.h"

int lc_report_write_with(int (*fn)(const json_t *, FILE *), const json_t *report,
                         const char *path, char *err, size_t errlen)
{
    lc_report_out o;
    FILE *f = lc_report_out_open(&o, path, err, errlen);
    if (!f)
        return -1;
    return lc_report_out_commit(&o, fn(report, f), "document", path, err, errlen);
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

json_t *lc_report_ci_measurements(const json_t *result)
{
    json_t *m = json_deep_copy(json_object_get(result, "measurements"));
    if (!json_is_object(m)) {
        json_decref(m);
        return json_object();
    }
    const char *name;
    json_t *one;
    json_object_foreach(m, name, one)
        if (json_is_object(one))
            json_object_del(one, "histogram");
    return m;
}
