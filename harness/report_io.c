/* Report I/O: fetch a document from a path or URL; write output atomically. */
#include "report_io.h"
#include "report_dest.h"

#ifdef LC_HAVE_CURL
#include <curl/curl.h>
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "text.h"

#ifdef LC_HAVE_CURL
int lc_report_curl_init(void)
{
    static int state; /* 0 not yet, 1 ok, -1 failed */
    if (state == 0) {
        state = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 1 : -1;
        if (state == 1)
            atexit(curl_global_cleanup);
    }
    return state == 1 ? 0 : -1;
}
#endif

int lc_report_is_url(const char *src)
{
    return strncmp(src, "http://", 7) == 0 || strncmp(src, "https://", 8) == 0 ||
           strncmp(src, "file://", 7) == 0;
}

struct membuf {
    char *data;
    size_t len, cap, max;
    int too_big;
};

static int membuf_append(struct membuf *b, const void *p, size_t n)
{
    if (b->len + n > b->max) {
        b->too_big = 1;
        return -1;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *d = realloc(b->data, cap);
        if (!d)
            return -1;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
    return 0;
}

/* Set by a failed transfer, for lc_report_fetch_network_failed. */
static int fetch_network_failed;
/* Set when the source does not exist, for lc_report_fetch_missing. */
static int fetch_missing;

#ifdef LC_HAVE_CURL
static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
    /* Returning less than given makes libcurl stop with CURLE_WRITE_ERROR. */
    return membuf_append(ud, p, size * nmemb) == 0 ? size * nmemb : 0;
}

/* A file:// URL names a local file, which libcurl opens without
 * O_NONBLOCK: a FIFO there would block the fetch for ever.  The same check
 * as for a path, on the URL's decoded path.  0, or -1 with err set. */
static int check_file_url(const char *url, const char *shown, char *err, size_t errlen)
{
    if (strncmp(url, "file://", 7) != 0)
        return 0;
    CURLU *u = curl_url();
    char *path = NULL;
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_PATH, &path, CURLU_URLDECODE) != CURLUE_OK) {
        curl_url_cleanup(u);
        return 0; /* libcurl says what is wrong with the URL */
    }
    char why[512];
    int fd = lc_dest_open_input(path, why, sizeof why);
    curl_free(path);
    curl_url_cleanup(u);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", shown, why);
        return -1;
    }
    close(fd);
    return 0;
}

static int fetch_url(const char *url, const char *shown, struct membuf *b, char *err,
                     size_t errlen)
{
    if (check_file_url(url, shown, err, errlen) != 0)
        return -1;
    if (lc_report_curl_init() != 0) {
        snprintf(err, errlen, "%s: curl_global_init failed", shown);
        return -1;
    }
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(err, errlen, "%s: curl_easy_init failed", shown);
        return -1;
    }
    char cerr[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https,file");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, LC_FETCH_CONNECT_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, LC_FETCH_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)b->max);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "loopcompat");
    CURLcode rc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    if (b->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        snprintf(err, errlen, "%s: larger than %zu MiB", shown, LC_REPORT_MAX_BYTES >> 20);
        return -1;
    }
    if (rc != CURLE_OK) {
        fetch_network_failed = strncmp(url, "file://", 7) != 0;
        snprintf(err, errlen, "%s: %s", shown, cerr[0] ? cerr : curl_easy_strerror(rc));
        lc_text_one_line(err);
        return -1;
    }
    /* file:// has no status; anything but 2xx from HTTP is an error page,
     * not a report. */
    if (strncmp(url, "file://", 7) != 0 && (status < 200 || status > 299)) {
        /* A 404, like a missing file, is bad input. */
        fetch_network_failed = status < 100 || lc_http_status_remote(status);
        /* RFC 9110 §15.5.5 and §15.5.11: nothing there (for now, or for good). */
        fetch_missing = status == 404 || status == 410;
        snprintf(err, errlen, "%s: HTTP status %ld", shown, status);
        return -1;
    }
    return 0;
}
#else
static int fetch_url(const char *url, const char *shown, struct membuf *b, char *err,
                     size_t errlen)
{
    (void)url;
    (void)b;
    snprintf(err, errlen, "%s: URLs are not available in this build (built without libcurl)", shown);
    return -1;
}
#endif

static int read_path(const char *path, struct membuf *b, char *err, size_t errlen)
{
    int fd = lc_dest_open_input(path, err, errlen);
    if (fd < 0) {
        struct stat st; /* errno after the message was formatted: asked again */
        fetch_missing = stat(path, &st) != 0 && errno == ENOENT;
        return -1;
    }
    char chunk[65536];
    for (;;) {
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
            close(fd);
            return -1;
        }
        if (n == 0)
            break;
        if (membuf_append(b, chunk, (size_t)n) != 0) {
            if (b->too_big)
                snprintf(err, errlen, "%s: larger than %zu MiB", path, LC_REPORT_MAX_BYTES >> 20);
            else
                snprintf(err, errlen, "%s: out of memory", path);
            close(fd);
            return -1;
        }
    }
    close(fd);
    return 0;
}

