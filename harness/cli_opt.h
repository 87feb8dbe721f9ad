/* Option parsing shared by the report commands: "--name VALUE" and
 * "--name=VALUE", numbers with ranges, one-line errors on stderr naming
 * the command and the option. */
#ifndef LC_CLI_OPT_H
#define LC_CLI_OPT_H

/* 1 if argv[*i] is --name (taking the value from the next argument, and
 * advancing *i) or --name=VALUE; 0 if it is another argument; -1 if the
 * value is missing (error printed). */
int lc_opt_value(const char *cmd, int argc, char **argv, int *i, const char *name,
                 const char **val);

/* Parses a number in [min, max]; 0, or -1 with the error printed. */
int lc_opt_double(const char *cmd, const char *name, const char *s, double min, double max,
                  double *out);
int lc_opt_long(const char *cmd, const char *name, const char *s, long min, long max, long *out);

/* Prints "loopcompat CMD: MESSAGE" on stderr (one line). */
void lc_cmd_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
