/* loopcompat: run the conformance cases and work with their reports. */
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "loopcompat/loop.h"
#include "text.h"

#ifndef LC_REVISION
#define LC_REVISION "unknown"
#endif

typedef struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
} command;

/* One line per subcommand. */
static const command commands[] = {
    {"run", lc_cmd_run, "run the cases on every available backend and write the report"},
    {"list", lc_cmd_list, "list the cases and the backends"},
    {"info", lc_cmd_info, "show host facts and backend availability"},
    {"diff", lc_cmd_diff, "compare two reports: regressions, fixes, changed measurements"},
    {"merge", lc_cmd_merge, "merge run reports from many platforms into one matrix"},
    {"render", lc_cmd_render, "render a matrix or report as HTML and Markdown"},
    {"publish", lc_cmd_publish, "upload a report or a rendered site over HTTP(S), with retries"},
    {"validate", lc_cmd_validate, "check a report or matrix, naming the first bad field"},
};

static void help(FILE *out)
{
    fprintf(out, "usage: loopcompat <command> [options]   (loopcompat <command> --help for details)\n\n"
                 "Does the event loop do what its documentation says, on this platform and backend?\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n  help CMD   show CMD's help (the same as loopcompat CMD --help)\n"
                 "  --help     show this help\n  --version  show the version and revision\n\n"
                 "exit status: 0 nothing unexpected, 1 something unexpected (a regression),\n"
                 "             2 bad usage or input, 3 a server not reached or failing\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: loopcompat <command> [options] (commands: run, list, info, ...; see --help)\n");
        return 2;
    }
    const char *cmd = argv[1];
    /* Before anything is printed: credentials in a URL argument are then
     * redacted from whatever the tool shows, a server's echo included. */
    lc_text_secrets_from_args(argc, argv);
#ifdef _WIN32
    if (strcmp(cmd, "--run-one") == 0)
        return lc_runner_run_one_main(argc - 1, argv + 1);
#endif
    if (strcmp(cmd, "help") == 0 && argc > 2) {
        /* `help CMD` is `CMD --help`, as in git and cargo: one text per
         * command, kept by the command itself. */
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (strcmp(argv[2], commands[i].name) == 0) {
                char *sub[] = {argv[2], "--help", NULL};
                return commands[i].fn(2, sub);
            }
        fprintf(stderr, "loopcompat: help: unknown command '%s' (see loopcompat --help)\n", argv[2]);
        return 2;
    }
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        help(stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("loopcompat %s (revision %s)\n", LC_VERSION_STRING, LC_REVISION);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(cmd, commands[i].name) == 0)
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "loopcompat: unknown command '%s' (usage: loopcompat <command> [options]; see --help)\n",
            cmd);
    return 2;
}