int lc_report_gunzip(const unsigned char *in, size_t inlen, size_t max, char **out,
                     size_t *outlen, char *err, size_t errlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    /* 16 + MAX_WBITS: gzip wrapper only (zlib.h, inflateInit2). */
    if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK) {
        snprintf(err, errlen, "inflateInit2 failed");
        return -1;
    }
    struct membuf b = {.max = max};
    unsigned char chunk[65536];
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)inlen;
    int zrc;
    do {
        z.next_out = chunk;
        z.avail_out = sizeof chunk;
        zrc = inflate(&z, Z_NO_FLUSH);
        if (zrc != Z_OK && zrc != Z_STREAM_END) {
            snprintf(err, errlen, "bad gzip data: %s", z.msg ? z.msg : "truncated");
            goto fail;
        }
        if (membuf_append(&b, chunk, sizeof chunk - z.avail_out) != 0) {
            if (b.too_big)
                snprintf(err, errlen, "larger than %zu MiB after gunzip", max >> 20);
            else
                snprintf(err, errlen, "out of memory");
            goto fail;
        }
        if (zrc == Z_OK && z.avail_in == 0 && z.avail_out != 0) {
            snprintf(err, errlen, "bad gzip data: truncated");
            goto fail;
        }
    } while (zrc != Z_STREAM_END);
    inflateEnd(&z);
    if (!b.data && membuf_append(&b, "", 0) != 0) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    *out = b.data;
    *outlen = b.len;
    return 0;
fail:
    inflateEnd(&z);
    free(b.data);
    return -1;
}

int lc_report_gzip(const void *in, size_t inlen, unsigned char **out, size_t *outlen,
                   char *err, size_t errlen)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK) {
        snprintf(err, errlen, "deflateInit2 failed");
        return -1;
    }
    uLong cap = deflateBound(&z, (uLong)inlen);
    unsigned char *buf = malloc(cap);
    if (!buf) {
        deflateEnd(&z);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)inlen;
    z.next_out = buf;
    z.avail_out = (uInt)cap;
    int zrc = deflate(&z, Z_FINISH);
    if (zrc != Z_STREAM_END) {
        deflateEnd(&z);
        free(buf);
        snprintf(err, errlen, "deflate failed (%d)", zrc);
        return -1;
    }
    *outlen = z.total_out;
    *out = buf;
    deflateEnd(&z);
    return 0;
}

int lc_http_status_remote(long status)
{
    return status >= 500 || status == 408 || status == 429;
}

int lc_report_fetch_network_failed(void)
{
    return fetch_network_failed;
}

int lc_report_fetch_missing(void)
{
    return fetch_missing;
}

int lc_report_read_path(const char *path, char **data, size_t *len, char *err, size_t errlen)
{
    fetch_missing = 0;
    struct membuf b = {.max = LC_REPORT_MAX_BYTES};
    if (read_path(path, &b, err, errlen) != 0) {
        free(b.data);
        return -1;
    }
    if (!b.data && membuf_append(&b, "", 0) != 0) {
        snprintf(err, errlen, "%s: out of memory", path);
        return -1;
    }
    *data = b.data;
    *len = b.len;
    return 0;
}

int lc_report_fetch(const char *src, char **data, size_t *len, char *err, size_t errlen)
{
    fetch_network_failed = 0;
    fetch_missing = 0;
    struct membuf b = {.max = LC_REPORT_MAX_BYTES};
    /* A URL is named in errors without its credentials (text.h). */
    char shown[1024];
    lc_url_redact(src, shown, sizeof shown);
    int rc = lc_report_is_url(src) ? fetch_url(src, shown, &b, err, errlen)
                                   : read_path(src, &b, err, errlen);
    if (rc != 0) {
        free(b.data);
        return -1;
    }
    if (b.len >= 2 && (unsigned char)b.data[0] == 0x1f && (unsigned char)b.data[1] == 0x8b) {
        char *plain;
        size_t plen;
        char zerr[160];
        if (lc_report_gunzip((unsigned char *)b.data, b.len, LC_REPORT_MAX_BYTES, &plain, &plen,
                             zerr, sizeof zerr) != 0) {
            snprintf(err, errlen, "%s: %s", shown, zerr);
            free(b.data);
            return -1;
        }
        free(b.data);
        b.data = plain;
        b.len = plen;
    }
    if (!b.data && membuf_append(&b, "", 0) != 0) {
        snprintf(err, errlen, "%s: out of memory", shown);
        return -1;
    }
    *data = b.data;
    *len = b.len;
    return 0;
}

int lc_report_write_file(const char *path, const void *data, size_t len, char *err,
                         size_t errlen)
{
    lc_dest d;
    if (lc_dest_open(&d, path, err, errlen) != 0)
        return -1;
    lc_dest_write(&d, data, len);
    return lc_dest_commit(&d, 0, path, err, errlen);
}

FILE *lc_report_out_open(lc_report_out *o, const char *path, char *err, size_t errlen)
{
    o->buf = NULL;
    o->len = 0;
    o->f = open_memstream(&o->buf, &o->len);
    if (!o->f)
        snprintf(err, errlen, "%s: out of memory", path);
    return o->f;
}

int lc_report_out_commit(lc_report_out *o, int rc, const char *what, const char *path, char *err,
                         size_t errlen)
{
    if (fclose(o->f) != 0 || rc != 0) {
        snprintf(err, errlen, "%s: could not format the %s", path, what);
        free(o->buf);
        return -1;
    }
    rc = lc_report_write_file(path, o->buf, o->len, err, errlen);
    free(o->buf);
    return rc;
}

int lc_report_mkdirs(const char *dir, char *err, size_t errlen)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf) {
        snprintf(err, errlen, "%s: bad directory name", dir);
        return -1;
    }
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char c = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "%s: %s", buf, strerror(errno));
            return -1;
        }
        buf[i] = c;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory", dir);
        return -1;
    }
    return 0;
}
