/* loopcompat publish REPORT --url URL [--method PUT|POST] [--token-env NAME]
 *                   [--retries N] [--connect-timeout S] [--timeout S]
 *
 * Uploads a report (or matrix) gzipped, with Content-Encoding: gzip.  The
 * bytes sent are the file's own, so a server that stores the body keeps a
 * copy identical after gunzip.  libcurl never retries by itself
 * (curl/docs/cmdline-opts/retry.md describes the tool's policy): here
 * transient failures (network errors, timeouts, HTTP 408, 429 and 5xx) are
 * retried with exponential backoff, waiting as long as Retry-After asks. */
#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli_opt.h"
#include "commands.h"
#include "report_io.h"
#include "report_load.h"

static const char usage[] =
    "usage: loopcompat publish REPORT --url URL [--method PUT|POST] [--token-env NAME]\n"
    "                          [--retries N] [--connect-timeout S] [--timeout S]\n"
    "  --url URL            http or https URL to upload to\n"
    "  --method M           PUT (default) or POST\n"
    "  --token-env NAME     send the bearer token held in environment variable NAME\n"
    "  --retries N          retries on network errors, HTTP 408, 429, 5xx (default 3)\n"
    "  --connect-timeout S  seconds to connect (default 10)\n"
    "  --timeout S          seconds for each whole attempt (default 60)\n"
    "The body is the file gzipped (Content-Encoding: gzip, Content-Type:\n"
    "application/json).  Exit status: 0 stored, 2 bad input or gave up.\n";

/* Backoff: 1 s doubling to this cap; Retry-After is honoured up to
 * RETRY_AFTER_CAP_S (the curl tool's --retry-max-time scale). */
#define BACKOFF_CAP_S 60
#define RETRY_AFTER_CAP_S 600

struct publish_opts {
    const char *src, *url, *method, *token_env;
    long retries;
    double connect_timeout, timeout;
};

struct reply {
    char text[512];
    size_t len;
};

static size_t on_reply(char *p, size_t size, size_t nmemb, void *ud)
{
    struct reply *r = ud;
    size_t n = size * nmemb, room = sizeof r->text - 1 - r->len;
    memcpy(r->text + r->len, p, n < room ? n : room);
    r->len += n < room ? n : room;
    r->text[r->len] = '\0';
    return n;
}

/* The first line of the server's answer, for error messages. */
static void first_line(const struct reply *r, char *buf, size_t len)
{
    size_t n = strcspn(r->text, "\r\n");
    if (n > 160)
        n = 160;
    snprintf(buf, len, "%s%.*s", n ? ": " : "", (int)n, r->text);
}

static int retryable_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static int retryable_status(long status)
{
    return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

static void sleep_s(long s)
{
    struct timespec ts = {s, 0};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static int parse_args(int argc, char **argv, struct publish_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *v;
        int m;
        if ((m = lc_opt_value("publish", argc, argv, &i, "--url", &v)) != 0) {
            if (m < 0)
                return 2;
            o->url = v;
        } else if ((m = lc_opt_value("publish", argc, argv, &i, "--method", &v)) != 0) {
            if (m < 0)
                return 2;
            if (strcmp(v, "PUT") != 0 && strcmp(v, "POST") != 0) {
                lc_cmd_error("publish", "--method: expected PUT or POST, got \"%s\"", v);
                return 2;
            }
            o->method = v;
        } else if ((m = lc_opt_value("publish", argc, argv, &i, "--token-env", &v)) != 0) {
            if (m < 0)
                return 2;
            o->token_env = v;
        } else if ((m = lc_opt_value("publish", argc, argv, &i, "--retries", &v)) != 0) {
            if (m < 0 || lc_opt_long("publish", "--retries", v, 0, 20, &o->retries) != 0)
                return 2;
        } else if ((m = lc_opt_value("publish", argc, argv, &i, "--connect-timeout", &v)) != 0) {
            if (m < 0 ||
                lc_opt_double("publish", "--connect-timeout", v, 0.001, 3600, &o->connect_timeout))
                return 2;
        } else if ((m = lc_opt_value("publish", argc, argv, &i, "--timeout", &v)) != 0) {
            if (m < 0 || lc_opt_double("publish", "--timeout", v, 0.001, 86400, &o->timeout))
                return 2;
        } else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            lc_cmd_error("publish", "unknown option %s (see loopcompat publish --help)", argv[i]);
            return 2;
        } else if (!o->src) {
            o->src = argv[i];
        } else {
            lc_cmd_error("publish", "one REPORT at a time; unexpected %s", argv[i]);
            return 2;
        }
    }
    if (!o->src || !o->url) {
        lc_cmd_error("publish", "expected REPORT and --url URL (see loopcompat publish --help)");
        return 2;
    }
    if (strncmp(o->url, "http://", 7) != 0 && strncmp(o->url, "https://", 8) != 0) {
        lc_cmd_error("publish", "--url: expected an http:// or https:// URL");
        return 2;
    }
    return -1;
}

