/* One HTTP request of `loopcompat publish` and what to make of its answer
 * (publish_http.h): libcurl never retries by itself
 * (curl/docs/cmdline-opts/retry.md describes the tool's policy); here
 * transient failures (network errors, timeouts, HTTP 408, 429 and 5xx) are
 * retried with exponential backoff, waiting as long as Retry-After asks. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "publish_http.h"
#include "text.h"

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

void lc_publish_attempt(CURL *h, const lc_publish_args *o, const char *method, const char *url,
                        const lc_publish_body *b, const char *token, lc_publish_outcome *out)
{
    struct curl_slist *hdr = NULL;
    char ctype[300];
    if (b) {
        snprintf(ctype, sizeof ctype, "Content-Type: %s", b->content_type);
        hdr = curl_slist_append(hdr, ctype);
        if (b->gzip)
            hdr = curl_slist_append(hdr, "Content-Encoding: gzip");
    }
    /* No "Expect: 100-continue" round trip: the bodies are small. */
    hdr = curl_slist_append(hdr, "Expect:");
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->connect_timeout * 1000));
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(o->timeout * 1000));
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
    if (b) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, b->data);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)b->len);
    }
    /* A body makes libcurl send POST; MKCOL has none (RFC 4918 §9.3). */
    if (strcmp(method, "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
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

