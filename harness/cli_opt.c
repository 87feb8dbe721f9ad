/* Option parsing shared by the report commands. */
#include "cli_opt.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"

void lc_cmd_error(const char *cmd, const char *fmt, ...)
{
    /* Errors quote file names, URLs, servers' answers and documents' text:
     * the whole line is shown through the cleaner, so it stays one line,
     * with no terminal escapes and no secret in it. */
    char small[1024], *msg = small;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n >= (int)sizeof small && (msg = malloc((size_t)n + 1)) != NULL) {
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    fprintf(stderr, "loopcompat %s: %s\n", cmd, lc_text_show(msg ? msg : small));
    if (msg != small)
        free(msg);
}

int lc_opt_value(const char *cmd, int argc, char **argv, int *i, const char *name,
                 const char **val)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, name, n) != 0)
        return 0;
    if (a[n] == '=') {
        *val = a + n + 1;
        return 1;
    }
    if (a[n] != '\0')
        return 0;
    if (*i + 1 >= argc) {
        lc_cmd_error(cmd, "%s needs a value", name);
        return -1;
    }
    *val = argv[++*i];
    return 1;
}

int lc_opt_double(const char *cmd, const char *name, const char *s, double min, double max,
                  double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !isfinite(v) || v < min || v > max) {
        lc_cmd_error(cmd, "%s: expected a number from %g to %g, got \"%s\"", name, min, max, s);
        return -1;
    }
    *out = v;
    return 0;
}

int lc_opt_long(const char *cmd, const char *name, const char *s, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        lc_cmd_error(cmd, "%s: expected an integer from %ld to %ld, got \"%s\"", name, min, max,
                     s);
        return -1;
    }
    *out = v;
    return 0;
}
