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
#include "cmd_args.h"
#include "commands.h"
#include "publish_http.h"
#include "report_io.h"
#include "report_load.h"
#include "text.h"

static const char usage[] =
    "usage: loopcompat publish REPORT --url URL [--method PUT|POST] [--token-env NAME]\n"
    "                          [--allow-http-token] [--retries N] [--connect-timeout S]\n"
    "                          [--timeout S]\n"
    "  --url URL            http or https URL to upload to\n"
    "  --method M           PUT (default) or POST\n"
    "  --token-env NAME     send the bearer token held in environment variable NAME\n"
    "  --allow-http-token   send it even in plain text (http://) to a host that is\n"
    "                       not loopback (refused otherwise)\n"
    "  --retries N          retries on network errors, HTTP 408, 429, 5xx (default 3)\n"
    "  --connect-timeout S  seconds to connect (default 10)\n"
    "  --timeout S          seconds for each whole attempt (default 60)\n"
    "The body is the file gzipped (Content-Encoding: gzip, Content-Type:\n"
    "application/json).  Exit status: 0 stored, 2 bad input or gave up.\n";

static size_t on_reply(char *p, size_t size, size_t nmemb, void *ud)
{
    lc_publish_outcome *r = ud;
    size_t n = size * nmemb, room = sizeof r->reply - 1 - r->reply_len;
    memcpy(r->reply + r->reply_len, p, n < room ? n : room);
    r->reply_len += n < room ? n : room;
    r->reply[r->reply_len] = '\0';
    return n;
}

/* The status line's reason phrase ("HTTP/1.1 401 Unauthorized"): the last
 * one wins, after a 100 Continue or a proxy's CONNECT answer.  HTTP/2 has
 * none (RFC 9113 §8.3.2). */
static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    lc_publish_outcome *r = ud;
    size_t n = size * nmemb;
    if (n > 5 && memcmp(p, "HTTP/", 5) == 0) {
        const char *sp = memchr(p, ' ', n);
        const char *sp2 = sp ? memchr(sp + 1, ' ', n - (size_t)(sp + 1 - p)) : NULL;
        size_t len = sp2 ? n - (size_t)(sp2 + 1 - p) : 0;
        while (len && (sp2[len] == '\n' || sp2[len] == '\r'))
            len--;
        if (len >= sizeof r->reason)
            len = sizeof r->reason - 1;
        if (len)
            memcpy(r->reason, sp2 + 1, len);
        r->reason[len] = '\0';
    }
    return n;
}

/* What an error message shows of the server's answer: the reason phrase
 * and the start of the body's first line, cleaned and without the token
 * (registered as a secret), never the body as it came. */
static void answer_text(const lc_publish_outcome *r, char *buf, size_t len)
{
    /* Up to LF only: a lone CR (which would overwrite the line on a
     * terminal) is shown escaped. */
    size_t n = strcspn(r->reply, "\n");
    if (n && r->reply[n - 1] == '\r' && r->reply[n] == '\n')
        n--;
    const char *reason = lc_text_excerpt(r->reason, strlen(r->reason), 60);
    const char *body = lc_text_excerpt(r->reply, n, LC_PUBLISH_EXCERPT);
    snprintf(buf, len, "%s%s%s%s", reason[0] ? " " : "", reason, body[0] ? ": " : "", body);
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

int lc_publish_parse_args(int argc, char **argv, lc_publish_args *o)
{
    *o = (lc_publish_args){NULL, NULL, "PUT", NULL, 3, 10, 60, 0};
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
        } else if (strcmp(argv[i], "--allow-http-token") == 0) {
            o->allow_http_token = 1;
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
    return LC_ARGS_CONTINUE;
}

void lc_publish_attempt(CURL *h, const lc_publish_args *o, const unsigned char *body,
                        size_t len, const char *token, lc_publish_outcome *out)
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
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, out->cerr);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_reply);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, out);
    if (token) {
        /* libcurl sends "Authorization: Bearer <token>" (CURLOPT_XOAUTH2_BEARER). */
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
        curl_easy_setopt(h, CURLOPT_XOAUTH2_BEARER, token);
    }
    out->cerr[0] = '\0';
    out->reason[0] = '\0';
    out->reply_len = 0;
    out->reply[0] = '\0';
    out->curl = curl_easy_perform(h);
    out->status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &out->status);
    curl_off_t ra = 0;
    /* Negative or absent Retry-After: 0 (CURLINFO_RETRY_AFTER, 7.66). */
    if (curl_easy_getinfo(h, CURLINFO_RETRY_AFTER, &ra) != CURLE_OK || ra < 0)
        ra = 0;
    out->retry_after = ra > LC_PUBLISH_RETRY_AFTER_CAP_S ? LC_PUBLISH_RETRY_AFTER_CAP_S : (long)ra;
    curl_slist_free_all(hdr);
}

