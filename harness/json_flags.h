/* The flags every JSON the harness writes is dumped with. */
#ifndef LC_HARNESS_JSON_FLAGS_H
#define LC_HARNESS_JSON_FLAGS_H

#include <jansson.h>

/* Reals with 15 significant digits, not jansson's default 17 (its dump
 * uses "%.17g", so 68.459 is written 68.459000000000003).  15 is DBL_DIG
 * (C11 5.2.4.2.2): any decimal of at most 15 significant digits survives
 * text -> double -> text unchanged, so a figure the harness rounds to the
 * microsecond (68.459 ms) or the nanosecond (a run of 10^6 seconds in
 * ms with 6 decimals: 13 digits) is written as it was measured.  What the
 * two extra digits of 17 would keep is the binary rounding error of the
 * division that made the figure, below any clock's resolution.  Writing
 * again what was read is then stable: rounding to 15 digits twice is
 * rounding once. */
#define LC_JSON_REALS JSON_REAL_PRECISION(15)

#endif
