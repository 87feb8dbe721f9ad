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

#ifdef __cplusplus
}
#endif
#endif