int lc_publish_decide(const lc_publish_outcome *out, long n, long retries, long *backoff,
                      char *why, size_t whylen, long *wait)
{
    char tail[LC_PUBLISH_EXCERPT * 4 + 400];
    int again;
    *wait = 0;
    if (out->curl == CURLE_OK && out->status >= 200 && out->status <= 299)
        return LC_PUBLISH_STORED;
    if (out->curl != CURLE_OK) {
        snprintf(why, whylen, "%s",
                 lc_text_show(out->cerr[0] ? out->cerr : curl_easy_strerror(out->curl)));
        again = retryable_curl(out->curl);
    } else {
        answer_text(out, tail, sizeof tail);
        snprintf(why, whylen, "HTTP %ld%s", out->status, tail);
        again = retryable_status(out->status);
    }
    if (!again || n >= retries)
        return LC_PUBLISH_GIVE_UP;
    *wait = out->retry_after > *backoff ? out->retry_after : *backoff;
    *backoff = *backoff * 2 > LC_PUBLISH_BACKOFF_CAP_S ? LC_PUBLISH_BACKOFF_CAP_S : *backoff * 2;
    return LC_PUBLISH_RETRY;
}

static int upload(const lc_publish_args *o, const unsigned char *body, size_t len,
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
    char why[1024];
    lc_publish_outcome out;
    long backoff = 1;
    int rc = 2;
    for (long n = 0;; n++) {
        long wait;
        lc_publish_attempt(h, o, body, len, token, &out);
        int d = lc_publish_decide(&out, n, o->retries, &backoff, why, sizeof why, &wait);
        if (d == LC_PUBLISH_STORED) {
            printf("published %s to %s: HTTP %ld (%zu bytes, %zu gzipped)\n", lc_text_url(o->src),
                   lc_text_url(o->url), out.status, plain_len, len);
            rc = 0;
            break;
        }
        if (d == LC_PUBLISH_GIVE_UP) {
            lc_cmd_error("publish", "%s: %s; gave up after %ld attempt%s", lc_text_url(o->url),
                         why, n + 1, n ? "s" : "");
            /* No answer or the server's failure; a 401 or 403 refuses
             * what was sent: bad input. */
            rc = out.curl != CURLE_OK || lc_http_status_remote(out.status) ? LC_EXIT_NETWORK : 2;
            break;
        }
        fprintf(stderr, "loopcompat publish: attempt %ld of %ld: %s; retrying in %ld s\n", n + 1,
                o->retries + 1, why, wait);
        sleep_s(wait);
    }
    curl_easy_cleanup(h);
    return rc;
}

/* The token as a server may echo it: as sent; JSON-escaped, where "/" may
 * be "\\/" (RFC 8259 §7); percent-encoded, in either case of hex digit
 * (RFC 3986 §2.1).  A b64token's only characters that change are + / =. */
static void register_token(const char *t)
{
    size_t n = strlen(t);
    char *buf = malloc(3 * n + 1);
    lc_text_secret(t);
    if (!buf)
        return;
    for (int form = 0; form < 3; form++) {
        char *p = buf;
        for (const char *s = t; *s; s++) {
            if (form == 0 && *s == '/')
                p += sprintf(p, "\\/");
            else if (form > 0 && strchr("+/=", *s))
                p += sprintf(p, form == 1 ? "%%%02X" : "%%%02x", (unsigned char)*s);
            else
                *p++ = *s;
        }
        *p = '\0';
        lc_text_secret(buf);
    }
    free(buf);
}

/* Before any connection: the token must be a bearer token, and goes in
 * plain text only to loopback unless the user said otherwise. */
static int check_token(const lc_publish_args *o, const char *token)
{
    size_t at;
    const char *problem = lc_publish_token_problem(token, &at);
    if (problem) {
        lc_cmd_error("publish",
                     "--token-env: %s does not hold a bearer token (RFC 6750 section 2.1, "
                     "b64token): character %zu %s",
                     o->token_env, at, problem);
        return 2;
    }
    register_token(token);
    char host[256];
    if (strncmp(o->url, "http://", 7) != 0 || lc_publish_url_loopback(o->url, host, sizeof host))
        return 0;
    if (!o->allow_http_token) {
        lc_cmd_error("publish",
                     "--url: refusing to send the token in plain text (http://) to %s, which is "
                     "not loopback; use https://, or --allow-http-token",
                     host[0] ? host : "a host that does not parse");
        return 2;
    }
    fprintf(stderr, "loopcompat publish: warning: the token goes in plain text (http://) to %s\n",
            lc_text_show(host));
    return 0;
}

int lc_cmd_publish(int argc, char **argv)
{
    lc_publish_args o;
    int prc = lc_publish_parse_args(argc, argv, &o);
    if (prc != LC_ARGS_CONTINUE)
        return prc;
    const char *token = NULL;
    if (o.token_env) {
        token = getenv(o.token_env);
        if (!token || !token[0]) {
            lc_cmd_error("publish", "--token-env: environment variable %s is not set or empty",
                         o.token_env);
            return 2;
        }
        if (check_token(&o, token) != 0)
            return 2;
    }
    char err[768];
    char *data;
    size_t len;
    if (lc_report_fetch(o.src, &data, &len, err, sizeof err) != 0) {
        lc_cmd_error("publish", "%s", err);
        return 2;
    }
    /* Only a valid document is published. */
    char shown[1024]; /* a URL is named without its credentials */
    lc_url_redact(o.src, shown, sizeof shown);
    json_t *doc = lc_doc_parse(shown, data, len, LC_DOC_ANY, NULL, err, sizeof err);
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
        lc_cmd_error("publish", "%s: %s", shown, err);
        return 2;
    }
    int rc = upload(&o, gz, gzlen, len, token);
    free(gz);
    free(data);
    return rc;
}
