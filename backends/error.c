/* Error codes: the library's own below -10000, -errno passed through. */
#include "lc_internal.h"

#include <errno.h>
#include <string.h>
#ifdef _WIN32
#include "compat_win.h" /* mingw's CRT has no strerrorname_np */
#define strerrorname_np lc__win_errno_name
#define strerror lc__win_strerror
#elif !defined(__GLIBC__)
/* strerrorname_np(3) is a glibc extension (2.32); musl has none.  Reports
 * name the errno that refused a call, so every build names it the same
 * way: Linux's errnos (asm-generic/errno-base.h, errno.h) in value order,
 * without the aliases (EWOULDBLOCK, EDEADLOCK, ENOTSUP), so that a value
 * gets the name glibc gives it. */
#define LC__ERRNO_NAMES \
    N(EPERM) N(ENOENT) N(ESRCH) N(EINTR) N(EIO) N(ENXIO) N(E2BIG) N(ENOEXEC) N(EBADF) N(ECHILD) \
    N(EAGAIN) N(ENOMEM) N(EACCES) N(EFAULT) N(ENOTBLK) N(EBUSY) N(EEXIST) N(EXDEV) N(ENODEV) \
    N(ENOTDIR) N(EISDIR) N(EINVAL) N(ENFILE) N(EMFILE) N(ENOTTY) N(ETXTBSY) N(EFBIG) N(ENOSPC) \
    N(ESPIPE) N(EROFS) N(EMLINK) N(EPIPE) N(EDOM) N(ERANGE) N(EDEADLK) N(ENAMETOOLONG) N(ENOLCK) \
    N(ENOSYS) N(ENOTEMPTY) N(ELOOP) N(ENOMSG) N(EIDRM) N(ECHRNG) N(EL2NSYNC) N(EL3HLT) N(EL3RST) \
    N(ELNRNG) N(EUNATCH) N(ENOCSI) N(EL2HLT) N(EBADE) N(EBADR) N(EXFULL) N(ENOANO) N(EBADRQC) \
    N(EBADSLT) N(EBFONT) N(ENOSTR) N(ENODATA) N(ETIME) N(ENOSR) N(ENONET) N(ENOPKG) N(EREMOTE) \
    N(ENOLINK) N(EADV) N(ESRMNT) N(ECOMM) N(EPROTO) N(EMULTIHOP) N(EDOTDOT) N(EBADMSG) \
    N(EOVERFLOW) N(ENOTUNIQ) N(EBADFD) N(EREMCHG) N(ELIBACC) N(ELIBBAD) N(ELIBSCN) N(ELIBMAX) \
    N(ELIBEXEC) N(EILSEQ) N(ERESTART) N(ESTRPIPE) N(EUSERS) N(ENOTSOCK) N(EDESTADDRREQ) \
    N(EMSGSIZE) N(EPROTOTYPE) N(ENOPROTOOPT) N(EPROTONOSUPPORT) N(ESOCKTNOSUPPORT) N(EOPNOTSUPP) \
    N(EPFNOSUPPORT) N(EAFNOSUPPORT) N(EADDRINUSE) N(EADDRNOTAVAIL) N(ENETDOWN) N(ENETUNREACH) \
    N(ENETRESET) N(ECONNABORTED) N(ECONNRESET) N(ENOBUFS) N(EISCONN) N(ENOTCONN) N(ESHUTDOWN) \
    N(ETOOMANYREFS) N(ETIMEDOUT) N(ECONNREFUSED) N(EHOSTDOWN) N(EHOSTUNREACH) N(EALREADY) \
    N(EINPROGRESS) N(ESTALE) N(EUCLEAN) N(ENOTNAM) N(ENAVAIL) N(EISNAM) N(EREMOTEIO) N(EDQUOT) \
    N(ENOMEDIUM) N(EMEDIUMTYPE) N(ECANCELED) N(ENOKEY) N(EKEYEXPIRED) N(EKEYREVOKED) \
    N(EKEYREJECTED) N(EOWNERDEAD) N(ENOTRECOVERABLE) N(ERFKILL) N(EHWPOISON)

#define N(e) {e, #e},
static const struct {
    int err;
    const char *name;
} lc__errnos[] = {LC__ERRNO_NAMES};
#undef N

static const char *strerrorname_np(int e)
{
    for (size_t i = 0; i < sizeof lc__errnos / sizeof lc__errnos[0]; i++)
        if (lc__errnos[i].err == e)
            return lc__errnos[i].name;
    return NULL;
}
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
