/* Writing the harness's documents (reports, matrices): JSON indented by
 * 2, reals at 15 digits (json_flags.h), and every array that holds only
 * numbers (a histogram's [lo, hi, count] buckets) on one line.  jansson
 * indents each number of such an array on a line of its own: a bucket then
 * takes five lines and about 110 bytes at its depth, against 30 on one. */
#ifndef LC_HARNESS_JSON_FLAT_H
#define LC_HARNESS_JSON_FLAT_H

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* json_dump_callback with those flags; 0, or -1 when cb failed. */
int lc_json_dump_flat(const json_t *j, json_dump_callback_t cb, void *data);
/* The same text as a string (free it), or NULL when out of memory. */
char *lc_json_dumps_flat(const json_t *j);

#ifdef __cplusplus
}
#endif
#endif
