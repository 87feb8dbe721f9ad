/* The subcommands' option parsers, fed an argv split from the input: the
 * first byte picks the command, the rest is split at newlines.  Parsing
 * only: nothing is read, written or sent. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_args.h"

#define MAX_ARGS 64

static int parse(unsigned which, int argc, char **argv)
{
    switch (which) {
    case 0: {
        lc_diff_args a;
        int rc = lc_diff_parse_args(argc, argv, &a);
        if (rc == LC_ARGS_CONTINUE && (!a.paths[0] || !a.paths[1] || !(a.tolerance_pct >= 0)))
            abort();
        return rc;
    }
    case 1: {
        const char *inputs[MAX_ARGS + 1];
        lc_merge_args a = {NULL, inputs, 0};
        int rc = lc_merge_parse_args(argc, argv, &a);
        if (rc == LC_ARGS_CONTINUE && (!a.out || a.n == 0 || a.n >= (size_t)argc))
            abort();
        return rc;
    }
    case 2: {
        lc_render_args a;
        int rc = lc_render_parse_args(argc, argv, &a);
        if (rc == LC_ARGS_CONTINUE && (!a.input || (!a.html && !a.markdown)))
            abort();
        return rc;
    }
    case 3: {
        int first = 0;
        int rc = lc_validate_parse_args(argc, argv, &first);
        if (rc == LC_ARGS_CONTINUE && (first < 1 || first >= argc))
            abort();
        return rc;
    }
    case 4: {
        lc_publish_args a;
        int rc = lc_publish_parse_args(argc, argv, &a);
        if (rc == LC_ARGS_CONTINUE &&
            (!a.src || !a.url || a.retries < 0 || a.retries > 20 || !(a.timeout > 0)))
            abort();
        return rc;
    }
    case 7: {
        lc_run_args a;
        int rc = lc_run_parse_args(argc, argv, &a);
        if (rc == LC_ARGS_CONTINUE && (a.jobs < 0 || a.jobs > 4096 || !(a.timeout_multiplier > 0) ||
                                       a.nglobs >= (size_t)argc))
            abort();
        lc_run_args_free(&a);
        return rc;
    }
    default: {
        int json = 0, help = 0;
        return lc_simple_parse_args(argc, argv, which == 5 ? "list" : "info",
                                    which == 5 ? "loopcompat list" : "loopcompat info [--json]",
                                    which == 6, &json, &help);
    }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"diff", "merge", "render", "validate",
                                        "publish", "list", "info", "run"};
    if (size < 1)
        return 0;
    unsigned which = data[0] % (sizeof names / sizeof names[0]);
    char *text = malloc(size);
    if (!text)
        return 0;
    memcpy(text, data + 1, size - 1);
    text[size - 1] = '\0';
    /* argv strings are separate allocations, as the kernel's are not, so
     * that reading past one is caught. */
    char *argv[MAX_ARGS + 1];
    int argc = 0;
    argv[argc++] = strdup(names[which]);
    for (char *p = text; argc < MAX_ARGS;) {
        char *nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        argv[argc++] = strdup(p);
        if (!nl)
            break;
        p = nl + 1;
    }
    argv[argc] = NULL;
    int rc = parse(which, argc, argv);
    if (rc != LC_ARGS_CONTINUE && rc != 0 && rc != 2)
        abort();
    for (int i = 0; i < argc; i++)
        free(argv[i]);
    free(text);
    return 0;
}
