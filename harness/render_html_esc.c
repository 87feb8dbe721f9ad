/* Text into HTML: the five characters HTML gives meaning to become
 * entities, and control characters (C0 but tab and newline, DEL, and the
 * C1 range U+0080..U+009F) become U+FFFD.  A report's messages come from
 * the cases' children and from other machines (tests/untrusted_text.sh):
 * a terminal escape or a NUL must not reach the page as itself. */
#include "render_site.h"

void lc_html_esc(FILE *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    for (; p && *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        case '\t':
        case '\n': fputc(*p, out); break;
        default:
            if (*p < 0x20 || *p == 0x7f) {
                fputs("&#xFFFD;", out);
            } else if (*p == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f) {
                fputs("&#xFFFD;", out); /* C1 control, UTF-8 encoded */
                p++;
            } else {
                fputc(*p, out);
            }
        }
    }
}
