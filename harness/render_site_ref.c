/* A ref from the expectations or a result, as a link.  The forms in
 * cases/expectations.json:
 *   man:NAME(SECTION)[ note]  the Linux man-pages project's HTML at man7.org
 *                             (man-pages' own site: man2/epoll_ctl.2.html)
 *   cpython:PATH[::NAME...]   the file in CPython's 3.13 branch on GitHub (the
 *                             asyncio docs cited are 3.13's); the test or
 *                             function name stays in the link text
 *   linux:PATH[ (note)]       the file in Linus' tree at git.kernel.org
 *   http(s)://...             itself (asyncio docs at docs.python.org, POSIX
 *                             at pubs.opengroup.org are written as URLs)
 * A ref of any other form is no link: the site test fails on it. */
#include <string.h>

#include "render_site.h"

static int ident_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-' || c == '.' || c == '+' || c == '/';
}

/* The leading PATH of "PATH::NAME" or "PATH (note)", if it is one. */
static size_t path_len(const char *s)
{
    size_t n = 0;
    while (ident_char(s[n]))
        n++;
    for (size_t i = 0; i + 1 < n; i++)
        if (s[i] == '.' && s[i + 1] == '.')
            return 0;
    return n > 0 && s[n - 1] != '/' ? n : 0;
}

int lc_ref_url(const char *ref, char *buf, size_t len)
{
    if (strncmp(ref, "https://", 8) == 0 || strncmp(ref, "http://", 7) == 0) {
        if (strcspn(ref, " \t\"<>") != strlen(ref))
            return 0;
        return (size_t)snprintf(buf, len, "%s", ref) < len;
    }
    if (strncmp(ref, "man:", 4) == 0) {
        const char *name = ref + 4, *open = strchr(name, '('), *close;
        if (!open || open == name || !(close = strchr(open, ')')) || close == open + 1)
            return 0;
        for (const char *p = name; p < open; p++)
            if (!ident_char(*p) || *p == '/')
                return 0;
        for (const char *p = open + 1; p < close; p++)
            if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'z')))
                return 0;
        /* The directory is the section's digit: man3/ holds 3, 3p, 3type. */
        return (size_t)snprintf(buf, len, "https://man7.org/linux/man-pages/man%c/%.*s.%.*s.html",
                                open[1], (int)(open - name), name, (int)(close - open - 1),
                                open + 1) < len;
    }
    if (strncmp(ref, "cpython:", 8) == 0) {
        size_t n = path_len(ref + 8);
        return n && (size_t)snprintf(buf, len, "https://github.com/python/cpython/blob/3.13/%.*s",
                                     (int)n, ref + 8) < len;
    }
    if (strncmp(ref, "linux:", 6) == 0) {
        size_t n = path_len(ref + 6);
        return n && (size_t)snprintf(buf, len,
                                     "https://git.kernel.org/pub/scm/linux/kernel/git/torvalds/"
                                     "linux.git/tree/%.*s",
                                     (int)n, ref + 6) < len;
    }
    return 0;
}

void lc_html_ref(FILE *out, const char *ref)
{
    char url[1024];
    if (!lc_ref_url(ref, url, sizeof url)) {
        fputs("<span class=\"ref\">", out);
        lc_html_esc(out, ref);
        fputs("</span>", out);
        return;
    }
    fputs("<a class=\"ref\" href=\"", out);
    lc_html_esc(out, url);
    fputs("\">", out);
    lc_html_esc(out, ref);
    fputs("</a>", out);
}
