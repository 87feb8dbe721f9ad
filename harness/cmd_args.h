/* The option parsers of the subcommands, apart from what the commands do,
 * so that they can be tested (and fuzzed) without touching files or the
 * network.  Each returns -1 when the command should go on, or the exit
 * status to return at once: 0 after --help (usage printed on stdout), 2
 * after one line on stderr naming the problem.  None of them exits. */
#ifndef LC_HARNESS_CMD_ARGS_H
#define LC_HARNESS_CMD_ARGS_H

#include <stddef.h>
#include "term.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LC_ARGS_CONTINUE (-1)

typedef struct lc_diff_args {
    const char *paths[2];
    int as_json;
    double tolerance_pct;
} lc_diff_args;
int lc_diff_parse_args(int argc, char **argv, lc_diff_args *a);

/* inputs must have room for argc pointers. */
typedef struct lc_merge_args {
    const char *out;
    const char **inputs;
    size_t n;
} lc_merge_args;
int lc_merge_parse_args(int argc, char **argv, lc_merge_args *a);

typedef struct lc_render_args {
    const char *input, *html, *markdown;
    const char *expectations; /* --expectations: why each status is expected, on the site */
    int differences; /* --differences: the Markdown holds only what differs between platforms */
} lc_render_args;
int lc_render_parse_args(int argc, char **argv, lc_render_args *a);

/* *first: where the inputs start, argv[*first..argc) (getopt_long moves
 * the options before them). */
int lc_validate_parse_args(int argc, char **argv, int *first);

typedef struct lc_publish_args {
    const char *src, *url, *method, *token_env;
    long retries;
    double connect_timeout, timeout;
    int allow_http_token; /* send the token over http:// to a host not loopback */
    int gzip;             /* --gzip: the body gzipped, Content-Encoding: gzip */
    const char *latest;   /* --latest: NULL, "" (latest + the URL's extension) or a name */
    const char *content_type; /* --content-type, or NULL: from the file's name */
} lc_publish_args;
/* Fills in the defaults first. */
int lc_publish_parse_args(int argc, char **argv, lc_publish_args *a);
/* publish --help. */
extern const char lc_publish_usage[];

/* run.  globs is allocated (argc + 1 entries): free with lc_run_args_free,
 * whatever the parser returned. */
typedef struct lc_run_args {
    const char *backends, *output, *expectations, *variants;
    const char **globs;
    size_t nglobs;
    int jobs, quiet, stress, resume;
    lc_colour_mode colour; /* --color: auto (the default), always, never */
    double timeout_multiplier;
    const char *junit, *tap, *baseline;
    int tap_version; /* 13 or 14 */
    int baseline_missing_warn; /* --baseline-missing=warn: a missing baseline is a warning */
} lc_run_args;
int lc_run_parse_args(int argc, char **argv, lc_run_args *a);
void lc_run_args_free(lc_run_args *a);

/* list and info: --help, and --json where allow_json. */
int lc_simple_parse_args(int argc, char **argv, const char *cmd, const char *usage,
                         int allow_json, int *json_out, int *help_out);

#ifdef __cplusplus
}
#endif
#endif
