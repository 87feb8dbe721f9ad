/* The integration area on Windows: the same case id as integration.c,
 * whose client is libcurl.  The Windows build links only what
 * scripts/build-windows-deps.sh builds from Debian's source packages
 * (jansson, Check, zlib); libcurl is not among them, so the case cannot
 * run here and says why. */
#include "lc_case.h"

static void libcurl_multi_socket(lc_case_ctx *ctx, lc_loop *loop)
{
    (void)loop;
    lc_case_skip(ctx, "libcurl is not part of the Windows build (its dependencies are built "
                      "from Debian sources by scripts/build-windows-deps.sh: jansson, Check, "
                      "zlib)");
}

const lc_case lc_cases_integration[] = {
    {"integration/libcurl-multi-socket",
     "libcurl's multi_socket API driven by the loop (not in the Windows build: no libcurl)",
     libcurl_multi_socket, 0, NULL, 0},
    {0},
};
