/* Showing outside text safely: escapes and secrets (see text.h). */
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t lc_utf8_decode(const unsigned char *s, size_t n, unsigned long *cp)
{
    /* RFC 3629 §4 (the UTF8-octets syntax): the second byte's range
     * depends on the first, which rules out overlong forms (C0, C1, E0 80,
     * F0 80), surrogates (ED A0..BF) and code points past U+10FFFF (F4 90,
     * F5..FF). */
    if (n == 0)
        return 0;
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xbf;
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    if (c >= 0xc2 && c <= 0xdf) {
        len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3;
        if (c == 0xe0)
            lo = 0xa0;
        else if (c == 0xed)
            hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4;
        if (c == 0xf0)
            lo = 0x90;
        else if (c == 0xf4)
            hi = 0x8f;
    } else {
        return 0;
    }
    if (n < len || s[1] < lo || s[1] > hi)
        return 0;
    unsigned long v = c & (0xffu >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if (i > 1 && (s[i] & 0xc0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3f);
    }
    *cp = v;
    return len;
}

int lc_text_unsafe_cp(unsigned long cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
           (cp >= 0x2066 && cp <= 0x2069);
}

/* ---- secrets ---- */

static char *secrets[LC_TEXT_MAX_SECRETS];
static size_t secret_len[LC_TEXT_MAX_SECRETS];
static size_t n_secrets;

void lc_text_secret(const char *s)
{
    if (!s || !*s || n_secrets == LC_TEXT_MAX_SECRETS)
        return;
    for (size_t i = 0; i < n_secrets; i++)
        if (strcmp(secrets[i], s) == 0)
            return;
    char *copy = strdup(s);
    if (copy) {
        secret_len[n_secrets] = strlen(copy);
        secrets[n_secrets++] = copy;
    }
}

void lc_text_secrets_clear(void)
{
    for (size_t i = 0; i < n_secrets; i++)
        free(secrets[i]);
    n_secrets = 0;
}

/* The length of the longest secret at s (n bytes left), or 0.  When the
 * text was cut, a secret's beginning that fills the rest counts too. */
static size_t secret_at(const char *s, size_t n, int cut)
{
    size_t best = 0;
    for (size_t i = 0; i < n_secrets; i++) {
        size_t len = secret_len[i];
        if (len <= n ? memcmp(s, secrets[i], len) == 0
                     : cut && memcmp(s, secrets[i], n) == 0) {
            size_t m = len <= n ? len : n;
            if (m > best)
                best = m;
        }
    }
    return best;
}

/* ---- the cleaner ---- */

/* Output either grows (the slots) or is bounded (a caller's buffer).  Once
 * a piece does not fit, nothing more is written: the text is cut between
 * two pieces, never inside an escape or a character. */
struct out {
    char *p;
    size_t len, cap, need;
    int grow, full;
};

static void put(struct out *o, const char *s, size_t n)
{
    o->need += n;
    if (o->full)
        return;
    if (o->len + n + 1 > o->cap) {
        size_t cap = o->cap ? o->cap : 64;
        while (cap < o->len + n + 1)
            cap *= 2;
        char *p = o->grow ? realloc(o->p, cap) : NULL;
        if (!p) {
            o->full = 1;
            return;
        }
        o->p = p;
        o->cap = cap;
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void clean_into(struct out *o, const char *s, size_t n, int cut)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        size_t m = secret_at(s + i, n - i, cut);
        if (m) {
            put(o, "***", 3);
            i += m;
            continue;
        }
        unsigned long cp;
        size_t k = lc_utf8_decode(u + i, n - i, &cp);
        char esc[16];
        if (k == 0) {
            snprintf(esc, sizeof esc, "\\x%02x", u[i]);
            put(o, esc, 4);
            i++;
        } else if (lc_text_unsafe_cp(cp)) {
            int w = cp < 0x80 ? snprintf(esc, sizeof esc, "\\x%02lx", cp)
                              : snprintf(esc, sizeof esc, "\\u%04lx", cp);
            put(o, esc, (size_t)w);
            i += k;
        } else {
            put(o, s + i, k);
            i += k;
        }
    }
}

size_t lc_text_clean(char *dst, size_t dstlen, const char *s, size_t n, int cut)
{
    struct out o = {dst, 0, dstlen, 0, 0, dstlen == 0};
    if (dstlen)
        dst[0] = '\0';
    clean_into(&o, s ? s : "", s ? n : 0, cut);
    return o.need;
}

static _Thread_local struct out slots[LC_TEXT_SLOTS];
static _Thread_local unsigned next_slot;

static struct out *take_slot(void)
{
    struct out *o = &slots[next_slot++ % LC_TEXT_SLOTS];
    o->len = o->need = 0;
    o->full = 0;
    o->grow = 1;
    if (o->p)
        o->p[0] = '\0';
    return o;
}

static const char *slot_text(const struct out *o)
{
    return o->p && !o->full ? o->p : "(out of memory)";
}

const char *lc_text_show(const char *s)
{
    struct out *o = take_slot();
    put(o, "", 0);
    if (s)
        clean_into(o, s, strlen(s), 0);
    return slot_text(o);
}

const char *lc_text_excerpt(const char *s, size_t n, size_t max)
{
    struct out *o = take_slot();
    put(o, "", 0);
    if (!s)
        n = 0;
    size_t take = n;
    if (take > max) {
        take = max;
        /* Back up to the start of a character (UTF-8 continuation bytes
         * are 10xxxxxx), so the cut does not show as invalid bytes. */
        while (take > 0 && ((unsigned char)s[take] & 0xc0) == 0x80)
            take--;
    }
    clean_into(o, s, take, take < n);
    if (take < n)
        put(o, "...", 3);
    return slot_text(o);
}

void lc_text_one_line(char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned long cp;
        size_t k = lc_utf8_decode((unsigned char *)s + i, n - i, &cp);
        if (k == 0)
            k = 1;
        else if (!lc_text_unsafe_cp(cp)) {
            i += k;
            continue;
        }
        memset(s + i, '?', k);
        i += k;
    }
}
