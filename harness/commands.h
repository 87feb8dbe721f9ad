/* Subcommands of the loopcompat tool.  Each takes the arguments after the
 * tool name (argv[0] is the subcommand) and returns the exit status: 0 fine,
 * 1 something unexpected, 2 bad usage or bad input, 3 a server not reached
 * or refusing (LC_EXIT_NETWORK).  main.c lists them. */
#ifndef LC_HARNESS_COMMANDS_H
#define LC_HARNESS_COMMANDS_H

/* A URL that could not be fetched or a publish given up: a CI job can
 * retry on 3 and not on 2 (its input is wrong whatever it retries). */
#define LC_EXIT_NETWORK 3

#ifdef __cplusplus
extern "C" {
#endif

int lc_cmd_run(int argc, char **argv);
int lc_cmd_list(int argc, char **argv);
int lc_cmd_info(int argc, char **argv);
int lc_cmd_diff(int argc, char **argv);
int lc_cmd_merge(int argc, char **argv);
int lc_cmd_render(int argc, char **argv);
int lc_cmd_publish(int argc, char **argv);
int lc_cmd_validate(int argc, char **argv);
#ifdef _WIN32
/* The hidden entry point of a re-executed case process on Windows
 * (runner_win.c): `loopcompat --run-one CASE BACKEND VARIANT TMPDIR
 * --record-handle N`. */
int lc_runner_run_one_main(int argc, char **argv);
#endif

#ifdef __cplusplus
}
#endif
#endif
