/* Building and writing the v1 run report. */
#include "report_json.h"
#include "json_flat.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "loopcompat/loop.h"
#include "report_dest.h"
#include "report_load.h"
#include "result.h"

int64_t lc_report_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static json_t *status_list(unsigned bits)
{
    json_t *a = json_array();
    for (unsigned s = LC_STATUS_PASS; s <= LC_STATUS_ERROR; s++)
        if (bits & LC_STATUS_BIT(s))
            json_array_append_new(a, json_string(lc_status_name((lc_status)s)));
    return a;
}

json_t *lc_report_result(const lc_plan_item *item, const lc_result *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "case", json_string(item->c->id));
    json_object_set_new(o, "backend", json_string(item->backend));
    json_object_set_new(o, "variant", item->variant ? json_string(item->variant) : json_null());
    json_object_set_new(o, "status", json_string(lc_status_name(r->status)));
    json_object_set_new(o, "expected",
                        r->has_expectation ? json_string(lc_status_name(r->expected)) : json_null());
    json_object_set_new(o, "known_intermittent", status_list(r->known_intermittent));
    json_object_set_new(o, "unexpected", json_boolean(r->unexpected));
    json_object_set_new(o, "message", lc_json_text(r->message));
    json_object_set_new(o, "duration_ms", json_integer(r->duration_ms));
    json_object_set_new(o, "evidence", r->evidence ? json_incref(r->evidence) : json_object());
    json_object_set_new(o, "refs", r->refs ? json_incref(r->refs) : json_array());
    json_object_set_new(o, "measurements",
                        r->measurements ? json_incref(r->measurements) : json_object());
    return o;
}

json_t *lc_report_build(const lc_report_info *info, const lc_plan *plan, const lc_result *results)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "format", json_string("loopcompat-report"));
    json_object_set_new(doc, "format_version", json_integer(1));
    json_object_set_new(doc, "format_minor", json_integer(LC_REPORT_FORMAT_MINOR));
    json_object_set_new(doc, "generator",
                        json_pack("{s:s, s:s, s:s}", "name", "loopcompat", "version",
                                  LC_VERSION_STRING, "revision", LC_REVISION));
    json_object_set_new(doc, "time_start", json_integer(info->time_start_ms));
    json_object_set_new(doc, "time_end", json_integer(info->time_end_ms));
    if (info->incomplete)
        json_object_set_new(doc, "incomplete", json_true());
    json_object_set(doc, "run_info", info->run_info);
    json_object_set(doc, "backends", info->backends);
    json_object_set(doc, "platform_limits", info->platform_limits);
    json_t *rows = json_array();
    for (size_t i = 0; i < plan->n; i++)
        if (results[i].done)
            json_array_append_new(rows, lc_report_result(&plan->items[i], &results[i]));
    json_object_set_new(doc, "results", rows);
    return doc;
}

void lc_report_default_path(json_t *run_info, char *buf, size_t len)
{
    const char *id = json_string_value(json_object_get(run_info, "platform_id"));
    snprintf(buf, len, "reports/%s.json", id ? id : "report");
}

static int dump_cb(const char *buffer, size_t size, void *data)
{
    return lc_dest_write(data, buffer, size) == 0 ? 0 : -1;
}

int lc_report_write(json_t *doc, const char *path, char *err, size_t errlen)
{
    /* The report may go to a directory not made yet (reports/ by
     * default): create one level.  A device is written in place. */
    if (!lc_dest_in_place(path)) {
        char *copy = strdup(path);
        if (!copy) {
            snprintf(err, errlen, "%s: out of memory", path);
            return -ENOMEM;
        }
        const char *dir = dirname(copy);
        if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
            int e = errno;
            snprintf(err, errlen, "%s: cannot create directory %s: %s", path, dir, strerror(e));
            free(copy);
            return -e;
        }
        free(copy);
    }
    lc_dest d;
    char derr[512];
    int rc;
    if (lc_dest_open(&d, path, err, errlen) != 0)
        return -EIO;
    int e = 0;
    if (lc_json_dump_flat(doc, dump_cb, &d) < 0 || dump_cb("\n", 1, &d) < 0)
        e = d.error ? d.error : EIO;
    if ((rc = lc_dest_commit(&d, e, path, derr, sizeof derr)) != 0) {
        snprintf(err, errlen, "%s: cannot write the report: %s", path, strerror(-rc));
        return rc;
    }
    return 0;
}
