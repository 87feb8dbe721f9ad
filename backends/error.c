/* Error codes: the library's own below -10000, -errno passed through. */
#include "lc_internal.h"

#include <errno.h>
#include <string.h>
#ifdef _WIN32
#include "compat_win.h" /* mingw's CRT has no strerrorname_np */
#define strerrorname_np lc__win_errno_name
#define strerror lc__win_strerror
#endif

static const struct {
    int code;
    const char *name;
    const char *text;
} lc_errors[] = {
    {LC_ENOTSUP, "LC_ENOTSUP", "operation not supported by this backend or platform"},
    {LC_ECLOSED, "LC_ECLOSED", "the event loop is closed"},
    {LC_EINVAL, "LC_EINVAL", "invalid argument"},
    {LC_EBADF, "LC_EBADF", "not an open file descriptor"},
    {LC_ERUNNING, "LC_ERUNNING", "an event loop is already running"},
    {LC_ENOLOOP, "LC_ENOLOOP", "there is no current event loop in this thread"},
    {LC_ENOBACKEND, "LC_ENOBACKEND", "unknown backend"},
    {LC_EUNAVAIL, "LC_EUNAVAIL", "backend not available on this host"},
    {LC_ENOMEM, "LC_ENOMEM", "out of memory"},
    {LC_EBUSY, "LC_EBUSY", "file descriptor is used by a transport"},
    {LC_ETHREAD, "LC_ETHREAD", "only allowed in the main thread"},
    {LC_ENAMETOOLONG, "LC_ENAMETOOLONG", "path too long for the socket address"},
    {LC_ECANCELED, "LC_ECANCELED", "operation cancelled"},
};

const char *lc_strerror(int err)
{
    if (err >= 0)
        return "success";
    for (size_t i = 0; i < sizeof lc_errors / sizeof lc_errors[0]; i++)
        if (lc_errors[i].code == err)
            return lc_errors[i].text;
    if (err > -4096)
        return strerror(-err);
    return "unknown error";
}

const char *lc_errname(int err)
{
    if (err >= 0)
        return "OK";
    for (size_t i = 0; i < sizeof lc_errors / sizeof lc_errors[0]; i++)
        if (lc_errors[i].code == err)
            return lc_errors[i].name;
    if (err > -4096) {
        const char *n = strerrorname_np(-err);
        return n ? n : "EUNKNOWN";
    }
    return "EUNKNOWN";
}
