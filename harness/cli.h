/* Shared helpers of the subcommands' option parsing. */
#ifndef LC_HARNESS_CLI_H
#define LC_HARNESS_CLI_H

#ifdef __cplusplus
extern "C" {
#endif

/* Print "loopcompat <cmd>: <problem> (usage: <usage>)" on stderr as one
 * line; returns 2, the bad-usage exit status. */
int lc_cli_usage_error(const char *cmd, const char *usage, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The problem getopt_long found at optind/optopt, as a message for
 * lc_cli_usage_error: "unknown option '--frob'", "option '-j' needs a value". */
void lc_cli_getopt_problem(int c, int optopt_val, char **argv, int optind_val, char *buf,
                           unsigned len);

/* For the report commands: that problem as "loopcompat CMD: unknown option
 * '--frob' (see loopcompat CMD --help)", one line on stderr; returns 2. */
int lc_cli_getopt_fail(const char *cmd, int c, char **argv);

#ifdef __cplusplus
}
#endif
#endif
