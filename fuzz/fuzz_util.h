/* Helpers shared by the fuzz targets. */
#ifndef LC_FUZZ_UTIL_H
#define LC_FUZZ_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A property of the tools, not of one parser: every error is one line. */
static inline void lc_fuzz_one_line(const char *what, const char *err)
{
    if (strchr(err, '\n')) {
        fprintf(stderr, "%s: error message spans lines: %s\n", what, err);
        abort();
    }
}

/* A FILE that swallows what the renderers and diff write. */
static inline FILE *lc_fuzz_sink(void)
{
    static FILE *f;
    if (!f)
        f = fopen("/dev/null", "w");
    return f;
}

#endif
