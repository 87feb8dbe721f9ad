/* The terminal view of a run: a progress line while it runs, then the
 * matrix (rows = cases, columns = backends) and a summary. */
#ifndef LC_HARNESS_TERM_H
#define LC_HARNESS_TERM_H

#include <stdio.h>

#include <jansson.h>

#include "runner.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Short matrix cell for a status: PASS FAIL UNSUP TIME CRASH SKIP ERR. */
const char *lc_term_cell(lc_status s);

/* --color=WHEN, as GNU ls and git spell it. */
typedef enum lc_colour_mode { LC_COLOUR_AUTO, LC_COLOUR_ALWAYS, LC_COLOUR_NEVER } lc_colour_mode;

/* Whether to colour output written to f:
 * always and never are obeyed; auto colours a TTY unless NO_COLOR is
 * non-empty (no-color.org) or TERM is "dumb" (a terminal without escape
 * sequences, terminfo(5)) or unset. */
int lc_term_use_colour(FILE *f, lc_colour_mode mode);

/* "[ 37/120] fds/high-fd select" on stderr, if stderr is a TTY. */
void lc_term_progress(const lc_plan *plan, size_t index, size_t n_started);
void lc_term_progress_clear(void);

/* The matrix; `backends` (the report's object) adds a line per backend
 * that is not available. */
void lc_term_matrix(FILE *out, const lc_plan *plan, const lc_result *results, json_t *backends,
                    int colour);
/* The unexpected results, one line each, with their messages. */
void lc_term_unexpected(FILE *out, const lc_plan *plan, const lc_result *results, int colour);
/* "120 results: 100 PASS, 12 UNSUPPORTED, 8 SKIP; 0 unexpected".  Returns
 * the number of unexpected results. */
size_t lc_term_summary(FILE *out, const lc_plan *plan, const lc_result *results);
/* Wall time of the run and the harness's overhead per case: the median of
 * (child lifetime - the case function's own time) over the results whose
 * record carried the case time. */
void lc_term_timing(FILE *out, const lc_plan *plan, const lc_result *results, int64_t wall_ms,
                    int jobs);

#ifdef __cplusplus
}
#endif
#endif
