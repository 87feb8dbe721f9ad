/* loopcompat publish in a build without libcurl (the Windows build): the
 * command exists, so that scripts get a clear answer, and refuses. */
#include <stdio.h>

#include "commands.h"

int lc_cmd_publish(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "loopcompat publish: not available in this build (built without libcurl)\n");
    return 2;
}