/* One attempt.  Returns the HTTP status (0 if none) and the curl code. */
static CURLcode attempt(CURL *h, const struct publish_opts *o, const unsigned char *body,
                        size_t len, const char *token, long *status, long *retry_after,
                        struct reply *reply, char *cerr)
{
    struct curl_slist *hdr = NULL;
    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    hdr = curl_slist_append(hdr, "Content-Encoding: gzip");
    /* No "Expect: 100-continue" round trip: the body is small. */
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, o->url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->connect_timeout * 1000));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(o->timeout * 1000));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    if (strcmp(o->method, "PUT") == 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
    curl_easy_setopt(h, CURLOPT_USERAGENT, "loopcompat");
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_reply);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, reply);
    if (token) {
        /* libcurl sends "Authorization: Bearer <token>" (CURLOPT_XOAUTH2_BEARER). */
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
        curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, token);
    }
    cerr[0] = '\0';
    reply->len = 0;
    reply->text[0] = '\0';
    CURLcode rc = curl_easy_perform(h);
    *status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    curl_off_t ra = 0;
    /* Negative or absent Retry-After: 0 (CURLINFO_RETRY_AFTER, 7.66). */
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) != CURLE_OK || ra < 0)
        ra = 0;
    *retry_after = ra > RETRY_AFTER_CAP_S ? RETRY_AFTER_CAP_S : (long)ra;
    curl_slist_free_all(hdr);
    return rc;
}

static int upload(const struct publish_opts *o, const unsigned char *body, size_t len,
                  size_t plain_len, const char *token)
{
    if (lc_report_curl_init() != 0) {
        lc_cmd_error("publish", "curl_global_init failed");
        return 2;
    }
    CURL *h = curl_easy_init();
    if (!h) {
        lc_cmd_error("publish", "curl_easy_init failed");
        return 2;
    }
    char cerr[CURL_ERROR_SIZE], why[400], tail[200];
    struct reply reply;
    long backoff = 1;
    int rc = 2;
    for (long n = 0;; n++) {
        long status, retry_after;
        CURLcode c = attempt(h, o, body, len, token, &status, &retry_after, &reply, cerr);
        int again;
        if (c == CURLE_OK && status >= 200 && status <= 299) {
            printf("published %s to %s: HTTP %ld (%zu bytes, %zu gzipped)\n", o->src, o->url,
                   status, plain_len, len);
            rc = 0;
            break;
        }
        if (c != CURLE_OK) {
            snprintf(why, sizeof why, "%s", cerr[0] ? cerr : curl_easy_strerror(c));
            again = retryable_curl(c);
        } else {
            first_line(&reply, tail, sizeof tail);
            snprintf(why, sizeof why, "HTTP %ld%s", status, tail);
            again = retryable_status(status);
        }
        if (!again || n >= o->retries) {
            lc_cmd_error("publish", "%s: %s; gave up after %ld attempt%s", o->url, why, n + 1,
                         n ? "s" : "");
            break;
        }
        long wait = retry_after > backoff ? retry_after : backoff;
        fprintf(stderr, "loopcompat publish: attempt %ld of %ld: %s; retrying in %ld s\n", n + 1,
                o->retries + 1, why, wait);
        sleep_s(wait);
        backoff = backoff * 2 > BACKOFF_CAP_S ? BACKOFF_CAP_S : backoff * 2;
    }
    curl_easy_cleanup(h);
    return rc;
}

int lc_cmd_publish(int argc, char **argv)
{
    struct publish_opts o = {NULL, NULL, "PUT", NULL, 3, 10, 60};
    int prc = parse_args(argc, argv, &o);
    if (prc >= 0)
        return prc;
    const char *token = NULL;
    if (o.token_env) {
        token = getenv(o.token_env);
        if (!token || !token[0]) {
            lc_cmd_error("publish", "--token-env: environment variable %s is not set or empty",
                         o.token_env);
            return 2;
        }
    }
    char err[768];
    char *data;
    size_t len;
    if (lc_report_fetch(o.src, &data, &len, err, sizeof err) != 0) {
        lc_cmd_error("publish", "%s", err);
        return 2;
    }
    /* Only a valid document is published. */
    json_t *doc = lc_doc_parse(o.src, data, len, LC_DOC_ANY, NULL, err, sizeof err);
    if (!doc) {
        free(data);
        lc_cmd_error("publish", "%s", err);
        return 2;
    }
    json_decref(doc);
    unsigned char *gz;
    size_t gzlen;
    if (lc_report_gzip(data, len, &gz, &gzlen, err, sizeof err) != 0) {
        free(data);
        lc_cmd_error("publish", "%s: %s", o.src, err);
        return 2;
    }
    int rc = upload(&o, gz, gzlen, len, token);
    free(gz);
    free(data);
    return rc;
}
