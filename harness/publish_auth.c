/* What publish lets go with its token: a well-formed bearer token only, and
 * in plain text only to the loopback host (see docs/reports.md). */
#include <ctype.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "publish_http.h"

const char *lc_publish_token_problem(const char *token, size_t *at)
{
    /* RFC 6750 §2.1:
     *   b64token    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
     *   credentials = "Bearer" 1*SP b64token
     * Anything else is not a bearer token; a CR or LF in particular would
     * end the Authorization header and start one of the sender's choosing
     * (RFC 9112 §2.2: a field line ends at CRLF). */
    size_t i = 0;
    *at = 0;
    for (; token[i] && token[i] != '='; i++) {
        unsigned char c = (unsigned char)token[i];
        *at = i + 1;
        if (c < 0x20 || c == 0x7f)
            return "is a control character (CR or LF would start a header of its own)";
        if (c == ' ')
            return "is a space";
        if (c >= 0x80)
            return "is not ASCII";
        if (!isalnum(c) && !strchr("-._~+/", c))
            return "is not one of the letters, digits, - . _ ~ + / of a bearer token";
    }
    if (i == 0) {
        *at = 1;
        return token[0] ? "is '=', which may only end the token" : "is missing";
    }
    for (; token[i]; i++)
        if (token[i] != '=') {
            *at = i + 1;
            return "follows an '=', which may only end the token";
        }
    *at = 0;
    return NULL;
}

/* An IPv4 address in dotted-quad form whose first octet is 127 (RFC 1122
 * §3.2.1.3: 127.0.0.0/8 is the loopback network).  Other spellings of an
 * address ("127.1", octal, hexadecimal) are not taken for loopback: at
 * worst the token is refused, never sent by mistake. */
static int ipv4_loopback(const char *h)
{
    int oct[4], n = 0;
    if (sscanf(h, "%3d.%3d.%3d.%3d%n", &oct[0], &oct[1], &oct[2], &oct[3], &n) != 4 || h[n])
        return 0;
    for (int i = 0; i < 4; i++)
        if (oct[i] < 0 || oct[i] > 255)
            return 0;
    for (const char *p = h; *p; p++)
        if (!isdigit((unsigned char)*p) && *p != '.')
            return 0;
    return oct[0] == 127;
}

int lc_publish_url_loopback(const char *url, char *host, size_t hostlen)
{
    /* The host as libcurl itself will read it (CURLU, the parser
     * curl_easy_perform uses), not as a second parser might. */
    int loop = 0;
    char *h = NULL;
    CURLU *u = curl_url();
    if (host && hostlen)
        host[0] = '\0';
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK && h) {
        /* RFC 6761 §6.3: "localhost" is the loopback host; libcurl resolves
         * it so without asking DNS (curl 7.78, lib/hostip.c). */
        loop = strcasecmp(h, "localhost") == 0 || strcmp(h, "[::1]") == 0 || ipv4_loopback(h);
        if (host)
            snprintf(host, hostlen, "%s", h);
    }
    curl_free(h);
    curl_url_cleanup(u);
    return loop;
}
