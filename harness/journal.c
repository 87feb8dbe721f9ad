/* The run journal: JSON lines, one fsync'd record per completed result. */
#include "journal.h"
#include "json_flags.h"
#include "report_dest.h"
#include "report_load.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "loopcompat/loop.h"
#include "result.h"

/* Windows has no FIFOs to open without blocking. */
#ifndef O_NONBLOCK
#define O_NONBLOCK 0
#endif

#ifndef LC_REVISION
#define LC_REVISION "unknown"
#endif

char *lc_journal_path(const char *report_path)
{
    size_t n = strlen(report_path);
    char *p = malloc(n + sizeof LC_JOURNAL_SUFFIX);
    if (p) {
        memcpy(p, report_path, n);
        memcpy(p + n, LC_JOURNAL_SUFFIX, sizeof LC_JOURNAL_SUFFIX);
    }
    return p;
}

static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* A write lock (fcntl(2) F_SETLK) held for as long as a run writes the
 * journal, so that a --resume cannot append to one a live run (perhaps
 * only its terminal was killed) is still writing.  A record lock, not
 * flock(2): it belongs to the process, so the forked case processes do
 * not hold it, and it goes when the run dies. */
static int lock_journal(lc_journal *j, char *err, size_t errlen)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(j->fd, F_SETLK, &fl) == 0)
        return 0;
    int e = errno;
    if (e == EACCES || e == EAGAIN)
        snprintf(err, errlen, "%s: another loopcompat run is still writing this journal",
                 j->path);
    else
        snprintf(err, errlen, "%s: cannot lock the journal: %s", j->path, strerror(e));
    return -e;
}

/* Whether a live process holds the journal's lock (F_GETLK). */
static int journal_in_use(const char *path)
{
    /* O_NONBLOCK: a FIFO in the journal's place must not block the run. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    int busy = fcntl(fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
    close(fd);
    return busy;
}

/* One line: the compact JSON (which never holds a raw newline) and '\n'. */
static int write_line(int fd, const json_t *o)
{
    char *text = json_dumps(o, JSON_COMPACT | LC_JSON_REALS);
    if (!text)
        return -ENOMEM;
    size_t n = strlen(text);
    char *line = realloc(text, n + 2);
    if (!line) {
        free(text);
        return -ENOMEM;
    }
    line[n] = '\n';
    line[n + 1] = '\0';
    /* One write with O_APPEND: a record is never interleaved, and a crash
     * tears at most the last one. */
    int rc = write_all(fd, line, n + 1);
    free(line);
    if (rc == 0 && fsync(fd) < 0)
        rc = -errno;
    return rc;
}

/* The header line, synced with its directory entry. */
static int write_header(lc_journal *j, const lc_report_info *info, char *err, size_t errlen)
{
    json_t *h = json_pack("{s:s, s:i, s:{s:s, s:s, s:s}, s:I, s:O, s:O, s:O}", "format",
                          LC_JOURNAL_FORMAT, "format_version", 1, "generator", "name",
                          "loopcompat", "version", LC_VERSION_STRING, "revision", LC_REVISION,
                          "time_start", (json_int_t)info->time_start_ms, "run_info",
                          info->run_info, "backends", info->backends, "platform_limits",
                          info->platform_limits);
    int rc = h ? write_line(j->fd, h) : -ENOMEM;
    json_decref(h);
    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot write the journal: %s", j->path, strerror(-rc));
        return rc;
    }
    lc_dest_sync_dir_of(j->path);
    return 0;
}

/* The start of every header: json_dumps keeps the order of insertion
 * (jansson's documentation, "Encoding": JSON_PRESERVE_ORDER is the default
 * since 2.8). */
static const char header_start[] = "{\"format\":\"" LC_JOURNAL_FORMAT "\"";

