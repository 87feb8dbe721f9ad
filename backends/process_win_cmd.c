/* The command line and environment block of a Windows child (lc_spawn,
 * process_win.c).
 *
 * CreateProcess takes one command line; the child's C runtime splits it
 * back into argv by the rules subprocess.list2cmdline quotes for
 * ("Parsing C command-line arguments", Microsoft C runtime docs).  The
 * environment block is "NAME=value" strings, each ended by a null byte,
 * and one more null byte at the end (CreateProcess, lpEnvironment). */
#include "compat_win.h"

#include "loopcompat/process.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct cmdbuf {
    char *s;
    size_t len, cap;
};

static int put(struct cmdbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        char *ns = realloc(b->s, cap);
        if (ns == NULL)
            return LC_ENOMEM;
        b->s = ns;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
    return 0;
}

static int put_bs(struct cmdbuf *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (put(b, "\\", 1) < 0)
            return LC_ENOMEM;
    return 0;
}

/* One argument as the MS C runtime parses it back (subprocess.list2cmdline). */
static int quote_arg(struct cmdbuf *b, const char *arg)
{
    bool q = arg[0] == '\0' || strpbrk(arg, " \t") != NULL;
    size_t bs = 0;
    int rc = q ? put(b, "\"", 1) : 0;
    for (const char *c = arg; rc == 0 && *c; c++) {
        if (*c == '\\') {
            bs++;
        } else if (*c == '"') {
            rc = put_bs(b, bs * 2 + 1);
            bs = 0;
            if (rc == 0)
                rc = put(b, "\"", 1);
        } else {
            rc = put_bs(b, bs);
            bs = 0;
            if (rc == 0)
                rc = put(b, c, 1);
        }
    }
    if (rc == 0)
        rc = put_bs(b, q ? bs * 2 : bs); /* backslashes before the closing quote double */
    if (rc == 0 && q)
        rc = put(b, "\"", 1);
    return rc;
}

int lc__win_env_block(const char *const *env, char **out)
{
    struct cmdbuf b = {0};
    int rc = 0;
    for (size_t i = 0; env[i] && rc == 0; i++)
        rc = put(&b, env[i], strlen(env[i]) + 1); /* with its '\0' */
    if (rc == 0)
        rc = put(&b, "", 1); /* the block ends with an empty string */
    if (rc == 0 && b.len == 1)
        rc = put(&b, "", 1); /* an empty block is two '\0' */
    if (rc < 0) {
        free(b.s);
        return rc;
    }
    *out = b.s;
    return 0;
}

/* The program to run: a path as given, else SearchPath's find. */
static int find_program(const char *file, char *out, size_t cap)
{
    if (strpbrk(file, "/\\:") != NULL) {
        if (strlen(file) >= cap)
            return LC_ENAMETOOLONG;
        strcpy(out, file);
        return 0;
    }
    DWORD n = SearchPathA(NULL, file, ".exe", (DWORD)cap, out, NULL);
    if (n == 0)
        return -ENOENT;
    return n >= cap ? LC_ENAMETOOLONG : 0;
}

int lc__win_command_line(const lc_spawn_options *o, char *app, size_t cap, char **cmd)
{
    struct cmdbuf b = {0};
    int rc;
    if (o->shell) {
        DWORD n = GetEnvironmentVariableA("ComSpec", app, (DWORD)cap);
        if (n == 0 || n >= cap)
            rc = find_program("cmd.exe", app, cap);
        else
            rc = 0;
        if (rc == 0)
            rc = quote_arg(&b, app);
        if (rc == 0)
            rc = put(&b, " /c \"", 5);
        if (rc == 0)
            rc = put(&b, o->shell, strlen(o->shell));
        if (rc == 0)
            rc = put(&b, "\"", 1);
    } else {
        rc = find_program(o->file, app, cap);
        const char *const one[2] = {o->file, NULL};
        const char *const *argv = o->argv ? o->argv : one;
        for (size_t i = 0; rc == 0 && argv[i]; i++) {
            if (i > 0)
                rc = put(&b, " ", 1);
            if (rc == 0)
                rc = quote_arg(&b, argv[i]);
        }
        if (rc == 0 && b.s == NULL)
            rc = put(&b, "", 0);
    }
    if (rc < 0) {
        free(b.s);
        return rc;
    }
    *cmd = b.s;
    return 0;
}

