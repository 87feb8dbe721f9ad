/* How `loopcompat publish` reads the server's answer to one upload attempt,
 * apart from the sending and the sleeping, so that it can be tested (and
 * fuzzed) against any response a server may give. */
#ifndef LC_HARNESS_PUBLISH_HTTP_H
#define LC_HARNESS_PUBLISH_HTTP_H

#include <curl/curl.h>
#include <stddef.h>

#include "cmd_args.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Retry-After is honoured up to this many seconds (the curl tool's
 * --retry-max-time scale); the exponential backoff stops doubling at the
 * other cap. */
#define LC_PUBLISH_RETRY_AFTER_CAP_S 600
#define LC_PUBLISH_BACKOFF_CAP_S 60

typedef struct lc_publish_outcome {
    CURLcode curl;       /* CURLE_OK when an HTTP answer came */
    long status;         /* HTTP status, 0 if none */
    long retry_after;    /* seconds the server asked for, capped; 0 if none */
    char reason[128];    /* the status line's reason phrase, as sent */
    char reply[512];     /* the first bytes of the body, NUL-terminated */
    size_t reply_len;
    char cerr[CURL_ERROR_SIZE];
} lc_publish_outcome;

/* A request body: its bytes as sent, its media type, and whether they are
 * gzip (sent with Content-Encoding: gzip, RFC 9110 §8.4). */
typedef struct lc_publish_body {
    const unsigned char *data;
    size_t len;
    const char *content_type;
    int gzip;
} lc_publish_body;

/* One request on handle h: method (PUT, POST or MKCOL) to url, with body b
 * (NULL: none), the timeouts of o, and the bearer token if not NULL. */
void lc_publish_attempt(CURL *h, const lc_publish_args *o, const char *method, const char *url,
                        const lc_publish_body *b, const char *token, lc_publish_outcome *out);

enum { LC_PUBLISH_STORED = 0, LC_PUBLISH_RETRY = 1, LC_PUBLISH_GIVE_UP = 2 };

/* What to do after attempt n (0-based) of at most retries + 1: why gets a
 * one-line reason (for RETRY and GIVE_UP), *wait the seconds to wait before
 * the next attempt, *backoff (start at 1) its next value. */
int lc_publish_decide(const lc_publish_outcome *out, long n, long retries, long *backoff,
                      char *why, size_t whylen, long *wait);

/* What of a server's answer an error message shows: the reason phrase
 * and at most this many bytes of the body's first line, cleaned and with
 * the token redacted (text.h). */
#define LC_PUBLISH_EXCERPT 120

/* Whether token is a bearer token as RFC 6750 §2.1 writes it (b64token):
 * NULL if so, or what is wrong with it (never the token itself), with the
 * 1-based position of the first bad character in *at. */
const char *lc_publish_token_problem(const char *token, size_t *at);

/* Whether url names the loopback host (localhost, 127.0.0.0/8, [::1]),
 * as libcurl parses it; host gets the host name for messages ("" if the
 * URL does not parse). */
int lc_publish_url_loopback(const char *url, char *host, size_t hostlen);

#ifdef __cplusplus
}
#endif
#endif
