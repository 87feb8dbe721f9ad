/* The fixed-bucket histogram a report keeps beside a distribution's
 * percentiles, so that its shape can be drawn (a timer-lateness CDF)
 * without the samples.
 *
 * Scheme "log2x8", log-linear as HdrHistogram's buckets are (its
 * sub-buckets split each power-of-two range linearly): every range
 * [2^e, 2^(e+1)) is cut into 8 equal buckets of width 2^(e-3), so a bucket
 * is at most 12.5 % of its lower edge wide, whatever the unit and
 * magnitude.  A bucket [lo, hi) holds the samples lo <= v < hi:
 *   - v > 0: the cell of that grid containing v;
 *   - v < 0: the mirror image of a cell, shifted so that it still holds
 *     lo <= v < hi: [-b, -a) where (a, b] is the cell of the grid (closed
 *     above) containing -v; -1 is in [-1, -0.9375);
 *   - v == 0 (and -0): the zero bucket [0, 0], the one bucket whose lo
 *     equals its hi, holding exactly 0.
 * Only non-empty buckets are listed, in ascending order; edges are exact
 * binary fractions, written as integers where they are whole. */
#ifndef LC_HARNESS_HISTOGRAM_H
#define LC_HARNESS_HISTOGRAM_H

#include <jansson.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LC_HISTOGRAM_SCHEME "log2x8"

/* The bucket [*lo, *hi) holding the finite v. */
void lc_histogram_bucket(double v, double *lo, double *hi);

/* {"scheme": "log2x8", "buckets": [[lo, hi, count], ...]} of n >= 1
 * finite samples sorted ascending.  NULL when out of memory, or when a
 * bucket's edges are not doubles: a sample of magnitude 1.875 * 2^1023 or
 * more (an edge of 2^1024) or non-zero below 2^-1070 (edges finer than the
 * smallest subnormal).  The field is optional, and then left out. */
json_t *lc_histogram_build(const double *sorted, size_t n);

/* Whether h is the histogram of a distribution of n samples from min to
 * max: the scheme, each bucket one cell of it with a count >= 1, buckets
 * ascending and disjoint, counts summing to n, min in the first bucket and
 * max in the last.  0, or -1 with the problem (one line) in why. */
int lc_histogram_check(const json_t *h, json_int_t n, double min, double max, char *why,
                       size_t whylen);

#ifdef __cplusplus
}
#endif
#endif
