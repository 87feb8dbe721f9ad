/* The "log2x8" histogram of a distribution (histogram.h). */
#include "histogram.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define SUB 8 /* buckets per power of two */

/* The cell [*lo, *hi) of the grid holding v > 0.  frexp(3) gives
 * v = m * 2^e with 0.5 <= m < 1, so 16m is in [8, 16) and its integer part
 * picks one of the 8 sub-buckets of [2^(e-1), 2^e); scaling by powers of
 * two is exact, so the edges are too. */
static void cell(double v, double *lo, double *hi)
{
    int e;
    double m = frexp(v, &e);
    int k = (int)(m * 2 * SUB); /* 8 .. 15 */
    *lo = ldexp(k, e - 4);
    *hi = ldexp(k + 1, e - 4);
}

void lc_histogram_bucket(double v, double *lo, double *hi)
{
    if (v == 0) {
        *lo = *hi = 0;
        return;
    }
    if (v > 0) {
        cell(v, lo, hi);
        return;
    }
    /* -v on a cell's lower edge belongs, closed above, to the cell below:
     * the largest double under -v is in that cell. */
    double a, b, u = -v;
    cell(u, &a, &b);
    if (a == u && nextafter(u, 0) > 0)
        cell(nextafter(u, 0), &a, &b);
    *lo = -b;
    *hi = -a;
}

/* An edge as JSON: an integer when whole (shorter, and exact), else a real. */
static json_t *edge(double x)
{
    if (x == floor(x) && fabs(x) < 9007199254740992.0) /* 2^53 */
        return json_integer((json_int_t)x);
    return json_real(x);
}

json_t *lc_histogram_build(const double *sorted, size_t n)
{
    json_t *buckets = json_array();
    if (!buckets)
        return NULL;
    size_t i = 0;
    while (i < n) {
        double lo, hi;
        lc_histogram_bucket(sorted[i], &lo, &hi);
        /* Edges are k * 2^(e-4): exact down to 2^-1074, the smallest
         * subnormal, so from |v| = 2^-1070; the top one is 2^1024 = inf. */
        if (sorted[i] != 0 && (fabs(sorted[i]) < 0x1p-1070 || !isfinite(lo) || !isfinite(hi))) {
            json_decref(buckets);
            return NULL;
        }
        size_t j = i + 1;
        /* Sorted: a bucket's samples are consecutive.  The zero bucket
         * holds only 0, the others lo <= v < hi. */
        while (j < n && (lo == hi ? sorted[j] == 0 : sorted[j] < hi))
            j++;
        json_t *b = json_pack("[o, o, I]", edge(lo), edge(hi), (json_int_t)(j - i));
        if (!b || json_array_append_new(buckets, b) != 0) {
            json_decref(buckets);
            return NULL;
        }
        i = j;
    }
    return json_pack("{s:s, s:o}", "scheme", LC_HISTOGRAM_SCHEME, "buckets", buckets);
}

/* mingw-w64 with __USE_MINGW_ANSI_STDIO formats as C99 does (%zu): its
 * checks are gnu_printf's, not the CRT's (as LC__PRINTF_FMT in lc_case.h). */
#if defined(__MINGW32__)
#define HIST_PRINTF gnu_printf
#else
#define HIST_PRINTF printf
#endif
static int bad(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(HIST_PRINTF, 3, 4)));
static int bad(char *why, size_t whylen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, whylen, fmt, ap);
    va_end(ap);
    return -1;
}

/* Reals in a report have 15 significant digits (json_flags.h), so an
 * edge read back may differ from the grid's in its last bits. */
static int near(double x, double want)
{
    return fabs(x - want) <= 1e-12 * fabs(want);
}

static int in_bucket(double x, double lo, double hi)
{
    return (x >= lo || near(x, lo)) && (x <= hi || near(x, hi));
}

/* Whether [lo, hi) is one bucket of the scheme. */
static int on_grid(double lo, double hi)
{
    if (lo == 0 && hi == 0)
        return 1;
    if (!(lo < hi) || (lo < 0 && hi > 0))
        return 0;
    /* The midpoint is inside the cell whatever the rounding of the edges. */
    double a, b, mid = lo / 2 + hi / 2;
    lc_histogram_bucket(mid, &a, &b);
    return near(lo, a) && near(hi, b);
}

int lc_histogram_check(const json_t *h, json_int_t n, double min, double max, char *why,
                       size_t whylen)
{
    if (!json_is_object(h))
        return bad(why, whylen, "expected an object {\"scheme\", \"buckets\"}");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)h, key, v)
        if (strcmp(key, "scheme") != 0 && strcmp(key, "buckets") != 0)
            return bad(why, whylen, "%.60s: not allowed (only scheme and buckets)", key);
    const char *scheme = json_string_value(json_object_get(h, "scheme"));
    if (!scheme || strcmp(scheme, LC_HISTOGRAM_SCHEME) != 0)
        return bad(why, whylen, "scheme: expected \"%s\"", LC_HISTOGRAM_SCHEME);
    json_t *buckets = json_object_get(h, "buckets");
    if (!json_is_array(buckets) || json_array_size(buckets) == 0)
        return bad(why, whylen, "buckets: expected a non-empty array");
    double prev_lo = 0, prev_hi = 0, first_lo = 0, first_hi = 0;
    json_int_t sum = 0;
    size_t i;
    json_array_foreach(buckets, i, v) {
        json_t *c = json_array_get(v, 2);
        if (!json_is_array(v) || json_array_size(v) != 3 || !json_is_number(json_array_get(v, 0)) ||
            !json_is_number(json_array_get(v, 1)) || !json_is_integer(c))
            return bad(why, whylen, "buckets[%zu]: expected [lo, hi, count]", i);
        double lo = json_number_value(json_array_get(v, 0));
        double hi = json_number_value(json_array_get(v, 1));
        json_int_t count = json_integer_value(c);
        if (count < 1)
            return bad(why, whylen, "buckets[%zu]: count %lld (only non-empty buckets are listed)",
                       i, (long long)count);
        if (!on_grid(lo, hi))
            return bad(why, whylen, "buckets[%zu]: [%g, %g) is not a bucket of %s", i, lo, hi,
                       LC_HISTOGRAM_SCHEME);
        if (i > 0 && !(lo > prev_lo && lo >= prev_hi))
            return bad(why, whylen, "buckets[%zu]: [%g, %g) is not after buckets[%zu] [%g, %g)", i,
                       lo, hi, i - 1, prev_lo, prev_hi);
        if (count > n - sum)
            return bad(why, whylen, "buckets: counts sum to more than n = %lld", (long long)n);
        sum += count;
        if (i == 0) {
            first_lo = lo;
            first_hi = hi;
        }
        prev_lo = lo;
        prev_hi = hi;
    }
    if (sum != n)
        return bad(why, whylen, "buckets: counts sum to %lld, not n = %lld", (long long)sum,
                   (long long)n);
    /* The extremes were written rounded as the edges were: a sample just
     * under an edge may read back as the edge itself. */
    if (!in_bucket(min, first_lo, first_hi))
        return bad(why, whylen, "min %g is not in the first bucket [%g, %g)", min, first_lo,
                   first_hi);
    if (!in_bucket(max, prev_lo, prev_hi))
        return bad(why, whylen, "max %g is not in the last bucket [%g, %g)", max, prev_lo,
                   prev_hi);
    return 0;
}
