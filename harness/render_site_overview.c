/* The site's summary figure, also checked in as the README's picture
 * (docs/lateness-cdf.svg, compared with a fresh render by the tests):
 * how late a 1 ms timer fires on epoll, one line per platform. */
#include <string.h>

#include "render_site.h"

#define OVERVIEW_CASE "timers/resolution"
#define OVERVIEW_MEASUREMENT "lateness_1ms"
#define OVERVIEW_BACKEND "epoll"

int lc_site_overview_svg(FILE *out, const lc_render *r)
{
    struct lc_svg_series s[16];
    char unit[64];
    size_t ns = 0;
    for (size_t row = 0; row < r->nrows && !ns; row++)
        if (strcmp(r->rows[row].case_id, OVERVIEW_CASE) == 0 && !r->rows[row].variant)
            ns = lc_site_dist_series(r, row, NULL, OVERVIEW_BACKEND, OVERVIEW_MEASUREMENT, s, 16,
                                     unit, sizeof unit);
    if (ns)
        lc_svg_cdf(out, OVERVIEW_CASE ": lateness of a 1 ms timer on " OVERVIEW_BACKEND
                        ", per platform",
                   unit, s, ns);
    for (size_t i = 0; i < ns; i++)
        lc_svg_series_free(&s[i]);
    return ns ? 0 : -1;
}
