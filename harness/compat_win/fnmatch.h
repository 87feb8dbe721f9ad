/* fnmatch(3) for the Windows build of the harness (mingw-w64 has none):
 * the subset the harness uses, `*`, `?`, `[...]` and backslash quoting,
 * with flags 0.  Implemented in compat_posix_win.c. */
#ifndef LC_COMPAT_WIN_FNMATCH_H
#define LC_COMPAT_WIN_FNMATCH_H

#define FNM_NOMATCH 1

int fnmatch(const char *pattern, const char *string, int flags);

#endif
