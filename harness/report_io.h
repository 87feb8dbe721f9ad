/* Reading report documents from files or URLs, and writing output files
 * atomically.  Shared by every command that reads or writes a report. */
#ifndef LC_REPORT_IO_H
#define LC_REPORT_IO_H

#include <stddef.h>
#include <stdio.h>

/* Largest document the tools accept, before and after gunzip.  A full run
 * on one platform is a few hundred KiB; this leaves room for big matrices
 * while refusing runaway downloads. */
#define LC_REPORT_MAX_BYTES ((size_t)64 << 20)

/* Transfer limits for reading reports over the network. */
#define LC_FETCH_CONNECT_TIMEOUT_S 10L
#define LC_FETCH_TIMEOUT_S 120L

/* Does src name a URL the tools fetch with libcurl (http, https, file)? */
int lc_report_is_url(const char *src);

/* Reads src (a path, or an http/https/file URL) into a malloc'd buffer,
 * NUL-terminated, gunzipping it if it is gzip data.  Returns 0, or -1 with
 * a one-line message in err. */
int lc_report_fetch(const char *src, char **data, size_t *len, char *err, size_t errlen);

/* Whether the last lc_report_fetch failed in libcurl's transfer (no
 * connection, DNS, TLS, timeout, lc_http_status_remote): the remote end,
 * not the input, was the problem.  A 404 (a wrong URL) is not. */
int lc_report_fetch_network_failed(void);
/* Whether the last lc_report_fetch or lc_report_read_path failed because
 * its source does not exist: a path (ENOENT) or an http(s) URL answering
 * 404 Not Found or 410 Gone. */
int lc_report_fetch_missing(void);

/* Reads a regular file (lc_dest_open_input) as it is, no gunzip, up to
 * LC_REPORT_MAX_BYTES, into a malloc'd NUL-terminated buffer.  0, or -1
 * with a one-line message in err. */
int lc_report_read_path(const char *path, char **data, size_t *len, char *err, size_t errlen);

/* Whether an HTTP status is the server's failure, worth a retry: 5xx
 * (RFC 9110 §15.6), 408 Request Timeout and 429 Too Many Requests
 * (RFC 6585 §4); other 4xx refuse what the client sent (§15.5). */
int lc_http_status_remote(long status);

/* Gunzips in into a malloc'd buffer no larger than max.  0 or -1. */
int lc_report_gunzip(const unsigned char *in, size_t inlen, size_t max, char **out,
                     size_t *outlen, char *err, size_t errlen);
/* Gzips in into a malloc'd buffer.  0 or -1. */
int lc_report_gzip(const void *in, size_t inlen, unsigned char **out, size_t *outlen,
                   char *err, size_t errlen);

/* Writes len bytes to path through a temporary file in the same directory
 * and rename(2), so readers never see a half-written file.  0 or -1. */
int lc_report_write_file(const char *path, const void *data, size_t len, char *err,
                         size_t errlen);

/* Output formatted in memory, then written with lc_report_write_file:
 * lc_report_out_open gives the stream to format into (NULL, with err set,
 * if it cannot); lc_report_out_commit closes it and, if the formatter
 * returned rc 0, writes what it holds to path.  what names the output in
 * the message when formatting failed.  0 or -1. */
typedef struct lc_report_out {
    char *buf;
    size_t len;
    FILE *f;
} lc_report_out;
FILE *lc_report_out_open(lc_report_out *o, const char *path, char *err, size_t errlen);
int lc_report_out_commit(lc_report_out *o, int rc, const char *what, const char *path, char *err,
                         size_t errlen);

/* mkdir -p. 0 or -1. */
int lc_report_mkdirs(const char *dir, char *err, size_t errlen);

/* Calls curl_global_init once per process. 0 or -1. */
int lc_report_curl_init(void);

#endif