int lc_journal_headerless(const lc_journal *j)
{
    struct stat st;
    if (j->fd < 0 || fstat(j->fd, &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    if (st.st_size == 0)
        return 1;
    /* One unfinished line, written by us: no record can follow a header
     * that was never finished. */
    char buf[4096];
    size_t hl = sizeof header_start - 1;
    ssize_t n = pread(j->fd, buf, sizeof buf, 0);
    if (n <= 0)
        return 0;
    size_t cmp = (size_t)n < hl ? (size_t)n : hl;
    if (memcmp(buf, header_start, cmp) != 0)
        return 0;
    for (off_t pos = 0; pos < st.st_size;) {
        n = pread(j->fd, buf, sizeof buf, pos);
        if (n <= 0)
            return 0;
        if (memchr(buf, '\n', (size_t)n))
            return 0;
        pos += n;
    }
    return 1;
}

int lc_journal_restart(lc_journal *j, const lc_report_info *info, char *err, size_t errlen)
{
    if (ftruncate(j->fd, 0) < 0) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot empty the journal: %s", j->path, strerror(e));
        return -e;
    }
    return write_header(j, info, err, errlen);
}

/* A journal an interrupted run left before its header was complete holds
 * no results: take it over (locked, checked again under the lock) as if it
 * were not there.  0, or -1 when it is not such a journal. */
static int take_over_headerless(lc_journal *j, const lc_report_info *info, char *err,
                                size_t errlen)
{
    char lerr[16];
    j->fd = open(j->path, O_RDWR | O_APPEND | O_NONBLOCK | O_CLOEXEC);
    if (j->fd < 0)
        return -1;
    if (lock_journal(j, lerr, sizeof lerr) < 0 || !lc_journal_headerless(j)) {
        close(j->fd);
        j->fd = -1;
        return -1;
    }
    if (lc_journal_restart(j, info, err, errlen) < 0)
        return -2;
    j->restarted = 1;
    return 0;
}

int lc_journal_create(lc_journal *j, const char *report_path, const lc_report_info *info,
                      char *err, size_t errlen)
{
    memset(j, 0, sizeof *j);
    j->fd = -1;
    j->path = lc_journal_path(report_path);
    if (!j->path) {
        snprintf(err, errlen, "%s: out of memory", report_path);
        return -ENOMEM;
    }
    /* Like the report, the journal may go to a directory not made yet
     * (reports/ by default): create one level. */
    char *copy = strdup(j->path);
    if (copy) {
        const char *dir = dirname(copy);
        if (mkdir(dir, 0777) < 0 && errno != EEXIST) {
            int e = errno;
            snprintf(err, errlen, "%s: cannot create directory %s: %s", report_path, dir,
                     strerror(e));
            free(copy);
            lc_journal_close(j, 0);
            return -e;
        }
        free(copy);
    }
    j->fd = open(j->path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0666);
    if (j->fd < 0) {
        int e = errno;
        if (e == EEXIST && !journal_in_use(j->path)) {
            int t = take_over_headerless(j, info, err, errlen);
            if (t == 0)
                return 0;
            if (t == -2) {
                lc_journal_close(j, 0);
                return -EIO;
            }
        }
        if (e == EEXIST && journal_in_use(j->path))
            snprintf(err, errlen, "%s: another loopcompat run is writing to this report now",
                     j->path);
        else if (e == EEXIST)
            snprintf(err, errlen,
                     "%s: an interrupted run left this journal: finish that run with --resume, "
                     "or remove the file",
                     j->path);
        else
            snprintf(err, errlen, "%s: cannot create the journal: %s", j->path, strerror(e));
        lc_journal_close(j, 0);
        return -e;
    }
    int lrc = lock_journal(j, err, errlen);
    if (lrc < 0) {
        lc_journal_close(j, 1);
        return lrc;
    }
    int rc = write_header(j, info, err, errlen);
    if (rc < 0) {
        lc_journal_close(j, 1);
        return rc;
    }
    return 0;
}

int lc_journal_reopen(lc_journal *j, const char *report_path, char *err, size_t errlen)
{
    memset(j, 0, sizeof *j);
    j->path = lc_journal_path(report_path);
    j->fd = j->path ? open(j->path, O_RDWR | O_APPEND | O_NONBLOCK | O_CLOEXEC) : -1;
    if (j->fd < 0) {
        int e = j->path ? errno : ENOMEM;
        snprintf(err, errlen, "%s: cannot reopen the journal: %s",
                 j->path ? j->path : report_path, strerror(e));
        lc_journal_close(j, 0);
        return -e;
    }
    struct stat st;
    if (fstat(j->fd, &st) == 0 && !S_ISREG(st.st_mode)) {
        /* Its refusal of anything but a regular file says what this is. */
        char why[512];
        lc_dest_open_input(j->path, why, sizeof why);
        snprintf(err, errlen, "cannot reopen the journal: %s", why);
        lc_journal_close(j, 0);
        return -EINVAL;
    }
    int lrc = lock_journal(j, err, errlen);
    if (lrc < 0) {
        lc_journal_close(j, 0);
        return lrc;
    }
    return 0;
}

int lc_journal_cut_torn(lc_journal *j, char *err, size_t errlen)
{
    /* Cut a torn last line, so that the next record starts a line. */
    off_t end = lseek(j->fd, 0, SEEK_END), keep = 0;
    char buf[4096];
    for (off_t pos = end; pos > 0 && keep == 0;) {
        off_t from = pos > (off_t)sizeof buf ? pos - (off_t)sizeof buf : 0;
        ssize_t n = pread(j->fd, buf, (size_t)(pos - from), from);
        if (n <= 0)
            break;
        for (ssize_t i = n - 1; i >= 0; i--)
            if (buf[i] == '\n') {
                keep = from + i + 1;
                break;
            }
        pos = from;
    }
    if (keep < end && (ftruncate(j->fd, keep) < 0 || fsync(j->fd) < 0)) {
        int e = errno;
        snprintf(err, errlen, "%s: cannot cut the torn last record: %s", j->path, strerror(e));
        return -e;
    }
    return 0;
}

int lc_journal_append(lc_journal *j, const lc_plan_item *item, const lc_result *r)
{
    /* After a failed write the file may end in a torn record: adding more
     * would put it in the middle. */
    if (j->fd < 0 || j->error)
        return -(j->error ? j->error : EBADF);
    json_t *rec = json_pack("{s:I, s:o}", "time", (json_int_t)lc_report_now_ms(), "result",
                            lc_report_result(item, r));
    int rc = rec ? write_line(j->fd, rec) : -ENOMEM;
    json_decref(rec);
    if (rc < 0)
        j->error = -rc;
    else
        j->appended++;
    return rc;
}

void lc_journal_close(lc_journal *j, int remove_file)
{
    if (j->fd >= 0)
        close(j->fd);
    if (remove_file && j->path) {
        unlink(j->path);
        lc_dest_sync_dir_of(j->path);
    }
    free(j->path);
    j->path = NULL;
    j->fd = -1;
}

/* The first line of data: its length (without the newline). */
static size_t first_line_len(const char *data, size_t len)
{
    const char *nl = memchr(data, '\n', len);
    return nl ? (size_t)(nl - data) : len;
}

int lc_journal_detect(const char *data, size_t len)
{
    size_t n = first_line_len(data, len);
    static const char tag[] = "\"" LC_JOURNAL_FORMAT "\"";
    if (!memmem(data, n, tag, sizeof tag - 1))
        return 0;
    json_t *h = json_loadb(data, n, 0, NULL);
    const char *f = json_string_value(json_object_get(h, "format"));
    int yes = f && strcmp(f, LC_JOURNAL_FORMAT) == 0;
    json_decref(h);
    return yes;
}

static json_t *bad(char *err, size_t errlen, json_t *doc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static json_t *bad(char *err, size_t errlen, json_t *doc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    /* Field names come from the file. */
    lc_text_one_line(err);
    json_decref(doc);
    return NULL;
}

json_t *lc_journal_to_report(const char *name, const char *data, size_t len, char *err,
                             size_t errlen)
{
    static const char *const header_keys[] = {"format", "format_version", "generator",
                                              "time_start", "run_info", "backends",
                                              "platform_limits", NULL};
    size_t n = first_line_len(data, len);
    if (n == len)
        return bad(err, errlen, NULL, "%s: the journal header is cut short", name);
    json_error_t je;
    json_t *h = json_loadb(data, n, JSON_REJECT_DUPLICATES, &je);
    if (!json_is_object(h))
        return bad(err, errlen, h, "%s: line 1: %s", name, h ? "expected an object" : je.text);
    const char *key;
    json_t *v;
    json_object_foreach(h, key, v)
    {
        size_t k = 0;
        while (header_keys[k] && strcmp(header_keys[k], key) != 0)
            k++;
        if (!header_keys[k])
            return bad(err, errlen, h, "%s: line 1: unknown field \"%.80s\"", name, key);
    }
    json_t *fv = json_object_get(h, "format_version");
    if (!json_is_integer(fv) || json_integer_value(fv) != 1)
        return bad(err, errlen, h, "%s: line 1: format_version: expected 1", name);
    json_t *ts = json_object_get(h, "time_start");
    if (!json_is_integer(ts))
        return bad(err, errlen, h, "%s: line 1: time_start: expected an integer", name);

    /* The report: the header's fields, then the results; the shape of
     * each is left to the report checks that follow. */
    json_t *doc = json_object();
    json_t *rows = json_array();
    json_object_set_new(doc, "format", json_string("loopcompat-report"));
    json_object_set_new(doc, "format_version", json_integer(1));
    json_object_set_new(doc, "format_minor", json_integer(LC_REPORT_FORMAT_MINOR));
    json_object_foreach(h, key, v)
    {
        if (strcmp(key, "format") != 0 && strcmp(key, "format_version") != 0)
            json_object_set(doc, key, v);
    }
    json_decref(h);
    json_int_t t_end = json_integer_value(ts);
    size_t lineno = 1;
    for (size_t pos = n + 1; pos < len;) {
        lineno++;
        const char *line = data + pos;
        const char *nl = memchr(line, '\n', len - pos);
        if (!nl)
            break; /* a torn last record: the run died writing it */
        size_t ll = (size_t)(nl - line);
        pos += ll + 1;
        json_t *rec = json_loadb(line, ll, JSON_REJECT_DUPLICATES, &je);
        json_int_t t;
        json_t *row;
        if (!rec) {
            json_decref(rows);
            return bad(err, errlen, doc, "%s: line %zu: %s", name, lineno, je.text);
        }
        if (json_unpack_ex(rec, &je, JSON_STRICT, "{s:I, s:o}", "time", &t, "result", &row) < 0) {
            json_decref(rec);
            json_decref(rows);
            return bad(err, errlen, doc, "%s: line %zu: %s", name, lineno, je.text);
        }
        if (t > t_end)
            t_end = t;
        json_array_append(rows, row);
        json_decref(rec);
    }
    json_object_set_new(doc, "time_end", json_integer(t_end));
    json_object_set_new(doc, "incomplete", json_true());
    json_object_set_new(doc, "results", rows);
    return doc;
}

static unsigned status_bits(const json_t *list)
{
    unsigned bits = 0;
    size_t i;
    json_t *s;
    json_array_foreach(list, i, s)
        bits |= LC_STATUS_BIT(lc_status_from_name(json_string_value(s)));
    return bits;
}

long lc_journal_restore(const json_t *report, const lc_plan *plan, lc_result *results,
                        char *err, size_t errlen)
{
    size_t i;
    json_t *row;
    long restored = 0;
    json_array_foreach(json_object_get(report, "results"), i, row)
    {
        const char *c = json_string_value(json_object_get(row, "case"));
        const char *b = json_string_value(json_object_get(row, "backend"));
        const char *v = json_string_value(json_object_get(row, "variant"));
        size_t k = 0;
        for (; k < plan->n; k++) {
            const lc_plan_item *it = &plan->items[k];
            if (strcmp(it->c->id, c) == 0 && strcmp(it->backend, b) == 0 &&
                ((!v && !it->variant) || (v && it->variant && strcmp(v, it->variant) == 0)))
                break;
        }
        if (k == plan->n) {
            snprintf(err, errlen,
                     "the journal has a result for %s%s%s on %s, which this run would not plan "
                     "(resume with the same --backend, --case, --variants and --stress)",
                     c, v ? " " : "", v ? v : "", b);
            return -1;
        }
        lc_result *r = &results[k];
        if (r->done) {
            snprintf(err, errlen, "the journal has two results for %s on %s", c, b);
            return -1;
        }
        const char *msg = json_string_value(json_object_get(row, "message"));
        json_t *expected = json_object_get(row, "expected");
        r->done = 1;
        r->status = lc_status_from_name(json_string_value(json_object_get(row, "status")));
        r->message = msg ? strdup(msg) : NULL;
        r->duration_ms = json_integer_value(json_object_get(row, "duration_ms"));
        r->evidence = json_deep_copy(json_object_get(row, "evidence"));
        r->refs = json_deep_copy(json_object_get(row, "refs"));
        r->measurements = json_deep_copy(json_object_get(row, "measurements"));
        r->has_expectation = json_is_string(expected);
        r->expected = r->has_expectation ? lc_status_from_name(json_string_value(expected))
                                         : LC_STATUS_NONE;
        r->known_intermittent = status_bits(json_object_get(row, "known_intermittent"));
        r->unexpected = json_is_true(json_object_get(row, "unexpected"));
        restored++;
    }
    return restored;
}
