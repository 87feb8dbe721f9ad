/* URLs shown without their credentials (see text.h). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

/* The length of "scheme://" at the start of s, or 0.  RFC 3986 §3.1:
 * scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). */
static size_t scheme_len(const char *s)
{
    if (!isalpha((unsigned char)s[0]))
        return 0;
    size_t i = 1;
    while (isalnum((unsigned char)s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.')
        i++;
    return strncmp(s + i, "://", 3) == 0 ? i + 3 : 0;
}

/* Parameter names that carry credentials by convention: access_token,
 * api_key, client_secret, password, passwd, pwd, sig and signature (a
 * presigned URL's, e.g. X-Amz-Signature or Azure's sig), auth,
 * credential. */
static int sensitive_name(const char *name, size_t n)
{
    static const char *const words[] = {"token", "key", "secret", "pass", "pwd",
                                        "sig",   "auth", "cred",  NULL};
    for (int w = 0; words[w]; w++) {
        size_t wl = strlen(words[w]);
        for (size_t i = 0; i + wl <= n; i++) {
            size_t j = 0;
            while (j < wl && tolower((unsigned char)name[i + j]) == words[w][j])
                j++;
            if (j == wl)
                return 1;
        }
    }
    return 0;
}

enum part { PLAIN, USERINFO, VALUE };
typedef void (*part_fn)(void *ud, const char *s, size_t n, enum part kind);

/* Splits url (RFC 3986 §3: scheme "://" authority path [ "?" query ]
 * [ "#" fragment ]) into pieces, the credentials apart. */
static void url_parts(const char *url, part_fn fn, void *ud)
{
    size_t sl = scheme_len(url);
    if (!sl) {
        fn(ud, url, strlen(url), PLAIN);
        return;
    }
    fn(ud, url, sl, PLAIN);
    const char *a = url + sl;
    size_t alen = strcspn(a, "/?#");
    /* userinfo ends at the authority's last '@' (§3.2.1: '@' cannot
     * appear in the host). */
    const char *at = NULL;
    for (size_t i = 0; i < alen; i++)
        if (a[i] == '@')
            at = a + i;
    if (at) {
        fn(ud, a, (size_t)(at - a), USERINFO);
        fn(ud, at, alen - (size_t)(at - a), PLAIN);
    } else {
        fn(ud, a, alen, PLAIN);
    }
    const char *p = a + alen;
    size_t n = strcspn(p, "?#");
    fn(ud, p, n, PLAIN);
    p += n;
    /* Query and fragment: name=value pairs split at '&' or ';' (the
     * fragment too: OAuth's implicit grant puts access_token there). */
    while (*p) {
        fn(ud, p, 1, PLAIN);
        p++;
        n = strcspn(p, "&;#");
        const char *eq = memchr(p, '=', n);
        if (eq && sensitive_name(p, (size_t)(eq - p))) {
            fn(ud, p, (size_t)(eq - p) + 1, PLAIN);
            fn(ud, eq + 1, n - (size_t)(eq + 1 - p), VALUE);
        } else {
            fn(ud, p, n, PLAIN);
        }
        p += n;
    }
}

struct dst {
    char *p;
    size_t cap, need;
};

static void redact_part(void *ud, const char *s, size_t n, enum part kind)
{
    struct dst *d = ud;
    if (kind != PLAIN && n > 0) {
        s = "***";
        n = 3;
    }
    if (d->need + n < d->cap)
        memcpy(d->p + d->need, s, n);
    else if (d->need < d->cap)
        memcpy(d->p + d->need, s, d->cap - 1 - d->need);
    d->need += n;
    if (d->cap)
        d->p[d->need < d->cap ? d->need : d->cap - 1] = '\0';
}

size_t lc_url_redact(const char *url, char *dst, size_t dstlen)
{
    struct dst d = {dst, dstlen, 0};
    if (dstlen)
        dst[0] = '\0';
    url_parts(url ? url : "", redact_part, &d);
    return d.need;
}

const char *lc_text_url(const char *s)
{
    size_t n = lc_url_redact(s, NULL, 0);
    char *tmp = malloc(n + 1);
    if (!tmp)
        return "(out of memory)";
    lc_url_redact(s, tmp, n + 1);
    const char *shown = lc_text_show(tmp);
    free(tmp);
    return shown;
}

static void add_secret(const char *s, size_t n)
{
    if (n < LC_URL_SECRET_MIN)
        return;
    char *copy = malloc(n + 1);
    if (!copy)
        return;
    memcpy(copy, s, n);
    copy[n] = '\0';
    lc_text_secret(copy);
    free(copy);
}

static void register_part(void *ud, const char *s, size_t n, enum part kind)
{
    (void)ud;
    if (kind == PLAIN)
        return;
    add_secret(s, n);
    const char *colon = kind == USERINFO ? memchr(s, ':', n) : NULL;
    if (colon) /* the password alone, as a server might echo it */
        add_secret(colon + 1, n - (size_t)(colon + 1 - s));
}

void lc_text_secrets_from_args(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *sep = argv[i] ? strstr(argv[i], "://") : NULL;
        if (!sep)
            continue;
        /* Back up over the scheme (the argument may be "--url=URL"). */
        const char *start = sep;
        while (start > argv[i] && (isalnum((unsigned char)start[-1]) || start[-1] == '+' ||
                                   start[-1] == '-' || start[-1] == '.'))
            start--;
        url_parts(start, register_part, NULL);
    }
}
