/* loopcompat publish in the build without libcurl (the Windows build and
 * the static build): the command exists, takes and refuses the same options
 * as the full one (publish_args.c), so that scripts get a clear answer, and
 * then refuses to upload. */
#include <stdio.h>

#include "cmd_args.h"
#include "commands.h"

int lc_cmd_publish(int argc, char **argv)
{
    lc_publish_args o;
    int rc = lc_publish_parse_args(argc, argv, &o);
    if (rc != LC_ARGS_CONTINUE)
        return rc;
    fprintf(stderr, "loopcompat publish: not available in this build (built without libcurl)\n");
    return 2;
}
